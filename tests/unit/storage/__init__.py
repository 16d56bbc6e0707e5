"""Unit tests for fxbot.storage pure functions."""
