"""What the kit watches while a channel works: every log record, and the loop's lag."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self

__all__ = ["LogCapture", "LoopLagMonitor", "capture_logs"]


class LogCapture(logging.Handler):
    """Collects every record, formatted with its traceback, from the root logger down."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record and its fully formatted text (args and exc_info included)."""
        self.records.append(record)
        try:
            self.lines.append(self.format(record))
        except Exception as exc:  # a bad format string must not hide the record
            self.lines.append(f"{record.name}: unformattable record ({type(exc).__name__})")

    @property
    def text(self) -> str:
        """Everything logged, one record a line."""
        return "\n".join(self.lines)


@contextmanager
def capture_logs() -> Iterator[LogCapture]:
    """Capture all log output at DEBUG level while the block runs."""
    root = logging.getLogger()
    handler = LogCapture()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


class LoopLagMonitor:
    """Measures how late a 5 ms ticker wakes up: a blocked loop shows as lag.

    Example:
        >>> async with LoopLagMonitor() as lag:        # doctest: +SKIP
        ...     await channel.send_alert(event)
        >>> lag.max_lag
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.max_lag = 0.0
        self.samples = 0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            began = time.perf_counter()
            await asyncio.sleep(self.interval)
            lag = time.perf_counter() - began - self.interval
            self.samples += 1
            self.max_lag = max(self.max_lag, lag)

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
