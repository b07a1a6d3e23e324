"""When to try a failed notification again: exponential backoff, full jitter, Retry-After."""

from __future__ import annotations

import random
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RetryPolicy"]


class RetryPolicy(BaseModel):
    """Backoff for retryable failures, bounded by a per-notification deadline.

    Attributes:
        initial_delay: Delay before the first retry, in seconds.
        multiplier: Growth per attempt.
        max_delay: Longest delay between attempts (so a long outage is retried steadily,
            not every few seconds and not once a day).
        deadline: How long a notification is tried before it is dead-lettered.
        send_timeout: Deadline of one attempt (connect, write and read together).
        lease_margin: How long past `send_timeout` a claimed row stays leased; a crashed
            process's rows are taken over after ``send_timeout + lease_margin``.
        max_in_flight: Sends in flight per channel, claimed rows waiting for a
            connection included. Deliveries are round trips and rows are claimed in
            batches of half this many, so it should exceed the channel's connection
            pool (32 for the webhook channel) to keep the pool busy while the next batch
            is claimed: to a loopback receiver 32 delivered ~1,900/s, 64 ~2,250/s
            (benchmarks/, scenario 3). It also bounds the duplicates a crash can cause.
            A channel's declared rate limit still paces it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    initial_delay: float = Field(default=2.0, gt=0)
    multiplier: float = Field(default=2.0, ge=1)
    max_delay: float = Field(default=600.0, gt=0)
    deadline: timedelta = timedelta(hours=24)
    send_timeout: float = Field(default=30.0, gt=0)
    lease_margin: float = Field(default=30.0, gt=0)
    max_in_flight: int = Field(default=64, ge=1, le=1024)

    def delay(
        self, attempts: int, retry_after: float | None = None, *, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait after `attempts` failed attempts.

        Full jitter (uniform between half and all of the exponential delay) spreads
        retries of many notifications so a recovering receiver is not hit by a wave; a
        server's `Retry-After` is a floor, never shortened.
        """
        base = min(self.max_delay, self.initial_delay * self.multiplier ** max(attempts - 1, 0))
        jittered = base * (0.5 + 0.5 * (rng or random).random())
        return max(jittered, retry_after or 0.0)

    def max_attempts(self) -> int:
        """The most attempts the deadline allows (a bound on load, for docs and tests)."""
        total, attempts, delay = 0.0, 1, self.initial_delay / 2
        limit = self.deadline.total_seconds()
        while total + delay <= limit:
            total += delay
            attempts += 1
            delay = min(self.max_delay, self.initial_delay * self.multiplier ** (attempts - 1)) / 2
        return attempts
