"""`ContractMonitor`: contracts in, checked on schedule, violations delivered durably.

    contracts ─▶ checks ─▶ Scheduler ─▶ run ─▶ CheckResult ─▶ ResultProcessor
        (incidents, events, routing) ─▶ one transaction (results + outbox) ─▶ Dispatcher

Example:
    >>> async with ContractMonitor(config) as monitor:          # doctest: +SKIP
    ...     results = await monitor.run_once()
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import glob
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from floe_monitoring.catalog.source import TableSource
from floe_monitoring.channels.factory import build_channel
from floe_monitoring.channels.registry import ChannelRegistry
from floe_monitoring.checks.base import CheckResult, CheckStatus
from floe_monitoring.checks.plan import checks_for_contract
from floe_monitoring.checks.runner import BaseCheck
from floe_monitoring.checks.schema_drift import SchemaDriftCheck
from floe_monitoring.config.model import MonitorConfig
from floe_monitoring.contracts.loader import (
    ContractLoadResult,
    contract_from_dict,
    load_contracts,
)
from floe_monitoring.contracts.model import Contract
from floe_monitoring.contracts.overrides import ContractOverrides, ContractsConfig
from floe_monitoring.delivery.dispatcher import DeliveryOutcome, Dispatcher
from floe_monitoring.engine.jobs import (
    BURN_CHECK_TYPES,
    Job,
    JobRunner,
    evaluate_burn,
    run_retention,
)
from floe_monitoring.engine.processor import ResultProcessor
from floe_monitoring.engine.shared_scheduler import SharedScheduler
from floe_monitoring.engine.status import ChannelState, MonitorStatus, ReloadReport
from floe_monitoring.errors import ContractError, FloeError, PluginError
from floe_monitoring.incidents import IncidentTracker
from floe_monitoring.routing import AlertRouter, Silence
from floe_monitoring.scheduling import MonitorClock, Scheduler, ScheduleSpec, SystemClock
from floe_monitoring.sdk.plugin import AlertChannelPlugin, HealthState, HealthStatus
from floe_monitoring.store.cycle import CycleWrite
from floe_monitoring.store.outbox import OutboxStatus
from floe_monitoring.store.state_store import StateStore
from floe_monitoring.telemetry import Telemetry
from floe_monitoring.telemetry.metrics import DropReason

__all__ = ["ContractMonitor"]

_log = logging.getLogger("floe_monitoring.engine")
Channel = AlertChannelPlugin[Any]


class ContractMonitor:
    """The monitor engine: schedules checks, tracks incidents, delivers notifications.

    Args:
        config: The monitor's configuration.
        clock: Time source (`SystemClock` by default; `ManualClock` in tests).
        registry: Where channel types are found (the installed entry points by default).
        channels: Ready channel instances by name, instead of building `config.channels`.
        table_source: Where tables are read (PyIceberg catalogs from the config by default).
        owner: This process's name in leases (unique per replica).
        telemetry: Metrics, spans and lineage (the OpenTelemetry API's no-op by default).
    """

    def __init__(
        self,
        config: MonitorConfig,
        *,
        clock: MonitorClock | None = None,
        registry: ChannelRegistry | None = None,
        channels: Mapping[str, Channel] | None = None,
        table_source: TableSource | None = None,
        owner: str | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.config = config
        self.telemetry = telemetry or Telemetry()
        self.clock: MonitorClock = clock or SystemClock()
        self.registry = registry or ChannelRegistry()
        self.owner = owner or f"monitor-{uuid.uuid4().hex[:12]}"
        self.store = StateStore(config.state_url(), pool_size=config.state.pool_size)
        self._given_channels = dict(channels) if channels is not None else None
        self._given_source = table_source
        self._source: TableSource | None = table_source
        self._owned_source: Any = None
        self.channels: dict[str, Channel] = {}
        self.channel_errors: dict[str, str] = {}
        self.channel_health: dict[str, HealthStatus] = {}
        self.contracts: dict[str, Contract] = {}
        self.contract_errors: list[str] = []
        self._file_contracts: set[str] = set()
        self._checks: dict[str, BaseCheck] = {}
        # Check keys per contract: register/unregister must not scan every check (10,000
        # contracts x 4 checks made start-up quadratic).
        self._keys_of: dict[str, set[str]] = {}
        self._observed: dict[str, dict[str, Any]] = {}
        self._contracts_config: ContractsConfig = config.contracts_config()
        self._process_lock = asyncio.Lock()
        # One re-read at a time (timer, SIGHUP and POST may overlap now that it awaits).
        self._reload_lock = asyncio.Lock()
        self._queue: asyncio.Queue[tuple[CheckResult, datetime | None, str | None]] = (
            asyncio.Queue()
        )
        self._buffer = CycleWrite()
        self.overflow = 0
        #: Writes given up on: refused by the database twice (its notifications lost).
        self.refused_writes = 0
        self.store_healthy = True
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False
        self._gc_threshold = gc.get_threshold()
        self._stop = asyncio.Event()
        self.processor: ResultProcessor | None = None
        self.dispatcher: Dispatcher | None = None
        mode = config.monitoring.scheduling
        self.shared = mode == "shared" or (mode == "auto" and not self.store.database.is_sqlite)
        self.scheduler: Scheduler | SharedScheduler
        if self.shared:
            self.scheduler = SharedScheduler(
                self.store.database,
                self.clock,
                self._scheduled_run,
                owner=self.owner,
                max_concurrency=config.monitoring.max_concurrent_checks,
                lease=config.monitoring.check_timeout + config.monitoring.schedule_lease_margin,
                poll_interval=config.monitoring.schedule_poll_interval.total_seconds(),
                on_lag=self._on_lag,
            )
        else:
            self.scheduler = Scheduler(
                self.clock,
                self._scheduled_run,
                max_concurrency=config.monitoring.max_concurrent_checks,
                on_lag=self._on_lag,
                on_overrun=self._on_overrun,
            )
        self.lags: list[float] = []
        self._stored_silences: set[str] = set()
        self.jobs = JobRunner(
            self.store,
            [
                Job("floe-retention", timedelta(hours=1), self._retention),
                Job("floe-budget-burn", config.monitoring.burn_evaluation_interval, self._burn),
            ],
            self.clock,
        )
        self.outcomes: list[DeliveryOutcome] = []

    def __repr__(self) -> str:
        counts = f"contracts={len(self.contracts)} checks={len(self._checks)}"
        return f"<ContractMonitor {self.owner} {counts}>"

    # -- lifecycle -------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Open the store (migrating it), start channels, load contracts, start delivery.

        Raises:
            StateStoreError: The state database cannot be reached or migrated.
        """
        if self._started:
            return
        await self.store.open()
        await self._start_channels()
        if self._source is None:
            from floe_monitoring.catalog.source import IcebergTableSource

            self._owned_source = IcebergTableSource(self.config.table_source_config())
            self._source = self._owned_source
        self.processor = ResultProcessor(
            IncidentTracker(self.config.monitoring.incidents),
            AlertRouter(
                self.config.routing,
                dedup_window=self.config.monitoring.dedup_window,
                rate_limit=self.config.monitoring.rate_limit,
                silences=self.config.monitoring.silences,
                maintenance_windows=self.config.monitoring.maintenance,
                channel_capabilities={n: type(c).capabilities for n, c in self.channels.items()},
            ),
            {n: type(c).capabilities for n, c in self.channels.items()},
            self._contract_of,
            deadline=self.config.monitoring.delivery.deadline,
            hooks=self.registry.plugin_manager,
        )
        await self._hydrate()
        await self.sync_silences()
        self.dispatcher = Dispatcher(
            self.store.outbox,
            self.channels,
            policy=self.config.monitoring.delivery,
            clock=self.clock,
            owner=self.owner,
            hooks=self.registry.plugin_manager,
            on_outcome=self._on_outcome,
            telemetry=self.telemetry,
        )
        for name, status in self.channel_health.items():
            self.dispatcher.set_health(name, status.healthy)
        await self.reload_contracts()
        # The contracts, checks and schedules just built live as long as the process; with
        # 10,000 contracts they are ~400 MiB of objects that every full cyclic collection
        # would walk (1.5-2 s pauses, the engine's p99 schedule lag). Freezing moves them
        # out of the collector's reach; reference counting still frees what is replaced,
        # and `stop` hands them back (several monitors in one process, e.g. tests).
        gc.freeze()
        # What is left for the collector is the results in flight: mostly freed by
        # reference counting, so the default thresholds (a young collection every 700
        # allocations, a full one every 70,000) spent 22% of the engine's time in the GC
        # at 2,000 checks/s; these spend 2% (benchmarks/, scenario 1). Restored by `stop`.
        self._gc_threshold = gc.get_threshold()
        gc.set_threshold(*_GC_THRESHOLD)
        self._started = True
        await self.dispatcher.start()
        await self.status()  # the outbox gauges have values from the first scrape on
        self._tasks = [
            asyncio.create_task(self._flush_loop(), name="floe-results"),
            asyncio.create_task(self._health_loop(), name="floe-channel-health"),
        ]

    async def stop(self, grace: float | None = None) -> None:
        """Stop scheduling, finish in-flight work for `grace` seconds, close everything.

        Notifications not yet delivered stay in the outbox; the next start sends them.
        """
        if not self._started:
            await self.store.close()
            return
        grace = grace if grace is not None else self.config.service.shutdown_grace.total_seconds()
        self._stop.set()
        gc.unfreeze()
        gc.set_threshold(*self._gc_threshold)
        await self.jobs.stop()
        if self.scheduler.started:
            await self.scheduler.stop(grace)
        await self._drain_queue()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.dispatcher is not None:
            await self.dispatcher.stop(grace)
        for name, channel in self.channels.items():
            try:
                await channel.shutdown()
            except Exception as exc:  # one channel's shutdown must not stop the others
                _log.warning("channel %s did not shut down cleanly: %s", name, type(exc).__name__)
        if self._owned_source is not None:
            await self._owned_source.aclose()
        await self.telemetry.aclose()
        await self.store.close()
        self._started = False

    async def run_forever(self, stop: asyncio.Event | None = None) -> None:
        """Run the schedule until `stop` is set (or `request_stop` is called)."""
        if not self._started:
            await self.start()
        self.scheduler.start()
        self.jobs.start()
        waiter = stop or self._stop
        if stop is not None:
            await asyncio.wait(
                [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._stop.wait())],
                return_when=asyncio.FIRST_COMPLETED,
            )
        else:
            await waiter.wait()

    def request_stop(self) -> None:
        """Ask `run_forever` to return (for signal handlers)."""
        self._stop.set()

    # -- one pass --------------------------------------------------------------------

    async def run_once(
        self,
        *,
        contracts: Sequence[str] | None = None,
        check_types: Sequence[str] | None = None,
        deliver: bool = True,
        record: bool = True,
    ) -> list[CheckResult]:
        """Run every (selected) check once now, record the results, deliver what fires.

        Args:
            contracts: Only contracts with these ids or names.
            check_types: Only these check types.
            deliver: Send the resulting notifications before returning.
            record: Store results and track incidents; False evaluates only (a dry run
                that leaves the service's incident state untouched).

        Returns:
            The results, in check order.
        """
        if not self._started:
            await self.start()
        wanted = [
            check
            for check in self._checks.values()
            if (contracts is None or self._matches(check.contract_id, contracts))
            and (check_types is None or check.check_type.value in check_types)
        ]
        limit = asyncio.Semaphore(self.config.monitoring.max_concurrent_checks)

        async def one(check: BaseCheck) -> tuple[CheckResult, str | None]:
            async with limit:
                return await self._execute(check)

        runs = await asyncio.gather(*(one(c) for c in wanted))
        results = [result for result, _ in runs]
        if not record:
            return results
        await self._process([(result, None, traceparent) for result, traceparent in runs])
        if deliver and self.dispatcher is not None:
            try:
                await self.dispatcher.drain()
            except Exception as exc:
                if not _unreachable(exc):
                    raise
                _log.warning("notifications wait for the state database to come back")
        return results

    def _matches(self, contract_id: str, selectors: Sequence[str]) -> bool:
        contract = self.contracts.get(contract_id)
        return contract_id in selectors or (contract is not None and contract.name in selectors)

    # -- contracts -------------------------------------------------------------------

    async def reload_contracts(self) -> ReloadReport:
        """Re-read the contract files: add new, update changed, retire removed contracts.

        A broken file is reported (one line naming file, line and field) and the rest
        keeps running; a contract whose file became broken keeps its last good version.
        """
        async with self._reload_lock:
            return await self._reload_contracts()

    async def _reload_contracts(self) -> ReloadReport:
        # Globbing and parsing thousands of files takes seconds: a worker thread keeps the
        # probes, checks and deliveries that share the event loop responsive meanwhile.
        files, loaded = await asyncio.to_thread(self._read_contract_files, self._contracts_config)
        if not files and not self.contracts:
            return await self._restore_contracts()
        errors = [str(e) for e in (loaded.errors if loaded else ())]
        for error in errors:
            _log.error("contract skipped: %s", error)
        broken_sources = {
            e.path for e in (loaded.errors if loaded else ()) if isinstance(e, ContractError)
        }
        report = ReloadReport(errors=tuple(errors))
        seen: set[str] = set()
        for count, contract in enumerate(loaded.contracts if loaded else (), start=1):
            if count % 100 == 0:
                # Comparing an unchanged contract never awaits: let the loop breathe.
                await asyncio.sleep(0)
            seen.add(contract.id)
            change = await self.register_contract(contract, _from_file=True)
            if change == "added":
                report.added.append(contract.id)
            elif change == "changed":
                report.changed.append(contract.id)
        for contract_id in sorted(self._file_contracts - seen):
            if self.contracts[contract_id].source in broken_sources:
                continue  # keep the last good version while its file is broken
            await self.unregister_contract(contract_id)
            report.removed.append(contract_id)
        self.contract_errors = errors
        return report

    def _read_contract_files(
        self, config: ContractsConfig
    ) -> tuple[list[str], ContractLoadResult | None]:
        """Find and parse the contract files (blocking: runs in a worker thread)."""
        files = sorted(
            {f for p in self.config.contract_paths() for f in glob.glob(str(p), recursive=True)}
        )
        loaded = load_contracts([Path(f) for f in files], config=config) if files else None
        return files, loaded

    async def _restore_contracts(self) -> ReloadReport:
        """Cold start without contract files: re-register what the store remembers."""
        report = ReloadReport()
        errors: list[str] = []
        try:
            rows = await self.store.contracts()
        except Exception as exc:
            _log.error(
                "no contract files and the store cannot list contracts: %s", type(exc).__name__
            )
            return report
        for row in rows:
            try:
                contract = contract_from_dict(
                    row["document"],
                    source=row["source"] or "<store>",
                    config=self._contracts_config,
                )
            except FloeError as error:
                errors.append(str(error))
                continue
            await self.register_contract(contract)
            report.added.append(contract.id)
        if rows:
            _log.warning(
                "no contract files found: %d contract(s) restored from the state store",
                len(report.added),
            )
        report.errors = tuple(errors)
        self.contract_errors = errors
        return report

    async def _discover(self, contract: Contract) -> Contract:
        """Re-map a contract's tables that are not where its mapping says (if configured)."""
        from floe_monitoring.catalog.discovery import discover_tables
        from floe_monitoring.catalog.source import IcebergTableSource

        if not isinstance(self._source, IcebergTableSource):
            return contract
        server = contract.iceberg_server
        catalog = (
            server.catalog if server and server.catalog else None
        ) or self._contracts_config.default_catalog
        found = await discover_tables(contract, self._source, catalog=catalog)
        if found.error:
            _log.warning("table discovery for %s skipped: %s", contract.id, found.error)
            return contract
        for name, candidates in found.ambiguous.items():
            _log.warning(
                "contract %s: %s matches several tables (%s): set it in overrides",
                contract.id,
                name,
                ", ".join(candidates),
            )
        if not found.overrides:
            return contract
        specific = self._contracts_config.contracts.get(contract.id, ContractOverrides())
        merged = specific.merged_with(
            ContractOverrides(tables={**found.overrides, **specific.tables})
        )
        contracts = {**self._contracts_config.contracts, contract.id: merged}
        self._contracts_config = self._contracts_config.model_copy(update={"contracts": contracts})
        for name, override in found.overrides.items():
            _log.warning(
                "contract %s: table of %s discovered at %s", contract.id, name, override.identifier
            )
        document = contract.document()
        return contract_from_dict(document, source=contract.source, config=self._contracts_config)

    async def _retention(self, now: datetime) -> None:
        monitoring = self.config.monitoring
        pruned = await run_retention(
            self.store, monitoring.retention, monitoring.hourly_retention, now
        )
        if pruned.raw_results or pruned.hourly_rollups:
            _log.info(
                "retention: %d raw results older than %s and %d hourly rollups older than %s"
                " pruned",
                pruned.raw_results,
                monitoring.retention,
                pruned.hourly_rollups,
                monitoring.hourly_retention,
            )

    async def _burn(self, now: datetime) -> None:
        assert self.processor is not None
        checks = []
        for key, check in self._checks.items():
            if check.check_type.value not in BURN_CHECK_TYPES:
                continue
            contract = self.contracts.get(check.contract_id)
            if contract is None:
                continue
            stated = [s.percent for s in contract.sla_properties("availability") if s.percent]
            target = stated[0] if stated else self.config.monitoring.default_slo_target
            checks.append((contract, key, check.check_type.value, check.element, target))
        events = await evaluate_burn(self.store, checks, now=now)
        if not events:
            return
        async with self._process_lock:
            if self.shared:
                await self._refresh_from_replicas([])
            cycle = self.processor.route_events(events, now=now)
            await self._commit(cycle)
        if self.dispatcher is not None and cycle.outbox:
            self.dispatcher.wake()

    async def register_contract(self, contract: Contract, *, _from_file: bool = False) -> str:
        """Add or replace a contract while running; returns added, changed or unchanged."""
        previous = self.contracts.get(contract.id)
        if previous is not None and previous.model_dump() == contract.model_dump():
            return "unchanged"
        if self.config.monitoring.discover_tables:
            contract = await self._discover(contract)
        overrides = self._contracts_config.for_contract(contract.id, contract.name)
        checks = checks_for_contract(contract, overrides, previous_observed=self._observed)
        old_keys = set(self._keys_of.get(contract.id, ()))
        new_keys = {c.key for c in checks}
        for key in old_keys - new_keys:
            self._checks.pop(key, None)
            self.scheduler.remove(key)
        if old_keys - new_keys:
            with contextlib.suppress(Exception):
                await self.store.remove_schedules(sorted(old_keys - new_keys))
        for check in checks:
            self._checks[check.key] = check
        self._keys_of[contract.id] = new_keys
        specs = [
            ScheduleSpec(c.key, overrides.interval(c.check_type.value))
            for c in checks
            if overrides.is_enabled(c.check_type.value)
        ]
        for spec in specs:
            if spec.key in self.scheduler:
                self.scheduler.update(spec)
            else:
                self.scheduler.add(spec)
        self.contracts[contract.id] = contract
        if _from_file:
            self._file_contracts.add(contract.id)
        await self._persist_contract(contract, specs)
        _log.info(
            "contract %s %s: %d checks",
            contract.id,
            "updated" if previous else "registered",
            len(checks),
        )
        return "changed" if previous is not None else "added"

    async def unregister_contract(self, contract_id: str) -> bool:
        """Stop checking a contract; its history stays in the store."""
        if contract_id not in self.contracts:
            return False
        for key in self._keys_of.pop(contract_id, set()):
            self._checks.pop(key, None)
            self.scheduler.remove(key)
        self.contracts.pop(contract_id)
        self._file_contracts.discard(contract_id)
        self.telemetry.forget_contract(contract_id)
        try:
            await self.store.retire_contract(contract_id, now=self.clock.now())
        except Exception as exc:
            _log.warning(
                "could not record the retirement of %s: %s", contract_id, type(exc).__name__
            )
        _log.info("contract %s retired", contract_id)
        return True

    async def _persist_contract(self, contract: Contract, specs: Sequence[ScheduleSpec]) -> None:
        now = self.clock.now()
        try:
            await self.store.save_contract(
                contract_id=contract.id,
                name=contract.name,
                version=contract.version,
                domain=contract.domain,
                owner=contract.owner or contract.team,
                source=contract.source,
                document=contract.document(),
                now=now,
            )
            rows = []
            for spec in specs:
                check = self._checks[spec.key]
                rows.append(
                    {
                        "check_key": spec.key,
                        "contract_id": contract.id,
                        "check_type": check.check_type.value,
                        "element": check.element,
                        "interval_seconds": spec.interval.total_seconds(),
                        "next_due_at": self.scheduler.next_due(spec.key) or now,
                    }
                )
            await self.store.save_schedules(rows)
        except Exception as exc:  # the store may be down; the contract still runs
            _log.warning("could not record contract %s: %s", contract.id, type(exc).__name__)

    def _contract_of(self, contract_id: str) -> tuple[Contract | None, ContractOverrides | None]:
        contract = self.contracts.get(contract_id)
        if contract is None:
            return None, None
        return contract, self._contracts_config.for_contract(contract.id, contract.name)

    # -- running checks --------------------------------------------------------------

    async def _scheduled_run(self, key: str, due_at: datetime) -> None:
        check = self._checks.get(key)
        if check is None:
            return
        result, traceparent = await self._execute(check)
        if self.shared:
            # Commit before the schedule moves on: the replica that claims the next slot
            # must see this result's incident state.
            await self._process([(result, due_at, traceparent)])
        else:
            await self._queue.put((result, due_at, traceparent))

    async def _execute(self, check: BaseCheck) -> tuple[CheckResult, str | None]:
        """Run one check under its timeout and a span; returns the result and its traceparent."""
        contract = self.contracts[check.contract_id]
        assert self._source is not None
        overrides = self._contract_of(contract.id)[1]
        seconds = (
            overrides.timeout_seconds if overrides and overrides.timeout_seconds else None
        ) or (self.config.monitoring.check_timeout.total_seconds())
        started = self.clock.now()
        with self.telemetry.check_span(contract, check.check_type, check.element) as span:
            try:
                async with asyncio.timeout(seconds):
                    result = await check.run(contract, self._source, self.clock)
            except TimeoutError:
                # A check that cannot finish says nothing about the data (a slow or hung
                # catalog, threads waiting for its permits): it could not be evaluated, so
                # an error, never a violation. After `error_after` of them in a row the
                # incident tracker sends one "cannot evaluate" notice instead of an alert.
                result = CheckResult(
                    contract_id=contract.id,
                    contract_name=contract.name,
                    contract_version=contract.version,
                    check_type=check.check_type,
                    element=check.element,
                    status=CheckStatus.ERROR,
                    message=f"the check did not finish within {seconds:g}s",
                    reason="timeout",
                    started_at=started,
                    duration_seconds=seconds,
                )
            span.set_result(result)
        self.telemetry.record_result(result)
        if isinstance(check, SchemaDriftCheck) and result.observed_schema is not None:
            # The next run compares with this one: "changed since last run".
            self._observed[check.key] = result.observed_schema
            if self._checks.get(check.key) is check:
                self._checks[check.key] = check.with_previous(result.observed_schema)
        return result, span.traceparent

    def _on_lag(self, key: str, seconds: float) -> None:
        self.telemetry.record_lag(seconds)
        self.lags.append(seconds)
        if len(self.lags) > 10_000:
            del self.lags[:5_000]

    def _on_outcome(self, outcome: DeliveryOutcome) -> None:
        self.telemetry.record_delivery(outcome)
        self.outcomes.append(outcome)
        if len(self.outcomes) > 10_000:
            del self.outcomes[:5_000]

    def _on_overrun(self, key: str, slot: datetime) -> None:
        _log.warning("check %s still running at its next slot %s: skipped", key, slot.isoformat())

    # -- results and durable writes --------------------------------------------------

    async def _flush_loop(self) -> None:
        while True:
            first = await self._queue.get()
            batch = [first]
            while not self._queue.empty() and len(batch) < _BATCH:
                batch.append(self._queue.get_nowait())
            try:
                await self._process(batch)
            except Exception as exc:  # never lose the loop: log and go on
                _log.error("processing %d results failed: %s", len(batch), type(exc).__name__)

    async def _drain_queue(self) -> None:
        batch = []
        while not self._queue.empty():
            batch.append(self._queue.get_nowait())
        if batch:
            await self._process(batch)

    async def _process(
        self, batch: Sequence[tuple[CheckResult, datetime | None, str | None]]
    ) -> None:
        assert self.processor is not None
        # One batch at a time: the processor's memory must include the previous batch.
        async with self._process_lock:
            if self.shared:
                await self._refresh_from_replicas(batch)
            processed = self.processor.process(batch, now=self.clock.now())
            if processed.dropped:
                # Left out by the processor (logged there): never stored, so counted here.
                self.overflow += processed.dropped
                self.telemetry.record_dropped(processed.dropped, DropReason.UNPROCESSABLE)
            await self._commit(processed.cycle)
        self.telemetry.emit_cycle(
            [stored.result for stored in processed.cycle.results],
            processed.events,
            self.contracts.get,
        )
        if self.dispatcher is not None and processed.cycle.outbox:
            self.dispatcher.wake()

    async def _refresh_from_replicas(
        self, batch: Sequence[tuple[CheckResult, datetime | None, str | None]]
    ) -> None:
        assert self.processor is not None
        now = self.clock.now()
        contract_ids = sorted({r.contract_id for r, _, _ in batch})
        try:
            self.processor.refresh(
                states=await self.store.incident_states([r.key for r, _, _ in batch]),
                notifications=await self.store.outbox.recent(
                    now - self.processor.router.memory_horizon
                ),
                contract_ids=contract_ids,
                violations=await self.store.violation_times(
                    now - timedelta(hours=24), contract_ids
                ),
            )
        except Exception as exc:  # database away: process with what this replica knows
            _log.warning("could not refresh state from other replicas: %s", type(exc).__name__)

    async def _commit(self, cycle: CycleWrite) -> None:
        """Write buffered cycles and this one; keep them in memory while the store is down."""
        pending = CycleWrite()
        pending.extend(self._buffer)
        pending.extend(cycle)
        try:
            await self.store.write(pending)
        except Exception as exc:
            if not _unreachable(exc):
                await self._write_without_results(pending, exc)
                return
            if self.store_healthy:
                _log.error("state database unavailable (%s): buffering results", type(exc).__name__)
            self.store_healthy = False
            self._buffer = pending
            self._trim_buffer()
            return
        if not self.store_healthy:
            _log.warning("state database back: %d buffered results written", len(pending.results))
        self.store_healthy = True
        self._buffer = CycleWrite()

    async def _write_without_results(self, cycle: CycleWrite, error: Exception) -> None:
        # The database answered but refused the batch (a bug, not an outage): keep what
        # must never be lost (notifications, incidents) and report the rest loudly.
        _log.error(
            "state database refused %d results (%s: %s): writing notifications only",
            len(cycle.results),
            type(error).__name__,
            _first_line(error),
        )
        self.overflow += len(cycle.results)
        self.telemetry.record_dropped(len(cycle.results), DropReason.REFUSED)
        essential = CycleWrite(
            incident_states=cycle.incident_states,
            incidents=cycle.incidents,
            outbox=cycle.outbox,
            suppressions=cycle.suppressions,
        )
        try:
            await self.store.write(essential)
        except Exception as again:
            if _unreachable(again):
                # The database went away in between: an outage, buffered like any other.
                _log.error(
                    "state database unavailable (%s): buffering notifications", type(again).__name__
                )
                self.store_healthy = False
                self._buffer = essential
                return
            # Refused twice: the same rows would be refused at every later cycle and take
            # that cycle's writes down with them, so this write is given up, loudly.
            self.refused_writes += 1
            self._buffer = CycleWrite()
            self.store_healthy = True  # it answers: readiness is not the problem
            _log.error(
                "state database refused the retry too (%s: %s): gave up on %d notifications, "
                "%d incident updates and %d suppressions of this cycle",
                type(again).__name__,
                _first_line(again),
                len(essential.outbox),
                len(essential.incidents),
                len(essential.suppressions),
            )
            return
        self._buffer = CycleWrite()
        self.store_healthy = True

    def _trim_buffer(self) -> None:
        # Raw results beyond the bound are dropped (and counted); notifications, incident
        # states and suppressions are never dropped: they are small and must not be lost.
        limit = self.config.state.buffer_limit
        excess = len(self._buffer.results) - limit
        if excess > 0:
            self.overflow += excess
            self.telemetry.record_dropped(excess, DropReason.BUFFER_FULL)
            del self._buffer.results[:excess]

    @property
    def buffered(self) -> int:
        """Results waiting in memory for the database."""
        return len(self._buffer.results)

    # -- channels --------------------------------------------------------------------

    async def _start_channels(self) -> None:
        if self._given_channels is not None:
            self.channels = dict(self._given_channels)
        else:
            for name, entry in self.config.channels.items():
                try:
                    self.channels[name] = build_channel(
                        entry.type,
                        entry.settings(),
                        instance_name=name,
                        registry=self.registry,
                        state=self.store.channel_state(name),
                        base_dir=self.config.base_dir,
                    )
                except (PluginError, FloeError) as error:
                    self.channel_errors[name] = str(error)
                    _log.error("channel %s not started: %s", name, error)
        for name, channel in list(self.channels.items()):
            try:
                await channel.startup()
                self.channel_health[name] = await channel.health_check(10.0)
            except Exception as exc:  # a channel that cannot start is reported, not fatal
                message = channel.redact(f"{type(exc).__name__}: {exc}")
                self.channel_health[name] = HealthStatus(
                    state=HealthState.UNHEALTHY, message=message
                )
                _log.error("channel %s failed to start: %s", name, message)

    async def _health_loop(self) -> None:
        interval = self.config.monitoring.channel_health_interval.total_seconds()
        probed = time.monotonic()
        while True:
            # Outbox gauges every 15 s at most; channel probes on their own interval.
            await asyncio.sleep(min(interval, 15.0))
            await self.status()
            await self.sync_silences()
            if time.monotonic() - probed >= interval:
                await self.check_channels()
                probed = time.monotonic()

    async def check_channels(self) -> dict[str, HealthStatus]:
        """Probe every channel now; unhealthy channels' notifications wait."""
        for name, channel in self.channels.items():
            status = await channel.health_check(10.0)
            if status.healthy != self.channel_health.get(name, status).healthy:
                _log.warning("channel %s is now %s: %s", name, status.state.value, status.message)
            self.channel_health[name] = status
            if self.dispatcher is not None:
                self.dispatcher.set_health(name, status.healthy)
        return dict(self.channel_health)

    # -- hydration and status --------------------------------------------------------

    async def _hydrate(self) -> None:
        assert self.processor is not None
        now = self.clock.now()
        self._observed = {k: v["schema"] for k, v in (await self.store.observed_schemas()).items()}
        horizon = max(self.processor.router.memory_horizon, timedelta(hours=24))
        self.processor.hydrate(
            states=await self.store.incident_states(),
            notifications=await self.store.outbox.recent(now - horizon),
            violations=await self.store.violation_times(now - timedelta(hours=24)),
            open_incidents=[
                *await self.store.incidents(status="firing", limit=100_000),
                *await self.store.incidents(status="acknowledged", limit=100_000),
            ],
        )

    async def sync_silences(self) -> None:
        """Apply the silences stored with `floe sla silence add|remove` to the router."""
        if self.processor is None:
            return
        router = self.processor.router
        try:
            rows = await self.store.silences()
        except Exception as exc:  # the store may be away; keep the silences we have
            _log.warning("could not read stored silences: %s", type(exc).__name__)
            return
        stored = {}
        for row in rows:
            try:
                stored[row["silence_id"]] = Silence.model_validate(
                    {
                        **row["matchers"],
                        "id": row["silence_id"],
                        "starts_at": row["starts_at"],
                        "ends_at": row["ends_at"],
                        "created_by": row["created_by"] or "floe-cli",
                        "comment": row["comment"] or "",
                    }
                )
            except ValueError:
                _log.warning("stored silence %s is unreadable: ignored", row["silence_id"])
        for silence in router.silences:
            if silence.id in self._stored_silences and silence.id not in stored:
                router.remove_silence(silence.id)
        for silence in stored.values():
            router.add_silence(silence)
        self._stored_silences = set(stored)

    async def status(self) -> MonitorStatus:
        """Contracts, checks, open incidents, outbox depth, channel health, degradation."""
        depth, oldest = (0, None)
        dead = 0
        open_incidents: list[dict[str, Any]] = []
        try:
            depth, oldest = await self.store.outbox.depth()
            dead = await self.store.outbox.count(OutboxStatus.DEAD)
            age = (self.clock.now() - oldest).total_seconds() if oldest else 0.0
            self.telemetry.observe_outbox(depth, age, dead)
            open_incidents = await self.store.incidents(status="firing")
            store_ok = True
        except Exception:
            store_ok = False
        now = self.clock.now()
        channels = {
            name: ChannelState(
                name=name,
                type=type(channel).name,
                state=self.channel_health.get(
                    name, HealthStatus(state=HealthState.HEALTHY)
                ).state.value,
                message=self.channel_health.get(
                    name, HealthStatus(state=HealthState.HEALTHY)
                ).message,
            )
            for name, channel in self.channels.items()
        }
        for name, error in self.channel_errors.items():
            channels[name] = ChannelState(
                name=name, type=self.config.channels[name].type, state="failed", message=error
            )
        return MonitorStatus(
            owner=self.owner,
            contracts=len(self.contracts),
            checks=len(self._checks),
            open_incidents=len(open_incidents),
            outbox_depth=depth,
            oldest_pending_seconds=(now - oldest).total_seconds() if oldest else None,
            dead_letters=dead,
            store_reachable=store_ok and self.store_healthy,
            buffered_results=self.buffered,
            overflow=self.overflow,
            scheduler_running=self.scheduler.started,
            refused_writes=self.refused_writes,
            channels=channels,
            contract_errors=tuple(self.contract_errors),
        )


def _first_line(error: BaseException) -> str:
    """The first line of an error's message, cut short (database errors quote SQL)."""
    text = str(error)
    return text.splitlines()[0][:300] if text else ""


def _unreachable(error: BaseException) -> bool:
    """True when the database could not be reached (worth buffering and retrying)."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(
        error, OSError | ConnectionError | TimeoutError | InterfaceError | OperationalError
    ):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    # PostgreSQL coming back answers before it can serve: "the database system is starting
    # up" (57P03), or drops sessions on shutdown (57P01/02). asyncpg's errors arrive as a
    # bare DBAPIError carrying the SQLSTATE; class 08 is a connection exception.
    sqlstate = str(getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", ""))
    return sqlstate[:2] in _UNREACHABLE_SQLSTATE_CLASSES


#: Collector thresholds while a monitor runs (generation 0, 1, 2): see `ContractMonitor.start`.
_GC_THRESHOLD = (50_000, 20, 100)

#: Results processed and written per transaction.
_BATCH = 1_000

#: SQLSTATE classes meaning "not reachable now": connection exception, operator intervention.
_UNREACHABLE_SQLSTATE_CLASSES = frozenset({"08", "57"})
