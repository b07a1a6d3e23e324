import json
import time
from typing import Any

import pytest

from floe_alert_pagerduty.conformance import (
    FakeEventsAPI,
    PagerDutyProfile,
    error_body,
    routing_key_for_secret,
    validate_alert_event,
    validate_change_event,
)
from floe_testing_kit import Endpoint, RecordedRequest, TextFormat, Transport

KEY = "k" * 32


def valid_trigger(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": "orders:freshness:*",
        "payload": {
            "summary": "orders is stale",
            "source": "floe",
            "severity": "error",
            "timestamp": "2026-01-31T09:30:00Z",
            "component": "orders",
            "group": "sales",
            "class": "freshness",
            "custom_details": {"expected": "6h"},
        },
        "client": "floe monitoring",
        "client_url": "https://monitor.example.com",
        "links": [{"href": "https://example.com", "text": "Runbook"}],
        "images": [{"src": "https://example.com/chart.png"}],
    }
    body.update(changes)
    return body


def with_payload(**changes: Any) -> dict[str, Any]:
    body = valid_trigger()
    body["payload"] = {**body["payload"], **changes}
    return {**body, "payload": {k: v for k, v in body["payload"].items() if v is not None}}


def request(
    body: Any, path: str = "/v2/enqueue", method: str = "POST", **headers: str
) -> RecordedRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RecordedRequest(
        method, path, {"content-type": "application/json", **headers}, raw, time.monotonic()
    )


def answer(api: FakeEventsAPI, req: RecordedRequest) -> tuple[int, dict[str, Any]]:
    response = api(req)
    return response.status, json.loads(response.body)


def test_a_valid_trigger_is_accepted() -> None:
    assert validate_alert_event(valid_trigger()) == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (valid_trigger(routing_key=None), "'routing_key' is missing or blank"),
        (valid_trigger(routing_key="short"), "Length of 'routing_key' is incorrect"),
        (valid_trigger(event_action=None), "'event_action' is missing or blank"),
        (valid_trigger(event_action="open"), "'event_action' is invalid"),
        (valid_trigger(dedup_key="d" * 256), "'dedup_key' is too long (max 255"),
        (valid_trigger(dedup_key=""), "'dedup_key' must be a non-blank string"),
        (valid_trigger(payload=None), "'payload' is missing or not an object"),
        (with_payload(summary=None), "'payload.summary' is missing or blank"),
        (with_payload(summary="s" * 1025), "'payload.summary' is too long (max 1024"),
        (with_payload(summary="😀" * 513), "'payload.summary' is too long"),
        (with_payload(source=None), "'payload.source' is missing or blank"),
        (with_payload(severity=None), "'payload.severity' is missing"),
        (with_payload(severity="fatal"), "'payload.severity' is invalid"),
        (with_payload(timestamp="yesterday"), "'payload.timestamp' is not a valid ISO 8601"),
        (with_payload(component=5), "'payload.component' must be a string"),
        (with_payload(group=[]), "'payload.group' must be a string"),
        (with_payload(custom_details="x"), "'payload.custom_details' must be an object"),
        (with_payload(extra="x"), "'payload.extra' is not a field"),
        (valid_trigger(client=1), "'client' must be a string"),
        (valid_trigger(client_url="monitor"), "'client_url' must be an http(s) URL"),
        (valid_trigger(links={}), "'links' must be an array"),
        (valid_trigger(links=[{"text": "no href"}]), "'links[0].href' is missing"),
        (valid_trigger(links=[{"href": "https://x", "text": 1}]), "'links[0].text' must be"),
        (valid_trigger(links=[{"href": "https://x", "alt": "y"}]), "'links[0].alt' is not"),
        (valid_trigger(images=[{"src": "http://insecure"}]), "'images[0].src' is missing or not"),
        (valid_trigger(images="x"), "'images' must be an array"),
        (valid_trigger(incident_key="x"), "'incident_key' is not a field"),
        ([], "Event object must be a JSON object"),
    ],
)
def test_each_invalid_field_is_reported(body: Any, error: str) -> None:
    errors = validate_alert_event(body)
    assert any(error in e for e in errors), errors


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_follow_ups_need_a_dedup_key_but_no_payload(action: str) -> None:
    assert (
        validate_alert_event({"routing_key": KEY, "event_action": action, "dedup_key": "k"}) == []
    )
    assert validate_alert_event({"routing_key": KEY, "event_action": action}) == [
        f"'dedup_key' is required for '{action}' events"
    ]


