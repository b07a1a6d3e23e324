"""`Scheduler` rules, each driven on a `ManualClock`: hours of schedule in milliseconds."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from floe_monitoring.checks import CheckType
from floe_monitoring.scheduling import EPOCH, ManualClock, Scheduler, ScheduleSpec

T0 = datetime(2026, 1, 5, tzinfo=UTC)  # midnight: on every grid that divides a day
TICK = timedelta(microseconds=1)

SchedulerFactory = Callable[..., Scheduler]


def minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


def spec(key: str, every: float, phase: float | None = 0, **options: Any) -> ScheduleSpec:
    """A spec every `every` minutes with phase `phase` minutes (None: derived from the key)."""
    return ScheduleSpec(key, minutes(every), None if phase is None else minutes(phase), **options)


class Runs:
    """The run callable under test: records every run and how runs overlapped."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.duration = 0.0
        self.durations: dict[str, float] = {}
        self.failing: set[str] = set()
        self.calls: list[tuple[str, datetime, datetime]] = []  # key, slot, started at
        self.finished: list[str] = []
        self.cancelled: list[str] = []
        self.lags: list[tuple[str, float]] = []
        self.overruns: list[tuple[str, datetime]] = []
        self.active = 0
        self.max_active = 0
        self.max_per_key = 0
        self._per_key: Counter[str] = Counter()

    async def __call__(self, key: str, slot: datetime) -> None:
        self.calls.append((key, slot, self.clock.now()))
        self.active += 1
        self._per_key[key] += 1
        self.max_active = max(self.max_active, self.active)
        self.max_per_key = max(self.max_per_key, self._per_key[key])
        try:
            if key in self.failing:
                raise RuntimeError("secret-token-xyz in a message")
            seconds = self.durations.get(key, self.duration)
            if seconds:
                await self.clock.sleep(seconds)
            self.finished.append(key)
        except asyncio.CancelledError:
            self.cancelled.append(key)
            raise
        finally:
            self.active -= 1
            self._per_key[key] -= 1

    def on_lag(self, key: str, seconds: float) -> None:
        self.lags.append((key, seconds))

    def on_overrun(self, key: str, slot: datetime) -> None:
        self.overruns.append((key, slot))

    def slots(self, key: str) -> list[datetime]:
        return [slot for k, slot, _ in self.calls if k == key]

    def starts(self, key: str) -> list[datetime]:
        return [started for k, _, started in self.calls if k == key]

    def count(self) -> Counter[str]:
        return Counter(key for key, _, _ in self.calls)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def runs(clock: ManualClock) -> Runs:
    return Runs(clock)


@pytest.fixture
async def make(clock: ManualClock, runs: Runs) -> AsyncIterator[SchedulerFactory]:
    """Build schedulers wired to the clock and the recorder; stopped after the test."""
    made: list[Scheduler] = []

    def build(**options: Any) -> Scheduler:
        options.setdefault("on_lag", runs.on_lag)
        options.setdefault("on_overrun", runs.on_overrun)
        scheduler = Scheduler(clock, runs, **options)
        made.append(scheduler)
        return scheduler

    yield build
    for scheduler in made:
        await scheduler.stop(grace=0)


# -- slots -----------------------------------------------------------------------------


