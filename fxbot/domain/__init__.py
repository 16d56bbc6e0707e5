"""Pure data shared by the bot: instruments and their pip arithmetic (no I/O)."""
