"""`LineageEmitter`: OpenLineage events sent off the event loop, never in monitoring's way.

`emit_evaluation` only puts the evaluation on a bounded queue (it never blocks and never
raises); one worker thread builds the events and sends them through the configured
OpenLineage transport (the client's HTTP transport is blocking). When the queue is full
the evaluation is dropped; when the backend fails the events are lost. Both are counted
(``floe.lineage.events`` with outcome ``dropped`` / ``failed``) and logged at most once
per ``log_interval_seconds``: a lineage backend that is down never stops monitoring.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from floe_monitoring.checks.base import CheckResult
from floe_monitoring.contracts.model import Contract
from floe_monitoring.sdk.event import ContractViolationEvent
from floe_monitoring.telemetry.lineage_config import LineageConfig
from floe_monitoring.telemetry.metrics import LineageOutcome, MonitorMetrics

if TYPE_CHECKING:
    from openlineage.client.client import Event

__all__ = ["LineageClient", "LineageEmitter", "LineageStats"]

_log = logging.getLogger("floe_monitoring.telemetry.lineage")
_EVENTS_PER_RUN = 2  # START and COMPLETE/FAIL


class LineageClient(Protocol):
    """What the emitter needs from an OpenLineage client (`OpenLineageClient` is one)."""

    def emit(self, event: Event) -> None:
        """Send one event (blocking); raise when it could not be sent."""
        ...

    def close(self, timeout: float = -1.0) -> bool:
        """Flush and release the transport."""
        ...


@dataclass(frozen=True)
class _Evaluation:
    contract: Contract
    results: tuple[CheckResult, ...]
    events: tuple[ContractViolationEvent, ...]


@dataclass(frozen=True)
class LineageStats:
    """Events sent, failed and dropped since start (also exported as metrics)."""

    emitted: int
    failed: int
    dropped: int
    queued: int


class LineageEmitter:
    """Sends one OpenLineage run per contract evaluation from a worker thread.

    Args:
        config: Naming, transport and queue bounds.
        metrics: Where outcomes are counted (optional).
        client: The OpenLineage client (built from ``config`` when None).
        monotonic: Clock for log rate limiting (injected by tests).
    """

    def __init__(
        self,
        config: LineageConfig,
        *,
        metrics: MonitorMetrics | None = None,
        client: LineageClient | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._client: LineageClient = client if client is not None else _make_client(config)
        self._metrics = metrics
        self._monotonic = monotonic
        self._queue: queue.Queue[_Evaluation | None] = queue.Queue(maxsize=config.queue_size)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._emitted = self._failed = self._dropped = 0
        self._last_warning: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    @property
    def client(self) -> LineageClient:
        """The OpenLineage client in use."""
        return self._client

    def stats(self) -> LineageStats:
        """What happened so far."""
        with self._lock:
            return LineageStats(self._emitted, self._failed, self._dropped, self._queue.qsize())

    def emit_evaluation(
        self,
        contract: Contract,
        results: Sequence[CheckResult],
        events: Sequence[ContractViolationEvent] = (),
    ) -> bool:
        """Queue one evaluation's run; never blocks. False when it was dropped.

        Args:
            contract: The contract evaluated.
            results: Its results of this evaluation (nothing is sent for none).
            events: The notifications those results raised.
        """
        if not results:
            return False
        if self._closed:
            self._count_dropped("lineage emitter is closed: evaluation dropped")
            return False
        self._ensure_worker()
        try:
            self._queue.put_nowait(_Evaluation(contract, tuple(results), tuple(events)))
        except queue.Full:
            self._count_dropped(
                f"lineage queue full ({self.config.queue_size} evaluations): dropping runs "
                "until the backend catches up"
            )
            return False
        return True

    def flush(self, timeout: float | None = None) -> bool:
        """Block until everything queued was handled; False on timeout (not on the loop)."""
        done = self._queue.all_tasks_done
        with done:
            return done.wait_for(lambda: self._queue.unfinished_tasks == 0, timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Send what is queued (up to ``timeout``), stop the worker, close the transport."""
        timeout = self.config.close_timeout_seconds if timeout is None else timeout
        self._closed = True
        drained = self.flush(timeout)
        thread = self._thread
        if thread is not None:
            # A full queue means the worker is stuck on the backend: it is a daemon, let it go.
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(None)
            thread.join(max(timeout, 0.0) if drained else 0.0)
        try:
            self._client.close(timeout)
        except Exception as exc:  # closing must never fail the monitor's shutdown
            _log.warning("closing the OpenLineage transport failed: %s", type(exc).__name__)
        return drained

    # -- worker ----------------------------------------------------------------------

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="floe-lineage", daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._send(item)
            finally:
                self._queue.task_done()

    def _send(self, item: _Evaluation) -> None:
        from floe_monitoring.telemetry.lineage_events import build_evaluation_events

        try:
            built = build_evaluation_events(
                item.contract, item.results, item.events, config=self.config
            )
        except Exception:  # a bug in building must not kill the worker
            _log.exception("could not build the lineage run of contract %s", item.contract.id)
            self._count(LineageOutcome.FAILED, _EVENTS_PER_RUN)
            return
        for event in (built.start, built.end):
            try:
                self._client.emit(event)
            except Exception as exc:  # the backend is down or refused: count, go on
                self._count(LineageOutcome.FAILED)
                self._warn(
                    "failed",
                    f"OpenLineage backend did not take an event ({_describe(exc)}); "
                    "monitoring goes on",
                )
            else:
                self._count(LineageOutcome.EMITTED)

    # -- accounting ------------------------------------------------------------------

    def _count_dropped(self, message: str) -> None:
        self._count(LineageOutcome.DROPPED, _EVENTS_PER_RUN)
        self._warn("dropped", message)

    def _count(self, outcome: str, count: int = 1) -> None:
        with self._lock:
            if outcome == LineageOutcome.EMITTED:
                self._emitted += count
            elif outcome == LineageOutcome.FAILED:
                self._failed += count
            else:
                self._dropped += count
        if self._metrics is not None:
            self._metrics.record_lineage(outcome, count)

    def _warn(self, kind: str, message: str) -> None:
        # Once per interval and kind: an outage would otherwise log every evaluation.
        now = self._monotonic()
        with self._lock:
            last = self._last_warning.get(kind)
            if last is not None and now - last < self.config.log_interval_seconds:
                self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
                return
            self._last_warning[kind] = now
            suppressed = self._suppressed.pop(kind, 0)
        suffix = f" ({suppressed} similar since the last message)" if suppressed else ""
        _log.warning("%s%s", message, suffix)


def _describe(error: Exception) -> str:
    # The type and status only: messages of HTTP errors carry the URL, which may hold a key.
    response: Any = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    return f"{type(error).__name__}" + (f" {status}" if status is not None else "")


def _make_client(config: LineageConfig) -> LineageClient:
    from openlineage.client import OpenLineageClient

    user: dict[str, Any] = {}
    if config.transport is not None:
        user["transport"] = dict(config.transport)
    return OpenLineageClient(config=user or None)
