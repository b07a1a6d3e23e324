"""Flapping: percent state change over the window, hysteresis, one notice not a storm."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from floe_monitoring.incidents import (
    IncidentPolicy,
    IncidentState,
    IncidentTracker,
    Notification,
    NotificationKind,
)
from floe_monitoring.incidents.flapping import is_flapping, push_outcome, state_change_ratio
from floe_monitoring.sdk.enums import Severity

Steps = list[list[Notification]]
Runner = Callable[..., tuple[IncidentState, Steps]]

ALTERNATING = "FP" * 15


def timeline(steps: Steps) -> list[tuple[int, str]]:
    return [(index, note.kind.value) for index, notes in enumerate(steps) for note in notes]


def kinds(steps: Steps) -> list[NotificationKind]:
    return [note.kind for notes in steps for note in notes]


@pytest.mark.parametrize(
    ("history", "failed", "window", "expected"),
    [
        pytest.param("", True, 21, "F", id="first"),
        pytest.param("FP", False, 21, "FPP", id="appends-newest-last"),
        pytest.param("FPF", True, 3, "PFF", id="drops-oldest"),
        pytest.param("P" * 21, True, 21, "P" * 20 + "F", id="full-window"),
        pytest.param("P" * 30, True, 21, "P" * 20 + "F", id="shrunk-window"),
    ],
)
def test_push_outcome_keeps_the_last_window(
    history: str, failed: bool, window: int, expected: str
) -> None:
    assert push_outcome(history, failed=failed, window=window) == expected


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        pytest.param("", 0.0, id="empty"),
        pytest.param("F", 0.0, id="one"),
        pytest.param("FFFFF", 0.0, id="steady"),
        pytest.param("FPF", 2 / 20, id="short-history-counts-against-full-window"),
        pytest.param("FP" * 10 + "F", 1.0, id="all-flips"),
        pytest.param("P" * 10 + "F" * 11, 1 / 20, id="one-flip"),
        pytest.param("PF" * 5 + "P" * 11, 10 / 20, id="half"),
        pytest.param("FP" * 20, 1.0, id="only-last-window-counts"),
    ],
)
def test_state_change_ratio_over_21_results(history: str, expected: float) -> None:
    assert state_change_ratio(history, window=21) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("was_flapping", "ratio", "expected"),
    [
        pytest.param(False, 0.0, False, id="calm"),
        pytest.param(False, 0.5, False, id="at-high-does-not-start"),
        pytest.param(False, 0.55, True, id="above-high-starts"),
        pytest.param(False, 0.3, False, id="between-stays-calm"),
        pytest.param(True, 0.3, True, id="between-stays-flapping"),
        pytest.param(True, 0.25, True, id="at-low-stays-flapping"),
        pytest.param(True, 0.2, False, id="below-low-stops"),
        pytest.param(True, 1.0, True, id="still-flipping"),
    ],
)
def test_hysteresis(was_flapping: bool, ratio: float, expected: bool) -> None:
    assert is_flapping(was_flapping, ratio, high=0.5, low=0.25) is expected


def test_alternating_results_send_one_flapping_notice_instead_of_a_storm(run: Runner) -> None:
    state, steps = run(IncidentTracker(), ALTERNATING)
    # 11 flips of 20 (> 50 %) need 12 results: until then each flip is a transition.
    expected = [(i, "resolved" if i % 2 else "firing") for i in range(11)] + [(11, "flapping")]
    assert timeline(steps) == expected
    assert kinds(steps).count(NotificationKind.FLAPPING) == 1
    assert state.flapping


def test_flapping_notice_threads_on_the_open_incident(run: Runner) -> None:
    state, steps = run(IncidentTracker(), ALTERNATING)
    last_firing = steps[10][0]
    (flapping,) = steps[11]
    assert flapping.dedup_key == last_firing.dedup_key
    assert flapping.incident_id == last_firing.incident_id
    assert flapping.status.value == "firing"
    # During flapping the incident neither closes nor reopens: one incident, one key.
    assert state.dedup_key == last_firing.dedup_key
    assert state.incidents_opened == 6


def test_hysteresis_keeps_flapping_between_thresholds_then_stops(run: Runner) -> None:
    tracker = IncidentTracker()
    flapping_state, _ = run(tracker, ALTERNATING)
    # Each steady pass removes one flip: 20 - j flips after j passes.
    state, steps = run(tracker, "P" * 20, state=flapping_state)
    flags = []
    for count in range(1, 21):
        partial, _ = run(tracker, "P" * count, state=flapping_state)
        flags.append(partial.flapping)
    # Still flapping at 10/20 .. 5/20 (between the thresholds), stops at 4/20 (< 25 %).
    assert flags == [True] * 15 + [False] * 5
    (resolved,) = steps[15]
    assert resolved.kind is NotificationKind.RESOLVED
    assert resolved.dedup_key == flapping_state.dedup_key
    assert timeline(steps) == [(15, "resolved")]
    assert not state.flapping
    assert state.incident is None


def test_leaving_flapping_while_firing_sends_nothing_if_nothing_changed(run: Runner) -> None:
    tracker = IncidentTracker()
    flapping_state, _ = run(tracker, ALTERNATING)
    state, steps = run(tracker, "F" * 20, state=flapping_state)
    # After j failures 21 - j flips remain: flapping stops on the 17th (4/20).
    assert timeline(steps) == []
    assert not state.flapping
    assert state.dedup_key == flapping_state.dedup_key
    state, steps = run(tracker, "P", state=state)
    assert timeline(steps) == [(0, "resolved")]
    assert steps[0][0].dedup_key == flapping_state.dedup_key


def test_leaving_flapping_escalates_once_if_severity_rose(run: Runner) -> None:
    tracker = IncidentTracker()
    flapping_state, _ = run(tracker, ALTERNATING)
    state, steps = run(tracker, "F" * 20, state=flapping_state, violations=5)
    # Critical from the first steady failure, but held back until flapping ends.
    assert timeline(steps) == [(16, "escalated")]
    (escalated,) = steps[16]
    assert (escalated.previous_severity, escalated.severity) == (
        Severity.ERROR,
        Severity.CRITICAL,
    )
    assert not state.flapping


def test_flapping_opens_its_own_incident_when_none_is_open(run: Runner) -> None:
    # With N=3 the alternating check never fires, but flapping is a problem of its own.
    tracker = IncidentTracker(IncidentPolicy(fire_after=3))
    state, steps = run(tracker, ALTERNATING + "P" * 20)
    assert [kind for _, kind in timeline(steps)] == ["flapping", "resolved"]
    flapping, resolved = (note for notes in steps for note in notes)
    assert flapping.dedup_key == resolved.dedup_key
    assert flapping.occurrences == 6
    assert state.incidents_opened == 1
    assert state.incident is None


def test_flapping_detection_can_be_switched_off(run: Runner) -> None:
    _, steps = run(IncidentTracker(IncidentPolicy(detect_flapping=False)), ALTERNATING)
    assert kinds(steps) == [NotificationKind.FIRING, NotificationKind.RESOLVED] * 15


@pytest.mark.parametrize(
    ("outcomes", "flapping"),
    [
        pytest.param("FWFWFWFWFWFWFW", True, id="warn-counts-as-pass"),
        pytest.param("FEFEFEFEFEFEFE", False, id="errors-are-not-flips"),
        pytest.param("FSFSFSFSFSFSFS", False, id="skipped-are-not-flips"),
    ],
)
def test_what_counts_as_a_flip(run: Runner, outcomes: str, flapping: bool) -> None:
    state, _ = run(IncidentTracker(IncidentPolicy(error_after=100)), outcomes)
    assert state.flapping is flapping
    assert set(state.history) <= {"F", "P"}


def test_custom_thresholds_and_window(run: Runner) -> None:
    # 5 results, 4 possible flips: "FPF" has 2/4 = 50 %, above 40 % -> flapping.
    policy = IncidentPolicy(flap_window=5, flap_high=0.4, flap_low=0.1)
    state, steps = run(IncidentTracker(policy), "FPF")
    assert state.flapping
    assert timeline(steps) == [(0, "firing"), (1, "resolved"), (2, "flapping")]
