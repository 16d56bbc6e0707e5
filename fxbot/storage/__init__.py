"""Storage: aiosqlite database, numbered migrations, repositories, key encryption."""
