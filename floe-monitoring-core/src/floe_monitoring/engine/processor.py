"""From check results to one cycle's writes: incidents, events, routing, outbox rows.

The processor is the single writer of incident state in this process. It keeps the
state it needs in memory (hydrated from the database at start) and returns, for every
batch of results, the `CycleWrite` that the monitor commits in one transaction.
"""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pluggy

from floe_monitoring.channels.hooks import enrich_event
from floe_monitoring.checks.base import CheckResult
from floe_monitoring.contracts.model import Contract
from floe_monitoring.contracts.overrides import ContractOverrides
from floe_monitoring.engine.events import build_event
from floe_monitoring.incidents import IncidentState, IncidentTracker, Notification, NotificationKind
from floe_monitoring.routing import AlertRouter, RouterMemory, SuppressionReason
from floe_monitoring.sdk.enums import EventStatus
from floe_monitoring.sdk.event import ContractViolationEvent
from floe_monitoring.sdk.plugin import ChannelCapability
from floe_monitoring.store.cycle import CycleWrite, StoredResult
from floe_monitoring.store.outbox import OutboxEntry
from floe_monitoring.telemetry import trace_metadata_from

__all__ = ["Processed", "ResultProcessor"]

_log = logging.getLogger("floe_monitoring.engine")
_DAY = timedelta(hours=24)


@dataclass(frozen=True)
class Processed:
    """What one batch produced (for `run_once` callers and tests).

    Attributes:
        cycle: The writes to commit.
        events: The notifications raised.
        dropped: Results left out because they could not be processed (logged).
    """

    cycle: CycleWrite
    events: tuple[ContractViolationEvent, ...]
    dropped: int = 0


