from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

import pytest
from cloudevents.core.bindings.http import (
    HTTPMessage,
    from_binary_event,
    from_structured_event,
    to_binary_event,
    to_structured_event,
)

from floe_monitoring import ContractViolationEvent
from floe_monitoring.sdk import CLOUDEVENT_SOURCE, CLOUDEVENT_TYPE, event_from_cloudevent

EventFactory = Callable[..., ContractViolationEvent]


def test_attributes_follow_the_specification(event_factory: EventFactory) -> None:
    event = event_factory()
    cloudevent = event.to_cloudevent()
    assert cloudevent.get_specversion() == "1.0"
    assert cloudevent.get_type() == CLOUDEVENT_TYPE == "floe.contract.violation"
    assert cloudevent.get_source() == CLOUDEVENT_SOURCE == "floe-contract-monitor"
    assert cloudevent.get_id() == str(event.event_id)
    assert cloudevent.get_subject() == "orders"
    assert cloudevent.get_time() == event.timestamp
    assert cloudevent.get_datacontenttype() == "application/json"


def test_data_is_camel_case_json(event_factory: EventFactory) -> None:
    data = event_factory().to_cloudevent().get_data()
    assert isinstance(data, dict)
    assert data["contractName"] == "orders"
    assert data["violationType"] == "freshness"
    assert data["dedupKey"] == "urn:contract:orders:freshness:orders.updated_at"
    assert data["timestamp"] == "2026-01-31T09:30:00Z"
    assert "contract_name" not in data


def test_structured_binding_round_trips(event_factory: EventFactory) -> None:
    event = event_factory(message="Ünïcödé ✓ 🚨 <b>")
    message = to_structured_event(event.to_cloudevent())
    assert message.headers["content-type"].startswith("application/cloudevents+json")
    back = from_structured_event(HTTPMessage(headers=dict(message.headers), body=message.body))
    assert event_from_cloudevent(back) == event


def test_binary_binding_round_trips_with_ce_headers(event_factory: EventFactory) -> None:
    event = event_factory(contract_name='orders "eu" 100%')
    message = to_binary_event(event.to_cloudevent())
    assert message.headers["ce-type"] == "floe.contract.violation"
    assert message.headers["ce-id"] == str(event.event_id)
    assert message.headers["content-type"] == "application/json"
    # Space, quote and percent must be percent-encoded in header values.
    subject = message.headers["ce-subject"]
    assert " " not in subject
    assert '"' not in subject
    assert unquote(subject) == 'orders "eu" 100%'
    back = from_binary_event(HTTPMessage(headers=dict(message.headers), body=message.body))
    assert event_from_cloudevent(back) == event


def test_serialisation_is_deterministic_for_retries(event_factory: EventFactory) -> None:
    event = event_factory()
    first = to_structured_event(event.to_cloudevent()).body
    second = to_structured_event(event.to_cloudevent()).body
    assert first == second


def test_a_foreign_cloudevent_is_refused(event_factory: EventFactory) -> None:
    from cloudevents.core.v1.event import CloudEvent

    other = CloudEvent({"type": "com.example.other", "source": "/x"}, data={})
    with pytest.raises(ValueError, match="not a floe contract violation"):
        event_from_cloudevent(other)
