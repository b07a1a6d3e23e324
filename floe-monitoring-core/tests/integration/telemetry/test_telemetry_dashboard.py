"""The Grafana dashboard queries only metrics the monitor exports, and covers what it must."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from floe_monitoring.telemetry import ALL_METRICS, prometheus_names

from .promql import LABEL_VALUES, metric_names

DASHBOARD = Path(__file__).resolve().parents[4] / "deploy" / "grafana" / "floe-monitoring.json"


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def _queries(dashboard: dict[str, Any]) -> list[str]:
    exprs = [
        target["expr"]
        for panel in _panels(dashboard["panels"])
        for target in panel.get("targets", [])
    ]
    for variable in dashboard["templating"]["list"]:
        query = variable.get("query")
        if variable["type"] == "query":
            text = query["query"] if isinstance(query, dict) else query
            match = LABEL_VALUES.search(text)
            assert match is not None, text
            exprs.append(match.group(1))
    return exprs


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def exported() -> set[str]:
    return set().union(*(prometheus_names(spec) for spec in ALL_METRICS))


def test_the_promql_parser_finds_metrics_and_ignores_the_rest() -> None:
    expr = (
        "histogram_quantile(0.95, sum by (le, floe_check_type) "
        '(rate(floe_check_duration_seconds_bucket{floe_contract_name=~"$contract"}'
        "[$__rate_interval]))) / on (job) group_left sum(up offset 5m) and bool inf"
    )
    assert metric_names(expr) == {"floe_check_duration_seconds_bucket", "up"}
    assert metric_names("max(floe_outbox_depth) > 100") == {"floe_outbox_depth"}
    assert metric_names('sum(x{a="b(c)"}) by (d)') == {"x"}


def test_every_queried_metric_is_exported(dashboard: dict[str, Any]) -> None:
    queried: set[str] = set()
    for expr in _queries(dashboard):
        names = metric_names(expr)
        assert names, expr
        queried |= names
    unknown = queried - exported()
    assert unknown == set(), f"the dashboard queries metrics nobody exports: {sorted(unknown)}"


@pytest.mark.parametrize(
    "needed",
    [
        "floe_check_executions_total",  # SLA compliance per contract
        "floe_availability_ratio",
        "floe_data_staleness_seconds",
        "floe_quality_score",
        "floe_contract_violations_total",  # violations by type and severity
        "floe_check_duration_seconds_bucket",  # check latency
        "floe_schedule_lag_seconds_bucket",
        "floe_outbox_depth",  # delivery health
        "floe_outbox_oldest_age_seconds",
        "floe_outbox_dead_letters",
        "floe_delivery_failures_total",
        "floe_notifications_total",
    ],
)
def test_the_dashboard_covers(dashboard: dict[str, Any], needed: str) -> None:
    queried = set().union(*(metric_names(e) for e in _queries(dashboard)))
    assert needed in queried


def test_violations_are_split_by_type_and_severity(dashboard: dict[str, Any]) -> None:
    panel = next(
        p for p in _panels(dashboard["panels"]) if p["title"] == "Violations by type and severity"
    )
    expr = panel["targets"][0]["expr"]
    assert "by (floe_violation_type, floe_violation_severity)" in expr
    failures = next(
        p for p in _panels(dashboard["panels"]) if p["title"] == "Delivery failures by reason"
    )
    assert "error_type" in failures["targets"][0]["expr"]


def test_the_dashboard_is_well_formed(dashboard: dict[str, Any]) -> None:
    assert dashboard["uid"] == "floe-monitoring"
    assert isinstance(dashboard["schemaVersion"], int)
    panels = list(_panels(dashboard["panels"]))
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert variables == {"datasource", "contract"}
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        assert panel["description"], panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs))
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
