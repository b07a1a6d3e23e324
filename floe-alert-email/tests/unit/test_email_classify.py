import ssl

import aiosmtplib
import pytest

from floe_alert_email.classify import classify_smtp_error, refusal_summary
from floe_alert_email.transport import MissingExtensionError
from floe_monitoring import FailureReason, PermanentDeliveryError, RetryableDeliveryError

WHERE = "smtp.example.com:587"


def _refused(*codes: int) -> aiosmtplib.SMTPRecipientsRefused:
    return aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(c, "no", f"r{i}@example.com") for i, c in enumerate(codes)]
    )


def _cert_error() -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "unable to get local issuer certificate"
    return error


def _wrapped_cert_error() -> aiosmtplib.SMTPConnectError:
    outer = aiosmtplib.SMTPConnectError("Error connecting: certificate verify failed")
    outer.__cause__ = _cert_error()
    return outer


@pytest.mark.parametrize(
    ("exc", "retryable", "reason", "code"),
    [
        (aiosmtplib.SMTPAuthenticationError(535, "5.7.8 bad"), False, FailureReason.AUTH, 535),
        (aiosmtplib.SMTPAuthenticationError(454, "4.7.0 later"), True, FailureReason.AUTH, 454),
        (aiosmtplib.SMTPSenderRefused(530, "5.7.0 auth required", "a@b.c"), False, "auth", 530),
        (
            aiosmtplib.SMTPSenderRefused(553, "5.1.8 bad sender", "a@b.c"),
            False,
            "client_error",
            553,
        ),
        (aiosmtplib.SMTPSenderRefused(451, "4.3.0 later", "a@b.c"), True, "server_error", 451),
        (aiosmtplib.SMTPDataError(451, "4.3.0 try later"), True, FailureReason.SERVER_ERROR, 451),
        (aiosmtplib.SMTPDataError(452, "4.3.1 storage"), True, FailureReason.SERVER_ERROR, 452),
        (aiosmtplib.SMTPDataError(554, "5.6.0 rejected"), False, FailureReason.CLIENT_ERROR, 554),
        (aiosmtplib.SMTPDataError(552, "5.3.4 too big"), False, FailureReason.CLIENT_ERROR, 552),
        (aiosmtplib.SMTPConnectResponseError(421, "busy"), True, FailureReason.SERVER_ERROR, 421),
        (aiosmtplib.SMTPConnectResponseError(554, "no service"), False, "connection", 554),
        (aiosmtplib.SMTPHeloError(501, "bad helo"), False, FailureReason.CONNECTION, 501),
        (_refused(550, 550), False, FailureReason.CLIENT_ERROR, 550),
        (_refused(550, 450), True, FailureReason.SERVER_ERROR, 450),
        (aiosmtplib.SMTPServerDisconnected("gone"), True, FailureReason.CONNECTION, None),
        (aiosmtplib.SMTPConnectError("refused"), True, FailureReason.CONNECTION, None),
        (aiosmtplib.SMTPConnectTimeoutError("slow"), True, FailureReason.TIMEOUT, None),
        (aiosmtplib.SMTPReadTimeoutError("slow"), True, FailureReason.TIMEOUT, None),
        (TimeoutError(), True, FailureReason.TIMEOUT, None),
        (ConnectionResetError("reset"), True, FailureReason.CONNECTION, None),
        (ssl.SSLError("handshake"), True, FailureReason.CONNECTION, None),
        (_cert_error(), False, FailureReason.CONNECTION, None),
        (_wrapped_cert_error(), False, FailureReason.CONNECTION, None),
        (MissingExtensionError("STARTTLS"), False, FailureReason.UNSUPPORTED, None),
        (MissingExtensionError("AUTH"), False, FailureReason.AUTH, None),
        (aiosmtplib.SMTPNotSupported("SMTPUTF8"), False, FailureReason.UNSUPPORTED, None),
        (aiosmtplib.SMTPException("No suitable auth"), False, FailureReason.UNSUPPORTED, None),
        (ValueError("bad address"), False, FailureReason.CLIENT_ERROR, None),
        (RuntimeError("surprise"), True, FailureReason.INTERNAL, None),
    ],
)
def test_classification(exc: BaseException, retryable: bool, reason: str, code: int | None) -> None:
    error = classify_smtp_error(exc, where=WHERE)
    expected = RetryableDeliveryError if retryable else PermanentDeliveryError
    assert type(error) is expected
    assert error.retryable is retryable
    assert error.reason == FailureReason(reason)
    assert error.status_code == code
    assert WHERE in str(error)


def test_messages_name_the_reply_and_stay_on_one_line() -> None:
    error = classify_smtp_error(aiosmtplib.SMTPDataError(451, "4.3.0 try\r\nlater"), where=WHERE)
    assert str(error) == f"SMTP server {WHERE} refused the message: 451 4.3.0 try later"


def test_certificate_errors_say_what_to_check() -> None:
    error = classify_smtp_error(_wrapped_cert_error(), where=WHERE)
    assert "unable to get local issuer certificate" in str(error)
    assert "ca_bundle" in str(error)


def test_missing_starttls_explains_the_choice() -> None:
    error = classify_smtp_error(MissingExtensionError("STARTTLS"), where=WHERE)
    assert "does not offer STARTTLS" in str(error)
    assert "plaintext" in str(error)


def test_every_refused_recipient_is_listed() -> None:
    error = classify_smtp_error(_refused(550, 551), where=WHERE)
    assert "refused all 2 recipient(s)" in str(error)
    assert "r0@example.com: 550 no" in str(error)
    assert "r1@example.com: 551 no" in str(error)


def test_redact_removes_secrets_from_the_message() -> None:
    error = classify_smtp_error(
        aiosmtplib.SMTPAuthenticationError(535, "bad password hunter2"),
        where=WHERE,
        redact=lambda s: s.replace("hunter2", "**********"),
    )
    assert "hunter2" not in str(error)
    assert "**********" in str(error)


def test_refusal_summary() -> None:
    assert refusal_summary({"a@example.com": (550, "5.1.1 no\r\nsuch user")}) == {
        "a@example.com": "550 5.1.1 no such user"
    }
