"""Unit tests of the platform-neutral chat core."""
