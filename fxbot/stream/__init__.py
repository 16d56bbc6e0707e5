"""The stream subsystem: one supervised broker stream per stored key, fan-out to alerts and fills, reconciliation.

`pump` (StreamPump) starts, supervises and stops one `session` (KeyStreamSession) per key bound to a
chat; each session opens its stream through the BrokerProvider (the backend its key's prefix picks),
feeds quotes and account updates to the alert engine and order events to `fills`, and after a gap
or lost events catches up over REST (`reconcile`). `config` holds the timings. Only the broker
port (fxbot.domain.broker) is spoken here, never a backend's wire models.
"""
