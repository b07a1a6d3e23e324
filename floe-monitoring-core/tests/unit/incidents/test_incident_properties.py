"""Properties over any sequence of results: balanced notifications and sound state."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from floe_monitoring.checks import CheckResult
from floe_monitoring.incidents import (
    IncidentPhase,
    IncidentPolicy,
    IncidentState,
    IncidentTracker,
    Notification,
    NotificationKind,
)
from floe_monitoring.sdk.enums import Severity
from floe_monitoring.sdk.event import MAX_DEDUP_KEY_LENGTH

ResultFactory = Callable[..., CheckResult]
Step = tuple[str, int, Severity | None]

T0 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
STEP = timedelta(minutes=5)
EVALUATION = {NotificationKind.CANNOT_EVALUATE, NotificationKind.CAN_EVALUATE}
HELD_BACK_WHILE_FLAPPING = {
    NotificationKind.FIRING,
    NotificationKind.RESOLVED,
    NotificationKind.ESCALATED,
    NotificationKind.REPEAT,
    NotificationKind.FLAPPING,
}

steps_strategy = st.lists(
    st.tuples(
        st.sampled_from("FFFPPWES"),
        st.integers(min_value=0, max_value=6),
        st.sampled_from([None, *Severity]),
    ),
    max_size=70,
)
policies = st.builds(
    IncidentPolicy,
    fire_after=st.integers(min_value=1, max_value=4),
    resolve_after=st.integers(min_value=1, max_value=3),
    repeat_interval=st.sampled_from([None, STEP, timedelta(minutes=17)]),
    detect_flapping=st.booleans(),
    flap_window=st.sampled_from([5, 21]),
    error_after=st.integers(min_value=1, max_value=4),
)


def replay(
    policy: IncidentPolicy, steps: list[Step], make: ResultFactory
) -> list[tuple[IncidentState, IncidentState, CheckResult, list[Notification]]]:
    """Feed the steps; return (before, after, result, notifications) for each."""
    tracker = IncidentTracker(policy)
    state = IncidentState(check_key=make("P").key)
    trace = []
    for index, (letter, violations, severity) in enumerate(steps):
        now = T0 + index * STEP
        result = make(letter, started_at=now, severity=severity)
        after, notes = tracker.observe(state, result, now=now, violations_24h=violations)
        trace.append((state, after, result, notes))
        state = after
    return trace


def check_state(state: IncidentState, policy: IncidentPolicy) -> None:
    assert IncidentState.model_validate_json(state.model_dump_json()) == state
    assert set(state.history) <= {"F", "P"}
    assert len(state.history) <= policy.flap_window
    assert not (state.consecutive_failures and state.consecutive_passes)
    if not state.flapping:
        assert (state.phase is IncidentPhase.FIRING) == (state.incident is not None)
    if state.incident is not None:
        assert len(state.incident.dedup_key) <= MAX_DEDUP_KEY_LENGTH
        assert state.incident.occurrences >= 1
        if not state.flapping:
            # Every rise has been announced by the time the state is stored.
            assert state.incident.severity <= state.incident.last_notified_severity


@settings(max_examples=200, deadline=None)
@given(policy=policies, steps=steps_strategy)
def test_state_invariants_hold_after_every_result(
    result_factory: ResultFactory, policy: IncidentPolicy, steps: list[Step]
) -> None:
    for before, after, result, notes in replay(policy, steps, result_factory):
        check_state(after, policy)
        kinds = [note.kind for note in notes]
        if result.status.value == "skipped":
            assert after == before
            assert kinds == []
        if result.status.value == "error":
            assert set(kinds) <= {NotificationKind.CANNOT_EVALUATE}
        if before.flapping and after.flapping:
            assert not set(kinds) & HELD_BACK_WHILE_FLAPPING
        # At most one message about the violation itself per result.
        assert len([kind for kind in kinds if kind not in EVALUATION]) <= 1


@settings(max_examples=200, deadline=None)
@given(policy=policies, steps=steps_strategy)
def test_every_incident_opens_once_and_resolves_at_most_once(
    result_factory: ResultFactory, policy: IncidentPolicy, steps: list[Step]
) -> None:
    trace = replay(policy, steps, result_factory)
    by_incident: dict[object, list[NotificationKind]] = defaultdict(list)
    for _, _, _, notes in trace:
        for note in notes:
            if note.kind not in EVALUATION:
                by_incident[note.incident_id].append(note.kind)
    for kinds in by_incident.values():
        assert kinds[0] in {NotificationKind.FIRING, NotificationKind.FLAPPING}
        assert kinds.count(NotificationKind.FIRING) + kinds.count(NotificationKind.FLAPPING) >= 1
        assert NotificationKind.RESOLVED not in kinds[:-1]
        assert kinds.count(NotificationKind.FIRING) <= 1
    open_now = [k for k in by_incident.values() if k[-1] is not NotificationKind.RESOLVED]
    final = trace[-1][1] if trace else None
    assert len(open_now) == (1 if final is not None and final.incident is not None else 0)


@settings(max_examples=200, deadline=None)
@given(policy=policies, steps=steps_strategy)
def test_firing_and_resolved_balance_without_flapping(
    result_factory: ResultFactory, policy: IncidentPolicy, steps: list[Step]
) -> None:
    policy = policy.model_copy(update={"detect_flapping": False})
    trace = replay(policy, steps, result_factory)
    counts = Counter(note.kind for _, _, _, notes in trace for note in notes)
    assert counts[NotificationKind.FIRING] - counts[NotificationKind.RESOLVED] in {0, 1}
    assert counts[NotificationKind.FLAPPING] == 0
    evaluations = counts[NotificationKind.CANNOT_EVALUATE], counts[NotificationKind.CAN_EVALUATE]
    evaluation_open = evaluations[0] - evaluations[1]
    assert evaluation_open in {0, 1}
    if trace:
        final = trace[-1][1]
        assert (final.incident is not None) == (
            counts[NotificationKind.FIRING] > counts[NotificationKind.RESOLVED]
        )
        assert final.cannot_evaluate_sent == (evaluation_open == 1)


@settings(max_examples=50, deadline=None)
@given(policy=policies, steps=steps_strategy)
def test_the_tracker_is_deterministic(
    result_factory: ResultFactory, policy: IncidentPolicy, steps: list[Step]
) -> None:
    first = replay(policy, steps, result_factory)
    second = replay(policy, steps, result_factory)
    assert [(after, notes) for _, after, _, notes in first] == [
        (after, notes) for _, after, _, notes in second
    ]
