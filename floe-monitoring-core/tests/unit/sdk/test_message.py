from __future__ import annotations

from collections.abc import Callable

import pytest

from floe_monitoring import AlertMessage, ContractViolationEvent, EventStatus, Severity

EventFactory = Callable[..., ContractViolationEvent]


def test_firing_message_says_what_broke(event_factory: EventFactory) -> None:
    message = AlertMessage.from_event(
        event_factory(links=[{"title": "Runbook", "url": "https://runbooks.example/orders"}])
    )
    assert message.title == "ERROR · orders: freshness violation"
    assert message.summary == "orders is 7h old (SLA 6h)"
    labels = [f.label for f in message.fields]
    assert labels == [
        "Contract",
        "Check",
        "Element",
        "Expected",
        "Actual",
        "Severity",
        "Status",
        "Owner",
        "Domain",
        "Affected consumers",
        "Incident",
    ]
    assert message.fields[0].value == "orders v1.2.0"
    assert message.links[0].title == "Runbook"


def test_resolved_message_says_it_recovered(event_factory: EventFactory) -> None:
    message = AlertMessage.from_event(event_factory(status="resolved"))
    assert message.title == "RESOLVED · orders: freshness recovered"
    assert message.status is EventStatus.RESOLVED


def test_empty_fields_are_left_out(event_factory: EventFactory) -> None:
    message = AlertMessage.from_event(
        event_factory(element=None, owner=None, domain=None, affected_consumers=[])
    )
    labels = {f.label for f in message.fields}
    assert not labels & {"Element", "Owner", "Domain", "Affected consumers"}


def test_repeat_occurrences_and_first_seen_are_shown(event_factory: EventFactory) -> None:
    message = AlertMessage.from_event(
        event_factory(occurrences=4, first_seen_at="2026-01-31T06:00:00Z")
    )
    values = {f.label: f.value for f in message.fields}
    assert values["Occurrences"] == "4"
    assert values["First seen"] == "2026-01-31T06:00:00Z"


def test_text_stays_raw_for_channels_to_escape(event_factory: EventFactory) -> None:
    message = AlertMessage.from_event(event_factory(message="<!channel> & <script>"))
    assert message.summary == "<!channel> & <script>"
    assert "<!channel> & <script>" in message.as_text()


def test_digest_summarises_several_events(event_factory: EventFactory) -> None:
    events = [
        event_factory(),
        event_factory(violation_type="quality", severity="critical", element="orders.amount"),
        event_factory(violation_type="schema_drift", severity="warning", status="resolved"),
    ]
    message = AlertMessage.digest(events)
    assert message.severity is Severity.CRITICAL
    assert message.title == "CRITICAL · orders: 3 notifications"
    assert message.summary == "2 firing, 1 resolved"
    assert len(message.fields) == 3
    assert message.fields[1].label == "Quality (orders.amount)"


def test_digest_of_one_is_the_single_message(event_factory: EventFactory) -> None:
    event = event_factory()
    assert AlertMessage.digest([event]) == AlertMessage.from_event(event)


def test_digest_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        AlertMessage.digest([])
