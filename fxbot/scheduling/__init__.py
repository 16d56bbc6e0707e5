"""Scheduled jobs (digests); schedules live in our own tables."""
