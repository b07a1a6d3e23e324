"""`MonitorMetrics`: the monitor's OpenTelemetry instruments, fed from its own objects.

Counters and histograms are recorded as things happen. Gauges (staleness, availability,
quality, outbox) are observable: the monitor's latest values are kept here, under a lock,
and read by the SDK when it collects (from its export thread or a Prometheus scrape).

Through the API alone (no SDK configured) every instrument is a no-op and the callbacks
are never called, so recording costs a few attribute look-ups.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from opentelemetry.metrics import CallbackOptions, Counter, Histogram, Meter, Observation

from floe_monitoring.checks.availability import availability_window
from floe_monitoring.checks.base import CheckResult, CheckStatus, CheckType
from floe_monitoring.errors import FailureReason
from floe_monitoring.sdk.enums import Severity
from floe_monitoring.sdk.event import now_utc
from floe_monitoring.telemetry import names
from floe_monitoring.telemetry.names import Attr, MetricSpec

if TYPE_CHECKING:
    from floe_monitoring.delivery.dispatcher import DeliveryOutcome

__all__ = ["DropReason", "LineageOutcome", "MonitorMetrics", "failure_reason"]

#: The availability ratio's rolling window (the specification's 24 h).
AVAILABILITY_WINDOW = timedelta(hours=24)
# Bounds memory per availability check: a probe every 5 min is 288 samples a day.
_MAX_SAMPLES = 5_000

_FAILURE_REASONS = frozenset(reason.value for reason in FailureReason)
_FAILED_OUTCOMES = frozenset({"retry", "dead"})
_AVAILABLE = frozenset({CheckStatus.PASS, CheckStatus.WARN})


class LineageOutcome:
    """Values of `floe.lineage.outcome`."""

    EMITTED = "emitted"
    FAILED = "failed"
    DROPPED = "dropped"


class DropReason:
    """Values of `floe.state.drop_reason`: why check results were never stored."""

    BUFFER_FULL = "buffer_full"  # the database was unreachable and the buffer was full
    REFUSED = "refused"  # the database answered but refused the write
    UNPROCESSABLE = "unprocessable"  # the result (or its notification) could not be built


def failure_reason(reason: str | None) -> str:
    """A delivery failure reason as a bounded attribute value (unknown → ``_OTHER``)."""
    return reason if reason in _FAILURE_REASONS else names.OTHER_ERROR


@dataclass
class _Latest:
    """The latest value of one check, and whose it is."""

    contract_id: str
    contract_name: str
    value: float


@dataclass
class _Samples:
    """One availability check's probes: ``(started_at, available)``, oldest first."""

    contract_id: str
    contract_name: str
    samples: deque[tuple[datetime, bool]] = field(
        default_factory=lambda: deque(maxlen=_MAX_SAMPLES)
    )


@dataclass(frozen=True)
class _Outbox:
    depth: int
    oldest_age_seconds: float
    dead_letters: int


