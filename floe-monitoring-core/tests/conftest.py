"""Shared fixtures of the core's tests."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from floe_monitoring import ContractViolationEvent
from floe_monitoring.testing import TemporaryPostgres

EventFactory = Callable[..., ContractViolationEvent]


def make_event(**overrides: Any) -> ContractViolationEvent:
    """A valid firing event; keyword arguments replace fields."""
    fields: dict[str, Any] = {
        "contract_name": "orders",
        "contract_version": "1.2.0",
        "violation_type": "freshness",
        "severity": "error",
        "message": "orders is 7h old (SLA 6h)",
        "element": "orders.updated_at",
        "expected_value": "PT6H",
        "actual_value": "PT7H",
        "timestamp": "2026-01-31T09:30:00Z",
        "affected_consumers": ["finance-dashboard"],
        "check_duration_seconds": 0.25,
        "contract_id": "urn:contract:orders",
        "domain": "sales",
        "owner": "team-orders",
    }
    fields.update(overrides)
    return ContractViolationEvent.model_validate(fields)


@pytest.fixture
def event_factory() -> EventFactory:
    """Build events with overrides: ``event_factory(severity="critical")``."""
    return make_event


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TemporaryPostgres]:
    """A private PostgreSQL server for the whole session (never skipped: CI provides it)."""
    with TemporaryPostgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgres"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The state database URL, once for SQLite and once for a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
    return new_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def postgres_url(postgres_server: TemporaryPostgres) -> str:
    """A fresh database on the session's PostgreSQL (for what only PostgreSQL can do)."""
    return new_database(postgres_server)


def new_database(server: TemporaryPostgres) -> str:
    """Create an empty database on `server` and return its URL."""
    name = f"t{uuid.uuid4().hex[:12]}"
    subprocess.run(
        [
            str(server.bin_dir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(server.port),
            "-U",
            server.user,
            name,
        ],
        check=True,
        capture_output=True,
    )
    return server.url(database=name)
