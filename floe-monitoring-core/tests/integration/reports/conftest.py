"""Fixtures of the SLA history tests: a real store, results to write, and a brute-force oracle.

The oracle computes compliance straight from raw result rows, written independently of
the rollup code, from the documented method: a time-based result's status holds until
the next result of its check, at most one interval (freshness 15 min, availability
5 min); error, skipped and maintenance are left out; event-based types count verdicts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from floe_monitoring.checks import CheckResult, CheckStatus, CheckType
from floe_monitoring.store import StateStore

INTERVALS = {"freshness": timedelta(minutes=15), "availability": timedelta(minutes=5)}

ResultFactory = Callable[..., CheckResult]
Oracle = Callable[..., dict[str, dict[str, Any]]]


def make_result(
    check_type: str,
    status: str,
    at: datetime,
    *,
    contract_id: str = "urn:orders",
    element: str | None = "orders",
    measured: float | None = None,
    details: dict[str, Any] | None = None,
) -> CheckResult:
    """A result of `contract_id`'s `check_type` check on `element`."""
    return CheckResult(
        contract_id=contract_id,
        contract_name="orders",
        contract_version="1.0.0",
        check_type=CheckType(check_type),
        element=element,
        status=CheckStatus(status),
        measured_value=measured,
        message=f"{check_type} {status}",
        details=details or {},
        started_at=at,
        duration_seconds=0.01,
    )


async def register_contract(
    store: StateStore,
    contract_id: str,
    name: str,
    *,
    now: datetime,
    document: dict[str, Any] | None = None,
    domain: str | None = None,
    owner: str | None = None,
) -> None:
    """Register a contract as the monitor does (version 1.0.0, no source file)."""
    await store.save_contract(
        contract_id=contract_id,
        name=name,
        version="1.0.0",
        domain=domain,
        owner=owner,
        source=None,
        document=document or {},
        now=now,
    )


@pytest.fixture(scope="session")
def register() -> Callable[..., Awaitable[None]]:
    """`register_contract`: ``await register(store, "urn:x", "x", now=T0)``."""
    return register_contract


@pytest.fixture(scope="session")
def result_factory() -> ResultFactory:
    """Build results: ``result_factory("freshness", "pass", at, measured=60.0)``."""
    return make_result


@pytest.fixture
async def store(state_url: str) -> AsyncIterator[StateStore]:
    """An opened state store, on SQLite and on PostgreSQL."""
    opened = StateStore(state_url)
    await opened.open()
    yield opened
    await opened.close()


def brute_force(
    rows: Sequence[dict[str, Any]],
    *,
    since: datetime,
    until: datetime,
    intervals: dict[str, timedelta] | None = None,
) -> dict[str, dict[str, Any]]:
    """Per check type: compliance, counts, seconds and measured values over ``[since, until)``."""
    by_check: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_check[row["check_key"]].append(row)
    out: dict[str, dict[str, Any]] = {}
    for key, results in by_check.items():
        results.sort(key=lambda r: (r["started_at"], r["id"]))
        for index, row in enumerate(results):
            kind = row["check_type"]
            figures = out.setdefault(
                kind,
                {"good": 0.0, "observed": 0.0, "counts": defaultdict(int), "measured": []},
            )
            inside = since <= row["started_at"] < until
            if inside:
                bucket = "maintenance" if row["in_maintenance"] else row["status"]
                figures["counts"][bucket] += 1
                if not row["in_maintenance"] and row["measured_value"] is not None:
                    figures["measured"].append(row["measured_value"])
            if kind not in INTERVALS or row["in_maintenance"]:
                continue
            end = row["started_at"] + (intervals or {}).get(key, INTERVALS[kind])
            if index + 1 < len(results):
                end = min(end, results[index + 1]["started_at"])
            seconds = (min(end, until) - max(row["started_at"], since)).total_seconds()
            if seconds > 0 and row["status"] in ("pass", "warn", "fail"):
                figures["observed"] += seconds
                if row["status"] != "fail":
                    figures["good"] += seconds
    for kind, figures in out.items():
        counts = figures["counts"]
        if kind in INTERVALS:
            good, total = figures["good"], figures["observed"]
        else:
            good, total = (
                counts["pass"] + counts["warn"],
                counts["pass"] + counts["warn"] + counts["fail"],
            )
        figures["compliance"] = good / total if total else None
    return out


@pytest.fixture(scope="session")
def oracle() -> Oracle:
    """The brute-force computation over raw rows (see the module docstring)."""
    return brute_force