class ResultProcessor:
    """Incident tracking, event building and routing for batches of results.

    Args:
        tracker: The incident state machine.
        router: The alert router.
        capabilities: Each configured channel's declared capabilities.
        contract: Looks up the loaded contract (and its overrides) by id.
        deadline: How long a notification may be retried before it is dead-lettered.
        hooks: pluggy manager whose `floe_enrich_event` implementations run on every event.
    """

    def __init__(
        self,
        tracker: IncidentTracker,
        router: AlertRouter,
        capabilities: Mapping[str, frozenset[ChannelCapability]],
        contract: Callable[[str], tuple[Contract | None, ContractOverrides | None]],
        *,
        deadline: timedelta,
        hooks: pluggy.PluginManager | None = None,
    ) -> None:
        self.tracker = tracker
        self.router = router
        self._capabilities = dict(capabilities)
        self._contract = contract
        self._deadline = deadline
        self._hooks = hooks
        self.states: dict[str, IncidentState] = {}
        self.memory = RouterMemory()
        self._violations: dict[tuple[str, str], deque[datetime]] = defaultdict(deque)
        self._incidents: dict[str, dict[str, Any]] = {}
        #: Results dropped since start because they could not be processed.
        self.dropped = 0

    # -- hydration -------------------------------------------------------------------

    def hydrate(
        self,
        *,
        states: Mapping[str, Mapping[str, Any]],
        notifications: Sequence[Mapping[str, Any]],
        violations: Sequence[tuple[str, str, datetime]],
        open_incidents: Sequence[Mapping[str, Any]],
    ) -> None:
        """Restore what the database remembers (after a restart or on a new replica)."""
        for key, data in states.items():
            try:
                self.states[key] = IncidentState.model_validate(data)
            except ValueError:
                _log.warning("stored incident state of %s is unreadable: starting it afresh", key)
        self.memory = RouterMemory.from_history(notifications)
        for contract_id, check_type, at in sorted(violations, key=lambda v: v[2]):
            self._violations[(contract_id, check_type)].append(at)
        self._incidents = {row["incident_id"]: dict(row) for row in open_incidents}

    def refresh(
        self,
        *,
        states: Mapping[str, Mapping[str, Any]],
        notifications: Sequence[Mapping[str, Any]],
        contract_ids: Sequence[str],
        violations: Sequence[tuple[str, str, datetime]],
    ) -> None:
        """Take in what other replicas wrote (shared scheduling on PostgreSQL).

        The checks of a batch may have run on another replica last time: their incident
        state, the routing memory and the 24 h violation counts are re-read first.
        """
        for key, data in states.items():
            self.states[key] = IncidentState.model_validate(data)
        self.memory = RouterMemory.from_history(notifications)
        wanted = set(contract_ids)
        for pair in [p for p in self._violations if p[0] in wanted]:
            del self._violations[pair]
        for contract_id, check_type, at in sorted(violations, key=lambda v: v[2]):
            self._violations[(contract_id, check_type)].append(at)

    # -- processing ------------------------------------------------------------------

    def process(
        self,
        results: Sequence[tuple[CheckResult, datetime | None, str | None]],
        *,
        now: datetime,
    ) -> Processed:
        """Track incidents for `results`, route the notifications, return the writes.

        A result that cannot be processed (its event cannot be built, say, from text
        that is not valid Unicode) is left out, logged in one line and counted in
        `dropped`; the batch's other results are processed as if it were not there.
        """
        cycle = CycleWrite()
        events: list[ContractViolationEvent] = []
        dropped = 0
        for result, due_at, traceparent in results:
            try:
                self._process_one(result, due_at, traceparent, cycle, events, now)
            except Exception as exc:  # one bad result must not cost the others their alerts
                dropped += 1
                _log.error(
                    "result of check %s (contract %s) dropped: it could not be processed (%s)",
                    _printable(result.key),
                    _printable(result.contract_name),
                    type(exc).__name__,
                )
        self.dropped += dropped
        self._route(events, cycle, now)
        return Processed(cycle, tuple(events), dropped)

    def _process_one(
        self,
        result: CheckResult,
        due_at: datetime | None,
        traceparent: str | None,
        cycle: CycleWrite,
        events: list[ContractViolationEvent],
        now: datetime,
    ) -> None:
        # Everything that may raise runs first; the processor's memory and the cycle are
        # changed only after it, so a failing result leaves no trace in either.
        trace = trace_metadata_from(traceparent)
        trace_id = trace.get("trace_id")
        contract, overrides = self._contract(result.contract_id)
        name = contract.name if contract else result.contract_name
        maintenance = self.router.in_maintenance(
            contract_name=name, contract_id=result.contract_id, now=now
        )
        window = self._violations[(result.contract_id, result.violation_type.value)]
        count = self._count_violation(window, result)
        state, notes = self.tracker.observe(
            self.states.get(result.key), result, now=now, violations_24h=count
        )
        built: list[ContractViolationEvent] = []
        for note in notes:
            event = build_event(note, contract, overrides, trace=trace)
            if self._hooks is not None:
                event = enrich_event(self._hooks, event)
            built.append(event)
        state_row = {
            "check_key": result.key,
            "contract_id": result.contract_id,
            "state": state.model_dump(mode="json"),
            "updated_at": now,
        }

        if result.is_violation:
            window.append(result.started_at)
        cycle.results.append(StoredResult(result, due_at, trace_id, maintenance))
        if result.observed_schema is not None and result.observed_schema_fingerprint:
            cycle.observed_schemas.append(
                {
                    "check_key": result.key,
                    "fingerprint": result.observed_schema_fingerprint,
                    "schema": result.observed_schema,
                    "observed_at": result.started_at,
                }
            )
        self.states[result.key] = state
        cycle.incident_states.append(state_row)
        for note in notes:
            self._track_incident(note, cycle)
        events.extend(built)

    @staticmethod
    def _count_violation(window: deque[datetime], result: CheckResult) -> int:
        """Violations in the 24 h before `result`, itself included (the caller records it)."""
        while window and window[0] <= result.started_at - _DAY:
            window.popleft()
        return len(window) + (1 if result.is_violation else 0)

    def _track_incident(self, note: Notification, cycle: CycleWrite) -> None:
        if note.kind in (NotificationKind.CANNOT_EVALUATE, NotificationKind.CAN_EVALUATE):
            return  # notices about the monitor's reach, not incidents of the data
        result = note.result
        incident_id = str(note.incident_id)
        row = self._incidents.get(incident_id) or {
            "incident_id": incident_id,
            "dedup_key": note.dedup_key,
            "contract_id": result.contract_id,
            "check_key": result.key,
            "check_type": result.check_type.value,
            "element": result.element,
            "opened_at": note.first_seen_at,
            "resolved_at": None,
            "acknowledged_at": None,
            "acknowledged_by": None,
        }
        resolved = note.status is EventStatus.RESOLVED
        if resolved:
            status = "resolved"
        elif row.get("status") == "acknowledged":
            status = "acknowledged"  # a person acknowledged it: keep that until it resolves
        else:
            status = "firing"
        row.update(
            severity=note.severity.value,
            status=status,
            last_seen_at=note.at,
            occurrences=note.occurrences,
            last_message=result.message[:2000],
        )
        if resolved:
            row["resolved_at"] = note.at
            self._incidents.pop(incident_id, None)
        else:
            self._incidents[incident_id] = row
        cycle.incidents.append(dict(row))

    def route_events(self, events: list[ContractViolationEvent], *, now: datetime) -> CycleWrite:
        """Route events that did not come from a check result (budget burns)."""
        cycle = CycleWrite()
        if self._hooks is not None:
            events = [enrich_event(self._hooks, e) for e in events]
        self._route(events, cycle, now)
        return cycle

    def _route(
        self, events: list[ContractViolationEvent], cycle: CycleWrite, now: datetime
    ) -> None:
        if not events:
            return
        decision = self.router.route(events, now=now, memory=self.memory)
        for delivery in decision.deliveries:
            capabilities = self._capabilities.get(delivery.channel, frozenset())
            wanted = [
                e
                for e in delivery.events
                if not e.is_resolved or ChannelCapability.RESOLVE in capabilities
            ]
            for event in delivery.events:
                if event not in wanted:
                    cycle.suppressions.append(
                        _suppression(
                            event,
                            delivery.channel,
                            SuppressionReason.RESOLVED_NOT_WANTED.value,
                            "the channel does not declare the resolve capability",
                            now,
                        )
                    )
            if not wanted:
                continue
            batches = (
                [wanted]
                if len(wanted) > 1 and ChannelCapability.BATCH in capabilities
                else [[e] for e in wanted]
            )
            for batch in batches:
                cycle.outbox.append(
                    OutboxEntry(
                        channel=delivery.channel,
                        events=tuple(batch),
                        created_at=now,
                        deadline_at=now + self._deadline,
                    )
                )
        for suppression in decision.suppressions:
            cycle.suppressions.append(
                _suppression(
                    suppression.event,
                    suppression.channel,
                    suppression.reason.value,
                    suppression.detail,
                    now,
                )
            )


def _printable(text: str) -> str:
    # Names in a log line: a lone surrogate (the usual reason a result cannot be
    # processed) would make a UTF-8 log handler fail, a line break would split the line.
    escaped = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return escaped.replace("\r", "\\r").replace("\n", "\\n")[:200]


def _suppression(
    event: ContractViolationEvent, channel: str | None, reason: str, detail: str, now: datetime
) -> dict[str, Any]:
    return {
        "created_at": now,
        "event_id": str(event.event_id),
        "dedup_key": event.dedup_key,
        "contract_id": event.contract_id or event.contract_name,
        "channel": channel,
        "reason": reason,
        "detail": detail,
    }
