"""Table reads in worker processes: PyIceberg's metadata work beside the event loop.

Loading a table is Python work (a catalog query, a metadata file parsed into models) that
holds the GIL. In worker threads it takes turns with the engine on one core, and every
hand-over between a worker and the event loop costs both of them. With
``TableSourceConfig.processes`` set, `TableBatch`es (one table's load and the reads
waiting for it) go to worker processes instead, several tables per call: the process
loads each table through its own catalog connection, runs the reads and sends their
results back, while the engine goes on in parallel on another core.

Reads and their results cross the process boundary pickled: module-level functions (or
`functools.partial` of them) with plain arguments. A batch holding a read that cannot be
pickled runs in a worker thread, as without processes.
"""

from __future__ import annotations

import functools
import multiprocessing
import pickle
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from floe_monitoring.catalog.batch import Outcome, outcomes
from floe_monitoring.catalog.boundary import (
    CatalogLike,
    describe,
    load_table,
    not_configured,
    open_catalog,
)
from floe_monitoring.errors import CatalogUnavailableError

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from floe_monitoring.catalog.config import CatalogConfig
    from floe_monitoring.catalog.ref import TableRef

__all__ = ["ReadNotSendable", "ReaderProcesses", "read_in_process"]


class ReadNotSendable(Exception):
    """A read (or its arguments) cannot be pickled to a worker process."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


# -- in the worker process -----------------------------------------------------------

_configs: dict[str, CatalogConfig] = {}
_opened: dict[str, CatalogLike] = {}


def _initialize(configs: Sequence[CatalogConfig]) -> None:
    """Process start-up: remember the catalogs (each is opened on first use)."""
    _configs.update({config.name: config for config in configs})


def _catalog(name: str) -> CatalogLike:
    if (opened := _opened.get(name)) is not None:
        return opened
    config = _configs.get(name)
    if config is None:
        raise not_configured(name)
    _opened[name] = open_catalog(config)
    return _opened[name]


def read_in_process(payload: bytes) -> bytes:
    """In the worker process: load each table of ``payload`` and run its reads.

    ``payload`` is `ReaderProcesses.encode`'s: tables and their reads, pickled once for the
    call. Returns the outcomes, one list per table, pickled here (once: the pool passes
    bytes through), so an outcome that cannot travel is replaced by an error naming its type.
    """
    tables: list[tuple[TableRef, list[Callable[[Table], Any]]]] = pickle.loads(payload)  # noqa: S301
    found = [outcomes(functools.partial(_load, ref), reads) for ref, reads in tables]
    try:
        return pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # a result or error that cannot travel: say so instead of it
        sendable = [[_sendable(outcome) for outcome in table] for table in found]
        return pickle.dumps(sendable, protocol=pickle.HIGHEST_PROTOCOL)


def _load(ref: TableRef) -> Table:
    return load_table(_catalog(ref.catalog), ref)


def _sendable(outcome: Outcome) -> Outcome:
    try:
        pickle.dumps(outcome)
    except Exception:
        ok, value = outcome
        what = "result" if ok else "error"
        return False, RuntimeError(
            f"the read's {what} ({type(value).__name__}) cannot be sent back "
            "from the worker process"
        )
    return outcome


# -- in the monitor's process ----------------------------------------------------------


class ReaderProcesses:
    """The worker processes of one table source, started on first use.

    A pool whose process died (killed, out of memory) is replaced on the next call; the
    calls it was running fail with `CatalogUnavailableError`.
    """

    def __init__(self, size: int, catalogs: Sequence[CatalogConfig]) -> None:
        self.size = size
        self._catalogs = tuple(catalogs)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    @staticmethod
    def encode(tables: Sequence[tuple[TableRef, Sequence[Callable[[Table], Any]]]]) -> bytes:
        """One call's tables and their reads, pickled together.

        Raises:
            ReadNotSendable: A read cannot be pickled.

        """
        payload = [(ref, list(reads)) for ref, reads in tables]
        try:
            return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # PicklingError, or TypeError/AttributeError from a member
            raise ReadNotSendable(describe(exc)) from exc

    @staticmethod
    def decode(answer: bytes) -> list[list[Outcome]]:
        """The outcomes a worker process sent back (see `read_in_process`)."""
        found: list[list[Outcome]] = pickle.loads(answer)  # noqa: S301 - our own child
        return found

    def submit(self, payload: bytes) -> Future[bytes]:
        """Send `encode`'s payload to a worker process, as one call."""
        try:
            return self._current().submit(read_in_process, payload)
        except BrokenProcessPool:
            self._replace()
            return self._current().submit(read_in_process, payload)

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # forkserver: a clean child, never a fork of this multi-threaded process.
                methods = multiprocessing.get_all_start_methods()
                context = multiprocessing.get_context(
                    "forkserver" if "forkserver" in methods else "spawn"
                )
                self._pool = ProcessPoolExecutor(
                    self.size,
                    mp_context=context,
                    initializer=_initialize,
                    initargs=(self._catalogs,),
                )
            return self._pool

    def _replace(self) -> None:
        with self._lock:
            broken, self._pool = self._pool, None
        if broken is not None:
            broken.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def unavailable(catalog: str, exc: BrokenProcessPool) -> CatalogUnavailableError:
        """The error of a call whose worker process ended before answering."""
        return CatalogUnavailableError(
            f"catalog '{catalog}' cannot load tables: the worker process ended "
            f"unexpectedly ({describe(exc)})",
            catalog=catalog,
        )

    def shutdown(self) -> None:
        """Stop the processes; a call still running in one is ended with it."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        # Processes, unlike threads, can be ended: a hung catalog call must not keep the
        # interpreter from exiting. ProcessPoolExecutor has no public handle on them.
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
