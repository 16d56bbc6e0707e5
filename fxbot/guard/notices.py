"""The guard's notifications to the chats bound to an account: critical, with the figures, once per event."""

from __future__ import annotations

from datetime import datetime

from fxbot.domain.formatting import format_time
from fxbot.guard.actor import ActReport
from fxbot.guard.evaluator import Verdict
from fxbot.notify.notification import Notification, Severity


def warning_notice(chat_id: str, account_id: str, verdict: Verdict, currency: str, at: datetime) -> Notification:
    return Notification(
        chat_id=chat_id, severity=Severity.CRITICAL, title=f"Guard warning: account {account_id}",
        lines=(verdict.reason + ".",
               f"Equity {verdict.equity:,.2f} {currency}; the day started at {verdict.start_equity:,.2f}.",
               "At the limit the guard closes every position, cancels pending orders and blocks new orders "
               "until the next trading day."),
        dedupe_key=f"guard:{account_id}:{verdict.state.day_id}:warned", kind="guard", created_at=at)


def acted_notice(chat_id: str, account_id: str, trigger: str, day_id: str, report: ActReport,
                 blocked_until: datetime, timezone: str, currency: str, at: datetime, *, resumed: bool) -> Notification:
    lines = [trigger + "." if trigger else "A daily limit was reached."]
    if resumed:
        lines.append("The close-all was interrupted by a restart and was resumed: the account was read again, "
                     "and only what was still open was closed.")
    if report.closed:
        lines.append(f"Closed {len(report.closed)} position(s), realised {report.realized:+,.2f} {currency}:")
        lines += [f"  {line}" for line in report.closed]
    if report.cancelled:
        lines.append(f"Cancelled {len(report.cancelled)} pending order(s):")
        lines += [f"  {line}" for line in report.cancelled]
    if not report.closed and not report.cancelled and report.complete:
        lines.append("Nothing was open.")
    if report.failures:
        lines.append("Could not close:")
        lines += [f"  {line}" for line in report.failures]
    if report.read_failed:
        lines.append("The account could not be read to check the close-all — check /positions and /orders now.")
    elif report.still_open:
        lines.append("STILL OPEN — close these by hand:")
        lines += [f"  {line}" for line in report.still_open]
    lines.append(f"New orders on this account are blocked by the daily loss guard until "
                 f"{format_time(blocked_until, timezone)}; closing and reducing positions stays allowed.")
    return Notification(
        chat_id=chat_id, severity=Severity.CRITICAL, title=f"Guard acted on account {account_id}",
        lines=tuple(lines), dedupe_key=f"guard:{account_id}:{day_id}:acted", kind="guard", created_at=at)
