"""The email channel against the kit's real SMTP server (aiosmtpd on loopback)."""

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from floe_alert_email import EmailChannel, EmailConfig
from floe_monitoring import (
    ChannelConfigError,
    ContractViolationEvent,
    DeliveryError,
    FailureReason,
    HealthState,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from floe_testing_kit import FakeSMTPServer, unused_tcp_url
from floe_testing_kit.servers.smtp import ScriptedReply

USER = "floe-alerts"
SECRET = "planted-secret-7f1c2b9e"
TO = "data@example.com"


def _event(**overrides: Any) -> ContractViolationEvent:
    values: dict[str, Any] = {
        "contract_name": "orders",
        "violation_type": "freshness",
        "severity": "error",
        "message": "orders is 7h old (SLA 6h)",
        "timestamp": "2026-01-31T09:30:00Z",
        "owner": "team-orders",
    }
    values.update(overrides)
    return ContractViolationEvent.model_validate(values)


def _config(smtp: FakeSMTPServer, **overrides: Any) -> EmailConfig:
    values: dict[str, Any] = {
        "host": smtp.host,
        "port": smtp.port,
        "tls_mode": smtp.tls_mode,
        "from_address": "alerts@example.com",
        "to": [TO],
        "local_hostname": "monitor.example.com",
        "timeout_seconds": 5,
    }
    if smtp.ca_bundle is not None:
        values["ca_bundle"] = smtp.ca_bundle
    if smtp.username is not None:
        values.update(username=smtp.username, password=SECRET)
    values.update(overrides)
    return EmailConfig.model_validate(values)


def _parse(data: bytes) -> EmailMessage:
    parsed = message_from_bytes(data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.fixture
async def smtp() -> AsyncIterator[FakeSMTPServer]:
    async with FakeSMTPServer(
        tls_mode="starttls", auth_required=True, username=USER, password=SECRET
    ) as server:
        yield server


async def _failure(channel: EmailChannel, event: ContractViolationEvent) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        await channel.send_alert(event)
    return caught.value


# -- TLS modes and AUTH ------------------------------------------------------------------


async def test_starttls_with_auth_delivers_one_encrypted_message(smtp: FakeSMTPServer) -> None:
    event = _event()
    async with EmailChannel(_config(smtp)) as channel:
        receipt = await channel.send_alert(event)
    mails = await smtp.wait_for_messages(1)

    assert receipt.event_ids == (event.event_id,)
    assert receipt.remote_id == f"<{event.event_id}@example.com>"
    assert receipt.status_code == 250
    assert receipt.refused_recipients == ()
    assert receipt.details["accepted"] == [TO]
    assert mails[0].extra["tls"] is True
    assert mails[0].extra["authenticated_as"] == USER
    assert mails[0].mail_from == "alerts@example.com"
    assert mails[0].rcpt_tos == (TO,)
    message = mails[0].message()
    assert message["Message-ID"] == receipt.remote_id
    assert message["Subject"] == "[ERROR] orders: orders is 7h old (SLA 6h)"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]


async def test_implicit_tls_with_auth() -> None:
    async with FakeSMTPServer(
        tls_mode="tls", auth_required=True, username=USER, password=SECRET
    ) as smtp:
        async with EmailChannel(_config(smtp)) as channel:
            await channel.send_alert(_event())
            health = await channel.health_check()
        mails = await smtp.wait_for_messages(1)

    assert mails[0].extra["tls"] is True
    assert mails[0].extra["authenticated_as"] == USER
    assert health.state is HealthState.HEALTHY
    assert health.details["tls_mode"] == "tls"


async def test_wrong_password_is_a_permanent_auth_failure() -> None:
    async with (
        FakeSMTPServer(auth_required=True, username=USER, password="the-real-one") as smtp,
        EmailChannel(_config(smtp)) as channel,
    ):
        error = await _failure(channel, _event())
        health = await channel.health_check()

    assert isinstance(error, PermanentDeliveryError)
    assert error.reason is FailureReason.AUTH
    assert error.status_code == 535
    assert smtp.messages == []
    assert health.state is HealthState.UNHEALTHY
    assert health.details["reason"] == "auth"


async def test_temporary_auth_failure_is_retryable(smtp: FakeSMTPServer) -> None:
    smtp.script("AUTH", "454 4.7.0 temporary authentication failure")
    smtp.script("AUTH", "454 4.7.0 temporary authentication failure")
    async with EmailChannel(_config(smtp)) as channel:
        error = await _failure(channel, _event())

    assert isinstance(error, RetryableDeliveryError)
    assert error.reason is FailureReason.AUTH
    assert error.status_code == 454


async def test_missing_credentials_are_refused_by_the_server(smtp: FakeSMTPServer) -> None:
    config = _config(smtp, username=None, password=None)
    async with EmailChannel(config) as channel:
        error = await _failure(channel, _event())

    assert isinstance(error, PermanentDeliveryError)
    assert error.reason is FailureReason.AUTH
    assert error.status_code == 530


async def test_starttls_mode_refuses_a_server_without_starttls() -> None:
    async with FakeSMTPServer(advertise_starttls=False) as smtp:
        async with EmailChannel(_config(smtp)) as channel:
            error = await _failure(channel, _event())
            health = await channel.health_check()
        await asyncio.sleep(0.05)  # anything sent would have arrived by now

    assert isinstance(error, PermanentDeliveryError)
    assert error.reason is FailureReason.UNSUPPORTED
    assert "does not offer STARTTLS" in str(error)
    assert smtp.messages == []
    assert health.state is HealthState.UNHEALTHY
    assert "STARTTLS" in health.message


async def test_untrusted_certificate_is_permanent(smtp: FakeSMTPServer) -> None:
    async with EmailChannel(_config(smtp, ca_bundle=None)) as channel:
        error = await _failure(channel, _event())

    assert isinstance(error, PermanentDeliveryError)
    assert error.reason is FailureReason.CONNECTION
    assert "did not verify" in str(error)
    assert smtp.messages == []


async def test_plaintext_mode_sends_and_reports_degraded_health(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with FakeSMTPServer(tls_mode="none") as smtp:
        with caplog.at_level(logging.WARNING, logger="floe_alert_email"):
            async with EmailChannel(_config(smtp), instance_name="relay") as channel:
                await channel.send_alert(_event())
                health = await channel.health_check()
        mails = await smtp.wait_for_messages(1)

    assert mails[0].extra["tls"] is False
    assert health.state is HealthState.DEGRADED
    assert health.healthy
    assert "plaintext" in health.message
    assert any("plaintext" in r.getMessage() for r in caplog.records)


# -- replies, refusals and lost connections -----------------------------------------------


async def test_4xx_then_success_resends_identical_bytes(smtp: FakeSMTPServer) -> None:
    event = _event()
    smtp.script("DATA", "451 4.3.0 try later")
    async with EmailChannel(_config(smtp)) as channel:
        error = await _failure(channel, event)
        receipt = await channel.send_alert(event)
    mails = await smtp.wait_for_messages(1)

    assert isinstance(error, RetryableDeliveryError)
    assert error.reason is FailureReason.SERVER_ERROR
    assert error.status_code == 451
    assert "451 4.3.0 try later" in str(error)
    assert len(mails) == 1
    assert receipt.remote_id == mails[0].message()["Message-ID"]
    # The retry sent exactly what a first attempt sends.
    async with (
        FakeSMTPServer(auth_required=True, username=USER, password=SECRET) as other,
        EmailChannel(_config(other)) as channel,
    ):
        await channel.send_alert(event)
        again = await other.wait_for_messages(1)
    assert again[0].data == mails[0].data


async def test_4xx_on_rcpt_is_retryable(smtp: FakeSMTPServer) -> None:
    smtp.script("RCPT", "450 4.2.1 mailbox busy")
    async with EmailChannel(_config(smtp)) as channel:
        error = await _failure(channel, _event())

    assert isinstance(error, RetryableDeliveryError)
    assert error.status_code == 450


async def test_5xx_on_data_is_permanent(smtp: FakeSMTPServer) -> None:
    smtp.script("DATA", "554 5.6.0 message rejected as spam")
    async with EmailChannel(_config(smtp)) as channel:
        error = await _failure(channel, _event())

    assert isinstance(error, PermanentDeliveryError)
    assert error.reason is FailureReason.CLIENT_ERROR
    assert error.status_code == 554


async def test_421_greeting_is_retryable(smtp: FakeSMTPServer) -> None:
    smtp.script("CONNECT", "421 4.3.2 too busy, try later")
    async with EmailChannel(_config(smtp)) as channel:
        error = await _failure(channel, _event())

    assert isinstance(error, RetryableDeliveryError)
    assert error.status_code == 421


async def test_partial_refusal_returns_a_receipt_listing_the_refused(
    smtp: FakeSMTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    smtp.refuse_recipients("gone@example.com")
    config = _config(smtp, to=[TO, "gone@example.com"])
    with caplog.at_level(logging.WARNING, logger="floe_alert_email"):
        async with EmailChannel(config) as channel:
            receipt = await channel.send_alert(_event())
    mails = await smtp.wait_for_messages(1)

    assert receipt.refused_recipients == ("gone@example.com",)
    assert receipt.details["accepted"] == [TO]
    assert receipt.details["refused"] == {
        "gone@example.com": "550 5.1.1 <gone@example.com>: Recipient address rejected"
    }
    assert mails[0].rcpt_tos == (TO,)
    assert "refused 1 of 2 recipient(s): gone@example.com" in caplog.text


async def test_all_recipients_refused_is_permanent(smtp: FakeSMTPServer) -> None:
    smtp.refuse_recipients(TO, "gone@example.com")
    async with EmailChannel(_config(smtp, to=[TO, "gone@example.com"])) as channel:
        error = await _failure(channel, _event())

    assert isinstance(error, PermanentDeliveryError)
    assert error.reason is FailureReason.CLIENT_ERROR
    assert "refused all 2 recipient(s)" in str(error)
    assert smtp.messages == []


async def test_dropped_connection_is_retryable(smtp: FakeSMTPServer) -> None:
    smtp.script("DATA", ScriptedReply.drop_connection())
    async with EmailChannel(_config(smtp)) as channel:
        error = await _failure(channel, _event())

    assert isinstance(error, RetryableDeliveryError)
    assert error.reason is FailureReason.CONNECTION


async def test_refused_connection_is_retryable(smtp: FakeSMTPServer) -> None:
    nowhere = int(unused_tcp_url().rsplit(":", 1)[1])
    async with EmailChannel(_config(smtp, port=nowhere)) as channel:
        error = await _failure(channel, _event())
        health = await channel.health_check()

    assert isinstance(error, RetryableDeliveryError)
    assert error.reason is FailureReason.CONNECTION
    assert health.state is HealthState.UNHEALTHY


async def test_one_deadline_bounds_the_whole_send(smtp: FakeSMTPServer) -> None:
    smtp.script("MAIL", ScriptedReply.never_answer())
    async with EmailChannel(_config(smtp, timeout_seconds=0.5)) as channel:
        began = time.monotonic()
        error = await _failure(channel, _event())
        took = time.monotonic() - began

    assert isinstance(error, RetryableDeliveryError)
    assert error.reason is FailureReason.TIMEOUT
    assert took < 2.0


# -- threading, digest, hostile content ----------------------------------------------------


async def test_firing_and_resolved_thread_together(smtp: FakeSMTPServer) -> None:
    firing = _event()
    resolved = firing.with_changes(event_id=uuid.uuid4(), status="resolved")
    async with EmailChannel(_config(smtp)) as channel:
        await channel.send_alert(firing)
        await channel.send_alert(resolved)
    first, second = (m.message() for m in await smtp.wait_for_messages(2))

    assert first["References"] == second["References"]
    assert first["In-Reply-To"] == second["In-Reply-To"]
    assert first["Message-ID"] != second["Message-ID"]
    assert str(second["Subject"]).startswith("[RESOLVED] orders:")


async def test_send_batch_sends_one_digest_to_every_route(smtp: FakeSMTPServer) -> None:
    events = [
        _event(element="a"),
        _event(element="b", severity="critical"),
        _event(element="c", status="resolved"),
    ]
    config = _config(smtp, severity_recipients={"critical": ["oncall@example.com"]})
    async with EmailChannel(config) as channel:
        receipt = await channel.send_batch(events)
        with pytest.raises(ValueError, match="at least one"):
            await channel.send_batch([])
    mails = await smtp.wait_for_messages(1)

    assert receipt.event_ids == tuple(e.event_id for e in events)
    assert mails[0].rcpt_tos == (TO, "oncall@example.com")
    message = mails[0].message()
    assert message["Subject"] == "[CRITICAL] orders: 3 notifications (2 firing, 1 resolved)"
    assert message["Message-ID"] == receipt.remote_id
    assert len(str(message["References"]).split()) == 3


async def test_no_route_for_an_event_is_permanent_and_sends_nothing(
    smtp: FakeSMTPServer,
) -> None:
    config = _config(smtp, to=[], severity_recipients={"critical": ["oncall@example.com"]})
    async with EmailChannel(config) as channel:
        error = await _failure(channel, _event(severity="warning"))

    assert isinstance(error, PermanentDeliveryError)
    assert "no recipient configured for owner team-orders and severity warning" in str(error)
    assert smtp.messages == []


async def test_header_injection_in_contract_names_arrives_harmless(smtp: FakeSMTPServer) -> None:
    event = _event(contract_name="orders\r\nBcc: victim@example.net\r\n\r\n<script>x</script>")
    async with EmailChannel(_config(smtp)) as channel:
        await channel.send_alert(event)
    mail = (await smtp.wait_for_messages(1))[0]
    message = mail.message()

    assert mail.rcpt_tos == (TO,)
    assert message["Bcc"] is None
    assert message.get_content_type() == "multipart/alternative"
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert "<script>" not in str(html.get_content())
    assert "&lt;script&gt;x&lt;/script&gt;" in str(html.get_content())


async def test_non_ascii_subject_is_rfc2047_encoded(smtp: FakeSMTPServer) -> None:
    event = _event(contract_name="Bestellübersicht", message="Daten sind alt – 注文 ✓")
    async with EmailChannel(_config(smtp)) as channel:
        await channel.send_alert(event)
    mail = (await smtp.wait_for_messages(1))[0]

    raw_headers = mail.data.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?" in raw_headers
    assert all(byte < 128 for byte in mail.data)
    assert mail.message()["Subject"] == "[ERROR] Bestellübersicht: Daten sind alt – 注文 ✓"


async def test_concurrent_sends_all_arrive_intact(smtp: FakeSMTPServer) -> None:
    events = [_event(element=f"col{i}") for i in range(10)]
    async with EmailChannel(_config(smtp)) as channel:
        receipts = await asyncio.gather(*(channel.send_alert(e) for e in events))
    mails = await smtp.wait_for_messages(10)

    assert {r.remote_id for r in receipts} == {str(m.message()["Message-ID"]) for m in mails}
    assert all(_parse(m.data).get_content_type() == "multipart/alternative" for m in mails)


# -- secrets, lifecycle, config ------------------------------------------------------------


async def test_the_password_appears_in_no_log_error_repr_or_dump(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[str] = []
    async with FakeSMTPServer(auth_required=True, username=USER, password=SECRET) as smtp:
        config = _config(smtp)
        async with EmailChannel(config) as channel:
            await channel.send_alert(_event())
            smtp.script("DATA", "451 4.3.0 later")
            errors.append(str(await _failure(channel, _event())))
            health = await channel.health_check()
        async with EmailChannel(_config(smtp, password="not-" + SECRET)) as wrong:
            failure = await _failure(wrong, _event())
            errors += [str(failure), repr(failure), str(failure.__cause__)]

    shown = [
        caplog.text,
        *errors,
        repr(channel),
        str(channel),
        repr(config),
        str(config),
        config.model_dump_json(),
        str(config.model_dump()),
        health.model_dump_json(),
    ]
    assert caplog.records
    for text in shown:
        assert SECRET not in text


async def test_lifecycle_is_idempotent_and_sending_works_without_startup(
    smtp: FakeSMTPServer,
) -> None:
    channel = EmailChannel(_config(smtp))
    states = [channel.started]
    await channel.shutdown()
    await channel.startup()
    await channel.startup()
    states.append(channel.started)
    await channel.shutdown()
    await channel.shutdown()
    states.append(channel.started)
    assert states == [False, True, False]
    receipt = await channel.send_alert(_event())  # the TLS context is made on demand
    await smtp.wait_for_messages(1)
    assert receipt.status_code == 250


async def test_an_unreadable_ca_bundle_fails_startup_without_its_content(
    tmp_path: Any, smtp: FakeSMTPServer
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate")
    channel = EmailChannel(_config(smtp, ca_bundle=str(bundle)), instance_name="mail")
    with pytest.raises(ChannelConfigError) as caught:
        await channel.startup()

    assert caught.value.field == "ca_bundle"
    assert "not a certificate" not in str(caught.value)
    assert not channel.started
