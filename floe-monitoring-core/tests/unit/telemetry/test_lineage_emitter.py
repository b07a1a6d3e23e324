"""The lineage emitter never blocks, never raises, and counts what it could not send."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest
from openlineage.client.event_v2 import RunState

from floe_monitoring.checks.base import CheckResult
from floe_monitoring.contracts import Contract
from floe_monitoring.telemetry import LineageConfig, Telemetry
from floe_monitoring.telemetry.lineage import LineageEmitter

from .conftest import Recorded

Results = Callable[..., CheckResult]


class FakeClient:
    """Records emitted events; can fail, or hold every emit until released."""

    def __init__(self, *, fail: bool = False, hold: bool = False) -> None:
        self.events: list[Any] = []
        self.fail = fail
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.closed = False

    def emit(self, event: Any) -> None:
        self.release.wait(10)
        if self.fail:
            raise ConnectionError("http://user:key@lineage.invalid/api/v1/lineage refused")
        self.events.append(event)

    def close(self, timeout: float = -1.0) -> bool:
        self.closed = True
        return True


def _emitter(client: FakeClient, recorded: Recorded, **config: Any) -> LineageEmitter:
    return LineageEmitter(
        LineageConfig(**config), client=client, metrics=recorded.telemetry.metrics
    )


def test_an_evaluation_is_sent_as_start_then_its_outcome(
    recorded: Recorded, contract: Contract, result_factory: Results
) -> None:
    client = FakeClient()
    emitter = _emitter(client, recorded)

    assert emitter.emit_evaluation(contract, [result_factory()]) is True
    assert emitter.flush(5)

    assert [e.eventType for e in client.events] == [RunState.START, RunState.FAIL]
    assert emitter.stats().emitted == 2
    assert recorded.value("floe.lineage.events", floe__lineage__outcome="emitted") == 2
    assert emitter.close(5)
    assert client.closed


def test_nothing_is_sent_for_no_results(recorded: Recorded, contract: Contract) -> None:
    client = FakeClient()
    emitter = _emitter(client, recorded)
    assert emitter.emit_evaluation(contract, []) is False
    emitter.close(1)
    assert client.events == []


def test_a_full_queue_drops_and_counts_without_blocking(
    recorded: Recorded, contract: Contract, result_factory: Results
) -> None:
    client = FakeClient(hold=True)
    emitter = _emitter(client, recorded, queue_size=1)
    results = [result_factory()]

    accepted = [emitter.emit_evaluation(contract, results) for _ in range(5)]
    # One is being sent (held), one waits in the queue, the rest are dropped.
    assert accepted.count(False) >= 3
    dropped = emitter.stats().dropped
    assert dropped == 2 * accepted.count(False)
    assert recorded.value("floe.lineage.events", floe__lineage__outcome="dropped") == dropped

    client.release.set()
    assert emitter.flush(5)
    assert len(client.events) == 2 * accepted.count(True)
    emitter.close(1)


def test_a_down_backend_is_counted_and_logged_once_per_interval(
    recorded: Recorded,
    contract: Contract,
    result_factory: Results,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = FakeClient(fail=True)
    emitter = _emitter(client, recorded, log_interval_seconds=3600)
    caplog.set_level(logging.WARNING, logger="floe_monitoring.telemetry.lineage")

    for _ in range(3):
        assert emitter.emit_evaluation(contract, [result_factory()])
    assert emitter.flush(5)

    assert emitter.stats().failed == 6
    assert recorded.value("floe.lineage.events", floe__lineage__outcome="failed") == 6
    warnings = [r for r in caplog.records if r.name == "floe_monitoring.telemetry.lineage"]
    assert len(warnings) == 1
    assert "ConnectionError" in warnings[0].getMessage()
    assert "key@" not in warnings[0].getMessage()  # the URL (and its credentials) stay out
    emitter.close(1)


def test_the_next_warning_says_how_many_were_suppressed(
    recorded: Recorded,
    contract: Contract,
    result_factory: Results,
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    emitter = LineageEmitter(
        LineageConfig(log_interval_seconds=60),
        client=FakeClient(fail=True),
        monotonic=lambda: now[0],
    )
    caplog.set_level(logging.WARNING, logger="floe_monitoring.telemetry.lineage")
    emitter.emit_evaluation(contract, [result_factory()])
    assert emitter.flush(5)
    now[0] = 61.0
    emitter.emit_evaluation(contract, [result_factory()])
    assert emitter.flush(5)

    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    # The first run's second event was held back, and is counted in the next message.
    assert messages[1].endswith("(1 similar since the last message)")
    emitter.close(1)


def test_after_close_evaluations_are_dropped(
    recorded: Recorded, contract: Contract, result_factory: Results
) -> None:
    client = FakeClient()
    emitter = _emitter(client, recorded)
    emitter.close(1)
    assert emitter.emit_evaluation(contract, [result_factory()]) is False
    assert emitter.stats().dropped == 2


def test_telemetry_emits_one_run_per_contract_of_a_cycle(
    recorded: Recorded, contract: Contract, result_factory: Results
) -> None:
    client = FakeClient()
    telemetry = Telemetry(lineage=_emitter(client, recorded))
    results = [
        result_factory(),
        result_factory(check_type="quality", element="orders", status="pass", severity=None),
        result_factory(contract_id="urn:contract:retired", contract_name="retired"),
    ]

    def lookup(contract_id: str) -> Contract | None:
        return contract if contract_id == contract.id else None

    assert telemetry.emit_cycle(results, [], lookup) == 1
    assert telemetry.lineage is not None
    assert telemetry.lineage.flush(5)
    start, end = client.events
    assert start.run.runId == end.run.runId
    assert len(end.inputs[0].inputFacets["dataQualityAssertions"].assertions) == 2
    telemetry.shutdown()
    assert client.closed


def test_without_lineage_nothing_is_queued(contract: Contract, result_factory: Results) -> None:
    telemetry = Telemetry.disabled()
    assert telemetry.emit_evaluation(contract, [result_factory()]) is False
    assert telemetry.emit_cycle([result_factory()], [], lambda _: contract) == 0
