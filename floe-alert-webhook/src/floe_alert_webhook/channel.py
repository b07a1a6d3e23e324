"""The `webhook` channel: one signed HTTP POST per notification (or batch).

Capabilities are declared per class, but batching is a receiver's choice made in the
config. The two meet here: `WebhookChannel` declares RESOLVE and SIGNING, which every
instance honours; constructing it with ``batch: true`` returns a
`BatchingWebhookChannel`, a subclass that also declares BATCH and implements
`send_batch`. So `channel.supports(ChannelCapability.BATCH)` is true exactly when
`send_batch` works, and code that only reads the registered class sees no BATCH and
sends one event per request, which every receiver accepts.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from typing import ClassVar

import aiohttp
import httpx
from pydantic import SecretStr

from floe_alert_webhook.config import BasicAuth, BearerAuth, WebhookConfig
from floe_alert_webhook.encoding import EncodedBody, encode_batch, encode_event
from floe_alert_webhook.failures import answer_detail, answer_error, transport_error
from floe_alert_webhook.signing import WHSEC_PREFIX, signature_headers
from floe_alert_webhook.targets import TargetRefusedError
from floe_alert_webhook.tracing import inject_trace_context
from floe_alert_webhook.transport import WebhookClient, probe, ssl_context
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
    RetryableDeliveryError,
)

__all__ = ["BatchingWebhookChannel", "WebhookChannel"]

_log = logging.getLogger(__name__)
_VERSION = version("floe-alert-webhook")


class WebhookChannel(AlertChannelPlugin[WebhookConfig]):
    """Signed CloudEvents 1.0 over HTTPS to any endpoint.

    One pooled HTTP client per instance (opened by `startup`, or by the first send,
    closed by `shutdown`); one POST per `send_alert`, bounded by `timeout_seconds`;
    never a retry, a sleep or a followed redirect.
    """

    name: ClassVar[str] = "webhook"
    version: ClassVar[str] = _VERSION
    floe_api_version: ClassVar[str] = "1.0"
    description: ClassVar[str] = "Signed CloudEvents 1.0 over HTTPS to any endpoint."
    config_model = WebhookConfig
    capabilities: ClassVar[frozenset[ChannelCapability]] = frozenset(
        {ChannelCapability.RESOLVE, ChannelCapability.SIGNING}
    )

    def __new__(
        cls,
        config: WebhookConfig,
        *,
        instance_name: str | None = None,
        state: ChannelStateStore | None = None,
    ) -> WebhookChannel:
        """Create the instance: a `BatchingWebhookChannel` when `config.batch` is set."""
        # A batch-configured instance is a BatchingWebhookChannel: see the module doc.
        if cls is WebhookChannel and isinstance(config, WebhookConfig) and config.batch:
            return super().__new__(BatchingWebhookChannel)
        return super().__new__(cls)

    def __init__(
        self,
        config: WebhookConfig,
        *,
        instance_name: str | None = None,
        state: ChannelStateStore | None = None,
    ) -> None:
        super().__init__(config, instance_name=instance_name, state=state)
        self._target = config.target
        self._signing_key = config.signing_key()
        self._static_headers = _static_headers(config)
        self._derived_secrets = _derived_secrets(config)
        self._client: WebhookClient | None = None
        self._tls: ssl.SSLContext | None = None
        #: The clock of `webhook-timestamp` (replaceable in tests).
        self.clock: Callable[[], float] = time.time

    # -- lifecycle -------------------------------------------------------------------

    async def on_startup(self) -> None:
        """Open the pooled HTTP client."""
        self._client = WebhookClient(
            self._target,
            tls=await self._tls_context(),
            timeout=self.config.timeout_seconds,
            user_agent=f"floe-alert-webhook/{_VERSION}",
            allow_link_local=self.config.allow_link_local_targets,
        )

    async def on_shutdown(self) -> None:
        """Close the pooled HTTP client."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def check_health(self) -> HealthStatus:
        """Probe the receiver with a TCP connect (and TLS handshake for https).

        No request is sent, so the receiver never sees a probe as a delivery.
        """
        origin = self._target.origin
        deadline = self.config.timeout_seconds
        try:
            tls = await self._tls_context()
            async with asyncio.timeout(deadline):
                address = await probe(
                    self._target, tls=tls, allow_link_local=self.config.allow_link_local_targets
                )
        except TimeoutError:
            return _unhealthy(f"no connection to {origin} within {deadline:g}s")
        except ChannelConfigError as exc:
            return _unhealthy(str(exc))
        except TargetRefusedError as exc:
            return _unhealthy(f"{origin} refused: {exc.args[0] if exc.args else 'address'}")
        except ssl.SSLCertVerificationError:
            return _unhealthy(f"TLS certificate of {origin} could not be verified")
        except ssl.SSLError:
            return _unhealthy(f"TLS handshake with {origin} failed")
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else type(exc).__name__
            return _unhealthy(f"cannot connect to {origin}: {reason}")
        return HealthStatus(
            state=HealthState.HEALTHY,
            message=f"{origin} accepts {'TLS ' if self._target.is_https else ''}connections",
            details={"destination": origin, "address": address},
        )

    # -- delivery --------------------------------------------------------------------

    async def send_alert(self, event: ContractViolationEvent) -> DeliveryReceipt:
        """POST one event once, signed; classify the answer.

        Raises:
            RetryableDeliveryError: Connection refused or reset, deadline passed, 408,
                429 or 5xx other than 501 (`retry_after` from `Retry-After`).
            PermanentDeliveryError: Other 4xx (410: the endpoint asks to be disabled),
                501, 3xx, a refused address or an unverifiable certificate.

        """
        return await self._deliver(encode_event(event, self.config.mode), [event])

    async def _deliver(
        self, encoded: EncodedBody, events: Sequence[ContractViolationEvent]
    ) -> DeliveryReceipt:
        client = await self._ready_client()
        origin = self._target.origin
        headers = dict(encoded.headers)
        headers.update(self._static_headers)
        headers.update(
            signature_headers(
                key=self._signing_key,
                message_id=encoded.message_id,
                timestamp=int(self.clock()),
                body=encoded.body,
                github_secret=_reveal(self.config.github_secret),
            )
        )
        inject_trace_context(headers)
        deadline = self.config.timeout_seconds
        began = time.monotonic()
        try:
            async with asyncio.timeout(deadline):
                answer = await client.post(headers, encoded.body)
        except TimeoutError:
            _log.debug(
                "webhook %s: no answer from %s within %gs", self.instance_name, origin, deadline
            )
            raise RetryableDeliveryError(
                f"{origin} did not answer within the {deadline:g}s send deadline",
                reason=FailureReason.TIMEOUT,
            ) from None
        except (httpx.HTTPError, aiohttp.ClientError, OSError) as exc:
            # `from None`: the library's message and traceback may hold the full URL.
            failure = transport_error(exc, destination=origin)
            _log.debug("webhook %s: %s", self.instance_name, failure)
            raise failure from None
        elapsed = time.monotonic() - began
        detail = answer_detail(answer)
        error = answer_error(answer, detail=self.redact(detail) if detail else None)
        if error is not None:
            _log.debug(
                "webhook %s: %s answered HTTP %d after %.3fs",
                self.instance_name,
                origin,
                answer.status,
                elapsed,
            )
            raise error
        _log.debug(
            "webhook %s: delivered %d event(s) as %s to %s: HTTP %d in %.3fs",
            self.instance_name,
            len(events),
            self.config.mode.value,
            origin,
            answer.status,
            elapsed,
        )
        return self.receipt(
            events,
            status_code=answer.status,
            webhook_id=encoded.message_id,
            mode=self.config.mode.value,
        )

    async def _ready_client(self) -> WebhookClient:
        if self._client is None:
            # Sending before `startup` opens the pool rather than losing the alert.
            try:
                await self.startup()
            except ChannelConfigError as exc:
                # The core expects a delivery error from a send; replay once fixed.
                raise PermanentDeliveryError(str(exc), reason=FailureReason.INTERNAL) from None
        if self._client is None:  # pragma: no cover - startup always sets it
            raise PermanentDeliveryError("the HTTP client could not be opened")
        return self._client

    async def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            try:
                # Loading a CA file is disk I/O: keep it off the event loop.
                self._tls = await asyncio.to_thread(ssl_context, self.config.ca_bundle)
            except (OSError, ssl.SSLError, ValueError) as exc:
                raise ChannelConfigError(
                    self.instance_name,
                    "ca_bundle",
                    f"cannot be loaded as a PEM CA bundle ({type(exc).__name__})",
                ) from None
        return self._tls

    # -- secrets ---------------------------------------------------------------------

    def secret_values(self) -> list[str]:
        """The configured secrets plus forms derived from them (for `redact`).

        Adds the signing key without its prefix, the basic-auth credential as sent,
        and the URL's path and query, which may hold a token.
        """
        found = {*super().secret_values(), *self._derived_secrets}
        return sorted((s for s in found if s), key=len, reverse=True)


