from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from floe_monitoring.store.rollups import (
    ResultPoint,
    RollupTotals,
    accumulate,
    bucket_floor,
    check_caps,
    max_cap,
    sum_values,
)

T0 = datetime(2026, 3, 1, 23, 50, tzinfo=UTC)
MIN = timedelta(minutes=1)
US = 1_000_000


def _point(
    minutes: float,
    status: str = "pass",
    *,
    check_type: str = "freshness",
    key: str = "c:freshness:*",
    maintenance: bool = False,
    measured: float | None = None,
    order: int = 0,
) -> ResultPoint:
    return ResultPoint(
        key, "c", check_type, status, maintenance, measured, T0 + minutes * MIN, (0, order)
    )


def test_bucket_floor() -> None:
    moment = datetime(2026, 3, 1, 23, 59, 59, 999_999, tzinfo=UTC)
    assert bucket_floor(moment, "hour") == datetime(2026, 3, 1, 23, tzinfo=UTC)
    assert bucket_floor(moment, "day") == datetime(2026, 3, 1, tzinfo=UTC)


def test_results_count_once_by_status_and_maintenance_apart() -> None:
    totals = RollupTotals()
    totals.add_result("pass", False, 2.0)
    totals.add_result("fail", False, 6.0)
    totals.add_result("error", False, None)
    totals.add_result("fail", True, 100.0)  # maintenance: counted apart, value ignored
    assert (totals.pass_count, totals.fail_count, totals.error_count) == (1, 1, 1)
    assert totals.maintenance_count == 1
    assert totals.result_count == 4
    assert (totals.measured_min, totals.measured_avg, totals.measured_max) == (2.0, 4.0, 6.0)


def test_merge_adds_counts_and_keeps_extremes() -> None:
    a = RollupTotals(pass_count=1, good_us=5, measured_count=1, measured_sum=3.0, measured_min=3.0)
    a.measured_max = 3.0
    b = RollupTotals(fail_count=2, observed_us=7, measured_count=1, measured_sum=9.0)
    b.measured_min = b.measured_max = 9.0
    a.merge(b)
    a.merge(RollupTotals())
    assert (a.pass_count, a.fail_count, a.good_us, a.observed_us) == (1, 2, 5, 7)
    assert (a.measured_min, a.measured_max, a.measured_avg) == (3.0, 9.0, 6.0)
    assert RollupTotals.from_row(a.as_row() | {"contract_id": "c"}) == a
    assert RollupTotals().is_empty
    assert not a.is_empty


def test_a_status_holds_until_the_next_result_at_most_one_interval() -> None:
    points = [_point(0, "pass"), _point(5, "fail"), _point(50, "pass")]  # freshness: 15 min
    buckets = accumulate(points, {}, start=T0, end=T0 + 3 * timedelta(hours=1))
    day = [v for (_, g, _, _), v in buckets.items() if g == "day"]
    good = sum(v.good_us for v in day)
    observed = sum(v.observed_us for v in day)
    assert good == (5 + 15) * 60 * US  # pass 0-5, pass 50-65; 20-50 unobserved
    assert observed == (5 + 15 + 15) * 60 * US


def test_spans_are_split_at_hour_and_day_boundaries() -> None:
    buckets = accumulate([_point(0, "pass")], {}, start=T0, end=T0 + timedelta(hours=1))
    before = ("c", "hour", datetime(2026, 3, 1, 23, tzinfo=UTC), "freshness")
    after = ("c", "hour", datetime(2026, 3, 2, tzinfo=UTC), "freshness")
    assert buckets[before].good_us == 10 * 60 * US
    assert buckets[after].good_us == 5 * 60 * US
    assert buckets[("c", "day", datetime(2026, 3, 2, tzinfo=UTC), "freshness")].pass_count == 0
    assert buckets[("c", "day", datetime(2026, 3, 1, tzinfo=UTC), "freshness")].pass_count == 1


def test_spans_are_clipped_to_the_range_and_earlier_results_reach_in() -> None:
    points = [_point(-10, "fail"), _point(2, "pass")]
    buckets = accumulate(points, {}, start=T0, end=T0 + 10 * MIN, granularities=("hour",))
    (totals,) = buckets.values()
    assert totals.fail_count == 0  # started before the range: its time counts, not the result
    assert totals.pass_count == 1
    assert totals.observed_us == 10 * 60 * US
    assert totals.good_us == 8 * 60 * US


def test_error_skipped_and_maintenance_time_is_not_observed() -> None:
    points = [
        _point(0, "error"),
        _point(10, "skipped"),
        _point(20, "fail", maintenance=True),
        _point(30, "pass"),
    ]
    totals = RollupTotals()
    for value in accumulate(
        points, {}, start=T0, end=T0 + 40 * MIN, granularities=("day",)
    ).values():
        totals.merge(value)  # two days: the range crosses midnight
    assert (totals.observed_us, totals.good_us) == (10 * 60 * US, 10 * 60 * US)
    assert totals.maintenance_us == 10 * 60 * US
    assert (totals.error_count, totals.skipped_count, totals.maintenance_count) == (1, 1, 1)


def test_event_based_types_have_no_time() -> None:
    points = [_point(0, "pass", check_type="quality", key="c:quality:*", measured=0.9)]
    (totals,) = accumulate(points, {}, start=T0, end=T0 + MIN, granularities=("day",)).values()
    assert (totals.pass_count, totals.observed_us, totals.measured_sum) == (1, 0, 0.9)


def test_scheduled_intervals_cap_spans() -> None:
    points = [_point(0, "pass")]
    (totals,) = accumulate(
        points, {"c:freshness:*": 120.0}, start=T0, end=T0 + 9 * MIN, granularities=("day",)
    ).values()
    assert totals.good_us == 2 * 60 * US
    assert check_caps(points, {})["c:freshness:*"] == timedelta(minutes=15)
    assert max_cap({}) == timedelta(minutes=15)
    assert max_cap({"k": 7_200.0}) == timedelta(hours=2)


def test_ties_are_ordered_by_id() -> None:
    points = [_point(0, "pass", order=2), _point(0, "fail", order=1)]
    (totals,) = accumulate(points, {}, start=T0, end=T0 + MIN, granularities=("day",)).values()
    assert totals.good_us == 60 * US  # the later id (pass) holds; the fail lasts no time
    assert totals.fail_count == 1


@pytest.mark.parametrize("granularity", ["week", ""])
def test_unknown_granularities_are_refused(granularity: str) -> None:
    with pytest.raises(KeyError):
        bucket_floor(T0, granularity)


_totals = st.builds(
    RollupTotals,
    *(st.integers(0, 10**12) for _ in range(10)),
    st.floats(-1e6, 1e6),
    st.none() | st.floats(-1e6, 1e6),
    st.none() | st.floats(-1e6, 1e6),
)


@given(st.lists(_totals, max_size=8))
def test_summing_columns_equals_merging_one_by_one(buckets: list[RollupTotals]) -> None:
    merged = RollupTotals()
    for bucket in buckets:
        merged.merge(bucket)
    # A stored bucket's values are its columns in field order (what the store selects).
    summed = sum_values([tuple(b.as_row().values()) for b in buckets])
    extremes = ("measured_min", "measured_max")
    additive = {k: v for k, v in merged.as_row().items() if k not in extremes}
    assert {k: v for k, v in summed.as_row().items() if k not in extremes} == pytest.approx(
        additive
    )
    assert (summed.measured_min, summed.measured_max) == (merged.measured_min, merged.measured_max)
