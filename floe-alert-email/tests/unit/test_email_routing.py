from typing import Any

from floe_alert_email import EmailConfig
from floe_alert_email.routing import recipients_for
from floe_monitoring import ContractViolationEvent


def _event(**overrides: Any) -> ContractViolationEvent:
    values: dict[str, Any] = {
        "contract_name": "orders",
        "violation_type": "freshness",
        "severity": "error",
        "message": "late",
        "timestamp": "2026-01-31T09:30:00Z",
    }
    values.update(overrides)
    return ContractViolationEvent.model_validate(values)


CONFIG = EmailConfig(
    host="smtp.example.com",
    from_address="alerts@example.com",
    to=("data@example.com",),
    owner_recipients={"payments": ("pay@example.com", "Data@Example.com"), "empty": ()},
    severity_recipients={"critical": ("oncall@example.com", "pay@example.com")},  # type: ignore[dict-item]
)


def test_default_recipients_without_an_owner_route() -> None:
    assert recipients_for(CONFIG, [_event()]) == ["data@example.com"]
    assert recipients_for(CONFIG, [_event(owner="unknown-team")]) == ["data@example.com"]


def test_owner_route_replaces_the_default_list() -> None:
    assert recipients_for(CONFIG, [_event(owner="payments")]) == [
        "pay@example.com",
        "Data@Example.com",
    ]


def test_an_empty_owner_route_falls_back_to_the_default_list() -> None:
    assert recipients_for(CONFIG, [_event(owner="empty")]) == ["data@example.com"]


def test_severity_route_is_added_and_duplicates_are_dropped_case_insensitively() -> None:
    assert recipients_for(CONFIG, [_event(severity="critical")]) == [
        "data@example.com",
        "oncall@example.com",
        "pay@example.com",
    ]
    assert recipients_for(CONFIG, [_event(owner="payments", severity="critical")]) == [
        "pay@example.com",
        "Data@Example.com",
        "oncall@example.com",
    ]


def test_a_digest_goes_to_every_route_of_its_events() -> None:
    events = [_event(), _event(owner="payments"), _event(severity="critical")]
    assert recipients_for(CONFIG, events) == [
        "data@example.com",
        "pay@example.com",
        "oncall@example.com",
    ]


def test_no_route_gives_no_recipient() -> None:
    config = EmailConfig(
        host="smtp.example.com",
        from_address="alerts@example.com",
        severity_recipients={"critical": ("oncall@example.com",)},  # type: ignore[dict-item]
    )
    assert recipients_for(config, [_event(severity="warning")]) == []
    assert recipients_for(config, [_event(severity="critical")]) == ["oncall@example.com"]
