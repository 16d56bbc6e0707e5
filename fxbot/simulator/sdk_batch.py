"""Multi-account batches of the SDK face: one order or close fanned out to several accounts' terminals, leg by leg."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from fxbot.simulator.auth import KeyRecord
from fxbot.simulator.sdk_batch_parse import CloseLegPlan, OrderLegPlan
from fxbot.simulator.sdk_errors import SdkError
from fxbot.simulator.sdk_positions import OpenRow, open_rows
from fxbot.simulator.sdk_symbols import base_matches
from fxbot.simulator.sdk_trading import TerminalDesk
from fxbot.simulator.sdk_wire import parse_operation

if TYPE_CHECKING:
    from fxbot.simulator.sdk_face import SdkFace

# account status -> why a leg never reached a terminal
_NOT_TRADING = {"disconnected": "unreachable", "connecting": "unavailable"}


def _batch_id() -> str:
    return f"bat_{uuid.uuid4().hex[:16]}"


class BatchDesk:
    """Runs validated batches for one key; each leg goes through the same terminal desk as single calls."""

    def __init__(self, face: SdkFace, record: KeyRecord) -> None:
        self.face = face
        self.desk = TerminalDesk(face)
        self.reachable = face.state.reachable_accounts(record)

    def check_accounts(self, account_ids: list[str], require_reachable: bool) -> None:
        """400 unknown_account for an account this key cannot see; 400 unreachable_account on request."""
        for account_id in account_ids:
            if account_id not in self.reachable:
                raise SdkError(400, "unknown_account", f"unknown account {account_id!r}")
        if require_reachable:
            for account_id in account_ids:
                if self.face.engine.account_status(account_id) != "connected":
                    raise SdkError(400, "unreachable_account", f"account {account_id} has no reachable terminal")

    # --- POST /orders ----------------------------------------------------------------------------
    def send(self, legs: list[OrderLegPlan]) -> dict[str, Any]:
        results = [self._order_leg(leg) for leg in legs]
        filled = sum(1 for result in results if result["status"] == "filled")
        summary = {"requested": len(results), "filled": filled, "failed": len(results) - filled, "unknown": 0}
        return {"batch_id": _batch_id(), "idempotent_replay": False, "summary": summary, "results": results}

    def _order_leg(self, leg: OrderLegPlan) -> dict[str, Any]:
        face = self.face
        order = leg.order
        base = {
            "account_id": leg.account_id, "platform": face.platform(leg.account_id).lower(),
            "symbol": order["symbol"], "operation": parse_operation(order["operation"]) or "",
            "volume": float(order["volume"]), "latency_ms": 0,
        }  # fmt: skip
        status = face.engine.account_status(leg.account_id)
        if status != "connected":
            return {**base, "status": _NOT_TRADING.get(status, "unreachable"),
                    "message": f"the terminal of account {leg.account_id} is {status}"}  # fmt: skip
        try:
            result = self.desk.order_send(leg.account_id, leg.terminal_body())
        except SdkError as exc:
            return {**base, "status": "invalid", "message": exc.message}
        return {
            **base, "status": "filled" if result["success"] else "rejected", "order": result["order"],
            "deal": result["deal"], "price": result["price"], "bid": result["bid"], "ask": result["ask"],
            "retcode": result["retcode"], "retcode_description": result["retcodeDescription"],
            "message": result["comment"], "volume": result["volume"] or base["volume"],
        }  # fmt: skip

    # --- POST /orders/close ----------------------------------------------------------------------
    def close(self, legs: list[CloseLegPlan]) -> dict[str, Any]:
        results = [self._close_leg(leg) for leg in legs]
        tickets = [ticket for result in results for ticket in result["results"]]
        closed = sum(1 for ticket in tickets if ticket["status"] == "closed")
        summary = {
            "accounts": len(results), "matched": sum(result["matched"] for result in results), "closed": closed,
            "failed": len(tickets) - closed, "unknown": 0,
            "accounts_unknown": sum(1 for result in results if result["status"] in _NOT_TRADING.values()),
        }  # fmt: skip
        return {"batch_id": _batch_id(), "idempotent_replay": False, "summary": summary, "results": results}

    def _close_leg(self, leg: CloseLegPlan) -> dict[str, Any]:
        face = self.face
        base = {"account_id": leg.account_id, "platform": face.platform(leg.account_id).lower(), "latency_ms": 0}
        status = face.engine.account_status(leg.account_id)
        if status != "connected":
            return {**base, "status": _NOT_TRADING.get(status, "unreachable"), "matched": 0, "closed": 0,
                    "message": f"the terminal of account {leg.account_id} is {status}", "results": []}  # fmt: skip
        rows = open_rows(face, leg.account_id)
        tickets: list[dict[str, Any]] = []
        if leg.tickets is not None:
            by_ticket = {row.ticket: row for row in rows}
            for ticket in leg.tickets:
                row = by_ticket.get(ticket)
                if row is None:
                    tickets.append({"ticket": ticket, "status": "invalid", "message": f"unknown ticket {ticket}"})
                else:
                    tickets.append(self._close_ticket(leg, row))
        else:
            tickets = [self._close_ticket(leg, row) for row in rows if self._matches(leg.selector, row)]
        closed = sum(1 for ticket in tickets if ticket["status"] == "closed")
        if not tickets:
            outcome = "nothing_matched"
        elif closed == len(tickets):
            outcome = "closed"
        else:
            outcome = "partial" if closed else "failed"
        return {**base, "status": outcome, "matched": len(tickets), "closed": closed, "message": "",
                "results": tickets}  # fmt: skip

    def _matches(self, selector: dict[str, Any], row: OpenRow) -> bool:
        name = self.face.names.broker(row.symbol)
        wanted = str(selector.get("symbol", ""))
        if wanted != "*":
            exact = selector.get("symbol_match", "exact") == "exact"
            if (exact and wanted != name) or (not exact and not base_matches(wanted, name)):
                return False
        side = selector.get("side", "any")
        if (side == "long" and not row.long) or (side == "short" and row.long):
            return False
        kind = selector.get("kind", "position")
        if kind != "any" and kind != row.kind:
            return False
        magic = selector.get("magic")
        return magic is None or magic == row.magic

    def _close_ticket(self, leg: CloseLegPlan, row: OpenRow) -> dict[str, Any]:
        volume = leg.selector.get("volume")
        part = None if row.kind == "pending" or volume is None else min(float(volume), row.volume)
        result = self.desk.close_row(leg.account_id, row, part)
        return {
            "ticket": row.ticket, "symbol": self.face.names.broker(row.symbol), "type": row.operation,
            "kind": row.kind, "volume": result["volume"] or row.volume,
            "status": "closed" if result["success"] else "rejected", "retcode": result["retcode"],
            "retcode_description": result["retcodeDescription"], "price": result["price"],
            "message": "" if result["success"] else result["comment"], "latency_ms": 0,
        }  # fmt: skip

