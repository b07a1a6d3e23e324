from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from floe_monitoring.reports import (
    BUDGET_BURN,
    DEFAULT_BURN_RULES,
    BurnAlert,
    BurnRule,
    Tally,
    burn_alerts,
    burn_alerts_from_samples,
    burn_rate,
    tallies_from_samples,
)
from floe_monitoring.reports.burn import BURN_WINDOWS, burn_rates, window_label

NOW = datetime(2026, 3, 18, 10, 30, tzinfo=UTC)
M5, M30, H1, H6, D3 = (
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(days=3),
)


def _tallies(**error_rates: float) -> dict[timedelta, Tally]:
    windows = {"m5": M5, "m30": M30, "h1": H1, "h6": H6, "d3": D3}
    return {windows[k]: Tally(1_000 * (1 - v), 1_000) for k, v in error_rates.items()}


def test_burn_rate_is_error_rate_over_budget() -> None:
    assert burn_rate(Tally(99, 100), 0.99) == pytest.approx(1.0)
    assert burn_rate(Tally(0, 100), 0.999) == pytest.approx(1_000.0)
    assert burn_rate(Tally(0, 0), 0.99) is None
    assert burn_rate(Tally(0, 10), 1.0) is None
    assert burn_rates({H1: Tally(98, 100)}, 0.99) == {H1: pytest.approx(2.0)}


def test_the_default_rules_are_the_workbooks() -> None:
    rules = {(r.level, r.long_window, r.short_window, r.threshold) for r in DEFAULT_BURN_RULES}
    assert rules == {("page", H1, M5, 14.4), ("page", H6, M30, 6.0), ("ticket", D3, H6, 1.0)}
    assert BURN_WINDOWS == (M5, M30, H1, H6, D3)


def test_a_page_needs_both_windows_above_the_threshold() -> None:
    # target 99.9%: budget 0.1%; 1.5% errors burn at 15 (> 14.4).
    both = burn_alerts(_tallies(h1=0.015, m5=0.015), target=0.999)
    only_long = burn_alerts(_tallies(h1=0.015, m5=0.0), target=0.999)
    only_short = burn_alerts(_tallies(h1=0.0, m5=0.5), target=0.999)
    assert [(a.level, a.long_window, a.short_window) for a in both] == [("page", H1, M5)]
    assert both[0].long_rate == pytest.approx(15.0)
    assert both[0].kind == BUDGET_BURN
    assert only_long == []
    assert only_short == []


def test_exactly_at_the_threshold_does_not_fire() -> None:
    assert burn_alerts(_tallies(d3=0.01, h6=0.01), target=0.99) == []


def test_every_rule_that_fires_is_returned_pages_first() -> None:
    alerts = burn_alerts(
        _tallies(m5=0.5, m30=0.5, h1=0.5, h6=0.5, d3=0.5),
        target=0.99,
        contract_id="urn:orders",
        check_type="availability",
    )
    assert [a.level for a in alerts] == ["page", "page", "ticket"]
    assert {a.check_type for a in alerts} == {"availability"}
    assert BurnAlert.model_validate_json(alerts[0].model_dump_json()) == alerts[0]


def test_windows_without_data_never_fire() -> None:
    assert burn_alerts({H1: Tally(0, 10)}, target=0.99) == []
    assert burn_alerts(_tallies(h1=1.0) | {M5: Tally(0, 0)}, target=0.99) == []


def test_alerts_from_availability_samples() -> None:
    # Every 5 minutes for 3 days; the last 70 minutes all failed.
    samples = [(NOW - timedelta(minutes=5 * i), i * 5 >= 70) for i in range(3 * 24 * 12)]
    tallies = tallies_from_samples(samples, now=NOW)
    assert tallies[M5] == Tally(0.0, 1.0)
    assert tallies[H1] == Tally(0.0, 12.0)
    alerts = burn_alerts_from_samples(samples, target=0.999, now=NOW, check_type="availability")
    assert [(a.level, a.long_window) for a in alerts] == [
        ("page", H1),
        ("page", H6),
        ("ticket", D3),
    ]
    custom = BurnRule(level="ticket", long_window=D3, short_window=H6, threshold=1_000.0)
    assert burn_alerts_from_samples(samples, target=0.999, now=NOW, rules=[custom]) == []


@pytest.mark.parametrize(
    ("window", "label"),
    [(M5, "5m"), (H6, "6h"), (D3, "3d"), (timedelta(seconds=90), "90s"), (H1 * 48, "2d")],
)
def test_window_labels(window: timedelta, label: str) -> None:
    assert window_label(window) == label
