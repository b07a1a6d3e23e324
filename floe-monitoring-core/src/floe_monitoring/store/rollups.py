"""SLA rollups: hourly and daily totals per contract and check type.

Raw results are pruned after days, hourly rollups after about a week, daily rollups never
(`floe_monitoring.store.retention`); these totals are what SLA history and reports are
made of. Every bucket is a UTC hour or a UTC day.

What a bucket holds:

- **Counts.** Each result counts once, in the hour and the day of its ``started_at``: by
  status (pass, warn, fail, error, skipped), or, when it ran in a maintenance window, only
  as ``maintenance`` (maintenance is excluded from SLA compliance, so it is not counted
  twice).
- **Measured values** of results outside maintenance: count, sum, min and max (the average
  is sum / count). For quality checks the measured value is the weighted quality score,
  so these are the quality score's figures.
- **Time in SLA** (time-based check types only: freshness and availability). A result's
  status holds from its start until the next result of the same check, for at most the
  check's interval (``schedules.interval_seconds``, else the check type's default). A
  missed run or a monitor that was down therefore leaves time *unobserved* instead of
  guessed, and the last result of a check holds for one interval. Pass and warn time is
  ``good``; pass, warn and fail time is ``observed``; error and skipped time is neither
  (the monitor could not tell); the time of a result in maintenance is ``maintenance``
  only. A span crossing an hour or a day boundary is split between the buckets. Results
  of one check are ordered by ``(started_at, id)``. Durations are integer microseconds,
  so incremental maintenance and a rebuild agree exactly.

Incremental maintenance (`RollupRepository.apply`) runs inside `write_cycle`'s transaction,
before the new results are inserted. Everything is a delta added with ``INSERT ... ON
CONFLICT DO UPDATE SET x = table.x + excluded.x`` (min/max with LEAST/GREATEST, SQLite's
two-argument MIN/MAX), the same statement on SQLite and PostgreSQL; additions commute, so
concurrent writers never lose an update, and rows are written in key order so they cannot
deadlock. A new result shortens its predecessor's span: the spans of the neighbourhood
(one interval before the earliest new result, up to the first result after the newest)
are computed without and with the new results, and the difference is added (negative
where a span shrank). Results written late or out of order are handled the same way.
This assumes one writer per check at a time (the scheduler's lease guarantees it);
`RollupRepository.rebuild` repairs anything else.

A rebuild recomputes whole UTC days from raw results, one short transaction per day.
Days whose raw results may have been pruned (see `RAW_PRUNED_MARK`) are left alone: their
rollups are the only record left. Check intervals are read when the rollups are written;
a rebuild uses the intervals configured at rebuild time.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from floe_monitoring.scheduling.spec import default_interval
from floe_monitoring.store.database import Database
from floe_monitoring.store.schema import check_results, job_marks, schedules, sla_rollups

if TYPE_CHECKING:  # cycle.py calls into this module
    from floe_monitoring.store.cycle import StoredResult

__all__ = [
    "GRANULARITIES",
    "HOURLY_PRUNED_MARK",
    "RAW_PRUNED_MARK",
    "TIME_BASED_CHECK_TYPES",
    "BucketKey",
    "BucketValues",
    "Granularity",
    "ResultPoint",
    "RollupRepository",
    "RollupRow",
    "RollupTotals",
    "accumulate",
    "bucket_floor",
    "check_caps",
    "load_points",
    "max_cap",
    "schedule_intervals",
    "schedule_intervals_by_contract",
    "sum_values",
]

Granularity = Literal["hour", "day"]

#: Both rollup granularities, finest first.
GRANULARITIES: tuple[Granularity, ...] = ("hour", "day")

#: Check types whose compliance is the share of time in SLA (the others count results).
TIME_BASED_CHECK_TYPES = frozenset({"freshness", "availability"})

#: `job_marks` name: raw results older than this mark may have been pruned.
RAW_PRUNED_MARK = "raw_results_pruned_before"

#: `job_marks` name: hourly rollups of days before this mark may have been pruned.
HOURLY_PRUNED_MARK = "hourly_rollups_pruned_before"

_STEP: dict[str, timedelta] = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
_DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_GOOD = frozenset({"pass", "warn"})
_OBSERVED = frozenset({"pass", "warn", "fail"})
_STATUS_COUNTS = {
    "pass": "pass_count",
    "warn": "warn_count",
    "fail": "fail_count",
    "error": "error_count",
    "skipped": "skipped_count",
}
_ADDITIVE = (
    "pass_count",
    "warn_count",
    "fail_count",
    "error_count",
    "skipped_count",
    "maintenance_count",
    "good_us",
    "observed_us",
    "maintenance_us",
    "measured_count",
    "measured_sum",
)
_KEY_COLUMNS = ("contract_id", "granularity", "bucket_start", "check_type")

#: A rollup bucket: (contract_id, granularity, bucket_start, check_type), the table's key.
BucketKey = tuple[str, str, datetime, str]


def bucket_floor(moment: datetime, granularity: str) -> datetime:
    """The start of the UTC hour or day holding `moment`."""
    step = _STEP[granularity]
    return moment - (moment - _EPOCH) % step


@dataclass
class RollupTotals:
    """What one bucket (or a sum of buckets) holds; see the module docstring."""

    pass_count: int = 0
    warn_count: int = 0
    fail_count: int = 0
    error_count: int = 0
    skipped_count: int = 0
    maintenance_count: int = 0
    good_us: int = 0
    observed_us: int = 0
    maintenance_us: int = 0
    measured_count: int = 0
    measured_sum: float = 0.0
    measured_min: float | None = None
    measured_max: float | None = None

    @property
    def good_seconds(self) -> float:
        """Time in SLA (time-based check types)."""
        return self.good_us / 1_000_000

    @property
    def observed_seconds(self) -> float:
        """Time with a pass, warn or fail verdict (time-based check types)."""
        return self.observed_us / 1_000_000

    @property
    def maintenance_seconds(self) -> float:
        """Time covered by results run in maintenance (time-based check types)."""
        return self.maintenance_us / 1_000_000

    @property
    def evaluated_count(self) -> int:
        """Results with a verdict outside maintenance: pass, warn and fail."""
        return self.pass_count + self.warn_count + self.fail_count

    @property
    def result_count(self) -> int:
        """Every result, maintenance included."""
        return self.evaluated_count + self.error_count + self.skipped_count + self.maintenance_count

    @property
    def measured_avg(self) -> float | None:
        """Average measured value, None without measurements."""
        return self.measured_sum / self.measured_count if self.measured_count else None

    @property
    def is_empty(self) -> bool:
        """True when nothing was added (or every delta cancelled out)."""
        return all(getattr(self, name) == 0 for name in _ADDITIVE) and (
            self.measured_min is None and self.measured_max is None
        )

    def add_result(self, status: str, in_maintenance: bool, measured: float | None) -> None:
        """Count one result (its measured value too, outside maintenance)."""
        if in_maintenance:
            self.maintenance_count += 1
            return
        name = _STATUS_COUNTS.get(status)
        if name is not None:
            setattr(self, name, getattr(self, name) + 1)
        if measured is not None:
            self.measured_count += 1
            self.measured_sum += measured
            self.measured_min = (
                measured if self.measured_min is None else min(self.measured_min, measured)
            )
            self.measured_max = (
                measured if self.measured_max is None else max(self.measured_max, measured)
            )

    def add_span(self, status: str, in_maintenance: bool, microseconds: int) -> None:
        """Add (or, negative, remove) time during which a result's status held."""
        if in_maintenance:
            self.maintenance_us += microseconds
            return
        if status in _OBSERVED:
            self.observed_us += microseconds
            if status in _GOOD:
                self.good_us += microseconds

    def merge(self, other: RollupTotals) -> None:
        """Add another bucket's totals to these."""
        # Spelled out (the fields of `_ADDITIVE`): reports merge thousands of buckets.
        self.pass_count += other.pass_count
        self.warn_count += other.warn_count
        self.fail_count += other.fail_count
        self.error_count += other.error_count
        self.skipped_count += other.skipped_count
        self.maintenance_count += other.maintenance_count
        self.good_us += other.good_us
        self.observed_us += other.observed_us
        self.maintenance_us += other.maintenance_us
        self.measured_count += other.measured_count
        self.measured_sum += other.measured_sum
        self.measured_min = _pick(min, self.measured_min, other.measured_min)
        self.measured_max = _pick(max, self.measured_max, other.measured_max)

    def as_row(self) -> dict[str, Any]:
        """The non-key columns of a `sla_rollups` row."""
        return {name: getattr(self, name) for name in _TOTAL_FIELDS}

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> RollupTotals:
        """Totals from a `sla_rollups` row (extra columns are ignored)."""
        return cls(**{name: row[name] for name in _TOTAL_FIELDS})


