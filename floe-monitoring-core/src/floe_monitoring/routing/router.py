"""`AlertRouter`: decide, for each event, which channels get it and why the others do not.

The router is pure: given the events of one cycle, the time and the memory of recent
sends, it returns a `RoutingDecision` and records what it routed in that memory. It does
no I/O, so the engine can call it inside the transaction that writes the outbox rows.

An event goes through these stages; the first one that stops it on a channel is the
reason recorded for that channel:

1. rules: `no_route`, or per channel `channel_unknown`, `resolved_not_wanted`,
   `below_min_severity` (a channel passes if any of its matching rules passes);
2. `maintenance` (the contract, on every channel), then `silenced` (per channel);
3. `dedup` (per channel);
4. `rate_limited` (per contract, across channels; recoveries of incidents whose firing
   notification went out are exempt).

What is left is delivered, grouped per contract for channels that declare ``batch``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType

from floe_monitoring.routing._match import contract_key, require_utc
from floe_monitoring.routing.decision import (
    Delivery,
    RoutingDecision,
    Suppression,
    SuppressionReason,
)
from floe_monitoring.routing.memory import NotificationRecord, RouterMemory
from floe_monitoring.routing.rules import (
    DEFAULT_DEDUP_WINDOW,
    DEFAULT_RATE_LIMIT,
    ContractRateLimit,
    RoutingRule,
)
from floe_monitoring.routing.silences import MaintenanceWindow, Silence, find_maintenance
from floe_monitoring.sdk.event import ContractViolationEvent
from floe_monitoring.sdk.plugin import ChannelCapability

__all__ = ["AlertRouter"]

_Problem = tuple[SuppressionReason, str]


class AlertRouter:
    """Routes violation events to configured channels by rules, with dedup and limits.

    Example:
        >>> router = AlertRouter(
        ...     [RoutingRule(channel="slack"), RoutingRule(channel="pd", min_severity="error")],
        ...     channel_capabilities={"slack": frozenset({ChannelCapability.BATCH}),
        ...                           "pd": frozenset({ChannelCapability.RESOLVE})},
        ... )
        >>> memory = RouterMemory()
        >>> decision = router.route(events, now=now, memory=memory)   # doctest: +SKIP

    """

    def __init__(
        self,
        rules: Sequence[RoutingRule],
        *,
        dedup_window: timedelta = DEFAULT_DEDUP_WINDOW,
        rate_limit: ContractRateLimit | None = DEFAULT_RATE_LIMIT,
        silences: Iterable[Silence] = (),
        maintenance_windows: Iterable[MaintenanceWindow] = (),
        channel_capabilities: Mapping[str, frozenset[ChannelCapability]],
    ) -> None:
        """Create a router.

        Args:
            rules: Routing rules; every matching rule routes to its channel.
            dedup_window: How long an identical notification is not repeated
                (``timedelta(0)`` turns dedup off).
            rate_limit: The per-contract budget, or None for no limit.
            silences: Initial silences (more can be added at runtime).
            maintenance_windows: Planned downtime windows.
            channel_capabilities: Every configured channel's name and capabilities.
                A rule naming a channel missing here routes nothing (`channel_unknown`);
                it is not refused here, so one misconfigured rule cannot stop the others.

        Raises:
            ValueError: When `dedup_window` is negative.

        """
        if dedup_window < timedelta(0):
            raise ValueError("dedup_window must not be negative")
        self._rules = tuple(rules)
        self._dedup_window = dedup_window
        self._rate_limit = rate_limit
        self._silences: dict[str, Silence] = {s.id: s for s in silences}
        self._windows = tuple(maintenance_windows)
        self._capabilities = MappingProxyType(
            {name: frozenset(caps) for name, caps in channel_capabilities.items()}
        )

    # -- configuration ---------------------------------------------------------------

    @property
    def rules(self) -> tuple[RoutingRule, ...]:
        """The routing rules, in order."""
        return self._rules

    @property
    def dedup_window(self) -> timedelta:
        """How long an identical notification is not repeated."""
        return self._dedup_window

    @property
    def rate_limit(self) -> ContractRateLimit | None:
        """The per-contract budget, or None."""
        return self._rate_limit

    @property
    def maintenance_windows(self) -> tuple[MaintenanceWindow, ...]:
        """The maintenance windows."""
        return self._windows

    @property
    def channel_capabilities(self) -> Mapping[str, frozenset[ChannelCapability]]:
        """The configured channels and what each can do (read-only)."""
        return self._capabilities

    @property
    def unknown_channels(self) -> tuple[str, ...]:
        """Channels named by rules but not configured (worth a warning at startup)."""
        named = dict.fromkeys(rule.channel for rule in self._rules)
        return tuple(name for name in named if name not in self._capabilities)

    @property
    def memory_horizon(self) -> timedelta:
        """How far back the memory must reach: the longer of dedup and rate-limit windows.

        The engine loads at least this much history into `RouterMemory.from_history`.
        """
        window = self._rate_limit.window if self._rate_limit is not None else timedelta(0)
        return max(self._dedup_window, window)

    # -- silences --------------------------------------------------------------------

    @property
    def silences(self) -> tuple[Silence, ...]:
        """Current silences (active, future and expired), in insertion order."""
        return tuple(self._silences.values())

    def add_silence(self, silence: Silence) -> None:
        """Add a silence, replacing one with the same id (how the CLI edits one)."""
        self._silences[silence.id] = silence

    def remove_silence(self, silence_id: str) -> Silence | None:
        """Remove a silence by id; returns it, or None when there was none."""
        return self._silences.pop(silence_id, None)

    # -- maintenance -----------------------------------------------------------------

    def in_maintenance(
        self, *, contract_name: str, contract_id: str | None = None, now: datetime
    ) -> bool:
        """True when the contract is in a maintenance window at `now` (see `in_maintenance`)."""
        found = find_maintenance(
            self._windows, contract_name=contract_name, contract_id=contract_id, now=now
        )
        return found is not None

    # -- routing ---------------------------------------------------------------------

    def route(
        self,
        events: Sequence[ContractViolationEvent],
        *,
        now: datetime,
        memory: RouterMemory,
    ) -> RoutingDecision:
        """Decide the deliveries of one cycle's events and record them in `memory`.

        Events older than `memory_horizon` are pruned from `memory` first. When a
        contract's budget runs out within one cycle, the more severe events take the
        remaining places; the decision still lists everything in the events' order.

        Args:
            events: The events of one cycle (any contracts).
            now: The cycle's time, timezone-aware; what the memory records.
            memory: Recent sends; updated with what this call routes.

        Returns:
            The deliveries, the suppressions with reasons, and the records to persist.

        Raises:
            ValueError: When `now` is naive.

        """
        now = require_utc(now, "now")
        memory.prune(now - self.memory_horizon)
        routed: list[tuple[int, int, str, ContractViolationEvent]] = []
        suppressed: list[tuple[int, int, Suppression]] = []
        records: list[tuple[int, int, NotificationRecord]] = []

        # Severity first, so a scarce rate-limit budget goes to the worst news.
        order = sorted(range(len(events)), key=lambda i: (-events[i].severity.rank, i))
        for index in order:
            event = events[index]
            outcome = self._route_one(event, now, memory)
            for seq, (channel, problem) in enumerate(outcome):
                if problem is None:
                    assert channel is not None
                    memory.record(channel, event, now)
                    routed.append((index, seq, channel, event))
                    records.append((index, seq, NotificationRecord.of(channel, event, now)))
                else:
                    reason, detail = problem
                    suppressed.append((index, seq, Suppression(event, channel, reason, detail)))

        routed.sort(key=lambda item: item[:2])
        suppressed.sort(key=lambda item: item[:2])
        records.sort(key=lambda item: item[:2])
        return RoutingDecision(
            deliveries=self._group(item[2:] for item in routed),
            suppressions=[item[2] for item in suppressed],
            records=[item[2] for item in records],
        )

    def _route_one(
        self, event: ContractViolationEvent, now: datetime, memory: RouterMemory
    ) -> list[tuple[str | None, _Problem | None]]:
        # One outcome per selected channel, in rule order: None = deliver.
        verdicts = self._rule_verdicts(event)
        if not verdicts:
            return [(None, (SuppressionReason.NO_ROUTE, _no_route_detail(event)))]
        candidates = [channel for channel, problem in verdicts.items() if problem is None]
        if candidates:
            self._stop_some(event, candidates, verdicts, now, memory)
        return list(verdicts.items())

    def _rule_verdicts(self, event: ContractViolationEvent) -> dict[str, _Problem | None]:
        verdicts: dict[str, _Problem | None] = {}
        for position, rule in enumerate(self._rules):
            if not rule.selects(event):
                continue
            if rule.channel in verdicts and verdicts[rule.channel] is None:
                continue  # another rule already routes it there: one copy per channel
            problem = self._rule_problem(rule, position, event)
            # The first rule's reason is kept, so "why" points at the first rule to read.
            if problem is None or rule.channel not in verdicts:
                verdicts[rule.channel] = problem
        return verdicts

    def _rule_problem(
        self, rule: RoutingRule, position: int, event: ContractViolationEvent
    ) -> _Problem | None:
        label = rule.label(position)
        if rule.channel not in self._capabilities:
            configured = ", ".join(sorted(self._capabilities)) or "none"
            return (
                SuppressionReason.CHANNEL_UNKNOWN,
                f"{label} names channel '{rule.channel}', which is not configured "
                f"(configured: {configured})",
            )
        if event.is_resolved and not rule.send_resolved:
            return (
                SuppressionReason.RESOLVED_NOT_WANTED,
                f"{label} has send_resolved false",
            )
        if event.severity < rule.min_severity:
            return (
                SuppressionReason.BELOW_MIN_SEVERITY,
                f"severity {event.severity.value} is below {label}'s minimum "
                f"{rule.min_severity.value}",
            )
        return None

    def _stop_some(
        self,
        event: ContractViolationEvent,
        candidates: list[str],
        verdicts: dict[str, _Problem | None],
        now: datetime,
        memory: RouterMemory,
    ) -> None:
        # Fills in a reason for each candidate channel that must not get the event.
        window = find_maintenance(
            self._windows,
            contract_name=event.contract_name,
            contract_id=event.contract_id,
            now=now,
        )
        if window is not None:
            detail = f"contract '{event.contract_name}' is in maintenance window '{window.name}'"
            for channel in candidates:
                verdicts[channel] = (SuppressionReason.MAINTENANCE, detail)
            return
        remaining: list[str] = []
        for channel in candidates:
            problem = self._silenced(event, channel, now) or self._duplicate(
                event, channel, now, memory
            )
            if problem is None:
                remaining.append(channel)
            else:
                verdicts[channel] = problem
        # A recovery of an incident announced on a channel always reaches it, whatever
        # the budget: a rate limit must never leave an alert open at the receiver.
        limited = [
            channel
            for channel in remaining
            if not (event.is_resolved and memory.is_open(channel, event.dedup_key))
        ]
        problem = self._over_budget(event, now, memory) if limited else None
        if problem is not None:
            for channel in limited:
                verdicts[channel] = problem

    def _silenced(
        self, event: ContractViolationEvent, channel: str, now: datetime
    ) -> _Problem | None:
        for silence in self._silences.values():
            if silence.is_active(now) and silence.matches(event, channel):
                return (
                    SuppressionReason.SILENCED,
                    f"silence '{silence.id}' by {silence.created_by} until "
                    f"{silence.ends_at.isoformat()}: {silence.comment}",
                )
        return None

    def _duplicate(
        self, event: ContractViolationEvent, channel: str, now: datetime, memory: RouterMemory
    ) -> _Problem | None:
        # Compared with the incident's latest notification on the channel, not with any
        # earlier one: after firing -> resolved -> firing within the window, the second
        # firing is news (the receiver believes the incident closed).
        latest = memory.latest(channel, event.dedup_key)
        if latest is None or now - latest.created_at >= self._dedup_window:
            return None
        if latest.status is not event.status or latest.severity is not event.severity:
            return None
        return (
            SuppressionReason.DEDUP,
            f"the same {event.status.value} {event.severity.value} notification of "
            f"'{event.dedup_key}' went to '{channel}' at {latest.created_at.isoformat()}, "
            f"within the {_minutes(self._dedup_window)} dedup window",
        )

    def _over_budget(
        self, event: ContractViolationEvent, now: datetime, memory: RouterMemory
    ) -> _Problem | None:
        limit = self._rate_limit
        if limit is None:
            return None
        key = contract_key(event)
        sent = memory.count_for_contract(key, now - limit.window)
        if sent < limit.max_notifications:
            return None
        return (
            SuppressionReason.RATE_LIMITED,
            f"contract '{key}' already had {sent} notifications in the last "
            f"{_minutes(limit.window)} (limit {limit.max_notifications})",
        )

    def _group(self, routed: Iterable[tuple[str, ContractViolationEvent]]) -> list[Delivery]:
        # Batch channels get one delivery per contract (at the place of its first event);
        # the others one delivery per event.
        groups: list[tuple[str, list[ContractViolationEvent]]] = []
        batch_slots: dict[tuple[str, str], int] = {}
        for channel, event in routed:
            if ChannelCapability.BATCH in self._capabilities.get(channel, frozenset()):
                slot_key = (channel, contract_key(event))
                slot = batch_slots.get(slot_key)
                if slot is not None:
                    groups[slot][1].append(event)
                    continue
                batch_slots[slot_key] = len(groups)
            groups.append((channel, [event]))
        return [Delivery(channel, tuple(events)) for channel, events in groups]


def _no_route_detail(event: ContractViolationEvent) -> str:
    ident = f" ({event.contract_id})" if event.contract_id else ""
    return (
        f"no rule selects contract '{event.contract_name}'{ident}, "
        f"type {event.violation_type.value}, domain {event.domain or '-'}, "
        f"owner {event.owner or '-'}"
    )


def _minutes(span: timedelta) -> str:
    minutes = span.total_seconds() / 60
    return f"{minutes:g} min"
