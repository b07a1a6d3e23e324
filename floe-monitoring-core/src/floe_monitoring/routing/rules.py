"""Routing rules and the router's limits: who gets which event, and how often.

A rule selects events (contract, domain, owner, tag and type filters) and then applies
its own conditions (minimum severity, resolved or not) for its channel. Every rule that
matches routes to its channel; a channel named by several matching rules receives the
event once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from floe_monitoring.routing._match import (
    DurationField,
    accept_alias,
    any_glob,
    event_tags,
    matches_contract,
)
from floe_monitoring.sdk.enums import Severity, ViolationType
from floe_monitoring.sdk.event import ContractViolationEvent

__all__ = [
    "DEFAULT_DEDUP_WINDOW",
    "DEFAULT_RATE_LIMIT",
    "ContractRateLimit",
    "RoutingRule",
]

#: The specification's dedup window.
DEFAULT_DEDUP_WINDOW = timedelta(minutes=30)


class RoutingRule(BaseModel):
    """Send matching events to one configured channel.

    Globs use `fnmatch` syntax (``*``, ``?``, ``[abc]``) and are case-sensitive. Contract
    globs are tried on the contract's name and on its id; either matching is enough. An
    empty filter list means "any". Tags come from ``metadata["tags"]``; one matching tag
    is enough.

    ``check_types`` is accepted as another name for ``violation_types``.

    Example:
        >>> rule = RoutingRule(channel="pagerduty", min_severity="error",
        ...                    contracts=["orders*"], domains=["sales"])

    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    """Shown in suppression details; the rule's position is used when absent."""
    channel: str = Field(min_length=1)
    """A configured channel's name."""
    min_severity: Severity = Severity.INFO
    contracts: tuple[str, ...] = Field(default=("*",), min_length=1)
    domains: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    violation_types: tuple[ViolationType, ...] = ()
    send_resolved: bool = True
    """Whether recoveries (``resolved`` events) go to this channel too."""

    @model_validator(mode="before")
    @classmethod
    def _check_types_alias(cls, data: Any) -> Any:
        return accept_alias(data, "check_types", "violation_types")

    def selects(self, event: ContractViolationEvent) -> bool:
        """True when the event passes the rule's filters (severity and status aside)."""
        if not matches_contract(self.contracts, event.contract_name, event.contract_id):
            return False
        if self.domains and not any_glob(self.domains, event.domain):
            return False
        if self.owners and not any_glob(self.owners, event.owner):
            return False
        if self.tags and not any(any_glob(self.tags, tag) for tag in event_tags(event)):
            return False
        return not self.violation_types or event.violation_type in self.violation_types

    def label(self, position: int) -> str:
        """How suppression details name this rule: its name, else ``rule #<n>`` (1-based)."""
        return f"rule '{self.name}'" if self.name else f"rule #{position + 1}"


class ContractRateLimit(BaseModel):
    """At most `max_notifications` per contract in any sliding `window`.

    Counted across channels: one event routed to three channels is one notification.

    Example:
        >>> ContractRateLimit(max_notifications=10, window="60 min").window
        datetime.timedelta(seconds=3600)

    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_notifications: int = Field(default=10, ge=1)
    window: DurationField = Field(default=timedelta(minutes=60), gt=timedelta(0))


#: The specification's default: 10 notifications per contract per 60 minutes.
DEFAULT_RATE_LIMIT = ContractRateLimit()
