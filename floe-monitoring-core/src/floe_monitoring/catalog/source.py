"""`TableSource`: PyIceberg tables, called through bounded worker threads or processes.

PyIceberg is synchronous. Every call (loading a catalog, loading a table, reading its
metadata or data) runs on a shared `ThreadPoolExecutor`, or, for the checks' table reads
when ``processes`` is set, in worker processes (`floe_monitoring.catalog.processes`);
always under a per-catalog semaphore (so a REST catalog never sees more than
``max_concurrency`` calls from us) and a per-call timeout. The timeout covers the call
itself, not the wait for a permit (under load calls queue; the engine's per-check timeout
bounds the whole). A timed-out call's thread cannot be killed: it keeps its permit until it
really ends, so a hung catalog is not flooded.

Errors are classified at this boundary:

- the table or its namespace does not exist -> `TableNotFoundError` (a failure);
- the catalog cannot answer (connection, server error, timeout) -> `CatalogUnavailableError`
  / `CatalogTimeoutError` (an error, not a violation);
- a catalog name nobody configured -> `CatalogNotConfiguredError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from floe_monitoring.catalog.batch import Outcome, Read, TableBatch, outcomes
from floe_monitoring.catalog.boundary import (
    CatalogLike,
    guarded,
    load_table,
    not_configured,
    open_catalog,
)
from floe_monitoring.catalog.config import CatalogConfig, TableSourceConfig
from floe_monitoring.catalog.processes import ReaderProcesses, ReadNotSendable
from floe_monitoring.catalog.ref import TableRef
from floe_monitoring.errors import CatalogTimeoutError

if TYPE_CHECKING:
    from pyiceberg.table import Table

__all__ = ["CatalogLike", "CatalogStats", "IcebergTableSource", "TableSource"]

_log = logging.getLogger(__name__)

#: Most tables one call to a worker process carries.
_CHUNK = 16

T = TypeVar("T")


class TableSource(Protocol):
    """Async access to tables; what every check receives."""

    async def with_table(
        self, ref: TableRef, fn: Callable[[Table], T], *, call_timeout: float | None = None
    ) -> T:
        """Load ``ref`` and run ``fn(table)`` in one worker-thread call; return its result."""
        ...

    async def probe(self, ref: TableRef, *, call_timeout: float | None = None) -> float:
        """Load ``ref`` and return how long loading took, in seconds."""
        ...


@dataclass
class CatalogStats:
    """Counters of one catalog's calls (read them for metrics or tests)."""

    calls: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    timeouts: int = 0


@dataclass(frozen=True)
class _Queued:
    """A batch waiting for a worker process."""

    batch: TableBatch
    key: tuple[str, str]
    catalog: CatalogLike
    ref: TableRef


