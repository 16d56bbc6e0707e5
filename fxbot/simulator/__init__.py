"""FxSocket simulator: market engine plus HTTP/WebSocket server (`fxbot sim`)."""
