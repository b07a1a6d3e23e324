"""Phase offsets and the interval grid."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from floe_monitoring.scheduling import EPOCH, Grid, phase_offset

T0 = datetime(2026, 1, 5, tzinfo=UTC)
FIFTEEN = timedelta(minutes=15)


def test_phase_is_pinned_across_processes_and_releases() -> None:
    # SHA-256 of the key, not hash(): these values must never change, or every replica
    # and every restart would move each check to another second.
    key = "urn:x:freshness:orders.updated_at"
    assert phase_offset(key, FIFTEEN) == timedelta(seconds=829, microseconds=162023)
    assert phase_offset(key, timedelta(hours=6)) == timedelta(seconds=17929, microseconds=162023)


def test_phase_is_within_the_interval_and_differs_between_keys() -> None:
    offsets = {phase_offset(f"urn:c{i}:quality:*", timedelta(seconds=7)) for i in range(200)}
    assert all(timedelta(0) <= offset < timedelta(seconds=7) for offset in offsets)
    assert len(offsets) == 200


def test_ten_thousand_keys_spread_over_the_interval() -> None:
    buckets = Counter(
        phase_offset(f"urn:contract-{i}:freshness:t{i}.updated_at", FIFTEEN) // timedelta(minutes=1)
        for i in range(10_000)
    )
    assert sorted(buckets) == list(range(15))
    share = 10_000 / 15  # 667; a binomial spread of about 25
    assert all(0.8 * share < count < 1.2 * share for count in buckets.values())
    seconds = Counter(
        phase_offset(f"urn:contract-{i}:freshness:t{i}.updated_at", FIFTEEN).seconds
        for i in range(10_000)
    )
    assert max(seconds.values()) < 40  # 11 a second on average: never a burst


def test_phase_needs_a_positive_interval() -> None:
    with pytest.raises(ValueError, match="positive"):
        phase_offset("k", timedelta(0))


def test_grid_slots_are_epoch_plus_phase_plus_whole_intervals() -> None:
    grid = Grid(FIFTEEN, timedelta(minutes=7))
    slot = T0 + timedelta(minutes=7)
    assert (slot - EPOCH) % FIFTEEN == timedelta(minutes=7)
    assert grid.latest_at_or_before(T0 + timedelta(minutes=10)) == slot
    assert grid.latest_at_or_before(slot) == slot
    assert grid.latest_at_or_before(slot - timedelta(microseconds=1)) == slot - FIFTEEN
    assert grid.first_at_or_after(slot) == slot
    assert grid.first_at_or_after(T0) == slot
    assert grid.first_at_or_after(slot + timedelta(microseconds=1)) == slot + FIFTEEN
    assert grid.after(slot) == slot + FIFTEEN
    assert grid.after(slot + timedelta(minutes=14)) == slot + FIFTEEN


def test_grid_rejects_a_phase_outside_the_interval() -> None:
    with pytest.raises(ValueError, match="phase"):
        Grid(FIFTEEN, FIFTEEN)
    with pytest.raises(ValueError, match="interval"):
        Grid(timedelta(0), timedelta(0))
