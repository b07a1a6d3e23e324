"""Report figures match a brute-force computation over raw results within 0.1%.

Random histories (several checks, every status, maintenance, ties, results written in
random cycles and out of order) go through the real store; the report, read from rollups
with raw edges, must agree with the oracle for any window. Rollups maintained
incrementally must also equal a rebuild from raw data.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from floe_monitoring.checks import CheckResult
from floe_monitoring.reports import SlaReport, build_report, build_reports_for_all
from floe_monitoring.store import CycleWrite, StateStore, StoredResult
from floe_monitoring.store.rollups import RollupRepository

Oracle = Callable[..., dict[str, dict[str, Any]]]
ResultFactory = Callable[..., CheckResult]
Register = Callable[..., Awaitable[None]]

T0 = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)
SPAN = 3 * 24 * 3600  # histories cover three days (and three midnights)
NOW = T0 + timedelta(days=7)  # after every window the strategies make
TOLERANCE = 0.001  # 0.1 percentage point: the specification's report error
CHECKS = [
    ("freshness", "orders"),
    ("freshness", "orders.updated_at"),
    ("availability", "orders"),
    ("quality", "orders"),
    ("schema_drift", "orders"),
]
_contracts = itertools.count()

result_specs = st.tuples(
    st.integers(0, len(CHECKS) - 1),
    # Coarse times on purpose: they make ties and hour-aligned results common.
    st.one_of(st.integers(0, SPAN // 60).map(lambda m: m * 60), st.integers(0, SPAN)),
    st.sampled_from(["pass", "pass", "pass", "warn", "fail", "fail", "error", "skipped"]),
    st.integers(0, 4).map(lambda i: i == 0),  # one result in five ran in maintenance
    st.one_of(st.none(), st.floats(0, 1e5, allow_nan=False)),
)
windows = st.tuples(st.integers(-3600, SPAN + 7200), st.integers(60, SPAN + 3600))


def _stored(
    make: ResultFactory, spec: tuple[int, int, str, bool, float | None], contract_id: str
) -> StoredResult:
    check, offset, status, maintenance, measured = spec
    check_type, element = CHECKS[check]
    result = make(
        check_type,
        status,
        T0 + timedelta(seconds=offset),
        contract_id=contract_id,
        element=element,
        measured=measured,
    )
    return StoredResult(result, in_maintenance=maintenance)


def compare(report: SlaReport, expected: dict[str, dict[str, Any]]) -> None:
    """Assert the report agrees with the oracle for every check type."""
    seen = {t.check_type: t for t in report.check_types}
    for check_type, figures in expected.items():
        counts = figures["counts"]
        if check_type not in seen:
            assert not any(counts.values())
            assert figures["observed"] == 0
            continue
        got = seen[check_type]
        if figures["compliance"] is None:
            assert got.compliance is None
        else:
            assert got.compliance is not None
            assert abs(got.compliance - figures["compliance"]) <= TOLERANCE
        assert got.counts.passed == counts["pass"]
        assert got.counts.warned == counts["warn"]
        assert got.counts.failed == counts["fail"]
        assert got.counts.errored == counts["error"]
        assert got.counts.skipped == counts["skipped"]
        assert got.counts.maintenance == counts["maintenance"]
        assert got.observed_seconds == pytest.approx(figures["observed"], abs=1e-3)
        assert got.good_seconds == pytest.approx(figures["good"], abs=1e-3)
        measured = figures["measured"]
        assert got.measured.count == len(measured)
        if measured:
            assert got.measured.min == min(measured)
            assert got.measured.max == max(measured)
            assert got.measured.avg == pytest.approx(sum(measured) / len(measured))


async def _snapshot(repository: RollupRepository, contract_id: str) -> dict[Any, Any]:
    rows = []
    for granularity in ("hour", "day"):
        rows += await repository.series(contract_id, None, granularity, T0 - timedelta(days=2), NOW)
    return {
        (r.granularity, r.bucket_start, r.check_type): r.totals.as_row()
        | {"measured_sum": round(r.totals.measured_sum, 6)}
        for r in rows
        if not r.totals.is_empty
    }


async def check_history(
    url: str,
    make: ResultFactory,
    oracle: Oracle,
    specs: list[tuple[int, int, str, bool, float | None]],
    cycle_sizes: list[int],
    windows: list[tuple[int, int]],
    contract_id: str,
) -> None:
    """Write `specs` in cycles, then compare reports for each window with the oracle."""
    store = StateStore(url)
    await store.open()
    try:
        stored = [_stored(make, spec, contract_id) for spec in specs]
        sizes = itertools.cycle(cycle_sizes)
        while stored:
            size = next(sizes)
            await store.write(CycleWrite(results=stored[:size]))
            stored = stored[size:]
        rows = await store.results(contract_id=contract_id, limit=None)
        for start, length in windows:
            since = T0 + timedelta(seconds=start)
            until = since + timedelta(seconds=length)
            report = await build_report(
                store, contract=contract_id, window="rolling-7d", since=since, until=until, now=NOW
            )
            assert (report.since, report.until) == (since, until)
            compare(report, oracle(rows, since=since, until=until))
        repository = RollupRepository(store.database)
        incremental = await _snapshot(repository, contract_id)
        await repository.rebuild(T0 - timedelta(days=1), T0 + timedelta(days=4))
        assert await _snapshot(repository, contract_id) == incremental
    finally:
        await store.close()


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite file for every example (each example writes its own contract)."""
    path: Path = tmp_path_factory.mktemp("reports") / "property.db"
    url = f"sqlite+aiosqlite:///{path}"

    async def migrate() -> None:
        store = StateStore(url)
        await store.open()
        await store.close()

    asyncio.run(migrate())
    return url


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # explain is slow here
)
@given(
    specs=st.lists(result_specs, min_size=1, max_size=60),
    order=st.randoms(use_true_random=False),
    cycle_sizes=st.lists(st.integers(1, 12), min_size=1, max_size=4),
    report_windows=st.lists(windows, min_size=1, max_size=3),
)
def test_reports_match_brute_force_over_raw_results(
    shared_db: str,
    result_factory: ResultFactory,
    oracle: Oracle,
    specs: list[tuple[int, int, str, bool, float | None]],
    order: random.Random,
    cycle_sizes: list[int],
    report_windows: list[tuple[int, int]],
) -> None:
    specs = sorted(specs, key=lambda s: s[1])
    # Mostly in time order, as the engine writes; shuffled runs model late writes.
    if order.random() < 0.5:
        order.shuffle(specs)
    contract_id = f"urn:prop:{next(_contracts)}"
    asyncio.run(
        check_history(
            shared_db, result_factory, oracle, specs, cycle_sizes, report_windows, contract_id
        )
    )
    assert specs


