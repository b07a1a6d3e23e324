"""The launcher's cost grows with the due keys, not with all the keys (a heap, no scan)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from floe_monitoring.scheduling import ManualClock, Scheduler, ScheduleSpec

T0 = datetime(2026, 1, 5, tzinfo=UTC)


async def test_ten_thousand_schedules_cost_only_what_is_due() -> None:
    clock = ManualClock(T0)
    ran: Counter[str] = Counter()

    async def run(key: str, slot: datetime) -> None:
        ran[key] += 1

    scheduler = Scheduler(clock, run, max_concurrency=64)
    specs = [
        ScheduleSpec(f"urn:contract-{n}:freshness:t{n}.updated_at", timedelta(minutes=15))
        for n in range(10_000)
    ]
    for spec in specs:
        scheduler.add(spec)
    window_end = T0 + timedelta(seconds=60)
    due = {spec.key for spec in specs if T0 + spec.offset <= window_end}
    assert 500 < len(due) < 850  # about 1/15 of them

    scheduler.start()
    try:
        await clock.settle()
        before = scheduler.stats().examined
        await clock.advance(60)
        stats = scheduler.stats()
        assert set(ran) == due
        assert all(count == 1 for count in ran.values())
        assert stats.launched == len(due)
        # Each due key was looked at once; the other ~9,300 were never touched.
        assert stats.examined - before == len(due)
        assert stats.schedules == 10_000
        assert stats.in_flight == 0
    finally:
        await scheduler.stop(grace=0)
