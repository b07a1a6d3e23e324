"""The stored state: JSON round trip, validation, and incident keys."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from floe_monitoring.incidents import (
    IncidentPhase,
    IncidentPolicy,
    IncidentState,
    IncidentTracker,
    Notification,
    NotificationKind,
)
from floe_monitoring.incidents.keys import evaluation_dedup_key, incident_dedup_key, stable_id
from floe_monitoring.sdk.enums import EventStatus, Severity
from floe_monitoring.sdk.event import MAX_DEDUP_KEY_LENGTH

Steps = list[list[Notification]]
Runner = Callable[..., tuple[IncidentState, Steps]]

T0 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
KEY = "urn:contract:orders:freshness:orders.updated_at"


@pytest.mark.parametrize(
    "outcomes",
    [
        pytest.param("P", id="quiet"),
        pytest.param("FFF", id="firing"),
        pytest.param("FFFEE", id="firing-with-errors"),
        pytest.param("EEE", id="cannot-evaluate"),
        pytest.param("FP" * 12, id="flapping"),
        pytest.param("FFP", id="resolved"),
    ],
)
def test_state_round_trips_through_json(run: Runner, outcomes: str) -> None:
    policy = IncidentPolicy(repeat_interval=timedelta(hours=1))
    state, _ = run(IncidentTracker(policy), outcomes, violations=4)
    text = state.model_dump_json()
    restored = IncidentState.model_validate_json(text)
    assert restored == state
    assert restored.model_dump_json() == text
    # Small enough for one row: the history is one character per result.
    assert len(text) < 1024


def test_restored_state_continues_the_same_incident(run: Runner) -> None:
    tracker = IncidentTracker(IncidentPolicy(resolve_after=2))
    state, steps = run(tracker, "FF")
    restored = IncidentState.model_validate_json(state.model_dump_json())
    _, later = run(tracker, "PP", state=restored, start=T0 + timedelta(hours=1))
    assert later[1][0].kind is NotificationKind.RESOLVED
    assert later[1][0].dedup_key == steps[0][0].dedup_key


def test_state_exposes_the_open_incident(run: Runner) -> None:
    state, steps = run(IncidentTracker(), "FF", violations=[1, 4])
    assert state.incident is not None
    assert state.dedup_key == steps[0][0].dedup_key
    assert state.incident_id == steps[0][0].incident_id
    assert state.incident.opened_at == T0
    assert state.incident.first_seen_at == T0
    assert state.incident.occurrences == 2
    assert state.incident.severity is Severity.CRITICAL
    assert state.incident.last_notified_severity is Severity.CRITICAL
    assert state.last_notified_status is EventStatus.FIRING


@pytest.mark.parametrize(
    ("outcomes", "status"),
    [
        pytest.param("P", None, id="never-notified"),
        pytest.param("F", EventStatus.FIRING, id="firing"),
        pytest.param("FP", EventStatus.RESOLVED, id="resolved"),
    ],
)
def test_last_notified_status(run: Runner, outcomes: str, status: EventStatus | None) -> None:
    state, _ = run(IncidentTracker(), outcomes)
    assert state.last_notified_status is status


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"history": "FPX"}, "history", id="history-letters"),
        pytest.param({"history": "F" * 101}, "history", id="history-length"),
        pytest.param(
            {"consecutive_failures": 1, "consecutive_passes": 1}, "at once", id="two-runs"
        ),
        pytest.param({"failing_since": "2026-01-31T09:00:00"}, "failing_since", id="naive-time"),
        pytest.param({"phase": "broken"}, "phase", id="unknown-phase"),
        pytest.param({"surprise": 1}, "surprise", id="extra-field"),
        pytest.param({"consecutive_errors": -1}, "consecutive_errors", id="negative"),
    ],
)
def test_invalid_state_is_rejected(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        IncidentState.model_validate({"check_key": KEY, **fields})


def test_new_state_defaults() -> None:
    state = IncidentState(check_key=KEY)
    assert state.phase is IncidentPhase.OK
    assert (state.incident, state.dedup_key, state.incident_id) == (None, None, None)
    assert (state.history, state.flapping, state.incidents_opened) == ("", False, 0)


def test_dedup_key_is_stable_for_the_whole_incident(run: Runner) -> None:
    policy = IncidentPolicy(repeat_interval=timedelta(minutes=10), resolve_after=2)
    state, steps = run(IncidentTracker(policy), "FFFF PFFF PP", violations=[1, 2, 3, 4] + [4] * 6)
    notes = [note for notes in steps for note in notes]
    assert {n.kind for n in notes} >= {
        NotificationKind.FIRING,
        NotificationKind.ESCALATED,
        NotificationKind.REPEAT,
        NotificationKind.RESOLVED,
    }
    assert {n.dedup_key for n in notes} == {f"{KEY}#1-20260131T090000Z"}
    assert len({n.incident_id for n in notes}) == 1
    assert len({n.event_id for n in notes}) == len(notes)
    assert state.incident is None


@pytest.mark.parametrize("length", [200, 240, 255, 1000])
def test_dedup_key_stays_within_255_characters_for_long_keys(run: Runner, length: int) -> None:
    element = "e" * length
    state, steps = run(IncidentTracker(), "FPF", element=element)
    keys = [note.dedup_key for notes in steps for note in notes]
    assert all(len(key) <= MAX_DEDUP_KEY_LENGTH for key in keys)
    first, resolved, second = keys
    assert first == resolved != second
    assert state.dedup_key == second
    assert first.endswith("#1-20260131T090000Z")
    assert second.endswith("#2-20260131T091000Z")


@pytest.mark.parametrize(
    ("check_key", "sequence", "opened_at", "expected"),
    [
        pytest.param(KEY, 1, T0, f"{KEY}#1-20260131T090000Z", id="readable"),
        pytest.param(
            KEY,
            12,
            T0.replace(microsecond=250),
            f"{KEY}#12-20260131T090000.000250Z",
            id="sub-second",
        ),
        pytest.param("k" * 250, 1, T0, "sha256:", id="hashed-prefix"),
    ],
)
def test_incident_dedup_key_format(
    check_key: str, sequence: int, opened_at: datetime, expected: str
) -> None:
    key = incident_dedup_key(check_key, sequence, opened_at)
    assert key.startswith(expected)
    assert len(key) <= MAX_DEDUP_KEY_LENGTH
    assert incident_dedup_key(check_key, sequence, opened_at) == key


def test_keys_differ_by_sequence_time_and_kind() -> None:
    keys = {
        incident_dedup_key(KEY, 1, T0),
        incident_dedup_key(KEY, 2, T0),
        incident_dedup_key(KEY, 1, T0 + timedelta(seconds=1)),
        evaluation_dedup_key(KEY, T0),
    }
    assert len(keys) == 4


def test_incident_id_is_derived_from_the_key() -> None:
    key = incident_dedup_key(KEY, 1, T0)
    assert stable_id(key) == stable_id(key)
    assert stable_id(key) != stable_id(incident_dedup_key(KEY, 2, T0))
    assert stable_id(key).version == 5
    assert isinstance(stable_id(key), uuid.UUID)
