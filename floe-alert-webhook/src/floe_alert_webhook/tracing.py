"""W3C trace context for outgoing requests, when OpenTelemetry is present.

OpenTelemetry is not a dependency of this package: an application that traces already
has `opentelemetry-api` installed, and one that does not trace should not pay for it.
When the API is importable and a span is active, its `traceparent` (and `tracestate`)
go on the request so the receiver can join the monitor's trace.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, MutableMapping
from typing import Any

__all__ = ["TRACE_HEADERS", "inject_trace_context", "tracing_available"]

#: The propagation headers this module may add.
TRACE_HEADERS = frozenset({"traceparent", "tracestate"})


def _load_inject() -> Callable[..., Any] | None:
    try:
        # A dynamic import: the static one would make OpenTelemetry look required.
        propagate = importlib.import_module("opentelemetry.propagate")
    except ImportError:
        return None
    inject: Callable[..., Any] = propagate.inject
    return inject


_INJECT = _load_inject()


def tracing_available() -> bool:
    """True when `opentelemetry-api` is importable."""
    return _INJECT is not None


def inject_trace_context(headers: MutableMapping[str, str]) -> None:
    """Add `traceparent`/`tracestate` of the active span to `headers` (no span: nothing).

    Only the W3C headers are copied, and only single-line values: a misconfigured
    propagator must not be able to add arbitrary or broken headers.
    """
    if _INJECT is None:
        return
    carrier: dict[str, str] = {}
    _INJECT(carrier)
    for name, value in carrier.items():
        lower = name.lower()
        if lower in TRACE_HEADERS and isinstance(value, str) and value.isprintable():
            headers[lower] = value
