"""Benchmark: the delivery path's memory — a backlog of pending outbox rows delivered by the notifier to the console.

Run: .venv/bin/python benchmarks/bench_delivery_memory.py [--items 100000] [--max-held N]

N pending notifications for the console chat (the size of an expiry notice: a title, two lines, one button) are
written to a SQLite outbox in chunks of 1,000, then the notifier delivers them to the console adapter writing to
/dev/null (no pacing, no coalescing wait, as `fxbot console` runs). Printed: the process RSS before delivery, the
peak (VmHWM) and the RSS once all are delivered (after a gc, and after `malloc_trim`), the messages sent, the
CPU-seconds of delivery and the load average. `--max-held` sets the notifier's bound on items held in memory (a
checkout without it ignores the option). Run from another checkout (side-by-side comparisons), that checkout's
code runs. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import inspect
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from fxbot.adapters.console import ConsoleAdapter
from fxbot.chat.types import ChatKind
from fxbot.notify.notification import Notification, NotificationAction, Severity
from fxbot.notify.notifier import Notifier
from fxbot.notify.outbox import Outbox, notification_row
from fxbot.notify.pacing import PacingLimits
from fxbot.notify.targets import ChatAdapterTarget
from fxbot.storage import Storage

T0 = datetime(2026, 3, 2, tzinfo=UTC)
CHAT = "console:local"


def status_mb(field: str) -> float:
    """VmRSS or VmHWM of this process, in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def trim() -> None:
    """Hand freed heap pages back to the OS (glibc), as the bot does after a storm."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def expiry_notice(i: int) -> Notification:
    return Notification(CHAT, Severity.INFO, f"Alert #{i} expired",
                        (f"EURUSD ask above 1.{i % 100_000:05d} expired at 2026-03-02 12:00 UTC", "It never fired."),
                        f"expired:{i}", "expired", created_at=T0 + timedelta(seconds=i),
                        actions=(NotificationAction("Delete", f"/alert del {i}"),))


async def run(items: int, max_held: int | None) -> None:
    with tempfile.TemporaryDirectory() as tmp, Path(os.devnull).open("w", encoding="utf-8") as devnull:  # noqa: ASYNC230
        async with await Storage.open(Path(tmp) / "fxbot.db", {}) as storage:
            outbox = Outbox(storage.db)
            for start in range(0, items, 1000):
                await outbox.enqueue_rows([notification_row(expiry_notice(i), ChatKind.PRIVATE)
                                           for i in range(start, min(items, start + 1000))])
            gc.collect()
            trim()
            before = status_mb("VmRSS")
            adapter = ConsoleAdapter(None, stdin=sys.stdin, stdout=devnull,  # type: ignore[arg-type]  # sends only
                                     images_dir=Path(tmp), on_end_of_input=lambda: None)
            options: dict[str, Any] = {}
            if max_held is not None and "max_held" in inspect.signature(Notifier).parameters:
                options["max_held"] = max_held
            notifier = Notifier(outbox, {"console": ChatAdapterTarget(adapter, "console", None)},
                                limits={"console": PacingLimits.unlimited()}, coalesce_s=0.0, **options)
            cpu = time.process_time()
            delivered = await notifier.drain(3600.0)
            cpu = time.process_time() - cpu
            peak = status_mb("VmHWM")
            gc.collect()
            after = status_mb("VmRSS")
            trim()
            trimmed = status_mb("VmRSS")
            print(f"{items:,} notifications{'' if delivered else ' (NOT all delivered)'}: {notifier.items_delivered:,}"
                  f" delivered in {notifier.messages_sent:,} messages, {cpu:.2f} CPU-s"
                  f" ({notifier.items_delivered / cpu if cpu else 0:,.0f} items/CPU-s)")
            print(f"  RSS before delivery {before:.1f} MB, peak (VmHWM) {peak:.1f} MB, after {after:.1f} MB,"
                  f" after malloc_trim {trimmed:.1f} MB; load average {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--max-held", type=int, default=None, help="the notifier's bound (default: its own)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    asyncio.run(run(args.items, args.max_held))


if __name__ == "__main__":
    main()
