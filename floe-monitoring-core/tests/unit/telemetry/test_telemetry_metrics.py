"""Metrics read back from the SDK after results, deliveries and outbox readings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from opentelemetry.sdk.metrics.export import HistogramDataPoint

from floe_monitoring.checks.base import CheckResult
from floe_monitoring.delivery.dispatcher import DeliveryOutcome
from floe_monitoring.telemetry import ALL_METRICS, LineageOutcome
from floe_monitoring.telemetry.metrics import DropReason, failure_reason

from .conftest import NOW, Recorded

Results = Callable[..., CheckResult]


def test_a_failure_counts_an_execution_a_violation_and_its_duration(
    recorded: Recorded, result_factory: Results
) -> None:
    recorded.telemetry.record_result(result_factory(duration_seconds=0.2))

    assert (
        recorded.value(
            "floe.check.executions",
            floe__contract__name="orders",
            floe__check__type="freshness",
            floe__check__status="fail",
        )
        == 1
    )
    assert (
        recorded.value(
            "floe.contract.violations",
            floe__contract__name="orders",
            floe__violation__type="freshness",
            floe__violation__severity="error",
        )
        == 1
    )
    duration = recorded.value("floe.check.duration", floe__check__type="freshness")
    assert isinstance(duration, HistogramDataPoint)
    assert duration.count == 1
    assert duration.sum == 0.2
    # Seconds-scale buckets, not the SDK's millisecond defaults.
    assert duration.explicit_bounds[0] == 0.005
    assert 30.0 in duration.explicit_bounds


def test_passes_warnings_and_errors_are_executions_not_violations(
    recorded: Recorded, result_factory: Results
) -> None:
    for status in ("pass", "warn", "error", "skipped"):
        recorded.telemetry.record_result(
            result_factory(status=status, severity=None, measured_value=None)
        )

    statuses = {a["floe.check.status"]: v for a, v in recorded.points("floe.check.executions")}
    assert statuses == {"pass": 1, "warn": 1, "error": 1, "skipped": 1}
    assert recorded.points("floe.contract.violations") == []


def test_a_failure_without_severity_counts_as_an_error(
    recorded: Recorded, result_factory: Results
) -> None:
    recorded.telemetry.record_result(result_factory(severity=None))
    [(attributes, value)] = recorded.points("floe.contract.violations")
    assert attributes["floe.violation.severity"] == "error"
    assert value == 1


def test_violation_type_follows_the_check_type(recorded: Recorded, result_factory: Results) -> None:
    recorded.telemetry.record_result(
        result_factory(check_type="frequency", severity="critical", element=None)
    )
    [(attributes, _)] = recorded.points("floe.contract.violations")
    assert attributes["floe.violation.type"] == "freshness"
    assert attributes["floe.violation.severity"] == "critical"


def test_staleness_is_the_stalest_table_of_each_contract(
    recorded: Recorded, result_factory: Results
) -> None:
    recorded.telemetry.record_result(result_factory(measured_value=100.0))
    recorded.telemetry.record_result(
        result_factory(element="customers.updated_at", measured_value=900.0)
    )
    recorded.telemetry.record_result(
        result_factory(contract_id="urn:c:other", contract_name="other", measured_value=5.0)
    )
    values = {a["floe.contract.name"]: v for a, v in recorded.points("floe.data.staleness")}
    assert values == {"orders": 900.0, "other": 5.0}


def test_a_result_without_measurement_keeps_the_last_known_staleness(
    recorded: Recorded, result_factory: Results
) -> None:
    recorded.telemetry.record_result(result_factory(measured_value=100.0))
    recorded.telemetry.record_result(
        result_factory(status="error", severity=None, measured_value=None)
    )
    assert recorded.value("floe.data.staleness", floe__contract__name="orders") == 100.0


def test_quality_score_is_the_worst_table_of_the_contract(
    recorded: Recorded, result_factory: Results
) -> None:
    for element, score in (("orders", 0.9), ("customers", 0.5)):
        recorded.telemetry.record_result(
            result_factory(check_type="quality", element=element, measured_value=score, unit="1")
        )
    assert recorded.value("floe.quality.score", floe__contract__name="orders") == 0.5


def test_availability_ratio_over_the_last_24_hours(
    recorded: Recorded, result_factory: Results
) -> None:
    def probe(status: str, hours_ago: float) -> CheckResult:
        return result_factory(
            check_type="availability",
            element="orders",
            status=status,
            severity=None if status == "pass" else "error",
            measured_value=0.01 if status == "pass" else None,
            started_at=NOW - timedelta(hours=hours_ago),
        )

    recorded.telemetry.record_result(probe("fail", 30))  # outside the window
    for hours_ago in (3, 2, 1):
        recorded.telemetry.record_result(probe("pass", hours_ago))
    recorded.telemetry.record_result(probe("fail", 0.5))
    # "cannot evaluate" is not unavailability: it does not count either way.
    recorded.telemetry.record_result(probe("error", 0.2))

    assert recorded.value("floe.availability.ratio", floe__contract__name="orders") == 0.75
    recorded.clock[0] = NOW + timedelta(hours=25)
    assert recorded.points("floe.availability.ratio") == []


def test_seeded_availability_samples_count_after_a_restart(recorded: Recorded) -> None:
    recorded.telemetry.seed_availability(
        "urn:contract:orders:availability:orders",
        "urn:contract:orders",
        "orders",
        [(NOW - timedelta(hours=1), True), (NOW - timedelta(minutes=5), False)],
    )
    assert recorded.value("floe.availability.ratio", floe__contract__name="orders") == 0.5


def test_a_retired_contract_leaves_the_gauges(recorded: Recorded, result_factory: Results) -> None:
    recorded.telemetry.record_result(result_factory())
    recorded.telemetry.forget_contract("urn:contract:orders")
    assert recorded.points("floe.data.staleness") == []


def test_schedule_lag_is_a_histogram_in_seconds(recorded: Recorded) -> None:
    recorded.telemetry.record_lag(1.5)
    recorded.telemetry.record_lag(-0.1)  # early by clock jitter: zero, not negative
    [(attributes, point)] = recorded.points("floe.schedule.lag")
    assert attributes == {}
    assert point.count == 2
    assert point.sum == 1.5
    assert point.min == 0.0


def test_delivery_outcomes_count_attempts_notifications_and_failures(recorded: Recorded) -> None:
    telemetry = recorded.telemetry
    telemetry.record_delivery(DeliveryOutcome("slack", "d1", "retry", 1, "rate_limited", "429"))
    telemetry.record_delivery(DeliveryOutcome("slack", "d1", "delivered", 2, seconds=0.3))
    telemetry.record_delivery(DeliveryOutcome("pager", "d2", "dead", 1, "auth", "401"))
    telemetry.record_delivery(DeliveryOutcome("pager", "d3", "dead", 1, "strange-new", "?"))
    telemetry.record_delivery(DeliveryOutcome("pager", "d4", "waiting", 0))

    attempts = {a["floe.channel.name"]: v for a, v in recorded.points("floe.delivery.attempts")}
    assert attempts == {"slack": 2, "pager": 2}
    notifications = {
        (a["floe.channel.name"], a["floe.delivery.outcome"]): v
        for a, v in recorded.points("floe.notifications")
    }
    assert notifications == {("slack", "retry"): 1, ("slack", "delivered"): 1, ("pager", "dead"): 2}
    failures = {
        (a["floe.channel.name"], a["error.type"]): v
        for a, v in recorded.points("floe.delivery.failures")
    }
    assert failures == {("slack", "rate_limited"): 1, ("pager", "auth"): 1, ("pager", "_OTHER"): 1}
    sends = recorded.value(
        "floe.delivery.duration", floe__channel__name="slack", floe__delivery__outcome="delivered"
    )
    assert sends.sum == 0.3


def test_every_failure_reason_is_its_own_attribute_value() -> None:
    for reason in (
        "rate_limited",
        "server_error",
        "client_error",
        "timeout",
        "connection",
        "auth",
        "gone",
        "unsupported",
        "internal",
    ):
        assert failure_reason(reason) == reason
    assert failure_reason(None) == "_OTHER"
    assert failure_reason("a message with https://secret") == "_OTHER"


def test_outbox_gauges_report_the_last_reading(recorded: Recorded) -> None:
    assert recorded.points("floe.outbox.depth") == []  # nothing observed yet
    recorded.telemetry.observe_outbox(7, 42.5, 2)
    recorded.telemetry.observe_outbox(3, None, 1)
    assert recorded.value("floe.outbox.depth") == 3
    assert recorded.value("floe.outbox.oldest_age") == 0.0
    assert recorded.value("floe.outbox.dead_letters") == 1


def test_lineage_outcomes_are_counted(recorded: Recorded) -> None:
    recorded.telemetry.metrics.record_lineage(LineageOutcome.EMITTED, 2)
    recorded.telemetry.metrics.record_lineage(LineageOutcome.DROPPED, 2)
    values = {a["floe.lineage.outcome"]: v for a, v in recorded.points("floe.lineage.events")}
    assert values == {"emitted": 2, "dropped": 2}


def test_dropped_results_are_counted_by_reason(recorded: Recorded) -> None:
    recorded.telemetry.record_dropped(3, DropReason.BUFFER_FULL)
    recorded.telemetry.record_dropped(2, DropReason.BUFFER_FULL)
    recorded.telemetry.record_dropped(1, DropReason.REFUSED)
    recorded.telemetry.record_dropped(0, DropReason.UNPROCESSABLE)  # nothing dropped: no series
    values = {
        a["floe.state.drop_reason"]: v for a, v in recorded.points("floe.state.dropped_results")
    }
    assert values == {"buffer_full": 5, "refused": 1}


def test_no_attribute_carries_elements_tables_or_messages(
    recorded: Recorded, result_factory: Results
) -> None:
    telemetry = recorded.telemetry
    for status in ("pass", "warn", "fail", "error"):
        telemetry.record_result(result_factory(status=status, message=f"secret message {status}"))
    telemetry.record_result(
        result_factory(check_type="quality", element="orders.email", measured_value=0.5)
    )
    telemetry.record_result(result_factory(check_type="availability", element="orders"))
    telemetry.record_delivery(DeliveryOutcome("slack", "d-123", "dead", 3, "gone", "410 body"))
    telemetry.observe_outbox(1, 1.0, 1)
    telemetry.record_lag(0.1)

    declared = {spec.name: set(spec.attributes) for spec in ALL_METRICS}
    seen = 0
    for spec in ALL_METRICS:
        for attributes, _ in recorded.points(spec.name):
            seen += 1
            assert set(attributes) == declared[spec.name], spec.name
            for value in attributes.values():
                assert "secret" not in value
                assert "updated_at" not in value
                assert "shop." not in value
                assert "d-123" not in value
    assert seen >= 10
