"""`IncidentTracker`: turns a check's stream of results into a few notifications.

For each check (contract, check type, element) the tracker runs ok → pending → firing →
resolved: an incident fires after ``fire_after`` failing results in a row and resolves
after ``resolve_after`` passing ones. Receivers hear about transitions, about a severity
that rises, optionally a reminder while the incident fires, and, when the check flips
between pass and fail, one "flapping" notice instead of a storm.

Results count as follows:

- ``fail``: a violation; it counts toward firing and toward the incident's occurrences.
- ``pass`` and ``warn``: passing (a warning keeps the promise; its severity is exposed
  by `IncidentTracker.severity_of` for the engine to route).
- ``error``: the monitor could not evaluate the promise. Never a violation, and it
  neither breaks nor extends a failing or passing run. ``error_after`` of them in a row
  send one ``cannot_evaluate`` notice, and the next evaluated result one
  ``can_evaluate``.
- ``skipped``: ignored.

The tracker is pure: the same state, result, time and count give the same answer, and
the caller stores the returned state.
"""

from __future__ import annotations

from datetime import UTC, datetime

from floe_monitoring.checks import CheckResult, CheckStatus
from floe_monitoring.incidents.flapping import (
    FAILED,
    is_flapping,
    push_outcome,
    state_change_ratio,
)
from floe_monitoring.incidents.keys import (
    evaluation_dedup_key,
    incident_dedup_key,
    notification_id,
    stable_id,
)
from floe_monitoring.incidents.notifications import Notification, NotificationKind
from floe_monitoring.incidents.policy import IncidentPolicy
from floe_monitoring.incidents.severity import result_severity
from floe_monitoring.incidents.state import IncidentPhase, IncidentState, OpenIncident
from floe_monitoring.sdk.enums import Severity

__all__ = ["IncidentTracker"]


