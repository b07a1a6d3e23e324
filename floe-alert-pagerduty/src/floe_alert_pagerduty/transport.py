"""HTTP to the Events API: one pooled client, one POST, and the mapping of what comes back.

The client is `httpx.AsyncClient` over `httpx_aiohttp.AiohttpTransport` (the httpx API on
aiohttp's faster connection pool, see ARCHITECTURE.md). It never follows redirects,
reads no proxy or certificate settings from the environment, and its per-operation
timeouts are only a backstop: the channel's overall per-send deadline is what counts.

Outcomes, per CHANNEL-FACTS.md and PagerDuty's "Response Codes & Retry Logic":

=====================  ====================================================
2xx (202)              accepted; the body's ``dedup_key`` identifies the alert
400                    `PermanentDeliveryError` listing PagerDuty's ``errors``
429                    `RetryableDeliveryError` (rate limited, ``Retry-After``)
408, 5xx except 501    `RetryableDeliveryError` (``Retry-After`` honoured)
other status           `PermanentDeliveryError` (401/403 auth, 410 gone, 3xx...)
refused, reset, TLS    `RetryableDeliveryError` (reason ``connection``)
timeouts               `RetryableDeliveryError` (reason ``timeout``)
=====================  ====================================================
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from pydantic import JsonValue

from floe_monitoring import (
    DeliveryError,
    FailureReason,
    RetryableDeliveryError,
    classify_http_status,
    truncate,
)

__all__ = [
    "CHANGE_PATH",
    "EVENTS_PATH",
    "MAX_DETAIL_CHARS",
    "NETWORK_ERRORS",
    "Answer",
    "build_client",
    "build_ssl_context",
    "describe_error_body",
    "network_error",
    "post_event",
    "response_error",
]

#: Alert events (trigger, acknowledge, resolve).
EVENTS_PATH: Final = "/v2/enqueue"
#: Change events.
CHANGE_PATH: Final = "/v2/change/enqueue"
#: How much of a response we quote in an error message.
MAX_DETAIL_CHARS: Final = 1000

#: What a request can raise when no answer arrives (mapped by `network_error`).
NETWORK_ERRORS: Final = (httpx.HTTPError, aiohttp.ClientError, OSError)

_USER_AGENT = f"floe-alert-pagerduty/{version('floe-alert-pagerduty')}"

#: Removes secrets from text before it goes into an error.
Redactor = Callable[[str], str]


@dataclass(frozen=True)
class Answer:
    """PagerDuty's answer to an accepted event.

    Attributes:
        status_code: The HTTP status (202).
        body: The decoded JSON object (empty when the body was not a JSON object).
    """

    status_code: int
    body: dict[str, JsonValue] = field(default_factory=dict)

    @property
    def dedup_key(self) -> str | None:
        """The alert's key as PagerDuty reports it (absent for change events)."""
        value = self.body.get("dedup_key")
        return value if isinstance(value, str) else None


def build_ssl_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """A verifying TLS context: the given CA bundle, else httpx's default (certifi).

    Reads files, so call it off the event loop.
    """
    if ca_bundle is not None:
        return ssl.create_default_context(cafile=str(ca_bundle))
    return httpx.create_ssl_context(verify=True, trust_env=False)


def build_client(
    base_url: str,
    *,
    ssl_context: ssl.SSLContext,
    timeout_seconds: float,
    max_connections: int = 20,
) -> httpx.AsyncClient:
    """The channel's pooled client (aiohttp opens the pool on the first request).

    Args:
        base_url: The Events API base URL (``https://events.pagerduty.com``).
        ssl_context: A verifying TLS context.
        timeout_seconds: Backstop for each connect and read; the caller's overall
            deadline (the same number) is what bounds a whole send.
        max_connections: Pool size; PagerDuty's rate limit makes more pointless.

    """
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=30.0,
    )
    return httpx.AsyncClient(
        base_url=base_url,
        transport=AiohttpTransport(verify=ssl_context, limits=limits),
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": _USER_AGENT,
        },
        # Per-operation backstop only: the caller's asyncio.timeout bounds connect,
        # write and read together (aiohttp has no such overall timeout per request).
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=False,
        # No proxies or SSL_CERT_FILE from the environment: what is configured is used.
        trust_env=False,
    )


