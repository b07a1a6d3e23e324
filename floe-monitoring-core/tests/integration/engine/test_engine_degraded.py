"""The engine when things go wrong: slow checks, refused writes, unprocessable results,
and contract re-reads that must not block the event loop.

Real state databases (SQLite and PostgreSQL) and a loopback webhook receiver; the table
sources are stand-ins that hang or report missing tables.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from pydantic import SecretStr

from floe_monitoring.catalog.ref import TableRef
from floe_monitoring.checks import CheckStatus
from floe_monitoring.config import ChannelEntry, MonitorConfig, StateConfig
from floe_monitoring.contracts.loader import load_contracts
from floe_monitoring.engine import ContractMonitor
from floe_monitoring.errors import TableNotFoundError
from floe_monitoring.routing import RoutingRule
from floe_monitoring.store.cycle import CycleWrite, StoredResult
from floe_monitoring.store.outbox import OutboxEntry
from floe_monitoring.telemetry import Telemetry
from floe_testing_kit import FakeHTTPServer
from floe_testing_kit.events import make_event

T = TypeVar("T")

CONTRACT = """\
apiVersion: v3.1.0
kind: DataContract
id: urn:degraded:c{i}
name: c{i}
version: 1.0.0
servers:
  - server: lake
    type: iceberg
    catalog: default
    namespace: degraded
schema:
  - name: t{i}
    properties:
      - name: id
        logicalType: integer
      - name: updated_at
        logicalType: timestamp
slaProperties:
  - property: latency
    value: 1
    unit: h
    element: t{i}.updated_at
