"""Synchronous reads of an Iceberg table's metadata and data, run inside the worker pool.

Everything here receives an already-loaded PyIceberg `Table` (from `TableSource.with_table`)
and imports PyArrow/PyIceberg lazily: importing this module stays cheap and optional.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pyiceberg.table import Table
    from pyiceberg.table.snapshots import Snapshot

__all__ = [
    "ColumnBound",
    "ColumnMissingError",
    "data_commit_times",
    "data_snapshots",
    "first_snapshot_time",
    "newest_data_snapshot",
    "snapshot_time",
    "temporal_bound",
    "total_records",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ColumnMissingError(LookupError):
    """The SLA element names a column the table does not have."""


@dataclass(frozen=True)
class ColumnBound:
    """The max (or min) of a column and how it was obtained (file_metadata or scan)."""

    value: datetime | None
    method: str
    snapshot_id: int | None


def snapshot_time(snapshot: Snapshot) -> datetime:
    """When ``snapshot`` was committed, as aware UTC."""
    return _EPOCH + timedelta(milliseconds=snapshot.timestamp_ms)


def _summary(snapshot: Snapshot) -> dict[str, str]:
    # Summary values are strings, and dict(summary) raises: use additional_properties.
    return dict(snapshot.summary.additional_properties) if snapshot.summary else {}


def _is_data_snapshot(snapshot: Snapshot) -> bool:
    if snapshot.summary is None:
        return True
    if snapshot.summary.operation.value == "replace":  # compaction rewrites, adds nothing
        return False
    return int(_summary(snapshot).get("added-records", "0")) > 0


def data_snapshots(table: Table) -> Iterator[Snapshot]:
    """The current branch's snapshots that added records, newest first.

    ``replace`` (compaction) snapshots and snapshots that added no records (deletes, schema
    or property changes, empty appends) are skipped: they do not make data fresher.
    """
    snapshot = table.current_snapshot()
    seen: set[int] = set()
    while snapshot is not None and snapshot.snapshot_id not in seen:
        seen.add(snapshot.snapshot_id)
        if _is_data_snapshot(snapshot):
            yield snapshot
        parent = snapshot.parent_snapshot_id
        snapshot = table.snapshot_by_id(parent) if parent is not None else None


def newest_data_snapshot(table: Table) -> Snapshot | None:
    """The newest snapshot that added records, or None."""
    return next(data_snapshots(table), None)


def data_commit_times(table: Table, limit: int = 100) -> list[datetime]:
    """Commit times of up to ``limit`` data snapshots, newest first."""
    times: list[datetime] = []
    for snapshot in data_snapshots(table):
        times.append(snapshot_time(snapshot))
        if len(times) >= limit:
            break
    return times


def first_snapshot_time(table: Table) -> datetime | None:
    """The oldest retained snapshot's commit time (a lower bound of the table's age)."""
    snapshots = table.snapshots()
    return min((snapshot_time(s) for s in snapshots), default=None)


def total_records(table: Table) -> int | None:
    """Rows in the current snapshot from its summary, or None when deletes make it unsure."""
    snapshot = table.current_snapshot()
    if snapshot is None:
        return 0
    summary = _summary(snapshot)
    deletes = int(summary.get("total-position-deletes", "0"))
    deletes += int(summary.get("total-equality-deletes", "0"))
    if deletes or "total-records" not in summary:
        return None
    return int(summary["total-records"])


def temporal_bound(table: Table, column: str, which: Literal["upper", "lower"]) -> ColumnBound:
    """The max (``upper``) or min (``lower``) of a date/timestamp column.

    Read from the data files' column bounds when every live file has one and no delete
    files apply (no data is scanned); otherwise from a scan projected on that column.

    Raises:
        ColumnMissingError: The table has no such column.

    """
    snapshot = table.current_snapshot()
    if snapshot is None:
        return ColumnBound(None, "snapshot", None)
    try:
        field = table.schema().find_field(column)
    except ValueError as exc:
        raise ColumnMissingError(f"table has no column '{column}'") from exc
    from_metadata = _bound_from_files(table, column, field, which)
    if from_metadata is not None:
        return ColumnBound(from_metadata[0], "file_metadata", snapshot.snapshot_id)
    return ColumnBound(_bound_from_scan(table, column, which), "scan", snapshot.snapshot_id)


def _bound_from_files(
    table: Table, column: str, field: Any, which: str
) -> tuple[datetime | None] | None:
    from pyiceberg.conversions import from_bytes
    from pyiceberg.types import DateType, PrimitiveType

    kind = str(field.field_type)
    if not isinstance(field.field_type, DateType) and not kind.startswith("timestamp"):
        return None  # bounds of other types (strings are truncated) cannot be trusted
    values: list[Any] = []
    for task in table.scan(selected_fields=(column,)).plan_files():
        data_file = task.file
        if task.delete_files:
            return None  # bounds include deleted rows
        bounds = data_file.upper_bounds if which == "upper" else data_file.lower_bounds
        raw = (bounds or {}).get(field.field_id)
        if raw is None:
            nulls = (data_file.null_value_counts or {}).get(field.field_id)
            if nulls is not None and nulls == data_file.record_count:
                continue  # an all-null file has no bound and no value
            return None
        if not isinstance(field.field_type, PrimitiveType):
            return None
        values.append(from_bytes(field.field_type, raw))
    if not values:
        return (None,)
    chosen = max(values) if which == "upper" else min(values)
    return (_decode(kind, chosen),)


def _decode(kind: str, raw: int) -> datetime:
    if kind == "date":
        return _EPOCH + timedelta(days=raw)
    if kind.endswith("_ns"):
        return _EPOCH + timedelta(microseconds=raw // 1000)
    return _EPOCH + timedelta(microseconds=raw)


def _bound_from_scan(table: Table, column: str, which: str) -> datetime | None:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    arrow = table.scan(selected_fields=(column,)).to_arrow()
    while column not in arrow.column_names and any(
        pa.types.is_struct(f.type) for f in arrow.schema
    ):
        arrow = arrow.flatten()  # nested columns come back as structs: "a.b" after flatten
    values = arrow.column(column)
    if pa.types.is_timestamp(values.type) and values.type.unit == "ns":
        values = pc.cast(values, pa.timestamp("us", values.type.tz), safe=False)
    scalar = (pc.max if which == "upper" else pc.min)(values).as_py()
    return as_utc(scalar)


def as_utc(value: object) -> datetime | None:
    """A scanned value as aware UTC: naive timestamps are UTC, dates are midnight UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        return as_utc(datetime.fromisoformat(value))
    raise TypeError(f"element values of type {type(value).__name__} are not dates or times")
