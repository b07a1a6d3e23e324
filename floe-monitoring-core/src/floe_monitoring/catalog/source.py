"""`TableSource`: PyIceberg tables, called through a bounded thread pool.

PyIceberg is synchronous. Every call (loading a catalog, loading a table, reading its
metadata or data) runs on a shared `ThreadPoolExecutor`, under a per-catalog semaphore (so
a REST catalog never sees more than ``max_concurrency`` calls from us) and a per-call
timeout. The timeout covers the call itself, not the wait for a permit (under load calls
queue; the engine's per-check timeout bounds the whole). A timed-out call's thread cannot be
killed: it keeps its permit until it really ends, so a hung catalog is not flooded.

Errors are classified at this boundary:

- the table or its namespace does not exist -> `TableNotFoundError` (a failure);
- the catalog cannot answer (connection, server error, timeout) -> `CatalogUnavailableError`
  / `CatalogTimeoutError` (an error, not a violation);
- a catalog name nobody configured -> `CatalogNotConfiguredError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from floe_monitoring.catalog.config import CatalogConfig, TableSourceConfig
from floe_monitoring.catalog.ref import TableRef
from floe_monitoring.errors import (
    CatalogNotConfiguredError,
    CatalogTimeoutError,
    CatalogUnavailableError,
    TableNotFoundError,
)

if TYPE_CHECKING:
    from pyiceberg.table import Table

__all__ = ["CatalogLike", "CatalogStats", "IcebergTableSource", "TableSource"]

T = TypeVar("T")


class CatalogLike(Protocol):
    """What the source needs from a catalog (a PyIceberg `Catalog` is one)."""

    def load_table(self, identifier: str) -> Table:
        """Load a table by dotted identifier."""
        ...


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


def _load_catalog(config: CatalogConfig) -> CatalogLike:
    from pyiceberg.catalog import load_catalog  # the base install has no pyiceberg

    return load_catalog(config.name, **config.properties)


def _describe(exc: BaseException) -> str:
    # First line only, bounded: driver messages can be long and we never want URIs with
    # credentials or whole SQL statements in an alert.
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


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
        self._factory = catalog_factory or _load_catalog
        self._executor = ThreadPoolExecutor(config.max_workers, thread_name_prefix="floe-iceberg")
        self._catalogs: dict[str, CatalogLike] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._stats = {c.name: CatalogStats() for c in config.catalogs}
        self._stats_lock = threading.Lock()
        # Loads in progress (queued or running), by (catalog, identifier): a check that
        # needs a table another check is loading waits for that load instead of repeating
        # it. The checks of one table fall due together, and loading is most of a check.
        self._loading: dict[tuple[str, str], asyncio.Future[Table]] = {}

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
            raise CatalogNotConfiguredError(
                f"catalog '{name}' is not configured in the monitor", catalog=name
            )
        async with self._locks.setdefault(name, asyncio.Lock()):
            if name not in self._catalogs:
                self._catalogs[name] = await self._run(name, lambda: self._open(config), None)
        return self._catalogs[name]

    def _open(self, config: CatalogConfig) -> CatalogLike:
        try:
            return self._factory(config)
        except Exception as exc:
            raise CatalogUnavailableError(
                f"catalog '{config.name}' cannot be opened: {_describe(exc)}", catalog=config.name
            ) from exc

    async def with_table(
        self, ref: TableRef, fn: Callable[[Table], T], *, call_timeout: float | None = None
    ) -> T:
        """Load ``ref`` (or join a load of it in progress), then run ``fn(table)`` in a worker.

        Raises:
            TableNotFoundError: The table or namespace does not exist.
            CatalogUnavailableError: The catalog (or its storage) cannot answer.
            CatalogTimeoutError: The call did not finish within the timeout.
            CatalogNotConfiguredError: ``ref.catalog`` is not configured.

        """
        table = await self._shared_load(ref, call_timeout)

        def job() -> T:
            try:
                return fn(table)
            except OSError as exc:  # the warehouse storage cannot be read
                raise CatalogUnavailableError(
                    f"cannot read {ref}: {_describe(exc)}", catalog=ref.catalog, table=str(ref)
                ) from exc

        return await self._run(ref.catalog, job, call_timeout, table=ref.identifier)

    async def _shared_load(self, ref: TableRef, call_timeout: float | None) -> Table:
        """The loaded table: this call's own load, or one already queued or running.

        Only a load in progress is shared, never a finished one: every check sees the
        table as the catalog has it when the check asks. Each caller keeps its own timeout;
        one caller giving up does not cancel the load for the others.
        """
        key = (ref.catalog, ref.identifier)
        pending = self._loading.get(key)
        if pending is None:
            catalog = await self.catalog(ref.catalog)
            pending = self._loading.get(key)  # another check may have started it meanwhile
        if pending is None:
            pending = asyncio.ensure_future(
                self._run(
                    ref.catalog,
                    lambda: self._load_table(catalog, ref),
                    call_timeout,
                    table=ref.identifier,
                )
            )
            self._loading[key] = pending

            def forget(done: asyncio.Future[Table]) -> None:
                if self._loading.get(key) is done:
                    del self._loading[key]
                if not done.cancelled():
                    done.exception()  # retrieved: a load nobody awaits any more is fine

            pending.add_done_callback(forget)
            return await asyncio.shield(pending)
        seconds = call_timeout if call_timeout is not None else self.config.timeout_for(ref.catalog)
        try:
            return await asyncio.wait_for(asyncio.shield(pending), seconds)
        except TimeoutError as exc:
            raise CatalogTimeoutError(
                f"catalog '{ref.catalog}' did not answer within {seconds:g} s",
                catalog=ref.catalog,
                table=ref.identifier,
            ) from exc

    async def probe(self, ref: TableRef, *, call_timeout: float | None = None) -> float:
        """Load ``ref`` and return the seconds loading took (measured in the worker)."""
        catalog = await self.catalog(ref.catalog)

        def job() -> float:
            start = time.perf_counter()
            self._load_table(catalog, ref)
            return time.perf_counter() - start

        return await self._run(ref.catalog, job, call_timeout, table=ref.identifier)

    @staticmethod
    def _load_table(catalog: CatalogLike, ref: TableRef) -> Table:
        from pyiceberg.exceptions import (
            NoSuchIdentifierError,
            NoSuchNamespaceError,
            NoSuchTableError,
        )

        try:
            return catalog.load_table(ref.identifier)
        except (NoSuchTableError, NoSuchNamespaceError, NoSuchIdentifierError) as exc:
            raise TableNotFoundError(
                f"table {ref} does not exist", catalog=ref.catalog, table=ref.identifier
            ) from exc
        except Exception as exc:
            raise CatalogUnavailableError(
                f"catalog '{ref.catalog}' cannot load {ref.identifier}: {_describe(exc)}",
                catalog=ref.catalog,
                table=ref.identifier,
            ) from exc

    async def _run(
        self,
        name: str,
        job: Callable[[], T],
        call_timeout: float | None,
        *,
        table: str | None = None,
    ) -> T:
        """Run ``job`` in the pool under ``name``'s permit; time out waiting for its result."""
        limit = self.config.catalog(name)
        semaphore = self._semaphores.setdefault(
            name, asyncio.Semaphore(limit.max_concurrency if limit else 1)
        )
        await semaphore.acquire()
        loop = asyncio.get_running_loop()
        try:
            future = self._executor.submit(self._tracked, name, job)
        except BaseException:
            semaphore.release()
            raise

        def release(_: Future[Any]) -> None:
            # The permit returns when the thread is done, not when we stop waiting.
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
        with self._stats_lock:
            stats = self._stats.setdefault(name, CatalogStats())
            stats.calls += 1
            stats.in_flight += 1
            stats.peak_in_flight = max(stats.peak_in_flight, stats.in_flight)
        try:
            return job()
        finally:
            with self._stats_lock:
                stats.in_flight -= 1

    async def aclose(self) -> None:
        """Stop the pool (without waiting for hung calls) and close catalog connections."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        catalogs = list(self._catalogs.values())
        self._catalogs.clear()
        for catalog in catalogs:
            # PyIceberg catalogs close their SQL engine or HTTP session; a wrapper may not.
            close = getattr(catalog, "close", None)
            if callable(close):
                await asyncio.to_thread(close)
