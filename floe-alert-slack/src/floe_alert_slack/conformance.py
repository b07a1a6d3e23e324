"""A fake Slack and the conformance profile of the `slack` channel.

`FakeSlack` answers like Slack's incoming webhooks and Web API (`chat.postMessage`,
`chat.update`, `auth.test`) and rejects any message that breaks a Block Kit limit, the
way Slack would, so an over-limit rendering fails the test that sent it. It plugs into
the kit's real loopback server::

    fake = FakeSlack(token="xoxb-test")
    async with FakeHTTPServer(handler=fake) as server:
        config = SlackConfig(mode="web_api", token="xoxb-test", channel="C0FAKE",
                             base_url=f"{server.url}/api/")
        ...
        assert fake.rejections == []

`SlackProfile` tells the conformance kit how to run its suite against the channel, in
both modes (``webhook`` and ``web_api``). This module needs the ``conformance`` extra
(``floe-testing-kit``); the channel itself does not import it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from floe_alert_slack.limits import TEXT_LIMIT, block_texts, message_problems
from floe_testing_kit import (
    ChannelProfile,
    Endpoint,
    RecordedRequest,
    ScriptedResponse,
    TextFormat,
    Transport,
)

__all__ = [
    "FakeMessage",
    "FakeSlack",
    "Rejection",
    "SlackProfile",
    "api_error",
    "rendered_text",
    "webhook_error",
]

#: The channel ID the fake answers with for names (the profile's configured channel).
FAKE_CHANNEL_ID = "C0FAKE"

# Slack's documented webhook answers per status (the body is the bare error code).
_WEBHOOK_ERRORS = {
    400: "invalid_payload",
    401: "invalid_token",
    403: "invalid_token",
    404: "channel_not_found",
    410: "channel_is_archived",
    429: "rate_limited",
    500: "rollup_error",
}
# Web API errors come as {"ok": false, "error": ...}; non-200 statuses are rarer.
_API_ERRORS = {
    400: "invalid_arguments",
    401: "invalid_auth",
    403: "invalid_auth",
    404: "channel_not_found",
    410: "is_archived",
    429: "ratelimited",
    500: "internal_error",
    503: "service_unavailable",
}


def webhook_error(
    code: str, status: int = 400, *, retry_after: int | None = None
) -> ScriptedResponse:
    """An incoming-webhook error answer as Slack sends it.

    A 429 carries ``Retry-After`` and the JSON body
    ``{"ok": false, "error": "rate_limited", "retry_after": N}``; others carry the bare
    error code as text.
    """
    if status == 429:
        wait = 1 if retry_after is None else retry_after
        body = json.dumps({"ok": False, "error": code, "retry_after": wait})
        return ScriptedResponse.json(429, body, **{"Retry-After": str(wait)})
    headers = {"Content-Type": "text/html"}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return ScriptedResponse(status, headers, code.encode("utf-8"))


def api_error(
    code: str,
    status: int = 200,
    *,
    retry_after: int | None = None,
    errors: list[str] | None = None,
) -> ScriptedResponse:
    """A Web API error answer: ``{"ok": false, "error": code}`` (HTTP 200 by default)."""
    body: dict[str, Any] = {"ok": False, "error": code}
    if errors:
        body["errors"] = errors
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return ScriptedResponse.json(status, json.dumps(body), **headers)


def rendered_text(payload: Mapping[str, Any]) -> str:
    """Every text a person reads in a message: `text`, then each block's texts."""
    parts: list[str] = []
    if isinstance(payload.get("text"), str):
        parts.append(payload["text"])
    for block in payload.get("blocks") or ():
        if isinstance(block, Mapping):
            parts.extend(block_texts(block))
    return "\n".join(parts)


@dataclass(frozen=True)
class FakeMessage:
    """A message the fake accepted.

    Attributes:
        channel: Channel ID (``webhook`` for incoming-webhook posts).
        ts: The message ID the fake assigned.
        payload: The body as received.
        thread_ts: The thread it was posted in, if any.

    """

    channel: str
    ts: str
    payload: dict[str, Any]
    thread_ts: str | None = None

    @property
    def text(self) -> str:
        """What a person reads in it (text and block texts)."""
        return rendered_text(self.payload)


@dataclass(frozen=True)
class Rejection:
    """A request the fake refused, with Slack's error code and the reasons."""

    code: str
    problems: tuple[str, ...] = ()


