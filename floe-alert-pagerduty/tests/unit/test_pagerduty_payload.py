import json
from collections.abc import Callable
from typing import Any

import pytest

from floe_alert_pagerduty.conformance import validate_alert_event, validate_change_event
from floe_alert_pagerduty.payload import (
    MAX_EVENT_BYTES,
    MAX_SUMMARY_CHARS,
    NOTE_KEY,
    SEVERITY_MAP,
    alert_body,
    change_body,
    dumps_event,
    encode_event,
    fit_text,
    follow_up_body,
    pagerduty_length,
)
from floe_monitoring import TRUNCATION_MARKER, ContractViolationEvent, Severity

EventFactory = Callable[..., ContractViolationEvent]
KEY = "k" * 32


def trigger(event: ContractViolationEvent, **kwargs: Any) -> dict[str, Any]:
    return alert_body(event, routing_key=KEY, source="floe-contract-monitor", **kwargs)


def test_severity_map_is_one_to_one() -> None:
    assert {s.value: v for s, v in SEVERITY_MAP.items()} == {
        "critical": "critical",
        "error": "error",
        "warning": "warning",
        "info": "info",
    }
    assert set(SEVERITY_MAP) == set(Severity)


def test_trigger_body_maps_every_field(make_event: EventFactory) -> None:
    event = make_event()
    body = trigger(event, client_url="https://monitor.example.com")
    assert body["routing_key"] == KEY
    assert body["event_action"] == "trigger"
    assert body["dedup_key"] == event.dedup_key == "orders:freshness:orders.updated_at"
    assert body["client"] == "floe monitoring"
    assert body["client_url"] == "https://monitor.example.com"
    assert body["links"] == [{"href": "https://runbooks.example.com/orders", "text": "Runbook"}]
    payload = body["payload"]
    assert payload["summary"] == "ERROR · orders: freshness violation — orders is 7h old (SLA 6h)"
    assert payload["source"] == "floe-contract-monitor"
    assert payload["severity"] == "error"
    assert payload["timestamp"] == "2026-01-31T09:30:00Z"
    assert payload["component"] == "orders"
    assert payload["group"] == "sales"
    assert payload["class"] == "freshness"
    details = payload["custom_details"]
    assert details["expected"] == "6h"
    assert details["actual"] == "7h"
    assert details["element"] == "orders.updated_at"
    assert details["owner"] == "data-platform"
    assert details["consumers"] == ["finance-dashboard", "ml-features"]
    assert details["occurrences"] == 3
    assert details["message"] == "orders is 7h old (SLA 6h)"
    assert details["event_id"] == str(event.event_id)
    assert validate_alert_event(body) == []


@pytest.mark.parametrize("severity", ["critical", "error", "warning", "info"])
def test_each_severity_reaches_the_payload(make_event: EventFactory, severity: str) -> None:
    assert trigger(make_event(severity=severity))["payload"]["severity"] == severity


def test_optional_fields_are_left_out_when_empty(make_event: EventFactory) -> None:
    event = make_event(
        domain=None, owner=None, element=None, links=(), affected_consumers=(), metadata={}
    )
    body = trigger(event)
    assert "group" not in body["payload"]
    assert "links" not in body
    assert "client_url" not in body
    details = body["payload"]["custom_details"]
    assert not {"owner", "element", "consumers", "metadata", "domain"} & set(details)
    assert validate_alert_event(body) == []


def test_summary_is_one_line_and_cut_to_1024_with_a_marker(make_event: EventFactory) -> None:
    event = make_event(message="line one\r\nline two " + "x" * 5000)
    summary = trigger(event)["payload"]["summary"]
    assert len(summary) == MAX_SUMMARY_CHARS
    assert summary.endswith(TRUNCATION_MARKER)
    assert "\n" not in summary
    assert "\r" not in summary
    full = trigger(event)["payload"]["custom_details"]["message"]
    assert full == event.message


def test_summary_limit_counts_astral_characters_twice(make_event: EventFactory) -> None:
    summary = trigger(make_event(message="🔥" * 2000))["payload"]["summary"]
    assert pagerduty_length(summary) <= MAX_SUMMARY_CHARS
    assert summary.endswith(TRUNCATION_MARKER)
    assert pagerduty_length(summary) >= MAX_SUMMARY_CHARS - 1


def test_fit_text_keeps_short_text() -> None:
    assert fit_text("short", 10) == "short"
    assert fit_text("a\tb\nc", 10) == "a b c"
    assert fit_text("x" * 20, 3) == TRUNCATION_MARKER[:3]


def test_long_names_are_capped(make_event: EventFactory) -> None:
    body = trigger(make_event(contract_name="c" * 5000, domain="d" * 5000))
    assert len(body["payload"]["component"]) == 1024
    assert len(body["payload"]["group"]) == 1024


