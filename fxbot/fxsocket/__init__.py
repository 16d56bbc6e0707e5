"""FxSocket client library (REST + stream); imports nothing else from fxbot."""