# Looked up once: `dataclasses.fields` per row showed in the write path's profile.
_TOTAL_FIELDS = tuple(f.name for f in fields(RollupTotals))


#: A stored bucket's totals as a tuple in `RollupTotals` field order (`sum_values`).
BucketValues = tuple[Any, ...]

_ADDITIVE_COUNT = len(_ADDITIVE)


def sum_values(rows: Sequence[BucketValues]) -> RollupTotals:
    """The totals of buckets given as `BucketValues`, summed column by column.

    Reports add up hundreds of thousands of buckets: summing columns in C is a fraction
    of merging `RollupTotals` one by one (benchmarks/, scenario 5).
    """
    if not rows:
        return RollupTotals()
    columns = list(zip(*rows, strict=True))
    lows = [v for v in columns[_ADDITIVE_COUNT] if v is not None]
    highs = [v for v in columns[_ADDITIVE_COUNT + 1] if v is not None]
    values: list[Any] = [sum(column) for column in columns[:_ADDITIVE_COUNT]]
    values += [min(lows) if lows else None, max(highs) if highs else None]
    return RollupTotals(*values)


def _pick(choose: Any, a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return float(choose(a, b))


@dataclass(frozen=True)
class RollupRow:
    """One stored bucket."""

    contract_id: str
    check_type: str
    granularity: Granularity
    bucket_start: datetime
    totals: RollupTotals

    @property
    def bucket_end(self) -> datetime:
        """The end of the bucket (exclusive)."""
        return self.bucket_start + _STEP[self.granularity]


class ResultPoint(NamedTuple):
    """The part of a result that rollups need.

    ``order`` breaks ties of ``started_at`` the way the database does: stored rows are
    ``(0, id)``, rows about to be inserted ``(1, position in the batch)`` (they get larger ids).
    """

    check_key: str
    contract_id: str
    check_type: str
    status: str
    in_maintenance: bool
    measured_value: float | None
    started_at: datetime
    order: tuple[int, int]

    @property
    def sort_key(self) -> tuple[datetime, tuple[int, int]]:
        """The order of results within one check."""
        return (self.started_at, self.order)


def _ceil_day(moment: datetime) -> datetime:
    floor = bucket_floor(moment, "day")
    return floor if floor == moment else floor + _DAY


def _us(delta: timedelta) -> int:
    return delta // _MICROSECOND


def _add_span(
    into: dict[BucketKey, RollupTotals],
    point: ResultPoint,
    start: datetime,
    end: datetime,
    granularities: Sequence[str],
    sign: int,
) -> None:
    """Split ``[start, end)`` over the buckets it crosses."""
    for granularity in granularities:
        step = _STEP[granularity]
        cursor = start
        while cursor < end:
            bucket = bucket_floor(cursor, granularity)
            stop = min(end, bucket + step)
            key = (point.contract_id, granularity, bucket, point.check_type)
            totals = into.get(key)
            if totals is None:
                totals = into[key] = RollupTotals()
            totals.add_span(point.status, point.in_maintenance, sign * _us(stop - cursor))
            cursor = stop


def _spans(
    points: Sequence[ResultPoint], cap: timedelta
) -> Iterable[tuple[ResultPoint, datetime, datetime]]:
    """(point, start, end) of each point of one check, `points` sorted by `sort_key`."""
    for index, point in enumerate(points):
        end = point.started_at + cap
        if index + 1 < len(points):
            end = min(end, points[index + 1].started_at)
        yield point, point.started_at, end


def _by_check(points: Iterable[ResultPoint]) -> dict[str, list[ResultPoint]]:
    grouped: dict[str, list[ResultPoint]] = defaultdict(list)
    for point in points:
        grouped[point.check_key].append(point)
    for group in grouped.values():
        group.sort(key=lambda p: p.sort_key)
    return grouped


def check_caps(
    points: Iterable[ResultPoint], intervals: Mapping[str, float]
) -> dict[str, timedelta]:
    """How long each check's result holds: its scheduled interval, else the type's default."""
    caps: dict[str, timedelta] = {}
    for point in points:
        if point.check_key not in caps:
            seconds = intervals.get(point.check_key)
            caps[point.check_key] = (
                timedelta(seconds=seconds) if seconds else default_interval(point.check_type)
            )
    return caps


def max_cap(intervals: Mapping[str, float]) -> timedelta:
    """The longest time a result of a time-based check can hold (how far to look back)."""
    longest = max(default_interval(t) for t in TIME_BASED_CHECK_TYPES)
    return max([longest, *(timedelta(seconds=s) for s in intervals.values() if s)])


def accumulate(
    points: Iterable[ResultPoint],
    intervals: Mapping[str, float],
    *,
    start: datetime,
    end: datetime,
    granularities: Sequence[str] = GRANULARITIES,
) -> dict[BucketKey, RollupTotals]:
    """The buckets' totals of ``[start, end)`` computed from raw results.

    Results starting in ``[start, end)`` are counted; spans are clipped to the range. For
    exact spans give every result of the range's checks from ``start - max_cap(intervals)``
    on (later results do no harm).

    Args:
        points: Raw results (any order, any checks).
        intervals: Scheduled interval in seconds by check key (missing: type default).
        start: Start of the range (inclusive).
        end: End of the range (exclusive).
        granularities: Which buckets to fill.

    """
    into: dict[BucketKey, RollupTotals] = {}
    grouped = _by_check(points)
    for group in grouped.values():
        for point in group:
            if start <= point.started_at < end:
                for granularity in granularities:
                    key = (
                        point.contract_id,
                        granularity,
                        bucket_floor(point.started_at, granularity),
                        point.check_type,
                    )
                    into.setdefault(key, RollupTotals()).add_result(
                        point.status, point.in_maintenance, point.measured_value
                    )
    caps = check_caps((g[0] for g in grouped.values()), intervals)
    for check_key, group in grouped.items():
        if group[0].check_type not in TIME_BASED_CHECK_TYPES:
            continue
        for point, span_start, span_end in _spans(group, caps[check_key]):
            clipped_start, clipped_end = max(span_start, start), min(span_end, end)
            if clipped_start < clipped_end:
                _add_span(into, point, clipped_start, clipped_end, granularities, 1)
    return into


def _point(row: Mapping[Any, Any]) -> ResultPoint:
    return ResultPoint(
        row["check_key"],
        row["contract_id"],
        row["check_type"],
        row["status"],
        bool(row["in_maintenance"]),
        row["measured_value"],
        row["started_at"],
        (0, row["id"]),
    )


_POINT_COLUMNS = (
    check_results.c.id,
    check_results.c.check_key,
    check_results.c.contract_id,
    check_results.c.check_type,
    check_results.c.status,
    check_results.c.in_maintenance,
    check_results.c.measured_value,
    check_results.c.started_at,
)


async def load_points(
    connection: AsyncConnection,
    *,
    since: datetime,
    until: datetime,
    contract_id: str | None = None,
    check_keys: Sequence[str] | None = None,
) -> list[ResultPoint]:
    """Raw results with ``since <= started_at < until`` as points, oldest first."""
    query = select(*_POINT_COLUMNS).where(
        check_results.c.started_at >= since, check_results.c.started_at < until
    )
    if contract_id is not None:
        query = query.where(check_results.c.contract_id == contract_id)
    if check_keys is not None:
        query = query.where(check_results.c.check_key.in_(list(check_keys)))
    query = query.order_by(check_results.c.started_at, check_results.c.id)
    return [_point(row) for row in (await connection.execute(query)).mappings()]


async def schedule_intervals(
    connection: AsyncConnection,
    *,
    check_keys: Sequence[str] | None = None,
    contract_id: str | None = None,
) -> dict[str, float]:
    """Scheduled interval in seconds of time-based checks, by check key."""
    query = select(schedules.c.check_key, schedules.c.interval_seconds).where(
        schedules.c.check_type.in_(sorted(TIME_BASED_CHECK_TYPES))
    )
    if check_keys is not None:
        query = query.where(schedules.c.check_key.in_(list(check_keys)))
    if contract_id is not None:
        query = query.where(schedules.c.contract_id == contract_id)
    return {key: float(seconds) for key, seconds in (await connection.execute(query)).all()}


async def schedule_intervals_by_contract(
    connection: AsyncConnection,
) -> dict[str, dict[str, float]]:
    """`schedule_intervals` of every contract at once: contract id -> check key -> seconds."""
    query = select(
        schedules.c.contract_id, schedules.c.check_key, schedules.c.interval_seconds
    ).where(schedules.c.check_type.in_(sorted(TIME_BASED_CHECK_TYPES)))
    found: dict[str, dict[str, float]] = {}
    for contract_id, key, seconds in (await connection.execute(query)).all():
        found.setdefault(contract_id, {})[key] = float(seconds)
    return found


def _new_points(stored_results: Sequence[StoredResult]) -> list[ResultPoint]:
    return [
        ResultPoint(
            s.result.key,
            s.result.contract_id,
            s.result.check_type.value,
            s.result.status.value,
            s.in_maintenance,
            s.result.measured_value,
            s.result.started_at,
            (1, index),
        )
        for index, s in enumerate(stored_results)
    ]


async def _add(connection: AsyncConnection, deltas: Mapping[BucketKey, RollupTotals]) -> None:
    """Add `deltas` to the stored buckets (creating missing ones)."""
    rows = [
        dict(zip(_KEY_COLUMNS, key, strict=True)) | totals.as_row()
        for key, totals in sorted(deltas.items())  # key order: concurrent writers never deadlock
        if not totals.is_empty
    ]
    if not rows:
        return
    await connection.execute(_add_statement(connection.dialect.name), rows)


@functools.cache
def _add_statement(dialect: str) -> Any:
    """The delta upsert of `_add`, built once per dialect (it never changes)."""
    sqlite = dialect == "sqlite"
    statement = (sqlite_insert if sqlite else pg_insert)(sla_rollups)
    stored, new = sla_rollups.c, statement.excluded
    least, greatest = (func.min, func.max) if sqlite else (func.least, func.greatest)
    changes: dict[str, Any] = {name: stored[name] + new[name] for name in _ADDITIVE}
    # COALESCE both ways: NULL (no measurement yet) must not win, on either backend.
    for name, choose in (("measured_min", least), ("measured_max", greatest)):
        changes[name] = choose(
            func.coalesce(stored[name], new[name]), func.coalesce(new[name], stored[name])
        )
    return statement.on_conflict_do_update(index_elements=list(_KEY_COLUMNS), set_=changes)


class RollupRepository:
    """Reads, maintains and rebuilds the `sla_rollups` table.

    Args:
        database: The state database.
    """

    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    async def apply(connection: AsyncConnection, stored_results: Sequence[StoredResult]) -> None:
        """Fold results about to be inserted into the rollups, in the caller's transaction.

        Call it *before* inserting `stored_results` (they are told apart from stored rows
        by not being in the table yet). See the module docstring for the method.
        """
        if not stored_results:
            return
        new = _new_points(stored_results)
        deltas: dict[BucketKey, RollupTotals] = {}
        for point in new:
            for granularity in GRANULARITIES:
                key = (
                    point.contract_id,
                    granularity,
                    bucket_floor(point.started_at, granularity),
                    point.check_type,
                )
                deltas.setdefault(key, RollupTotals()).add_result(
                    point.status, point.in_maintenance, point.measured_value
                )
        timed = _by_check(p for p in new if p.check_type in TIME_BASED_CHECK_TYPES)
        if timed:
            intervals = await schedule_intervals(connection, check_keys=sorted(timed))
            caps = check_caps((g[0] for g in timed.values()), intervals)
            reach = max(caps.values())
            earliest = min(g[0].started_at for g in timed.values())
            latest = max(g[-1].started_at for g in timed.values())
            stored = _by_check(
                await _load_neighbours(
                    connection,
                    sorted(timed),
                    sorted({g[0].contract_id for g in timed.values()}),
                    since=earliest - reach,
                    until=latest + reach,
                )
            )
            for check_key, added in timed.items():
                _span_deltas(deltas, stored.get(check_key, []), added, caps[check_key])
        await _add(connection, deltas)

    async def rebuild(self, since: datetime, until: datetime) -> int:
        """Recompute the rollups of the UTC days touching ``[since, until)`` from raw results.

        One transaction per day, so no lock is held long. Days whose raw results may have
        been pruned are skipped (their rollups are all that is left).

        Returns:
            The number of days rebuilt.

        """
        async with self.database.connect() as connection:
            intervals = await schedule_intervals(connection)
            horizon = (
                await connection.execute(
                    select(job_marks.c.mark).where(job_marks.c.name == RAW_PRUNED_MARK)
                )
            ).scalar_one_or_none()
        lookback = max_cap(intervals)
        day = bucket_floor(since, "day")
        if horizon is not None:
            # A day needs raw results from one interval before it: all of them must remain.
            day = max(day, _ceil_day(horizon + lookback))
        rebuilt = 0
        while day < until:
            async with self.database.begin() as connection:
                points = await load_points(connection, since=day - lookback, until=day + _DAY)
                totals = accumulate(points, intervals, start=day, end=day + _DAY)
                await connection.execute(
                    delete(sla_rollups).where(
                        sla_rollups.c.bucket_start >= day, sla_rollups.c.bucket_start < day + _DAY
                    )
                )
                rows = [
                    dict(zip(_KEY_COLUMNS, key, strict=True)) | value.as_row()
                    for key, value in sorted(totals.items())
                    if not value.is_empty
                ]
                if rows:
                    await connection.execute(insert(sla_rollups), rows)
            rebuilt += 1
            day += _DAY
        return rebuilt

    async def series(
        self,
        contract_id: str | None,
        check_type: str | None,
        granularity: Granularity,
        since: datetime,
        until: datetime,
    ) -> list[RollupRow]:
        """Stored buckets with ``since <= bucket_start < until``, oldest first.

        Args:
            contract_id: The contract, or None for every contract.
            check_type: One check type, or None for all of them.
            granularity: ``hour`` or ``day``.
            since: First bucket start (inclusive).
            until: Last bucket start (exclusive).

        """
        rows = await self.bucket_values(contract_id, granularity, since, until, check_type)
        return [
            RollupRow(contract, kind, granularity, start, RollupTotals(*values))
            for contract, start, kind, values in rows
        ]

    async def bucket_values(
        self,
        contract_id: str | None,
        granularity: Granularity,
        since: datetime,
        until: datetime,
        check_type: str | None = None,
    ) -> list[tuple[str, datetime, str, BucketValues]]:
        """`series` as ``(contract_id, bucket_start, check_type, values)`` tuples.

        The values are a tuple for `sum_values`: no object per bucket (reports read
        hundreds of thousands).
        """
        if granularity not in _STEP:
            raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}")
        parameters: dict[str, Any] = {
            "b_granularity": granularity,
            "b_since": since,
            "b_until": until,
        }
        if check_type is not None:
            parameters["b_check_type"] = check_type
        if contract_id is not None:
            parameters["b_contract"] = contract_id
        query = _values_query(check_type is not None, one_contract=contract_id is not None)
        async with self.database.connect() as connection:
            rows = (await connection.execute(query, parameters)).all()
        return [(r[0], r[1], r[2], tuple(r[3:])) for r in rows]


