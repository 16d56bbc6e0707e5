"""Unit tests of the alert engine, rules, parser and fill notifications."""
