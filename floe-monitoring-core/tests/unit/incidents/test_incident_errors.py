"""Results that cannot be evaluated: never a violation, one notice after K, one recovery."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from floe_monitoring.incidents import (
    IncidentPhase,
    IncidentPolicy,
    IncidentState,
    IncidentTracker,
    Notification,
    NotificationKind,
)
from floe_monitoring.sdk.enums import EventStatus, Severity

Steps = list[list[Notification]]
Runner = Callable[..., tuple[IncidentState, Steps]]

T0 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
STEP = timedelta(minutes=5)


def timeline(steps: Steps) -> list[tuple[int, str]]:
    return [(index, note.kind.value) for index, notes in enumerate(steps) for note in notes]


@pytest.mark.parametrize("fire_after", [1, 2])
def test_errors_never_fire(run: Runner, fire_after: int) -> None:
    state, steps = run(IncidentTracker(IncidentPolicy(fire_after=fire_after)), "E" * 10)
    assert NotificationKind.FIRING not in [n.kind for notes in steps for n in notes]
    assert state.phase is IncidentPhase.OK
    assert state.incident is None
    assert state.history == ""
    assert state.consecutive_errors == 10


@pytest.mark.parametrize(
    ("error_after", "outcomes", "expected"),
    [
        pytest.param(1, "E", [(0, "cannot_evaluate")], id="K=1"),
        pytest.param(3, "EE", [], id="K=3-two-errors"),
        pytest.param(3, "EEE", [(2, "cannot_evaluate")], id="K=3-third-error"),
        pytest.param(3, "E" * 12, [(2, "cannot_evaluate")], id="K=3-one-notice-only"),
        pytest.param(3, "EEPEE", [], id="K=3-pass-breaks-the-run"),
        pytest.param(3, "EEFEE", [(2, "firing")], id="K=3-fail-breaks-the-run"),
        pytest.param(3, "EESE", [(3, "cannot_evaluate")], id="K=3-skipped-ignored"),
        pytest.param(
            3, "EEEP", [(2, "cannot_evaluate"), (3, "can_evaluate")], id="K=3-recovers-on-pass"
        ),
        pytest.param(
            3, "EEEW", [(2, "cannot_evaluate"), (3, "can_evaluate")], id="K=3-recovers-on-warn"
        ),
        pytest.param(3, "EEES", [(2, "cannot_evaluate")], id="K=3-skipped-is-no-recovery"),
        pytest.param(
            3,
            "EEEPEEE",
            [(2, "cannot_evaluate"), (3, "can_evaluate"), (6, "cannot_evaluate")],
            id="K=3-second-episode",
        ),
    ],
)
def test_k_consecutive_errors_send_one_cannot_evaluate(
    run: Runner, error_after: int, outcomes: str, expected: list[tuple[int, str]]
) -> None:
    _, steps = run(IncidentTracker(IncidentPolicy(error_after=error_after)), outcomes)
    assert timeline(steps) == expected


def test_recovery_closes_the_same_episode(run: Runner) -> None:
    state, steps = run(IncidentTracker(), "EEEEP")
    (notice,) = steps[2]
    (recovery,) = steps[4]
    assert (notice.status, recovery.status) == (EventStatus.FIRING, EventStatus.RESOLVED)
    assert recovery.dedup_key == notice.dedup_key
    assert recovery.incident_id == notice.incident_id
    assert notice.first_seen_at == recovery.first_seen_at == T0
    assert (notice.occurrences, recovery.occurrences) == (3, 4)
    assert notice.severity is recovery.severity is Severity.WARNING
    assert notice.result.status.value == "error"
    assert recovery.result.status.value == "pass"
    key = "urn:contract:orders:freshness:orders.updated_at"
    assert notice.dedup_key == f"{key}#cannot-evaluate-20260131T090000Z"
    assert (state.consecutive_errors, state.cannot_evaluate_sent) == (0, False)


def test_second_episode_gets_its_own_key(run: Runner) -> None:
    _, steps = run(IncidentTracker(), "EEEPEEE")
    first, second = steps[2][0], steps[6][0]
    assert first.dedup_key != second.dedup_key
    assert second.first_seen_at == T0 + 4 * STEP


def test_notice_severity_is_configurable(run: Runner) -> None:
    policy = IncidentPolicy(cannot_evaluate_severity=Severity.ERROR)
    _, steps = run(IncidentTracker(policy), "EEE")
    assert steps[2][0].severity is Severity.ERROR


def test_recovery_comes_before_what_the_result_itself_says(run: Runner) -> None:
    _, steps = run(IncidentTracker(), "EEEF")
    assert [n.kind for n in steps[3]] == [NotificationKind.CAN_EVALUATE, NotificationKind.FIRING]
    assert steps[3][0].dedup_key != steps[3][1].dedup_key


def test_errors_while_firing_keep_the_incident_open(run: Runner) -> None:
    state, steps = run(IncidentTracker(), "FEEEE")
    assert timeline(steps) == [(0, "firing"), (3, "cannot_evaluate")]
    assert state.phase is IncidentPhase.FIRING
    assert state.incident is not None
    assert state.incident.occurrences == 1
    assert state.dedup_key != steps[3][0].dedup_key


def test_errors_keep_the_failing_run_and_its_start(run: Runner) -> None:
    state, _ = run(IncidentTracker(IncidentPolicy(fire_after=5)), "FEFEF")
    assert state.consecutive_failures == 3
    assert state.failing_since == T0
    assert state.phase is IncidentPhase.PENDING