async def test_a_random_history_matches_brute_force_on_both_backends(
    state_url: str, result_factory: ResultFactory, oracle: Oracle
) -> None:
    rnd = random.Random(20260301)
    specs: list[tuple[int, int, str, bool, float | None]] = [
        (
            rnd.randrange(len(CHECKS)),
            rnd.randrange(SPAN),
            rnd.choice(["pass", "pass", "warn", "fail", "error", "skipped"]),
            rnd.random() < 0.1,
            rnd.choice([None, rnd.uniform(0, 100)]),
        )
        for _ in range(400)
    ]
    specs.sort(key=lambda s: s[1])
    late = specs[100:140]
    rnd.shuffle(late)  # a buffered backlog, written after newer results
    specs = specs[:100] + specs[140:] + late
    report_windows = [(0, SPAN), (5_000, 40_000), (-600, 90_061), (SPAN - 1_800, 900)]
    await check_history(
        state_url, result_factory, oracle, specs, [7, 25, 3], report_windows, "urn:prop:fixed"
    )


async def test_reports_for_all_equal_each_contracts_own_report(
    state_url: str, result_factory: ResultFactory, register: Register
) -> None:
    """The all-contract report reads every contract's rows at once: same figures."""
    rnd = random.Random(20261127)
    store = StateStore(state_url)
    await store.open()
    try:
        # Different schedules per contract: each reads raw edges as far back as its own
        # longest interval, though the shared read looks back as far as the longest of all.
        for n, interval in enumerate((60.0, 900.0, 7_200.0, None)):
            contract_id = f"urn:all:{n}"
            await register(store, contract_id, f"all{n}", now=T0)
            if interval is not None:
                await store.save_schedules(
                    [
                        {
                            "check_key": f"{contract_id}:{check_type}:{element}",
                            "contract_id": contract_id,
                            "check_type": check_type,
                            "element": element,
                            "interval_seconds": interval,
                            "next_due_at": NOW,
                        }
                        for check_type, element in CHECKS
                    ]
                )
            specs = [
                (
                    rnd.randrange(len(CHECKS)),
                    rnd.randrange(SPAN),
                    rnd.choice(["pass", "pass", "warn", "fail", "error", "skipped"]),
                    rnd.random() < 0.1,
                    rnd.choice([None, rnd.uniform(0, 100)]),
                )
                for _ in range(150)
            ]
            stored = [_stored(result_factory, spec, contract_id) for spec in specs]
            await store.write(CycleWrite(results=stored))
        # Windows with raw edges (partial hours) and partial days.
        since, until = T0 + timedelta(seconds=1_234), T0 + timedelta(days=2, seconds=5_678)
        every = await build_reports_for_all(
            store, window="rolling-7d", since=since, until=until, now=NOW
        )
        assert [r.contract_id for r in every] == [f"urn:all:{n}" for n in range(4)]
        for report in every:
            own = await build_report(
                store,
                contract=report.contract_id,
                window="rolling-7d",
                since=since,
                until=until,
                now=NOW,
            )
            assert report.model_dump() == own.model_dump()
            assert report.check_types  # something to compare
    finally:
        await store.close()
