"""Turn a `ContractViolationEvent` into Events API v2 bodies, and keep them within limits.

Mapping of a firing event to a ``trigger``::

    routing_key          the route's integration key (by severity)
    event_action         "trigger"
    dedup_key            event.dedup_key (stable for the whole incident)
    payload.summary      "<title> — <message>", one line, at most 1024 characters
    payload.source       config.source
    payload.severity     critical | error | warning | info (same names)
    payload.timestamp    event.timestamp (ISO 8601, UTC)
    payload.component    the contract's name
    payload.group        the contract's domain
    payload.class        the violation type
    payload.custom_details  expected, actual, element, owner, consumers, occurrences, ...
    links                event.links as {href, text}
    client, client_url   "floe monitoring", config.client_url

A resolved event becomes ``resolve`` (and `acknowledge` an ``acknowledge``) with only
routing_key, event_action and dedup_key, as PagerDuty documents. Bodies are encoded
deterministically, so a retry sends identical bytes.

Size: PagerDuty accepts events up to 512 KB. Like Alertmanager we count 512,000 bytes
and never fail on size: `encode_event` trims `custom_details` (the biggest values first,
each cut with a visible marker) and adds a note saying what was cut.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from floe_monitoring import (
    TRUNCATION_MARKER,
    AlertMessage,
    ContractViolationEvent,
    Severity,
    clean_text,
    header_safe,
    truncate_utf8,
)

__all__ = [
    "CLIENT_NAME",
    "MAX_DEDUP_KEY_CHARS",
    "MAX_EVENT_BYTES",
    "MAX_SUMMARY_CHARS",
    "MAX_TEXT_FIELD_CHARS",
    "NOTE_KEY",
    "SEVERITY_MAP",
    "EncodedEvent",
    "FollowUpAction",
    "alert_body",
    "change_body",
    "dumps_event",
    "encode_event",
    "fit_text",
    "follow_up_body",
    "pagerduty_length",
]

#: The size we keep every event under (PagerDuty: "512 KB"; Alertmanager counts 512,000).
MAX_EVENT_BYTES: Final = 512_000
#: PagerDuty's documented limit of `payload.summary`.
MAX_SUMMARY_CHARS: Final = 1024
#: PagerDuty's documented limit of `dedup_key`.
MAX_DEDUP_KEY_CHARS: Final = 255
#: Our cap for source, component, group and link texts. PagerDuty documents no limit for
#: them; capping keeps the fixed part of an event small, so trimming always succeeds.
MAX_TEXT_FIELD_CHARS: Final = 1024
#: The `custom_details` key that says what was trimmed.
NOTE_KEY: Final = "floe_note"
#: Shown as the event's client in PagerDuty.
CLIENT_NAME: Final = "floe monitoring"

#: floe severity → PagerDuty `payload.severity` (the vocabularies coincide).
SEVERITY_MAP: Final[dict[Severity, str]] = {
    Severity.CRITICAL: "critical",
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "info",
}

#: The event actions that only name an existing alert.
FollowUpAction = Literal["acknowledge", "resolve"]


@dataclass(frozen=True)
class EncodedEvent:
    """A body ready to send.

    Attributes:
        content: The UTF-8 JSON bytes, at most `MAX_EVENT_BYTES` long.
        trimmed: Names of the `custom_details` entries (or ``links``) that were cut.
    """

    content: bytes
    trimmed: tuple[str, ...] = ()


def pagerduty_length(text: str) -> int:
    """Length of `text` as counted against PagerDuty's character limits.

    PagerDuty does not say how it counts; counting UTF-16 code units (as JVM and
    JavaScript strings do) is the stricter reading, because a character outside the
    Basic Multilingual Plane (most emoji) counts twice.
    """
    return len(text.encode("utf-16-le")) // 2


def fit_text(text: str, limit: int) -> str:
    """Fold `text` to one line and cut it to `limit` PagerDuty characters, with a marker."""
    line = header_safe(text)
    if pagerduty_length(line) <= limit:
        return line
    room = limit - pagerduty_length(TRUNCATION_MARKER)
    if room <= 0:
        return TRUNCATION_MARKER[:limit]
    # Cut in UTF-16 code units; "ignore" drops a surrogate pair split by the cut.
    head = line.encode("utf-16-le")[: room * 2].decode("utf-16-le", "ignore")
    return head + TRUNCATION_MARKER


def alert_body(
    event: ContractViolationEvent,
    *,
    routing_key: str,
    source: str,
    client_url: str | None = None,
) -> dict[str, Any]:
    """The ``trigger`` body of a firing event (see the module docstring for the mapping)."""
    payload: dict[str, Any] = {
        "summary": _summary(event),
        "source": fit_text(source, MAX_TEXT_FIELD_CHARS),
        "severity": SEVERITY_MAP[event.severity],
        "timestamp": _iso(event.timestamp),
        "component": fit_text(event.contract_name, MAX_TEXT_FIELD_CHARS),
    }
    if event.domain:
        payload["group"] = fit_text(event.domain, MAX_TEXT_FIELD_CHARS)
    payload["class"] = event.violation_type.value
    payload["custom_details"] = _custom_details(event)
    body: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": event.dedup_key,
        "payload": payload,
        "client": CLIENT_NAME,
    }
    if client_url:
        body["client_url"] = client_url
    if event.links:
        body["links"] = _links(event)
    return body


def follow_up_body(action: FollowUpAction, *, dedup_key: str, routing_key: str) -> dict[str, Any]:
    """An ``acknowledge`` or ``resolve`` body: PagerDuty needs only the alert's identity."""
    return {"routing_key": routing_key, "event_action": action, "dedup_key": dedup_key}


