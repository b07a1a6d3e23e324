"""Spans: one per check run, one per delivery attempt (a child of the check that fired).

The check's trace travels with its notification: `CheckSpan.trace_metadata` goes into the
event's ``metadata`` (``trace_id`` and the W3C ``traceparent``), the event is stored in
the outbox, and the delivery span (perhaps in another process, after a restart) continues
that trace. While the delivery span is current, channels that propagate trace context
(the webhook channel does) send its ``traceparent`` to the receiver.

Exceptions are never recorded on spans (their messages may hold URLs or payloads); a span
gets ``error.type`` (a bounded reason) and an error status instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from floe_monitoring.checks.base import CheckResult, CheckStatus, CheckType
from floe_monitoring.errors import DeliveryError
from floe_monitoring.telemetry.names import OTHER_ERROR, Attr

if TYPE_CHECKING:
    from floe_monitoring.contracts.model import Contract
    from floe_monitoring.sdk.event import ContractViolationEvent

__all__ = [
    "TRACEPARENT_KEY",
    "TRACE_ID_KEY",
    "CheckSpan",
    "DeliverySpan",
    "MonitorTracer",
    "error_type_of",
    "trace_metadata_from",
]

#: Event ``metadata`` keys that carry a check's trace.
TRACE_ID_KEY = "trace_id"
TRACEPARENT_KEY = "traceparent"

# Always W3C for what we store: the global propagator may be configured otherwise (B3...).
_W3C = TraceContextTextMapPropagator()


def trace_metadata_from(traceparent: str | None) -> dict[str, str]:
    """Event metadata (``trace_id`` and ``traceparent``) from a W3C ``traceparent``.

    For carrying one string from the check to the event (the engine's result queue);
    an absent or malformed value gives ``{}``.
    """
    if not traceparent:
        return {}
    context = trace.get_current_span(_W3C.extract({TRACEPARENT_KEY: traceparent}))
    span_context = context.get_span_context()
    if not span_context.is_valid:
        return {}
    return {
        TRACE_ID_KEY: trace.format_trace_id(span_context.trace_id),
        TRACEPARENT_KEY: traceparent,
    }


def error_type_of(result: CheckResult) -> str | None:
    """The ``error.type`` of a result that did not complete, or None.

    ``error`` results (cannot evaluate) carry the exception class the check caught, or
    their reason (``timeout`` for a check the engine stopped at its timeout); any other
    result with reason ``timeout`` is marked too, since the check itself did not finish.
    """
    if result.status is CheckStatus.ERROR:
        caught = result.details.get("error_type")
        if isinstance(caught, str) and caught:
            return caught
        return result.reason or OTHER_ERROR
    if result.reason == "timeout":
        return "timeout"
    return None


class CheckSpan:
    """The span of one check run, as the engine sees it."""

    def __init__(self, span: Span) -> None:
        self._span = span

    @property
    def span(self) -> Span:
        """The OpenTelemetry span (for extra attributes or events)."""
        return self._span

    @property
    def trace_id(self) -> str | None:
        """The trace id as 32 hex digits (what the store keeps), or None when not traced."""
        context = self._span.get_span_context()
        return trace.format_trace_id(context.trace_id) if context.is_valid else None

    @property
    def traceparent(self) -> str | None:
        """The W3C ``traceparent`` of this span, or None when not traced."""
        carrier: dict[str, str] = {}
        _W3C.inject(carrier, context=trace.set_span_in_context(self._span))
        return carrier.get(TRACEPARENT_KEY)

    @property
    def trace_metadata(self) -> dict[str, str]:
        """What to merge into a `ContractViolationEvent`'s ``metadata`` (empty when untraced)."""
        if self.trace_id is None or self.traceparent is None:
            return {}
        return {TRACE_ID_KEY: self.trace_id, TRACEPARENT_KEY: self.traceparent}

    def set_result(self, result: CheckResult) -> None:
        """Describe the outcome on the span: status, severity, violation type, error type."""
        span = self._span
        span.set_attribute(Attr.CHECK_STATUS, result.status.value)
        span.set_attribute(Attr.VIOLATION_TYPE, result.violation_type.value)
        if result.severity is not None:
            span.set_attribute(Attr.VIOLATION_SEVERITY, result.severity.value)
        if result.table is not None:
            span.set_attribute(Attr.CHECK_TABLE, result.table)
        error = error_type_of(result)
        if error is not None:
            span.set_attribute(Attr.ERROR_TYPE, error)
            span.set_status(Status(StatusCode.ERROR, error))


class DeliverySpan:
    """The span of one delivery attempt."""

    def __init__(self, span: Span) -> None:
        self._span = span

    @property
    def span(self) -> Span:
        """The OpenTelemetry span."""
        return self._span

    def fail(self, reason: str) -> None:
        """Mark the attempt failed with a bounded reason (a `FailureReason` value)."""
        self._span.set_attribute(Attr.ERROR_TYPE, reason)
        self._span.set_status(Status(StatusCode.ERROR, reason))


class MonitorTracer:
    """Starts the monitor's spans on the ``floe`` tracer.

    Args:
        tracer: The tracer (a no-op one when tracing is off).
    """

    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer

    @contextmanager
    def check_span(
        self,
        contract: Contract,
        check_type: CheckType | str,
        element: str | None = None,
    ) -> Iterator[CheckSpan]:
        """Trace one check run; call `CheckSpan.set_result` before the block ends.

        Example::

            with tracer.check_span(contract, check.check_type, check.element) as span:
                result = await check.run(contract, source, clock)
                span.set_result(result)
        """
        kind = check_type.value if isinstance(check_type, CheckType) else check_type
        attributes: dict[str, Any] = {
            Attr.CONTRACT_ID: contract.id,
            Attr.CONTRACT_NAME: contract.name,
            Attr.CONTRACT_VERSION: contract.version,
            Attr.CHECK_TYPE: kind,
        }
        if element is not None:
            attributes[Attr.CHECK_ELEMENT] = element
        with self._tracer.start_as_current_span(
            f"check {kind}",
            kind=SpanKind.INTERNAL,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            handle = CheckSpan(span)
            try:
                yield handle
            except BaseException as exc:  # includes cancellation: still mark the span
                _mark_exception(span, exc)
                raise

    @contextmanager
    def delivery_span(
        self,
        channel: str,
        events: Sequence[ContractViolationEvent],
        *,
        delivery_id: str | None = None,
        attempt: int | None = None,
    ) -> Iterator[DeliverySpan]:
        """Trace one delivery attempt, as a child of the check that produced the event.

        The first event's ``traceparent`` is the parent; further events (a batch) become
        links. A `DeliveryError` raised inside marks the span with its reason.
        """
        contexts = [c for c in (_parent_context(e.metadata) for e in events) if c is not None]
        parent = contexts[0] if contexts else None
        links = [
            Link(trace.get_current_span(context).get_span_context()) for context in contexts[1:]
        ]
        attributes: dict[str, Any] = {Attr.CHANNEL: channel, Attr.EVENT_COUNT: len(events)}
        if events:
            attributes[Attr.CONTRACT_NAME] = events[0].contract_name
        if delivery_id is not None:
            attributes[Attr.DELIVERY_ID] = delivery_id
        if attempt is not None:
            attributes[Attr.DELIVERY_ATTEMPT] = attempt
        with self._tracer.start_as_current_span(
            f"deliver {channel}",
            context=parent if parent is not None else Context(),
            kind=SpanKind.CLIENT,
            attributes=attributes,
            links=links,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            handle = DeliverySpan(span)
            try:
                yield handle
            except DeliveryError as error:
                handle.fail(error.reason.value)
                raise
            except BaseException as exc:
                _mark_exception(span, exc)
                raise


def _parent_context(metadata: Mapping[str, Any]) -> Context | None:
    traceparent = metadata.get(TRACEPARENT_KEY)
    if not isinstance(traceparent, str):
        return None
    context = _W3C.extract({TRACEPARENT_KEY: traceparent})
    return context if trace.get_current_span(context).get_span_context().is_valid else None


def _mark_exception(span: Span, exc: BaseException) -> None:
    name = type(exc).__qualname__
    span.set_attribute(Attr.ERROR_TYPE, name)
    span.set_status(Status(StatusCode.ERROR, name))