@dataclass
class FakeSlack:
    """Slack's webhook and Web API protocols, as a `FakeHTTPServer` handler.

    Args:
        token: The bot token to accept (any non-empty bearer token when None).

    Attributes:
        messages: Accepted posts, in order (webhook and `chat.postMessage`).
        updates: Accepted `chat.update` calls, in order.
        rejections: Every refused request; a passing test usually expects none.

    """

    token: str | None = None
    messages: list[FakeMessage] = field(default_factory=list)
    updates: list[FakeMessage] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    _clock: itertools.count[int] = field(
        default_factory=lambda: itertools.count(1), init=False, repr=False
    )

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        """Answer `request` like Slack would."""
        if "/services/" in request.path:
            return self._webhook(request)
        method = request.path.rstrip("/").rsplit("/", 1)[-1]
        if method in ("chat.postMessage", "chat.update", "auth.test"):
            return self._api(method, request)
        return self._reject(api_error("unknown_method", 404), "unknown_method")

    # -- incoming webhook ------------------------------------------------------------

    def _webhook(self, request: RecordedRequest) -> ScriptedResponse:
        if request.method != "POST":
            # Posts nothing: what a reachability probe sees.
            return ScriptedResponse(405, {"Content-Type": "text/html"}, b"invalid_method")
        payload = _body(request)
        if payload is None:
            return self._reject(webhook_error("invalid_payload"), "invalid_payload")
        refused = self._check_message(payload)
        if refused is not None:
            code, problems = refused
            return self._reject(webhook_error(code), code, problems)
        self.messages.append(FakeMessage("webhook", self._next_ts(), payload))
        return ScriptedResponse(200, {"Content-Type": "text/html"}, b"ok")

    # -- Web API ---------------------------------------------------------------------

    def _api(self, method: str, request: RecordedRequest) -> ScriptedResponse:
        bearer = request.headers.get("authorization", "")
        token = bearer.removeprefix("Bearer ").strip() if bearer.startswith("Bearer ") else ""
        if not token:
            return self._reject(api_error("not_authed"), "not_authed")
        if self.token is not None and token != self.token:
            return self._reject(api_error("invalid_auth"), "invalid_auth")
        if method == "auth.test":
            return _ok(team="Fake Workspace", team_id="T0FAKE", user_id="U0FAKE", bot_id="B0FAKE")
        payload = _body(request)
        if payload is None:
            return self._reject(api_error("invalid_json"), "invalid_json")
        channel = payload.get("channel")
        if not isinstance(channel, str) or not channel:
            return self._reject(api_error("channel_not_found"), "channel_not_found")
        channel_id = _channel_id(channel)
        refused = self._check_message(payload)
        if refused is not None:
            code, problems = refused
            return self._reject(api_error(code, errors=list(problems)), code, problems)
        if method == "chat.update":
            return self._update(channel_id, payload)
        thread_ts = payload.get("thread_ts")
        message = FakeMessage(
            channel_id,
            self._next_ts(),
            payload,
            thread_ts if isinstance(thread_ts, str) else None,
        )
        self.messages.append(message)
        echo = {"text": payload.get("text"), "ts": message.ts}
        if message.thread_ts:
            echo["thread_ts"] = message.thread_ts
        return _ok(channel=channel_id, ts=message.ts, message=echo)

    def _update(self, channel_id: str, payload: dict[str, Any]) -> ScriptedResponse:
        ts = payload.get("ts")
        known = any(m.channel == channel_id and m.ts == ts for m in self.messages)
        if not isinstance(ts, str) or not known:
            return self._reject(api_error("message_not_found"), "message_not_found")
        self.updates.append(FakeMessage(channel_id, ts, payload))
        return _ok(channel=channel_id, ts=ts, text=payload.get("text"))

    # -- checks ----------------------------------------------------------------------

    def _check_message(self, payload: Mapping[str, Any]) -> tuple[str, tuple[str, ...]] | None:
        problems = message_problems(payload)
        if not problems:
            return self._check_metadata(payload)
        if problems[0].startswith("no_text"):
            return "no_text", tuple(problems)
        if any(p.startswith("msg_blocks_too_long") for p in problems):
            return "msg_blocks_too_long", tuple(problems)
        text = payload.get("text")
        if isinstance(text, str) and len(text) > TEXT_LIMIT and len(problems) == 1:
            return "msg_too_long", tuple(problems)
        return "invalid_blocks", tuple(problems)

    @staticmethod
    def _check_metadata(payload: Mapping[str, Any]) -> tuple[str, tuple[str, ...]] | None:
        metadata = payload.get("metadata")
        if metadata is None:
            return None
        valid = (
            isinstance(metadata, Mapping)
            and isinstance(metadata.get("event_type"), str)
            and isinstance(metadata.get("event_payload"), Mapping)
        )
        return None if valid else ("invalid_metadata_format", ("metadata is malformed",))

    def _reject(
        self, response: ScriptedResponse, code: str, problems: tuple[str, ...] = ()
    ) -> ScriptedResponse:
        self.rejections.append(Rejection(code, problems))
        return response

    def _next_ts(self) -> str:
        tick = next(self._clock)
        return f"{1_700_000_000 + tick}.{tick:06d}"


