"""The app's Prometheus metrics, on a registry of its own, and the hooks the seams call to move them.

Labels are bounded by construction: command names come from the command registry, platforms from the
enabled plugins, FxSocket endpoints from a fixed list of templates (fxbot.ops.labels); anything else is
counted as "other". No chat, user, account, key or symbol ever becomes a label.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

from fxbot.ops.labels import OTHER, ClosedSet, endpoint_template, method_label, status_label

COMMAND_OUTCOMES = ("ok", "error", "user_error", "denied", "upstream_error", "failed", "unknown")
STREAM_GAP_KINDS = ("disconnect", "lost_event", "queue_overflow")
ALERT_KINDS = ("price_alert", "margin_alert", "equity_alert", "drawdown_alert", "expired", "runaway")
DELIVERY_FAILURES = ("forbidden", "error")
TASKS = ("notifier", "stream pump")
STREAM_STATES = ("connected", "reconnecting", "refused")
#: The account guard's incidents (kind -> its outcomes): a warning sent, a close-all done (or resumed after a
#: restart) and how it ended, an order refused by a daily-loss block or an exposure limit.
GUARD_INCIDENTS: dict[str, tuple[str, ...]] = {
    "warning": ("sent",),
    "close_all": ("complete", "incomplete", "failed"),
    "resumed_close_all": ("complete", "incomplete", "failed"),
    "order_refused": ("blocked", "exposure"),
}
#: The watchdog's incidents (fxbot.watchdog.incidents kinds, plus the one-off events, counted as opened).
WATCHDOG_KINDS = ("stream", "silent", "rest", "key", "terminal", "scope", "restart")
WATCHDOG_OUTCOMES = ("opened", "recovered")

_COMMAND_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_DELIVERY_BUCKETS = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


class Metrics:
    """Every metric of one app; implements the observer ports of the dispatcher, notifier and stream."""

    def __init__(self, *, commands: Iterable[str], platforms: Iterable[str], version: str) -> None:
        self.registry = CollectorRegistry()
        self._command = ClosedSet(commands)
        self._platform = ClosedSet(platforms)
        self._gap = ClosedSet(STREAM_GAP_KINDS)
        self._alert = ClosedSet(ALERT_KINDS)
        self._outcome = ClosedSet(COMMAND_OUTCOMES)
        self._task = ClosedSet(TASKS)
        r = self.registry
        Gauge("fxbot_build_info", "The running fxbot version", ["version"], registry=r).labels(version).set(1)
        self.commands = Counter("fxbot_commands", "Chat commands handled, by command and outcome",
                                ["command", "outcome"], registry=r)
        self.command_seconds = Histogram("fxbot_command_duration_seconds", "Time to answer a chat command",
                                         ["command"], buckets=_COMMAND_BUCKETS, registry=r)
        self.confirmed = Counter("fxbot_confirmed_actions", "Confirmed actions (orders, closes) carried out, by "
                                 "command and outcome", ["command", "outcome"], registry=r)
        self.requests = Counter("fxbot_fxsocket_requests", "FxSocket REST requests, by endpoint template, method "
                                "and HTTP status (\"error\": no answer)", ["endpoint", "method", "status"], registry=r)
        self.request_seconds = Histogram("fxbot_fxsocket_request_duration_seconds", "FxSocket REST request time",
                                         ["endpoint"], buckets=_REQUEST_BUCKETS, registry=r)
        self.rate_limited = Counter("fxbot_fxsocket_rate_limited", "FxSocket answers 429 Too Many Requests",
                                    ["endpoint"], registry=r)
        self.reconnects = Counter("fxbot_stream_reconnects", "FxSocket stream reconnections", registry=r)
        self.gaps = Counter("fxbot_stream_gaps", "Stream gaps reconciled over REST: a disconnection, an event that "
                            "could not be read, order events past the queue's bound", ["kind"], registry=r)
        self.session_failures = Counter("fxbot_stream_session_failures", "Stream sessions that crashed and were "
                                        "restarted", registry=r)
        self.quotes = Counter("fxbot_quotes_evaluated", "Quotes judged against the alert rules", registry=r)
        self.alerts = Counter("fxbot_alerts_fired", "Alert notifications fired, by kind", ["kind"], registry=r)
        self.outbox = Gauge("fxbot_outbox_pending", "Notifications waiting in the outbox, by platform",
                            ["platform"], registry=r)
        self.delivery_seconds = Histogram("fxbot_notification_delivery_seconds", "From the notifier picking a "
                                          "notification up to the platform accepting it", ["platform"],
                                          buckets=_DELIVERY_BUCKETS, registry=r)
        self.delivery_failures = Counter("fxbot_notification_failures", "Failed notification sends, by platform "
                                         "and reason", ["platform", "reason"], registry=r)
        self.retry_afters = Counter("fxbot_platform_retry_after", "Chat platform rate limits (retry-after)",
                                    ["platform"], registry=r)
        self.retry_after_seconds = Counter("fxbot_platform_retry_after_seconds", "Seconds chat platforms asked "
                                           "the bot to wait", ["platform"], registry=r)
        self.task_restarts = Counter("fxbot_task_restarts", "Supervised background tasks restarted after a crash",
                                     ["task"], registry=r)
        self.streams = Gauge("fxbot_streams", "Key streams by state", ["state"], registry=r)
        self.ready = Gauge("fxbot_ready", "1 when /readyz last said ready", registry=r)
        self.guard_incidents = Counter("fxbot_guard_incidents", "Account guard incidents: warnings, close-alls "
                                       "(and how they ended), refused orders", ["kind", "outcome"], registry=r)
        self.watchdog_incidents = Counter("fxbot_watchdog_incidents", "Watchdog incidents opened (told to the "
                                          "chats) and recovered, by kind", ["kind", "outcome"], registry=r)
        self._zero()

    def _zero(self) -> None:
        """Create the series of every closed set at 0, so rates and dashboards see them from the start."""
        for kind in STREAM_GAP_KINDS:
            self.gaps.labels(kind)
        for kind in ALERT_KINDS:
            self.alerts.labels(kind)
        for task in TASKS:
            self.task_restarts.labels(task)
        for state in STREAM_STATES:
            self.streams.labels(state)
        for kind, outcomes in GUARD_INCIDENTS.items():
            for outcome in outcomes:
                self.guard_incidents.labels(kind, outcome)
        for kind in WATCHDOG_KINDS:
            for outcome in WATCHDOG_OUTCOMES:
                self.watchdog_incidents.labels(kind, outcome)
        for platform in self._platform.values:
            self.outbox.labels(platform)
            self.retry_afters.labels(platform)
            self.retry_after_seconds.labels(platform)

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric."""
        return generate_latest(self.registry)

    # -- the dispatcher (fxbot.chat.dispatcher.CommandObserver) ---------------------------------

    def command_handled(self, command: str | None, outcome: str, seconds: float, *, confirmed: bool = False) -> None:
        name, result = self._command(command), self._outcome(outcome)
        if confirmed:
            self.confirmed.labels(name, result).inc()
            return
        self.commands.labels(name, result).inc()
        self.command_seconds.labels(name).observe(max(seconds, 0.0))

    # -- FxSocket requests (fxbot.ops.http_metrics) ---------------------------------------------

    def request_done(self, path: str, method: str, status: int | None, seconds: float) -> None:
        endpoint = endpoint_template(path)
        self.requests.labels(endpoint, method_label(method), "error" if status is None else status_label(status)).inc()
        self.request_seconds.labels(endpoint).observe(max(seconds, 0.0))
        if status == 429:
            self.rate_limited.labels(endpoint).inc()

    # -- the stream (fxbot.stream.observer.StreamObserver) ---------------------------------------

    def stream_reconnected(self) -> None:
        self.reconnects.inc()

    def stream_gap(self, kind: str) -> None:
        self.gaps.labels(self._gap(kind)).inc()

    def stream_session_failed(self) -> None:
        self.session_failures.inc()

    def quotes_evaluated(self, count: int = 1) -> None:
        self.quotes.inc(count)

    # -- alerts and delivery (fxbot.notify.failures.DeliveryObserver) ----------------------------

    def alert_fired(self, kind: str) -> None:
        self.alerts.labels(self._alert(kind)).inc()

    def delivered(self, platform: str, waited_s: Sequence[float]) -> None:
        histogram = self.delivery_seconds.labels(self._platform(platform))
        for seconds in waited_s:
            histogram.observe(max(seconds, 0.0))

    def retry_after(self, platform: str, seconds: float) -> None:
        label = self._platform(platform)
        self.retry_afters.labels(label).inc()
        self.retry_after_seconds.labels(label).inc(max(seconds, 0.0))

    def delivery_failed(self, platform: str, reason: str) -> None:
        self.delivery_failures.labels(self._platform(platform), reason if reason in DELIVERY_FAILURES else OTHER).inc()

    def task_restarted(self, task: str) -> None:
        self.task_restarts.labels(self._task(task)).inc()

    # -- the guard and the watchdog (their `on_incident` hooks) ----------------------------------

    def guard_incident(self, kind: str, outcome: str) -> None:
        outcomes = GUARD_INCIDENTS.get(kind)
        if outcomes is None:
            self.guard_incidents.labels(OTHER, OTHER).inc()
            return
        self.guard_incidents.labels(kind, outcome if outcome in outcomes else OTHER).inc()

    def watchdog_incident(self, kind: str, outcome: str) -> None:
        self.watchdog_incidents.labels(kind if kind in WATCHDOG_KINDS else OTHER,
                                       outcome if outcome in WATCHDOG_OUTCOMES else OTHER).inc()

    # -- state read at scrape time ---------------------------------------------------------------

    def set_outbox_depth(self, pending: Mapping[str, int]) -> None:
        """Pending outbox rows per platform (platforms not enabled are summed under "other")."""
        totals = dict.fromkeys(self._platform.values, 0)
        for platform, count in pending.items():
            label = self._platform(platform)
            totals[label] = totals.get(label, 0) + count
        for label, count in totals.items():
            self.outbox.labels(label).set(count)

    def set_streams(self, states: Mapping[str, int]) -> None:
        for state in STREAM_STATES:
            self.streams.labels(state).set(states.get(state, 0))
