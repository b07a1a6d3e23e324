"""The violation state machine: firing, resolving, escalating, repeating, new incidents."""

from __future__ import annotations

import doctest
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from floe_monitoring import ContractViolationEvent
from floe_monitoring.checks import CheckResult, CheckType
from floe_monitoring.incidents import (
    IncidentPhase,
    IncidentPolicy,
    IncidentState,
    IncidentTracker,
    Notification,
    NotificationKind,
)
from floe_monitoring.incidents import tracker as tracker_module
from floe_monitoring.sdk.enums import EventStatus, Severity

Steps = list[list[Notification]]
Runner = Callable[..., tuple[IncidentState, Steps]]
ResultFactory = Callable[..., CheckResult]

T0 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
STEP = timedelta(minutes=5)


def timeline(steps: Steps) -> list[tuple[int, str]]:
    """Each notification as (step index, kind)."""
    return [(index, note.kind.value) for index, notes in enumerate(steps) for note in notes]


def flat(steps: Steps) -> list[Notification]:
    return [note for notes in steps for note in notes]


@pytest.mark.parametrize(
    ("policy", "outcomes", "expected", "phase"),
    [
        pytest.param({}, "F", [(0, "firing")], IncidentPhase.FIRING, id="N=1-fires-at-once"),
        pytest.param({"fire_after": 3}, "FF", [], IncidentPhase.PENDING, id="N=3-two-pending"),
        pytest.param(
            {"fire_after": 3}, "FFF", [(2, "firing")], IncidentPhase.FIRING, id="N=3-third-fires"
        ),
        pytest.param({"fire_after": 3}, "FFPFF", [], IncidentPhase.PENDING, id="N=3-pass-breaks"),
        pytest.param({"fire_after": 3}, "FFWF", [], IncidentPhase.PENDING, id="N=3-warn-breaks"),
        pytest.param(
            {"fire_after": 3},
            "FEFEF",
            [(4, "firing")],
            IncidentPhase.FIRING,
            id="N=3-errors-do-not-break",
        ),
        pytest.param(
            {"fire_after": 3},
            "FSFSF",
            [(4, "firing")],
            IncidentPhase.FIRING,
            id="N=3-skipped-ignored",
        ),
        pytest.param({"fire_after": 2}, "FP", [], IncidentPhase.OK, id="pending-pass-is-ok"),
        pytest.param(
            {"fire_after_by_type": {CheckType.FRESHNESS: 3}},
            "FFF",
            [(2, "firing")],
            IncidentPhase.FIRING,
            id="per-type-override-applies",
        ),
        pytest.param(
            {"fire_after_by_type": {CheckType.AVAILABILITY: 3}},
            "F",
            [(0, "firing")],
            IncidentPhase.FIRING,
            id="other-type-override-ignored",
        ),
    ],
)
def test_fires_after_n_consecutive_failures(
    run: Runner,
    policy: dict[str, Any],
    outcomes: str,
    expected: list[tuple[int, str]],
    phase: IncidentPhase,
) -> None:
    state, steps = run(IncidentTracker(IncidentPolicy(**policy)), outcomes)
    assert timeline(steps) == expected
    assert state.phase is phase


