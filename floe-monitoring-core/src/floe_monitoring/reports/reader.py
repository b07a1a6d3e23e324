"""Totals of one contract over any window: rollups for whole buckets, raw results at the edges.

`WindowReader.load` is told every window a report needs (the report window, each day of
its series, the burn-rate windows, the last 24 hours). It plans each one
(`floe_monitoring.reports.windows.plan_segments`) and reads what the plans name in a
handful of queries: one range of daily rollups, the hourly rollups of partial days, and
the raw results of partial hours. Raw results are read from one check interval before a
raw segment, so a status that began earlier counts for the part inside it. `totals`
then answers each window from memory. Sample data is never used. `WindowReader.prepare`
says what the retention tiers still cover, so a report can move window edges older than
a tier to whole hours or days (see `floe_monitoring.reports.windows`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from floe_monitoring.reports.targets import newest_targets_for_all
from floe_monitoring.reports.windows import Coverage, plan_segments
from floe_monitoring.store.database import Database
from floe_monitoring.store.retention import Horizons, read_horizons
from floe_monitoring.store.rollups import (
    BucketValues,
    Granularity,
    ResultPoint,
    RollupRepository,
    RollupTotals,
    accumulate,
    load_points,
    max_cap,
    schedule_intervals,
    schedule_intervals_by_contract,
    sum_values,
)

__all__ = ["SharedReads", "WindowReader"]

_STEP = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
Range = tuple[datetime, datetime]
_Bucket = tuple[str, datetime, str, BucketValues]  # contract_id, bucket_start, check_type


def _merge(ranges: Iterable[Range]) -> list[Range]:
    merged: list[Range] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _covers(ranges: list[Range], start: datetime, end: datetime) -> bool:
    return any(a <= start and end <= b for a, b in ranges)


class SharedReads:
    """The rows of every contract for the same windows, each read once.

    Reports for all contracts ask for the same windows; reading each window for every
    contract in one query, instead of a handful of queries per contract, is most of what
    a report of 1,000 contracts spends (benchmarks/, scenario 5). A `WindowReader` given
    one answers from here what it would otherwise read for its contract alone.

    Args:
        database: The state database.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self._series: dict[tuple[str, datetime, datetime], dict[str, list[_Bucket]]] = {}
        self._points: dict[Range, dict[str, list[ResultPoint]]] = {}
        self._intervals: dict[str, dict[str, float]] | None = None
        self._horizons: Horizons | None = None
        self._targets: dict[datetime, dict[str, float]] = {}

    async def availability_targets(self, until: datetime) -> dict[str, float]:
        """`floe_monitoring.reports.targets.newest_targets_for_all`."""
        if until not in self._targets:
            async with self.database.connect() as connection:
                self._targets[until] = await newest_targets_for_all(connection, until)
        return self._targets[until]

    async def horizons(self) -> Horizons:
        """`read_horizons`."""
        if self._horizons is None:
            async with self.database.connect() as connection:
                self._horizons = await read_horizons(connection)
        return self._horizons

    async def series(
        self, contract_id: str, granularity: Granularity, start: datetime, end: datetime
    ) -> list[_Bucket]:
        """``RollupRepository.bucket_values(contract_id, granularity, start, end)``."""
        key = (granularity, start, end)
        if key not in self._series:
            rows = await RollupRepository(self.database).bucket_values(
                None, granularity, start, end
            )
            grouped: dict[str, list[_Bucket]] = {}
            for row in rows:
                grouped.setdefault(row[0], []).append(row)
            self._series[key] = grouped
        return self._series[key].get(contract_id, [])

    async def intervals(self, contract_id: str) -> dict[str, float]:
        """``schedule_intervals(contract_id=contract_id)``."""
        if self._intervals is None:
            async with self.database.connect() as connection:
                self._intervals = await schedule_intervals_by_contract(connection)
        return self._intervals.get(contract_id, {})

    async def points(
        self, contract_id: str, since: datetime, start: datetime, end: datetime
    ) -> list[ResultPoint]:
        """``load_points(since=since, until=end, contract_id=contract_id)``.

        ``since`` is ``start`` less the contract's own look-back; the shared read looks
        back as far as the longest of any contract and each contract keeps its own part.
        """
        if (start, end) not in self._points:
            await self.intervals(contract_id)
            assert self._intervals is not None
            everyone = {k: v for by_key in self._intervals.values() for k, v in by_key.items()}
            async with self.database.connect() as connection:
                rows = await load_points(connection, since=start - max_cap(everyone), until=end)
            grouped: dict[str, list[ResultPoint]] = {}
            for point in rows:
                grouped.setdefault(point.contract_id, []).append(point)
            self._points[(start, end)] = grouped
        return [p for p in self._points[(start, end)].get(contract_id, []) if p.started_at >= since]


