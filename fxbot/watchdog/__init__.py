"""The watchdog: notices when the pipe itself breaks (stream, REST, terminal, key, restart) and when it recovers."""
