"""`EmailProfile`: how the floe conformance kit tests this channel.

Registered under ``floe.conformance`` as ``email``. It needs the kit, which is not a
dependency of the channel: install ``floe-alert-email[conformance]``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from floe_testing_kit import ChannelProfile, Endpoint, RecordedMail, TextFormat, Transport

__all__ = ["EmailProfile"]


class EmailProfile(ChannelProfile):
    """Points the `email` channel at the kit's fake SMTP server.

    The planted secret becomes the AUTH password whenever the fake server asks for a
    login (it then appears nowhere else in the config).
    """

    channel: ClassVar[str] = "email"
    transport: ClassVar[Transport] = Transport.SMTP
    text_format: ClassVar[TextFormat] = TextFormat.HTML
    timeout_field: ClassVar[str] = "timeout_seconds"

    def config(self, endpoint: Endpoint, *, secret: str, variant: str) -> dict[str, Any]:
        """A config for `endpoint`: its host, port, TLS mode, CA and login."""
        config: dict[str, Any] = {
            "host": endpoint.host,
            "port": endpoint.port,
            "tls_mode": endpoint.tls_mode or "starttls",
            "from_address": "floe-alerts@example.com",
            "to": ["data-team@example.com"],
            "local_hostname": "conformance.example.com",
        }
        if endpoint.ca_bundle is not None:
            config["ca_bundle"] = endpoint.ca_bundle
        if endpoint.username is not None:
            config["username"] = endpoint.username
            config["password"] = secret
        return config

    def rendered_mail_text(self, mail: RecordedMail, *, variant: str) -> str:
        """The HTML part: the only part a mail client renders as HTML.

        The subject and the text/plain part are plain text, where ``<script>`` is
        harmless and correct as written; the HTML part must carry it escaped.
        """
        message = mail.message()
        html = message.get_body(preferencelist=("html",))
        return "" if html is None else str(html.get_content())

    def mail_idempotency_key(self, mail: RecordedMail, *, variant: str) -> str | None:
        """The ``Message-ID``: derived from the event id, the same on every retry."""
        value = mail.message()["Message-ID"]
        return str(value).strip() if value else None