async def test_first_run_is_the_first_slot_after_adding(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    scheduler = make()
    key_spec = ScheduleSpec("urn:x:freshness:orders.updated_at", minutes(15))
    due = scheduler.add(key_spec)
    assert due == T0 + key_spec.offset
    assert scheduler.next_due(key_spec.key) == due
    assert scheduler.due_keys() == []
    assert scheduler.due_keys(due) == [key_spec.key]
    scheduler.start()
    await clock.run_until(due - TICK)
    assert runs.calls == []
    await clock.run_until(due)
    assert runs.calls == [(key_spec.key, due, due)]
    assert scheduler.next_due(key_spec.key) == due + minutes(15)


async def test_keys_added_long_before_the_start_begin_at_their_first_slot_after_it(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    """A long start-up (loading contracts) is not a backlog: first runs stay spread."""
    scheduler = make()
    for phase in range(10):
        scheduler.add(spec(f"k{phase}", 10, phase))
    await clock.run_until(T0 + minutes(25) + timedelta(seconds=30))  # loading...
    scheduler.start()
    await clock.settle()
    assert runs.calls == []  # nothing ran at once
    await clock.run_until(T0 + minutes(35))
    started = T0 + minutes(25) + timedelta(seconds=30)
    assert sorted(runs.slots(f"k{p}")[0] for p in range(10)) == sorted(
        T0 + minutes(30 + p) if p <= 5 else T0 + minutes(20 + p) for p in range(10)
    )
    assert all(started < slot <= T0 + minutes(35) for _, slot, _ in runs.calls)
    assert scheduler.stats().coalesced == 0


async def test_slow_runs_stay_on_the_grid(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    key_spec = ScheduleSpec("urn:x:quality:orders", minutes(10))
    runs.duration = 7 * 60
    scheduler = make()
    scheduler.add(key_spec)
    scheduler.start()
    await clock.run_for(timedelta(hours=2))
    first = T0 + key_spec.offset
    assert runs.slots(key_spec.key) == [first + minutes(10 * k) for k in range(12)]
    assert runs.starts(key_spec.key) == runs.slots(key_spec.key)
    assert {(slot - EPOCH) % minutes(10) for slot in runs.slots(key_spec.key)} == {key_spec.offset}
    assert scheduler.next_due(key_spec.key) == first + minutes(120)


async def test_a_late_start_does_not_move_the_next_slot_and_reports_lag(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    runs.durations["first"] = 4 * 60
    scheduler = make(max_concurrency=1)
    scheduler.add(spec("first", 10))
    scheduler.add(spec("second", 10))
    scheduler.start()
    await clock.run_until(T0 + minutes(30) - TICK)
    assert runs.slots("second") == [T0, T0 + minutes(10), T0 + minutes(20)]
    assert runs.starts("second") == [slot + minutes(4) for slot in runs.slots("second")]
    assert [lag for key, lag in runs.lags if key == "second"] == [240.0] * 3
    assert [lag for key, lag in runs.lags if key == "first"] == [0.0] * 3


async def test_default_intervals_over_six_hours(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    scheduler = make()
    for check_type in (*CheckType.__members__.values(),):
        scheduler.add(ScheduleSpec.for_check(f"urn:x:{check_type}:orders", check_type))
    scheduler.start()
    await clock.run_until(T0 + timedelta(hours=6) - TICK)
    counts = {key.split(":")[2]: count for key, count in runs.count().items()}
    assert counts == {
        "freshness": 24,
        "schema_drift": 6,
        "quality": 1,
        "availability": 72,
        "retention": 6,
        "frequency": 6,
        "lifecycle": 6,
    }
    assert all(slot == started for _, slot, started in runs.calls)


async def test_a_cron_schedule_replaces_the_grid(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    scheduler = make()
    assert scheduler.add(spec("k", 60, phase=None, cron="0 */6 * * *")) == T0
    scheduler.start()
    await clock.run_until(T0 + timedelta(hours=24) - TICK)
    assert runs.slots("k") == [T0 + timedelta(hours=h) for h in (0, 6, 12, 18)]
    await clock.advance(timedelta(hours=13))  # misses 24h, 30h and 36h
    assert runs.slots("k")[4:] == [T0 + timedelta(hours=36)]
    assert scheduler.next_due("k") == T0 + timedelta(hours=42)


# -- coalescing and clock jumps ---------------------------------------------------------


async def test_missed_runs_after_downtime_run_once_then_follow_the_grid(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    intervals = {"five": 5, "fifteen": 15, "hourly": 60}
    scheduler = make()
    for key, every in intervals.items():
        scheduler.add(spec(key, every, phase=None))
    scheduler.start()
    await clock.run_for(timedelta(hours=1))
    before = runs.count()

    await clock.advance(timedelta(hours=5))  # one step, as when the process was paused
    now = clock.now()
    assert runs.count() - before == Counter(list(intervals))
    for key, every in intervals.items():
        latest = runs.slots(key)[-1]
        assert latest <= now < latest + minutes(every)
        assert (latest - runs.slots(key)[-2]) > minutes(every)  # the missed ones were skipped
    assert scheduler.stats().coalesced == 3

    await clock.run_for(timedelta(hours=1))
    for key, every in intervals.items():
        after = runs.slots(key)[-(60 // every) - 1 :]
        assert after == [after[0] + minutes(every * k) for k in range(len(after))]


async def test_a_forward_jump_runs_once_with_its_lag(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    scheduler = make()
    scheduler.add(spec("k", 15))
    scheduler.start()
    await clock.settle()
    await clock.set(T0 + timedelta(hours=3, minutes=20))
    assert runs.slots("k") == [T0, T0 + timedelta(hours=3, minutes=15)]
    assert runs.lags == [("k", 0.0), ("k", 300.0)]
    assert scheduler.next_due("k") == T0 + timedelta(hours=3, minutes=30)


async def test_a_backward_jump_never_runs_a_slot_twice(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    scheduler = make()
    scheduler.add(spec("k", 15))
    scheduler.start()
    await clock.run_until(T0 + minutes(30))
    assert runs.slots("k") == [T0, T0 + minutes(15), T0 + minutes(30)]

    await clock.set(T0 + minutes(5))
    await clock.run_until(T0 + minutes(45) - TICK)
    assert runs.slots("k") == [T0, T0 + minutes(15), T0 + minutes(30)]
    await clock.run_until(T0 + minutes(45))
    assert runs.slots("k") == [T0, T0 + minutes(15), T0 + minutes(30), T0 + minutes(45)]


async def test_resuming_from_a_persisted_last_slot_coalesces(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    scheduler = make()
    due = scheduler.add(spec("k", 15), last_scheduled=T0 - timedelta(hours=5))
    assert due == T0 - timedelta(hours=5) + minutes(15)
    assert scheduler.due_keys() == ["k"]
    scheduler.start()
    await clock.settle()
    assert runs.slots("k") == [T0]
    assert scheduler.stats().coalesced == 1
    assert scheduler.next_due("k") == T0 + minutes(15)


# -- overlap and concurrency -----------------------------------------------------------


async def test_a_key_never_overlaps_itself(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    runs.duration = 12 * 60  # longer than the 5 min interval
    scheduler = make()
    scheduler.add(spec("k", 5))
    scheduler.start()
    await clock.run_until(T0 + minutes(30))
    assert runs.slots("k") == [T0, T0 + minutes(15), T0 + minutes(30)]
    assert runs.overruns == [("k", T0 + minutes(m)) for m in (5, 10, 20, 25)]
    assert runs.max_per_key == 1
    assert scheduler.stats().overruns == 4


async def test_the_concurrency_limit_holds(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    runs.duration = 60
    scheduler = make(max_concurrency=3)
    for n in range(20):
        scheduler.add(spec(f"k{n}", 60))
    scheduler.start()
    await clock.run_for(minutes(10))
    assert len(runs.finished) == 20
    assert runs.max_active == 3
    assert sorted(lag for _, lag in runs.lags) == sorted(
        [60.0 * wave for wave in range(6) for _ in range(3)] + [360.0, 360.0]
    )
    assert runs.overruns == []


async def test_a_run_waiting_for_a_permit_counts_as_in_flight(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    runs.durations["slow"] = 18 * 60
    scheduler = make(max_concurrency=1)
    scheduler.add(spec("slow", 60))
    scheduler.add(spec("fast", 5))
    scheduler.start()
    await clock.run_until(T0 + minutes(20))
    assert runs.slots("fast") == [T0, T0 + minutes(20)]
    assert runs.starts("fast") == [T0 + minutes(18), T0 + minutes(20)]
    assert runs.overruns == [("fast", T0 + minutes(m)) for m in (5, 10, 15)]


# -- changes while running ----------------------------------------------------------------


async def test_add_while_running(make: SchedulerFactory, clock: ManualClock, runs: Runs) -> None:
    scheduler = make()
    scheduler.start()
    await clock.run_for(minutes(1))
    assert scheduler.add(spec("k", 15)) == T0 + minutes(15)
    await clock.run_until(T0 + minutes(15))
    assert runs.slots("k") == [T0 + minutes(15)]


async def test_update_changes_the_interval_from_the_last_slot(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    scheduler = make()
    scheduler.add(spec("k", 60))
    scheduler.start()
    await clock.run_for(minutes(1))
    assert scheduler.update(spec("k", 60)) == T0 + minutes(60)  # unchanged: a no-op
    assert scheduler.update(spec("k", 15)) == T0 + minutes(15)
    await clock.run_until(T0 + minutes(60) - TICK)
    assert runs.slots("k") == [T0 + minutes(m) for m in (0, 15, 30, 45)]


async def test_a_shorter_interval_that_is_already_overdue_runs_at_once(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    scheduler = make()
    scheduler.add(spec("k", 360))
    scheduler.start()
    await clock.run_until(T0 + minutes(190))
    scheduler.update(spec("k", 60))
    await clock.settle()
    assert runs.slots("k") == [T0, T0 + minutes(180)]
    await clock.run_until(T0 + minutes(240))
    assert runs.slots("k")[-1] == T0 + minutes(240)


async def test_remove_lets_the_running_execution_finish(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    runs.duration = 10 * 60
    scheduler = make()
    scheduler.add(spec("k", 15))
    scheduler.start()
    await clock.run_for(minutes(1))
    assert scheduler.remove("k") is True
    assert scheduler.is_running("k")
    assert scheduler.next_due("k") is None
    assert "k" not in scheduler
    await clock.run_for(timedelta(hours=2))
    assert runs.finished == ["k"]
    assert runs.cancelled == []
    assert len(runs.calls) == 1
    assert not scheduler.is_running("k")
    assert scheduler.remove("k") is False


async def test_a_key_re_added_while_its_old_run_is_in_flight_does_not_overlap(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    runs.duration = 20 * 60
    scheduler = make()
    scheduler.add(spec("k", 15))
    scheduler.start()
    await clock.run_for(minutes(1))
    scheduler.remove("k")
    scheduler.add(spec("k", 15))
    await clock.run_until(T0 + minutes(30))
    assert runs.slots("k") == [T0, T0 + minutes(30)]
    assert runs.overruns == [("k", T0 + minutes(15))]
    assert runs.max_per_key == 1


async def test_sync_adds_updates_and_removes(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    scheduler = make()
    scheduler.sync([spec("a", 15), spec("b", 15)])
    scheduler.start()
    await clock.run_for(minutes(1))
    scheduler.sync([spec("b", 5), spec("c", 15)])
    assert len(scheduler) == 2
    assert scheduler.next_due("a") is None
    assert scheduler.next_due("b") == T0 + minutes(5)
    assert scheduler.next_due("c") == T0 + minutes(15)
    await clock.run_until(T0 + minutes(15))
    assert runs.count() == Counter({"a": 1, "b": 4, "c": 1})


async def test_add_and_update_refuse_the_wrong_case(make: SchedulerFactory) -> None:
    scheduler = make()
    scheduler.add(spec("k", 15))
    with pytest.raises(ValueError, match="already scheduled"):
        scheduler.add(spec("k", 5))
    with pytest.raises(KeyError):
        scheduler.update(spec("other", 5))
    assert scheduler.next_due("k") == T0


async def test_stale_heap_entries_are_compacted(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    scheduler = make()
    scheduler.add(spec("k", 15))
    for n in range(1000):
        scheduler.update(spec("k", 15 + n % 2))
    scheduler.start()
    await clock.run_for(timedelta(hours=1))
    assert len(runs.calls) == 4
    assert scheduler.stats().examined < 100  # not the 1000 stale entries


# -- failures, lifecycle -------------------------------------------------------------------


async def test_a_raising_run_does_not_stop_the_scheduler(
    make: SchedulerFactory,
    clock: ManualClock,
    runs: Runs,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="floe_monitoring.scheduling")
    runs.failing.add("bad")
    scheduler = make()
    scheduler.add(spec("bad", 15))
    scheduler.add(spec("good", 15))
    scheduler.start()
    await clock.run_until(T0 + minutes(60) - TICK)
    assert runs.count() == Counter({"bad": 4, "good": 4})
    assert scheduler.started
    assert scheduler.stats().failures == 4
    failures = [r for r in caplog.records if r.name == "floe_monitoring.scheduling"]
    assert len(failures) == 4
    assert all("RuntimeError" in r.getMessage() for r in failures)
    assert not any("secret-token" in r.getMessage() for r in caplog.records)


async def test_raising_callbacks_do_not_stop_the_scheduler(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    def broken(key: str, value: object) -> None:
        raise ValueError(key)

    runs.duration = 20 * 60
    scheduler = make(on_lag=broken, on_overrun=broken)
    scheduler.add(spec("k", 15))
    scheduler.start()
    await clock.run_until(T0 + minutes(30))
    assert runs.slots("k") == [T0, T0 + minutes(30)]
    assert scheduler.stats().overruns == 1


async def test_stop_waits_for_the_grace_period_then_cancels(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    runs.durations = {"short": 60, "long": 600}
    scheduler = make()
    scheduler.add(spec("short", 15))
    scheduler.add(spec("long", 15))
    scheduler.start()
    await clock.settle()
    stopping = asyncio.create_task(scheduler.stop(grace=120))
    await clock.run_for(60)
    assert runs.finished == ["short"]
    assert not stopping.done()
    await clock.run_for(60)
    assert stopping.done()
    assert runs.cancelled == ["long"]
    assert not scheduler.started
    assert scheduler.stats().in_flight == 0
    await clock.run_for(timedelta(hours=1))
    assert len(runs.calls) == 2  # nothing launched after stop


async def test_stop_returns_at_once_when_idle_and_is_repeatable(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    scheduler = make()
    await scheduler.stop()  # never started
    scheduler.add(spec("k", 15))
    scheduler.start()
    with pytest.raises(RuntimeError, match="already started"):
        scheduler.start()
    stopping = asyncio.create_task(scheduler.stop(grace=30))
    await clock.settle()
    assert stopping.done()
    await scheduler.stop(grace=0)
    assert not scheduler.started
    assert clock.now() == T0


async def test_stop_with_no_grace_cancels_at_once(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    runs.duration = 60
    scheduler = make()
    scheduler.add(spec("k", 15))
    scheduler.start()
    await clock.settle()
    await scheduler.stop(grace=0)
    assert runs.cancelled == ["k"]


async def test_async_with_starts_and_stops(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    scheduler = make()
    scheduler.add(spec("k", 15))
    async with scheduler as running:
        started_inside = running.started
        await clock.run_for(minutes(20))
    assert running is scheduler
    assert started_inside
    assert not scheduler.started
    assert runs.slots("k") == [T0, T0 + minutes(15)]


async def test_run_pending_once_launches_what_is_due_and_waits(
    make: SchedulerFactory, clock: ManualClock, runs: Runs
) -> None:
    scheduler = make()
    scheduler.add(spec("a", 15))
    scheduler.add(spec("b", 15, phase=1))
    scheduler.add(spec("c", 60))
    assert await scheduler.run_pending_once() == ["a", "c"]
    assert sorted(runs.finished) == ["a", "c"]
    assert await scheduler.run_pending_once() == []  # the slots are consumed
    await clock.set(T0 + minutes(16))
    assert scheduler.due_keys() == ["b", "a"]  # earliest due first
    assert await scheduler.run_pending_once() == ["b", "a"]
    assert runs.slots("a") == [T0, T0 + minutes(15)]
    assert not scheduler.started


async def test_run_pending_once_does_nothing_while_stopping(
    make: SchedulerFactory, runs: Runs
) -> None:
    scheduler = make()
    scheduler.add(spec("k", 15))
    await scheduler.stop()
    assert await scheduler.run_pending_once() == []
    assert runs.calls == []


def test_the_concurrency_limit_must_be_positive(clock: ManualClock, runs: Runs) -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        Scheduler(clock, runs, max_concurrency=0)
