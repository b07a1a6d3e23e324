"""`Notification`: one thing the tracker wants receivers to hear, and its kind."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from floe_monitoring.checks import CheckResult
from floe_monitoring.incidents.severity import IncidentPriority, incident_priority
from floe_monitoring.sdk.enums import EventStatus, Severity
from floe_monitoring.sdk.event import MAX_DEDUP_KEY_LENGTH, utc_datetime

__all__ = ["Notification", "NotificationKind"]


class NotificationKind(StrEnum):
    """Why the tracker notifies.

    ``firing`` opens an incident, ``resolved`` closes it, ``escalated`` raises its
    severity, ``repeat`` reminds while it fires, ``flapping`` replaces the storm of a
    check flipping between pass and fail; ``cannot_evaluate`` and ``can_evaluate`` open
    and close a separate episode of ``error`` results (not a violation).
    """

    FIRING = "firing"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    REPEAT = "repeat"
    FLAPPING = "flapping"
    CANNOT_EVALUATE = "cannot_evaluate"
    CAN_EVALUATE = "can_evaluate"

    @property
    def status(self) -> EventStatus:
        """The event status a notification of this kind carries."""
        if self in (NotificationKind.RESOLVED, NotificationKind.CAN_EVALUATE):
            return EventStatus.RESOLVED
        return EventStatus.FIRING


_PREFIXES = {
    NotificationKind.FLAPPING: "flapping between pass and fail; latest: ",
    NotificationKind.CANNOT_EVALUATE: "cannot evaluate: ",
    NotificationKind.CAN_EVALUATE: "can evaluate again: ",
}


class Notification(BaseModel):
    """Everything needed to build the `ContractViolationEvent` of one notification.

    Attributes:
        kind: Why this notification is sent.
        severity: The incident's severity now (the notice severity for evaluation ones).
        previous_severity: For ``escalated``: the severity receivers heard before.
        dedup_key: The incident's (or evaluation episode's) stable key, ≤ 255 characters.
        incident_id: The incident's (or episode's) id.
        event_id: New for every notification; reuse it on every retry of it.
        first_seen_at: Start of the first bad result of the incident or episode.
        occurrences: Failing (or, for evaluation notices, ``error``) results counted.
        at: When the tracker decided to notify (its ``now``).
        result: The result that triggered the notification.

    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: NotificationKind
    severity: Severity
    previous_severity: Severity | None = None
    dedup_key: str = Field(min_length=1, max_length=MAX_DEDUP_KEY_LENGTH)
    incident_id: uuid.UUID
    event_id: uuid.UUID
    first_seen_at: utc_datetime
    occurrences: int = Field(ge=1)
    at: utc_datetime
    result: CheckResult

    @property
    def status(self) -> EventStatus:
        """``firing`` or ``resolved``, from the kind."""
        return self.kind.status

    @property
    def priority(self) -> IncidentPriority:
        """The incident priority of this notification's severity."""
        return incident_priority(self.severity)

    def event_fields(self) -> dict[str, Any]:
        """Keyword arguments for `ContractViolationEvent` taken from this notification.

        The engine adds what the tracker does not know (domain, owner, consumers,
        links) and may replace the message.
        """
        result = self.result
        metadata: dict[str, JsonValue] = {
            "incident_id": str(self.incident_id),
            "notification": self.kind.value,
            "priority": self.priority.value,
            "check_status": result.status.value,
        }
        if self.previous_severity is not None:
            metadata["previous_severity"] = self.previous_severity.value
        if result.reason is not None:
            metadata["reason"] = result.reason
        return {
            "contract_id": result.contract_id,
            "contract_name": result.contract_name,
            "contract_version": result.contract_version,
            "violation_type": result.violation_type,
            "element": result.element,
            "severity": self.severity,
            "message": _PREFIXES.get(self.kind, "") + result.message,
            "expected_value": result.threshold,
            "actual_value": result.measured_value,
            "timestamp": result.started_at,
            "check_duration_seconds": result.duration_seconds,
            "event_id": self.event_id,
            "dedup_key": self.dedup_key,
            "status": self.status,
            "first_seen_at": self.first_seen_at,
            "occurrences": self.occurrences,
            "metadata": metadata,
        }
