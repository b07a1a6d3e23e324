"""Map Slack's answers and network failures to floe's delivery errors.

The status decides whether to retry (the SDK's one rule: 408, 429 and 5xx except 501
are retryable); Slack's error code decides the words, so an operator reads what to fix.
A Web API ``200 {"ok": false}`` has only the code, so the code decides both.

Nothing here sees a URL or a token: messages are built from status codes, Slack's error
codes (checked against a pattern before use) and exception type names.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from floe_monitoring import (
    DeliveryError,
    FailureReason,
    PermanentDeliveryError,
    RetryableDeliveryError,
    classify_http_status,
    parse_retry_after,
)

__all__ = [
    "GUIDANCE",
    "error_code",
    "map_api_answer",
    "map_exception",
    "map_webhook_answer",
    "redact_error",
    "retry_after_of",
]

# Slack's error codes are short snake_case words; anything else is not echoed.
_CODE = re.compile(r"[a-z0-9_.]{1,80}")

#: What to do about each documented error, in words for whoever reads the dead letter.
GUIDANCE: dict[str, str] = {
    "invalid_payload": "Slack could not read the message (malformed JSON or blocks)",
    "invalid_blocks": "Slack rejected the blocks",
    "invalid_blocks_format": "Slack rejected the blocks",
    "msg_blocks_too_long": "the blocks exceed Slack's message size",
    "msg_too_long": "the message text is too long",
    "no_text": "the message had neither text nor blocks",
    "user_not_found": "the webhook's user no longer exists: create a new webhook",
    "channel_not_found": "the channel does not exist or the app cannot see it: "
    "check `channel` (Web API) or create a new webhook",
    "channel_is_archived": "the channel is archived: unarchive it or point the channel "
    "elsewhere (the destination asks to be disabled)",
    "is_archived": "the channel is archived: unarchive it or point the channel elsewhere",
    "action_prohibited": "a workspace admin has restricted posting to this channel",
    "posting_to_general_channel_denied": "only admins may post to this channel",
    "restricted_action": "a workspace setting prevents posting to this channel",
    "invalid_token": "the webhook URL is invalid or revoked: create a new webhook",
    "no_service": "the webhook was disabled or removed: create a new webhook",
    "invalid_auth": "the bot token is invalid: check `token`",
    "not_authed": "no bot token was sent: check `token`",
    "token_revoked": "the bot token was revoked: install the app again",
    "token_expired": "the bot token expired: refresh or reinstall",
    "account_inactive": "the token's user or bot was deactivated",
    "missing_scope": "the token lacks the `chat:write` scope",
    "not_allowed_token_type": "use a bot token (xoxb-…) for chat.postMessage",
    "not_in_channel": "the bot is not a member of the channel: invite it (/invite @app)",
    "message_not_found": "the message to update no longer exists",
    "cant_update_message": "the message to update was not posted by this app",
    "rate_limited": "Slack's rate limit: wait before sending again",
    "ratelimited": "Slack's rate limit: wait before sending again",
    "rollup_error": "Slack failed internally",
}

_AUTH_CODES = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "invalid_token",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "missing_scope",
        "not_allowed_token_type",
        "no_permission",
        "ekm_access_denied",
        "team_access_not_granted",
        "access_denied",
    }
)
_GONE_CODES = frozenset({"channel_is_archived", "is_archived"})
_RETRYABLE_CODES: dict[str, FailureReason] = {
    "ratelimited": FailureReason.RATE_LIMITED,
    "rate_limited": FailureReason.RATE_LIMITED,
    "request_timeout": FailureReason.TIMEOUT,
    "internal_error": FailureReason.SERVER_ERROR,
    "fatal_error": FailureReason.SERVER_ERROR,
    "service_unavailable": FailureReason.SERVER_ERROR,
    "rollup_error": FailureReason.SERVER_ERROR,
}


def error_code(body: Any) -> str | None:
    """Slack's error code from an answer body (``invalid_payload`` or ``{"error": …}``).

    Returns:
        The code when it looks like one, else None (arbitrary text is never echoed).

    """
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        text = body.strip()
        if text.startswith("{"):
            try:
                body = json.loads(text)
            except ValueError:
                return None
        else:
            return text if _CODE.fullmatch(text) else None
    if isinstance(body, Mapping):
        code = body.get("error")
        if isinstance(code, str) and _CODE.fullmatch(code):
            return code
    return None


def retry_after_of(headers: Mapping[str, Any] | None, body: Any = None) -> str | None:
    """The `Retry-After` value: the header, else the ``retry_after`` of a JSON body."""
    for name, value in (headers or {}).items():
        if str(name).lower() == "retry-after":
            return str(value)
    if isinstance(body, str) and body.strip().startswith("{"):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if isinstance(body, Mapping):
        value = body.get("retry_after")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(int(value))
    return None


def _detail(code: str | None, extra: str = "") -> str | None:
    if code is None:
        return None
    words = GUIDANCE.get(code)
    text = f"{code} ({words})" if words else code
    return text + extra


def _rebuild(error: DeliveryError, message: str, reason: FailureReason) -> DeliveryError:
    if isinstance(error, RetryableDeliveryError):
        return RetryableDeliveryError(
            message, retry_after=error.retry_after, reason=reason, status_code=error.status_code
        )
    return PermanentDeliveryError(message, reason=reason, status_code=error.status_code)


def redact_error(error: DeliveryError, redact: Callable[[str], str]) -> DeliveryError:
    """`error` with `redact` applied to its message (vendor text may echo anything)."""
    message = str(error)
    clean = redact(message)
    return error if clean == message else _rebuild(error, clean, error.reason)


def _classify(
    status: int, headers: Mapping[str, Any] | None, body: Any, code: str | None, extra: str
) -> DeliveryError | None:
    error = classify_http_status(status, retry_after_of(headers, body), detail=_detail(code, extra))
    if error is None:
        return None
    reason = error.reason
    if not error.retryable and code in _AUTH_CODES:
        reason = FailureReason.AUTH
    elif not error.retryable and code in _GONE_CODES:
        reason = FailureReason.GONE
    return _rebuild(error, f"Slack answered {error}", reason)


def map_webhook_answer(
    status: int, body: str, headers: Mapping[str, Any] | None = None
) -> DeliveryError | None:
    """The error for an incoming-webhook answer, or None when Slack said ``200 ok``.

    Args:
        status: HTTP status.
        body: Response body (``ok`` on success, an error code otherwise).
        headers: Response headers (for `Retry-After`).

    """
    code = error_code(body)
    if status == 200:
        if body.strip() == "ok":
            return None
        # Anything but "ok" means the URL is not a Slack webhook (a proxy, a login page):
        # reporting success would lose the alert silently.
        return PermanentDeliveryError(
            "Slack webhook answered HTTP 200 without 'ok': is webhook_url a Slack "
            "incoming webhook?" + (f" (answer: {code})" if code else ""),
            reason=FailureReason.CLIENT_ERROR,
            status_code=status,
        )
    return _classify(status, headers, body, code, "")


def map_api_answer(
    status: int, data: Any, headers: Mapping[str, Any] | None = None, *, method: str
) -> DeliveryError | None:
    """The error for a Web API answer, or None when it is ``200 {"ok": true}``.

    Args:
        status: HTTP status.
        data: Parsed body (a mapping) or raw text.
        headers: Response headers (for `Retry-After`).
        method: The API method, for the message (``chat.postMessage``).

    """
    code = error_code(data)
    extra = _block_errors(data) if code in ("invalid_blocks", "invalid_blocks_format") else ""
    if status != 200:
        error = _classify(status, headers, data, code, extra)
        if error is not None:
            return _rebuild(error, f"{method}: {error}", error.reason)
    if not isinstance(data, Mapping):
        # A 200 that is not JSON: base_url points at something other than the Web API.
        return PermanentDeliveryError(
            f"{method}: the answer is not a Slack Web API answer: is base_url right?",
            reason=FailureReason.CLIENT_ERROR,
            status_code=status,
        )
    if data.get("ok") is True:
        return None
    detail = _detail(code, extra) or "no error code"
    if code in _RETRYABLE_CODES:
        return RetryableDeliveryError(
            f"{method}: Slack answered ok=false: {detail}",
            retry_after=parse_retry_after(retry_after_of(headers, data)),
            reason=_RETRYABLE_CODES[code],
            status_code=status,
        )
    if code in _AUTH_CODES:
        reason = FailureReason.AUTH
    elif code in _GONE_CODES:
        reason = FailureReason.GONE
    else:
        reason = FailureReason.CLIENT_ERROR
    return PermanentDeliveryError(
        f"{method}: Slack answered ok=false: {detail}", reason=reason, status_code=status
    )


def _block_errors(data: Any) -> str:
    # `invalid_blocks` comes with Slack's reasons ("must be more than 0 characters
    # [json-pointer:/blocks/1/text/text]"): the first few say what to fix.
    errors = data.get("errors") if isinstance(data, Mapping) else None
    if not isinstance(errors, list) or not errors:
        return ""
    shown = "; ".join(str(e)[:200] for e in errors[:3])
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return f": {shown}{more}"


def map_exception(exc: BaseException, *, timeout: float) -> DeliveryError:
    """The error for a failure below HTTP: timeout, refused, reset, TLS, or a bug.

    The exception's own text is never used: aiohttp puts the request URL (the webhook
    secret) into several of its messages.

    Args:
        exc: What the HTTP client raised.
        timeout: The deadline that applied, for the message.

    """
    kind = type(exc).__name__
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return RetryableDeliveryError(
            f"Slack did not answer within {timeout:g}s", reason=FailureReason.TIMEOUT
        )
    if isinstance(exc, aiohttp.ClientSSLError):
        return RetryableDeliveryError(
            f"TLS with Slack failed ({kind}): is the certificate trusted? (see ca_bundle)",
            reason=FailureReason.CONNECTION,
        )
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return RetryableDeliveryError(
            f"cannot resolve Slack's host name ({kind})", reason=FailureReason.CONNECTION
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        return RetryableDeliveryError(
            f"cannot connect to Slack: connection refused or unreachable ({kind})",
            reason=FailureReason.CONNECTION,
        )
    if isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError | OSError):
        return RetryableDeliveryError(
            f"connection to Slack closed or reset before an answer ({kind})",
            reason=FailureReason.CONNECTION,
        )
    if isinstance(exc, aiohttp.ClientResponseError):
        return RetryableDeliveryError(
            f"Slack's answer could not be read ({kind})",
            reason=FailureReason.SERVER_ERROR,
            status_code=exc.status or None,
        )
    return PermanentDeliveryError(
        f"unexpected {kind} while sending to Slack", reason=FailureReason.INTERNAL
    )
