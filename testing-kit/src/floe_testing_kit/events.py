"""Sample events the kit sends: ordinary, resolved, unicode, hostile and huge."""

from __future__ import annotations

from typing import Any

from floe_monitoring import ContractViolationEvent, EventStatus

__all__ = [
    "HOSTILE_MESSAGE",
    "HOSTILE_NAME",
    "UNICODE_TEXT",
    "hostile_event",
    "large_event",
    "make_event",
    "resolved_of",
]

#: Non-ASCII text that must arrive intact.
UNICODE_TEXT = "données périmées — 数据过期 — просрочено 🚨✅"
#: A contract name that tries to ping everyone, inject a header and a link.
HOSTILE_NAME = "orders<!channel>\r\nBcc: attacker@evil.example"
#: A message full of markup every format must neutralise.
HOSTILE_MESSAGE = (
    "<!channel> <!here> <@U024BE7LH> <http://evil.example|click here> "
    "<script>alert('xss')</script> <img src=x onerror=alert(1)> & [link](http://evil.example)"
)


def make_event(**overrides: Any) -> ContractViolationEvent:
    """A valid firing freshness event; keyword arguments replace fields."""
    fields: dict[str, Any] = {
        "contract_name": "orders",
        "contract_version": "2.1.0",
        "contract_id": "urn:datacontract:sales:orders",
        "violation_type": "freshness",
        "severity": "error",
        "message": "orders is 7h12m old; the contract promises 6h",
        "element": "orders.updated_at",
        "expected_value": "PT6H",
        "actual_value": "PT7H12M",
        "timestamp": "2026-01-31T09:30:00Z",
        "affected_consumers": ["finance-dashboard", "churn-model"],
        "check_duration_seconds": 0.42,
        "domain": "sales",
        "owner": "team-orders",
        "links": [{"title": "Runbook", "url": "https://runbooks.example/orders"}],
    }
    fields.update(overrides)
    return ContractViolationEvent.model_validate(fields)


def resolved_of(event: ContractViolationEvent) -> ContractViolationEvent:
    """The recovery notification of `event`'s incident (same dedup_key, new event_id)."""
    data = event.model_dump()
    data.pop("event_id")
    data.update(status=EventStatus.RESOLVED, message=f"{event.contract_name} recovered")
    return ContractViolationEvent.model_validate(data)


def hostile_event() -> ContractViolationEvent:
    """An event whose every free-text field carries injection attempts."""
    return make_event(
        contract_name=HOSTILE_NAME,
        message=HOSTILE_MESSAGE,
        element="orders.<script>x</script>",
        expected_value="<b>6h</b>",
        actual_value="7h\r\nX-Injected: yes",
        owner="<@U024BE7LH>",
        dedup_key="hostile-incident",
    )


def large_event(size: int = 100_000) -> ContractViolationEvent:
    """An event whose message is `size` characters long (100 kB by default)."""
    unit = "stale row é 🚨 "
    return make_event(message=(unit * (size // len(unit) + 1))[:size])
