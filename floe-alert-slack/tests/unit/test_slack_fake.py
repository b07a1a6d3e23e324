import json
import time
from typing import Any

import pytest

from floe_alert_slack.conformance import (
    FAKE_CHANNEL_ID,
    FakeSlack,
    SlackProfile,
    api_error,
    webhook_error,
)
from floe_testing_kit import Endpoint, RecordedRequest

TOKEN = "xoxb-test"
OK_MESSAGE = {
    "text": "hi",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
}


def _request(
    path: str, body: Any = None, *, method: str = "POST", token: str | None = TOKEN
) -> RecordedRequest:
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    return RecordedRequest(method, path, headers, raw, time.monotonic())


def _json(body: bytes) -> dict[str, Any]:
    data = json.loads(body)
    assert isinstance(data, dict)
    return data


def test_webhook_accepts_a_valid_message_with_ok() -> None:
    fake = FakeSlack()
    response = fake(_request("/services/T/B/x", OK_MESSAGE, token=None))
    assert (response.status, response.body) == (200, b"ok")
    assert [m.channel for m in fake.messages] == ["webhook"]
    assert fake.rejections == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_payload"),
        ({}, "no_text"),
        (
            {
                "text": "t",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}}],
            },
            "invalid_blocks",
        ),
        ({"text": "t" * 4001}, "msg_too_long"),
        (
            {
                "text": "t",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 2900}}] * 5,
            },
            "msg_blocks_too_long",
        ),
    ],
)
def test_webhook_rejects_what_slack_rejects(body: Any, code: str) -> None:
    fake = FakeSlack()
    response = fake(_request("/services/T/B/x", body, token=None))
    assert response.status == 400
    assert response.body == code.encode()
    assert [r.code for r in fake.rejections] == [code]
    assert fake.messages == []


def test_webhook_get_posts_nothing() -> None:
    fake = FakeSlack()
    assert fake(_request("/services/T/B/x", method="GET", token=None)).status == 405
    assert fake.messages == []


def test_post_message_threads_and_update_edits() -> None:
    fake = FakeSlack(token=TOKEN)
    first = _json(
        fake(_request("/api/chat.postMessage", {"channel": "#alerts", **OK_MESSAGE})).body
    )
    assert first["ok"] is True
    assert first["channel"] == FAKE_CHANNEL_ID
    reply = _json(
        fake(
            _request(
                "/api/chat.postMessage",
                {"channel": "C0FAKE", "thread_ts": first["ts"], **OK_MESSAGE},
            )
        ).body
    )
    assert reply["message"]["thread_ts"] == first["ts"]
    assert fake.messages[1].thread_ts == first["ts"]
    updated = _json(
        fake(
            _request("/api/chat.update", {"channel": "C0FAKE", "ts": first["ts"], **OK_MESSAGE})
        ).body
    )
    assert updated == {"ok": True, "channel": "C0FAKE", "ts": first["ts"], "text": "hi"}
    assert [u.ts for u in fake.updates] == [first["ts"]]
    assert fake.rejections == []


