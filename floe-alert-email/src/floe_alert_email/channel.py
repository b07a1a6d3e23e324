"""The `email` channel: one alert (or one digest) as one e-mail, in one SMTP session."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Sequence
from importlib.metadata import version
from typing import ClassVar

import aiosmtplib

from floe_alert_email.classify import classify_smtp_error, refusal_summary
from floe_alert_email.config import EmailConfig, TLSMode
from floe_alert_email.render import RenderedMail, render_digest, render_event
from floe_alert_email.routing import recipients_for
from floe_alert_email.transport import MissingExtensionError, make_tls_context, probe, send_mail
from floe_monitoring import (
    AlertChannelPlugin,
    ChannelCapability,
    ChannelConfigError,
    ChannelStateStore,
    ContractViolationEvent,
    DeliveryReceipt,
    FailureReason,
    HealthState,
    HealthStatus,
    PermanentDeliveryError,
)

__all__ = ["EmailChannel"]

_log = logging.getLogger("floe_alert_email")

# What a session can raise that is a delivery outcome rather than a bug in this package.
_SESSION_ERRORS = (aiosmtplib.SMTPException, MissingExtensionError, OSError, ValueError)


class EmailChannel(AlertChannelPlugin[EmailConfig]):
    """E-mail over SMTP with STARTTLS or implicit TLS.

    Each `send_alert` is one SMTP session: connect, STARTTLS (refused if the server
    does not offer it), AUTH, one message, QUIT, all within `timeout_seconds`. The
    message is ``multipart/alternative`` (text, then HTML) with ``Message-ID`` from the
    event id and ``In-Reply-To``/``References`` from the incident's `dedup_key`, so a
    firing alert and its recovery land in one thread. `send_batch` sends a digest.
    """

    name: ClassVar[str] = "email"
    version: ClassVar[str] = version("floe-alert-email")
    floe_api_version: ClassVar[str] = "1.0"
    description: ClassVar[str] = "E-mail over SMTP with STARTTLS or implicit TLS."
    config_model = EmailConfig
    capabilities: ClassVar[frozenset[ChannelCapability]] = frozenset(
        {ChannelCapability.RESOLVE, ChannelCapability.THREADING, ChannelCapability.BATCH}
    )

    def __init__(
        self,
        config: EmailConfig,
        *,
        instance_name: str | None = None,
        state: ChannelStateStore | None = None,
    ) -> None:
        super().__init__(config, instance_name=instance_name, state=state)
        self._tls_context: ssl.SSLContext | None = None
        self._local_hostname = config.local_hostname or _machine_name()

    @property
    def where(self) -> str:
        """``host:port`` of the SMTP server (no secret)."""
        return f"{self.config.host}:{self.config.effective_port}"

    # -- lifecycle -------------------------------------------------------------------

    async def on_startup(self) -> None:
        """Load the TLS trust store once (and warn when sending in plaintext).

        Raises:
            ChannelConfigError: The CA bundle cannot be loaded.
        """
        if self.config.tls_mode is TLSMode.NONE:
            _log.warning(
                "email channel %r sends in plaintext to %s (tls_mode: none)",
                self.instance_name,
                self.where,
            )
            return
        await self._context()

    async def on_shutdown(self) -> None:
        """Forget the TLS context (sessions never outlive a send)."""
        self._tls_context = None

    async def check_health(self) -> HealthStatus:
        """Open a session as a send would (TLS, AUTH), say NOOP and quit.

        Degraded when `tls_mode` is ``none``: the server answers, but mail travels in
        plaintext.
        """
        details: dict[str, str | bool] = {
            "server": self.where,
            "tls_mode": self.config.tls_mode.value,
            "auth": self.config.username is not None,
        }
        try:
            await probe(self.config, await self._context(), local_hostname=self._local_hostname)
        except _SESSION_ERRORS as exc:
            error = classify_smtp_error(exc, where=self.where, redact=self.redact)
            return HealthStatus(
                state=HealthState.UNHEALTHY,
                message=str(error),
                details={**details, "reason": error.reason.value},
            )
        if self.config.tls_mode is TLSMode.NONE:
            return HealthStatus(
                state=HealthState.DEGRADED,
                message=f"SMTP server {self.where} answers, but mail is sent in plaintext "
                "(tls_mode: none)",
                details=dict(details),
            )
        return HealthStatus(
            state=HealthState.HEALTHY,
            message=f"SMTP server {self.where} answers over {self.config.tls_mode.value}",
            details=dict(details),
        )

    # -- delivery --------------------------------------------------------------------

    async def send_alert(self, event: ContractViolationEvent) -> DeliveryReceipt:
        """Send one e-mail for `event` (one attempt).

        Returns:
            A receipt with the Message-ID as `remote_id`; recipients the server refused
            while accepting others are listed in `refused_recipients` (the message is
            delivered, so it is not retried).

        Raises:
            RetryableDeliveryError: 4xx replies, timeouts, lost or refused connections.
            PermanentDeliveryError: 5xx replies, AUTH failure (reason ``auth``), every
                recipient refused, no STARTTLS in starttls mode, an untrusted
                certificate, or no recipient routed for the event.
        """
        recipients = self._recipients([event])
        return await self._deliver(
            [event], recipients, render_event(self.config, event, recipients)
        )

    async def send_batch(self, events: Sequence[ContractViolationEvent]) -> DeliveryReceipt:
        """Send one digest e-mail for several events (one attempt).

        The digest goes to every recipient any of the events routes to, refers to each
        incident's thread, and keeps its Message-ID across retries of the same batch.

        Raises:
            ValueError: `events` is empty.
            RetryableDeliveryError: As for `send_alert`.
            PermanentDeliveryError: As for `send_alert`.
        """
        batch = list(events)
        if not batch:
            raise ValueError("send_batch needs at least one event")
        recipients = self._recipients(batch)
        return await self._deliver(batch, recipients, render_digest(self.config, batch, recipients))

    def _recipients(self, events: list[ContractViolationEvent]) -> list[str]:
        recipients = recipients_for(self.config, events)
        if not recipients:
            owners = sorted({e.owner or "-" for e in events})
            severities = sorted({e.severity.value for e in events})
            raise PermanentDeliveryError(
                f"no recipient configured for owner {', '.join(owners)} and severity "
                f"{', '.join(severities)}: set 'to' or a matching route",
                reason=FailureReason.CLIENT_ERROR,
            )
        return recipients

    async def _deliver(
        self,
        events: list[ContractViolationEvent],
        recipients: list[str],
        mail: RenderedMail,
    ) -> DeliveryReceipt:
        try:
            result = await send_mail(
                self.config,
                await self._context(),
                local_hostname=self._local_hostname,
                sender=self.config.from_address,
                recipients=recipients,
                data=mail.data,
            )
        except _SESSION_ERRORS as exc:
            raise classify_smtp_error(exc, where=self.where, redact=self.redact) from exc
        refused = sorted(result.refused)
        if refused:
            _log.warning(
                "email %s delivered, but %s refused %d of %d recipient(s): %s",
                mail.message_id,
                self.where,
                len(refused),
                len(recipients),
                ", ".join(refused),
            )
        accepted = [r for r in recipients if r not in result.refused]
        return self.receipt(
            events,
            status_code=250,
            remote_id=mail.message_id,
            refused_recipients=refused,
            accepted=list(accepted),
            refused=dict(refusal_summary(result.refused)),
            smtp_reply=self.redact(result.reply)[:200],
        )

    async def _context(self) -> ssl.SSLContext | None:
        if self.config.tls_mode is TLSMode.NONE:
            return None
        if self._tls_context is None:
            try:
                # Reading the CA files blocks: keep it off the event loop.
                self._tls_context = await asyncio.to_thread(make_tls_context, self.config)
            except (OSError, ssl.SSLError) as exc:
                raise ChannelConfigError(
                    self.instance_name,
                    "ca_bundle",
                    f"cannot load the CA bundle ({type(exc).__name__})",
                ) from None
        return self._tls_context


def _machine_name() -> str:
    # gethostname() needs no DNS (getfqdn() may block on a slow resolver); EHLO only
    # needs a name without spaces.
    name = socket.gethostname().strip()
    return name if name and not any(c.isspace() for c in name) else "localhost"