class BatchingWebhookChannel(WebhookChannel):
    """A webhook channel configured with ``batch: true``: also delivers batches.

    `WebhookChannel(config)` returns an instance of this class when `config.batch` is
    set; build it through `WebhookChannel` (or the registry), not directly.
    """

    capabilities: ClassVar[frozenset[ChannelCapability]] = frozenset(
        {ChannelCapability.RESOLVE, ChannelCapability.SIGNING, ChannelCapability.BATCH}
    )

    async def send_batch(self, events: Sequence[ContractViolationEvent]) -> DeliveryReceipt:
        """POST several events as one CloudEvents batch (a JSON array in `json` mode).

        Raises:
            PermanentDeliveryError: `events` is empty; otherwise as `send_alert`.
            RetryableDeliveryError: As `send_alert`.

        """
        if not events:
            raise PermanentDeliveryError(
                "an empty batch cannot be delivered", reason=FailureReason.INTERNAL
            )
        return await self._deliver(encode_batch(events, self.config.mode), list(events))


def _unhealthy(message: str) -> HealthStatus:
    return HealthStatus(state=HealthState.UNHEALTHY, message=message)


def _reveal(secret: SecretStr | None) -> str | None:
    return None if secret is None else secret.get_secret_value()


def _static_headers(config: WebhookConfig) -> dict[str, str]:
    headers = {name: value.get_secret_value() for name, value in config.headers.items()}
    if isinstance(config.auth, BearerAuth):
        headers["Authorization"] = f"Bearer {config.auth.token.get_secret_value()}"
    elif isinstance(config.auth, BasicAuth):
        headers["Authorization"] = f"Basic {config.basic_credentials()}"
    return headers


def _derived_secrets(config: WebhookConfig) -> set[str]:
    derived = {config.secret.get_secret_value().removeprefix(WHSEC_PREFIX)}
    credentials = config.basic_credentials()
    if credentials:
        derived.add(credentials)
    target = config.target
    # Only parts long enough to be a credential: masking "/" would mangle every message.
    if len(target.path_and_query) > 1:
        derived.add(target.path_and_query)
    _path, _, query = target.path_and_query.partition("?")
    if len(query) >= 4:
        derived.add(query)
    return derived
