from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError

from floe_monitoring import ContractViolationEvent
from floe_monitoring.sdk import CONTRACT_VIOLATION_FACET_NAME, contract_violation_facet_schema

EventFactory = Callable[..., ContractViolationEvent]


def _validator() -> Draft202012Validator:
    schema = contract_violation_facet_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_the_facet_name_is_the_documented_one() -> None:
    assert CONTRACT_VIOLATION_FACET_NAME == "contractViolation"


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"element": None, "expected_value": None, "actual_value": None},
        {"status": "resolved", "severity": "critical", "violation_type": "schema_drift"},
        {"message": "🚨 <script>alert(1)</script>\r\nX-Injected: 1"},
    ],
)
def test_emitted_facets_validate_against_the_shipped_schema(
    event_factory: EventFactory, overrides: dict[str, Any]
) -> None:
    facet = event_factory(**overrides).to_lineage_facet()
    _validator().validate(facet)
    assert facet["_schemaURL"].endswith("#/$defs/ContractViolationDatasetFacet")
    assert facet["_producer"].startswith("https://")


def test_facet_fields_are_the_documented_ones(event_factory: EventFactory) -> None:
    facet = event_factory().to_lineage_facet()
    documented = {
        "contractName",
        "contractVersion",
        "violationType",
        "severity",
        "message",
        "element",
        "expectedValue",
        "actualValue",
        "timestamp",
    }
    assert documented <= set(facet)
    assert facet["timestamp"] == "2026-01-31T09:30:00Z"


@pytest.mark.parametrize(
    ("field", "value"),
    [("severity", "fatal"), ("violationType", "staleness"), ("unknown", 1), ("timestamp", "x")],
)
def test_the_schema_rejects_malformed_facets(
    event_factory: EventFactory, field: str, value: object
) -> None:
    facet = {**event_factory().to_lineage_facet(), field: value}
    with pytest.raises(ValidationError):
        _validator().validate(facet)


def test_the_schema_requires_contract_name(event_factory: EventFactory) -> None:
    facet = event_factory().to_lineage_facet()
    del facet["contractName"]
    with pytest.raises(ValidationError, match="contractName"):
        _validator().validate(facet)
