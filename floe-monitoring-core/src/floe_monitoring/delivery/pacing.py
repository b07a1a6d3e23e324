"""Per-destination pacing: a token bucket built from the channel's declared rate."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from floe_monitoring.sdk.plugin import RateLimit

__all__ = ["TokenBucket"]


class TokenBucket:
    """Allows `rate` sends per second on average, `burst` at once.

    Args:
        limit: The channel's declared rate.
        monotonic: Time source (seconds); injectable for tests.
    """

    def __init__(
        self, limit: RateLimit, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = limit.per_second
        self.capacity = float(limit.burst or max(1, round(self.rate)))
        self._tokens = self.capacity
        self._monotonic = monotonic
        self._updated = monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def wait_time(self) -> float:
        """Seconds until a token is available (0 when one is)."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    async def acquire(self) -> None:
        """Wait for a token and take it (callers queue in order)."""
        async with self._lock:
            # Sleeping until the next token is the point of a rate limiter.
            while (wait := self.wait_time()) > 0:  # noqa: ASYNC110
                await asyncio.sleep(wait)
            self._tokens -= 1
