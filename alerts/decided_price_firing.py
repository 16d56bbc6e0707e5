"""A price firing as the quote loop decides it (DecidedPriceFiring): built from the rule's snapshot when first read,
or stored in compact form (its outbox payload and fire-state row) without being built."""

from __future__ import annotations

from datetime import UTC, datetime

from fxbot.alerts.firing import KIND_PRICE, Firing, price_firing
from fxbot.alerts.index import SideBook
from fxbot.alerts.price_alert_payload import price_alert_payload
from fxbot.alerts.price_table import (
    CONDITIONS,
    F_ARMED,
    F_DONE,
    F_EXPIRED,
    MODES,
    NO_POINTS,
    PriceRuleTable,
    RuleSnapshot,
)
from fxbot.alerts.rules import Rule
from fxbot.notify.notification import Severity

_FiringArgs = tuple[PriceRuleTable, RuleSnapshot, SideBook, int, "int | None", int, datetime, bool, tuple[int, ...]]


class DecidedPriceFiring(Firing):
    """A price firing as the quote loop decides it: chat, rule id, dedupe key and time set at once, the
    rule, title and lines built from the snapshot taken at firing time when first read (the writer's burst)."""

    __slots__ = ("_args",)
    _args: _FiringArgs | None
    kind = KIND_PRICE
    severity = Severity.INFO

    def _built(self) -> Rule:
        args: _FiringArgs | None = self._args
        if args is not None:
            full = _price_firing(*args)
            self._rule, self._title, self._lines, self._args = full.rule, full.title, full.lines, None
        assert self._rule is not None
        return self._rule

    @property
    def unbuilt(self) -> bool:
        """True while the rule, title and lines are not built: `outbox_payload` and `fire_row` read the snapshot."""
        return self._args is not None

    def outbox_payload(self) -> str:
        """The compact outbox form of this firing's message (fxbot.alerts.price_alert_payload); only `unbuilt`."""
        args = self._args
        assert args is not None
        _table, snap, book, cur, prev, _seq, _at, gap, rearm = args
        return price_alert_payload(
            snap[0], book.symbol, book.digits, book.side.value, CONDITIONS[snap[4]].value, snap[5],
            MODES[snap[6]].value, snap[12], snap[16], cur, prev, gap, rearm)

    def fire_row(self) -> tuple[object, ...]:
        """The row storing this firing's fire state (AlertRepository.save_price_fire_rows): the engine's state of
        the rule now when it has not fired again since (it carries what changed quietly after, e.g. a re-arm),
        else the state this firing left; only `unbuilt`."""
        args = self._args
        assert args is not None
        table, snap = args[0], args[1]
        if not snap[7] & F_DONE:  # a done rule has left the engine
            slot = table.slot_of(snap[0])
            if slot is not None and table.fire_seq[slot] == snap[9]:
                snap = table.snapshot(slot)
        return snapshot_fire_row(snap)


new_firing = object.__new__


def decided_firing(args: _FiringArgs) -> Firing:
    """A DecidedPriceFiring for _price_firing(*args): its plain fields set without a call per field."""
    made: DecidedPriceFiring = new_firing(DecidedPriceFiring)
    made._args = args
    snap, seq, at = args[1], args[5], args[6]
    made.rule_id = rule_id = snap[0]
    made.chat_id = args[0].strings[snap[1]]
    made.dedupe_key = f"alert:{rule_id}:{seq}"
    made.at = at
    made.after_gap = args[7]
    return made


def _price_firing(
    table: PriceRuleTable, snap: RuleSnapshot, book: SideBook, cur: int, prev: int | None, seq: int,
    at: datetime, gap: bool, rearm: tuple[int, ...],
) -> Firing:
    rule = table.rule_from(snap, book.account_id, book.symbol, book.digits, book.side)
    return price_firing(rule, price_points=cur, prev_points=prev, fire_seq_before=seq, at=at, after_gap=gap,
                        rearm_points=rearm)


def snapshot_fire_row(snap: RuleSnapshot) -> tuple[object, ...]:
    """`price_fire_values(snapshot_state(snap))` followed by (rule id, fire_seq, expired_reported), made from the
    snapshot's plain values (no FireState, no datetime but the one formatted)."""
    flags, last, seq, band, last_fired = snap[7], snap[8], snap[9], snap[10], snap[15]
    expired = 1 if flags & F_EXPIRED else 0
    return (
        1 if flags & F_ARMED else 0, 1 if flags & F_DONE else 0, expired, None if last == NO_POINTS else last, seq,
        None if last_fired is None else datetime.fromtimestamp(last_fired, UTC).isoformat(timespec="microseconds"),
        ",".join(map(repr, snap[17])), None if band < 0 else float(band), snap[0], seq, expired,
    )
