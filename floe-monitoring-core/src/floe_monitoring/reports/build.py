"""Build SLA reports from the state store: `build_report` and `build_reports_for_all`.

For one contract and window:

1. The contract is found by id, else by name (active contracts win a name clash), else
   by results carrying that id (a retired contract's history).
2. `floe_monitoring.reports.reader.WindowReader` loads, from rollups for whole buckets
   and raw results only for partial edges: the window; each UTC day of the series (the
   window, extended back to at least the 7 days before ``until`` so a daily report has a
   week to chart and trend on); each burn-rate window ending at ``until``; the 24 hours
   before ``until``.
3. Per check type with any result or time in the window: compliance and error budget
   (`.compliance`), burn rates and alerts (`.burn`), trend over the series (`.trend`).

Targets, per check type: the caller's `targets`, else (availability) the newest results'
``details.target`` (the ODCS target with overrides applied, the strictest when several
tables differ), else the contract document's ``availability`` SLA, else
`DEFAULT_TARGET`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from floe_monitoring.reports.burn import (
    DEFAULT_BURN_RULES,
    BurnRule,
    burn_alerts,
    burn_rate,
    window_label,
)
from floe_monitoring.reports.compliance import (
    compliance_method,
    error_budget_remaining,
    mean_compliance,
    tally,
)
from floe_monitoring.reports.errors import ReportError, UnknownContractError
from floe_monitoring.reports.model import (
    AvailabilityWindow24h,
    CheckTypeReport,
    DailyPoint,
    MeasuredStats,
    SlaReport,
    StatusCounts,
    TargetSource,
)
from floe_monitoring.reports.reader import SharedReads, WindowReader
from floe_monitoring.reports.targets import newest_target, target_from_document
from floe_monitoring.reports.trend import classify_trend
from floe_monitoring.reports.windows import ReportWindow, day_ranges, resolve_window
from floe_monitoring.store.rollups import RollupTotals
from floe_monitoring.store.schema import check_results, sla_rollups
from floe_monitoring.store.state_store import StateStore

__all__ = [
    "AVAILABILITY_WINDOW",
    "DEFAULT_TARGET",
    "SERIES_MIN_DAYS",
    "build_report",
    "build_reports_for_all",
]

#: The SLO target of a check type nobody gave one (a fraction).
DEFAULT_TARGET = 0.99

#: The daily series covers at least this many days before ``until``.
SERIES_MIN_DAYS = 7

#: Availability is judged against its target over this rolling window.
AVAILABILITY_WINDOW = timedelta(hours=24)

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class _Contract:
    contract_id: str
    name: str
    version: str | None
    document: Mapping[str, Any] | None


async def build_report(
    store: StateStore,
    *,
    contract: str,
    window: str,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    targets: Mapping[str, float] | None = None,
    default_target: float = DEFAULT_TARGET,
    burn_rules: Sequence[BurnRule] = DEFAULT_BURN_RULES,
) -> SlaReport:
    """The SLA report of one contract.

    Args:
        store: The state store (opened).
        contract: Contract id or name.
        window: ``daily``, ``weekly``, ``monthly`` or ``rolling-<N>d`` (see
            `floe_monitoring.reports.windows`).
        now: The current time (aware); nothing after it is reported.
        since: Start of the window (see the window rules).
        until: End of the window (default `now`).
        targets: SLO targets by check type (fractions), overriding all others.
        default_target: Target of check types without one.
        burn_rules: Multiwindow burn-rate rules.

    Raises:
        UnknownContractError: No such contract and no history of one.
        ReportError: Bad window, bounds or targets.

    """
    _check_targets(targets, default_target)
    resolved = resolve_window(window, now=now, since=since, until=until)
    found = await _find_contract(store, contract)
    return await _build(
        store,
        found,
        resolved,
        now=now,
        targets=targets or {},
        default_target=default_target,
        burn_rules=burn_rules,
    )


async def build_reports_for_all(
    store: StateStore,
    *,
    window: str,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    targets: Mapping[str, float] | None = None,
    default_target: float = DEFAULT_TARGET,
    burn_rules: Sequence[BurnRule] = DEFAULT_BURN_RULES,
    active_only: bool = True,
) -> list[SlaReport]:
    """The SLA report of every registered contract (active ones by default), by name.

    Arguments are those of `build_report`; `active_only` leaves retired contracts out.
    """
    _check_targets(targets, default_target)
    resolved = resolve_window(window, now=now, since=since, until=until)
    shared = SharedReads(store.database)  # every contract asks for the same windows
    reports = []
    for row in await store.contracts(active_only=active_only):
        found = _Contract(row["contract_id"], row["name"], row["version"], row["document"])
        reports.append(
            await _build(
                store,
                found,
                resolved,
                now=now,
                targets=targets or {},
                default_target=default_target,
                burn_rules=burn_rules,
                shared=shared,
            )
        )
    return reports


def _check_targets(targets: Mapping[str, float] | None, default_target: float) -> None:
    for name, value in {**(targets or {}), "default": default_target}.items():
        if not 0.0 < value <= 1.0:
            raise ReportError(f"target of {name} must be a fraction in (0, 1], got {value}")


async def _find_contract(store: StateStore, contract: str) -> _Contract:
    rows = await store.contracts(active_only=False)
    matches = [r for r in rows if r["contract_id"] == contract]
    if not matches:
        matches = [r for r in rows if r["name"] == contract]
        if len(matches) > 1:
            matches = [r for r in matches if r["active"]] or matches
        if len(matches) > 1:
            ids = ", ".join(sorted(r["contract_id"] for r in matches))
            raise ReportError(f"several contracts are named '{contract}' ({ids}): give an id")
    if matches:
        row = matches[0]
        return _Contract(row["contract_id"], row["name"], row["version"], row["document"])
    async with store.database.connect() as connection:
        for table in (check_results, sla_rollups):
            query = select(table.c.contract_id).where(table.c.contract_id == contract).limit(1)
            if (await connection.execute(query)).first() is not None:
                return _Contract(contract, contract, None, None)
    raise UnknownContractError(f"no contract with id or name '{contract}'")


async def _build(
    store: StateStore,
    contract: _Contract,
    window: ReportWindow,
    *,
    now: datetime,
    targets: Mapping[str, float],
    default_target: float,
    burn_rules: Sequence[BurnRule],
    shared: SharedReads | None = None,
) -> SlaReport:
    reader = WindowReader(store.database, contract.contract_id, shared=shared)
    coverage = await reader.prepare()
    # Edges past a retention tier fall on whole hours or days, and the report says so.
    # Burn-rate windows keep their length: a 5-minute rate read from an hour would lie.
    since, end = coverage.window(window.since, window.until)
    days = day_ranges(coverage.snap(min(since, end - SERIES_MIN_DAYS * _DAY)), end)
    burn_windows = sorted({w for r in burn_rules for w in (r.long_window, r.short_window)})
    await reader.load(
        [
            (since, end),
            *((start, stop) for _, start, stop in days),
            *((end - w, end) for w in burn_windows),
            (coverage.snap(end - AVAILABILITY_WINDOW), end),
        ]
    )
    in_window = {t: v for t, v in reader.totals(since, end).items() if not v.is_empty}
    daily = [(day, start, stop, reader.totals(start, stop)) for day, start, stop in days]
    burning = {w: reader.totals(end - w, end) for w in burn_windows}
    resolved_targets = await _targets(
        store, contract, sorted(in_window), end, targets, default_target, shared
    )

    reports = [
        _check_type_report(
            check_type,
            in_window[check_type],
            daily=[(day.date(), t.get(check_type, RollupTotals())) for day, _, _, t in daily],
            burning={w: t.get(check_type, RollupTotals()) for w, t in burning.items()},
            target=resolved_targets[check_type],
            burn_rules=burn_rules,
            contract_id=contract.contract_id,
        )
        for check_type in sorted(in_window)
    ]
    return SlaReport(
        contract_id=contract.contract_id,
        contract_name=contract.name,
        contract_version=contract.version,
        window=window.kind,
        window_label=window.label,
        since=since,
        until=end,
        generated_at=now,
        compliance=mean_compliance(r.compliance for r in reports),
        check_types=reports,
        availability_24h=_availability(reader, end, resolved_targets),
        series=[_point(day, start, stop, totals, in_window) for day, start, stop, totals in daily],
    )


def _check_type_report(
    check_type: str,
    totals: RollupTotals,
    *,
    daily: Sequence[tuple[date, RollupTotals]],
    burning: Mapping[timedelta, RollupTotals],
    target: tuple[float, TargetSource],
    burn_rules: Sequence[BurnRule],
    contract_id: str,
) -> CheckTypeReport:
    goal, source = target
    compliance = tally(check_type, totals).compliance
    trend = classify_trend([(day, tally(check_type, t).compliance) for day, t in daily])
    tallies = {w: tally(check_type, t) for w, t in burning.items()}
    return CheckTypeReport(
        check_type=check_type,
        method=compliance_method(check_type),
        compliance=compliance,
        target=goal,
        target_source=source,
        meets_target=None if compliance is None else compliance >= goal,
        counts=_counts(totals),
        violations=totals.fail_count,
        good_seconds=totals.good_seconds,
        observed_seconds=totals.observed_seconds,
        maintenance_seconds=totals.maintenance_seconds,
        measured=MeasuredStats(
            count=totals.measured_count,
            min=totals.measured_min,
            avg=totals.measured_avg,
            max=totals.measured_max,
        ),
        quality_score=totals.measured_avg if check_type == "quality" else None,
        trend=trend.trend,
        trend_slope_per_day=trend.slope_per_day,
        error_budget_remaining=error_budget_remaining(compliance, goal),
        burn_rates={window_label(w): burn_rate(t, goal) for w, t in tallies.items()},
        burn_alerts=burn_alerts(
            tallies,
            target=goal,
            rules=burn_rules,
            contract_id=contract_id,
            check_type=check_type,
        ),
    )


def _counts(totals: RollupTotals) -> StatusCounts:
    return StatusCounts(
        passed=totals.pass_count,
        warned=totals.warn_count,
        failed=totals.fail_count,
        errored=totals.error_count,
        skipped=totals.skipped_count,
        maintenance=totals.maintenance_count,
    )


def _point(
    day: datetime,
    start: datetime,
    stop: datetime,
    totals: Mapping[str, RollupTotals],
    check_types: Mapping[str, RollupTotals],
) -> DailyPoint:
    by_type = {t: tally(t, totals.get(t, RollupTotals())).compliance for t in sorted(check_types)}
    return DailyPoint(
        day=day.date(),
        since=start,
        until=stop,
        compliance=mean_compliance(by_type.values()),
        by_check_type=by_type,
    )


def _availability(
    reader: WindowReader, end: datetime, targets: Mapping[str, tuple[float, TargetSource]]
) -> AvailabilityWindow24h | None:
    since = reader.coverage.snap(end - AVAILABILITY_WINDOW)
    totals = reader.totals(since, end).get("availability")
    if totals is None or "availability" not in targets:
        return None
    compliance = tally("availability", totals).compliance
    target = targets["availability"][0]
    return AvailabilityWindow24h(
        since=since,
        until=end,
        compliance=compliance,
        target=target,
        meets_target=None if compliance is None else compliance >= target,
    )


async def _targets(
    store: StateStore,
    contract: _Contract,
    check_types: Sequence[str],
    until: datetime,
    explicit: Mapping[str, float],
    default_target: float,
    shared: SharedReads | None,
) -> dict[str, tuple[float, TargetSource]]:
    resolved: dict[str, tuple[float, TargetSource]] = {}
    for check_type in check_types:
        if check_type in explicit:
            resolved[check_type] = (explicit[check_type], "explicit")
        elif check_type == "availability":
            if shared is not None:
                from_results = (await shared.availability_targets(until)).get(contract.contract_id)
            else:
                async with store.database.connect() as connection:
                    from_results = await newest_target(connection, contract.contract_id, until)
            from_document = target_from_document(contract.document)
            if from_results is not None:
                resolved[check_type] = (from_results, "results")
            elif from_document is not None:
                resolved[check_type] = (from_document, "contract")
            else:
                resolved[check_type] = (default_target, "default")
        else:
            resolved[check_type] = (default_target, "default")
    return resolved