def test_change_event_validation() -> None:
    valid = {
        "routing_key": KEY,
        "payload": {"summary": "deployed", "source": "ci", "timestamp": "2026-01-31T09:30:00Z"},
        "links": [{"href": "https://example.com"}],
    }
    assert validate_change_event(valid) == []
    assert validate_change_event({**valid, "event_action": "trigger"}) == [
        "'event_action' is not a field of the Events API v2"
    ]
    assert validate_change_event({**valid, "payload": {"severity": "info"}}) == [
        "'payload.severity' is not a field of the Events API v2",
        "'payload.summary' is missing or blank",
    ]
    assert validate_change_event({"routing_key": KEY}) == ["'payload' is missing or not an object"]
    assert validate_change_event("x") == ["Event object must be a JSON object"]


def test_fake_answers_202_and_tracks_alert_state() -> None:
    api = FakeEventsAPI()
    status, body = answer(api, request(valid_trigger()))
    assert (status, body) == (
        202,
        {"status": "success", "message": "Event processed", "dedup_key": "orders:freshness:*"},
    )
    assert api.alert_state(KEY, "orders:freshness:*") == "triggered"
    assert api.open_alerts() == [(KEY, "orders:freshness:*")]
    ack = {"routing_key": KEY, "event_action": "acknowledge", "dedup_key": "orders:freshness:*"}
    assert answer(api, request(ack))[0] == 202
    assert api.alert_state(KEY, "orders:freshness:*") == "acknowledged"
    resolve = {**ack, "event_action": "resolve"}
    assert answer(api, request(resolve))[0] == 202
    assert api.alert_state(KEY, "orders:freshness:*") == "resolved"
    assert api.open_alerts() == []
    # A resolve of nothing open is dropped, still with 202 (as PagerDuty does).
    assert answer(api, request(resolve))[0] == 202
    assert [e.applied for e in api.events_for("orders:freshness:*")] == [True, True, True, False]
    # After resolve, the same key opens a new alert.
    answer(api, request(valid_trigger()))
    assert api.alert_state(KEY, "orders:freshness:*") == "triggered"


def test_fake_generates_a_dedup_key_when_none_is_sent() -> None:
    body = valid_trigger()
    del body["dedup_key"]
    status, answered = answer(FakeEventsAPI(), request(body))
    assert status == 202
    assert len(answered["dedup_key"]) == 32


def test_fake_answers_400_with_the_documented_body() -> None:
    api = FakeEventsAPI()
    status, body = answer(api, request(with_payload(summary=None, severity="bad")))
    assert status == 400
    assert body["status"] == "invalid event"
    assert body["message"] == "Event object is invalid"
    assert len(body["errors"]) == 2
    assert api.rejected == [body["errors"]]
    assert answer(api, request(b"{not json"))[1]["errors"] == ["JSON parse error"]
    assert answer(api, request(valid_trigger(), **{"content-type": "text/plain"}))[0] == 400


def test_fake_rejects_events_over_512_kb() -> None:
    status, body = answer(
        FakeEventsAPI(), request(with_payload(custom_details={"x": "y" * 512_000}))
    )
    assert status == 400
    assert "too large" in body["errors"][0]


