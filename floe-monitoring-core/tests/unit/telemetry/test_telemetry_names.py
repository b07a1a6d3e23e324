"""Metric names follow the OpenTelemetry conventions and map to the expected Prometheus names."""

from __future__ import annotations

import re

import pytest

from floe_monitoring import telemetry
from floe_monitoring.telemetry import names
from floe_monitoring.telemetry.names import ALL_METRICS, InstrumentKind, MetricSpec

_OTEL_NAME = re.compile(r"^floe(\.[a-z][a-z0-9_]*)+$")
_UCUM = {
    "s",
    "1",
    "{violation}",
    "{check}",
    "{notification}",
    "{attempt}",
    "{failure}",
    "{event}",
    "{result}",
}


@pytest.mark.parametrize("spec", ALL_METRICS, ids=lambda s: s.name)
def test_names_are_lowercase_dotted_without_total_or_unit(spec: MetricSpec) -> None:
    assert _OTEL_NAME.match(spec.name), spec.name
    assert not spec.name.endswith(("_total", ".total", "_seconds", ".seconds", "_ratio_total"))
    assert spec.unit in _UCUM
    assert spec.description.endswith(".")


def test_names_are_unique_and_every_spec_is_listed() -> None:
    declared = [v for v in vars(names).values() if isinstance(v, MetricSpec)]
    assert sorted(s.name for s in declared) == sorted(s.name for s in ALL_METRICS)
    assert len({s.name for s in ALL_METRICS}) == len(ALL_METRICS)


def test_unbounded_keys_are_never_metric_attributes() -> None:
    unbounded = {
        names.Attr.CHECK_ELEMENT,
        names.Attr.CHECK_TABLE,
        names.Attr.DELIVERY_ID,
        names.Attr.CONTRACT_ID,
        names.Attr.CONTRACT_VERSION,
        names.Attr.DELIVERY_ATTEMPT,
    }
    for spec in ALL_METRICS:
        assert not unbounded & set(spec.attributes), spec.name


def test_histograms_have_buckets_in_seconds() -> None:
    for spec in ALL_METRICS:
        if spec.kind is InstrumentKind.HISTOGRAM:
            assert spec.unit == "s"
            assert list(spec.buckets) == sorted(spec.buckets)
            assert spec.buckets[-1] >= 30.0  # the check timeout fits
        else:
            assert spec.buckets == ()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (names.VIOLATIONS, {"floe_contract_violations_total"}),
        (names.CHECK_EXECUTIONS, {"floe_check_executions_total"}),
        (
            names.CHECK_DURATION,
            {
                "floe_check_duration_seconds_bucket",
                "floe_check_duration_seconds_sum",
                "floe_check_duration_seconds_count",
            },
        ),
        (names.DATA_STALENESS, {"floe_data_staleness_seconds"}),
        (names.AVAILABILITY_RATIO, {"floe_availability_ratio"}),
        (names.QUALITY_SCORE, {"floe_quality_score"}),
        (names.OUTBOX_DEPTH, {"floe_outbox_depth"}),
        (names.OUTBOX_OLDEST_AGE, {"floe_outbox_oldest_age_seconds"}),
        (names.OUTBOX_DEAD_LETTERS, {"floe_outbox_dead_letters"}),
        (names.DELIVERY_FAILURES, {"floe_delivery_failures_total"}),
        (names.STATE_DROPPED_RESULTS, {"floe_state_dropped_results_total"}),
    ],
    ids=lambda v: v.name if isinstance(v, MetricSpec) else "",
)
def test_prometheus_names(spec: MetricSpec, expected: set[str]) -> None:
    assert names.prometheus_names(spec) == expected


def test_a_unit_already_in_the_name_is_not_repeated() -> None:
    spec = MetricSpec("floe.idle_seconds", InstrumentKind.GAUGE, "s", "Idle time.")
    assert names.prometheus_base_name(spec) == "floe_idle_seconds"


def test_the_facade_exports_exactly_its_public_api() -> None:
    assert sorted(telemetry.__all__) == sorted(
        [
            "ALL_METRICS",
            "PROMETHEUS_CONTENT_TYPE",
            "TRACEPARENT_KEY",
            "TRACE_ID_KEY",
            "Attr",
            "CheckSpan",
            "DeliverySpan",
            "LineageConfig",
            "LineageOutcome",
            "MetricSpec",
            "MonitorMetrics",
            "MonitorTracer",
            "Providers",
            "Telemetry",
            "prometheus_names",
            "providers_from_env",
            "trace_metadata_from",
        ]
    )
    for name in telemetry.__all__:
        assert getattr(telemetry, name) is not None
