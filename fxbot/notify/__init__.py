"""Notifier and per-chat outbox."""
