"""What one routing pass decided: deliveries to make and suppressions with their reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from floe_monitoring.routing.memory import NotificationRecord
from floe_monitoring.sdk.event import ContractViolationEvent

__all__ = ["Delivery", "RoutingDecision", "Suppression", "SuppressionReason"]


class SuppressionReason(StrEnum):
    """Why an event was not sent to a channel: a bounded set, safe as a metric attribute."""

    NO_ROUTE = "no_route"
    """No rule selects the event (contract, domain, owner, tag and type filters)."""
    BELOW_MIN_SEVERITY = "below_min_severity"
    """Rules for the channel select it, but its severity is under their minimum."""
    RESOLVED_NOT_WANTED = "resolved_not_wanted"
    """A recovery, and the channel's rules have ``send_resolved: false``."""
    DEDUP = "dedup"
    """The same notification went to the channel within the dedup window."""
    RATE_LIMITED = "rate_limited"
    """The contract reached its notification budget for the rate-limit window."""
    SILENCED = "silenced"
    """An active silence covers the event on the channel."""
    MAINTENANCE = "maintenance"
    """The contract is in a maintenance window."""
    CHANNEL_UNKNOWN = "channel_unknown"
    """A rule names a channel that is not configured."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message to send: one event, or several of one contract for a batch channel.

    Attributes:
        channel: The configured channel's name.
        events: What to send; more than one only for channels declaring ``batch``.

    """

    channel: str
    events: tuple[ContractViolationEvent, ...]


@dataclass(frozen=True, slots=True)
class Suppression:
    """An event not sent to a channel, and why.

    Attributes:
        event: The event.
        channel: The channel it was not sent to; None when no rule routed it anywhere.
        reason: The bounded reason.
        detail: One human-readable line naming the rule, silence or window responsible.

    """

    event: ContractViolationEvent
    channel: str | None
    reason: SuppressionReason
    detail: str


@dataclass(frozen=True)
class RoutingDecision:
    """The outcome of `AlertRouter.route`.

    Every (event, channel) pair a rule selected has exactly one outcome: a delivery or a
    suppression; an event no rule selects has one `no_route` suppression.

    Attributes:
        deliveries: Messages to write to the outbox, in the order of the events.
        suppressions: Everything not sent, with reasons, in the order of the events.
        records: What the router remembered (one per event and channel); the engine
            persists these so `RouterMemory.from_history` can rebuild the memory.

    """

    deliveries: list[Delivery] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    records: list[NotificationRecord] = field(default_factory=list)

    def channels_for(self, event: ContractViolationEvent) -> list[str]:
        """The channels `event` is delivered to."""
        return [d.channel for d in self.deliveries if any(e is event for e in d.events)]

    def suppressions_for(self, event: ContractViolationEvent) -> list[Suppression]:
        """Why `event` was not sent, channel by channel (answers "why nothing?")."""
        return [s for s in self.suppressions if s.event is event]