class IncidentTracker:
    """Decides, result by result, what an incident does and whom to tell.

    Example:
        >>> from floe_monitoring.checks import CheckResult
        >>> now = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
        >>> failing = CheckResult(
        ...     contract_id="orders", contract_name="orders", contract_version="1.0.0",
        ...     check_type="freshness", status="fail", message="orders is 7h old (SLA 6h)",
        ...     started_at=now, duration_seconds=0.2,
        ... )
        >>> tracker = IncidentTracker(IncidentPolicy(fire_after=2))
        >>> state, notes = tracker.observe(None, failing, now=now, violations_24h=1)
        >>> state.phase.value, notes
        ('pending', [])
        >>> state, notes = tracker.observe(state, failing, now=now, violations_24h=2)
        >>> [(note.kind.value, note.dedup_key, note.occurrences) for note in notes]
        [('firing', 'orders:freshness:*#1-20260131T093000Z', 2)]

    """

    def __init__(self, policy: IncidentPolicy | None = None) -> None:
        self._policy = policy or IncidentPolicy()

    @property
    def policy(self) -> IncidentPolicy:
        """The numbers this tracker applies."""
        return self._policy

    def severity_of(self, result: CheckResult, *, violations_24h: int) -> Severity | None:
        """The severity of ``result`` under this policy (warnings included)."""
        return result_severity(
            result, violations_24h=violations_24h, critical_after=self._policy.critical_after
        )

    def observe(
        self,
        state: IncidentState | None,
        result: CheckResult,
        *,
        now: datetime,
        violations_24h: int,
    ) -> tuple[IncidentState, list[Notification]]:
        """Take one result of a check and return the check's new state and notifications.

        Args:
            state: The check's stored state, or None for its first result.
            result: The new result of that check.
            now: The current time, timezone-aware.
            violations_24h: Violations of this result's type for its contract within the
                last 24 h, this result included (more than ``critical_after``: critical).

        Returns:
            The state to store, and the notifications to send, in order.

        Raises:
            ValueError: ``now`` is naive, ``violations_24h`` is negative, or ``state``
                belongs to another check.

        """
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        if violations_24h < 0:
            raise ValueError(f"violations_24h must not be negative, got {violations_24h}")
        now = now.astimezone(UTC)
        if state is None:
            state = IncidentState(check_key=result.key)
        elif state.check_key != result.key:
            raise ValueError(f"state of check {state.check_key!r} given a result of {result.key!r}")

        if result.status is CheckStatus.SKIPPED:
            return state, []
        if result.status is CheckStatus.ERROR:
            return self._observe_error(state, result, now)

        state, notes = self._recover_evaluation(state, result, now)
        was_flapping = state.flapping
        state = self._record_outcome(state, result)
        state = self._advance(state, result, violations_24h)
        if state.flapping:
            # While flapping the state machine keeps counting but receivers hear only
            # that the check flaps, once, on the result that started it.
            if not was_flapping:
                state, note = self._start_flapping(state, result, now)
                notes.append(note)
            return state, notes
        # Not flapping (or just stopped): tell receivers whatever differs from what they
        # last heard. Right after flapping that is at most one notification.
        state, more = self._reconcile(state, result, now)
        return state, notes + more

    # -- outcomes and the state machine ------------------------------------------------

    def _record_outcome(self, state: IncidentState, result: CheckResult) -> IncidentState:
        policy = self._policy
        history = push_outcome(state.history, failed=result.is_violation, window=policy.flap_window)
        flapping = policy.detect_flapping and is_flapping(
            state.flapping,
            state_change_ratio(history, window=policy.flap_window),
            high=policy.flap_high,
            low=policy.flap_low,
        )
        return state.model_copy(update={"history": history, "flapping": flapping})

    def _advance(
        self, state: IncidentState, result: CheckResult, violations_24h: int
    ) -> IncidentState:
        if not result.is_violation:
            passes = state.consecutive_passes + 1
            phase = state.phase
            if phase is IncidentPhase.FIRING and passes >= self._policy.resolve_after:
                phase = IncidentPhase.RESOLVED
            elif phase is IncidentPhase.PENDING:
                # Nothing was announced yet: a pass simply ends the pending run.
                phase = IncidentPhase.OK
            return state.model_copy(
                update={
                    "phase": phase,
                    "consecutive_failures": 0,
                    "consecutive_passes": passes,
                    "failing_since": None,
                }
            )

        severity = self.severity_of(result, violations_24h=violations_24h) or Severity.ERROR
        failures = state.consecutive_failures + 1
        fires = failures >= self._policy.fire_after_for(result.check_type)
        phase = (
            IncidentPhase.FIRING
            if state.phase is IncidentPhase.FIRING or fires
            else IncidentPhase.PENDING
        )
        incident = state.incident
        if incident is not None:
            incident = incident.model_copy(
                update={"occurrences": incident.occurrences + 1, "severity": severity}
            )
        return state.model_copy(
            update={
                "phase": phase,
                "consecutive_failures": failures,
                "consecutive_passes": 0,
                "failing_since": state.failing_since or result.started_at,
                "last_failure_severity": severity,
                "incident": incident,
            }
        )

    # -- notifications about violations ------------------------------------------------

    def _reconcile(
        self, state: IncidentState, result: CheckResult, now: datetime
    ) -> tuple[IncidentState, list[Notification]]:
        incident = state.incident
        if state.phase is not IncidentPhase.FIRING:
            if incident is None:
                return state, []
            note = _notification(NotificationKind.RESOLVED, incident, result, now)
            return state.model_copy(update={"incident": None}), [note]

        if incident is None:
            state, incident = self._open(
                state,
                now,
                first_seen_at=state.failing_since or result.started_at,
                occurrences=max(state.consecutive_failures, 1),
            )
            return state, [_notification(NotificationKind.FIRING, incident, result, now)]

        # Compare with what receivers last heard, so a fall and a rise back do not
        # escalate twice, while a rise after a lower reminder does.
        if incident.severity > incident.last_notified_severity:
            kind = NotificationKind.ESCALATED
        elif self._repeat_due(incident, now):
            kind = NotificationKind.REPEAT
        else:
            return state, []
        escalated = kind is NotificationKind.ESCALATED
        previous = incident.last_notified_severity if escalated else None
        note = _notification(kind, incident, result, now, previous=previous)
        return _notified(state, incident, now), [note]

    def _repeat_due(self, incident: OpenIncident, now: datetime) -> bool:
        interval = self._policy.repeat_interval
        return interval is not None and now - incident.last_notified_at >= interval

    def _start_flapping(
        self, state: IncidentState, result: CheckResult, now: datetime
    ) -> tuple[IncidentState, Notification]:
        incident = state.incident
        if incident is None:
            # Flapping is itself a problem: it opens an incident, so the notice has a key
            # to thread on and the end of flapping can resolve it.
            state, incident = self._open(
                state,
                now,
                first_seen_at=state.failing_since or result.started_at,
                occurrences=max(state.history.count(FAILED), 1),
            )
        else:
            state = _notified(state, incident, now)
        return state, _notification(NotificationKind.FLAPPING, incident, result, now)

    def _open(
        self, state: IncidentState, now: datetime, *, first_seen_at: datetime, occurrences: int
    ) -> tuple[IncidentState, OpenIncident]:
        sequence = state.incidents_opened + 1
        dedup_key = incident_dedup_key(state.check_key, sequence, now)
        severity = state.last_failure_severity or Severity.ERROR
        incident = OpenIncident(
            incident_id=stable_id(dedup_key),
            dedup_key=dedup_key,
            opened_at=now,
            first_seen_at=first_seen_at,
            occurrences=occurrences,
            severity=severity,
            last_notified_at=now,
            last_notified_severity=severity,
        )
        state = state.model_copy(update={"incidents_opened": sequence, "incident": incident})
        return state, incident

    # -- results that cannot be evaluated ------------------------------------------------

    def _observe_error(
        self, state: IncidentState, result: CheckResult, now: datetime
    ) -> tuple[IncidentState, list[Notification]]:
        errors = state.consecutive_errors + 1
        state = state.model_copy(
            update={
                "consecutive_errors": errors,
                "errors_since": state.errors_since or result.started_at,
            }
        )
        if errors < self._policy.error_after or state.cannot_evaluate_sent:
            return state, []
        state = state.model_copy(update={"cannot_evaluate_sent": True})
        notice = self._evaluation_notice(NotificationKind.CANNOT_EVALUATE, state, result, now)
        return state, [notice]

    def _recover_evaluation(
        self, state: IncidentState, result: CheckResult, now: datetime
    ) -> tuple[IncidentState, list[Notification]]:
        if not state.consecutive_errors and not state.cannot_evaluate_sent:
            return state, []
        notes = []
        if state.cannot_evaluate_sent:
            notes.append(self._evaluation_notice(NotificationKind.CAN_EVALUATE, state, result, now))
        state = state.model_copy(
            update={"consecutive_errors": 0, "errors_since": None, "cannot_evaluate_sent": False}
        )
        return state, notes

    def _evaluation_notice(
        self, kind: NotificationKind, state: IncidentState, result: CheckResult, now: datetime
    ) -> Notification:
        since = state.errors_since or result.started_at
        dedup_key = evaluation_dedup_key(state.check_key, since)
        incident_id = stable_id(dedup_key)
        occurrences = max(state.consecutive_errors, 1)
        return Notification(
            kind=kind,
            severity=self._policy.cannot_evaluate_severity,
            dedup_key=dedup_key,
            incident_id=incident_id,
            event_id=notification_id(incident_id, kind.value, now, occurrences),
            first_seen_at=since,
            occurrences=occurrences,
            at=now,
            result=result,
        )


def _notification(
    kind: NotificationKind,
    incident: OpenIncident,
    result: CheckResult,
    now: datetime,
    *,
    previous: Severity | None = None,
) -> Notification:
    return Notification(
        kind=kind,
        severity=incident.severity,
        previous_severity=previous,
        dedup_key=incident.dedup_key,
        incident_id=incident.incident_id,
        event_id=notification_id(incident.incident_id, kind.value, now, incident.occurrences),
        first_seen_at=incident.first_seen_at,
        occurrences=incident.occurrences,
        at=now,
        result=result,
    )


def _notified(state: IncidentState, incident: OpenIncident, now: datetime) -> IncidentState:
    # Receivers now know the incident at its current severity: restart the repeat clock.
    heard = incident.model_copy(
        update={"last_notified_at": now, "last_notified_severity": incident.severity}
    )
    return state.model_copy(update={"incident": heard})