async def post_event(
    client: httpx.AsyncClient, path: str, content: bytes, *, redact: Redactor
) -> Answer:
    """POST one encoded event; one attempt, no sleeping, no retrying.

    Args:
        client: The channel's client.
        path: `EVENTS_PATH` or `CHANGE_PATH`.
        content: The encoded body (sent byte for byte).
        redact: Removes secrets from any text quoted in an error.

    Returns:
        The answer when PagerDuty accepted the event (2xx).

    Raises:
        RetryableDeliveryError: Rate limited, server error or network failure.
        PermanentDeliveryError: PagerDuty rejected the event.

    """
    try:
        response = await client.post(path, content=content)
    except NETWORK_ERRORS as exc:
        raise network_error(exc, host=_host(client), redact=redact) from exc
    error = response_error(response, redact=redact)
    if error is not None:
        raise error
    return Answer(response.status_code, _json_object(response))


def response_error(response: httpx.Response, *, redact: Redactor) -> DeliveryError | None:
    """The error to raise for a non-2xx answer, or None when it was accepted."""
    if response.is_success:
        return None
    detail = describe_error_body(response)
    return classify_http_status(
        response.status_code,
        response.headers.get("Retry-After"),
        detail=redact(truncate(detail, MAX_DETAIL_CHARS)) if detail else None,
    )


def describe_error_body(response: httpx.Response) -> str:
    """One line from PagerDuty's error body: status, message and the ``errors`` list.

    For example ``invalid event: Event object is invalid; errors: 'payload.summary' is
    missing or blank``. Falls back to the start of a non-JSON body.
    """
    body = _json_object(response)
    if not body:
        return " ".join(response.text.split())[:MAX_DETAIL_CHARS]
    parts = [str(body[key]) for key in ("status", "message") if isinstance(body.get(key), str)]
    text = ": ".join(parts)
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        listed = "; ".join(str(item) for item in errors)
        text = f"{text}; errors: {listed}" if text else f"errors: {listed}"
    return " ".join(text.split())


def network_error(exc: BaseException, *, host: str, redact: Redactor) -> RetryableDeliveryError:
    """Classify a failure to get an answer at all; every such failure is retryable.

    httpx-aiohttp maps most aiohttp errors to `httpx.ConnectTimeout` (a refused or reset
    connection included), so the classification reads aiohttp's and the OS's
    exceptions from the cause chain instead of trusting the httpx type.
    """
    chain = list(_causes(exc))
    root = chain[-1]
    what, reason = "network error", FailureReason.CONNECTION
    if _has(chain, aiohttp.ClientConnectorCertificateError, ssl.SSLCertVerificationError):
        what = "TLS certificate verification failed"
    elif _has(chain, aiohttp.ClientSSLError, ssl.SSLError):
        what = "TLS handshake failed"
    elif _has(chain, ConnectionRefusedError):
        what = "connection refused"
    elif _has(chain, ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
        what = "connection reset"
    elif _has(chain, aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError):
        what = "server closed the connection without answering"
    elif _has(chain, aiohttp.ClientConnectorError, httpx.ConnectError):
        what = "could not connect"
    elif _has(chain, aiohttp.ServerTimeoutError, TimeoutError) or (
        len(chain) == 1 and isinstance(exc, httpx.TimeoutException)
    ):
        what, reason = "timed out", FailureReason.TIMEOUT
    cause = redact(truncate(" ".join(str(root).split()), 300))
    message = f"PagerDuty at {host}: {what} ({type(root).__name__}{': ' + cause if cause else ''})"
    return RetryableDeliveryError(message, reason=reason)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _has(chain: list[BaseException], *types: type[BaseException]) -> bool:
    return any(isinstance(item, types) for item in chain)


def _json_object(response: httpx.Response) -> dict[str, JsonValue]:
    try:
        value: Any = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _host(client: httpx.AsyncClient) -> str:
    url = client.base_url
    return f"{url.host}:{url.port}" if url.port else str(url.host)