class WindowReader:
    """Loads and sums one contract's SLA data for a set of windows.

    Args:
        database: The state database.
        contract_id: The contract.
        shared: Reads shared with the readers of other contracts (reports for all).
    """

    def __init__(
        self, database: Database, contract_id: str, *, shared: SharedReads | None = None
    ) -> None:
        self.database = database
        self.contract_id = contract_id
        self._shared = shared
        self._buckets: dict[tuple[str, datetime], dict[str, BucketValues]] = {}
        self._loaded: dict[str, list[Range]] = {"raw": [], "hour": [], "day": []}
        self._points: list[ResultPoint] = []
        self._intervals: dict[str, float] = {}
        self._lookback = max_cap({})
        self._prepared = False
        self.coverage = Coverage()

    @property
    def check_types(self) -> set[str]:
        """Check types seen in anything loaded."""
        seen = {t for by_type in self._buckets.values() for t in by_type}
        return seen | {p.check_type for p in self._points}

    async def prepare(self) -> Coverage:
        """Read the contract's check intervals and the retention marks (once).

        Returns:
            What the stored tiers cover (`coverage`): the window edges reports state.
        """
        if self._prepared:
            return self.coverage
        if self._shared is not None:
            self._intervals = await self._shared.intervals(self.contract_id)
            horizons = await self._shared.horizons()
        else:
            async with self.database.connect() as connection:
                self._intervals = await schedule_intervals(connection, contract_id=self.contract_id)
                horizons = await read_horizons(connection)
        self._lookback = max_cap(self._intervals)
        self.coverage = Coverage(
            raw_from=None if horizons.raw is None else horizons.raw + self._lookback,
            hourly_from=horizons.hourly,
        )
        self._prepared = True
        return self.coverage

    async def load(self, windows: Iterable[Range]) -> None:
        """Read what `totals` needs to answer each of `windows`."""
        await self.prepare()
        wanted: dict[str, list[Range]] = {"raw": [], "hour": [], "day": []}
        for since, until in windows:
            for segment in plan_segments(since, until):
                wanted[segment.source].append((segment.start, segment.end))
        repository = RollupRepository(self.database)
        for granularity in ("day", "hour"):
            # One query for the days (they are contiguous); hours come in a few short runs.
            ranges = _merge(wanted[granularity])
            if granularity == "day" and ranges:
                ranges = [(ranges[0][0], ranges[-1][1])]
            for start, end in ranges:
                rows = (
                    await self._shared.series(self.contract_id, granularity, start, end)
                    if self._shared is not None
                    else await repository.bucket_values(self.contract_id, granularity, start, end)
                )
                for _, bucket_start, check_type, values in rows:
                    self._buckets.setdefault((granularity, bucket_start), {})[check_type] = values
            self._loaded[granularity] = _merge(self._loaded[granularity] + ranges)
        raw = _merge(wanted["raw"])
        if not raw:
            return
        if self._shared is not None:
            await self._load_shared_raw(self._shared, raw)
            return
        async with self.database.connect() as connection:
            seen = {p.order for p in self._points}
            for start, end in raw:
                for point in await load_points(
                    connection,
                    since=start - self._lookback,
                    until=end,
                    contract_id=self.contract_id,
                ):
                    if point.order not in seen:
                        seen.add(point.order)
                        self._points.append(point)
        self._loaded["raw"] = _merge(self._loaded["raw"] + raw)

    async def _load_shared_raw(self, shared: SharedReads, raw: list[Range]) -> None:
        """The raw part of `load`, from reads shared with other contracts."""
        seen = {p.order for p in self._points}
        for start, end in raw:
            for point in await shared.points(self.contract_id, start - self._lookback, start, end):
                if point.order not in seen:
                    seen.add(point.order)
                    self._points.append(point)
        self._loaded["raw"] = _merge(self._loaded["raw"] + raw)

    def totals(self, since: datetime, until: datetime) -> dict[str, RollupTotals]:
        """Totals per check type over ``[since, until)``.

        Raises:
            ValueError: If the window was not given to `load` first.

        """
        buckets: dict[str, list[BucketValues]] = {}
        raw: dict[str, RollupTotals] = {}
        for segment in plan_segments(since, until):
            if not _covers(self._loaded[segment.source], segment.start, segment.end):
                raise ValueError(f"window {since}..{until} was not loaded")
            if segment.source == "raw":
                self._add_raw(raw, segment.start, segment.end)
                continue
            step, cursor = _STEP[segment.source], segment.start
            while cursor < segment.end:
                for check_type, values in self._buckets.get((segment.source, cursor), {}).items():
                    buckets.setdefault(check_type, []).append(values)
                cursor += step
        # Whole buckets summed column by column, then the raw edges added.
        out = {check_type: sum_values(rows) for check_type, rows in buckets.items()}
        for check_type, totals in raw.items():
            out.setdefault(check_type, RollupTotals()).merge(totals)
        return out

    def _add_raw(self, out: dict[str, RollupTotals], start: datetime, end: datetime) -> None:
        earliest = start - self._lookback
        points = [p for p in self._points if earliest <= p.started_at < end]
        buckets = accumulate(points, self._intervals, start=start, end=end, granularities=("hour",))
        for (_, _, _, check_type), totals in buckets.items():
            out.setdefault(check_type, RollupTotals()).merge(totals)
