"""`SlackChannel`: one contract notification, one Slack message, one attempt.

Web API mode keeps an incident together: the first firing notification starts a thread,
later ones and the resolution reply in it, and (with `update_original`) the first
message is edited to show the incident resolved. Webhook mode cannot thread or edit, so
each notification is its own message and a resolution names the incident it closes.

The core retries, paces and times out around every call; this class never sleeps and
never retries. A re-delivery of the same event (same `event_id`, same state) sends the
same bytes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any, ClassVar

from pydantic import JsonValue

from floe_alert_slack.blocks import SlackMessage, render_message
from floe_alert_slack.config import SlackConfig, SlackMode
from floe_alert_slack.threads import ThreadRef, ThreadStore
from floe_alert_slack.transport import SlackTransport
from floe_monitoring import (
    AlertChannelPlugin,
    AlertMessage,
    ChannelCapability,
    ChannelStateStore,
    ContractViolationEvent,
    DeliveryError,
    DeliveryReceipt,
    EventStatus,
    FailureReason,
    HealthState,
    HealthStatus,
    PermanentDeliveryError,
    RateLimit,
)

__all__ = ["METADATA_EVENT_TYPE", "SlackChannel"]

#: `metadata.event_type` of every message, so Slack apps can find floe's alerts. Slack
#: accepts message metadata from the Web API and from incoming webhooks alike.
METADATA_EVENT_TYPE = "floe_contract_violation"

_log = logging.getLogger(__name__)


class SlackChannel(AlertChannelPlugin[SlackConfig]):
    """Slack incoming webhooks and Web API (Block Kit).

    Example:
        >>> config = SlackConfig(webhook_url="https://hooks.slack.com/services/T/B/x")
        >>> async with SlackChannel(config) as channel:  # doctest: +SKIP
        ...     receipt = await channel.send_alert(event)

    """

    name: ClassVar[str] = "slack"
    version: ClassVar[str] = version("floe-alert-slack")
    floe_api_version: ClassVar[str] = "1.0"
    description: ClassVar[str] = "Slack incoming webhooks and Web API (Block Kit)."
    config_model = SlackConfig
    capabilities: ClassVar[frozenset[ChannelCapability]] = frozenset(
        {ChannelCapability.RESOLVE, ChannelCapability.THREADING, ChannelCapability.BATCH}
    )
    # About one message per second per channel, short bursts allowed (Slack's docs).
    rate_limit: ClassVar[RateLimit | None] = RateLimit(events=1, per_seconds=1.0, burst=4)

    def __init__(
        self,
        config: SlackConfig,
        *,
        instance_name: str | None = None,
        state: ChannelStateStore | None = None,
    ) -> None:
        super().__init__(config, instance_name=instance_name, state=state)
        self._transport = SlackTransport(config, redact=self.redact)
        self._threads = ThreadStore(self.state)

    # -- lifecycle -------------------------------------------------------------------

    async def on_startup(self) -> None:
        """Open the HTTP connection pool."""
        await self._transport.open()

    async def on_shutdown(self) -> None:
        """Close the HTTP connection pool."""
        await self._transport.close()

    async def check_health(self) -> HealthStatus:
        """Web API: `auth.test` checks the token. Webhook: a GET checks reachability.

        A webhook URL cannot be verified without posting a message, so webhook mode
        reports healthy when Slack's host answers at all.
        """
        deadline = self._deadline()
        try:
            if self.config.mode is SlackMode.WEB_API:
                answer = await self._transport.call_api("auth.test", {}, deadline=deadline)
                details: dict[str, JsonValue] = {
                    key: answer[key]
                    for key in ("team", "team_id", "bot_id")
                    if isinstance(answer.get(key), str)
                }
                return HealthStatus(
                    state=HealthState.HEALTHY, message="token accepted", details=details
                )
            status = await self._transport.probe_webhook(deadline=deadline)
        except DeliveryError as exc:
            state = (
                HealthState.DEGRADED
                if exc.reason is FailureReason.RATE_LIMITED
                else HealthState.UNHEALTHY
            )
            return HealthStatus(state=state, message=str(exc))
        if status >= 500:
            return HealthStatus(state=HealthState.DEGRADED, message=f"Slack answered HTTP {status}")
        return HealthStatus(
            state=HealthState.HEALTHY,
            message=f"webhook host reachable (HTTP {status}); the URL itself is only "
            "verified by a delivery",
        )

    # -- delivery --------------------------------------------------------------------

    async def send_alert(self, event: ContractViolationEvent) -> DeliveryReceipt:
        """Post one notification to Slack in one attempt.

        Returns:
            A receipt; in Web API mode `remote_id` is the message's ``ts``.

        Raises:
            RetryableDeliveryError: Rate limited (with `retry_after`), 5xx, timeout,
                refused or reset connection.
            PermanentDeliveryError: Slack rejected the message or the credentials.

        """
        deadline = self._deadline()
        message = AlertMessage.from_event(event)
        if self.config.mode is SlackMode.WEBHOOK:
            note = _resolution_note(event) if event.is_resolved else None
            body = {
                **self._render(message, note=note).payload(),
                **_no_unfurl(),
                "metadata": _metadata(event),
            }
            status = await self._transport.post_webhook(body, deadline=deadline)
            receipt = self.receipt(event, status_code=status, mode=SlackMode.WEBHOOK.value)
        else:
            receipt = await self._send_web_api(event, message, deadline)
        _log.debug(
            "slack channel %r delivered event %s (%s, ts=%s)",
            self.instance_name,
            event.event_id,
            self.config.mode.value,
            receipt.remote_id,
        )
        return receipt

    async def send_batch(self, events: Sequence[ContractViolationEvent]) -> DeliveryReceipt:
        """Post several events as one digest message, in one attempt.

        Digests are never threaded: they cover several incidents.

        Raises:
            PermanentDeliveryError: The batch is empty, or Slack rejected the message.
            RetryableDeliveryError: As for `send_alert`.

        """
        if not events:
            raise PermanentDeliveryError(
                "an empty batch has nothing to send", reason=FailureReason.INTERNAL
            )
        deadline = self._deadline()
        body = {
            **self._render(AlertMessage.digest(events)).payload(),
            **_no_unfurl(),
            "metadata": {
                "event_type": METADATA_EVENT_TYPE,
                "event_payload": {"event_count": len(events)},
            },
        }
        if self.config.mode is SlackMode.WEBHOOK:
            status = await self._transport.post_webhook(body, deadline=deadline)
            return self.receipt(list(events), status_code=status, mode=SlackMode.WEBHOOK.value)
        body = {"channel": self.config.channel, **body}
        answer = await self._transport.call_api("chat.postMessage", body, deadline=deadline)
        return self.receipt(
            list(events),
            status_code=200,
            remote_id=_str_or_none(answer.get("ts")),
            mode=SlackMode.WEB_API.value,
            channel=_str_or_none(answer.get("channel")),
        )

    # -- Web API ---------------------------------------------------------------------

    async def _send_web_api(
        self, event: ContractViolationEvent, message: AlertMessage, deadline: float
    ) -> DeliveryReceipt:
        ref = await self._thread_of(event)
        thread = _thread_for(event, ref)
        note = _resolution_note(event) if event.is_resolved and thread is None else None
        body: dict[str, Any] = {
            "channel": thread.channel if thread else self.config.channel,
            **self._render(message, note=note).payload(),
            **_no_unfurl(),
            "metadata": _metadata(event),
        }
        if thread is not None:
            body["thread_ts"] = thread.ts
        answer = await self._transport.call_api("chat.postMessage", body, deadline=deadline)
        ts = _str_or_none(answer.get("ts"))
        channel = _str_or_none(answer.get("channel"))

        updated: bool | None = None
        if event.is_resolved and thread is not None:
            await self._remember(event, ThreadRef(thread.channel, thread.ts, thread.event_id, True))
            if self.config.update_original:
                updated = await self._mark_resolved(thread, message, deadline)
        elif thread is None and not event.is_resolved and ts and channel and _new_incident(ref):
            await self._remember(event, ThreadRef(channel, ts, str(event.event_id)))

        return self.receipt(
            event,
            status_code=200,
            remote_id=ts,
            mode=SlackMode.WEB_API.value,
            channel=channel,
            thread_ts=thread.ts if thread else None,
            updated_original=updated,
        )

    async def _mark_resolved(
        self, thread: ThreadRef, message: AlertMessage, deadline: float
    ) -> bool:
        # Best effort: the resolution is already in the thread. Failing here would make
        # the core retry and post that reply twice.
        body = {"channel": thread.channel, "ts": thread.ts, **self._render(message).payload()}
        try:
            await self._transport.call_api("chat.update", body, deadline=deadline)
        except DeliveryError as exc:
            _log.warning(
                "slack channel %r: could not mark the incident's first message resolved: %s",
                self.instance_name,
                exc,
            )
            return False
        return True

    async def _thread_of(self, event: ContractViolationEvent) -> ThreadRef | None:
        try:
            return await self._threads.get(event.dedup_key)
        except Exception as exc:  # a broken store must not stop the alert itself
            _log.warning(
                "slack channel %r: thread lookup failed (%s); posting without a thread",
                self.instance_name,
                type(exc).__name__,
            )
            return None

    async def _remember(self, event: ContractViolationEvent, ref: ThreadRef) -> None:
        try:
            await self._threads.put(event.dedup_key, ref)
        except Exception as exc:  # the message is out; failing now would duplicate it
            _log.warning(
                "slack channel %r: could not store the thread of event %s (%s)",
                self.instance_name,
                event.event_id,
                type(exc).__name__,
            )

    # -- helpers ---------------------------------------------------------------------

    def _deadline(self) -> float:
        return asyncio.get_running_loop().time() + self.config.timeout_seconds

    def _render(self, message: AlertMessage, *, note: str | None = None) -> SlackMessage:
        mentions = (
            ()
            if message.status is EventStatus.RESOLVED
            else self.config.mentions.get(message.severity, ())
        )
        rendered = render_message(message, mentions=mentions, note=note)
        problems = rendered.problems()
        if problems:
            # A rendering bug must not cost the alert: send the text, and say why.
            _log.warning(
                "slack channel %r: blocks break Slack's limits (%s); sending text only",
                self.instance_name,
                "; ".join(problems[:3]),
            )
            return rendered.text_only()
        return rendered


def _thread_for(event: ContractViolationEvent, ref: ThreadRef | None) -> ThreadRef | None:
    """The thread to post `event` in, or None for a new top-level message."""
    if ref is None:
        return None
    if event.is_resolved:
        return ref
    if ref.event_id == str(event.event_id) or ref.resolved:
        # A re-delivery repeats its first message; after a resolution a new one starts.
        return None
    return ref


def _new_incident(ref: ThreadRef | None) -> bool:
    """True when a top-level message starts an incident (a re-delivery keeps its root)."""
    return ref is None or ref.resolved


def _resolution_note(event: ContractViolationEvent) -> str:
    first_seen = event.first_seen_at.isoformat().replace("+00:00", "Z")
    return f"Resolves incident `{event.dedup_key}` (first seen {first_seen})"


def _metadata(event: ContractViolationEvent) -> dict[str, Any]:
    return {
        "event_type": METADATA_EVENT_TYPE,
        "event_payload": {
            "event_id": str(event.event_id),
            "dedup_key": event.dedup_key,
            "status": event.status.value,
            "severity": event.severity.value,
            "contract": event.contract_name,
        },
    }


def _no_unfurl() -> dict[str, bool]:
    # Runbook and dashboard links would otherwise expand into large previews.
    return {"unfurl_links": False, "unfurl_media": False}


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
