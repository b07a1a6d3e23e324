"""`ChannelProfile`: what the kit needs to know about a channel to test it.

A channel ships one profile and registers it under the entry-point group
``floe.conformance`` with the same name as its channel entry point::

    [project.entry-points."floe.conformance"]
    teams = "acme_floe_teams.conformance:TeamsProfile"

The profile tells the kit how to point the channel at the kit's fake server, what the
destination's answers look like, and where to find the human-visible text and the
idempotency key in what the channel sent. Everything else the kit derives itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from enum import StrEnum
from typing import Any, ClassVar

from floe_testing_kit.servers.http import RecordedRequest, ScriptedResponse

__all__ = [
    "ChannelProfile",
    "Endpoint",
    "RecordedMail",
    "TextFormat",
    "Transport",
]


class Transport(StrEnum):
    """How the channel reaches its destination, and so which fake server the kit runs."""

    HTTP = "http"
    SMTP = "smtp"


class TextFormat(StrEnum):
    """The markup the destination renders, which decides what "escaped" means."""

    SLACK_MRKDWN = "slack_mrkdwn"
    """`&`, `<`, `>` must arrive escaped in every text the destination renders."""
    HTML = "html"
    """No raw `<script>` or tag from contract text may arrive in HTML."""
    JSON = "json"
    """Structured data: strings must round-trip exactly, properly JSON-encoded."""
    PLAIN = "plain"
    """Plain text: no control characters, no CR/LF in single-line fields."""


@dataclass(frozen=True)
class Endpoint:
    """Where the kit's fake destination listens for one test.

    Attributes:
        url: Base URL of the fake HTTP server (``http://127.0.0.1:PORT``); empty for SMTP.
        host: Host to connect to.
        port: Port to connect to.
        ca_bundle: Path to the PEM of the test CA when the fake serves TLS.
        tls_mode: For SMTP: ``starttls``, ``tls`` or ``none``.
        username: SMTP AUTH user the fake accepts (the password is the planted secret).
    """

    url: str
    host: str = "127.0.0.1"
    port: int = 0
    ca_bundle: str | None = None
    tls_mode: str | None = None
    username: str | None = None


@dataclass(frozen=True)
class RecordedMail:
    """One message the fake SMTP server accepted.

    Attributes:
        mail_from: The envelope sender.
        rcpt_tos: The envelope recipients.
        data: The raw message bytes.
    """

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    extra: Mapping[str, Any] = field(default_factory=dict)

    def message(self) -> EmailMessage:
        """The parsed message (modern `email` policy)."""
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class ChannelProfile:
    """Describes one channel type to the conformance kit. Subclass it in your package.

    Required: `channel` and `config`. The defaults suit a JSON-over-HTTP channel that
    treats any 2xx as success. Override what your destination does differently.

    Class attributes:
        channel: Entry-point name of the channel under test.
        transport: Which fake the kit runs (HTTP or SMTP).
        text_format: The markup the destination renders.
        variants: Named configurations to test separately (for example Slack's
            ``webhook`` and ``web_api`` modes); each runs the whole suite.
        bypass: Check IDs the kit must not run, each with the reason shown in the
            summary (for example ``{"idempotency.same_key": "Slack has none"}``).
        timeout_field: The config field holding the per-send deadline in seconds; the
            kit sets it low to test a destination that hangs.
    """

    channel: ClassVar[str]
    transport: ClassVar[Transport] = Transport.HTTP
    text_format: ClassVar[TextFormat] = TextFormat.JSON
    variants: ClassVar[tuple[str, ...]] = ("default",)
    bypass: ClassVar[Mapping[str, str]] = {}
    timeout_field: ClassVar[str] = "timeout_seconds"

    def config(self, endpoint: Endpoint, *, secret: str, variant: str) -> dict[str, Any]:
        """Return a config mapping pointing the channel at `endpoint`.

        Put `secret` in every secret field (token, password, signing key, the secret
        part of a URL): the kit then searches logs, errors and reprs for it.
        """
        raise NotImplementedError

    def success_response(self, request: RecordedRequest, *, variant: str) -> ScriptedResponse:
        """The destination's answer to an accepted request (default: 200, ``{}``)."""
        return ScriptedResponse.json(200, "{}")

    def error_response(
        self, status: int, *, variant: str, headers: Mapping[str, str] | None = None
    ) -> ScriptedResponse:
        """The destination's answer with a non-2xx `status` (default: empty JSON body).

        Override to return the documented error body for that status (Slack's
        ``invalid_payload``, PagerDuty's ``invalid event``).
        """
        return ScriptedResponse.json(status, "{}", **dict(headers or {}))

    def rendered_text(self, request: RecordedRequest, *, variant: str) -> str:
        """The text a person would read, as sent (escaped for `text_format`).

        The default is the body decoded as UTF-8.
        """
        return request.text()

    def rendered_mail_text(self, mail: RecordedMail, *, variant: str) -> str:
        """For SMTP channels: the text a person reads (default: every text/* part)."""
        message = mail.message()
        parts = [message] if not message.is_multipart() else list(message.walk())
        texts = [
            str(part.get_content())
            for part in parts
            if part.get_content_maintype() == "text" and not part.is_multipart()
        ]
        return "\n".join([str(message["Subject"] or ""), *texts])

    def idempotency_key(self, request: RecordedRequest, *, variant: str) -> str | None:
        """The key a receiver drops duplicates by, if the protocol has one."""
        return None

    def mail_idempotency_key(self, mail: RecordedMail, *, variant: str) -> str | None:
        """For SMTP channels: the key a receiver drops duplicates by (Message-ID)."""
        value = mail.message()["Message-ID"]
        return str(value) if value else None

    def is_delivery(self, request: RecordedRequest, *, variant: str) -> bool:
        """True when `request` delivers an alert (False for health probes and lookups)."""
        return True

    def thread_key(self, request: RecordedRequest, *, variant: str) -> str | None:
        """For channels declaring THREADING: what ties an incident's messages together.

        The kit sends a firing and a resolved event of one incident and expects the
        same key on both, and a different key for another incident.
        """
        raise NotImplementedError

    def mail_thread_key(self, mail: RecordedMail, *, variant: str) -> str | None:
        """For SMTP channels declaring THREADING (default: the References root)."""
        message = mail.message()
        references = str(message["References"] or "").split()
        return references[0] if references else str(message["Message-ID"] or "") or None

    def verify_signature(self, request: RecordedRequest, *, secret: str, variant: str) -> bool:
        """For channels declaring SIGNING: True when `request` carries a valid signature.

        The kit calls it on what the channel sent (must be True) and on a copy with a
        tampered body (must be False).
        """
        raise NotImplementedError
