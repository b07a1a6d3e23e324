"""Turn what went wrong on the wire into the SDK's delivery errors.

Statuses follow the shared rule (`classify_http_status`): 408, 429 and 5xx except 501
are retryable, honouring `Retry-After` (seconds or HTTP-date); 410 is permanent and
means the endpoint asks to be disabled; other 4xx are permanent. Network failures are
retryable (`CONNECTION`, `TIMEOUT`), except those no retry can fix: a destination the
channel refuses, an unusable URL, a certificate that does not verify.

Messages name the destination by its origin only and never quote a library's own
message, which may contain the URL; callers raise these errors ``from None``.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator

import aiohttp
import httpx

from floe_alert_webhook.targets import TargetRefusedError
from floe_alert_webhook.transport import HttpAnswer
from floe_monitoring import (
    DeliveryError,
    FailureReason,
    PermanentDeliveryError,
    RetryableDeliveryError,
    classify_http_status,
    header_safe,
)

__all__ = ["MAX_DETAIL_LENGTH", "answer_detail", "answer_error", "transport_error"]

#: How much of a response body an error message quotes.
MAX_DETAIL_LENGTH = 200

_TEXTUAL = ("text/", "application/json", "application/problem+json")
_EMPTY_JSON = frozenset({"", "{}", "[]", "null", '""'})


def answer_detail(answer: HttpAnswer) -> str | None:
    """A short, single-line excerpt of a textual error body (None for empty or binary).

    The caller redacts it: a receiver may echo what it was sent.
    """
    content_type = (answer.content_type or "").lower()
    if not content_type.startswith(_TEXTUAL):
        return None
    text = header_safe(answer.body.decode("utf-8", "replace"))
    if text in _EMPTY_JSON:
        return None
    return header_safe(text, MAX_DETAIL_LENGTH)


def answer_error(answer: HttpAnswer, *, detail: str | None) -> DeliveryError | None:
    """The error for a non-2xx answer, or None when the receiver accepted the request."""
    return classify_http_status(answer.status, answer.retry_after, detail=detail)


def transport_error(exc: BaseException, *, destination: str) -> DeliveryError:
    """Classify a failed request (`httpx`, `aiohttp` or `OSError`) by what caused it.

    httpx-aiohttp maps aiohttp's exceptions coarsely (any `ClientConnectionError`, a
    reset included, becomes `httpx.ConnectTimeout`), so the cause chain is inspected
    for the original aiohttp and OS errors before the httpx class is trusted.
    """
    chain = list(_chain(exc))

    def caused_by(*kinds: type[BaseException]) -> bool:
        return any(isinstance(e, kinds) for e in chain)

    if caused_by(TargetRefusedError):
        refused = next(e for e in chain if isinstance(e, TargetRefusedError))
        return PermanentDeliveryError(
            f"{destination} refused: {refused.args[0] if refused.args else 'address refused'}",
            reason=FailureReason.CONNECTION,
        )
    if caused_by(ssl.SSLCertVerificationError, aiohttp.ClientConnectorCertificateError):
        return PermanentDeliveryError(
            f"TLS certificate of {destination} could not be verified (trust its CA with ca_bundle)",
            reason=FailureReason.CONNECTION,
        )
    if caused_by(
        httpx.UnsupportedProtocol,
        httpx.InvalidURL,
        aiohttp.InvalidURL,
        aiohttp.NonHttpUrlClientError,
    ):
        return PermanentDeliveryError(
            f"the URL for {destination} cannot be used", reason=FailureReason.CLIENT_ERROR
        )
    if caused_by(ConnectionRefusedError) or _errno_in(chain, errno.ECONNREFUSED):
        return _retry(f"{destination} refused the connection", FailureReason.CONNECTION)
    if caused_by(
        ConnectionResetError,
        BrokenPipeError,
        aiohttp.ServerDisconnectedError,
        aiohttp.ClientConnectionResetError,
        aiohttp.ClientPayloadError,
        httpx.ReadError,
        httpx.WriteError,
        httpx.RemoteProtocolError,
    ):
        return _retry(
            f"{destination} closed or reset the connection before answering",
            FailureReason.CONNECTION,
        )
    if caused_by(aiohttp.ServerTimeoutError, TimeoutError, httpx.TimeoutException):
        return _retry(f"{destination} did not answer in time", FailureReason.TIMEOUT)
    if caused_by(socket.gaierror, aiohttp.ClientConnectorDNSError):
        return _retry(f"the host of {destination} could not be resolved", FailureReason.CONNECTION)
    if caused_by(ssl.SSLError, aiohttp.ClientSSLError):
        return _retry(f"TLS handshake with {destination} failed", FailureReason.CONNECTION)
    if caused_by(aiohttp.ClientResponseError):
        return _retry(
            f"{destination} sent an answer that is not valid HTTP", FailureReason.SERVER_ERROR
        )
    return _retry(
        f"request to {destination} failed ({type(exc).__name__})", FailureReason.CONNECTION
    )


def _retry(message: str, reason: FailureReason) -> RetryableDeliveryError:
    return RetryableDeliveryError(message, reason=reason)


def _errno_in(chain: list[BaseException], code: int) -> bool:
    return any(isinstance(e, OSError) and e.errno == code for e in chain)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        if isinstance(current, aiohttp.ClientConnectorError):
            # aiohttp keeps the OS error as an attribute, not always as the cause.
            os_error = current.os_error
            if id(os_error) not in seen:
                seen.add(id(os_error))
                yield os_error
        current = current.__cause__ or current.__context__