@pytest.mark.parametrize(
    ("resolve_after", "outcomes", "expected", "phase"),
    [
        pytest.param(1, "FP", [(0, "firing"), (1, "resolved")], IncidentPhase.RESOLVED, id="M=1"),
        pytest.param(2, "FP", [(0, "firing")], IncidentPhase.FIRING, id="M=2-one-pass-holds"),
        pytest.param(
            2, "FPP", [(0, "firing"), (2, "resolved")], IncidentPhase.RESOLVED, id="M=2-resolves"
        ),
        pytest.param(2, "FPFP", [(0, "firing")], IncidentPhase.FIRING, id="M=2-fail-breaks"),
        pytest.param(
            2,
            "FPEP",
            [(0, "firing"), (3, "resolved")],
            IncidentPhase.RESOLVED,
            id="M=2-errors-do-not-break",
        ),
        pytest.param(
            2, "FWW", [(0, "firing"), (2, "resolved")], IncidentPhase.RESOLVED, id="M=2-warn-passes"
        ),
        pytest.param(
            1,
            "FPPPP",
            [(0, "firing"), (1, "resolved")],
            IncidentPhase.RESOLVED,
            id="resolved-stays-quiet",
        ),
    ],
)
def test_resolves_after_m_consecutive_passes(
    run: Runner,
    resolve_after: int,
    outcomes: str,
    expected: list[tuple[int, str]],
    phase: IncidentPhase,
) -> None:
    state, steps = run(IncidentTracker(IncidentPolicy(resolve_after=resolve_after)), outcomes)
    assert timeline(steps) == expected
    assert state.phase is phase


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        pytest.param("F" * 10, [(0, "firing")], id="ten-failures-one-firing"),
        pytest.param("F" * 10 + "P" * 10, [(0, "firing"), (10, "resolved")], id="then-ten-passes"),
        pytest.param("P" * 10, [], id="passes-say-nothing"),
        pytest.param("W" * 10, [], id="warnings-say-nothing"),
    ],
)
def test_notifies_on_transitions_only(
    run: Runner, outcomes: str, expected: list[tuple[int, str]]
) -> None:
    _, steps = run(IncidentTracker(), outcomes)
    assert timeline(steps) == expected


@pytest.mark.parametrize(
    ("severities", "violations", "expected"),
    [
        pytest.param(
            [Severity.ERROR, Severity.CRITICAL, Severity.CRITICAL],
            1,
            [(0, "firing"), (1, "escalated")],
            id="rise-escalates-once",
        ),
        pytest.param(
            [Severity.CRITICAL, Severity.ERROR, Severity.WARNING],
            1,
            [(0, "firing")],
            id="fall-is-silent",
        ),
        pytest.param(
            [Severity.ERROR, Severity.CRITICAL, Severity.ERROR, Severity.CRITICAL],
            1,
            [(0, "firing"), (1, "escalated")],
            id="fall-and-rise-back-is-silent",
        ),
        pytest.param(
            [Severity.WARNING, Severity.ERROR, Severity.CRITICAL],
            1,
            [(0, "firing"), (1, "escalated"), (2, "escalated")],
            id="each-rise-escalates",
        ),
        pytest.param(
            [None] * 4, [2, 3, 4, 5], [(0, "firing"), (2, "escalated")], id="rise-by-count"
        ),
    ],
)
def test_escalates_only_when_severity_rises(
    run: Runner,
    severities: list[Severity | None],
    violations: int | list[int],
    expected: list[tuple[int, str]],
) -> None:
    outcomes = "F" * len(severities)
    _, steps = run(IncidentTracker(), outcomes, severity=severities, violations=violations)
    assert timeline(steps) == expected
    for note in flat(steps):
        if note.kind is NotificationKind.ESCALATED:
            assert note.previous_severity is not None
            assert note.severity > note.previous_severity


def test_escalation_names_the_previous_severity(run: Runner) -> None:
    _, steps = run(IncidentTracker(), "FF", severity=[Severity.ERROR, Severity.CRITICAL])
    (note,) = steps[1]
    assert (note.previous_severity, note.severity) == (Severity.ERROR, Severity.CRITICAL)
    assert note.status is EventStatus.FIRING


@pytest.mark.parametrize(
    ("interval", "outcomes", "expected"),
    [
        pytest.param(None, "F" * 14, [(0, "firing")], id="no-interval-no-repeat"),
        pytest.param(
            timedelta(minutes=30),
            "F" * 14,
            [(0, "firing"), (6, "repeat"), (12, "repeat")],
            id="every-30-min",
        ),
        pytest.param(
            timedelta(minutes=12),
            "F" * 7,
            [(0, "firing"), (3, "repeat"), (6, "repeat")],
            id="first-result-after-interval",
        ),
        pytest.param(
            timedelta(minutes=10),
            "FPFPF",
            [(0, "firing"), (2, "repeat"), (4, "repeat")],
            id="repeats-on-passes-before-resolve",
        ),
        pytest.param(
            timedelta(minutes=10),
            "FEEEE",
            [(0, "firing"), (3, "cannot_evaluate")],
            id="errors-do-not-repeat",
        ),
    ],
)
def test_repeats_while_firing_on_the_interval(
    run: Runner, interval: timedelta | None, outcomes: str, expected: list[tuple[int, str]]
) -> None:
    policy = IncidentPolicy(repeat_interval=interval, resolve_after=3)
    _, steps = run(IncidentTracker(policy), outcomes)
    assert timeline(steps) == expected


