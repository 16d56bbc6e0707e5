"""Telegram adapter tests against the fake Bot API."""
