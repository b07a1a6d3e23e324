"""The incidents facade, the priority table and the status each kind carries."""

from __future__ import annotations

import inspect

import pytest

import floe_monitoring.incidents as incidents
from floe_monitoring.incidents import IncidentPriority, NotificationKind, incident_priority
from floe_monitoring.sdk.enums import EventStatus, Severity

INTENDED = {
    "IncidentPhase",
    "IncidentPolicy",
    "IncidentPriority",
    "IncidentState",
    "IncidentTracker",
    "Notification",
    "NotificationKind",
    "OpenIncident",
    "incident_priority",
    "result_severity",
}


def test_all_is_exactly_the_public_api() -> None:
    assert set(incidents.__all__) == INTENDED
    assert sorted(incidents.__all__) == list(incidents.__all__)


@pytest.mark.parametrize("name", sorted(INTENDED))
def test_every_public_name_is_documented(name: str) -> None:
    assert inspect.getdoc(getattr(incidents, name))


@pytest.mark.parametrize(
    ("severity", "priority"),
    [
        (Severity.CRITICAL, IncidentPriority.P1),
        (Severity.ERROR, IncidentPriority.P2),
        (Severity.WARNING, IncidentPriority.P3),
        (Severity.INFO, IncidentPriority.P4),
    ],
)
def test_severity_maps_to_priority(severity: Severity, priority: IncidentPriority) -> None:
    assert incident_priority(severity) is priority


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (NotificationKind.FIRING, EventStatus.FIRING),
        (NotificationKind.ESCALATED, EventStatus.FIRING),
        (NotificationKind.REPEAT, EventStatus.FIRING),
        (NotificationKind.FLAPPING, EventStatus.FIRING),
        (NotificationKind.CANNOT_EVALUATE, EventStatus.FIRING),
        (NotificationKind.RESOLVED, EventStatus.RESOLVED),
        (NotificationKind.CAN_EVALUATE, EventStatus.RESOLVED),
    ],
)
def test_each_kind_carries_its_event_status(kind: NotificationKind, status: EventStatus) -> None:
    assert kind.status is status