def test_repeat_stops_after_resolution(run: Runner) -> None:
    policy = IncidentPolicy(repeat_interval=timedelta(minutes=5))
    _, steps = run(IncidentTracker(policy), "FFPPPP")
    assert timeline(steps) == [(0, "firing"), (1, "repeat"), (2, "resolved")]


def test_escalation_restarts_the_repeat_clock(run: Runner) -> None:
    policy = IncidentPolicy(repeat_interval=timedelta(minutes=10))
    severities = [Severity.ERROR, Severity.CRITICAL, Severity.CRITICAL, Severity.CRITICAL]
    _, steps = run(IncidentTracker(policy), "FFFF", severity=severities)
    assert timeline(steps) == [(0, "firing"), (1, "escalated"), (3, "repeat")]


@pytest.mark.parametrize(
    ("violations", "critical_after", "severity"),
    [
        pytest.param(1, 3, Severity.ERROR, id="first"),
        pytest.param(3, 3, Severity.ERROR, id="exactly-3-is-not-critical"),
        pytest.param(4, 3, Severity.CRITICAL, id="more-than-3-is-critical"),
        pytest.param(10, 3, Severity.CRITICAL, id="many"),
        pytest.param(5, 5, Severity.ERROR, id="configured-boundary"),
        pytest.param(6, 5, Severity.CRITICAL, id="configured-above"),
    ],
)
def test_critical_when_more_than_critical_after_violations_in_24h(
    run: Runner, violations: int, critical_after: int, severity: Severity
) -> None:
    tracker = IncidentTracker(IncidentPolicy(critical_after=critical_after))
    _, steps = run(tracker, "F", violations=violations)
    (note,) = steps[0]
    assert note.kind is NotificationKind.FIRING
    assert note.severity is severity


def test_failure_keeps_its_own_severity_below_the_critical_count(run: Runner) -> None:
    _, steps = run(IncidentTracker(), "F", severity=Severity.WARNING, violations=3)
    assert flat(steps)[0].severity is Severity.WARNING
    _, steps = run(IncidentTracker(), "F", severity=Severity.WARNING, violations=4)
    assert flat(steps)[0].severity is Severity.CRITICAL


@pytest.mark.parametrize(
    ("status", "own", "violations", "expected"),
    [
        pytest.param("F", None, 1, Severity.ERROR, id="fail-defaults-to-error"),
        pytest.param("F", Severity.CRITICAL, 1, Severity.CRITICAL, id="fail-keeps-critical"),
        pytest.param("F", Severity.INFO, 4, Severity.CRITICAL, id="fail-count-critical"),
        pytest.param("W", None, 1, Severity.WARNING, id="warn-defaults-to-warning"),
        pytest.param("W", Severity.INFO, 1, Severity.INFO, id="warn-keeps-info"),
        pytest.param("W", Severity.WARNING, 9, Severity.WARNING, id="warn-never-critical"),
        pytest.param("P", None, 9, None, id="pass-has-none"),
        pytest.param("E", Severity.ERROR, 9, None, id="error-has-none"),
        pytest.param("S", None, 9, None, id="skipped-has-none"),
    ],
)
def test_severity_of_each_status(
    result_factory: ResultFactory,
    status: str,
    own: Severity | None,
    violations: int,
    expected: Severity | None,
) -> None:
    result = result_factory(status, severity=own)
    assert IncidentTracker().severity_of(result, violations_24h=violations) is expected


def test_occurrences_and_first_seen_count_the_whole_incident(run: Runner) -> None:
    policy = IncidentPolicy(fire_after=3, resolve_after=2)
    state, steps = run(IncidentTracker(policy), "FEFF FPF PP")
    firing, resolved = flat(steps)
    assert (firing.kind, resolved.kind) == (NotificationKind.FIRING, NotificationKind.RESOLVED)
    assert firing.occurrences == 3
    assert firing.first_seen_at == T0
    assert resolved.occurrences == 5
    assert resolved.first_seen_at == T0
    assert state.incident is None


