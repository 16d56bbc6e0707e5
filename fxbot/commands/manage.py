"""The /be and /trail commands: breakeven and trailing stops the bot manages from the stream."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fxbot.chat.access import check_access
from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.types import Reply, ReplyKind
from fxbot.commands.manage_orders import TRAIL_DEFAULT_SETTING
from fxbot.domain.access import Role, Scope
from fxbot.domain.broker import Position, Quote, Side
from fxbot.domain.broker.tickets import display_id, parse_ref
from fxbot.domain.formatting import format_price
from fxbot.domain.instruments import InstrumentSpec, instrument
from fxbot.errors import UsageError, UserError
from fxbot.management.engine import evaluate, profit_points
from fxbot.management.notices import describe_lock, headline
from fxbot.management.rules import ManagedRule, RuleKind
from fxbot.management.service import ManagementService
from fxbot.services.upstream import upstream_call

if TYPE_CHECKING:
    from fxbot.services.container import Services

VIEW = Permission(scope=None, role=Role.VIEWER, needs_binding=False)
CHANGE = Permission(scope=Scope.TRADE, role=Role.TRADER)
BE_USAGE = "/be ID [at=15p] [offset=1p] | /be ID off"
TRAIL_USAGE = "/trail ID 20p [step=5p] [start=10p] | /trail ID off | /trail"
MAX_PIPS = 10_000.0
_PIPS = re.compile(r"(?P<n>\d+(?:\.\d*)?|\.\d+)\s*(?:p|pip|pips)?", re.ASCII | re.IGNORECASE)


def parse_pips(text: str, what: str, usage: str, example: str) -> float:
    """ "20p", "20 pips", "20" -> 20.0 pips (more than 0, at most 10,000)."""
    match = _PIPS.fullmatch(text.strip())
    value = float(match.group("n")) if match else math.nan
    if not math.isfinite(value) or value < 0 or value > MAX_PIPS:
        raise UsageError(f"{what} '{text[:24]}' is not a distance in pips (like 20p)", usage=usage, example=example)
    return value


def to_points(pips: float, spec: InstrumentSpec) -> int:
    return round(pips * spec.pip_size / spec.point)


@dataclass(frozen=True, slots=True)
class _Target:
    position: Position
    quote: Quote
    spec: InstrumentSpec
    key_id: int
    account_id: str


def _stops(cmd: CommandContext[Services]) -> ManagementService:
    if cmd.services.stops is None:
        raise UserError("managed stops are not available in this bot")
    return cmd.services.stops


def _options(args: BoundArgs, names: tuple[str, ...]) -> dict[str, str]:
    """The keyword options given (name=value)."""
    return {name: value for name in names if (value := args.optional(name, str)) is not None}


async def _target(cmd: CommandContext[Services], ref_text: str, usage: str) -> _Target:
    ref = parse_ref(ref_text)
    bound = await cmd.services.brokers.for_chat(cmd.chat.id)
    async with upstream_call(cmd.services.storage, bound.key_id, what="read the positions"):
        account_id = bound.account_id
        if account_id is None:
            accounts = await bound.broker.list_accounts()
            if not accounts:
                raise UserError("the chat's key reaches no trading account")
            account_id = accounts[0].id
        positions = await bound.broker.get_positions(account_id=account_id)
    position = next((p for p in positions if p.id == ref or p.display_id == ref_text.strip()), None)
    if position is None:
        raise UsageError(f"no open position {ref_text[:24]} — /positions lists them", usage=usage)
    spec = instrument(position.symbol)
    if spec is None:
        raise UserError(f"{position.symbol} is not a symbol fxbot knows the pip size of; its stop is not managed")
    async with upstream_call(cmd.services.storage, bound.key_id, what="read the price"):
        quote = await bound.broker.get_quote(position.symbol, account_id=account_id)
    return _Target(position, quote, spec, bound.key_id, account_id)


def _rule(cmd: CommandContext[Services], target: _Target, kind: RuleKind) -> ManagedRule:
    p, spec = target.position, target.spec
    return ManagedRule(
        id=0, chat_id=cmd.chat.id, owner_id=cmd.user.id, private_chat=cmd.chat.is_private, key_id=target.key_id,
        account_id=target.account_id, position_id=p.id, symbol=p.symbol, side=p.type, volume=p.volume,
        entry_points=spec.to_points(p.open_price), kind=kind, created_at=cmd.services.clock(),
        stop_points=None if p.sl is None else spec.to_points(p.sl), thread_id=cmd.chat.thread_id)


def _deny(cmd: CommandContext[Services], name: str) -> None:
    denial = check_access(CHANGE, cmd.ctx, name)
    if denial is not None:
        raise denial


async def _off(cmd: CommandContext[Services], ref_text: str, kind: RuleKind, name: str) -> Reply:
    _deny(cmd, name)
    service = _stops(cmd)
    ref = parse_ref(ref_text)
    gone = 0
    for rule in service.rules_for_chat(cmd.chat.id):
        if rule.kind is kind and (rule.position_id == ref or display_id(rule.position_id) == ref_text.strip()):
            gone += await service.remove(rule.account_id, rule.position_id, kind)
    what = "breakeven" if kind is RuleKind.BREAKEVEN else "trailing stop"
    if not gone:
        return Reply(text=(f"no {what} rule on {ref_text[:24]} in this chat",))
    return Reply(kind=ReplyKind.OK, text=(f"{what} on {ref_text[:24]} switched off; the stop stays where it is",))


async def be_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    words = (args.optional("spec", str) or "").split()
    example = "/be 12345678 at=15p offset=1p"
    if not words:
        raise UsageError("which position? give its id or ticket", usage=BE_USAGE, example=example)
    if len(words) == 2 and words[1].lower() == "off":
        return await _off(cmd, words[0], RuleKind.BREAKEVEN, "be")
    _deny(cmd, "be")
    options = _options(args, ("at", "offset"))
    if len(words) > 1:
        raise UsageError(f"'{words[1][:24]}' is not understood here", usage=BE_USAGE, example=example)
    at = parse_pips(options["at"], "at=", BE_USAGE, example) if "at" in options else None
    offset = parse_pips(options.get("offset", "0"), "offset=", BE_USAGE, example)
    target = await _target(cmd, words[0], BE_USAGE)
    rule = _rule(cmd, target, RuleKind.BREAKEVEN)
    spec = target.spec
    rule.trigger_points, rule.offset_points = (0 if at is None else to_points(at, spec)), to_points(offset, spec)
    wanted = rule.entry_points + rule.direction * rule.offset_points
    shown = format_price(rule.symbol, spec.from_points(wanted))
    if rule.stop_points is not None and rule.direction * (rule.stop_points - wanted) >= 0:
        return Reply(text=(f"{headline(rule)}: the stop {format_price(rule.symbol, spec.from_points(rule.stop_points))}"
                           f" is already at or beyond breakeven ({shown}); nothing to do",))
    bid, ask = spec.to_points(target.quote.bid), spec.to_points(target.quote.ask)
    if at is None and evaluate(rule, bid, ask).stop_points is None:
        profit = spec.pips(profit_points(rule, bid if rule.side is Side.BUY else ask) * spec.point)
        raise UsageError(f"the position is {profit:g} pips from its entry, not far enough in profit to put the stop "
                         f"at {shown}; arm it instead", usage=BE_USAGE, example=f"/be {words[0][:24]} at=15p")
    queued = await _stops(cmd).arm(rule, target.quote)
    if queued:
        return Reply(kind=ReplyKind.OK, title="Breakeven",
                     text=(f"{headline(rule)}: stop → {shown} ({describe_lock(rule, spec, wanted)}) is being sent; "
                           "the move is announced when the broker confirms it",))
    return Reply(kind=ReplyKind.OK, title="Breakeven armed",
                 text=(f"{headline(rule)}: when it is {at:g} pips in profit the stop moves to {shown}",
                       f"/be {words[0][:24]} off cancels it"))


async def trail_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    words = (args.optional("spec", str) or "").split()
    example = "/trail 12345678 20p step=5p start=10p"
    if not words:
        cmd.skip_audit()
        return _listing(cmd)
    if len(words) == 2 and words[1].lower() == "off":
        return await _off(cmd, words[0], RuleKind.TRAIL, "trail")
    _deny(cmd, "trail")
    options = _options(args, ("step", "start"))
    plain = words[1:]
    if len(plain) > 1:
        raise UsageError(f"'{plain[1][:24]}' is not understood here", usage=TRAIL_USAGE, example=example)
    if plain:
        distance = parse_pips(plain[0], "the distance", TRAIL_USAGE, example)
    else:
        default = (await cmd.services.chat_settings.get(cmd.chat.id)).extra.get(TRAIL_DEFAULT_SETTING)
        if default is None:
            raise UsageError("how far behind the price? give a distance in pips (or set a default with "
                             "/settings trail 20p)", usage=TRAIL_USAGE, example=example)
        distance = float(default)
    if distance <= 0:
        raise UsageError("the distance must be more than 0 pips", usage=TRAIL_USAGE, example=example)
    step = parse_pips(options.get("step", "0"), "step=", TRAIL_USAGE, example)
    start = parse_pips(options.get("start", "0"), "start=", TRAIL_USAGE, example)
    target = await _target(cmd, words[0], TRAIL_USAGE)
    rule = _rule(cmd, target, RuleKind.TRAIL)
    spec = target.spec
    rule.distance_points, rule.step_points = to_points(distance, spec), to_points(step, spec)
    rule.trigger_points = to_points(start, spec)
    queued = await _stops(cmd).arm(rule, target.quote)
    lines = [f"{headline(rule)}: stop {distance:g} pips behind the best price, only forward"
             + (f", in steps of at least {step:g} pips" if step else "")
             + (f", from {start:g} pips in profit" if start else "")]
    lines.append("a first move is being sent now" if queued else "no move due yet")
    lines.append(f"/trail {words[0][:24]} off stops it · /trail lists the active ones")
    return Reply(kind=ReplyKind.OK, title="Trailing stop set", text=tuple(lines))


def describe_rule(rule: ManagedRule) -> str:
    spec = instrument(rule.symbol)
    assert spec is not None

    def pips(points: int) -> float:
        return spec.pips(points * spec.point)

    head = f"{display_id(rule.position_id)} {headline(rule)}"
    if rule.kind is RuleKind.BREAKEVEN:
        what = "breakeven" + (f" at +{pips(rule.trigger_points):g}p" if rule.trigger_points else "") + (
            f" offset {pips(rule.offset_points):g}p" if rule.offset_points else "")
    else:
        what = f"trail {pips(rule.distance_points):g}p" + (
            f" step {pips(rule.step_points):g}p" if rule.step_points else "") + (
            f" start +{pips(rule.trigger_points):g}p" if rule.trigger_points else "")
    stop = "no stop" if rule.stop_points is None else (
        f"stop {format_price(rule.symbol, spec.from_points(rule.stop_points))}")
    status = "" if rule.active else " · suspended"
    return f"#{rule.id} {head}: {what} · {stop}{status}"


def _listing(cmd: CommandContext[Services]) -> Reply:
    rules = _stops(cmd).rules_for_chat(cmd.chat.id)
    if not rules:
        return Reply(title="Managed stops", text=("no breakeven or trailing rules in this chat — "
                                                  "/trail ID 20p or /be ID at=15p",))
    return Reply(title="Managed stops", text=tuple(describe_rule(r) for r in rules))


def register(registry: CommandRegistry[Services]) -> None:
    """Add /be and /trail."""
    registry.register(CommandSpec(
        name="be", aliases=("breakeven",),
        summary="Move a position's stop to its entry now, or when it is some pips in profit",
        usage=BE_USAGE, examples=("/be 12345678", "/be 12345678 offset=1p", "/be 12345678 at=15p offset=1p",
                                  "/be 12345678 off"),
        arguments=(Argument("spec", ArgKind.TEXT, required=False, max=120, help="ID, or ID off"),
                   Argument("at", ArgKind.TEXT, required=False, keyword=True, max=16,
                            help="arm it: move once the position is this many pips in profit"),
                   Argument("offset", ArgKind.TEXT, required=False, keyword=True, max=16,
                            help="pips beyond the entry (to cover costs)")),
        permission=CHANGE, handler=be_command, state_changing=True, category="trading",
        details="The bot moves the stop itself (the broker has no breakeven order): it follows the stream and, "
                "after a restart or an outage, the prices read over REST. A stop is never moved backwards.",
    ))
    registry.register(CommandSpec(
        name="trail", aliases=(),
        summary="Trail a position's stop behind the best price (bot-managed), stop it, or list the active ones",
        usage=TRAIL_USAGE, examples=("/trail", "/trail 12345678 20p", "/trail 12345678 20p step=5p start=10p",
                                     "/trail 12345678 off"),
        arguments=(Argument("spec", ArgKind.TEXT, required=False, max=120,
                            help="ID DISTANCE (pips), ID off, or nothing to list"),
                   Argument("step", ArgKind.TEXT, required=False, keyword=True, max=16,
                            help="move in steps of at least this many pips"),
                   Argument("start", ArgKind.TEXT, required=False, keyword=True, max=16,
                            help="start once the position is this many pips in profit")),
        permission=VIEW, handler=trail_command, state_changing=True, category="trading",
        details="Listing needs a viewer; setting or stopping needs a trader and a trade key. Each stop move is "
                "announced (/notify trail on|silent|off). Rules survive restarts and end with the position.",
    ))
