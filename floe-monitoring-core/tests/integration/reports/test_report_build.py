"""`build_report` on a known history, on SQLite and PostgreSQL: every figure by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from floe_monitoring.checks import CheckResult
from floe_monitoring.reports import (
    ReportError,
    SlaReport,
    Trend,
    UnknownContractError,
    WindowKind,
    build_report,
    build_reports_for_all,
)
from floe_monitoring.store import CycleWrite, StateStore, StoredResult
from floe_monitoring.store.retention import prune_raw_results, retention_job

ResultFactory = Callable[..., CheckResult]
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
TODAY = datetime(2026, 3, 18, tzinfo=UTC)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
DOCUMENT = {"slaProperties": [{"property": "av", "value": "99.5%"}]}


async def _register(store: StateStore, contract_id: str, name: str, **document: object) -> None:
    await store.save_contract(
        contract_id=contract_id,
        name=name,
        version="1.0.0",
        domain="sales",
        owner="team-orders",
        source=None,
        document=dict(document),
        now=TODAY - 30 * DAY,
    )


async def _write_today(store: StateStore, make: ResultFactory) -> None:
    """Freshness every 15 min, availability every 5 min, quality twice, since midnight."""
    results: list[StoredResult] = []
    for i in range(48):
        at = TODAY + i * 15 * MIN
        status = "fail" if 16 <= i < 20 else "pass"  # 04:00-05:00 stale
        age = 30_000.0 if status == "fail" else 600.0
        results.append(
            StoredResult(make("freshness", status, at, measured=age), in_maintenance=i == 32)
        )
    for i in range(144):
        at = TODAY + i * 5 * MIN
        status = "fail" if i >= 138 else "error" if i == 72 else "pass"  # 11:30 on: down
        results.append(StoredResult(make("availability", status, at, details={"target": 0.999})))
    results.append(StoredResult(make("quality", "pass", TODAY, measured=0.98)))
    results.append(StoredResult(make("quality", "fail", TODAY + 6 * HOUR, measured=0.70)))
    results.append(StoredResult(make("quality", "pass", TODAY - 12 * HOUR, measured=1.0)))
    results.sort(key=lambda s: s.result.started_at)
    for start in range(0, len(results), 20):
        await store.write(CycleWrite(results=results[start : start + 20]))


async def test_a_daily_report_from_the_real_store(
    store: StateStore, result_factory: ResultFactory
) -> None:
    await _register(store, "urn:orders", "orders", **DOCUMENT)
    await _write_today(store, result_factory)
    report = await build_report(store, contract="orders", window="daily", now=NOW)
    assert (report.contract_id, report.contract_name, report.contract_version) == (
        "urn:orders",
        "orders",
        "1.0.0",
    )
    assert (report.window, report.window_label, report.since, report.until) == (
        WindowKind.DAILY,
        "daily",
        TODAY,
        NOW,
    )
    by_type = {t.check_type: t for t in report.check_types}
    assert list(by_type) == ["availability", "freshness", "quality"]

    freshness = by_type["freshness"]
    assert freshness.method == "time"
    assert freshness.observed_seconds == 12 * 3600 - 15 * 60  # maintenance excluded
    assert freshness.good_seconds == 11 * 3600 - 15 * 60
    assert freshness.compliance == pytest.approx(38_700 / 42_300)
    assert (freshness.counts.passed, freshness.counts.failed) == (43, 4)
    assert freshness.counts.maintenance == 1
    assert freshness.maintenance_seconds == 900.0
    assert freshness.violations == 4
    assert (freshness.measured.min, freshness.measured.max) == (600.0, 30_000.0)
    assert (freshness.target, freshness.target_source) == (0.99, "default")
    assert freshness.meets_target is False

    quality = by_type["quality"]
    assert quality.method == "event"
    assert quality.compliance == pytest.approx(0.5)
    assert quality.quality_score == pytest.approx(0.84)
    assert quality.error_budget_remaining == pytest.approx(1 - 0.5 / 0.01)
    # Checked too rarely for the page rules' short windows: only the ticket rule can fire.
    assert [a.level for a in quality.burn_alerts] == ["ticket"]
    assert quality.burn_rates["5m"] is None

    availability = by_type["availability"]
    assert availability.compliance == pytest.approx(41_100 / 42_900)
    assert (availability.counts.passed, availability.counts.failed) == (137, 6)
    assert availability.counts.errored == 1
    assert (availability.target, availability.target_source) == (0.999, "results")
    assert availability.burn_rates["5m"] == pytest.approx(1_000.0)
    assert availability.burn_rates["1h"] == pytest.approx(500.0)
    assert availability.burn_rates["6h"] == pytest.approx(1_800 / 21_300 / 0.001)
    assert availability.burn_rates["3d"] == pytest.approx(1_800 / 42_900 / 0.001)
    levels = [(a.level, a.long_window, a.short_window) for a in availability.burn_alerts]
    assert levels == [
        ("page", HOUR, 5 * MIN),
        ("page", 6 * HOUR, 30 * MIN),
        ("ticket", 3 * DAY, 6 * HOUR),
    ]
    assert availability.burn_alerts[0].contract_id == "urn:orders"

    assert report.compliance == pytest.approx((38_700 / 42_300 + 41_100 / 42_900 + 0.5) / 3)
    assert report.availability_24h is not None
    assert report.availability_24h.compliance == pytest.approx(41_100 / 42_900)
    assert report.availability_24h.meets_target is False

    assert len(report.series) == 8  # at least a week before `until`
    assert report.series[0].since == NOW - 7 * DAY
    today, yesterday = report.series[-1], report.series[-2]
    assert today.by_check_type == {t: by_type[t].compliance for t in by_type}
    assert yesterday.by_check_type == {"availability": None, "freshness": None, "quality": 1.0}
    assert yesterday.compliance == 1.0
    assert {t.trend for t in report.check_types} == {Trend.STABLE}
    assert SlaReport.model_validate_json(report.model_dump_json()) == report


async def test_whole_buckets_come_from_rollups_not_raw_results(
    store: StateStore, result_factory: ResultFactory
) -> None:
    await _register(store, "urn:orders", "orders")
    for day in range(7):
        start = TODAY - (6 - day) * DAY
        failures = day * 4  # one more hour down each day
        results = [
            StoredResult(
                result_factory(
                    "availability", "fail" if i < failures else "pass", start + i * 15 * MIN
                )
            )
            for i in range(96)
        ]
        await store.write(CycleWrite(results=results))
    targets = {"availability": 0.99}
    before = await build_report(
        store, contract="urn:orders", window="weekly", now=NOW, targets=targets
    )
    (availability,) = before.check_types
    assert availability.trend is Trend.DEGRADING
    assert availability.trend_slope_per_day is not None
    assert availability.trend_slope_per_day < 0
    assert availability.target_source == "explicit"
    # The window starts on Monday at 00:00 and ends at 12:00: all whole hours and days.
    await prune_raw_results(store.database, older_than=NOW + DAY)
    assert await store.results(limit=None) == []
    after = await build_report(
        store, contract="urn:orders", window="weekly", now=NOW, targets=targets
    )
    # Everything but the sub-hour burn windows (raw by nature) is read from rollups.
    (pruned,) = after.check_types
    assert (after.compliance, after.series) == (before.compliance, before.series)
    assert pruned.model_dump(exclude={"burn_rates", "burn_alerts"}) == availability.model_dump(
        exclude={"burn_rates", "burn_alerts"}
    )
    assert pruned.burn_rates["1h"] == availability.burn_rates["1h"]
    assert pruned.burn_rates["5m"] is None


async def test_edges_past_a_retention_tier_fall_on_whole_hours_and_days(
    store: StateStore, result_factory: ResultFactory
) -> None:
    await _register(store, "urn:orders", "orders")
    now = NOW + 34 * MIN  # 12:34: no window edge is on a bucket boundary
    results = [
        StoredResult(
            result_factory("availability", "fail" if i % 7 == 0 else "pass", now - i * 10 * MIN)
        )
        for i in range(1, 12 * 24 * 6)  # 12 days, every 10 minutes
    ]
    await store.write(CycleWrite(results=results))
    targets = {"availability": 0.99}

    async def report(window: str, since: datetime | None = None) -> SlaReport:
        return await build_report(
            store, contract="urn:orders", window=window, now=now, since=since, targets=targets
        )

    # What the reports will cover once the job has run: rolling-7d from the hour (raw
    # results are kept 3 days), rolling-10d from the day (hourly rollups 8 days).
    seven, ten = now - 7 * DAY, now - 10 * DAY
    expected = {
        "rolling-7d": await report("rolling-7d", since=seven.replace(minute=0)),
        "rolling-10d": await report("rolling-10d", since=ten.replace(hour=0, minute=0)),
    }
    exact = await report("rolling-7d")
    assert exact.since == seven  # nothing pruned yet: no snapping
    counts = await retention_job(store.database, now=now)
    assert counts.raw_results > 0
    assert counts.hourly_rollups > 0

    for window, wanted in expected.items():
        got = await report(window)
        assert (got.since, got.until) == (wanted.since, wanted.until)
        assert got.compliance == wanted.compliance
        assert got.series == wanted.series
        (mine,) = got.check_types
        (theirs,) = wanted.check_types
        # Burn-rate windows keep their length (never stretched to a bucket).
        assert mine.model_dump(exclude={"burn_rates", "burn_alerts"}) == theirs.model_dump(
            exclude={"burn_rates", "burn_alerts"}
        )
        assert mine.burn_rates["1h"] == theirs.burn_rates["1h"]
    assert (await report("rolling-7d")).since != exact.since


async def test_availability_targets_are_the_newest_results_strictest(
    store: StateStore, result_factory: ResultFactory
) -> None:
    """Each check's newest result says the target; reports for all read them in one go."""
    history: dict[str, list[tuple[str, object]]] = {
        # (element, target) oldest first, one result every 10 minutes
        "urn:a": [("orders", 0.9), ("orders", 0.999), ("items", 0.995)],
        "urn:b": [("orders", 0.99), ("orders", None)],  # the newest states none
        "urn:c": [("orders", 0.98), ("orders", 1.5)],  # the newest is out of range
    }
    expected = {
        "urn:a": (0.999, "results"),
        "urn:b": (0.995, "contract"),  # DOCUMENT's availability SLA
        "urn:c": (0.99, "default"),
    }
    for contract_id, results in history.items():
        document = {} if contract_id == "urn:c" else DOCUMENT  # c states no SLA
        await _register(store, contract_id, contract_id.removeprefix("urn:"), **document)
        stored = [
            StoredResult(
                result_factory(
                    "availability",
                    "pass",
                    NOW - HOUR + i * 10 * MIN,
                    contract_id=contract_id,
                    element=element,
                    details={} if target is None else {"target": target},
                )
            )
            for i, (element, target) in enumerate(results)
        ]
        await store.write(CycleWrite(results=stored))
    every = await build_reports_for_all(store, window="daily", now=NOW)
    assert {r.contract_id for r in every} == set(expected)
    for report in every:
        (availability,) = report.check_types
        own = await build_report(store, contract=report.contract_id, window="daily", now=NOW)
        assert (availability.target, availability.target_source) == expected[report.contract_id]
        assert own.model_dump() == report.model_dump()


