"""Snapshot walking, record counts and gaps, on hand-built PyIceberg snapshots."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import cast

import pytest
from pyiceberg.table import Table
from pyiceberg.table.snapshots import Operation, Snapshot, Summary

from floe_monitoring.checks.frequency import largest_gap
from floe_monitoring.checks.iceberg_read import (
    as_utc,
    data_commit_times,
    data_snapshots,
    first_snapshot_time,
    newest_data_snapshot,
    snapshot_time,
    total_records,
)

T0 = datetime(2026, 1, 31, tzinfo=UTC)


def _snapshot(
    snapshot_id: int, parent: int | None, operation: Operation, minutes: int, **summary: str
) -> Snapshot:
    return Snapshot(
        snapshot_id=snapshot_id,
        parent_snapshot_id=parent,
        timestamp_ms=int((T0 + timedelta(minutes=minutes)).timestamp() * 1000),
        manifest_list=f"file:///snap-{snapshot_id}.avro",
        summary=Summary(operation, **summary),
    )


class FakeTable:
    """Just enough of a PyIceberg table to walk its lineage."""

    def __init__(self, *snapshots: Snapshot, current: int | None = None) -> None:
        self._snapshots = {s.snapshot_id: s for s in snapshots}
        self._current = (
            current if current is not None else (snapshots[-1].snapshot_id if snapshots else None)
        )

    def current_snapshot(self) -> Snapshot | None:
        return self._snapshots.get(self._current) if self._current is not None else None

    def snapshot_by_id(self, snapshot_id: int) -> Snapshot | None:
        return self._snapshots.get(snapshot_id)

    def snapshots(self) -> list[Snapshot]:
        return list(self._snapshots.values())


LINEAGE = (
    _snapshot(1, None, Operation.APPEND, 0, **{"added-records": "10", "total-records": "10"}),
    _snapshot(2, 1, Operation.APPEND, 60, **{"added-records": "5", "total-records": "15"}),
    _snapshot(3, 2, Operation.REPLACE, 90, **{"added-records": "15", "total-records": "15"}),
    _snapshot(
        4, 3, Operation.DELETE, 100, **{"total-records": "12", "total-position-deletes": "3"}
    ),
    _snapshot(
        5,
        4,
        Operation.APPEND,
        110,
        **{"added-records": "0", "total-records": "12", "total-position-deletes": "3"},
    ),
    # On another branch: never part of the current lineage.
    _snapshot(6, 1, Operation.APPEND, 200, **{"added-records": "1", "total-records": "11"}),
)


def _table(*snapshots: Snapshot, current: int | None = None) -> Table:
    return cast(Table, FakeTable(*snapshots, current=current))


def test_data_snapshots_skip_replace_deletes_and_empty_appends() -> None:
    table = _table(*LINEAGE, current=5)
    assert [s.snapshot_id for s in data_snapshots(table)] == [2, 1]
    newest = newest_data_snapshot(table)
    assert newest is not None
    assert snapshot_time(newest) == T0 + timedelta(minutes=60)
    assert data_commit_times(table, limit=1) == [T0 + timedelta(minutes=60)]


def test_no_snapshot_means_no_data() -> None:
    assert newest_data_snapshot(_table()) is None
    assert total_records(_table()) == 0
    assert first_snapshot_time(_table()) is None


def test_record_counts_come_from_the_summary_unless_deletes_apply() -> None:
    assert total_records(_table(*LINEAGE, current=2)) == 15
    assert total_records(_table(*LINEAGE, current=5)) is None  # position deletes: scan instead


def test_first_snapshot_time_is_the_oldest_retained() -> None:
    assert first_snapshot_time(_table(*LINEAGE)) == T0


def test_largest_gap_includes_the_open_gap() -> None:
    commits = [T0 + timedelta(minutes=m) for m in (60, 50, 0)]
    assert largest_gap(commits, T0 + timedelta(minutes=70)) == 3000.0
    assert largest_gap(commits, T0 + timedelta(minutes=200)) == 8400.0
    assert largest_gap(commits[:1], T0) == 0.0  # a commit "in the future" is no gap


def test_scanned_values_become_aware_utc() -> None:
    assert as_utc(datetime(2026, 1, 31, 10, 0)) == datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
    assert as_utc(date(2026, 1, 31)) == T0
    assert as_utc("2026-01-31T01:00:00+01:00") == T0
    assert as_utc(None) is None
    with pytest.raises(TypeError, match="not dates or times"):
        as_utc(42)
