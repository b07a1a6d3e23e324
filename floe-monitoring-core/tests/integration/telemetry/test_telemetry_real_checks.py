"""Real checks on a real Iceberg table, traced and counted as the engine will do it."""

from __future__ import annotations

from opentelemetry.trace import StatusCode

from floe_monitoring.catalog import IcebergTableSource
from floe_monitoring.checks import CheckResult, CheckStatus, checks_for_contract
from floe_monitoring.checks.base import system_clock
from floe_monitoring.contracts import Contract

from .conftest import Recorded


async def _run_all(
    recorded: Recorded, contract: Contract, source: IcebergTableSource
) -> list[CheckResult]:
    results = []
    for check in checks_for_contract(contract):
        with recorded.telemetry.check_span(contract, check.check_type, check.element) as span:
            result = await check.run(contract, source, system_clock)
            span.set_result(result)
        recorded.telemetry.record_result(result)
        results.append(result)
    return results


async def test_real_checks_are_counted_and_feed_the_gauges(
    recorded: Recorded, contract: Contract, source: IcebergTableSource
) -> None:
    results = await _run_all(recorded, contract, source)
    statuses = {r.check_type.value: r.status for r in results}
    assert statuses == {
        "freshness": CheckStatus.FAIL,  # 8 h old, SLA 6 h
        "schema_drift": CheckStatus.PASS,
        "quality": CheckStatus.PASS,  # 25% null emails, at most 50% allowed
        "availability": CheckStatus.PASS,
    }

    executions = {
        (a["floe.check.type"], a["floe.check.status"]): v
        for a, v in recorded.points("floe.check.executions")
    }
    assert executions == {
        ("freshness", "fail"): 1,
        ("schema_drift", "pass"): 1,
        ("quality", "pass"): 1,
        ("availability", "pass"): 1,
    }
    [(violation, count)] = recorded.points("floe.contract.violations")
    assert violation == {
        "floe.contract.name": "orders",
        "floe.violation.type": "freshness",
        "floe.violation.severity": "error",
    }
    assert count == 1
    durations = {a["floe.check.type"]: p for a, p in recorded.points("floe.check.duration")}
    assert set(durations) == set(statuses)
    assert all(p.count == 1 and p.sum > 0 for p in durations.values())

    [(_, staleness)] = recorded.points("floe.data.staleness")
    assert 8 * 3600 <= staleness < 8 * 3600 + 600
    assert recorded.points("floe.quality.score") == [({"floe.contract.name": "orders"}, 1.0)]
    assert recorded.points("floe.availability.ratio") == [({"floe.contract.name": "orders"}, 1.0)]


async def test_every_real_check_has_its_own_traced_span(
    recorded: Recorded, contract: Contract, source: IcebergTableSource
) -> None:
    results = await _run_all(recorded, contract, source)
    spans = recorded.spans()
    assert [s.name for s in spans] == [f"check {r.check_type.value}" for r in results]
    assert len({s.context.trace_id for s in spans if s.context is not None}) == len(spans)
    freshness = next(s for s in spans if s.name == "check freshness")
    assert freshness.attributes is not None
    assert freshness.attributes["floe.check.status"] == "fail"
    assert freshness.attributes["floe.violation.severity"] == "error"
    assert freshness.attributes["floe.check.table"] == "lake:shop.orders"
    assert freshness.status.status_code is StatusCode.UNSET


async def test_a_missing_table_is_traced_as_a_failure(
    recorded: Recorded, contract: Contract, source: IcebergTableSource
) -> None:
    moved = contract.model_copy(
        update={
            "objects": tuple(
                o.model_copy(update={"table": o.table.model_copy(update={"name": "gone"})})
                for o in contract.objects
                if o.table is not None
            )
        }
    )
    results = await _run_all(recorded, moved, source)
    availability = next(r for r in results if r.check_type.value == "availability")
    assert availability.status is CheckStatus.FAIL
    assert availability.reason == "table_missing"
    statuses = {a["floe.check.status"] for a, _ in recorded.points("floe.check.executions")}
    assert "fail" in statuses
    assert recorded.points("floe.availability.ratio") == [({"floe.contract.name": "orders"}, 0.0)]