async def test_contracts_are_found_by_id_name_or_history(
    store: StateStore, result_factory: ResultFactory
) -> None:
    await _register(store, "urn:orders", "orders", **DOCUMENT)
    await store.write(
        CycleWrite(results=[StoredResult(result_factory("availability", "pass", TODAY))])
    )
    by_id = await build_report(store, contract="urn:orders", window="daily", now=NOW)
    by_name = await build_report(store, contract="orders", window="daily", now=NOW)
    assert by_id == by_name
    (availability,) = by_id.check_types
    assert (availability.target, availability.target_source) == (0.995, "contract")
    await store.write(
        CycleWrite(
            results=[
                StoredResult(
                    result_factory("quality", "pass", TODAY, contract_id="urn:retired-long-ago")
                )
            ]
        )
    )
    unregistered = await build_report(
        store, contract="urn:retired-long-ago", window="daily", now=NOW
    )
    assert unregistered.contract_name == "urn:retired-long-ago"
    assert unregistered.availability_24h is None
    with pytest.raises(UnknownContractError, match="nobody"):
        await build_report(store, contract="nobody", window="daily", now=NOW)


async def test_ambiguous_names_and_bad_targets_are_refused(store: StateStore) -> None:
    await _register(store, "urn:orders:v1", "orders")
    await _register(store, "urn:orders:v2", "orders")
    with pytest.raises(ReportError, match="several contracts"):
        await build_report(store, contract="orders", window="daily", now=NOW)
    await store.retire_contract("urn:orders:v1", now=NOW)
    report = await build_report(store, contract="orders", window="daily", now=NOW)
    assert report.contract_id == "urn:orders:v2"
    assert report.check_types == []
    assert report.compliance is None
    with pytest.raises(ReportError, match="target"):
        await build_report(
            store, contract="orders", window="daily", now=NOW, targets={"quality": 99.0}
        )
    with pytest.raises(ReportError, match="window"):
        await build_report(store, contract="orders", window="yearly", now=NOW)


async def test_reports_for_every_active_contract(
    store: StateStore, result_factory: ResultFactory
) -> None:
    await _register(store, "urn:orders", "orders")
    await _register(store, "urn:customers", "customers")
    await _register(store, "urn:old", "old")
    await store.retire_contract("urn:old", now=NOW)
    await store.write(
        CycleWrite(
            results=[
                StoredResult(result_factory("quality", "pass", NOW - HOUR)),
                StoredResult(
                    result_factory("quality", "fail", NOW - HOUR, contract_id="urn:customers")
                ),
            ]
        )
    )
    reports = await build_reports_for_all(store, window="rolling-7d", now=NOW)
    assert [(r.contract_name, r.compliance) for r in reports] == [
        ("customers", 0.0),
        ("orders", 1.0),
    ]
    assert {r.window_label for r in reports} == {"rolling-7d"}
    everything = await build_reports_for_all(store, window="rolling-7d", now=NOW, active_only=False)
    assert [r.contract_name for r in everything] == ["customers", "old", "orders"]
