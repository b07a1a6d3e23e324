"""The kit's FakeSMTPServer, exercised with real SMTP clients (aiosmtplib and smtplib)."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import threading
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest

import floe_testing_kit
from floe_testing_kit.servers import FakeSMTPServer
from floe_testing_kit.servers.smtp import AuthAttempt, ScriptedReply

USER = "floe"
PASSWORD = "kit-password-9f3a"


def _message(to: str = "ops@example.com", subject: str = "hello") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "floe@example.com"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("body text")
    return message


def _client(smtp: FakeSMTPServer, **options: object) -> aiosmtplib.SMTP:
    kwargs: dict[str, object] = {
        "hostname": smtp.host,
        "port": smtp.port,
        "local_hostname": "client.test",
        "timeout": 5,
        "cert_bundle": smtp.ca_bundle,
    }
    if smtp.tls_mode == "starttls":
        kwargs["start_tls"] = True
    elif smtp.tls_mode == "tls":
        kwargs["use_tls"] = True
    else:
        kwargs["start_tls"] = False
    kwargs.update(options)
    return aiosmtplib.SMTP(**kwargs)  # type: ignore[arg-type]


async def test_starttls_with_auth_records_an_encrypted_authenticated_mail() -> None:
    async with FakeSMTPServer(
        tls_mode="starttls", auth_required=True, username=USER, password=PASSWORD
    ) as smtp:
        async with _client(smtp, username=USER, password=PASSWORD) as client:
            refused, _reply = await client.send_message(_message())
        mails = await smtp.wait_for_messages(1)

    assert refused == {}
    assert mails[0].mail_from == "floe@example.com"
    assert mails[0].rcpt_tos == ("ops@example.com",)
    assert mails[0].extra["tls"] is True
    assert mails[0].extra["authenticated_as"] == USER
    assert mails[0].message()["Subject"] == "hello"
    assert smtp.auth_attempts == [AuthAttempt("PLAIN", USER, True)]


async def test_implicit_tls_with_auth() -> None:
    async with FakeSMTPServer(
        tls_mode="tls", auth_required=True, username=USER, password=PASSWORD
    ) as smtp:
        async with _client(smtp, username=USER, password=PASSWORD) as client:
            assert client.get_transport_info("sslcontext") is not None
            await client.send_message(_message())
        mails = await smtp.wait_for_messages(1)

    assert mails[0].extra["tls"] is True
    assert mails[0].extra["authenticated_as"] == USER


async def test_plaintext_mode_records_unencrypted_mail() -> None:
    async with FakeSMTPServer(tls_mode="none") as smtp:
        assert smtp.ca_bundle is None
        async with _client(smtp) as client:
            await client.send_message(_message())
        mails = await smtp.wait_for_messages(1)

    assert mails[0].extra == {
        "tls": False,
        "authenticated_as": None,
        "peer": mails[0].extra["peer"],
    }


async def test_wrong_password_is_refused_with_535_and_never_recorded() -> None:
    async with FakeSMTPServer(auth_required=True, username=USER, password=PASSWORD) as smtp:
        with pytest.raises(aiosmtplib.SMTPAuthenticationError) as caught:
            async with _client(smtp, username=USER, password="wrong"):
                pass
        attempts = smtp.auth_attempts

    assert caught.value.code == 535
    assert attempts
    assert all(not a.success and a.username == USER for a in attempts)
    assert PASSWORD not in repr(smtp)
    assert "wrong" not in repr(attempts)


async def test_auth_required_refuses_mail_from_an_anonymous_client() -> None:
    async with (
        FakeSMTPServer(auth_required=True, username=USER, password=PASSWORD) as smtp,
        _client(smtp) as client,
    ):
        with pytest.raises(aiosmtplib.SMTPSenderRefused) as caught:
            await client.send_message(_message())

    assert caught.value.code == 530
    assert smtp.messages == []


async def test_auth_is_not_offered_before_starttls() -> None:
    async with (
        FakeSMTPServer(username=USER, password=PASSWORD) as smtp,
        _client(smtp, start_tls=False) as client,
    ):
        await client.ehlo()
        assert client.supports_extension("starttls")
        assert not client.supports_extension("auth")
        with pytest.raises(aiosmtplib.SMTPException, match="AUTH extension"):
            await client.login(USER, PASSWORD)
        with pytest.raises(aiosmtplib.SMTPSenderRefused) as caught:
            await client.send_message(_message())

    assert caught.value.code == 530  # "Must issue a STARTTLS command first"


async def test_login_mechanism_alone_can_be_offered() -> None:
    async with FakeSMTPServer(username=USER, password=PASSWORD, auth_mechanisms=["login"]) as smtp:
        async with _client(smtp, username=USER, password=PASSWORD) as client:
            assert client.server_auth_methods == ["login"]
            await client.send_message(_message())
        await smtp.wait_for_messages(1)

    assert smtp.auth_attempts == [AuthAttempt("LOGIN", USER, True)]


async def test_hidden_starttls_is_not_advertised_and_plaintext_is_accepted() -> None:
    async with FakeSMTPServer(advertise_starttls=False) as smtp:
        async with _client(smtp, start_tls=False) as client:
            await client.ehlo()
            assert not client.supports_extension("starttls")
        with pytest.raises(aiosmtplib.SMTPException, match="STARTTLS"):
            async with _client(smtp, start_tls=True):
                pass
        async with _client(smtp, start_tls=False) as client:
            await client.send_message(_message())
        mails = await smtp.wait_for_messages(1)

    assert mails[0].extra["tls"] is False


async def test_scripted_data_reply_then_success() -> None:
    async with FakeSMTPServer() as smtp:
        smtp.script("DATA", "451 4.3.0 try later")
        async with _client(smtp) as client:
            with pytest.raises(aiosmtplib.SMTPDataError) as caught:
                await client.send_message(_message(subject="first"))
            await client.send_message(_message(subject="second"))
        mails = await smtp.wait_for_messages(1)

    assert caught.value.code == 451
    assert caught.value.message == "4.3.0 try later"
    assert [m.message()["Subject"] for m in mails] == ["second"]


async def test_scripted_rcpt_reply_refuses_the_only_recipient() -> None:
    async with FakeSMTPServer() as smtp:
        smtp.script("RCPT", "451 4.3.0 try later")
        async with _client(smtp) as client:
            with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as caught:
                await client.send_message(_message())

    assert [(r.code, r.recipient) for r in caught.value.recipients] == [(451, "ops@example.com")]
    assert smtp.messages == []


async def test_refused_recipients_are_reported_and_the_others_get_the_mail() -> None:
    async with FakeSMTPServer() as smtp:
        smtp.refuse_recipients("Gone@Example.com")
        async with _client(smtp) as client:
            refused, _reply = await client.send_message(
                _message(), recipients=["ops@example.com", "gone@example.com"]
            )
        mails = await smtp.wait_for_messages(1)

    assert list(refused) == ["gone@example.com"]
    assert refused["gone@example.com"].code == 550
    assert mails[0].rcpt_tos == ("ops@example.com",)


async def test_refusal_reply_can_be_temporary() -> None:
    async with FakeSMTPServer() as smtp:
        smtp.refuse_recipients("busy@example.com", reply="450 4.2.1 mailbox busy")
        async with _client(smtp) as client:
            with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as caught:
                await client.send_message(_message(), recipients=["busy@example.com"])

    assert caught.value.recipients[0].code == 450


async def test_dropped_connection_during_data() -> None:
    async with FakeSMTPServer() as smtp:
        smtp.script("DATA", ScriptedReply.drop_connection())
        async with _client(smtp) as client:
            with pytest.raises(aiosmtplib.SMTPServerDisconnected):
                await client.send_message(_message())

    assert smtp.messages == []


async def test_scripted_greeting_refuses_the_connection() -> None:
    async with FakeSMTPServer() as smtp:
        smtp.script("CONNECT", "421 4.3.2 too busy")
        with pytest.raises(aiosmtplib.SMTPConnectResponseError) as caught:
            async with _client(smtp):
                pass
        # The script is used up: the next connection is greeted normally.
        async with _client(smtp) as client:
            await client.send_message(_message())
        await smtp.wait_for_messages(1)

    assert caught.value.code == 421


async def test_scripted_auth_reply() -> None:
    async with FakeSMTPServer(username=USER, password=PASSWORD, auth_mechanisms=["PLAIN"]) as smtp:
        smtp.script("AUTH", "454 4.7.0 temporary authentication failure")
        with pytest.raises(aiosmtplib.SMTPAuthenticationError) as caught:
            async with _client(smtp, username=USER, password=PASSWORD):
                pass

    assert caught.value.code == 454
    assert smtp.auth_attempts == []


async def test_a_hanging_server_times_the_client_out_and_still_closes_cleanly() -> None:
    async with FakeSMTPServer(tls_mode="tls") as smtp:
        smtp.script("MAIL", ScriptedReply.never_answer())
        async with _client(smtp, timeout=0.3) as client:
            with pytest.raises(aiosmtplib.SMTPReadTimeoutError):
                await client.send_message(_message())
        # A second client stays connected (idle) while the server shuts down.
        idle = _client(smtp)
        await idle.connect()

    assert smtp.messages == []
    assert not idle.is_connected or await _disconnects(idle)
    idle.close()


async def _disconnects(client: aiosmtplib.SMTP) -> bool:
    try:
        await client.noop()
    except aiosmtplib.SMTPServerDisconnected:
        return True
    return False


async def test_scripted_ehlo_reply_makes_the_client_fall_back_to_helo() -> None:
    async with FakeSMTPServer(tls_mode="none") as smtp:
        smtp.script("EHLO", "502 5.5.2 EHLO not supported")
        async with _client(smtp) as client:
            await client.send_message(_message())
            assert not client.supports_esmtp
        await smtp.wait_for_messages(1)

    assert len(smtp.messages) == 1


async def test_smtplib_client_in_a_thread() -> None:
    async with FakeSMTPServer(username=USER, password=PASSWORD) as smtp:
        assert smtp.ca_bundle is not None
        context = ssl.create_default_context(cafile=smtp.ca_bundle)

        def send() -> None:
            with smtplib.SMTP(smtp.host, smtp.port, local_hostname="client.test", timeout=5) as c:
                c.starttls(context=context)
                c.login(USER, PASSWORD)
                c.send_message(_message())

        await asyncio.to_thread(send)
        mails = await smtp.wait_for_messages(1)

    assert mails[0].extra["tls"] is True
    assert mails[0].extra["authenticated_as"] == USER


@pytest.mark.parametrize("mode", ["starttls", "tls"])
async def test_certificate_is_rejected_without_the_test_ca(mode: str) -> None:
    async with FakeSMTPServer(tls_mode=mode) as smtp:  # type: ignore[arg-type]
        # aiosmtplib raises the ssl error itself after STARTTLS, and wraps it in
        # SMTPConnectError for implicit TLS.
        with pytest.raises((ssl.SSLError, aiosmtplib.SMTPConnectError)) as caught:
            async with _client(smtp, cert_bundle=None):
                pass

    error: BaseException | None = caught.value
    chain = []
    while error is not None:
        chain.append(error)
        error = error.__cause__
    assert any(isinstance(e, ssl.SSLCertVerificationError) for e in chain)


async def test_concurrent_clients_all_arrive() -> None:
    async with FakeSMTPServer(username=USER, password=PASSWORD) as smtp:

        async def one(n: int) -> None:
            async with _client(smtp, username=USER, password=PASSWORD) as client:
                await client.send_message(_message(subject=f"n{n}"))

        await asyncio.gather(*(one(n) for n in range(8)))
        mails = await smtp.wait_for_messages(8)

    assert sorted(str(m.message()["Subject"]) for m in mails) == sorted(f"n{n}" for n in range(8))


async def test_endpoint_describes_the_server_and_the_ca_is_removed_on_close() -> None:
    smtp = FakeSMTPServer(tls_mode="tls", username=USER, password=PASSWORD)
    async with smtp:
        endpoint = smtp.endpoint()
        assert endpoint.ca_bundle is not None
        assert Path(endpoint.ca_bundle).read_text().startswith("-----BEGIN CERTIFICATE-----")

    assert (endpoint.url, endpoint.host, endpoint.port) == ("", "127.0.0.1", smtp.port)
    assert (endpoint.tls_mode, endpoint.username) == ("tls", USER)
    assert smtp.port > 0
    assert not Path(endpoint.ca_bundle).exists()
    assert smtp.ca_bundle is None


async def test_cancelling_start_leaves_no_server_running() -> None:
    smtp = FakeSMTPServer(tls_mode="none")
    starting = asyncio.ensure_future(smtp.start())
    await asyncio.sleep(0)  # let start() reach the booting thread
    starting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await starting
    for _ in range(500):  # the server thread stops on its own once booted
        if not _server_threads():
            break
        await asyncio.sleep(0.01)

    assert smtp.messages == []
    assert not _server_threads()


def _server_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.endswith("(_run)") and t.is_alive()]


async def test_lifecycle_close_is_idempotent_and_start_twice_is_refused() -> None:
    smtp = FakeSMTPServer(tls_mode="none")
    await smtp.close()  # before start: nothing to do
    await smtp.start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            await smtp.start()
    finally:
        await smtp.close()
        await smtp.close()

    with pytest.raises(OSError, match=r"refused|Connect call failed"):
        await asyncio.open_connection(smtp.host, smtp.port)


async def test_wait_for_messages_times_out_and_clear_forgets() -> None:
    async with FakeSMTPServer(tls_mode="none") as smtp:
        with pytest.raises(TimeoutError):
            await smtp.wait_for_messages(1, timeout=0.05)
        smtp.script("DATA", "451 4.3.0 later")
        smtp.refuse_recipients("ops@example.com")
        smtp.clear()
        async with _client(smtp) as client:
            await client.send_message(_message())
        assert len(await smtp.wait_for_messages(1)) == 1
        smtp.clear()
        assert smtp.messages == []


async def test_wait_for_messages_needs_a_started_server() -> None:
    with pytest.raises(RuntimeError, match="start"):
        await FakeSMTPServer().wait_for_messages(1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tls_mode": "ssl"}, "tls_mode"),
        ({"username": USER}, "both"),
        ({"auth_required": True}, "auth_required"),
        ({"tls_mode": "none", "username": USER, "password": PASSWORD}, "TLS only"),
        ({"auth_mechanisms": ["CRAM-MD5"]}, "auth_mechanisms"),
        ({"auth_mechanisms": []}, "auth_mechanisms"),
    ],
)
def test_invalid_settings_are_refused(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        FakeSMTPServer(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("line", ["", "hello", "45 short", "451\r\nRSET", "4510 x"])
def test_scripted_reply_lines_are_validated(line: str) -> None:
    with pytest.raises(ValueError, match="reply"):
        ScriptedReply(line)


def test_scripted_reply_shapes() -> None:
    assert ScriptedReply("451 4.3.0 later").code == 451
    assert ScriptedReply.drop_connection().code is None
    assert ScriptedReply.never_answer().hang
    with pytest.raises(ValueError, match="one of"):
        ScriptedReply("451 x", drop=True)
    with pytest.raises(ValueError, match="cannot script"):
        FakeSMTPServer().script("QUIT", "221 bye")  # type: ignore[arg-type]


def test_the_kit_facade_exports_the_smtp_server() -> None:
    assert floe_testing_kit.FakeSMTPServer is FakeSMTPServer
    assert "FakeSMTPServer" in floe_testing_kit.__all__
