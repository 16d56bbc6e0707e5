"""Unit tests of the Telegram adapter's pure parts (rendering, buttons, menus, update translation)."""
