"""Every metric name, unit and attribute key the monitor emits, in one place.

Names follow the OpenTelemetry conventions: lowercase, dotted, no ``_total`` and no unit
in the name, UCUM units (``s``, ``1``, ``{violation}``). `prometheus_names` derives what
the Prometheus exporter turns each one into (``floe.contract.violations`` with unit
``{violation}`` becomes ``floe_contract_violations_total``); the dashboard test checks
every metric the Grafana dashboard queries against it.

Attribute values are bounded sets only: contract names (configuration), check types,
statuses, severities, channel names and failure reasons. Never an element, a run id, a
table or a message: those belong on spans and lineage events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "ALL_METRICS",
    "AVAILABILITY_RATIO",
    "CHECK_DURATION",
    "CHECK_EXECUTIONS",
    "DATA_STALENESS",
    "DELIVERY_ATTEMPTS",
    "DELIVERY_DURATION",
    "DELIVERY_FAILURES",
    "INSTRUMENTATION_NAME",
    "LINEAGE_EVENTS",
    "NOTIFICATIONS",
    "OTHER_ERROR",
    "OUTBOX_DEAD_LETTERS",
    "OUTBOX_DEPTH",
    "OUTBOX_OLDEST_AGE",
    "QUALITY_SCORE",
    "SCHEDULE_LAG",
    "STATE_DROPPED_RESULTS",
    "VIOLATIONS",
    "Attr",
    "InstrumentKind",
    "MetricSpec",
    "prometheus_base_name",
    "prometheus_names",
]

#: The meter and tracer name (the instrumentation scope).
INSTRUMENTATION_NAME = "floe"

#: `error.type` value when the cause is unknown (the OpenTelemetry convention).
OTHER_ERROR = "_OTHER"


class Attr:
    """Attribute keys of metrics and spans (plain strings, as the API expects)."""

    CONTRACT_NAME: Final = "floe.contract.name"
    CONTRACT_VERSION: Final = "floe.contract.version"
    CONTRACT_ID: Final = "floe.contract.id"  # spans only
    CHECK_TYPE: Final = "floe.check.type"
    CHECK_STATUS: Final = "floe.check.status"
    CHECK_ELEMENT: Final = "floe.check.element"  # spans only: unbounded
    CHECK_TABLE: Final = "floe.check.table"  # spans only
    VIOLATION_TYPE: Final = "floe.violation.type"
    VIOLATION_SEVERITY: Final = "floe.violation.severity"
    CHANNEL: Final = "floe.channel.name"
    DELIVERY_OUTCOME: Final = "floe.delivery.outcome"
    DELIVERY_ID: Final = "floe.delivery.id"  # spans only
    DELIVERY_ATTEMPT: Final = "floe.delivery.attempt"  # spans only
    EVENT_COUNT: Final = "floe.delivery.event_count"  # spans only
    LINEAGE_OUTCOME: Final = "floe.lineage.outcome"
    DROP_REASON: Final = "floe.state.drop_reason"
    ERROR_TYPE: Final = "error.type"


class InstrumentKind(StrEnum):
    """The OpenTelemetry instrument behind a metric."""

    COUNTER = "counter"
    HISTOGRAM = "histogram"
    GAUGE = "gauge"  # an observable gauge read from the monitor's state on collection


@dataclass(frozen=True)
class MetricSpec:
    """One metric: its OpenTelemetry identity and the attributes it carries.

    Attributes:
        name: The OpenTelemetry instrument name.
        kind: Counter, histogram or (observable) gauge.
        unit: UCUM unit.
        description: One line for ``# HELP`` and the docs.
        attributes: The attribute keys every data point carries.
        buckets: Explicit histogram bucket boundaries (histograms only).
    """

    name: str
    kind: InstrumentKind
    unit: str
    description: str
    attributes: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()


# Seconds-scale boundaries: the SDK's default buckets are tuned for milliseconds.
_CHECK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_LAG_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
_SEND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

VIOLATIONS = MetricSpec(
    "floe.contract.violations",
    InstrumentKind.COUNTER,
    "{violation}",
    "Check results that broke a contract promise (status fail).",
    (Attr.CONTRACT_NAME, Attr.VIOLATION_TYPE, Attr.VIOLATION_SEVERITY),
)
CHECK_EXECUTIONS = MetricSpec(
    "floe.check.executions",
    InstrumentKind.COUNTER,
    "{check}",
    "Check runs, by outcome (pass, warn, fail, error = cannot evaluate, skipped).",
    (Attr.CONTRACT_NAME, Attr.CHECK_TYPE, Attr.CHECK_STATUS),
)
CHECK_DURATION = MetricSpec(
    "floe.check.duration",
    InstrumentKind.HISTOGRAM,
    "s",
    "How long one check run took.",
    (Attr.CHECK_TYPE, Attr.CHECK_STATUS),
    _CHECK_BUCKETS,
)
DATA_STALENESS = MetricSpec(
    "floe.data.staleness",
    InstrumentKind.GAUGE,
    "s",
    "Age of the contract's stalest table, as its latest freshness check measured it.",
    (Attr.CONTRACT_NAME,),
)
AVAILABILITY_RATIO = MetricSpec(
    "floe.availability.ratio",
    InstrumentKind.GAUGE,
    "1",
    "Share of successful availability probes over the last 24 h (worst table).",
    (Attr.CONTRACT_NAME,),
)
QUALITY_SCORE = MetricSpec(
    "floe.quality.score",
    InstrumentKind.GAUGE,
    "1",
    "Weighted share of quality rules that hold, from the latest quality check (worst table).",
    (Attr.CONTRACT_NAME,),
)
SCHEDULE_LAG = MetricSpec(
    "floe.schedule.lag",
    InstrumentKind.HISTOGRAM,
    "s",
    "How late a scheduled check started after its due time.",
    (),
    _LAG_BUCKETS,
)
NOTIFICATIONS = MetricSpec(
    "floe.notifications",
    InstrumentKind.COUNTER,
    "{notification}",
    "Delivery attempts by outcome: delivered, retry (will be retried) or dead.",
    (Attr.CHANNEL, Attr.DELIVERY_OUTCOME),
)
DELIVERY_ATTEMPTS = MetricSpec(
    "floe.delivery.attempts",
    InstrumentKind.COUNTER,
    "{attempt}",
    "Sends to a channel (first tries and retries).",
    (Attr.CHANNEL,),
)
DELIVERY_FAILURES = MetricSpec(
    "floe.delivery.failures",
    InstrumentKind.COUNTER,
    "{failure}",
    "Failed sends to a channel, by classified reason.",
    (Attr.CHANNEL, Attr.ERROR_TYPE),
)
DELIVERY_DURATION = MetricSpec(
    "floe.delivery.duration",
    InstrumentKind.HISTOGRAM,
    "s",
    "How long one send to a channel took.",
    (Attr.CHANNEL, Attr.DELIVERY_OUTCOME),
    _SEND_BUCKETS,
)
OUTBOX_DEPTH = MetricSpec(
    "floe.outbox.depth",
    InstrumentKind.GAUGE,
    "{notification}",
    "Notifications waiting in the outbox (pending or retrying).",
)
OUTBOX_OLDEST_AGE = MetricSpec(
    "floe.outbox.oldest_age",
    InstrumentKind.GAUGE,
    "s",
    "Age of the oldest notification waiting in the outbox (0 when empty).",
)
OUTBOX_DEAD_LETTERS = MetricSpec(
    "floe.outbox.dead_letters",
    InstrumentKind.GAUGE,
    "{notification}",
    "Dead-lettered notifications (replay them with `floe sla deliveries replay`).",
)
LINEAGE_EVENTS = MetricSpec(
    "floe.lineage.events",
    InstrumentKind.COUNTER,
    "{event}",
    "OpenLineage events by outcome: emitted, failed (backend error) or dropped (queue full).",
    (Attr.LINEAGE_OUTCOME,),
)
STATE_DROPPED_RESULTS = MetricSpec(
    "floe.state.dropped_results",
    InstrumentKind.COUNTER,
    "{result}",
    "Check results never stored: buffer full during an outage, refused, or unprocessable.",
    (Attr.DROP_REASON,),
)

#: Every metric, in documentation order.
ALL_METRICS: tuple[MetricSpec, ...] = (
    VIOLATIONS,
    CHECK_EXECUTIONS,
    CHECK_DURATION,
    DATA_STALENESS,
    AVAILABILITY_RATIO,
    QUALITY_SCORE,
    SCHEDULE_LAG,
    NOTIFICATIONS,
    DELIVERY_ATTEMPTS,
    DELIVERY_FAILURES,
    DELIVERY_DURATION,
    OUTBOX_DEPTH,
    OUTBOX_OLDEST_AGE,
    OUTBOX_DEAD_LETTERS,
    LINEAGE_EVENTS,
    STATE_DROPPED_RESULTS,
)

# The OpenTelemetry → Prometheus compatibility rules (specification "Prometheus and
# OpenMetrics compatibility"), restricted to the units used above; the exporter test
# proves these match what opentelemetry-exporter-prometheus really writes.
_UNIT_SUFFIXES = {"s": "seconds", "ms": "milliseconds", "By": "bytes", "1": "", "%": "percent"}
_INVALID_NAME_CHARS = re.compile(r"[^a-zA-Z0-9:]+")
_ANNOTATION = re.compile(r"\{.*\}")


def prometheus_base_name(spec: MetricSpec) -> str:
    """The Prometheus family name: dots to underscores, then the unit suffix, if any."""
    name = _INVALID_NAME_CHARS.sub("_", spec.name)
    unit = _ANNOTATION.sub("", spec.unit)
    suffix = _UNIT_SUFFIXES.get(unit, _INVALID_NAME_CHARS.sub("_", unit).strip("_"))
    if suffix and not name.endswith(f"_{suffix}"):
        name = f"{name}_{suffix}"
    return name


def prometheus_names(spec: MetricSpec) -> frozenset[str]:
    """The sample names a scrape shows for `spec` (``_total``, ``_bucket`` and so on)."""
    base = prometheus_base_name(spec)
    if spec.kind is InstrumentKind.COUNTER:
        return frozenset({f"{base}_total"})
    if spec.kind is InstrumentKind.HISTOGRAM:
        return frozenset({f"{base}_bucket", f"{base}_sum", f"{base}_count"})
    return frozenset({base})
