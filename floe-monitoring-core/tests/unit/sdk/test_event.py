from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from floe_monitoring import ContractViolationEvent, EventStatus, Severity, ViolationType
from floe_monitoring.sdk.event import MAX_DEDUP_KEY_LENGTH

EventFactory = Callable[..., ContractViolationEvent]


def test_valid_event_has_delivery_defaults(event_factory: EventFactory) -> None:
    event = event_factory()
    assert isinstance(event.event_id, uuid.UUID)
    assert event.status is EventStatus.FIRING
    assert event.dedup_key == "urn:contract:orders:freshness:orders.updated_at"
    assert event.first_seen_at == event.timestamp
    assert event.occurrences == 1
    assert event.timestamp.tzinfo is UTC


def test_each_event_gets_its_own_id(event_factory: EventFactory) -> None:
    assert event_factory().event_id != event_factory().event_id


def test_dedup_key_falls_back_to_contract_name(event_factory: EventFactory) -> None:
    event = event_factory(contract_id=None, element=None)
    assert event.dedup_key == "orders:freshness:*"


def test_overlong_derived_dedup_key_is_hashed_not_rejected(event_factory: EventFactory) -> None:
    event = event_factory(contract_id="c" * 400)
    assert event.dedup_key.startswith("sha256:")
    assert len(event.dedup_key) <= MAX_DEDUP_KEY_LENGTH
    assert event_factory(contract_id="c" * 400).dedup_key == event.dedup_key


def test_explicit_dedup_key_over_255_chars_is_rejected(event_factory: EventFactory) -> None:
    with pytest.raises(ValidationError, match="dedup_key"):
        event_factory(dedup_key="k" * 256)


def test_naive_timestamp_is_rejected_with_a_clear_message(event_factory: EventFactory) -> None:
    with pytest.raises(ValidationError) as info:
        event_factory(timestamp=datetime(2026, 1, 31, 9, 30))
    text = str(info.value)
    assert "timestamp" in text
    assert "must be timezone-aware" in text


def test_naive_first_seen_is_rejected(event_factory: EventFactory) -> None:
    with pytest.raises(ValidationError, match="first_seen_at"):
        event_factory(first_seen_at="2026-01-31T09:30:00")


def test_offset_timestamps_are_normalised_to_utc(event_factory: EventFactory) -> None:
    local = datetime(2026, 1, 31, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    event = event_factory(timestamp=local)
    assert event.timestamp == datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
    assert event.timestamp.utcoffset() == timedelta(0)


@pytest.mark.parametrize("extra", ["unexpected", "contractname", "runId"])
def test_extra_keys_are_rejected(event_factory: EventFactory, extra: str) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        event_factory(**{extra: "x"})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("violation_type", "staleness"),
        ("severity", "fatal"),
        ("status", "open"),
        ("contract_name", ""),
        ("occurrences", 0),
        ("check_duration_seconds", -1),
        ("check_duration_seconds", float("inf")),
        ("links", [{"title": "x", "url": "javascript:alert(1)"}]),
        ("timestamp", "yesterday"),
    ],
)
def test_bad_fields_are_rejected_naming_the_field(
    event_factory: EventFactory, field: str, value: object
) -> None:
    with pytest.raises(ValidationError) as info:
        event_factory(**{field: value})
    assert field in str(info.value)


def test_event_is_frozen(event_factory: EventFactory) -> None:
    event = event_factory()
    with pytest.raises(ValidationError, match="frozen"):
        event.severity = Severity.CRITICAL  # type: ignore[misc]


def test_camel_case_keys_are_accepted(event_factory: EventFactory) -> None:
    event = ContractViolationEvent.model_validate(event_factory().to_json_data())
    assert event == event_factory().with_changes(event_id=event.event_id)


def test_with_changes_validates_and_keeps_identity(event_factory: EventFactory) -> None:
    event = event_factory()
    resolved = event.with_changes(status="resolved")
    assert resolved.is_resolved
    assert resolved.event_id == event.event_id
    assert resolved.dedup_key == event.dedup_key
    with pytest.raises(ValidationError):
        event.with_changes(severity="bogus")


def test_numbers_are_kept_as_text(event_factory: EventFactory) -> None:
    event = event_factory(expected_value=6, actual_value=7.5)
    assert (event.expected_value, event.actual_value) == ("6", "7.5")
    assert event_factory(actual_value=True).actual_value == "true"


def test_severity_order_is_by_rank_not_alphabet() -> None:
    assert Severity.INFO < Severity.WARNING < Severity.ERROR < Severity.CRITICAL
    assert max(Severity) is Severity.CRITICAL
    assert sorted([Severity.CRITICAL, Severity.INFO, Severity.ERROR]) == [
        Severity.INFO,
        Severity.ERROR,
        Severity.CRITICAL,
    ]
    assert Severity.WARNING >= Severity.WARNING
    assert hash(Severity.INFO) == hash("info")  # still hashes like its string


def test_violation_types_cover_the_specification() -> None:
    assert {t.value for t in ViolationType} == {
        "freshness",
        "schema_drift",
        "quality",
        "availability",
        "deprecation",
    }