"""


class MissingTables:
    """Every table is gone: each availability and freshness check fails."""

    async def with_table(
        self, ref: TableRef, fn: Callable[[Any], T], *, call_timeout: float | None = None
    ) -> T:
        raise TableNotFoundError(f"table {ref} does not exist", catalog="default", table=str(ref))

    async def probe(self, ref: TableRef, *, call_timeout: float | None = None) -> float:
        raise TableNotFoundError(f"table {ref} does not exist", catalog="default", table=str(ref))


class HangingTables:
    """A catalog that never answers (the engine's check timeout ends every call)."""

    async def with_table(
        self, ref: TableRef, fn: Callable[[Any], T], *, call_timeout: float | None = None
    ) -> T:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def probe(self, ref: TableRef, *, call_timeout: float | None = None) -> float:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


class Metrics:
    """The engine's telemetry, read back from an in-memory SDK reader."""

    def __init__(self) -> None:
        self.reader = InMemoryMetricReader()
        self.telemetry = Telemetry(meter_provider=MeterProvider(metric_readers=[self.reader]))

    def counter(self, name: str, key: str) -> dict[str, float]:
        """Counter `name` by the value of attribute `key`."""
        found: dict[str, float] = {}
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data is not None else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name != name:
                        continue
                    for point in metric.data.data_points:
                        assert isinstance(point, NumberDataPoint)
                        value = str((point.attributes or {}).get(key))
                        found[value] = found.get(value, 0) + point.value
        return found


def _config(
    root: Path, state_url: str, receiver: FakeHTTPServer, **monitoring: Any
) -> MonitorConfig:
    return MonitorConfig(
        contracts=(str(root / "contracts" / "*.yaml"),),
        state=StateConfig(url=SecretStr(state_url)),
        channels={
            "hook": ChannelEntry.model_validate(
                {
                    "type": "webhook",
                    "url": f"{receiver.url}/in",
                    "mode": "json",
                    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                    "allow_insecure_http": True,
                }
            )
        },
        routing=(RoutingRule(channel="hook"),),
        monitoring={"rate_limit": None, "scheduling": "local", **monitoring},  # type: ignore[arg-type]
        base_dir=root,
    )


def _write_contracts(root: Path, count: int) -> None:
    (root / "contracts").mkdir(exist_ok=True)
    for i in range(count):
        (root / "contracts" / f"c{i}.yaml").write_text(CONTRACT.format(i=i))


def _notices(receiver: FakeHTTPServer) -> list[tuple[str, str]]:
    """(contract name, notification kind) of every request, in order."""
    found = []
    for request in receiver.requests:
        event: dict[str, Any] = json.loads(request.body)
        found.append((event["contractName"], event["metadata"]["notification"]))
    return found


@pytest.fixture
async def receiver() -> AsyncIterator[FakeHTTPServer]:
    async with FakeHTTPServer() as server:
        yield server


async def test_a_check_past_its_timeout_is_an_error_never_a_violation(
    tmp_path: Path, state_url: str, receiver: FakeHTTPServer
) -> None:
    _write_contracts(tmp_path, 1)
    config = _config(
        tmp_path, state_url, receiver, check_timeout="0.2s", incidents={"error_after": 3}
    )
    metrics = Metrics()
    async with ContractMonitor(
        config, table_source=HangingTables(), telemetry=metrics.telemetry
    ) as monitor:
        cycles = [
            await monitor.run_once(check_types=["freshness", "availability"]) for _ in range(4)
        ]
        incidents = await monitor.store.incidents()
        stored = await monitor.store.results(limit=None)

    results = [r for cycle in cycles for r in cycle]
    assert len(results) == 8
    for result in results:
        assert result.status is CheckStatus.ERROR
        assert result.reason == "timeout"
        assert result.severity is None
        assert result.message == "the check did not finish within 0.2s"
    assert {r["status"] for r in stored} == {"error"}
    # No alert, no incident: one "cannot evaluate" notice per check after 3 errors in a row.
    assert sorted(_notices(receiver)) == [("c0", "cannot_evaluate")] * 2
    assert incidents == []
    assert metrics.counter("floe.contract.violations", "floe.violation.type") == {}
    assert metrics.counter("floe.check.executions", "floe.check.status") == {"error": 8}


async def test_a_refused_write_is_given_up_after_one_retry(
    tmp_path: Path, state_url: str, receiver: FakeHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    _write_contracts(tmp_path, 2)
    metrics = Metrics()
    async with ContractMonitor(
        _config(tmp_path, state_url, receiver),
        table_source=MissingTables(),
        telemetry=metrics.telemetry,
    ) as monitor:
        [first, _] = await monitor.run_once(check_types=["availability"], deliver=False)
        # The same notification twice: one primary key, so the database refuses the write
        # with and without the results, every time (as routing to two channels did, D1).
        event = make_event(contract_id="urn:degraded:c0", contract_name="c0")
        now = monitor.clock.now()
        entry = OutboxEntry(
            channel="hook", events=(event,), created_at=now, deadline_at=now + timedelta(hours=1)
        )
        refused = CycleWrite(results=[StoredResult(first)], outbox=[entry, entry])
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="floe_monitoring.engine"):
            await monitor._commit(refused)
        status = await monitor.status()
        assert monitor.buffered == 0  # not re-buffered for the next cycle
        assert monitor.refused_writes == 1
        assert status.store_reachable  # the database answers: not an outage
        assert status.overflow == 1  # the refused result
        assert status.refused_writes == 1

        # The next cycle is written and delivered as if nothing had happened.
        await monitor.run_once(check_types=["availability"])
        await monitor.run_once(check_types=["availability"])
        stored = await monitor.store.results(check_type="availability", limit=None)
        rows = await monitor.store.outbox.rows(limit=None)
        assert monitor.refused_writes == 1
        assert monitor.buffered == 0

    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert lines[0].startswith("state database refused 1 results (IntegrityError: ")
    assert lines[1].startswith("state database refused the retry too (IntegrityError: ")
    assert lines[1].endswith(
        "gave up on 2 notifications, 0 incident updates and 0 suppressions of this cycle"
    )
    assert all("\n" not in line for line in lines)
    assert len(stored) == 2 + 2 + 2  # the first cycle, then the two after the refusal
    assert str(event.event_id) not in {r.delivery_id for r in rows}
    assert sorted(_notices(receiver)) == [("c0", "firing"), ("c1", "firing")]
    assert metrics.counter("floe.state.dropped_results", "floe.state.drop_reason") == {"refused": 1}


async def test_a_result_whose_event_cannot_be_built_does_not_stop_the_others(
    tmp_path: Path, state_url: str, receiver: FakeHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    _write_contracts(tmp_path, 3)
    metrics = Metrics()
    async with ContractMonitor(
        _config(tmp_path, state_url, receiver),
        table_source=MissingTables(),
        telemetry=metrics.telemetry,
    ) as monitor:
        # A name no event accepts (a lone surrogate; the loader refuses it in files, but
        # the processor must not trust every producer of results to have done so).
        good = monitor.contracts["urn:degraded:c0"]
        bad = good.model_copy(update={"id": "urn:degraded:bad", "name": "orders \ud800 broken"})
        with caplog.at_level(logging.WARNING, logger="floe_monitoring.engine"):
            await monitor.register_contract(bad)  # the store cannot record it: logged
        assert monitor.processor is not None
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="floe_monitoring.engine"):
            results = await monitor.run_once(check_types=["availability"])
            await monitor.run_once(check_types=["availability"])
        stored = await monitor.store.results(check_type="availability", limit=None)
        states = await monitor.store.incident_states()
        status = await monitor.status()
        bad_keys = [k for k in monitor.processor.states if k.startswith("urn:degraded:bad")]
        dropped = monitor.processor.dropped

    assert len(results) == 4
    assert sorted(_notices(receiver)) == [("c0", "firing"), ("c1", "firing"), ("c2", "firing")]
    assert len(stored) == 6  # the three good contracts, twice
    assert {r["contract_id"] for r in stored} == {f"urn:degraded:c{i}" for i in range(3)}
    assert not any(k.startswith("urn:degraded:bad") for k in states)
    assert bad_keys == []  # the bad result left no trace in the processor's memory
    assert dropped == 2
    assert status.overflow == 2
    assert metrics.counter("floe.state.dropped_results", "floe.state.drop_reason") == {
        "unprocessable": 2
    }
    lines = [r.getMessage() for r in caplog.records]
    assert (
        lines
        == [
            "result of check urn:degraded:bad:availability:t0 (contract orders \\ud800 broken) "
            "dropped: it could not be processed (ValidationError)"
        ]
        * 2
    )


async def test_re_reading_contract_files_parses_them_off_the_event_loop(
    tmp_path: Path, state_url: str, receiver: FakeHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "contracts").mkdir()
    async with ContractMonitor(
        _config(tmp_path, state_url, receiver), table_source=MissingTables()
    ) as monitor:
        _write_contracts(tmp_path, 200)
        parsed_in: list[threading.Thread] = []

        def spy(*args: Any, **kwargs: Any) -> Any:
            parsed_in.append(threading.current_thread())
            return load_contracts(*args, **kwargs)

        monkeypatch.setattr("floe_monitoring.engine.monitor.load_contracts", spy)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.001)
                ticks += 1

        task = asyncio.create_task(ticker())
        try:
            # Overlapping re-reads (timer, SIGHUP, POST) run one after the other.
            first, second = await asyncio.gather(
                monitor.reload_contracts(), monitor.reload_contracts()
            )
        finally:
            task.cancel()
        contracts = len(monitor.contracts)

    assert parsed_in
    assert all(t is not threading.main_thread() for t in parsed_in)
    assert ticks >= 10  # the loop kept serving other tasks while 200 files were parsed
    assert len(first.added) == 200
    assert second.added == second.changed == second.removed == []
    assert first.errors == second.errors == ()
    assert contracts == 200
