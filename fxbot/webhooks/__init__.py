"""Webhooks: an HTTP receiver that turns TradingView-style requests into chat commands run with the same checks."""
