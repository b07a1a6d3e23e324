"""Conformance support: a fake Events API v2 and the kit's `PagerDutyProfile`.

Needs the ``conformance`` extra (``pip install 'floe-alert-pagerduty[conformance]'``),
which brings `floe-testing-kit`; the channel itself never imports this module.

`FakeEventsAPI` is a `FakeHTTPServer` handler that behaves like PagerDuty's Events API
v2: it validates every field and limit of alert and change events, answers with the
documented bodies (202 with ``dedup_key``; 400 ``invalid event`` with an ``errors`` entry
per invalid field; 429 when a routing key sends more than its rate), and keeps PagerDuty's
alert state, so a test can see that a trigger opened an alert and the resolve closed it.

Example:
    >>> api = FakeEventsAPI()
    >>> async with FakeHTTPServer(handler=api) as server:          # doctest: +SKIP
    ...     config = PagerDutyConfig(routing_key=KEY, base_url=server.url,
    ...                              allow_insecure_http=True)
    ...     async with PagerDutyChannel(config) as channel:
    ...         await channel.send_alert(event)
    ...     assert api.alert_state(KEY, event.dedup_key) == "triggered"
"""

from __future__ import annotations

import json
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Final

from floe_alert_pagerduty.config import ROUTING_KEY_LENGTH
from floe_alert_pagerduty.payload import (
    MAX_DEDUP_KEY_CHARS,
    MAX_EVENT_BYTES,
    MAX_SUMMARY_CHARS,
    pagerduty_length,
)
from floe_alert_pagerduty.transport import CHANGE_PATH, EVENTS_PATH
from floe_testing_kit import (
    ChannelProfile,
    Endpoint,
    RecordedRequest,
    ScriptedResponse,
    TextFormat,
    Transport,
)

__all__ = [
    "AcceptedEvent",
    "FakeEventsAPI",
    "PagerDutyProfile",
    "error_body",
    "routing_key_for_secret",
    "validate_alert_event",
    "validate_change_event",
]

#: The event actions of the alert endpoint.
EVENT_ACTIONS: Final = ("trigger", "acknowledge", "resolve")
#: ``payload.severity`` values.
SEVERITIES: Final = ("critical", "error", "warning", "info")

_ALERT_FIELDS = frozenset(
    {
        "routing_key",
        "event_action",
        "dedup_key",
        "payload",
        "client",
        "client_url",
        "links",
        "images",
    }
)
_ALERT_PAYLOAD_FIELDS = frozenset(
    {"summary", "source", "severity", "timestamp", "component", "group", "class", "custom_details"}
)
_CHANGE_FIELDS = frozenset({"routing_key", "payload", "links"})
_CHANGE_PAYLOAD_FIELDS = frozenset({"summary", "source", "timestamp", "custom_details"})
_OPEN_STATES = ("triggered", "acknowledged")


# -- documented bodies ---------------------------------------------------------------


def error_body(status: int, errors: list[str] | None = None) -> dict[str, Any]:
    """PagerDuty's error body for `status` (400 lists `errors`, one per invalid field)."""
    if status == 400:
        return {
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": errors or ["Event object is invalid"],
        }
    if status == 429:
        return {"status": "throttle event", "message": "Request Limit Exceeded"}
    if status >= 500:
        return {"status": "error", "message": "Internal Server Error"}
    return {"status": "error", "message": f"HTTP {status}"}


def _json(status: int, body: Mapping[str, Any], **headers: str) -> ScriptedResponse:
    return ScriptedResponse.json(status, json.dumps(body), **headers)


_PARSE_ERROR = {
    "status": "Unrecognized object",
    "message": "Event object format is unrecognized",
    "errors": ["JSON parse error"],
}


# -- validation ----------------------------------------------------------------------


def validate_alert_event(event: object) -> list[str]:
    """Check an alert event (``/v2/enqueue``) as PagerDuty does; return the errors.

    Args:
        event: The decoded JSON body.

    Returns:
        One message per invalid field (empty when the event is valid).

    """
    if not isinstance(event, dict):
        return ["Event object must be a JSON object"]
    errors = _unknown(event, _ALERT_FIELDS, "")
    errors += _routing_key(event)
    action = event.get("event_action")
    if not isinstance(action, str) or not action.strip():
        errors.append("'event_action' is missing or blank")
    elif action not in EVENT_ACTIONS:
        errors.append("'event_action' is invalid (must be one of trigger, acknowledge, resolve)")
    dedup = event.get("dedup_key")
    if dedup is not None:
        if not isinstance(dedup, str) or not dedup.strip():
            errors.append("'dedup_key' must be a non-blank string")
        elif pagerduty_length(dedup) > MAX_DEDUP_KEY_CHARS:
            errors.append(f"'dedup_key' is too long (max {MAX_DEDUP_KEY_CHARS} characters)")
    elif action in ("acknowledge", "resolve"):
        errors.append(f"'dedup_key' is required for '{action}' events")
    if action == "trigger":
        errors += _alert_payload(event.get("payload"))
    for name in ("client", "client_url"):
        if name in event and not isinstance(event[name], str):
            errors.append(f"'{name}' must be a string")
    if isinstance(event.get("client_url"), str) and not _is_url(event["client_url"]):
        errors.append("'client_url' must be an http(s) URL")
    errors += _links(event.get("links"))
    errors += _images(event.get("images"))
    return errors


