"""CloudEvents 1.0 form of a `ContractViolationEvent` (cloudevents 2.x `core` API)."""

from __future__ import annotations

from typing import Any

from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.v1.event import CloudEvent

from floe_monitoring.sdk.event import ContractViolationEvent

__all__ = [
    "CLOUDEVENT_SOURCE",
    "CLOUDEVENT_TYPE",
    "event_from_cloudevent",
    "event_to_cloudevent",
]

CLOUDEVENT_TYPE = "floe.contract.violation"
CLOUDEVENT_SOURCE = "floe-contract-monitor"


def event_to_cloudevent(event: ContractViolationEvent) -> CloudEvent:
    """Wrap an event in a CloudEvent: id = event_id, time = occurrence, JSON data.

    Every attribute derives from the event, never from the clock, so retries of one
    notification serialise to identical bytes. Extension attributes carry what a
    receiver routes on without parsing the body.
    """
    attributes: dict[str, Any] = {
        "specversion": "1.0",
        "id": str(event.event_id),
        "type": CLOUDEVENT_TYPE,
        "source": CLOUDEVENT_SOURCE,
        "subject": event.contract_name,
        "time": event.timestamp,
        "datacontenttype": "application/json",
        "floestatus": event.status.value,
        "floeseverity": event.severity.value,
        "floeviolationtype": event.violation_type.value,
    }
    return CloudEvent(attributes=attributes, data=event.to_json_data())


def event_from_cloudevent(cloudevent: BaseCloudEvent) -> ContractViolationEvent:
    """Read a `ContractViolationEvent` back from a CloudEvent (for receivers and tests).

    Raises:
        ValueError: The CloudEvent is not a floe contract violation.
        pydantic.ValidationError: Its data is not a valid event.

    """
    if cloudevent.get_type() != CLOUDEVENT_TYPE:
        raise ValueError(f"not a floe contract violation: type {cloudevent.get_type()!r}")
    return ContractViolationEvent.model_validate(cloudevent.get_data())
