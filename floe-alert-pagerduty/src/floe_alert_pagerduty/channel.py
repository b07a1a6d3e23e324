"""`PagerDutyChannel`: trigger, acknowledge and resolve PagerDuty alerts, one attempt per call."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from importlib.metadata import version
from typing import Any, ClassVar, TypeVar

import httpx

from floe_alert_pagerduty.config import PagerDutyConfig, Route
from floe_alert_pagerduty.payload import (
    MAX_EVENT_BYTES,
    EncodedEvent,
    FollowUpAction,
    alert_body,
    change_body,
    dumps_event,
    encode_event,
    follow_up_body,
)
from floe_alert_pagerduty.transport import (
    CHANGE_PATH,
    EVENTS_PATH,
    NETWORK_ERRORS,
    Answer,
    build_client,
    build_ssl_context,
    network_error,
    post_event,
)
from floe_monitoring import (
    AlertChannelPlugin,
    ChannelCapability,
    ChannelStateStore,
    ContractViolationEvent,
    DeliveryError,
    DeliveryReceipt,
    FailureReason,
    HealthState,
    HealthStatus,
    PermanentDeliveryError,
    RateLimit,
    RetryableDeliveryError,
    Severity,
)

__all__ = ["PagerDutyChannel"]

_log = logging.getLogger("floe_alert_pagerduty")

_T = TypeVar("_T")


class PagerDutyChannel(AlertChannelPlugin[PagerDutyConfig]):
    """PagerDuty Events API v2: trigger and resolve incidents.

    A firing event triggers an alert whose ``dedup_key`` is the event's `dedup_key`;
    the resolved event resolves it with the same key, and `acknowledge` acknowledges
    it. ``info`` events can go out as change events instead (`info_as_change_events`).

    Each call is one attempt bounded by `timeout_seconds`; failures are classified as
    `RetryableDeliveryError` (429, 5xx, network) or `PermanentDeliveryError` (400 with
    PagerDuty's ``errors`` list, other 4xx) and the core retries. Resolve and
    acknowledge go to every configured routing key, because PagerDuty applies them only
    through the key that triggered the alert and an escalated incident may have been
    triggered through several; PagerDuty drops them where no such alert is open.

    Capabilities: RESOLVE, ACKNOWLEDGE, THREADING (the ``dedup_key`` keeps an incident's
    trigger, acknowledge and resolve on one PagerDuty alert).
    """

    name: ClassVar[str] = "pagerduty"
    version: ClassVar[str] = version("floe-alert-pagerduty")
    floe_api_version: ClassVar[str] = "1.0"
    description: ClassVar[str] = "PagerDuty Events API v2: trigger and resolve incidents."
    config_model = PagerDutyConfig
    capabilities: ClassVar[frozenset[ChannelCapability]] = frozenset(
        {ChannelCapability.RESOLVE, ChannelCapability.ACKNOWLEDGE, ChannelCapability.THREADING}
    )
    # PagerDuty: "approximately 120 calls/minute per integration key". Declared per
    # instance, so with several routing keys it is conservative, never too fast.
    rate_limit: ClassVar[RateLimit | None] = RateLimit(events=120, per_seconds=60)

    def __init__(
        self,
        config: PagerDutyConfig,
        *,
        instance_name: str | None = None,
        state: ChannelStateStore | None = None,
    ) -> None:
        super().__init__(config, instance_name=instance_name, state=state)
        self._client: httpx.AsyncClient | None = None

    # -- lifecycle -------------------------------------------------------------------

    async def on_startup(self) -> None:
        """Open the pooled HTTP client (TLS verification on, optional CA bundle)."""
        # Loading CA certificates reads files: keep it off the event loop.
        context = await asyncio.to_thread(build_ssl_context, self.config.ca_bundle)
        self._client = build_client(
            self.config.events_base_url,
            ssl_context=context,
            timeout_seconds=self.config.timeout_seconds,
        )

    async def on_shutdown(self) -> None:
        """Close the client and its connections."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def check_health(self) -> HealthStatus:
        """Check that the Events API host answers HTTP (without sending an event).

        The Events API has no health endpoint and any event would reach PagerDuty, so
        the probe is a GET of the base URL: any HTTP answer proves DNS, TCP and TLS
        work; a 5xx answer is reported as degraded.
        """
        if self._client is None:
            return HealthStatus(state=HealthState.UNHEALTHY, message="channel is not started")
        client = self._client
        try:
            response = await self._within_deadline(lambda: client.get("/"))
        except NETWORK_ERRORS as exc:
            error = network_error(exc, host=self.config.events_base_url, redact=self.redact)
            return HealthStatus(state=HealthState.UNHEALTHY, message=str(error))
        except DeliveryError as exc:
            return HealthStatus(state=HealthState.UNHEALTHY, message=str(exc))
        state = HealthState.DEGRADED if response.status_code >= 500 else HealthState.HEALTHY
        return HealthStatus(
            state=state,
            message=f"events API reachable (HTTP {response.status_code})",
            details={"status_code": response.status_code},
        )

    # -- delivery --------------------------------------------------------------------

    async def send_alert(self, event: ContractViolationEvent) -> DeliveryReceipt:
        """Deliver one notification in one attempt.

        Firing → ``trigger``; resolved → ``resolve`` with the same ``dedup_key``;
        ``info`` → a change event when `info_as_change_events` is set.

        Raises:
            RetryableDeliveryError: 429, 408, 5xx (not 501), network failure, deadline.
            PermanentDeliveryError: 400 (with PagerDuty's ``errors``) or another 4xx.

        """
        if self.config.info_as_change_events and event.severity is Severity.INFO:
            return await self._send_change(event)
        if event.is_resolved:
            return await self._send_follow_up("resolve", event)
        return await self._send_trigger(event)

    async def acknowledge(self, event: ContractViolationEvent) -> DeliveryReceipt:
        """Acknowledge the incident of `event` (its ``dedup_key``) in one attempt.

        While acknowledged, PagerDuty sends no further notifications for the alert, even
        for new triggers; a later resolve still closes it.

        Raises:
            RetryableDeliveryError: As for `send_alert`.
            PermanentDeliveryError: As for `send_alert`.

        """
        return await self._send_follow_up("acknowledge", event)

    async def _send_trigger(self, event: ContractViolationEvent) -> DeliveryReceipt:
        route = self.config.route_for(event.severity)
        body = alert_body(
            event,
            routing_key=route.key.get_secret_value(),
            source=self.config.source,
            client_url=self.config.client_url,
        )
        encoded = await _encode(body, event)
        answer = await self._within_deadline(lambda: self._post(EVENTS_PATH, encoded.content))
        self._log_accepted("trigger", event, [route])
        return self.receipt(
            event,
            status_code=answer.status_code,
            remote_id=answer.dedup_key or event.dedup_key,
            event_action="trigger",
            routes=[route.name],
            trimmed=list(encoded.trimmed),
            bytes=len(encoded.content),
        )

    async def _send_follow_up(
        self, action: FollowUpAction, event: ContractViolationEvent
    ) -> DeliveryReceipt:
        routes = self.config.routes(first=event.severity)
        bodies = [
            dumps_event(
                follow_up_body(
                    action, dedup_key=event.dedup_key, routing_key=r.key.get_secret_value()
                )
            )
            for r in routes
        ]

        async def post_all() -> list[Answer | BaseException]:
            return await asyncio.gather(
                *(self._post(EVENTS_PATH, body) for body in bodies), return_exceptions=True
            )

        results = await self._within_deadline(post_all)
        answers = _raise_failures(action, routes, results)
        self._log_accepted(action, event, routes)
        return self.receipt(
            event,
            status_code=answers[0].status_code,
            remote_id=answers[0].dedup_key or event.dedup_key,
            event_action=action,
            routes=[r.name for r in routes],
        )

    async def _send_change(self, event: ContractViolationEvent) -> DeliveryReceipt:
        route = self.config.route_for(event.severity)
        body = change_body(
            event, routing_key=route.key.get_secret_value(), source=self.config.source
        )
        encoded = await _encode(body, event)
        answer = await self._within_deadline(lambda: self._post(CHANGE_PATH, encoded.content))
        self._log_accepted("change", event, [route])
        return self.receipt(
            event,
            status_code=answer.status_code,
            event_action="change",
            routes=[route.name],
            trimmed=list(encoded.trimmed),
            bytes=len(encoded.content),
        )

    # -- helpers ---------------------------------------------------------------------

    async def _post(self, path: str, content: bytes) -> Answer:
        if self._client is None:
            # Never lose an alert to a lifecycle slip; shutdown() closes what this opens.
            await self.startup()
        client = self._client
        if client is None:  # pragma: no cover - startup always sets it
            raise PermanentDeliveryError("pagerduty client failed to start")
        return await post_event(client, path, content, redact=self.redact)

    async def _within_deadline(self, call: Callable[[], Awaitable[_T]]) -> _T:
        limit = self.config.timeout_seconds
        try:
            async with asyncio.timeout(limit):
                return await call()
        except TimeoutError as exc:
            raise RetryableDeliveryError(
                f"PagerDuty at {self.config.events_base_url} did not answer within the "
                f"{limit:g}s send deadline",
                reason=FailureReason.TIMEOUT,
            ) from exc

    def _log_accepted(
        self, action: str, event: ContractViolationEvent, routes: Sequence[Route]
    ) -> None:
        # Route names only: a routing key is a credential and never reaches a log.
        _log.debug(
            "pagerduty %s accepted: event %s, incident %s, route(s) %s",
            action,
            event.event_id,
            event.dedup_key,
            ", ".join(r.name for r in routes),
        )


async def _encode(body: dict[str, Any], event: ContractViolationEvent) -> EncodedEvent:
    # Encoding happens before the send deadline starts: it is our work, not the network's,
    # and a deadline that trimming could exhaust would fail the same event on every retry.
    content = dumps_event(body)
    if len(content) <= MAX_EVENT_BYTES:
        return EncodedEvent(content)
    # Trimming encodes the body a few dozen times: keep that work off the event loop.
    encoded = await asyncio.to_thread(encode_event, body)
    _log.warning(
        "pagerduty event %s (incident %s) trimmed to fit %d bytes: cut %s",
        event.event_id,
        event.dedup_key,
        MAX_EVENT_BYTES,
        ", ".join(encoded.trimmed),
    )
    return encoded


def _raise_failures(
    action: str, routes: Sequence[Route], results: Sequence[Answer | BaseException]
) -> list[Answer]:
    """Return the answers when every route accepted; otherwise raise one error for all.

    Permanent wins over retryable (retrying cannot fix a rejected route); a retryable
    error waits for the longest `retry_after` any route asked for.
    """
    answers: list[Answer] = []
    failures: list[tuple[Route, DeliveryError]] = []
    for route, result in zip(routes, results, strict=True):
        if isinstance(result, Answer):
            answers.append(result)
        elif isinstance(result, DeliveryError):
            failures.append((route, result))
        else:  # a bug, not a delivery outcome: let it surface as it is
            raise result
    if not failures:
        return answers
    if len(routes) == 1:
        raise failures[0][1]
    message = f"{action} failed on " + "; ".join(
        f"route '{route.name}': {error}" for route, error in failures
    )
    errors = [error for _route, error in failures]
    permanent = [e for e in errors if not e.retryable]
    if permanent:
        raise PermanentDeliveryError(
            message, reason=permanent[0].reason, status_code=permanent[0].status_code
        ) from permanent[0]
    waits = [e.retry_after for e in errors if isinstance(e, RetryableDeliveryError)]
    known = [w for w in waits if w is not None]
    raise RetryableDeliveryError(
        message,
        retry_after=max(known) if known else None,
        reason=errors[0].reason,
        status_code=errors[0].status_code,
    ) from errors[0]