def validate_change_event(event: object) -> list[str]:
    """Check a change event (``/v2/change/enqueue``) as PagerDuty does; return the errors."""
    if not isinstance(event, dict):
        return ["Event object must be a JSON object"]
    errors = _unknown(event, _CHANGE_FIELDS, "")
    errors += _routing_key(event)
    payload = event.get("payload")
    if not isinstance(payload, dict):
        errors.append("'payload' is missing or not an object")
    else:
        errors += _unknown(payload, _CHANGE_PAYLOAD_FIELDS, "payload.")
        errors += _summary(payload)
        if "source" in payload and not _text(payload["source"]):
            errors.append("'payload.source' must be a non-blank string")
        errors += _timestamp(payload)
        errors += _custom_details(payload)
    errors += _links(event.get("links"))
    return errors


def _routing_key(event: dict[str, Any]) -> list[str]:
    key = event.get("routing_key")
    if not isinstance(key, str) or not key.strip():
        return ["'routing_key' is missing or blank"]
    if len(key) != ROUTING_KEY_LENGTH:
        return [f"Length of 'routing_key' is incorrect (should be {ROUTING_KEY_LENGTH} characters)"]
    return []


def _alert_payload(payload: object) -> list[str]:
    if not isinstance(payload, dict):
        return ["'payload' is missing or not an object"]
    errors = _unknown(payload, _ALERT_PAYLOAD_FIELDS, "payload.")
    errors += _summary(payload)
    if not _text(payload.get("source")):
        errors.append("'payload.source' is missing or blank")
    severity = payload.get("severity")
    if severity is None:
        errors.append("'payload.severity' is missing")
    elif severity not in SEVERITIES:
        errors.append(
            "'payload.severity' is invalid (must be one of critical, error, warning, info)"
        )
    errors += _timestamp(payload)
    for name in ("component", "group", "class"):
        if name in payload and not isinstance(payload[name], str):
            errors.append(f"'payload.{name}' must be a string")
    errors += _custom_details(payload)
    return errors


def _summary(payload: dict[str, Any]) -> list[str]:
    summary = payload.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        return ["'payload.summary' is missing or blank"]
    if pagerduty_length(summary) > MAX_SUMMARY_CHARS:
        return [f"'payload.summary' is too long (max {MAX_SUMMARY_CHARS} characters)"]
    return []


def _timestamp(payload: dict[str, Any]) -> list[str]:
    if "timestamp" not in payload:
        return []
    value = payload["timestamp"]
    try:
        if not isinstance(value, str):
            raise TypeError
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return ["'payload.timestamp' is not a valid ISO 8601 timestamp"]
    return []


def _custom_details(payload: dict[str, Any]) -> list[str]:
    if "custom_details" in payload and not isinstance(payload["custom_details"], dict):
        return ["'payload.custom_details' must be an object"]
    return []


def _links(links: object) -> list[str]:
    if links is None:
        return []
    if not isinstance(links, list):
        return ["'links' must be an array"]
    errors: list[str] = []
    for i, link in enumerate(links):
        if not isinstance(link, dict) or not _is_url(link.get("href")):
            errors.append(f"'links[{i}].href' is missing or not an http(s) URL")
        elif "text" in link and not isinstance(link["text"], str):
            errors.append(f"'links[{i}].text' must be a string")
        elif isinstance(link, dict):
            errors += _unknown(link, frozenset({"href", "text"}), f"links[{i}].")
    return errors


def _images(images: object) -> list[str]:
    if images is None:
        return []
    if not isinstance(images, list):
        return ["'images' must be an array"]
    errors: list[str] = []
    for i, image in enumerate(images):
        src = image.get("src") if isinstance(image, dict) else None
        if not isinstance(src, str) or not src.startswith("https://"):
            errors.append(f"'images[{i}].src' is missing or not served over HTTPS")
    return errors