def test_hostile_text_is_kept_as_data_but_made_encodable(make_event: EventFactory) -> None:
    event = make_event(
        contract_name="<!channel> <script>alert(1)</script>",
        message='bad\ud800 byte\x07 and "quotes"',
        metadata={"nan": float("nan"), "nested": ["\udfff"], "ok": 1},
    )
    body = trigger(event)
    data = json.loads(dumps_event(body))
    assert data["payload"]["component"] == "<!channel> <script>alert(1)</script>"
    assert data["payload"]["custom_details"]["message"] == 'bad\ufffd byte and "quotes"'
    assert data["payload"]["custom_details"]["metadata"] == {
        "nan": "nan",
        "nested": ["\ufffd"],
        "ok": 1,
    }


def test_follow_up_body_is_minimal() -> None:
    assert follow_up_body("resolve", dedup_key="k1", routing_key=KEY) == {
        "routing_key": KEY,
        "event_action": "resolve",
        "dedup_key": "k1",
    }
    body = follow_up_body("acknowledge", dedup_key="k1", routing_key=KEY)
    assert body["event_action"] == "acknowledge"
    assert validate_alert_event(body) == []


def test_change_body_matches_the_change_events_api(make_event: EventFactory) -> None:
    event = make_event(severity="info")
    body = change_body(event, routing_key=KEY, source="floe")
    assert set(body) == {"routing_key", "payload", "links"}
    assert set(body["payload"]) == {"summary", "source", "timestamp", "custom_details"}
    assert body["payload"]["custom_details"]["severity"] == "info"
    assert body["payload"]["custom_details"]["dedup_key"] == event.dedup_key
    assert validate_change_event(body) == []


def test_encoding_is_deterministic(make_event: EventFactory) -> None:
    event = make_event(metadata={"b": 1, "a": [1, 2]})
    assert dumps_event(trigger(event)) == dumps_event(trigger(event))
    assert encode_event(trigger(event)).content == dumps_event(trigger(event))
    assert encode_event(trigger(event)).trimmed == ()


def test_oversized_details_are_trimmed_with_a_note(make_event: EventFactory) -> None:
    event = make_event(metadata={"rows": ["r" * 1000] * 700}, actual_value="a" * 300_000)
    encoded = encode_event(trigger(event))
    assert len(encoded.content) <= MAX_EVENT_BYTES
    assert len(encoded.content) > MAX_EVENT_BYTES - 1000  # uses the room it has
    assert set(encoded.trimmed) == {"metadata", "actual"}
    body = json.loads(encoded.content)
    details = body["payload"]["custom_details"]
    assert "metadata, actual" in details[NOTE_KEY] or "actual, metadata" in details[NOTE_KEY]
    assert details["metadata"].endswith(TRUNCATION_MARKER)
    assert details["actual"].endswith(TRUNCATION_MARKER)
    # Small details survive whole; the rest of the event is untouched.
    assert details["expected"] == "6h"
    assert details["occurrences"] == 3
    assert body["payload"]["summary"] == trigger(event)["payload"]["summary"]
    assert body["links"] == trigger(event)["links"]
    assert validate_alert_event(body) == []


def test_trimming_respects_multibyte_characters(make_event: EventFactory) -> None:
    encoded = encode_event(trigger(make_event(message="é" * 400_000)))
    assert len(encoded.content) <= MAX_EVENT_BYTES
    assert encoded.trimmed == ("message",)
    json.loads(encoded.content.decode("utf-8"))  # valid UTF-8 and JSON


def test_trimming_with_a_small_limit_keeps_identity(make_event: EventFactory) -> None:
    event = make_event(metadata={"x": "y" * 10_000})
    encoded = encode_event(trigger(event), max_bytes=2_000)
    assert len(encoded.content) <= 2_000
    body = json.loads(encoded.content)
    assert body["dedup_key"] == event.dedup_key
    assert NOTE_KEY in body["payload"]["custom_details"]


def test_when_fixed_fields_are_too_big_details_and_links_are_dropped(
    make_event: EventFactory,
) -> None:
    many_links = tuple(
        {"title": "t" * 500, "url": f"https://example.com/{i}"} for i in range(2_000)
    )
    event = make_event(links=many_links)
    encoded = encode_event(trigger(event))
    assert len(encoded.content) <= MAX_EVENT_BYTES
    assert "links" in encoded.trimmed
    body = json.loads(encoded.content)
    assert "links" not in body
    assert set(body["payload"]["custom_details"]) == {NOTE_KEY}
    assert body["payload"]["summary"]
    assert validate_alert_event(body) == []


def test_change_events_are_trimmed_too(make_event: EventFactory) -> None:
    body = change_body(make_event(metadata={"x": "y" * 600_000}), routing_key=KEY, source="s")
    encoded = encode_event(body)
    assert len(encoded.content) <= MAX_EVENT_BYTES
    assert encoded.trimmed == ("metadata",)
    assert validate_change_event(json.loads(encoded.content)) == []
