"""After a successful state-changing command the pump re-reads the bindings (and a front tells the workers to) only
when this process wrote what decides them since the last time; the alert orders are asked every time (they gate
themselves)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

from fxbot.app import AfterCommandChange
from fxbot.chat.command_scope import forget_reads
from fxbot.scaleout.wiring import ScaleOut
from fxbot.services.container import Services
from fxbot.stream.pump import StreamPump


class Counting:
    """Stands in for the pump, the scale-out wiring and the alert orders: counts the calls it gets."""

    def __init__(self) -> None:
        self.refreshes = 0
        self.feeds = 0
        self.sweeps = 0

    def request_refresh(self) -> None:
        self.refreshes += 1

    def bindings_may_have_changed(self) -> None:
        self.feeds += 1

    def schedule_sweep(self) -> None:
        self.sweeps += 1


def test_bindings_are_re_read_only_after_a_write_of_what_decides_them() -> None:
    seen = Counting()
    after = AfterCommandChange(cast(StreamPump, seen), cast(Services, SimpleNamespace(alert_orders=seen)),
                               cast(ScaleOut, seen))
    after()  # the first command since start: re-read once (nothing is known of earlier writes)
    assert (seen.refreshes, seen.feeds, seen.sweeps) == (1, 1, 1)
    after()
    after()  # /buy, /alert, /close: nothing of the bindings written
    assert (seen.refreshes, seen.feeds, seen.sweeps) == (1, 1, 3)
    forget_reads()  # what a binding, key, chat setting, role or chat move write does (the storage repositories)
    after()
    assert (seen.refreshes, seen.feeds, seen.sweeps) == (2, 2, 4)
    after()
    assert (seen.refreshes, seen.feeds, seen.sweeps) == (2, 2, 5)


def test_a_process_without_a_pump_or_scale_out_only_asks_the_alert_orders() -> None:
    seen = Counting()
    after = AfterCommandChange(None, cast(Services, SimpleNamespace(alert_orders=seen)), None)
    forget_reads()
    after()
    after()
    assert (seen.refreshes, seen.feeds, seen.sweeps) == (0, 0, 2)
    AfterCommandChange(None, cast(Services, SimpleNamespace(alert_orders=None)), None)()  # no alert orders: fine
