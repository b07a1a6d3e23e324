from __future__ import annotations

import pytest

from floe_monitoring.reports import Tally, error_budget_remaining
from floe_monitoring.reports.compliance import compliance_method, mean_compliance, tally
from floe_monitoring.store.rollups import RollupTotals


def test_time_based_types_use_time_and_the_others_count_results() -> None:
    totals = RollupTotals(
        pass_count=3, warn_count=1, fail_count=1, error_count=5, good_us=900, observed_us=1_000
    )
    assert compliance_method("freshness") == "time"
    assert compliance_method("quality") == "event"
    assert tally("availability", totals) == Tally(900.0, 1_000.0)
    assert tally("schema_drift", totals) == Tally(4.0, 5.0)
    assert tally("quality", totals).compliance == pytest.approx(0.8)


def test_no_verdict_has_no_compliance() -> None:
    assert Tally(0.0, 0.0).compliance is None
    assert Tally(0.0, 0.0).error_rate is None
    assert tally("quality", RollupTotals(error_count=3, maintenance_count=2)).compliance is None


def test_overall_compliance_is_the_mean_of_the_known_values() -> None:
    assert mean_compliance([1.0, None, 0.5]) == pytest.approx(0.75)
    assert mean_compliance([None]) is None


def test_error_budget_remaining() -> None:
    assert error_budget_remaining(0.999, 0.999) == pytest.approx(0.0)
    assert error_budget_remaining(1.0, 0.99) == pytest.approx(1.0)
    assert error_budget_remaining(0.995, 0.99) == pytest.approx(0.5)
    assert error_budget_remaining(0.97, 0.99) == pytest.approx(-2.0)
    assert error_budget_remaining(None, 0.99) is None
    assert error_budget_remaining(0.5, 1.0) is None
