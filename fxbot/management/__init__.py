"""Bot-managed stops: breakeven and trailing rules evaluated from the stream, stored in SQLite."""