@functools.cache
def _values_query(one_type: bool, *, one_contract: bool) -> Any:
    """The query of `RollupRepository.bucket_values`, built once (reports call it a lot)."""
    query = select(
        sla_rollups.c.contract_id,
        sla_rollups.c.bucket_start,
        sla_rollups.c.check_type,
        *(sla_rollups.c[name] for name in _TOTAL_FIELDS),
    ).where(
        sla_rollups.c.granularity == bindparam("b_granularity"),
        sla_rollups.c.bucket_start >= bindparam("b_since"),
        sla_rollups.c.bucket_start < bindparam("b_until"),
    )
    if one_contract:
        query = query.where(sla_rollups.c.contract_id == bindparam("b_contract"))
    if one_type:
        query = query.where(sla_rollups.c.check_type == bindparam("b_check_type"))
    return query.order_by(sla_rollups.c.bucket_start, sla_rollups.c.check_type)


async def _load_neighbours(
    connection: AsyncConnection,
    check_keys: Sequence[str],
    contract_ids: Sequence[str],
    *,
    since: datetime,
    until: datetime,
) -> list[ResultPoint]:
    """Stored results of `check_keys` (of `contract_ids`) whose spans the new results may change."""
    query = (
        select(*_POINT_COLUMNS)
        .where(
            # The contracts first: (contract_id, started_at) is the index there is.
            check_results.c.contract_id.in_(list(contract_ids)),
            check_results.c.check_key.in_(list(check_keys)),
            check_results.c.started_at >= since,
            check_results.c.started_at <= until,
        )
        .order_by(check_results.c.started_at, check_results.c.id)
    )
    return [_point(row) for row in (await connection.execute(query)).mappings()]


def _span_deltas(
    into: dict[BucketKey, RollupTotals],
    stored: list[ResultPoint],
    added: list[ResultPoint],
    cap: timedelta,
) -> None:
    """Add the change in spans that inserting `added` among `stored` makes (one check).

    Only stored results from one interval before the earliest new one can change: any
    earlier span already ends at its cap. The first stored result after the newest new one
    only bounds spans; its own span does not change.
    """
    last_new = added[-1].sort_key
    relevant = [p for p in stored if p.started_at >= added[0].started_at - cap]
    successor = next((p for p in relevant if p.sort_key > last_new), None)
    before = [p for p in relevant if p.sort_key < last_new]
    after = sorted(before + added, key=lambda p: p.sort_key)
    bound = [successor] if successor is not None else []
    for sign, group in ((-1, before), (1, after)):
        for point, start, end in _spans(group + bound, cap):
            if point is not successor and start < end:
                _add_span(into, point, start, end, GRANULARITIES, sign)