@pytest.mark.parametrize(
    ("path", "body", "token", "code"),
    [
        ("/api/chat.postMessage", {"channel": "C1", **OK_MESSAGE}, None, "not_authed"),
        ("/api/chat.postMessage", {"channel": "C1", **OK_MESSAGE}, "xoxb-wrong", "invalid_auth"),
        ("/api/chat.postMessage", OK_MESSAGE, TOKEN, "channel_not_found"),
        (
            "/api/chat.postMessage",
            {
                "channel": "C1",
                "text": "t",
                "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            },
            TOKEN,
            "invalid_blocks",
        ),
        (
            "/api/chat.postMessage",
            {"channel": "C1", "text": "t", "metadata": {"event_type": 1}},
            TOKEN,
            "invalid_metadata_format",
        ),
        (
            "/api/chat.update",
            {"channel": "C1", "ts": "1.1", **OK_MESSAGE},
            TOKEN,
            "message_not_found",
        ),
        ("/api/chat.postMessage", b"{", TOKEN, "invalid_json"),
        ("/api/chat.delete", {}, TOKEN, "unknown_method"),
    ],
)
def test_api_rejects_like_slack(path: str, body: Any, token: str | None, code: str) -> None:
    fake = FakeSlack(token=TOKEN)
    response = fake(_request(path, body, token=token))
    data = _json(response.body)
    assert data["ok"] is False
    assert data["error"] == code
    assert [r.code for r in fake.rejections] == [code]
    if code == "invalid_blocks":
        assert any("cannot exceed 150" in e for e in data["errors"])


def test_auth_test_answers_ok() -> None:
    data = _json(FakeSlack(token=TOKEN)(_request("/api/auth.test", {})).body)
    assert data["ok"] is True
    assert data["team_id"] == "T0FAKE"


def test_error_builders_match_slack_bodies() -> None:
    limited = webhook_error("rate_limited", 429, retry_after=9)
    assert limited.status == 429
    assert limited.headers["Retry-After"] == "9"
    assert _json(limited.body) == {"ok": False, "error": "rate_limited", "retry_after": 9}
    archived = webhook_error("channel_is_archived", 410)
    assert (archived.status, archived.body) == (410, b"channel_is_archived")
    blocks = api_error("invalid_blocks", errors=["bad [json-pointer:/blocks/0]"])
    assert (blocks.status, _json(blocks.body)["errors"]) == (200, ["bad [json-pointer:/blocks/0]"])
    assert api_error("ratelimited", 429, retry_after=2).headers["Retry-After"] == "2"


def test_profile_config_plants_the_secret() -> None:
    profile = SlackProfile()
    endpoint = Endpoint(url="http://127.0.0.1:9", ca_bundle="/etc/floe/ca.pem")
    webhook = profile.config(endpoint, secret="S3CRET", variant="webhook")
    assert webhook["webhook_url"] == "http://127.0.0.1:9/services/T0FAKE/B0FAKE/S3CRET"
    assert webhook["ca_bundle"] == "/etc/floe/ca.pem"
    api = profile.config(endpoint, secret="S3CRET", variant="web_api")
    assert api["token"] == "xoxb-S3CRET"
    assert api["base_url"] == "http://127.0.0.1:9/api/"
    assert api["channel"] == FAKE_CHANNEL_ID
    with pytest.raises(ValueError, match="unknown variant"):
        profile.config(endpoint, secret="s", variant="rtm")


@pytest.mark.parametrize(
    ("status", "webhook_body", "api_error_code"),
    [
        (400, b"invalid_payload", "invalid_arguments"),
        (401, b"invalid_token", "invalid_auth"),
        (403, b"invalid_token", "invalid_auth"),
        (404, b"channel_not_found", "channel_not_found"),
        (410, b"channel_is_archived", "is_archived"),
        (500, b"rollup_error", "internal_error"),
        (503, b"no_service", "service_unavailable"),
        (418, b"invalid_payload", "invalid_request"),
    ],
)
def test_profile_error_bodies(status: int, webhook_body: bytes, api_error_code: str) -> None:
    profile = SlackProfile()
    webhook = profile.error_response(status, variant="webhook")
    assert (webhook.status, webhook.body) == (status, webhook_body)
    api = profile.error_response(status, variant="web_api")
    assert api.status == status
    assert _json(api.body) == {"ok": False, "error": api_error_code}


def test_profile_429_carries_retry_after_in_header_and_body() -> None:
    profile = SlackProfile()
    webhook = profile.error_response(429, variant="webhook", headers={"Retry-After": "5"})
    assert webhook.headers["Retry-After"] == "5"
    assert _json(webhook.body)["retry_after"] == 5
    api = profile.error_response(429, variant="web_api", headers={"Retry-After": "5"})
    assert api.headers["Retry-After"] == "5"
    assert _json(api.body)["error"] == "ratelimited"


def test_profile_reads_text_key_and_deliveries() -> None:
    profile = SlackProfile()
    body = {
        "channel": "C0FAKE",
        **OK_MESSAGE,
        "metadata": {"event_type": "floe_contract_violation", "event_payload": {"event_id": "e-1"}},
    }
    post = _request("/api/chat.postMessage", body)
    assert profile.rendered_text(post, variant="web_api") == "hi\nhi"
    assert profile.idempotency_key(post, variant="web_api") == "e-1"
    assert profile.is_delivery(post, variant="web_api")
    assert not profile.is_delivery(_request("/api/chat.update", body), variant="web_api")
    assert not profile.is_delivery(_request("/api/auth.test", {}), variant="web_api")
    hook = _request("/services/T/B/x", OK_MESSAGE, token=None)
    assert profile.is_delivery(hook, variant="webhook")
    assert profile.idempotency_key(hook, variant="webhook") is None  # no metadata sent
    assert not profile.is_delivery(_request("/services/T/B/x", method="GET"), variant="webhook")
    assert profile.rendered_text(_request("/services/x", b"raw"), variant="webhook") == "raw"


def test_profile_success_response_validates_blocks() -> None:
    profile = SlackProfile()
    good = profile.success_response(_request("/services/T/B/x", OK_MESSAGE), variant="webhook")
    assert good.status == 200
    bad_body = {
        "text": "t",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}],
    }
    bad = profile.success_response(_request("/services/T/B/x", bad_body), variant="webhook")
    assert (bad.status, bad.body) == (400, b"invalid_blocks")
    assert [r.code for r in profile.fake.rejections] == ["invalid_blocks"]


def test_profile_thread_keys() -> None:
    profile = SlackProfile()
    metadata = {"event_type": "floe_contract_violation", "event_payload": {"dedup_key": "k1"}}
    hook = _request("/services/T/B/x", {**OK_MESSAGE, "metadata": metadata}, token=None)
    assert profile.thread_key(hook, variant="webhook") == "k1"
    root = _request("/api/chat.postMessage", {"channel": "C0FAKE", **OK_MESSAGE})
    assert profile.thread_key(root, variant="web_api") is None  # Slack never answered it
    ts = _json(profile.success_response(root, variant="web_api").body)["ts"]
    assert profile.thread_key(root, variant="web_api") == ts
    reply = _request("/api/chat.postMessage", {"channel": "C0FAKE", "thread_ts": ts, **OK_MESSAGE})
    assert profile.thread_key(reply, variant="web_api") == ts
