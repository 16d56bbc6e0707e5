"""Cooperating fxbot processes on one PostgreSQL database: roles, leases, partitions, change notifications."""
