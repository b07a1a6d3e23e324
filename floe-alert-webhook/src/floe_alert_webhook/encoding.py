"""Request bodies: CloudEvents 1.0 over HTTP (structured, binary, batched) and plain JSON.

The CloudEvent comes from `ContractViolationEvent.to_cloudevent()` and is put on the
wire with the `cloudevents` 2.x HTTP binding. Every byte derives from the event alone,
never from the clock, so a retry sends exactly the bytes the signature was made over.
Oversized free text is cut first (`floe_alert_webhook.limits`), deterministically.

`read_webhook_events` is the inverse, for receivers and tests: it reads any body this
module writes back into `ContractViolationEvent` objects.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings.http import (
    HTTPMessage,
    from_binary_event,
    from_structured_event,
    to_binary_event,
    to_structured_event,
)
from cloudevents.core.formats.json import JSONFormat

from floe_alert_webhook.config import WebhookMode
from floe_alert_webhook.limits import MAX_BODY_BYTES, event_budget, fit_event, surely_fits
from floe_monitoring import ContractViolationEvent
from floe_monitoring.sdk import event_from_cloudevent

__all__ = [
    "BATCH_CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    "STRUCTURED_CONTENT_TYPE",
    "EncodedBody",
    "batch_message_id",
    "encode_batch",
    "encode_event",
    "read_webhook_events",
]

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
BATCH_CONTENT_TYPE = "application/cloudevents-batch+json; charset=UTF-8"
JSON_CONTENT_TYPE = "application/json"

# Batch ids are derived, not random, so that a retried batch keeps its webhook-id.
_BATCH_NAMESPACE = uuid.UUID("5b0c8f52-5d4e-4f8a-9a57-0f1c3c6d7e21")
_FORMAT = JSONFormat()


@dataclass(frozen=True)
class EncodedBody:
    """What to send for one notification (or batch), before signing.

    Attributes:
        message_id: The idempotency key (`webhook-id`): the event id, or a batch id
            derived from the event ids.
        headers: Content-Type, plus the `ce-*` headers in binary mode.
        body: The exact bytes to send and sign.

    """

    message_id: str
    headers: dict[str, str]
    body: bytes


def encode_event(event: ContractViolationEvent, mode: WebhookMode) -> EncodedBody:
    """Encode one event for `mode`, its free text cut to the size limit (`limits`)."""
    if surely_fits(event):
        # Nearly every event: encoded as it is, without first sizing a copy of its JSON.
        encoded = _encode(event, mode)
        if len(encoded.body) * 3 <= MAX_BODY_BYTES:  # ×3: any JSON escaping of its text
            return encoded
    return _encode(fit_event(event), mode, message_id=str(event.event_id))


def _encode(
    event: ContractViolationEvent, mode: WebhookMode, *, message_id: str | None = None
) -> EncodedBody:
    message_id = message_id or str(event.event_id)
    if mode is WebhookMode.JSON:
        return EncodedBody(message_id, {"content-type": JSON_CONTENT_TYPE}, _json_data(event))
    cloudevent = event.to_cloudevent()
    if mode is WebhookMode.STRUCTURED:
        message = to_structured_event(cloudevent, _FORMAT)
        # The binding omits the charset; the spec's example and many receivers want it.
        return EncodedBody(message_id, {"content-type": STRUCTURED_CONTENT_TYPE}, message.body)
    # Binary mode. The binding percent-encodes attribute values (space, '"', '%',
    # anything outside U+0021-U+007E), so no contract text can put a line break into a
    # header.
    message = to_binary_event(cloudevent, _FORMAT)
    return EncodedBody(message_id, dict(message.headers), message.body)


def encode_batch(events: Sequence[ContractViolationEvent], mode: WebhookMode) -> EncodedBody:
    """Encode several events as one request.

    CloudEvents modes use the batched content mode (a JSON array of structured events;
    binary mode cannot carry a batch). JSON mode sends a JSON array of event data. The
    events share one body's size limit (`limits`).

    Raises:
        ValueError: `events` is empty.

    """
    if not events:
        raise ValueError("a batch needs at least one event")
    message_id = batch_message_id(events)
    budget = event_budget(len(events))
    fitted = [fit_event(event, max_bytes=budget) for event in events]
    if mode is WebhookMode.JSON:
        body = b"[" + b", ".join(_json_data(event) for event in fitted) + b"]"
        return EncodedBody(message_id, {"content-type": JSON_CONTENT_TYPE}, body)
    cloudevents = [event.to_cloudevent() for event in fitted]
    body = b"[" + b", ".join(_FORMAT.write(ce) for ce in cloudevents) + b"]"
    return EncodedBody(message_id, {"content-type": BATCH_CONTENT_TYPE}, body)


def batch_message_id(events: Sequence[ContractViolationEvent]) -> str:
    """A batch's `webhook-id`: a UUIDv5 of its event ids in order (stable across retries)."""
    joined = ",".join(str(event.event_id) for event in events)
    return str(uuid.uuid5(_BATCH_NAMESPACE, joined))


def read_webhook_events(
    headers: Mapping[str, str], body: bytes | str
) -> list[ContractViolationEvent]:
    """Read the events out of a request this channel sent, whatever its mode.

    Verify the signature first (`verify_standard_webhook`); then this returns the
    events of a structured, binary, batched or plain-JSON request.

    Args:
        headers: The request headers (any case).
        body: The request body.

    Raises:
        ValueError: The body is not a floe contract violation in a known encoding.
        pydantic.ValidationError: The data is not a valid event.

    """
    raw = body.encode("utf-8") if isinstance(body, str) else body
    lowered = {name.lower(): value for name, value in headers.items()}
    content_type = lowered.get("content-type", "").split(";", 1)[0].strip().lower()
    if any(name.startswith("ce-") for name in lowered):
        return [_read(from_binary_event(HTTPMessage(lowered, raw), _FORMAT))]
    if content_type == "application/cloudevents+json":
        return [_read(from_structured_event(HTTPMessage(lowered, raw), _FORMAT))]
    if content_type == "application/cloudevents-batch+json":
        items = _json_array(raw)
        return [_read(_FORMAT.read(None, json.dumps(item).encode("utf-8"))) for item in items]
    if content_type == "application/json":
        data = json.loads(raw.decode("utf-8"))
        items = data if isinstance(data, list) else [data]
        return [ContractViolationEvent.model_validate(item) for item in items]
    raise ValueError(f"not a floe webhook body: content type {content_type or 'missing'!r}")


def _json_data(event: ContractViolationEvent) -> bytes:
    # Plain JSON is the CloudEvent's data serialised as binary mode writes it (the
    # binding's `json.dumps` of JSON-ready data): the same bytes, without building the
    # CloudEvent or its ce-* headers. A test holds the two byte for byte.
    return json.dumps(event.to_json_data()).encode("utf-8")


def _json_array(raw: bytes) -> list[Any]:
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, list):
        raise ValueError("a CloudEvents batch must be a JSON array")
    return data


def _read(cloudevent: BaseCloudEvent) -> ContractViolationEvent:
    return event_from_cloudevent(cloudevent)
