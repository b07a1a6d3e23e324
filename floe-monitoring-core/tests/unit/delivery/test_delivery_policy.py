from __future__ import annotations

import random
from datetime import timedelta

from floe_monitoring.delivery.pacing import TokenBucket
from floe_monitoring.delivery.policy import RetryPolicy
from floe_monitoring.sdk.plugin import RateLimit


def test_delays_grow_exponentially_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(initial_delay=2, multiplier=2, max_delay=60)
    rng = random.Random(7)
    for attempts, base in [(1, 2), (2, 4), (3, 8), (6, 60), (20, 60)]:
        delays = [policy.delay(attempts, rng=rng) for _ in range(200)]
        assert min(delays) >= base / 2
        assert max(delays) <= base


def test_retry_after_is_a_floor() -> None:
    policy = RetryPolicy(initial_delay=1, max_delay=5)
    assert policy.delay(1, retry_after=120) == 120
    assert policy.delay(1, retry_after=0) <= 1


def test_the_deadline_bounds_the_number_of_attempts() -> None:
    policy = RetryPolicy(initial_delay=2, multiplier=2, max_delay=600, deadline=timedelta(hours=24))
    attempts = policy.max_attempts()
    # 24 h at one attempt every 5-10 minutes at most: a steady trickle, never a storm.
    assert 140 < attempts < 300
    assert RetryPolicy(deadline=timedelta(seconds=0.5)).max_attempts() == 1


async def test_token_bucket_paces_to_the_declared_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(RateLimit(events=2, per_seconds=1, burst=2), monotonic=lambda: now[0])
    await bucket.acquire()
    await bucket.acquire()
    assert bucket.wait_time() == 0.5
    now[0] += 0.5
    assert bucket.wait_time() == 0.0
    await bucket.acquire()
    assert bucket.wait_time() > 0
    now[0] += 100
    assert bucket.wait_time() == 0.0
    assert bucket.capacity == 2
