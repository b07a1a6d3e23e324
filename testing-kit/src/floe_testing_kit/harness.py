"""The kit's side of one check: a fake destination, the channel under test, what arrived.

A `KitContext` is made fresh for every check: a new planted secret, a new log capture,
a new fake server whose lifetime covers the channel instance's lifetime.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from floe_monitoring import (
    AlertChannelPlugin,
    ChannelRegistry,
    ContractViolationEvent,
    DeliveryError,
    DeliveryReceipt,
    build_channel,
)
from floe_testing_kit.capture import LogCapture
from floe_testing_kit.profile import ChannelProfile, Endpoint, RecordedMail, TextFormat, Transport
from floe_testing_kit.servers.http import (
    FakeHTTPServer,
    RecordedRequest,
    ScriptedResponse,
    unused_tcp_url,
)
from floe_testing_kit.servers.smtp import FakeSMTPServer, ScriptedReply

__all__ = ["ConformanceFailure", "Delivered", "Destination", "KitContext"]

Channel = AlertChannelPlugin[Any]


class ConformanceFailure(AssertionError):
    """A channel broke a rule; the message says which and how to fix it."""


def require(condition: object, message: str) -> None:
    """Fail the check with `message` unless `condition` holds."""
    if not condition:
        raise ConformanceFailure(message)


@dataclass(frozen=True)
class Delivered:
    """One alert as the destination received it, in transport-neutral form.

    Attributes:
        text: The human-visible text, as sent (escaped for the format).
        key: The idempotency key, if the protocol has one.
        body: Bytes that must be identical when the same event is sent again.
        raw: The recorded request or mail.
    """

    text: str
    key: str | None
    body: bytes
    raw: RecordedRequest | RecordedMail


class Destination(ABC):
    """A fake destination the channel sends to, whichever the transport."""

    @property
    @abstractmethod
    def endpoint(self) -> Endpoint:
        """Where the channel must send."""

    @abstractmethod
    def delivered(self) -> list[Delivered]:
        """The alerts received so far."""

    @abstractmethod
    def attempts(self) -> int:
        """How many delivery attempts reached the destination (accepted or not)."""

    @abstractmethod
    async def wait(self, count: int, timeout: float = 10.0) -> list[Delivered]:  # noqa: ASYNC109
        """Wait until `count` alerts arrived."""

    @abstractmethod
    def fail_next(
        self, kind: str, *, status: int = 0, headers: Mapping[str, str] | None = None
    ) -> None:
        """Make the next attempt fail: ``status``, ``hang``, ``reset`` (or SMTP replies)."""


class HTTPDestination(Destination):
    """The fake HTTP server, answering as the profile says the real service does."""

    def __init__(self, ctx: KitContext, server: FakeHTTPServer) -> None:
        self._ctx = ctx
        self.server = server

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(url=self.server.url, port=self.server.port, ca_bundle=self.server.ca_bundle)

    def _requests(self) -> list[RecordedRequest]:
        return [
            r
            for r in self.server.requests
            if self._ctx.profile.is_delivery(r, variant=self._ctx.variant)
        ]

    def delivered(self) -> list[Delivered]:
        accepted = []
        for request, response in list(self.server.exchanges):
            if not response.accepted or not self._ctx.profile.is_delivery(
                request, variant=self._ctx.variant
            ):
                continue
            accepted.append(
                Delivered(
                    text=self._ctx.visible_text(request),
                    key=self._ctx.profile.idempotency_key(request, variant=self._ctx.variant),
                    body=request.body,
                    raw=request,
                )
            )
        return accepted

    def attempts(self) -> int:
        return len(self._requests())

    async def wait(self, count: int, timeout: float = 10.0) -> list[Delivered]:  # noqa: ASYNC109
        async def enough() -> None:
            while len(self.delivered()) < count:
                await self.server.wait_for_requests(len(self.server.requests) + 1, timeout)

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(enough(), timeout)
        return self.delivered()

    def fail_next(
        self, kind: str, *, status: int = 0, headers: Mapping[str, str] | None = None
    ) -> None:
        if kind == "status":
            response = self._ctx.profile.error_response(
                status, variant=self._ctx.variant, headers=headers
            )
        elif kind == "hang":
            response = ScriptedResponse(hang=True)
        elif kind == "reset":
            response = ScriptedResponse(reset=True)
        else:
            raise ValueError(f"unknown failure kind {kind!r}")
        self.server.script(response)


class SMTPDestination(Destination):
    """The fake SMTP server with STARTTLS and AUTH (the planted secret is the password)."""

    def __init__(self, ctx: KitContext, server: FakeSMTPServer) -> None:
        self._ctx = ctx
        self.server = server

    @property
    def endpoint(self) -> Endpoint:
        return self.server.endpoint()

    def delivered(self) -> list[Delivered]:
        profile, variant = self._ctx.profile, self._ctx.variant
        return [
            Delivered(
                text=profile.rendered_mail_text(mail, variant=variant),
                key=profile.mail_idempotency_key(mail, variant=variant),
                body=_mail_body(mail),
                raw=mail,
            )
            for mail in self.server.messages
        ]

    def attempts(self) -> int:
        return len(self.server.messages) + self._ctx.smtp_failures

    async def wait(self, count: int, timeout: float = 10.0) -> list[Delivered]:  # noqa: ASYNC109
        with contextlib.suppress(TimeoutError):
            await self.server.wait_for_messages(count, timeout)
        return self.delivered()

    def fail_next(
        self, kind: str, *, status: int = 0, headers: Mapping[str, str] | None = None
    ) -> None:
        self._ctx.smtp_failures += 1
        if kind == "status":
            text = "try again later" if 400 <= status < 500 else "message rejected"
            self.server.script("DATA", f"{status} {status // 100}.0.0 {text}")
        elif kind == "hang":
            self.server.script("MAIL", ScriptedReply.never_answer())
        elif kind == "reset":
            self.server.script("DATA", ScriptedReply.drop_connection())
        else:
            raise ValueError(f"unknown failure kind {kind!r}")


def _mail_body(mail: RecordedMail) -> bytes:
    # Boundaries and Date differ between sends; the readable parts must not.
    message = mail.message()
    parts = [p for p in message.walk() if not p.is_multipart()]
    payloads = [p.get_payload(decode=True) for p in parts]
    return b"\n--\n".join(p for p in payloads if isinstance(p, bytes))


@dataclass
class KitContext:
    """Everything one check needs, made fresh for it.

    Attributes:
        name: The channel's entry-point name.
        channel_class: The plugin class under test.
        profile: The channel's profile.
        variant: Which of the profile's configurations is tested.
        registry: The registry the channel was loaded from.
        logs: Every log record emitted during the check.
        secret: A unique secret planted in every secret field of the config.
        errors: Every exception the channel raised during the check.
    """

    name: str
    channel_class: type[Channel]
    profile: ChannelProfile
    variant: str
    registry: ChannelRegistry
    logs: LogCapture
    # 32 characters: long enough to be unique, short enough for any key format.
    secret: str = field(default_factory=lambda: f"ks{uuid.uuid4().hex[:30]}")
    errors: list[BaseException] = field(default_factory=list)
    smtp_failures: int = 0

    # -- configuration ---------------------------------------------------------------

    def config_for(self, endpoint: Endpoint, **overrides: Any) -> dict[str, Any]:
        """The profile's config for `endpoint`, with `overrides` applied."""
        config = dict(self.profile.config(endpoint, secret=self.secret, variant=self.variant))
        config.update(overrides)
        return config

    def build(self, config: Mapping[str, Any], **kwargs: Any) -> Channel:
        """Build the channel the way the monitor does (`build_channel`)."""
        return build_channel(
            self.name, config, instance_name=f"kit-{self.name}", registry=self.registry, **kwargs
        )

    # -- destinations ----------------------------------------------------------------

    @asynccontextmanager
    async def destination(self, *, smtp_password: str | None = None) -> AsyncIterator[Destination]:
        """A fresh fake destination for this channel's transport.

        Args:
            smtp_password: For SMTP, the password the server accepts (default: the
                planted secret, which the profile puts in the channel's config).
        """
        if self.profile.transport is Transport.SMTP:
            async with FakeSMTPServer(
                tls_mode="starttls",
                auth_required=True,
                username="kit-user",
                password=smtp_password or self.secret,
            ) as smtp:
                yield SMTPDestination(self, smtp)
            return
        server = FakeHTTPServer(self._answer)
        async with server:
            yield HTTPDestination(self, server)

    def _answer(self, request: RecordedRequest) -> ScriptedResponse:
        return self.profile.success_response(request, variant=self.variant)

    @staticmethod
    def dead_endpoint(endpoint: Endpoint) -> Endpoint:
        """`endpoint` moved to a loopback port where nothing listens."""
        url = unused_tcp_url()
        return dataclasses.replace(endpoint, url=url, port=int(url.rsplit(":", 1)[1]))

    @asynccontextmanager
    async def channel(
        self,
        destination: Destination,
        *,
        endpoint: Endpoint | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[Channel]:
        """A started channel pointed at `destination` (or `endpoint`); shut down afterwards."""
        config = self.config_for(endpoint or destination.endpoint, **dict(overrides or {}))
        channel = self.build(config)
        await channel.startup()
        try:
            yield channel
        finally:
            await channel.shutdown()

    # -- sending ---------------------------------------------------------------------

    async def attempt(
        self, channel: Channel, event: ContractViolationEvent
    ) -> DeliveryReceipt | DeliveryError:
        """One `send_alert`: the receipt, or the typed error it raised.

        Raises:
            ConformanceFailure: It raised something other than a `DeliveryError`.
        """
        try:
            return await channel.send_alert(event)
        except DeliveryError as error:
            self.errors.append(error)
            return error
        except Exception as exc:
            self.errors.append(exc)
            raise ConformanceFailure(
                f"send_alert raised {type(exc).__name__} instead of RetryableDeliveryError or "
                f"PermanentDeliveryError: map every failure to one of them at the boundary"
            ) from exc

    async def deliver(self, channel: Channel, event: ContractViolationEvent) -> DeliveryReceipt:
        """One `send_alert` that must succeed."""
        outcome = await self.attempt(channel, event)
        require(
            isinstance(outcome, DeliveryReceipt),
            f"send_alert failed against a destination that accepts everything: {outcome}",
        )
        assert isinstance(outcome, DeliveryReceipt)
        require(
            event.event_id in outcome.event_ids,
            "the receipt does not carry the event's event_id (use self.receipt(event))",
        )
        return outcome

    # -- reading what arrived --------------------------------------------------------

    def visible_text(self, request: RecordedRequest) -> str:
        """The human-visible text of a request; JSON bodies are flattened to their strings."""
        text = self.profile.rendered_text(request, variant=self.variant)
        if self.profile.text_format is TextFormat.JSON:
            try:
                return "\n".join(_strings(json.loads(text)))
            except ValueError:
                return text
        return text


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