def _body(request: RecordedRequest) -> dict[str, Any] | None:
    """The JSON body (or the form's ``payload``) as a mapping, or None when unreadable."""
    text = request.text()
    if "application/x-www-form-urlencoded" in request.headers.get("content-type", ""):
        text = dict(parse_qsl(text)).get("payload", "")
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _channel_id(channel: str) -> str:
    # IDs pass through; a name (#alerts) resolves to the fake's one channel.
    return channel if channel[:1] in ("C", "G", "D") and channel.isalnum() else FAKE_CHANNEL_ID


def _ok(**fields: Any) -> ScriptedResponse:
    return ScriptedResponse.json(200, json.dumps({"ok": True, **fields}))


class SlackProfile(ChannelProfile):
    """How the conformance kit tests the `slack` channel, in both modes."""

    channel: ClassVar[str] = "slack"
    transport: ClassVar[Transport] = Transport.HTTP
    text_format: ClassVar[TextFormat] = TextFormat.SLACK_MRKDWN
    variants: ClassVar[tuple[str, ...]] = ("webhook", "web_api")

    def __init__(self) -> None:
        self.fake = FakeSlack()

    def config(self, endpoint: Endpoint, *, secret: str, variant: str) -> dict[str, Any]:
        """Point the channel at the fake; the secret is the webhook path or the token."""
        common: dict[str, Any] = {"timeout_seconds": 5.0}
        if endpoint.ca_bundle:
            common["ca_bundle"] = endpoint.ca_bundle
        if variant == "webhook":
            url = f"{endpoint.url}/services/T0FAKE/B0FAKE/{secret}"
            return {"mode": "webhook", "webhook_url": url, **common}
        if variant == "web_api":
            return {
                "mode": "web_api",
                "token": f"xoxb-{secret}",
                "channel": FAKE_CHANNEL_ID,
                "base_url": f"{endpoint.url}/api/",
                **common,
            }
        raise ValueError(f"unknown variant {variant!r}: expected one of {self.variants}")

    def success_response(self, request: RecordedRequest, *, variant: str) -> ScriptedResponse:
        """Slack's answer, after checking the message against Block Kit's limits."""
        return self.fake(request)

    def error_response(
        self, status: int, *, variant: str, headers: Mapping[str, str] | None = None
    ) -> ScriptedResponse:
        """Slack's documented error body for `status` in the variant's protocol."""
        extra = dict(headers or {})
        if variant == "webhook":
            code = _WEBHOOK_ERRORS.get(status, "invalid_payload" if status < 500 else "no_service")
            if status == 429:
                base = webhook_error(code, 429)
                wait = extra.get("Retry-After", base.headers.get("Retry-After", "1"))
                body = {"ok": False, "error": code, "retry_after": _int_or(wait, 1)}
                return ScriptedResponse.json(429, json.dumps(body), **{**base.headers, **extra})
            return ScriptedResponse(
                status, {"Content-Type": "text/html", **extra}, code.encode("utf-8")
            )
        code = _API_ERRORS.get(status, "invalid_request" if status < 500 else "internal_error")
        return ScriptedResponse.json(status, json.dumps({"ok": False, "error": code}), **extra)

    def rendered_text(self, request: RecordedRequest, *, variant: str) -> str:
        """The message's `text` and every block text, as sent (escaped mrkdwn)."""
        payload = _body(request)
        return rendered_text(payload) if payload is not None else request.text()

    def idempotency_key(self, request: RecordedRequest, *, variant: str) -> str | None:
        """The event ID every message carries in its metadata.

        Slack itself drops no duplicates by it; it is there for apps reading the channel.
        """
        return _event_field(request, "event_id")

    def thread_key(self, request: RecordedRequest, *, variant: str) -> str | None:
        """Web API: the thread's ``ts``. Webhook: the incident key the message names.

        A Web API message that started its thread is found in the fake by its body,
        since its ``ts`` is only known from Slack's answer.
        """
        if variant == "webhook":
            return _event_field(request, "dedup_key")
        payload = _body(request) or {}
        thread_ts = payload.get("thread_ts")
        if isinstance(thread_ts, str):
            return thread_ts
        for message in self.fake.messages:
            if message.thread_ts is None and message.payload == payload:
                return message.ts
        return None

    def is_delivery(self, request: RecordedRequest, *, variant: str) -> bool:
        """Posts deliver; health probes (GET, `auth.test`) and `chat.update` do not."""
        if variant == "webhook":
            return request.method == "POST" and "/services/" in request.path
        return request.method == "POST" and request.path.endswith("/chat.postMessage")


def _event_field(request: RecordedRequest, name: str) -> str | None:
    metadata = (_body(request) or {}).get("metadata")
    event = metadata.get("event_payload") if isinstance(metadata, Mapping) else None
    value = event.get(name) if isinstance(event, Mapping) else None
    return value if isinstance(value, str) else None


def _int_or(value: str, default: int) -> int:
    return int(value) if value.strip().isdigit() else default