def test_new_failure_after_resolution_opens_a_new_incident(run: Runner) -> None:
    state, steps = run(IncidentTracker(), "FFP F")
    first, resolved, second = flat(steps)
    assert [n.kind for n in (first, resolved, second)] == [
        NotificationKind.FIRING,
        NotificationKind.RESOLVED,
        NotificationKind.FIRING,
    ]
    assert resolved.incident_id == first.incident_id
    assert resolved.dedup_key == first.dedup_key
    assert second.incident_id != first.incident_id
    assert second.dedup_key != first.dedup_key
    assert second.occurrences == 1
    assert second.first_seen_at == T0 + 3 * STEP
    assert state.incidents_opened == 2
    assert state.dedup_key == second.dedup_key


def test_skipped_result_changes_nothing(run: Runner, result_factory: ResultFactory) -> None:
    tracker = IncidentTracker(IncidentPolicy(fire_after=2))
    state, _ = run(tracker, "FE")
    after, notes = tracker.observe(state, result_factory("S"), now=T0, violations_24h=9)
    assert after == state
    assert notes == []


def test_every_notification_carries_the_triggering_result(run: Runner) -> None:
    _, steps = run(IncidentTracker(), "FP")
    assert [n.result.status.value for n in flat(steps)] == ["fail", "pass"]
    assert [n.at for n in flat(steps)] == [T0, T0 + STEP]


def test_event_ids_are_fresh_per_notification_and_replay_stable(run: Runner) -> None:
    policy = IncidentPolicy(repeat_interval=timedelta(minutes=5))
    _, steps = run(IncidentTracker(policy), "FFFP")
    _, again = run(IncidentTracker(policy), "FFFP")
    ids = [n.event_id for n in flat(steps)]
    assert len(ids) == 4
    assert len(set(ids)) == len(ids)
    assert [n.event_id for n in flat(again)] == ids


def test_notification_builds_a_contract_violation_event(run: Runner) -> None:
    _, steps = run(IncidentTracker(), "FFP", violations=[1, 4, 4])
    events = [ContractViolationEvent(**n.event_fields()) for n in flat(steps)]
    firing, escalated, resolved = events
    assert [e.status for e in events] == [
        EventStatus.FIRING,
        EventStatus.FIRING,
        EventStatus.RESOLVED,
    ]
    assert len({e.dedup_key for e in events}) == 1
    assert len({e.event_id for e in events}) == 3
    assert escalated.severity is Severity.CRITICAL
    assert escalated.metadata["previous_severity"] == "error"
    assert escalated.metadata["priority"] == "P1"
    assert resolved.occurrences == 2
    assert resolved.first_seen_at == firing.first_seen_at == T0
    assert firing.contract_id == "urn:contract:orders"
    assert firing.element == "orders.updated_at"
    assert firing.actual_value == "25200.0"


def test_now_is_normalised_to_utc(result_factory: ResultFactory) -> None:
    local = datetime(2026, 1, 31, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    state, (note,) = IncidentTracker().observe(
        None, result_factory("F"), now=local, violations_24h=1
    )
    assert note.at == T0
    assert note.at.tzinfo is UTC
    assert state.dedup_key is not None
    assert state.dedup_key.endswith("#1-20260131T090000Z")


@pytest.mark.parametrize(
    ("now", "violations", "message"),
    [
        pytest.param(datetime(2026, 1, 31, 9, 0), 1, "timezone-aware", id="naive-now"),
        pytest.param(T0, -1, "must not be negative", id="negative-count"),
    ],
)
def test_rejects_bad_inputs(
    result_factory: ResultFactory, now: datetime, violations: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        IncidentTracker().observe(None, result_factory("F"), now=now, violations_24h=violations)


def test_rejects_the_state_of_another_check(result_factory: ResultFactory) -> None:
    tracker = IncidentTracker()
    state, _ = tracker.observe(None, result_factory("F"), now=T0, violations_24h=1)
    other = result_factory("F", element="orders.created_at")
    with pytest.raises(ValueError, match=r"orders\.created_at"):
        tracker.observe(state, other, now=T0, violations_24h=1)


def test_default_policy_is_the_spec_default() -> None:
    assert IncidentTracker().policy == IncidentPolicy()


def test_docstring_example_runs() -> None:
    outcome = doctest.testmod(tracker_module)
    assert outcome.attempted > 0
    assert outcome.failed == 0
