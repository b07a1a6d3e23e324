"""Test doubles and harnesses that ship with the core (for your tests and ours)."""

from floe_monitoring.testing.postgres import (
    PostgresUnavailableError,
    TemporaryPostgres,
    find_pg_bin,
)

__all__ = ["PostgresUnavailableError", "TemporaryPostgres", "find_pg_bin"]
