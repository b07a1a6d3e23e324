"""The OpenLineage run of one contract evaluation: naming, states, facets, assertions.

Assertions read the events as OpenLineage serializes them (what a backend receives).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from jsonschema import Draft202012Validator
from openlineage.client.serde import Serde

from floe_monitoring import ContractViolationEvent
from floe_monitoring.checks.base import CheckResult
from floe_monitoring.contracts import Contract
from floe_monitoring.sdk.lineage_facet import contract_violation_facet_schema
from floe_monitoring.telemetry import LineageConfig
from floe_monitoring.telemetry.lineage_events import (
    ContractViolationDatasetFacet,
    EvaluationEvents,
    build_evaluation_events,
)

from .conftest import NOW

Results = Callable[..., CheckResult]
Events = Callable[..., ContractViolationEvent]
Json = dict[str, Any]


def _wire(event: Any) -> Json:
    data: Json = json.loads(Serde.to_json(event))
    return data


def _build(
    contract: Contract,
    results: list[CheckResult],
    events: list[ContractViolationEvent] | None = None,
    config: LineageConfig | None = None,
) -> tuple[Json, Json]:
    built = build_evaluation_events(contract, results, events or [], config=config)
    return _wire(built.start), _wire(built.end)


def _facet_validator() -> Draft202012Validator:
    schema = contract_violation_facet_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _assertions(event: Json) -> list[Json]:
    [dataset] = event["inputs"]
    assertions: list[Json] = dataset["inputFacets"]["dataQualityAssertions"]["assertions"]
    return assertions


def test_one_run_per_evaluation_start_then_complete(
    contract: Contract, result_factory: Results
) -> None:
    results = [
        result_factory(status="pass", severity=None, duration_seconds=0.5),
        result_factory(
            check_type="availability",
            element="orders",
            status="warn",
            severity="info",
            started_at=NOW + timedelta(seconds=1),
            duration_seconds=2.0,
        ),
    ]
    built = build_evaluation_events(contract, results, config=LineageConfig(namespace="prod"))
    assert isinstance(built, EvaluationEvents)
    start, end = _wire(built.start), _wire(built.end)

    assert (start["eventType"], end["eventType"]) == ("START", "COMPLETE")
    assert start["run"]["runId"] == end["run"]["runId"] == str(built.run_id)
    assert UUID(start["run"]["runId"]).version == 7  # time-ordered run ids
    assert start["eventTime"] == "2026-01-31T09:30:00Z"
    assert end["eventTime"] == "2026-01-31T09:30:03Z"
    for event in (start, end):
        assert event["job"]["namespace"] == "prod"
        assert event["job"]["name"] == "urn:contract:orders"
        job_type = event["job"]["facets"]["jobType"]
        assert (job_type["jobType"], job_type["integration"], job_type["processingType"]) == (
            "TEST",
            "FLOE",
            "BATCH",
        )
        assert event["run"]["facets"]["processing_engine"]["name"] == "floe-monitoring"
    assert "errorMessage" not in end["run"]["facets"]


@pytest.mark.parametrize("status", ["fail", "error"])
def test_a_failed_or_unevaluable_check_fails_the_run(
    contract: Contract, result_factory: Results, status: str
) -> None:
    results = [
        result_factory(status="pass", severity=None),
        result_factory(check_type="quality", element="orders", status=status, message="broken"),
    ]
    _, end = _build(contract, results)
    assert end["eventType"] == "FAIL"
    error = end["run"]["facets"]["errorMessage"]
    assert error["programmingLanguage"] == "python"
    assert error["message"].startswith("1 of 2 checks did not pass")
    assert f"quality orders: {status}: broken" in error["message"]


def test_the_iceberg_table_is_the_input_with_schema_catalog_and_version(
    contract: Contract, result_factory: Results
) -> None:
    config = LineageConfig(dataset_namespaces={"lake": "s3://lake"}, catalog_types={"lake": "rest"})
    start, end = _build(contract, [result_factory()], config=config)
    for event in (start, end):
        [dataset] = event["inputs"]
        assert (dataset["namespace"], dataset["name"]) == ("s3://lake", "shop.orders")
        catalog = dataset["facets"]["catalog"]
        assert (catalog["framework"], catalog["type"], catalog["name"]) == (
            "iceberg",
            "rest",
            "lake",
        )
        assert catalog["warehouseUri"] == "file:///lake/warehouse"  # from the contract's server
        assert dataset["facets"]["version"]["datasetVersion"] == "4242"
        fields = dataset["facets"]["schema"]["fields"]
        assert [(f["name"], f["type"]) for f in fields] == [
            ("id", "long"),
            ("updated_at", "timestamp"),
            ("address", "object"),
        ]
        assert [f["name"] for f in fields[2]["fields"]] == ["city"]
    assert start["inputs"][0]["inputFacets"] == {}  # assertions come with the outcome


def test_the_default_dataset_namespace_names_the_catalog(
    contract: Contract, result_factory: Results
) -> None:
    _, end = _build(contract, [result_factory()])
    assert end["inputs"][0]["namespace"] == "iceberg://lake"
    assert end["inputs"][0]["facets"]["catalog"]["type"] == "unknown"


def test_the_observed_schema_wins_over_the_declared_one(
    contract: Contract, result_factory: Results
) -> None:
    observed = {
        "schema_id": 3,
        "fields": [
            {"id": 1, "path": "id", "type": "long", "required": True},
            {"id": 2, "path": "addr", "type": "struct", "required": False},
            {"id": 3, "path": "addr.city", "type": "string", "required": False},
            {"id": 4, "path": "tags", "type": "list", "required": False},
            {"id": 5, "path": "tags.element", "type": "string", "required": True},
        ],
    }
    drift = result_factory(
        check_type="schema_drift",
        element="orders",
        status="pass",
        severity=None,
        observed_schema=observed,
        snapshot_id=99,
        started_at=NOW + timedelta(seconds=5),
    )
    _, end = _build(contract, [result_factory(), drift])
    facets = end["inputs"][0]["facets"]
    fields = facets["schema"]["fields"]
    assert [(f["name"], f["type"]) for f in fields] == [
        ("id", "long"),
        ("addr", "struct"),
        ("tags", "list"),
    ]
    assert [(f["name"], f["type"]) for f in fields[1]["fields"]] == [("city", "string")]
    assert [f["name"] for f in fields[2]["fields"]] == ["element"]
    assert facets["version"]["datasetVersion"] == "99"  # the latest snapshot


def test_one_assertion_per_check(contract: Contract, result_factory: Results) -> None:
    results = [
        result_factory(),
        result_factory(
            check_type="quality",
            element="orders",
            status="pass",
            severity=None,
            measured_value=0.75,
            threshold=0.5,
            unit="1",
        ),
        result_factory(
            check_type="availability",
            element="orders",
            status="error",
            severity=None,
            measured_value=None,
            threshold=None,
            unit=None,
            reason="catalog_unavailable",
        ),
        # Nothing was evaluated: no assertion.
        result_factory(check_type="retention", element="orders", status="skipped", severity=None),
    ]
    _, end = _build(contract, results)
    assertions = _assertions(end)

    assert [(a["assertion"], a["success"]) for a in assertions] == [
        ("freshness", False),
        ("quality", True),
        ("availability", False),
    ]
    freshness, quality, availability = assertions
    assert freshness["column"] == "updated_at"
    assert freshness["severity"] == "error"
    assert freshness["name"] == "urn:contract:orders:freshness:orders.updated_at"
    assert (freshness["expected"], freshness["actual"]) == ("21600", "25200")
    assert freshness["params"] == {"status": "fail", "unit": "s"}
    assert "column" not in quality  # the whole table
    assert (quality["expected"], quality["actual"]) == ("0.5", "0.75")
    assert availability["params"] == {"status": "error", "reason": "catalog_unavailable"}
    assert "expected" not in availability
    assert "actual" not in availability


def test_results_without_a_table_belong_to_their_elements_table(
    contract: Contract, result_factory: Results
) -> None:
    results = [result_factory(table=None, status="skipped", severity=None), result_factory()]
    _, end = _build(contract, results)
    assert [d["name"] for d in end["inputs"]] == ["shop.orders"]


def test_several_tables_are_several_inputs(contract: Contract, result_factory: Results) -> None:
    results = [result_factory(), result_factory(table="lake:shop.customers", snapshot_id=None)]
    _, end = _build(contract, results)
    assert [d["name"] for d in end["inputs"]] == ["shop.orders", "shop.customers"]
    customers = end["inputs"][1]["facets"]
    assert "version" not in customers
    assert "schema" not in customers  # the contract does not describe it


def test_the_most_severe_firing_notification_becomes_the_violation_facet(
    contract: Contract, result_factory: Results, event_factory: Events
) -> None:
    metadata = {"table": "lake:shop.orders"}
    events = [
        event_factory(severity="warning", metadata=metadata),
        event_factory(severity="critical", metadata=metadata, message="worst"),
        event_factory(severity="critical", metadata=metadata, status="resolved"),
        event_factory(severity="error", metadata={"table": "lake:shop.other"}),
    ]
    start, end = _build(contract, [result_factory()], events)
    facet = end["inputs"][0]["facets"]["contractViolation"]
    assert (facet["severity"], facet["message"], facet["status"]) == ("critical", "worst", "firing")
    assert "contractViolation" not in start["inputs"][0]["facets"]


def test_the_violation_facet_on_the_wire_follows_the_published_schema(
    contract: Contract, result_factory: Results, event_factory: Events
) -> None:
    event = event_factory(metadata={"table": "lake:shop.orders"})
    _, end = _build(contract, [result_factory()], [event])
    wire = end["inputs"][0]["facets"]["contractViolation"]

    _facet_validator().validate(wire)
    assert wire == event.to_lineage_facet()
    assert wire["_schemaURL"].endswith("#/$defs/ContractViolationDatasetFacet")
    typed = ContractViolationDatasetFacet.from_event(event)
    assert typed.contractName == "orders"


def test_nulls_are_left_out_on_the_wire(
    contract: Contract, result_factory: Results, event_factory: Events
) -> None:
    # OpenLineage's serializer drops every null: nullable fields are absent, not null.
    event = event_factory(element=None, expected_value=None, actual_value=None)
    _, end = _build(contract, [result_factory()], [event])
    wire = end["inputs"][0]["facets"]["contractViolation"]
    assert {k: v for k, v in event.to_lineage_facet().items() if v is not None} == wire

    facet_schema = contract_violation_facet_schema()["$defs"]["ContractViolationDatasetFacet"]
    nullable = {
        name
        for name, spec in facet_schema["properties"].items()
        if "null" in (spec.get("type") or [])
    }
    validator = _facet_validator()
    assert [e.message for e in validator.iter_errors(wire) if e.validator != "required"] == []
    missing = {e.message.split("'")[1] for e in validator.iter_errors(wire)}
    assert missing <= nullable


def test_an_evaluation_needs_results(contract: Contract) -> None:
    with pytest.raises(ValueError, match="at least one"):
        build_evaluation_events(contract, [])