class MonitorMetrics:
    """The instruments of one monitor and the state its gauges read.

    Args:
        meter: Where instruments are created (the ``floe`` meter).
        clock: Now, in UTC (the availability window ends now).
    """

    def __init__(self, meter: Meter, *, clock: Callable[[], datetime] = now_utc) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._staleness: dict[str, _Latest] = {}
        self._quality: dict[str, _Latest] = {}
        self._availability: dict[str, _Samples] = {}
        self._outbox: _Outbox | None = None

        self._violations = _counter(meter, names.VIOLATIONS)
        self._executions = _counter(meter, names.CHECK_EXECUTIONS)
        self._check_duration = _histogram(meter, names.CHECK_DURATION)
        self._schedule_lag = _histogram(meter, names.SCHEDULE_LAG)
        self._notifications = _counter(meter, names.NOTIFICATIONS)
        self._attempts = _counter(meter, names.DELIVERY_ATTEMPTS)
        self._failures = _counter(meter, names.DELIVERY_FAILURES)
        self._send_duration = _histogram(meter, names.DELIVERY_DURATION)
        self._lineage = _counter(meter, names.LINEAGE_EVENTS)
        self._dropped = _counter(meter, names.STATE_DROPPED_RESULTS)
        _gauge(meter, names.DATA_STALENESS, self._observe_staleness)
        _gauge(meter, names.AVAILABILITY_RATIO, self._observe_availability)
        _gauge(meter, names.QUALITY_SCORE, self._observe_quality)
        _gauge(meter, names.OUTBOX_DEPTH, self._observe_outbox_depth)
        _gauge(meter, names.OUTBOX_OLDEST_AGE, self._observe_outbox_age)
        _gauge(meter, names.OUTBOX_DEAD_LETTERS, self._observe_dead_letters)

    # -- checks ----------------------------------------------------------------------

    def record_result(self, result: CheckResult) -> None:
        """Count one check result and update the gauges it feeds."""
        contract = result.contract_name
        check_type = result.check_type.value
        status = result.status.value
        self._executions.add(
            1,
            {Attr.CONTRACT_NAME: contract, Attr.CHECK_TYPE: check_type, Attr.CHECK_STATUS: status},
        )
        self._check_duration.record(
            result.duration_seconds, {Attr.CHECK_TYPE: check_type, Attr.CHECK_STATUS: status}
        )
        if result.is_violation:
            # A failure without a graded severity is a breach: ERROR, as the spec grades it.
            severity = (result.severity or Severity.ERROR).value
            self._violations.add(
                1,
                {
                    Attr.CONTRACT_NAME: contract,
                    Attr.VIOLATION_TYPE: result.violation_type.value,
                    Attr.VIOLATION_SEVERITY: severity,
                },
            )
        self._update_gauges(result)

    def _update_gauges(self, result: CheckResult) -> None:
        # A result without a measurement (error, missing table) keeps the last known
        # value: "cannot evaluate" shows in floe.check.executions, not as a fake reading.
        measured = result.measured_value
        with self._lock:
            if result.check_type is CheckType.FRESHNESS and measured is not None:
                self._staleness[result.key] = _Latest(
                    result.contract_id, result.contract_name, measured
                )
            elif result.check_type is CheckType.QUALITY and measured is not None:
                self._quality[result.key] = _Latest(
                    result.contract_id, result.contract_name, measured
                )
            elif result.check_type is CheckType.AVAILABILITY and result.status in (
                *_AVAILABLE,
                CheckStatus.FAIL,
            ):
                self._samples(result.key, result.contract_id, result.contract_name).samples.append(
                    (result.started_at, result.status in _AVAILABLE)
                )

    def _samples(self, key: str, contract_id: str, contract_name: str) -> _Samples:
        entry = self._availability.get(key)
        if entry is None or entry.contract_name != contract_name:
            entry = self._availability[key] = _Samples(contract_id, contract_name)
        return entry

    def seed_availability(
        self,
        check_key: str,
        contract_id: str,
        contract_name: str,
        samples: Iterable[tuple[datetime, bool]],
    ) -> None:
        """Load stored availability probes (after a restart), oldest first."""
        with self._lock:
            entry = self._samples(check_key, contract_id, contract_name)
            merged = sorted({*entry.samples, *samples})
            entry.samples.clear()
            entry.samples.extend(merged)

    def forget_contract(self, contract_id: str) -> None:
        """Stop reporting gauges for a retired contract."""
        with self._lock:
            for table in (self._staleness, self._quality, self._availability):
                for key in [k for k, v in table.items() if v.contract_id == contract_id]:
                    del table[key]

    def record_lag(self, seconds: float) -> None:
        """Record how late a scheduled check started."""
        self._schedule_lag.record(max(seconds, 0.0))

    # -- delivery --------------------------------------------------------------------

    def record_delivery(self, outcome: DeliveryOutcome) -> None:
        """Count one delivery attempt's outcome (the dispatcher's ``on_outcome``)."""
        if outcome.outcome == "waiting":
            return  # no send was made
        channel = {Attr.CHANNEL: outcome.channel}
        with_outcome = {**channel, Attr.DELIVERY_OUTCOME: outcome.outcome}
        self._attempts.add(1, channel)
        self._notifications.add(1, with_outcome)
        self._send_duration.record(max(outcome.seconds, 0.0), with_outcome)
        if outcome.outcome in _FAILED_OUTCOMES:
            self._failures.add(1, {**channel, Attr.ERROR_TYPE: failure_reason(outcome.reason)})

    def observe_outbox(
        self, depth: int, oldest_age_seconds: float | None, dead_letters: int
    ) -> None:
        """Set the outbox gauges (call it periodically with the store's figures)."""
        with self._lock:
            self._outbox = _Outbox(depth, max(oldest_age_seconds or 0.0, 0.0), dead_letters)

    # -- lineage ---------------------------------------------------------------------

    def record_lineage(self, outcome: str, count: int = 1) -> None:
        """Count OpenLineage events by outcome (see `LineageOutcome`)."""
        self._lineage.add(count, {Attr.LINEAGE_OUTCOME: outcome})

    # -- state database ----------------------------------------------------------------

    def record_dropped(self, count: int, reason: str) -> None:
        """Count check results that will never be stored (see `DropReason`)."""
        if count > 0:
            self._dropped.add(count, {Attr.DROP_REASON: reason})

    # -- gauge callbacks (called by the SDK, possibly from another thread) -----------

    def _observe_staleness(self, _options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            return _per_contract(self._staleness.values(), max)

    def _observe_quality(self, _options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            return _per_contract(self._quality.values(), min)

    def _observe_availability(self, _options: CallbackOptions) -> Iterable[Observation]:
        now = self._clock()
        with self._lock:
            ratios = []
            for entry in self._availability.values():
                window = availability_window(
                    entry.samples, now=now, target=None, window=AVAILABILITY_WINDOW
                )
                if window.ratio is not None:
                    ratios.append(_Latest(entry.contract_id, entry.contract_name, window.ratio))
        return _per_contract(ratios, min)

    def _observe_outbox_depth(self, _options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            return [] if self._outbox is None else [Observation(self._outbox.depth)]

    def _observe_outbox_age(self, _options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            return [] if self._outbox is None else [Observation(self._outbox.oldest_age_seconds)]

    def _observe_dead_letters(self, _options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            return [] if self._outbox is None else [Observation(self._outbox.dead_letters)]


def _per_contract(
    values: Iterable[_Latest], pick: Callable[[float, float], float]
) -> list[Observation]:
    # One series per contract (its worst table): elements never become attributes.
    worst: dict[str, float] = {}
    for entry in values:
        current = worst.get(entry.contract_name)
        worst[entry.contract_name] = entry.value if current is None else pick(current, entry.value)
    return [Observation(value, {Attr.CONTRACT_NAME: name}) for name, value in worst.items()]


def _counter(meter: Meter, spec: MetricSpec) -> Counter:
    return meter.create_counter(spec.name, unit=spec.unit, description=spec.description)


def _histogram(meter: Meter, spec: MetricSpec) -> Histogram:
    return meter.create_histogram(
        spec.name,
        unit=spec.unit,
        description=spec.description,
        explicit_bucket_boundaries_advisory=list(spec.buckets) or None,
    )


def _gauge(
    meter: Meter, spec: MetricSpec, callback: Callable[[CallbackOptions], Iterable[Observation]]
) -> None:
    meter.create_observable_gauge(
        spec.name, callbacks=[callback], unit=spec.unit, description=spec.description
    )