def change_body(event: ContractViolationEvent, *, routing_key: str, source: str) -> dict[str, Any]:
    """A change event (``/v2/change/enqueue``): context on the service, never a page."""
    body: dict[str, Any] = {
        "routing_key": routing_key,
        "payload": {
            "summary": _summary(event),
            "source": fit_text(source, MAX_TEXT_FIELD_CHARS),
            "timestamp": _iso(event.timestamp),
            "custom_details": {
                "severity": event.severity.value,
                "status": event.status.value,
                "class": event.violation_type.value,
                "dedup_key": event.dedup_key,
                **_custom_details(event),
            },
        },
    }
    if event.links:
        body["links"] = _links(event)
    return body


def encode_event(body: dict[str, Any], *, max_bytes: int = MAX_EVENT_BYTES) -> EncodedEvent:
    """Encode `body`, trimming ``payload.custom_details`` until it fits in `max_bytes`.

    Every detail whose JSON is larger than a common cap is cut to that cap (strings keep
    their head and a marker; objects and lists become their cut JSON text), with the
    cap chosen as large as still fits. A ``floe_note`` entry names what was cut. If the
    other fields alone are too large (thousands of links), details and links are
    dropped with the same note. It never raises for size.

    Args:
        body: An alert or change event body from this module.
        max_bytes: The limit of the encoded body.

    Returns:
        The bytes to send and the names of what was trimmed.

    """
    content = dumps_event(body)
    if len(content) <= max_bytes:
        return EncodedEvent(content)
    payload: dict[str, Any] = body.get("payload") or {}
    details: dict[str, Any] = payload.get("custom_details") or {}
    # Encoded once: the search below cuts bytes, it does not re-encode or re-clean.
    texts = {k: _as_utf8(v, max_bytes) for k, v in details.items()}
    sizes = {k: len(dumps_event(v)) for k, v in details.items()}

    def attempt(cap: int) -> tuple[bytes, tuple[str, ...]]:
        kept: dict[str, Any] = {}
        cut: list[str] = []
        for key, value in details.items():
            if sizes[key] <= cap:
                kept[key] = value
            else:
                kept[key] = _cut_utf8(texts[key], cap)
                cut.append(key)
        kept[NOTE_KEY] = _note(cut, max_bytes)
        trimmed = {**body, "payload": {**payload, "custom_details": kept}}
        return dumps_event(trimmed), tuple(cut)

    low, high = 0, max_bytes
    best = attempt(0)
    if len(best[0]) <= max_bytes:
        # Binary search for the largest cap that fits: small details stay whole.
        while low < high:
            mid = (low + high + 1) // 2
            candidate = attempt(mid)
            if len(candidate[0]) <= max_bytes:
                low, best = mid, candidate
            else:
                high = mid - 1
        return EncodedEvent(*best)
    # The fixed fields alone are too big: keep only what identifies the event.
    dropped = (*details, "links") if "links" in body else tuple(details)
    minimal = {k: v for k, v in body.items() if k not in ("links", "images")}
    minimal["payload"] = {**payload, "custom_details": {NOTE_KEY: _note(list(dropped), max_bytes)}}
    return EncodedEvent(dumps_event(minimal), tuple(dropped))