def test_fake_throttles_per_routing_key_with_429() -> None:
    now = [0.0]
    api = FakeEventsAPI(rate_limit=2, rate_window=60, retry_after="30", clock=lambda: now[0])
    assert [api(request(valid_trigger())).status for _ in range(3)] == [202, 202, 429]
    throttled = api(request(valid_trigger()))
    assert json.loads(throttled.body) == error_body(429)
    assert throttled.headers["Retry-After"] == "30"
    assert api(request(valid_trigger(routing_key="o" * 32))).status == 202
    now[0] = 61.0
    assert api(request(valid_trigger())).status == 202


def test_fake_routes_change_events_and_refuses_other_requests() -> None:
    api = FakeEventsAPI()
    change = {"routing_key": KEY, "payload": {"summary": "deployed"}}
    status, body = answer(api, request(change, path="/v2/change/enqueue"))
    assert (status, body) == (202, {"status": "success", "message": "Change event processed"})
    assert api.accepted[-1].kind == "change"
    assert api(request(b"", path="/", method="GET")).status == 404
    assert api(request(b"", path="/v2/enqueue", method="GET")).status == 405


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        ("s" * 32, "s" * 32),
        ("planted", "planted" + "0" * 25),
        ("x" * 10 + "y" * 32, "y" * 32),
    ],
)
def test_routing_key_for_secret_is_32_characters(secret: str, expected: str) -> None:
    assert routing_key_for_secret(secret) == expected


def test_profile_describes_the_channel() -> None:
    profile = PagerDutyProfile()
    assert profile.channel == "pagerduty"
    assert profile.transport is Transport.HTTP
    assert profile.text_format is TextFormat.JSON
    config = profile.config(Endpoint(url="http://127.0.0.1:9"), secret="planted", variant="default")
    assert config["routing_key"] == routing_key_for_secret("planted")
    assert config["base_url"] == "http://127.0.0.1:9"
    assert config["allow_insecure_http"] is True
    assert "ca_bundle" not in config
    tls = profile.config(
        Endpoint(url="https://127.0.0.1:9", ca_bundle="/etc/pki/ca.pem"),
        secret="s",
        variant="default",
    )
    assert tls["allow_insecure_http"] is False
    assert tls["ca_bundle"] == "/etc/pki/ca.pem"


def test_profile_answers_like_pagerduty() -> None:
    profile = PagerDutyProfile()
    assert profile.success_response(request(valid_trigger()), variant="default").status == 202
    assert (
        profile.success_response(request(valid_trigger(routing_key="x")), variant="default").status
        == 400
    )
    error = profile.error_response(429, variant="default", headers={"Retry-After": "5"})
    assert error.status == 429
    assert error.headers["Retry-After"] == "5"
    assert json.loads(error.body) == error_body(429)
    assert json.loads(profile.error_response(400, variant="default").body)["errors"]
    assert json.loads(profile.error_response(503, variant="default").body)["status"] == "error"


def test_profile_reads_key_text_and_deliveries() -> None:
    profile = PagerDutyProfile()
    trigger = request(valid_trigger())
    assert profile.idempotency_key(trigger, variant="default") == "orders:freshness:*"
    assert profile.idempotency_key(request(b"nope"), variant="default") is None
    change = request({"routing_key": KEY, "payload": {"summary": "s"}}, path="/v2/change/enqueue")
    assert profile.idempotency_key(change, variant="default") is None
    text = profile.rendered_text(trigger, variant="default").splitlines()
    assert text[:6] == [
        "orders is stale",
        "floe",
        "orders",
        "sales",
        "freshness",
        "orders:freshness:*",
    ]
    assert "6h" in text
    assert "Runbook" in text
    assert profile.rendered_text(request(b"raw"), variant="default") == "raw"
    assert profile.is_delivery(trigger, variant="default")
    assert profile.is_delivery(change, variant="default")
    assert not profile.is_delivery(request(b"", path="/", method="GET"), variant="default")