class IcebergTableSource:
    """A `TableSource` over PyIceberg catalogs configured in a `TableSourceConfig`.

    Use it as an async context manager (or call `aclose`) so threads and catalog
    connections are released.
    """

    def __init__(
        self,
        config: TableSourceConfig,
        *,
        catalog_factory: Callable[[CatalogConfig], CatalogLike] | None = None,
    ) -> None:
        self.config = config
        self._factory = catalog_factory
        self._executor = ThreadPoolExecutor(config.max_workers, thread_name_prefix="floe-iceberg")
        self._catalogs: dict[str, CatalogLike] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._stats = {c.name: CatalogStats() for c in config.catalogs}
        self._stats_lock = threading.Lock()
        # Loads in progress (queued or running) and the reads waiting for them, by
        # (catalog, identifier): see `TableBatch`.
        self._batches: dict[tuple[str, str], TableBatch] = {}
        self._processes = (
            ReaderProcesses(config.processes, config.catalogs) if config.processes else None
        )
        self._unsendable: set[str] = set()  # reasons already logged
        # Worker processes: batches waiting for a lane, and the lanes, by catalog.
        self._queued: dict[str, deque[_Queued]] = {}
        self._lanes: dict[str, int] = {}
        self._lane_tasks: set[asyncio.Future[None]] = set()

    async def __aenter__(self) -> IcebergTableSource:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def stats(self, catalog: str) -> CatalogStats:
        """A copy of the counters of ``catalog``."""
        with self._stats_lock:
            current = self._stats.setdefault(catalog, CatalogStats())
            return CatalogStats(**vars(current))

    async def catalog(self, name: str) -> CatalogLike:
        """The loaded catalog ``name`` (loaded once, in the pool)."""
        if (loaded := self._catalogs.get(name)) is not None:
            return loaded
        config = self.config.catalog(name)
        if config is None:
            raise not_configured(name)
        async with self._locks.setdefault(name, asyncio.Lock()):
            if name not in self._catalogs:
                self._catalogs[name] = await self._run(
                    name, lambda: open_catalog(config, self._factory), None
                )
        return self._catalogs[name]

    async def with_table(
        self, ref: TableRef, fn: Callable[[Table], T], *, call_timeout: float | None = None
    ) -> T:
        """Load ``ref`` (or join a load of it in progress), then run ``fn(table)`` in a worker.

        Reads of a table whose load is queued or running join that load's `TableBatch`:
        one worker call loads the table and runs them all. In a worker thread the call is
        timed by the timeout of the read that started it; in a worker process, where one
        call carries several tables, by the catalog's timeout (the engine's per-check
        timeout bounds every check anyway). A read whose caller stopped waiting is
        skipped.

        Raises:
            TableNotFoundError: The table or namespace does not exist.
            CatalogUnavailableError: The catalog (or its storage) cannot answer.
            CatalogTimeoutError: The call did not finish within the timeout.
            CatalogNotConfiguredError: ``ref.catalog`` is not configured.

        """
        read = functools.partial(guarded, ref, fn)
        key = (ref.catalog, ref.identifier)
        future = self._join(key, read)
        if future is None:
            catalog = await self.catalog(ref.catalog)
            future = self._join(key, read)  # another check may have started one meanwhile
            if future is None:
                batch = TableBatch()
                future = batch.join(read)
                assert future is not None  # a new batch is open
                self._batches[key] = batch
                self._start(batch, key, catalog, ref, call_timeout)
        return await asyncio.wrap_future(future)

    def _join(self, key: tuple[str, str], read: Callable[[Table], T]) -> Future[T] | None:
        batch = self._batches.get(key)
        return batch.join(read) if batch is not None else None

    def _start(
        self,
        batch: TableBatch,
        key: tuple[str, str],
        catalog: CatalogLike,
        ref: TableRef,
        call_timeout: float | None,
    ) -> None:
        """Run ``batch`` in a worker; a call that fails or times out fails its reads."""
        if self._processes is not None:
            self._enqueue(_Queued(batch, key, catalog, ref))
            return
        call = asyncio.ensure_future(
            self._run(
                ref.catalog,
                lambda: batch.run(lambda: load_table(catalog, ref)),
                call_timeout,
                table=ref.identifier,
            )
        )

        def settle(done: asyncio.Future[None]) -> None:
            self._forget(key, batch)
            if done.cancelled():
                batch.cancel()
            elif (error := done.exception()) is not None:
                batch.fail(error)  # reads still waiting (a timeout, a refused job)

        call.add_done_callback(settle)

    def _forget(self, key: tuple[str, str], batch: TableBatch) -> None:
        if self._batches.get(key) is batch:
            del self._batches[key]

    # -- worker processes ------------------------------------------------------------

    def _enqueue(self, queued: _Queued) -> None:
        """Queue a batch for the worker processes; start a lane if its catalog has one free."""
        name = queued.ref.catalog
        self._queued.setdefault(name, deque()).append(queued)
        lanes = self._lanes.get(name, 0)
        limit = self.config.catalog(name)
        if lanes < (limit.max_concurrency if limit else 1):
            self._lanes[name] = lanes + 1
            lane = asyncio.ensure_future(self._lane(name))
            self._lane_tasks.add(lane)
            lane.add_done_callback(self._lane_tasks.discard)

    async def _lane(self, name: str) -> None:
        """Send catalog ``name``'s queued batches to the worker processes, a chunk per call.

        One call carries several tables: each call costs this process a hand-over to the
        pool's threads and a wake-up of the event loop, whatever it carries. A catalog has
        at most ``max_concurrency`` lanes, so calls in flight stay within its permits.
        """
        queue = self._queued[name]
        try:
            while queue:
                await self._send_chunk(name, queue)
        finally:
            self._lanes[name] -= 1

    async def _send_chunk(self, name: str, queue: deque[_Queued]) -> None:
        """One call: the next tables of ``queue``, loaded and read in a worker process."""
        assert self._processes is not None
        processes = self._processes
        sent: list[tuple[_Queued, list[Read]]] = []

        def submit() -> Future[bytes]:
            # Called once the permit is ours: reads join their batches until this moment.
            # The backlog is shared among the catalog's lanes, at most _CHUNK tables each.
            size = min(_CHUNK, -(-len(queue) // max(self._lanes[name], 1)))
            while queue and len(sent) < size:
                queued = queue.popleft()
                self._forget(queued.key, queued.batch)  # later reads start a new load
                sent.append((queued, queued.batch.take()))
            payload = self._encode(sent)
            if payload is None:  # every table went to a thread: nothing to send
                done: Future[bytes] = Future()
                done.set_result(b"")
                return done
            return self._counted(name, processes.submit(payload))

        try:
            answer = await self._call(name, submit, None)
            found = ReaderProcesses.decode(answer) if answer else []
        except asyncio.CancelledError:
            for _, reads in sent:
                TableBatch.abandon(reads, None)
            raise
        except BaseException as exc:  # the lane goes on: the error is the reads' answer
            error: BaseException = exc
            if isinstance(exc, BrokenProcessPool):
                error = ReaderProcesses.unavailable(name, exc)
            for _, reads in sent:
                TableBatch.abandon(reads, error)
            return
        for (_, reads), outcomes_of_table in zip(sent, found, strict=True):
            TableBatch.deliver(reads, outcomes_of_table)

    def _encode(self, sent: list[tuple[_Queued, list[Read]]]) -> bytes | None:
        """The payload of one call, or None when nothing in it can go to a process.

        A table whose reads cannot be pickled leaves ``sent`` and is read in a thread.
        """
        assert self._processes is not None

        def tables() -> list[tuple[TableRef, list[Callable[[Table], Any]]]]:
            return [(queued.ref, [read for read, _ in reads]) for queued, reads in sent]

        try:
            return self._processes.encode(tables()) if sent else None
        except ReadNotSendable:
            pass  # find the tables at fault, one by one
        for item in list(sent):
            queued, reads = item
            try:
                self._processes.encode([(queued.ref, [read for read, _ in reads])])
            except ReadNotSendable as exc:
                sent.remove(item)
                self._read_in_thread(queued, reads, exc.reason)
        return self._processes.encode(tables()) if sent else None

    def _read_in_thread(self, queued: _Queued, reads: list[Read], reason: str) -> None:
        """A batch holding a read that cannot be pickled: load and read it in a thread."""
        if reason not in self._unsendable:
            self._unsendable.add(reason)
            _log.warning("a table read runs in a worker thread instead: %s", reason)
        fns = [read for read, _ in reads]
        call = asyncio.ensure_future(
            self._run(
                queued.ref.catalog,
                lambda: outcomes(lambda: load_table(queued.catalog, queued.ref), fns),
                None,
                table=queued.ref.identifier,
            )
        )

        def settle(done: asyncio.Future[list[Outcome]]) -> None:
            if done.cancelled():
                TableBatch.abandon(reads, None)
            elif (error := done.exception()) is not None:
                TableBatch.abandon(reads, error)
            else:
                TableBatch.deliver(reads, done.result())

        call.add_done_callback(settle)

    async def probe(self, ref: TableRef, *, call_timeout: float | None = None) -> float:
        """Load ``ref`` and return the seconds loading took (measured in the worker)."""
        catalog = await self.catalog(ref.catalog)

        def job() -> float:
            start = time.perf_counter()
            load_table(catalog, ref)
            return time.perf_counter() - start

        return await self._run(ref.catalog, job, call_timeout, table=ref.identifier)

    async def _run(
        self,
        name: str,
        job: Callable[[], T],
        call_timeout: float | None,
        *,
        table: str | None = None,
    ) -> T:
        """Run ``job`` in a worker thread under ``name``'s permit; time out waiting for it."""
        return await self._call(
            name,
            lambda: self._executor.submit(self._tracked, name, job),
            call_timeout,
            table=table,
        )

    async def _call(
        self,
        name: str,
        submit: Callable[[], Future[T]],
        call_timeout: float | None,
        *,
        table: str | None = None,
    ) -> T:
        """``submit()`` a call under ``name``'s permit; time out waiting for its result."""
        limit = self.config.catalog(name)
        semaphore = self._semaphores.setdefault(
            name, asyncio.Semaphore(limit.max_concurrency if limit else 1)
        )
        await semaphore.acquire()
        loop = asyncio.get_running_loop()
        try:
            future = submit()
        except BaseException:
            semaphore.release()
            raise

        def release(_: Future[Any]) -> None:
            # The permit returns when the worker is done, not when we stop waiting.
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits for it
                loop.call_soon_threadsafe(semaphore.release)

        future.add_done_callback(release)
        seconds = call_timeout if call_timeout is not None else self.config.timeout_for(name)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), seconds)
        except TimeoutError as exc:
            with self._stats_lock:
                self._stats.setdefault(name, CatalogStats()).timeouts += 1
            raise CatalogTimeoutError(
                f"catalog '{name}' did not answer within {seconds:g} s", catalog=name, table=table
            ) from exc

    def _tracked(self, name: str, job: Callable[[], T]) -> T:
        stats = self._begin(name)
        try:
            return job()
        finally:
            self._end(stats)

    def _counted(self, name: str, future: Future[T]) -> Future[T]:
        """``future`` (a call in a worker process), counted in ``name``'s stats."""
        stats = self._begin(name)
        future.add_done_callback(lambda _: self._end(stats))
        return future

    def _begin(self, name: str) -> CatalogStats:
        with self._stats_lock:
            stats = self._stats.setdefault(name, CatalogStats())
            stats.calls += 1
            stats.in_flight += 1
            stats.peak_in_flight = max(stats.peak_in_flight, stats.in_flight)
        return stats

    def _end(self, stats: CatalogStats) -> None:
        with self._stats_lock:
            stats.in_flight -= 1

    async def aclose(self) -> None:
        """Stop the workers (without waiting for hung calls) and close catalog connections."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        for lane in list(self._lane_tasks):
            lane.cancel()
        for queue in self._queued.values():
            while queue:
                queue.popleft().batch.cancel()
        if self._processes is not None:
            self._processes.shutdown()
        catalogs = list(self._catalogs.values())
        self._catalogs.clear()
        for catalog in catalogs:
            # PyIceberg catalogs close their SQL engine or HTTP session; a wrapper may not.
            close = getattr(catalog, "close", None)
            if callable(close):
                await asyncio.to_thread(close)
