"""docs/observability.md lists every metric, and its PromQL names only exported metrics."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from floe_monitoring.telemetry import ALL_METRICS, MetricSpec, prometheus_names
from floe_monitoring.telemetry.names import prometheus_base_name

from .promql import metric_names

DOC = Path(__file__).resolve().parents[4] / "docs" / "observability.md"
_BLOCKS = re.compile(r"```(promql|yaml)\n(.*?)```", re.DOTALL)
_EXPR = re.compile(r"expr: (\|\n(?:\s{10,}.*\n)+|.*)")


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("spec", ALL_METRICS, ids=lambda s: s.name)
def test_every_metric_is_documented_with_its_unit_and_prometheus_name(
    doc: str, spec: MetricSpec
) -> None:
    [row] = [line for line in doc.splitlines() if line.startswith(f"| `{spec.name}` |")]
    assert f"`{spec.unit}`" in row
    assert f"`{prometheus_base_name(spec)}" in row
    for attribute in spec.attributes:
        assert f"`{attribute}`" in row


def _expressions(doc: str) -> list[str]:
    found: list[str] = []
    for kind, body in _BLOCKS.findall(doc):
        if kind == "promql":
            text = "\n".join(line for line in body.splitlines() if not line.startswith("#"))
            found.extend(part for part in re.split(r"\n\s*\n", text) if part.strip())
        else:
            found.extend(match.strip("| \n") for match in _EXPR.findall(body))
    return found


def test_the_documented_queries_use_exported_metrics_only(doc: str) -> None:
    exported = set().union(*(prometheus_names(s) for s in ALL_METRICS))
    expressions = _expressions(doc)
    assert len(expressions) >= 12
    queried = set().union(*(metric_names(e) for e in expressions))
    assert queried - exported == set()
    assert {
        "floe_outbox_oldest_age_seconds",
        "floe_outbox_dead_letters",
        "floe_check_executions_total",
    } <= queried