def _unknown(obj: dict[str, Any], allowed: frozenset[str], prefix: str) -> list[str]:
    # PagerDuty ignores unknown fields; the fake is stricter so a typo cannot pass.
    return [
        f"'{prefix}{name}' is not a field of the Events API v2"
        for name in obj
        if name not in allowed
    ]


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


# -- the fake API --------------------------------------------------------------------


@dataclass(frozen=True)
class AcceptedEvent:
    """An event the fake accepted.

    Attributes:
        kind: ``alert`` or ``change``.
        routing_key: The integration key it came through.
        action: The event action (``change`` for change events).
        dedup_key: The alert's key (None for change events).
        body: The decoded body.
        applied: False when PagerDuty would drop it (acknowledge/resolve of no open alert).
    """

    kind: str
    routing_key: str
    action: str
    dedup_key: str | None
    body: dict[str, Any]
    applied: bool = True


class FakeEventsAPI:
    """PagerDuty's Events API v2 as a `FakeHTTPServer` handler.

    Args:
        rate_limit: Events per routing key accepted per `rate_window` seconds before it
            answers 429 (None: never throttles).
        rate_window: The sliding window of `rate_limit`, in seconds.
        retry_after: ``Retry-After`` header sent with its 429 answers (PagerDuty sends
            none; tests set one to check it is honoured).
        clock: Monotonic clock (injectable for tests).

    Attributes:
        accepted: Every event accepted, in order.
        rejected: Every 400 answer's errors, in order.
    """

    def __init__(
        self,
        *,
        rate_limit: int | None = None,
        rate_window: float = 60.0,
        retry_after: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.retry_after = retry_after
        self.accepted: list[AcceptedEvent] = []
        self.rejected: list[list[str]] = []
        self._clock = clock
        self._alerts: dict[tuple[str, str], str] = {}
        self._recent: dict[str, deque[float]] = {}

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        """Answer one request like PagerDuty would."""
        if request.path not in (EVENTS_PATH, CHANGE_PATH):
            return _json(404, {"status": "not found", "message": "Not Found"})
        if request.method != "POST":
            return _json(405, {"status": "error", "message": "Method Not Allowed"})
        if len(request.body) > MAX_EVENT_BYTES:
            return self._reject([f"Event object is too large (max {MAX_EVENT_BYTES} bytes)"])
        try:
            event: Any = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            return _json(400, _PARSE_ERROR)
        if request.path == CHANGE_PATH:
            errors = validate_change_event(event)
        else:
            errors = validate_alert_event(event)
        if "json" not in request.headers.get("content-type", ""):
            errors.append("Content-Type must be application/json")
        if errors:
            return self._reject(errors)
        key: str = event["routing_key"]
        if self._throttled(key):
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return _json(429, error_body(429), **headers)
        if request.path == CHANGE_PATH:
            self.accepted.append(AcceptedEvent("change", key, "change", None, event))
            return _json(202, {"status": "success", "message": "Change event processed"})
        return self._apply(key, event)

    def alert_state(self, routing_key: str, dedup_key: str) -> str | None:
        """``triggered``, ``acknowledged``, ``resolved``, or None if never triggered."""
        return self._alerts.get((routing_key, dedup_key))

    def open_alerts(self) -> list[tuple[str, str]]:
        """(routing_key, dedup_key) of every triggered or acknowledged alert."""
        return [key for key, state in self._alerts.items() if state in _OPEN_STATES]

    def events_for(self, dedup_key: str) -> Iterator[AcceptedEvent]:
        """The accepted alert events of one incident."""
        return (e for e in self.accepted if e.dedup_key == dedup_key)

    def _apply(self, key: str, event: dict[str, Any]) -> ScriptedResponse:
        action: str = event["event_action"]
        dedup: str = event.get("dedup_key") or uuid.uuid4().hex
        state = self._alerts.get((key, dedup))
        applied = True
        if action == "trigger":
            # A trigger on an open alert is deduplicated; after resolve it opens a new one.
            if state not in _OPEN_STATES:
                self._alerts[(key, dedup)] = "triggered"
        elif state in _OPEN_STATES:
            self._alerts[(key, dedup)] = "acknowledged" if action == "acknowledge" else "resolved"
        else:
            applied = False  # PagerDuty drops it, and still answers 202
        self.accepted.append(AcceptedEvent("alert", key, action, dedup, event, applied))
        return _json(202, {"status": "success", "message": "Event processed", "dedup_key": dedup})

    def _reject(self, errors: list[str]) -> ScriptedResponse:
        self.rejected.append(errors)
        return _json(400, error_body(400, errors))

    def _throttled(self, key: str) -> bool:
        if self.rate_limit is None:
            return False
        now = self._clock()
        recent = self._recent.setdefault(key, deque())
        while recent and recent[0] <= now - self.rate_window:
            recent.popleft()
        if len(recent) >= self.rate_limit:
            return True
        recent.append(now)
        return False


# -- the kit's profile ---------------------------------------------------------------


def routing_key_for_secret(secret: str) -> str:
    """The 32-character routing key the profile derives from the kit's planted secret.

    PagerDuty routing keys are exactly 32 characters, and the kit's secret need not be.
    A secret of 32 characters is used as it is; a shorter one is padded with ``0`` so
    the key contains it verbatim (the kit's leak scan then finds any leaked key); a
    longer one is cut to its last 32 characters, where a generated secret keeps its
    random part. Only in that last case can the kit's scan for the whole secret miss a
    leaked key: plant secrets of at most 32 characters for a complete check.
    """
    if len(secret) >= ROUTING_KEY_LENGTH:
        return secret[-ROUTING_KEY_LENGTH:]
    return secret + "0" * (ROUTING_KEY_LENGTH - len(secret))


class PagerDutyProfile(ChannelProfile):
    """Tells the conformance kit how to test the `pagerduty` channel.

    The config points `base_url` at the kit's fake server (plain HTTP allowed on
    loopback) with a routing key derived from the planted secret by
    `routing_key_for_secret`. Answers come from a `FakeEventsAPI`, so every request
    the channel makes is validated field by field.
    """

    channel: ClassVar[str] = "pagerduty"
    transport: ClassVar[Transport] = Transport.HTTP
    text_format: ClassVar[TextFormat] = TextFormat.JSON
    #: Short enough that the kit's hang scenario is quick, long enough for loaded CI.
    timeout_seconds: ClassVar[float] = 3.0

    def __init__(self) -> None:
        self.api = FakeEventsAPI()

    def config(self, endpoint: Endpoint, *, secret: str, variant: str) -> dict[str, Any]:
        """A config for the fake at `endpoint` with the planted secret as routing key."""
        config: dict[str, Any] = {
            "routing_key": routing_key_for_secret(secret),
            "base_url": endpoint.url,
            "allow_insecure_http": endpoint.url.startswith("http://"),
            "timeout_seconds": self.timeout_seconds,
        }
        if endpoint.ca_bundle:
            config["ca_bundle"] = endpoint.ca_bundle
        return config

    def success_response(self, request: RecordedRequest, *, variant: str) -> ScriptedResponse:
        """Validate the request and answer 202 like PagerDuty (400 if it is invalid)."""
        return self.api(request)

    def error_response(
        self, status: int, *, variant: str, headers: Mapping[str, str] | None = None
    ) -> ScriptedResponse:
        """PagerDuty's documented error body for `status`."""
        return _json(status, error_body(status), **dict(headers or {}))

    def rendered_text(self, request: RecordedRequest, *, variant: str) -> str:
        """What PagerDuty shows, JSON-decoded, one text per line.

        That is the summary, source, component, group and class, the dedup key, every
        custom detail and the link texts.
        """
        try:
            body: Any = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            return request.text()
        if not isinstance(body, dict):
            return request.text()
        found = body.get("payload")
        payload: dict[str, Any] = found if isinstance(found, dict) else {}
        lines = [
            str(payload[name])
            for name in ("summary", "source", "component", "group", "class")
            if isinstance(payload.get(name), str)
        ]
        if body.get("event_action") in ("acknowledge", "resolve"):
            # PagerDuty shows the alert's new state: "Acknowledged" or "Resolved".
            lines.insert(0, f"{body['event_action']}d")
        if isinstance(body.get("dedup_key"), str):
            lines.append(body["dedup_key"])
        lines += _strings(payload.get("custom_details"))
        for link in body.get("links") or []:
            if isinstance(link, dict) and isinstance(link.get("text"), str):
                lines.append(link["text"])
        return "\n".join(lines)

    def idempotency_key(self, request: RecordedRequest, *, variant: str) -> str | None:
        """The body's ``dedup_key`` (None for change events, which have none)."""
        try:
            body: Any = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            return None
        value = body.get("dedup_key") if isinstance(body, dict) else None
        return value if isinstance(value, str) else None

    def thread_key(self, request: RecordedRequest, *, variant: str) -> str | None:
        """PagerDuty threads an incident's events by ``dedup_key``: the same key."""
        return self.idempotency_key(request, variant=variant)

    def is_delivery(self, request: RecordedRequest, *, variant: str) -> bool:
        """POSTs to the alert and change endpoints (not the health probe's GET)."""
        return request.method == "POST" and request.path in (EVENTS_PATH, CHANGE_PATH)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []
