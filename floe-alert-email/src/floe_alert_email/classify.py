"""Map what went wrong in an SMTP session to a retryable or permanent delivery error.

The rule: 4xx replies are transient, 5xx permanent; timeouts and lost connections are
retried; a failed AUTH (535), a certificate that does not verify and a server lacking
STARTTLS are permanent, because retrying cannot fix a configuration. A 4xx AUTH answer
(454, "temporary authentication failure") is the server's own promise that a retry may
work, so it is retried.

Messages carry the stage, the reply code and the server's one-line text; never the
password (callers pass their `redact` as a last line of defence).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator, Mapping

import aiosmtplib

from floe_alert_email.transport import MissingExtensionError
from floe_monitoring import (
    DeliveryError,
    FailureReason,
    PermanentDeliveryError,
    RetryableDeliveryError,
    header_safe,
)

__all__ = ["classify_smtp_error", "refusal_summary"]

_MAX_SERVER_TEXT = 200


def classify_smtp_error(
    exc: BaseException, *, where: str, redact: Callable[[str], str] = lambda s: s
) -> DeliveryError:
    """The delivery error to raise for `exc`, raised during a session with `where`.

    Args:
        exc: What the transport raised.
        where: ``host:port``, named in the message.
        redact: Removes configured secrets from the message.

    Returns:
        A `RetryableDeliveryError` or `PermanentDeliveryError` with reason and, for
        server replies, the SMTP reply code as `status_code`.
    """
    error = _classify(exc, where)
    if str(error) != redact(str(error)):
        error.args = (redact(str(error)),)
    return error


def refusal_summary(refused: Mapping[str, tuple[int, str]]) -> dict[str, str]:
    """Refused recipients as ``{address: "550 server text"}`` (one line each, capped)."""
    return {address: f"{code} {_text(message)}" for address, (code, message) in refused.items()}


def _classify(exc: BaseException, where: str) -> DeliveryError:
    if isinstance(exc, MissingExtensionError):
        if exc.extension == "AUTH":
            return PermanentDeliveryError(
                f"SMTP server {where} offers no AUTH but a username is configured",
                reason=FailureReason.AUTH,
            )
        return PermanentDeliveryError(
            f"SMTP server {where} does not offer {exc.extension}; refusing to send "
            "in plaintext (set tls_mode to tls, or to none if plaintext is intended)",
            reason=FailureReason.UNSUPPORTED,
        )
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return _by_code(
            exc.code, exc.message, f"SMTP authentication at {where} failed", FailureReason.AUTH
        )
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return _all_refused(exc, where)
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        # 530 / 5.7.x: the server wants AUTH (or other credentials) before MAIL.
        auth = exc.code == 530 or exc.message.startswith("5.7.")
        reason = FailureReason.AUTH if auth else FailureReason.CLIENT_ERROR
        return _by_code(exc.code, exc.message, f"SMTP server {where} refused the sender", reason)
    if isinstance(exc, aiosmtplib.SMTPDataError):
        return _by_code(exc.code, exc.message, f"SMTP server {where} refused the message")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        # Greeting (SMTPConnectResponseError), HELO/EHLO, STARTTLS or another command.
        return _by_code(
            exc.code,
            exc.message,
            f"SMTP server {where} answered {type(exc).__name__}",
            FailureReason.CONNECTION,
        )
    certificate = _certificate_error(exc)
    if certificate is not None:
        return PermanentDeliveryError(
            f"TLS certificate of {where} did not verify: {_text(certificate)} "
            "(check host and ca_bundle)",
            reason=FailureReason.CONNECTION,
        )
    if isinstance(exc, TimeoutError):
        # aiosmtplib's SMTPTimeoutError subclasses TimeoutError, so per-operation
        # timeouts and our overall deadline land here alike.
        return RetryableDeliveryError(
            f"SMTP session with {where} timed out ({type(exc).__name__})",
            reason=FailureReason.TIMEOUT,
        )
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return PermanentDeliveryError(
            f"SMTP server {where} does not support what the message needs: {_text(str(exc))}",
            reason=FailureReason.UNSUPPORTED,
        )
    if isinstance(exc, ConnectionError | OSError):
        # SMTPConnectError and SMTPServerDisconnected are ConnectionErrors; ssl.SSLError
        # (other than certificate failures) is an OSError.
        return RetryableDeliveryError(
            f"SMTP connection to {where} failed: {type(exc).__name__}: {_text(str(exc))}",
            reason=FailureReason.CONNECTION,
        )
    if isinstance(exc, aiosmtplib.SMTPException):
        # For example "No suitable authentication method found": a mismatch of
        # mechanisms that a retry will not change.
        return PermanentDeliveryError(
            f"SMTP session with {where} failed: {_text(str(exc))}",
            reason=FailureReason.UNSUPPORTED,
        )
    if isinstance(exc, ValueError):
        return PermanentDeliveryError(
            f"message for {where} cannot be sent: {_text(str(exc))}",
            reason=FailureReason.CLIENT_ERROR,
        )
    return RetryableDeliveryError(
        f"unexpected error sending through {where}: {type(exc).__name__}",
        reason=FailureReason.INTERNAL,
    )


def _by_code(
    code: int,
    text: str,
    what: str,
    permanent_reason: FailureReason = FailureReason.CLIENT_ERROR,
) -> DeliveryError:
    message = f"{what}: {code} {_text(text)}"
    if 400 <= code < 500:
        reason = FailureReason.AUTH if permanent_reason is FailureReason.AUTH else None
        return RetryableDeliveryError(
            message, reason=reason or FailureReason.SERVER_ERROR, status_code=code
        )
    return PermanentDeliveryError(message, reason=permanent_reason, status_code=code)


def _all_refused(exc: aiosmtplib.SMTPRecipientsRefused, where: str) -> DeliveryError:
    codes = [r.code for r in exc.recipients]
    listed = "; ".join(f"{r.recipient}: {r.code} {_text(r.message)}" for r in exc.recipients)
    message = f"SMTP server {where} refused all {len(codes)} recipient(s): {listed}"
    worst = max(codes, default=550)
    # Any temporary refusal (greylisting, a full mailbox) may clear: retry the whole
    # message, since no recipient received it.
    if any(400 <= c < 500 for c in codes):
        transient = min(c for c in codes if 400 <= c < 500)
        return RetryableDeliveryError(
            message, reason=FailureReason.SERVER_ERROR, status_code=transient
        )
    return PermanentDeliveryError(message, reason=FailureReason.CLIENT_ERROR, status_code=worst)


def _certificate_error(exc: BaseException) -> str | None:
    for error in _chain(exc):
        if isinstance(error, ssl.SSLCertVerificationError):
            return error.verify_message or error.reason or "certificate verify failed"
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _text(text: str) -> str:
    return header_safe(text, _MAX_SERVER_TEXT)
