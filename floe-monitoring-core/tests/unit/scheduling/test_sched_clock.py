"""`ManualClock` and `SystemClock`: time, sleeping, jumps."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from floe_monitoring.checks import Clock
from floe_monitoring.scheduling import ManualClock, MonitorClock, SystemClock

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


# -- ManualClock ---------------------------------------------------------------------


async def test_time_stands_still_until_moved(clock: ManualClock) -> None:
    await asyncio.sleep(0.001)
    assert clock.now() == T0
    await clock.advance(90)
    assert clock.now() == T0 + seconds(90)
    await clock.advance(timedelta(minutes=1))
    assert clock() == T0 + seconds(150)


def test_both_clocks_serve_as_a_check_clock_and_a_monitor_clock() -> None:
    manual = ManualClock(T0)
    system = SystemClock()
    for_checks: list[Clock] = [manual, system]
    for_scheduler: list[MonitorClock] = [manual, system]
    assert for_checks[0]() == T0
    assert for_scheduler[1].now().tzinfo is UTC


def test_start_must_be_aware_and_is_kept_in_utc() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 1, 5))
    clock = ManualClock(datetime(2026, 1, 5, 1, tzinfo=timezone(timedelta(hours=1))))
    assert clock.now() == T0
    assert clock.now().tzinfo is UTC


async def test_a_jump_wakes_due_sleepers_in_deadline_order(clock: ManualClock) -> None:
    woken: list[tuple[str, datetime]] = []

    async def sleeper(name: str, after: float) -> None:
        await clock.sleep(after)
        woken.append((name, clock.now()))

    tasks = [
        asyncio.create_task(sleeper(name, after))
        for name, after in [("c", 30), ("a", 10), ("late", 100), ("b", 20)]
    ]
    await clock.settle()
    assert woken == []
    assert clock.sleepers == 4

    await clock.advance(25)
    # A jump: both woken tasks see the new time, not their own deadlines.
    assert woken == [("a", T0 + seconds(25)), ("b", T0 + seconds(25))]
    await clock.advance(100)
    assert [name for name, _ in woken] == ["a", "b", "c", "late"]
    await asyncio.gather(*tasks)
    assert clock.sleepers == 0


async def test_run_until_steps_through_every_deadline(clock: ManualClock) -> None:
    seen: list[datetime] = []

    async def ticker() -> None:
        for _ in range(4):
            await clock.sleep(60)
            seen.append(clock.now())

    task = asyncio.create_task(ticker())
    await clock.run_until(T0 + timedelta(minutes=10))
    assert seen == [T0 + seconds(60 * n) for n in (1, 2, 3, 4)]
    assert clock.now() == T0 + timedelta(minutes=10)
    assert task.done()


async def test_advance_jumps_over_intermediate_deadlines(clock: ManualClock) -> None:
    seen: list[datetime] = []

    async def ticker() -> None:
        for _ in range(4):
            await clock.sleep(60)
            seen.append(clock.now())

    task = asyncio.create_task(ticker())
    await clock.settle()
    await clock.advance(600)
    assert seen == [T0 + seconds(600)]  # the next sleep started from the new time
    await clock.run_for(180)
    assert seen == [T0 + seconds(600 + 60 * n) for n in range(4)]
    assert task.done()


async def test_set_backwards_keeps_sleepers_asleep(clock: ManualClock) -> None:
    task = asyncio.create_task(clock.sleep_until(T0 + seconds(60)))
    await clock.settle()
    await clock.set(T0 - timedelta(hours=1))
    assert clock.now() == T0 - timedelta(hours=1)
    assert not task.done()
    await clock.set(T0 + seconds(59))
    assert not task.done()
    await clock.set(T0 + seconds(60))
    assert task.done()


async def test_a_past_deadline_returns_without_moving_time(clock: ManualClock) -> None:
    await clock.sleep_until(T0 - seconds(1))
    await clock.sleep(0)
    await clock.sleep(-5)
    assert clock.now() == T0
    assert clock.sleepers == 0


async def test_a_cancelled_sleeper_is_forgotten(clock: ManualClock) -> None:
    task = asyncio.create_task(clock.sleep(10))
    await clock.settle()
    assert clock.sleepers == 1
    task.cancel()
    await clock.settle()
    assert task.cancelled()
    assert clock.sleepers == 0
    await clock.run_for(20)
    assert clock.now() == T0 + seconds(20)


async def test_settle_runs_long_chains_of_ready_work(clock: ManualClock) -> None:
    done = asyncio.Event()

    async def busy() -> None:
        for _ in range(500):  # more passes than any fixed guess
            await asyncio.sleep(0)
        done.set()

    task = asyncio.create_task(busy())
    await clock.settle()
    assert done.is_set()
    assert task.done()


async def test_moving_backwards_needs_set(clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="forward only"):
        await clock.advance(-1)
    with pytest.raises(ValueError, match="forward only"):
        await clock.run_until(T0 - seconds(1))
    assert clock.now() == T0


# -- SystemClock ---------------------------------------------------------------------


def test_system_clock_reads_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < seconds(5)


def test_system_clock_needs_a_positive_step() -> None:
    with pytest.raises(ValueError, match="max_step"):
        SystemClock(max_step=0)


async def test_system_clock_returns_at_once_for_a_past_deadline() -> None:
    clock = SystemClock()
    started = time.monotonic()
    await clock.sleep_until(clock.now() - timedelta(hours=1))
    await clock.sleep(-1)
    assert time.monotonic() - started < 0.05


async def test_system_clock_sleeps_until_the_wall_clock_reaches_the_deadline() -> None:
    clock = SystemClock(max_step=0.005)
    deadline = clock.now() + timedelta(milliseconds=20)
    await clock.sleep_until(deadline)
    assert clock.now() >= deadline


async def test_system_clock_notices_a_forward_wall_jump_within_one_step() -> None:
    offset = [timedelta(0)]
    clock = SystemClock(max_step=0.005, wall=lambda: datetime.now(UTC) + offset[0])

    async def jump() -> None:
        await asyncio.sleep(0.01)
        offset[0] = timedelta(hours=2)

    jumper = asyncio.create_task(jump())
    started = time.monotonic()
    await clock.sleep_until(clock.now() + timedelta(hours=1))
    assert time.monotonic() - started < 0.5  # not an hour
    await jumper


async def test_system_clock_keeps_sleeping_after_a_backward_wall_jump() -> None:
    offset = [timedelta(0)]
    clock = SystemClock(max_step=0.005, wall=lambda: datetime.now(UTC) + offset[0])

    async def jumps() -> None:
        await asyncio.sleep(0.005)
        offset[0] = -timedelta(hours=1)
        await asyncio.sleep(0.035)
        offset[0] = timedelta(0)

    jumper = asyncio.create_task(jumps())
    started = time.monotonic()
    await clock.sleep_until(clock.now() + timedelta(milliseconds=15))
    assert time.monotonic() - started >= 0.03  # the wall clock was an hour behind meanwhile
    await jumper
