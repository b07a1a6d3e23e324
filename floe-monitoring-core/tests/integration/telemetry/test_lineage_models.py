"""The typed-model validator used on received OpenLineage events rejects what it should."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from openlineage.client.serde import Serde

from floe_monitoring import ContractViolationEvent
from floe_monitoring.checks.base import CheckResult
from floe_monitoring.contracts import Contract
from floe_monitoring.telemetry.lineage_events import build_evaluation_events

from .conftest import NOW
from .openlineage_models import InvalidEvent, validate_custom_facet, validate_run_event


def _result(**overrides: Any) -> CheckResult:
    fields: dict[str, Any] = {
        "contract_id": "urn:contract:orders",
        "contract_name": "orders",
        "contract_version": "2.0.0",
        "check_type": "freshness",
        "element": "orders.updated_at",
        "status": "fail",
        "severity": "error",
        "message": "stale",
        "started_at": NOW,
        "duration_seconds": 0.1,
        "table": "lake:shop.orders",
        "snapshot_id": 1,
    }
    fields.update(overrides)
    return CheckResult.model_validate(fields)


@pytest.fixture
def end_event(contract: Contract) -> dict[str, Any]:
    event = ContractViolationEvent.model_validate(
        {
            "contract_name": "orders",
            "violation_type": "freshness",
            "severity": "error",
            "message": "stale",
            "timestamp": NOW,
            "metadata": {"table": "lake:shop.orders"},
        }
    )
    built = build_evaluation_events(contract, [_result()], [event])
    data: dict[str, Any] = json.loads(Serde.to_json(built.end))
    return data


def test_a_well_formed_event_passes(end_event: dict[str, Any]) -> None:
    rebuilt = validate_run_event(end_event)
    assert rebuilt.run.runId == end_event["run"]["runId"]


Mutation = Callable[[dict[str, Any]], None]


def _unknown_field(e: dict[str, Any]) -> None:
    e["inputs"][0]["facets"]["catalog"]["surprise"] = 1


def _missing_required(e: dict[str, Any]) -> None:
    del e["inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"][0]["success"]


def _wrong_type(e: dict[str, Any]) -> None:
    e["inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"][0]["success"] = "no"


def _wrong_schema_url(e: dict[str, Any]) -> None:
    e["inputs"][0]["facets"]["schema"]["_schemaURL"] = "https://example.invalid/x.json"


def _bad_run_id(e: dict[str, Any]) -> None:
    e["run"]["runId"] = "not-a-uuid"


def _bad_event_type(e: dict[str, Any]) -> None:
    e["eventType"] = "FINISHED"


def _unknown_facet(e: dict[str, Any]) -> None:
    e["run"]["facets"]["mystery"] = {"_producer": "x", "_schemaURL": "y"}


def _bad_custom_facet(e: dict[str, Any]) -> None:
    e["inputs"][0]["facets"]["contractViolation"]["severity"] = "apocalyptic"


@pytest.mark.parametrize(
    "mutate",
    [
        _unknown_field,
        _missing_required,
        _wrong_type,
        _wrong_schema_url,
        _bad_run_id,
        _bad_event_type,
        _unknown_facet,
        _bad_custom_facet,
    ],
)
def test_a_malformed_event_is_rejected(end_event: dict[str, Any], mutate: Mutation) -> None:
    broken = copy.deepcopy(end_event)
    mutate(broken)
    with pytest.raises(InvalidEvent):
        validate_run_event(broken)


def test_a_custom_facet_may_leave_out_nulls_but_not_required_values(
    end_event: dict[str, Any],
) -> None:
    facet = end_event["inputs"][0]["facets"]["contractViolation"]
    assert "element" not in facet  # null, dropped by the serializer
    validate_custom_facet(facet)
    del facet["contractName"]
    with pytest.raises(InvalidEvent, match="contractName"):
        validate_custom_facet(facet)
