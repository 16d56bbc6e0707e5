"""fxbot: run MetaTrader 4/5 accounts from chat through the FxSocket API."""
