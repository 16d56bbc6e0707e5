"""Broker backends: each implements the core's broker port (fxbot.domain.broker) over one FxSocket API.

`v1` wraps the `fxbot.fxsocket` library (the public `/v1` API, `sk_` keys); its wire models and
errors become port types in `v1_mapping` only. A backend is registered in
`fxbot.domain.broker.BrokerBackends` by the composition root, never imported by commands or services.
"""
