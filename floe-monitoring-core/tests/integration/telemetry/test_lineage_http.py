"""OpenLineage runs received by a loopback HTTP backend, validated against the client's models.

openlineage-python ships no JSON schema files, so received events are validated by
rebuilding them with its typed models (`openlineage_models`); the custom facet against
the schema floe publishes.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from floe_monitoring import ContractViolationEvent
from floe_monitoring.catalog import IcebergTableSource
from floe_monitoring.checks import CheckResult, checks_for_contract
from floe_monitoring.checks.base import system_clock
from floe_monitoring.contracts import Contract
from floe_monitoring.telemetry import LineageConfig, Telemetry
from floe_monitoring.telemetry.lineage import LineageEmitter
from floe_testing_kit import FakeHTTPServer, ScriptedResponse, unused_tcp_url

from .conftest import Recorded
from .openlineage_models import validate_custom_facet, validate_run_event

# No retries: a test backend that fails should fail fast.
_NO_RETRY = {"total": 0, "read": 0, "connect": 0, "status": 0}


def _config(url: str, **overrides: Any) -> LineageConfig:
    transport = {
        "type": "http",
        "url": url,
        "endpoint": "api/v1/lineage",
        "timeout": 2,
        "retry": _NO_RETRY,
    }
    return LineageConfig(
        namespace="floe-tests",
        transport=transport,
        catalog_types={"lake": "sql"},
        **overrides,
    )


async def _results(contract: Contract, source: IcebergTableSource) -> list[CheckResult]:
    return [await c.run(contract, source, system_clock) for c in checks_for_contract(contract)]


def _event_for(result: CheckResult) -> ContractViolationEvent:
    return ContractViolationEvent.model_validate(
        {
            "contract_name": result.contract_name,
            "contract_version": result.contract_version,
            "contract_id": result.contract_id,
            "violation_type": result.violation_type,
            "severity": result.severity or "error",
            "message": result.message,
            "element": result.element,
            "expected_value": result.threshold,
            "actual_value": result.measured_value,
            "timestamp": result.started_at,
            "metadata": {"table": result.table} if result.table else {},
        }
    )


async def test_an_evaluation_reaches_the_backend_as_start_then_fail(
    contract: Contract,
    source: IcebergTableSource,
    receiver: FakeHTTPServer,
) -> None:
    results = await _results(contract, source)
    failed = next(r for r in results if r.is_violation)
    telemetry = Telemetry(lineage=_config(receiver.url))

    assert telemetry.emit_evaluation(contract, results, [_event_for(failed)])
    requests = await receiver.wait_for_requests(2)
    await telemetry.aclose()

    assert [r.path for r in requests] == ["/api/v1/lineage", "/api/v1/lineage"]
    assert all(r.headers["content-type"] == "application/json" for r in requests)
    start, end = (json.loads(r.body) for r in requests)
    validate_run_event(start)
    validate_run_event(end)
    assert (start["eventType"], end["eventType"]) == ("START", "FAIL")
    assert start["run"]["runId"] == end["run"]["runId"]
    assert end["job"] == start["job"]
    assert (end["job"]["namespace"], end["job"]["name"]) == ("floe-tests", "urn:contract:orders")
    assert end["job"]["facets"]["jobType"]["jobType"] == "TEST"

    [dataset] = end["inputs"]
    assert (dataset["namespace"], dataset["name"]) == ("iceberg://lake", "shop.orders")
    facets = dataset["facets"]
    assert facets["catalog"]["type"] == "sql"
    snapshot = next(r.snapshot_id for r in results if r.snapshot_id is not None)
    assert facets["version"]["datasetVersion"] == str(snapshot)
    assert [f["name"] for f in facets["schema"]["fields"]] == ["id", "updated_at", "email"]
    assertions = dataset["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert sorted((a["assertion"], a["success"]) for a in assertions) == [
        ("availability", True),
        ("freshness", False),
        ("quality", True),
        ("schema_drift", True),
    ]
    violation = facets["contractViolation"]
    validate_custom_facet(violation)
    assert (violation["violationType"], violation["severity"]) == ("freshness", "error")
    assert violation["element"] == "orders.updated_at"
    assert "contractViolation" not in start["inputs"][0]["facets"]


async def test_a_passing_evaluation_completes(
    contract: Contract,
    source: IcebergTableSource,
    receiver: FakeHTTPServer,
) -> None:
    results = [r for r in await _results(contract, source) if not r.is_violation]
    telemetry = Telemetry(lineage=_config(receiver.url))
    assert telemetry.emit_evaluation(contract, results)
    requests = await receiver.wait_for_requests(2)
    await telemetry.aclose()

    end = json.loads(requests[1].body)
    validate_run_event(end)
    assert end["eventType"] == "COMPLETE"
    assert "errorMessage" not in end["run"]["facets"]
    assert "contractViolation" not in end["inputs"][0]["facets"]


async def test_a_failing_backend_is_counted_and_never_stops_monitoring(
    contract: Contract,
    source: IcebergTableSource,
    receiver: FakeHTTPServer,
) -> None:
    receiver.handler = lambda _request: ScriptedResponse(500, body=b"lineage store down")
    results = await _results(contract, source)
    telemetry = Telemetry(lineage=_config(receiver.url))
    emitter = telemetry.lineage
    assert emitter is not None

    for _ in range(3):
        assert telemetry.emit_evaluation(contract, results)
    await receiver.wait_for_requests(6)
    assert await asyncio.to_thread(emitter.flush, 5)
    assert emitter.stats().failed == 6
    assert emitter.stats().emitted == 0
    await telemetry.aclose()


async def test_a_dead_backend_does_not_block_the_event_loop(
    contract: Contract,
    source: IcebergTableSource,
    receiver: FakeHTTPServer,
) -> None:
    # The backend hangs on every request: the worker thread waits, the loop never does.
    receiver.handler = lambda _request: ScriptedResponse(hang=True)
    results = await _results(contract, source)
    telemetry = Telemetry(lineage=_config(receiver.url, queue_size=2))
    emitter = telemetry.lineage
    assert emitter is not None

    began = time.monotonic()
    accepted = [telemetry.emit_evaluation(contract, results) for _ in range(10)]
    enqueue_seconds = time.monotonic() - began
    assert enqueue_seconds < 0.5
    assert accepted.count(False) >= 7  # one in flight, two queued, the rest dropped

    # The loop stays responsive while the worker waits on the hanging backend.
    ticks = 0
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        await asyncio.sleep(0.01)
        ticks += 1
    assert ticks >= 10  # about 45 on an idle machine; a blocked loop makes 0 or 1
    await receiver.wait_for_requests(1)
    assert emitter.stats().dropped == 2 * accepted.count(False)
    await receiver.close()  # the hanging requests end: the worker moves on and fails
    await telemetry.aclose()


async def test_an_unreachable_backend_is_counted_as_failed(
    contract: Contract, source: IcebergTableSource, recorded: Recorded
) -> None:
    results = await _results(contract, source)
    emitter = LineageEmitter(_config(unused_tcp_url()), metrics=recorded.telemetry.metrics)
    assert emitter.emit_evaluation(contract, results)
    assert await asyncio.to_thread(emitter.flush, 10)
    assert emitter.stats().failed == 2
    outcomes = {a["floe.lineage.outcome"]: v for a, v in recorded.points("floe.lineage.events")}
    assert outcomes == {"failed": 2}
    await asyncio.to_thread(emitter.close, 1)
