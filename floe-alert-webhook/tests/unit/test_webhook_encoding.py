"""Bodies for each mode: deterministic bytes, header safety, and a lossless round trip."""

from __future__ import annotations

import json

import pytest
from cloudevents.core.bindings.http import (
    HTTPMessage,
    from_binary_event,
    from_structured_event,
    to_binary_event,
)
from cloudevents.core.formats.json import JSONFormat

from floe_alert_webhook import WebhookMode, read_webhook_events
from floe_alert_webhook.encoding import (
    BATCH_CONTENT_TYPE,
    STRUCTURED_CONTENT_TYPE,
    batch_message_id,
    encode_batch,
    encode_event,
)
from floe_monitoring import ContractViolationEvent
from floe_monitoring.sdk import event_from_cloudevent
from floe_testing_kit.events import UNICODE_TEXT, hostile_event, make_event, resolved_of


def test_structured_mode() -> None:
    event = make_event()
    encoded = encode_event(event, WebhookMode.STRUCTURED)
    assert encoded.headers == {"content-type": "application/cloudevents+json; charset=UTF-8"}
    assert encoded.message_id == str(event.event_id)
    document = json.loads(encoded.body)
    assert document["specversion"] == "1.0"
    assert document["id"] == str(event.event_id)
    assert document["type"] == "floe.contract.violation"
    assert document["source"] == "floe-contract-monitor"
    assert document["time"] == "2026-01-31T09:30:00Z"
    assert document["data"]["contractName"] == "orders"
    parsed = from_structured_event(HTTPMessage(encoded.headers, encoded.body))
    assert event_from_cloudevent(parsed) == event


def test_binary_mode() -> None:
    event = make_event()
    encoded = encode_event(event, WebhookMode.BINARY)
    assert encoded.headers["content-type"] == "application/json"
    assert encoded.headers["ce-id"] == str(event.event_id)
    assert encoded.headers["ce-specversion"] == "1.0"
    assert encoded.headers["ce-type"] == "floe.contract.violation"
    assert encoded.headers["ce-floestatus"] == "firing"
    assert json.loads(encoded.body)["eventId"] == str(event.event_id)
    parsed = from_binary_event(HTTPMessage(encoded.headers, encoded.body))
    assert event_from_cloudevent(parsed) == event


@pytest.mark.parametrize(
    "event",
    [make_event(), hostile_event().with_changes(message=UNICODE_TEXT + ' "\\/\x00\u2028')],
    ids=["plain", "hostile"],
)
def test_json_mode_is_the_event_data_alone(event: ContractViolationEvent) -> None:
    encoded = encode_event(event, WebhookMode.JSON)
    assert encoded.headers == {"content-type": "application/json"}
    assert json.loads(encoded.body) == event.to_json_data()
    # Written without a CloudEvent, yet the very bytes the binding writes as its data.
    assert encoded.body == encode_event(event, WebhookMode.BINARY).body
    assert encoded.body == to_binary_event(event.to_cloudevent(), JSONFormat()).body


@pytest.mark.parametrize("mode", list(WebhookMode))
def test_same_event_same_bytes(mode: WebhookMode) -> None:
    event = make_event()
    first, second = encode_event(event, mode), encode_event(event, mode)
    assert first == second
    # A copy of the event (as after a restart and reload from the outbox) too.
    copy = type(event).model_validate_json(event.model_dump_json())
    assert encode_event(copy, mode) == first


@pytest.mark.parametrize("mode", list(WebhookMode))
def test_round_trip_of_hostile_and_unicode_text(mode: WebhookMode) -> None:
    event = hostile_event().with_changes(message=UNICODE_TEXT + " <!channel>\r\n")
    encoded = encode_event(event, mode)
    assert read_webhook_events(encoded.headers, encoded.body) == [event]


def test_binary_headers_are_percent_encoded_single_lines() -> None:
    event = hostile_event()  # contract name carries CRLF and a Bcc: header
    encoded = encode_event(event, WebhookMode.BINARY)
    for name, value in encoded.headers.items():
        assert "\r" not in value, name
        assert "\n" not in value, name
        assert all(0x21 <= ord(ch) <= 0x7E for ch in value), name
    # Space, '"', '%' and anything outside U+0021-U+007E are percent-encoded (the spec).
    assert encoded.headers["ce-subject"] == "orders<!channel>%0D%0ABcc:%20attacker@evil.example"


def test_resolved_event_is_its_own_cloudevent() -> None:
    firing = make_event()
    resolved = resolved_of(firing)
    encoded = encode_event(resolved, WebhookMode.STRUCTURED)
    document = json.loads(encoded.body)
    assert document["id"] == str(resolved.event_id) != str(firing.event_id)
    assert document["floestatus"] == "resolved"
    assert document["data"]["dedupKey"] == firing.dedup_key


@pytest.mark.parametrize("mode", [WebhookMode.STRUCTURED, WebhookMode.BINARY])
def test_cloudevents_batch(mode: WebhookMode) -> None:
    events = [make_event(), make_event(element="orders.id", violation_type="quality")]
    encoded = encode_batch(events, mode)
    assert encoded.headers == {"content-type": BATCH_CONTENT_TYPE}
    items = json.loads(encoded.body)
    assert [item["id"] for item in items] == [str(e.event_id) for e in events]
    assert read_webhook_events(encoded.headers, encoded.body) == events
    assert encode_batch(events, mode) == encoded


def test_json_batch_is_an_array_of_event_data() -> None:
    events = [make_event(), resolved_of(make_event())]
    encoded = encode_batch(events, WebhookMode.JSON)
    assert encoded.headers == {"content-type": "application/json"}
    assert json.loads(encoded.body) == [e.to_json_data() for e in events]
    assert read_webhook_events(encoded.headers, encoded.body) == events


def test_batch_id_is_stable_and_order_sensitive() -> None:
    a, b = make_event(), make_event()
    assert batch_message_id([a, b]) == batch_message_id([a, b])
    assert batch_message_id([a, b]) != batch_message_id([b, a])
    assert batch_message_id([a]) != str(a.event_id)


def test_empty_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        encode_batch([], WebhookMode.STRUCTURED)


def test_reading_refuses_unknown_bodies() -> None:
    with pytest.raises(ValueError, match="content type"):
        read_webhook_events({"Content-Type": "text/plain"}, b"hello")
    with pytest.raises(ValueError, match="JSON array"):
        read_webhook_events({"content-type": BATCH_CONTENT_TYPE}, b"{}")
    other = json.dumps(
        {"specversion": "1.0", "id": "1", "type": "com.example.other", "source": "/x"}
    )
    with pytest.raises(ValueError, match="not a floe contract violation"):
        read_webhook_events({"content-type": STRUCTURED_CONTENT_TYPE}, other)
