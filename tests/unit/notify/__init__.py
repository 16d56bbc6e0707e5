"""Unit tests of fxbot.notify (pacing maths, composer, notification values)."""
