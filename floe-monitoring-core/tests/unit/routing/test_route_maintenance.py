"""Maintenance windows: one-off and recurring in local time, DST-correct."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from floe_monitoring import ChannelCapability, ContractViolationEvent
from floe_monitoring.routing import (
    AlertRouter,
    MaintenanceWindow,
    Recurrence,
    RouterMemory,
    RoutingRule,
    Silence,
    SuppressionReason,
    Weekday,
    in_maintenance,
)

Make = Callable[..., ContractViolationEvent]
Caps = Mapping[str, frozenset[ChannelCapability]]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def weekend_nights(contracts: tuple[str, ...] = ("orders",), **fields: Any) -> MaintenanceWindow:
    recurring: dict[str, Any] = {
        "days": ["saturday", "sun", "MON"],
        "start": "02:00",
        "duration": "PT2H",
        "timezone": "Europe/Berlin",
    }
    recurring.update(fields)
    return MaintenanceWindow.model_validate(
        {"name": "nightly-load", "contracts": contracts, "recurring": recurring}
    )


def test_tzdata_has_europe_berlin() -> None:
    assert str(zoneinfo.ZoneInfo("Europe/Berlin")) == "Europe/Berlin"


def test_one_off_window_is_start_inclusive_end_exclusive() -> None:
    window = MaintenanceWindow(
        name="migration",
        contracts=("orders",),
        starts_at=utc(2026, 1, 31, 9, 0),
        ends_at=utc(2026, 1, 31, 11, 0),
    )
    assert not window.is_active(utc(2026, 1, 31, 8, 59))
    assert window.is_active(utc(2026, 1, 31, 9, 0))
    assert window.is_active(utc(2026, 1, 31, 10, 59))
    assert not window.is_active(utc(2026, 1, 31, 11, 0))


@pytest.mark.parametrize(
    ("moment", "active"),
    [
        # Winter (CET, UTC+1): 02:00-04:00 local is 01:00-03:00 UTC.
        (utc(2026, 3, 28, 0, 59), False),
        (utc(2026, 3, 28, 1, 0), True),
        (utc(2026, 3, 28, 2, 59), True),
        (utc(2026, 3, 28, 3, 0), False),
        # Sunday 29 March: clocks jump 02:00 -> 03:00, so 02:00 does not exist; the window
        # starts at the transition (01:00 UTC = 03:00 CEST) and lasts two real hours.
        (utc(2026, 3, 29, 0, 30), False),
        (utc(2026, 3, 29, 1, 0), True),
        (utc(2026, 3, 29, 2, 59), True),
        (utc(2026, 3, 29, 3, 0), False),
        # Summer (CEST, UTC+2): 02:00-04:00 local is 00:00-02:00 UTC.
        (utc(2026, 3, 30, 0, 0), True),
        (utc(2026, 3, 30, 1, 59), True),
        (utc(2026, 3, 30, 2, 30), False),
        # Tuesday is not a maintenance day.
        (utc(2026, 3, 31, 0, 30), False),
    ],
)
def test_recurring_window_across_spring_dst_change(moment: datetime, active: bool) -> None:
    assert weekend_nights().is_active(moment) is active


@pytest.mark.parametrize(
    ("moment", "active"),
    [
        (utc(2026, 10, 24, 0, 0), True),  # Saturday, CEST
        (utc(2026, 10, 24, 2, 0), False),
        # Sunday 25 October: 02:00-03:00 happens twice; the window starts at the first
        # 02:00 (CEST, 00:00 UTC) and lasts two real hours.
        (utc(2026, 10, 25, 0, 0), True),
        (utc(2026, 10, 25, 1, 59), True),
        (utc(2026, 10, 25, 2, 0), False),
        # Monday, CET: 01:00-03:00 UTC.
        (utc(2026, 10, 26, 0, 30), False),
        (utc(2026, 10, 26, 1, 0), True),
        (utc(2026, 10, 26, 2, 59), True),
    ],
)
def test_recurring_window_across_autumn_dst_change(moment: datetime, active: bool) -> None:
    assert weekend_nights().is_active(moment) is active


def test_recurring_window_running_past_midnight_belongs_to_its_start_day() -> None:
    window = weekend_nights(days=["fri"], start="23:00", duration="3h")
    # Friday 30 January 23:00 CET = 22:00 UTC, until Saturday 01:00 UTC.
    assert window.is_active(utc(2026, 1, 30, 22, 0))
    assert window.is_active(utc(2026, 1, 31, 0, 59))
    assert not window.is_active(utc(2026, 1, 31, 1, 0))
    # Saturday night is not covered: the window is Friday's.
    assert not window.is_active(utc(2026, 1, 31, 22, 30))


def test_multi_day_recurring_window() -> None:
    window = weekend_nights(days=["sat"], start="00:00", duration="P2D", timezone="UTC")
    assert window.is_active(utc(2026, 1, 31, 0, 0))
    assert window.is_active(utc(2026, 2, 1, 23, 59))
    assert not window.is_active(utc(2026, 2, 2, 0, 0))


def test_recurrence_occurrence_and_weekday_helpers() -> None:
    rec = Recurrence.model_validate(
        {"start": "02:00", "duration": 3600, "timezone": "Europe/Berlin"}
    )
    assert rec.days == tuple(Weekday)
    assert rec.duration == timedelta(hours=1)
    start, end = rec.occurrence_on(datetime(2026, 7, 1).date()) or (None, None)
    assert start == utc(2026, 7, 1, 0, 0)
    assert end == utc(2026, 7, 1, 1, 0)
    only_sunday = rec.model_copy(update={"days": (Weekday.SUN,)})
    assert only_sunday.occurrence_on(datetime(2026, 7, 1).date()) is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown IANA timezone"),
        ({"start": "2:00"}, "start"),
        ({"start": "24:00"}, "start"),
        ({"duration": "P8D"}, "duration"),
        ({"duration": 0}, "duration"),
        ({"days": ["funday"]}, "days"),
        ({"days": []}, "days"),
    ],
)
def test_invalid_recurrences_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        weekend_nights(**fields)


def test_window_is_either_one_off_or_recurring() -> None:
    recurring = {"start": "02:00", "duration": "1h", "timezone": "UTC"}
    with pytest.raises(ValidationError, match="either"):
        MaintenanceWindow.model_validate({"name": "x", "contracts": ["*"]})
    with pytest.raises(ValidationError, match="either"):
        MaintenanceWindow.model_validate(
            {
                "name": "x",
                "contracts": ["*"],
                "starts_at": "2026-01-31T09:00:00Z",
                "ends_at": "2026-01-31T10:00:00Z",
                "recurring": recurring,
            }
        )
    with pytest.raises(ValidationError, match="both starts_at and ends_at"):
        MaintenanceWindow.model_validate(
            {"name": "x", "contracts": ["*"], "starts_at": "2026-01-31T09:00:00Z"}
        )
    with pytest.raises(ValidationError, match="ends_at must be after"):
        MaintenanceWindow.model_validate(
            {
                "name": "x",
                "contracts": ["*"],
                "starts_at": "2026-01-31T10:00:00Z",
                "ends_at": "2026-01-31T09:00:00Z",
            }
        )


def test_in_maintenance_is_a_pure_function_of_windows_contract_and_time() -> None:
    windows = [weekend_nights(), weekend_nights(contracts=("urn:contract:pay*",))]
    during = utc(2026, 3, 28, 1, 30)
    assert in_maintenance(windows, contract_name="orders", now=during)
    assert not in_maintenance(windows, contract_name="orders", now=utc(2026, 3, 28, 4, 0))
    assert not in_maintenance(windows, contract_name="customers", now=during)
    assert in_maintenance(
        windows, contract_name="payments", contract_id="urn:contract:payments", now=during
    )


def test_maintenance_suppresses_every_channel_and_is_reported_by_the_router(
    make: Make, capabilities: Caps
) -> None:
    window = MaintenanceWindow(
        name="migration",
        contracts=("orders",),
        starts_at=utc(2026, 1, 31, 9, 0),
        ends_at=utc(2026, 1, 31, 11, 0),
    )
    router = AlertRouter(
        [RoutingRule(channel="email"), RoutingRule(channel="slack")],
        maintenance_windows=[window],
        channel_capabilities=capabilities,
    )
    assert router.maintenance_windows == (window,)
    assert router.in_maintenance(contract_name="orders", now=utc(2026, 1, 31, 10, 0))
    memory = RouterMemory()
    firing, resolved = make(), make(element="orders.id", status="resolved")
    during = router.route([firing, resolved], now=utc(2026, 1, 31, 10, 0), memory=memory)
    assert during.deliveries == []
    assert {(s.channel, s.reason) for s in during.suppressions} == {
        ("email", SuppressionReason.MAINTENANCE),
        ("slack", SuppressionReason.MAINTENANCE),
    }
    assert "maintenance window 'migration'" in during.suppressions[0].detail
    # Nothing was sent, so nothing was remembered: after the window the alert goes out.
    after = router.route([firing], now=utc(2026, 1, 31, 11, 0), memory=memory)
    assert after.channels_for(firing) == ["email", "slack"]


def test_maintenance_is_reported_before_a_silence(make: Make, capabilities: Caps) -> None:
    router = AlertRouter(
        [RoutingRule(channel="email")],
        maintenance_windows=[weekend_nights(contracts=("*",))],
        silences=[
            Silence(
                contracts=("*",),
                starts_at=utc(2026, 3, 28, 0, 0),
                ends_at=utc(2026, 3, 29, 0, 0),
                created_by="alice",
                comment="also silenced",
            )
        ],
        channel_capabilities=capabilities,
    )
    event = make()
    decision = router.route([event], now=utc(2026, 3, 28, 1, 30), memory=RouterMemory())
    assert [s.reason for s in decision.suppressions] == [SuppressionReason.MAINTENANCE]