def dumps_event(value: Any) -> bytes:
    """Encode a body as compact, deterministic UTF-8 JSON (strict: no NaN)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )


# -- helpers -------------------------------------------------------------------------


def _summary(event: ContractViolationEvent) -> str:
    message = AlertMessage.from_event(event)
    return fit_text(f"{message.title} — {message.summary}", MAX_SUMMARY_CHARS)


def _custom_details(event: ContractViolationEvent) -> dict[str, Any]:
    # Raw (but cleaned) values: custom_details is structured data, not markup; the full
    # message lives here because the summary may have been cut.
    candidates: list[tuple[str, Any]] = [
        ("message", event.message),
        ("contract", event.contract_name),
        ("contract_version", event.contract_version or None),
        ("contract_id", event.contract_id),
        ("element", event.element),
        ("expected", event.expected_value),
        ("actual", event.actual_value),
        ("owner", event.owner),
        ("domain", event.domain),
        ("consumers", list(event.affected_consumers) or None),
        ("occurrences", event.occurrences),
        ("first_seen_at", _iso(event.first_seen_at)),
        ("check_duration_seconds", event.check_duration_seconds or None),
        ("event_id", str(event.event_id)),
        ("metadata", event.metadata or None),
    ]
    return {key: _clean_json(value) for key, value in candidates if value is not None}


def _links(event: ContractViolationEvent) -> list[dict[str, str]]:
    return [
        {"href": link.url, "text": fit_text(link.title, MAX_TEXT_FIELD_CHARS)}
        for link in event.links
    ]


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _clean_json(value: Any) -> Any:
    # Lone surrogates cannot be encoded as UTF-8 and NaN/Infinity are not JSON: either
    # would make the send fail, so data values are cleaned instead of trusted.
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    return value


def _as_utf8(value: Any, max_bytes: int) -> bytes:
    # Details are already clean (see _clean_json), so this only needs to encode.
    text = value if isinstance(value, str) else dumps_event(value).decode("utf-8")
    return truncate_utf8(text, max_bytes).encode("utf-8")


_MARKER_UTF8 = TRUNCATION_MARKER.encode("utf-8")


def _cut_utf8(encoded: bytes, max_bytes: int) -> str:
    """`truncate_utf8` on pre-encoded text: at most `max_bytes`, never splitting a character."""
    if len(encoded) <= max_bytes:
        return encoded.decode("utf-8")
    room = max_bytes - len(_MARKER_UTF8)
    if room <= 0:
        return _MARKER_UTF8[:max_bytes].decode("utf-8", "ignore")
    return encoded[:room].decode("utf-8", "ignore") + TRUNCATION_MARKER


def _note(cut: list[str], max_bytes: int) -> str:
    if not cut:
        return f"custom_details trimmed to keep the event under {max_bytes} bytes"
    return (
        f"custom_details trimmed to keep the event under {max_bytes} bytes "
        f"(PagerDuty's limit is 512 KB); cut: {', '.join(cut)}"
    )
