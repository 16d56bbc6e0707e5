"""Reusable fakes of platform wire APIs for integration and e2e tests."""
