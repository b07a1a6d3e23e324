"""Every reference channel, in every variant, pointed at the kit's fakes by its own profile.

Each channel package ships a conformance profile that knows how to point the channel at
a fake destination and where to plant a secret in its config (URL path or query, token,
routing key, SMTP password, signing keys). The security tests reuse them instead of
hand-writing four configs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from floe_alert_email.conformance import EmailProfile
from floe_alert_pagerduty.conformance import PagerDutyProfile
from floe_alert_slack.conformance import SlackProfile
from floe_alert_webhook.conformance import WebhookProfile
from floe_monitoring import AlertChannelPlugin
from floe_monitoring.channels import build_channel
from floe_testing_kit import (
    ChannelProfile,
    Endpoint,
    FakeHTTPServer,
    FakeSMTPServer,
    RecordedMail,
    RecordedRequest,
    ScriptedResponse,
    Transport,
)

__all__ = ["VARIANTS", "Destination", "destinations"]

#: (channel type, variant, profile factory): every channel in every variant.
VARIANTS: tuple[tuple[str, str, Callable[[], ChannelProfile]], ...] = (
    ("webhook", "structured", WebhookProfile),
    ("webhook", "binary", WebhookProfile),
    ("webhook", "json", WebhookProfile),
    ("slack", "webhook", SlackProfile),
    ("slack", "web_api", SlackProfile),
    ("pagerduty", "default", PagerDutyProfile),
    ("email", "default", EmailProfile),
)


@dataclass
class Destination:
    """One channel variant, its fake destination and the settings pointing at it."""

    channel_type: str
    variant: str
    profile: ChannelProfile
    settings: dict[str, Any]
    http: FakeHTTPServer | None = None
    smtp: FakeSMTPServer | None = None

    @property
    def name(self) -> str:
        """A configured channel name: ``webhook-binary``, ``email``."""
        return (
            self.channel_type
            if self.variant == "default"
            else f"{self.channel_type}-{self.variant}"
        )

    def build(self, **overrides: Any) -> AlertChannelPlugin[Any]:
        """A channel instance (not started)."""
        return build_channel(
            self.channel_type, {**self.settings, **overrides}, instance_name=self.name
        )

    def requests(self) -> list[RecordedRequest]:
        """Deliveries the HTTP fake received (health probes and lookups left out)."""
        if self.http is None:
            return []
        return [r for r in self.http.requests if self.profile.is_delivery(r, variant=self.variant)]

    def mails(self) -> list[RecordedMail]:
        """Messages the SMTP fake accepted."""
        return self.smtp.messages if self.smtp is not None else []

    def delivered(self) -> int:
        """How many deliveries arrived."""
        return len(self.requests()) + len(self.mails())

    def rendered(self) -> list[str]:
        """What a person reads, per delivery, as the profile extracts it."""
        texts = [self.profile.rendered_text(r, variant=self.variant) for r in self.requests()]
        texts += [self.profile.rendered_mail_text(m, variant=self.variant) for m in self.mails()]
        return texts

    def raw(self) -> list[bytes]:
        """Every byte that reached the destination (headers, bodies, mails)."""
        found: list[bytes] = []
        for request in self.http.requests if self.http is not None else []:
            head = "".join(f"{k}: {v}\n" for k, v in request.headers.items())
            found.append(f"{request.method} {request.target}\n{head}".encode() + request.body)
        found += [m.data for m in self.mails()]
        return found


@asynccontextmanager
async def destinations(
    secret: str, *, tls: bool = False, trusted: bool = True, only: str | None = None
) -> AsyncIterator[list[Destination]]:
    """Start a fake per variant and build each variant's settings with `secret` planted.

    Args:
        secret: The value the profiles plant in every secret field.
        tls: Serve HTTPS (HTTP fakes; the SMTP fake always speaks STARTTLS).
        trusted: Give the channels the fakes' test CA (False: they must refuse them).
        only: Only this channel type.
    """
    async with AsyncExitStack() as stack:
        found: list[Destination] = []
        for channel_type, variant, make in VARIANTS:
            if only is not None and channel_type != only:
                continue
            profile = make()
            if profile.transport is Transport.SMTP:
                smtp = FakeSMTPServer(
                    tls_mode="starttls", auth_required=True, username="floe", password=secret
                )
                await stack.enter_async_context(smtp)
                endpoint = smtp.endpoint()
                if not trusted:
                    endpoint = Endpoint(
                        url="",
                        host=endpoint.host,
                        port=endpoint.port,
                        tls_mode=endpoint.tls_mode,
                        username=endpoint.username,
                    )
                settings = profile.config(endpoint, secret=secret, variant=variant)
                found.append(Destination(channel_type, variant, profile, settings, smtp=smtp))
                continue
            http = FakeHTTPServer(_answer(profile, variant), tls=tls)
            await stack.enter_async_context(http)
            endpoint = Endpoint(
                url=http.url,
                host="127.0.0.1",
                port=http.port,
                ca_bundle=http.ca_bundle if trusted else None,
            )
            settings = profile.config(endpoint, secret=secret, variant=variant)
            found.append(Destination(channel_type, variant, profile, settings, http=http))
        yield found


def _answer(profile: ChannelProfile, variant: str) -> Callable[[RecordedRequest], ScriptedResponse]:
    def answer(request: RecordedRequest) -> ScriptedResponse:
        return profile.success_response(request, variant=variant)

    return answer
