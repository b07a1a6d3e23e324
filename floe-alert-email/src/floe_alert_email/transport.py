"""One SMTP session under one deadline: connect, secure, authenticate, transfer, quit.

aiosmtplib's `timeout` bounds each socket operation, so a slow server could stretch one
send to many times that; here one `asyncio.timeout` bounds the whole session. The
steps are explicit rather than aiosmtplib's connect-time automatism: its default
``start_tls=None`` silently stays in plaintext when a server (or a middlebox stripping
the EHLO line) offers no STARTTLS, and we must refuse instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field

import aiosmtplib

from floe_alert_email.config import EmailConfig, TLSMode

__all__ = ["MissingExtensionError", "SendResult", "make_tls_context", "probe", "send_mail"]

# QUIT after an accepted message is a courtesy: a slow goodbye must not turn a delivered
# message into a failure (and so into a duplicate on retry).
_QUIT_SECONDS = 2.0


class MissingExtensionError(Exception):
    """The server does not offer an extension the config requires (STARTTLS or AUTH).

    Attributes:
        extension: ``STARTTLS`` or ``AUTH``.
    """

    def __init__(self, extension: str) -> None:
        self.extension = extension
        super().__init__(f"the SMTP server does not offer {extension}")


@dataclass(frozen=True)
class SendResult:
    """What the server said to an accepted message.

    Attributes:
        reply: The server's answer to the message content (often a queue id).
        refused: Recipients refused while others were accepted: address to
            ``(code, message)``.
    """

    reply: str
    refused: Mapping[str, tuple[int, str]] = field(default_factory=dict)


def make_tls_context(config: EmailConfig) -> ssl.SSLContext:
    """A client context that verifies the certificate and host name.

    With `ca_bundle`, those CAs replace the system store. Blocking (reads files): call it
    from a worker thread.
    """
    cafile = str(config.ca_bundle) if config.ca_bundle is not None else None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def send_mail(
    config: EmailConfig,
    tls_context: ssl.SSLContext | None,
    *,
    local_hostname: str,
    sender: str,
    recipients: Sequence[str],
    data: bytes,
) -> SendResult:
    """Deliver `data` to `recipients` in one session, within `config.timeout_seconds`.

    Raises:
        TimeoutError: The deadline passed (aiosmtplib's own timeouts subclass it too).
        MissingExtensionError: STARTTLS or AUTH is required but not offered.
        aiosmtplib.SMTPException: The server refused something or went away.
        OSError: The connection or TLS failed below SMTP (``ssl.SSLError`` included).
    """
    async with _session(config, tls_context, local_hostname) as client:
        refused, reply = await client.sendmail(sender, list(recipients), data)
    return SendResult(
        reply=reply,
        refused={address: (r.code, r.message) for address, r in refused.items()},
    )


async def probe(
    config: EmailConfig, tls_context: ssl.SSLContext | None, *, local_hostname: str
) -> None:
    """Connect, secure and authenticate as a send would, then say NOOP and leave.

    Raises:
        The same errors as `send_mail`.
    """
    async with _session(config, tls_context, local_hostname) as client:
        await client.noop()


@contextlib.asynccontextmanager
async def _session(
    config: EmailConfig, tls_context: ssl.SSLContext | None, local_hostname: str
) -> AsyncIterator[aiosmtplib.SMTP]:
    client = aiosmtplib.SMTP(
        hostname=config.host,
        port=config.effective_port,
        local_hostname=local_hostname,
        timeout=config.timeout_seconds,
        use_tls=config.tls_mode is TLSMode.TLS,
        # Never None: see the module docstring. STARTTLS is issued below, after
        # checking that the server offers it.
        start_tls=False,
        validate_certs=True,
        tls_context=tls_context if config.tls_mode is not TLSMode.NONE else None,
    )
    try:
        async with asyncio.timeout(config.timeout_seconds):
            await client.connect()
            if config.tls_mode is TLSMode.STARTTLS:
                await client.ehlo()
                if not client.supports_extension("starttls"):
                    raise MissingExtensionError("STARTTLS")
                await client.starttls()
            if config.username is not None and config.password is not None:
                if client.is_ehlo_or_helo_needed:
                    await client.ehlo()
                if not client.supports_extension("auth"):
                    raise MissingExtensionError("AUTH")
                await client.login(config.username, config.password.get_secret_value())
            yield client
        with contextlib.suppress(Exception):
            async with asyncio.timeout(min(_QUIT_SECONDS, config.timeout_seconds)):
                await client.quit()
    finally:
        client.close()
