"""A receiver down for a long stretch, then back, under the real `floe sla monitor`.

The service (a real process on PostgreSQL) delivers to a webhook receiver that goes
through three stretches:

1. up but failing (every request answered 503, as a load balancer does when the app
   behind it is down) for longer than the notification deadline: each notification is
   retried with exponential backoff, never more often than the policy allows and never
   more than ``RetryPolicy.max_attempts()`` times, then dead-lettered with a reason that
   says the deadline passed;
2. gone (connection refused) while new notifications fire: they wait; when the
   receiver is back they are delivered within a backoff step and a health probe;
3. ``floe sla deliveries replay --all-dead`` (a second real process) requeues the dead
   letters and the running service delivers them.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from floe_monitoring.catalog.local import create_local_catalog
from floe_monitoring.delivery.policy import RetryPolicy
from floe_monitoring.store import OutboxRow, OutboxStatus, StateStore
from floe_testing_kit import RecordedRequest, ScriptedResponse

from .conftest import (
    FLOE,
    SCALE,
    SOAK,
    Figures,
    ReopenableServer,
    free_port,
    running_service,
    scaled,
    wait_until,
    webhook_settings,
    write_config,
    write_contracts,
)

FIRST = scaled(20)  # notifications that die while the receiver fails
SECOND = scaled(10)  # notifications that wait while the receiver is gone
POLICY = RetryPolicy(
    initial_delay=0.25,
    multiplier=2,
    max_delay=1.0,
    deadline=timedelta(seconds=6),
    send_timeout=1,
    lease_margin=0.5,
)
GONE_FOR = 3.0


class Receiver:
    """Answers 503 while `failing`, else 200; remembers every attempt per event id."""

    def __init__(self) -> None:
        self.failing = True
        self.attempts: dict[str, list[float]] = defaultdict(list)
        self.accepted: list[str] = []

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        event_id = json.loads(request.body)["eventId"]
        self.attempts[event_id].append(time.monotonic())
        if self.failing:
            return ScriptedResponse(503, {"Retry-After": "0"})
        self.accepted.append(event_id)
        return ScriptedResponse(200)


async def _rows(url: str) -> list[OutboxRow]:
    store = StateStore(url, pool_size=1)
    try:
        return await store.outbox.rows(limit=None)
    finally:
        await store.close()


def _config(root: Path, state_url: str, port: int) -> dict[str, Any]:
    lake = create_local_catalog(root / "lake")
    lake.close()
    return {
        "contracts": ["contracts/*.yaml"],
        "catalog": {
            "properties": {
                "type": "sql",
                "uri": "sqlite:///lake/catalog.db",
                "warehouse": (root / "lake" / "warehouse").as_uri(),
            }
        },
        "state": {"url": state_url},
        "channels": {"hook": webhook_settings(f"http://127.0.0.1:{port}/in", timeout_seconds=1)},
        "routing": [{"channel": "hook"}],
        # Availability only: a schema-drift check's first slot falls anywhere in its hour
        # and would fire a notification of its own in the middle of the test.
        "overrides": {"*": {"disabled_checks": ["schema_drift", "freshness", "quality"]}},
        "monitoring": {
            "intervals": {"availability": "1s", "freshness": "1h", "schema_drift": "1h"},
            "scheduling": "local",  # this test is about delivery, not shared scheduling
            "rate_limit": None,
            # Checks run every second: keep "more than 3 violations in 24 h" from escalating.
            "incidents": {"critical_after": 1_000_000},
            "channel_health_interval": "1s",
            "delivery": POLICY.model_dump(mode="json"),
        },
    }


@pytest.mark.timeout(900 if SOAK else 240)
async def test_deliveries_back_off_dead_letter_resume_and_replay(
    tmp_path: Path,
    postgres_url: str,
    subprocess_env: dict[str, str],
    figures: Figures,
) -> None:
    port = free_port()
    receiver = Receiver()
    server = ReopenableServer(port, receiver)
    await server.start()
    write_contracts(tmp_path / "contracts", FIRST, prefix="a")
    write_config(tmp_path, _config(tmp_path, postgres_url, port))
    try:
        async with running_service(tmp_path, subprocess_env) as service:
            # 1. The receiver fails every request for longer than the deadline.
            failing_since = time.monotonic()

            async def first_dead() -> bool:
                rows = await _rows(postgres_url)
                return len(rows) == FIRST and all(r.status == OutboxStatus.DEAD for r in rows)

            await wait_until(first_dead, timeout=60 * SCALE, interval=0.25)
            failing_for = time.monotonic() - failing_since
            dead = await _rows(postgres_url)
            first_ids = {str(e.event_id) for r in dead for e in r.events}
            status, ready = await service.call("/readyz")
            assert status == 200  # a failing receiver never takes the monitor out of rotation
            assert ready["dead_letters"] == FIRST

            # 2. The receiver is gone while new notifications fire, then comes back.
            await server.close()
            gone_at = time.monotonic()
            write_contracts(tmp_path / "contracts", SECOND, prefix="b")
            # Registering new contracts runs on the service's loop (see D10): be patient.
            reload_status, reload = await service.call("/contracts/reload", "POST", timeout=120)
            assert reload_status == 200
            assert len(reload["added"]) == SECOND

            async def second_enqueued() -> bool:
                return len(await _rows(postgres_url)) == FIRST + SECOND

            await wait_until(second_enqueued, timeout=30 * SCALE, interval=0.1)
            await wait_until(lambda: time.monotonic() - gone_at >= GONE_FOR, timeout=30)
            pending = [r for r in await _rows(postgres_url) if r.status == OutboxStatus.PENDING]
            receiver.failing = False
            await server.start()
            back_at = time.monotonic()

            async def second_delivered() -> bool:
                rows = await _rows(postgres_url)
                return sum(r.status == OutboxStatus.DELIVERED for r in rows) == SECOND

            resumed_in = await wait_until(second_delivered, timeout=30 * SCALE, interval=0.1)

            # 3. Replay the dead letters with the real CLI; the running service sends them.
            replay = await _floe(tmp_path, subprocess_env, "deliveries", "replay", "--all-dead")
            assert replay.returncode == 0, replay.stderr
            assert f"{FIRST} notification(s) requeued" in replay.stdout
            replayed_at = time.monotonic()
            await wait_until(lambda: first_ids <= set(receiver.accepted), timeout=30 * SCALE)
            replay_seconds = time.monotonic() - replayed_at

            async def all_recorded() -> bool:  # the receiver answers before the row is marked
                rows = await _rows(postgres_url)
                return all(r.status == OutboxStatus.DELIVERED for r in rows)

            await wait_until(all_recorded, timeout=10 * SCALE, interval=0.1)
            final = await _rows(postgres_url)
            status, ready = await service.call("/readyz")
            assert await service.terminate() == 0
            errors = service.stderr()
    finally:
        await server.close()

    attempts_first = [len(receiver.attempts[i]) - 1 for i in first_ids]  # minus the replay
    bound = POLICY.max_attempts()
    second_ids = {str(e.event_id) for r in final for e in r.events} - first_ids
    figures.update(
        {
            "dead_lettered": len(first_ids),
            "failing_seconds_until_all_dead": round(failing_for, 1),
            "deadline_seconds": POLICY.deadline.total_seconds(),
            "attempts_per_dead_letter_min_max": [min(attempts_first), max(attempts_first)],
            "attempt_bound": bound,
            "min_gap_ratio": round(_min_gap_ratio(receiver, first_ids), 2),
            "waiting_while_gone": len(pending),
            "gone_seconds": round(back_at - gone_at, 1),
            "resumed_within_seconds": round(resumed_in, 2),
            "attempts_while_gone": sum(
                sum(t < back_at for t in receiver.attempts[i]) for i in second_ids
            ),
            "replayed": len(first_ids),
            "replay_delivered_within_seconds": round(replay_seconds, 2),
            "requests": sum(len(v) for v in receiver.attempts.values()),
        }
    )
    # 1. Backoff, a bound on attempts, dead letters that say why.
    assert all(1 <= a <= bound for a in attempts_first), (attempts_first, bound)
    assert failing_for >= POLICY.deadline.total_seconds() - 0.5
    reasons = {(r.last_reason, r.last_error) for r in dead}
    assert all("deadline passed" in (r.last_error or "") for r in dead), reasons
    assert {r.last_reason for r in dead} <= {"server_error", "timeout"}, reasons
    assert _min_gap_ratio(receiver, first_ids) >= 0.95  # never sooner than the backoff
    # 2. Waiting notifications resume when the receiver is back: no storm, none lost.
    assert len(pending) == SECOND
    # A backoff step, a health probe and a poll, then at least 25 deliveries a second.
    assert resumed_in <= POLICY.max_delay + 3 + SECOND / 25
    assert second_ids <= set(receiver.accepted)
    assert all(len(receiver.attempts[i]) <= bound for i in second_ids)
    # 3. The replayed dead letters are delivered, each exactly once more.
    undelivered = [
        (
            r.contract_id,
            r.status,
            r.attempts,
            r.last_error,
            r.events[0].metadata.get("notification"),
        )
        for r in final
        if r.status != OutboxStatus.DELIVERED
    ]
    assert undelivered == []
    assert sorted(receiver.accepted) == sorted(first_ids | second_ids)
    assert status == 200
    assert ready["dead_letters"] == 0
    assert "Traceback" not in errors


def _min_gap_ratio(receiver: Receiver, ids: set[str]) -> float:
    """The smallest (gap between attempts k and k+1) / (the policy's shortest delay)."""
    ratios = []
    for event_id in ids:
        times = receiver.attempts[event_id][:-1]  # the last one is the replay
        for k, (before, after) in enumerate(itertools.pairwise(times), start=1):
            shortest = 0.5 * min(
                POLICY.max_delay, POLICY.initial_delay * POLICY.multiplier ** (k - 1)
            )
            ratios.append((after - before) / shortest)
    return min(ratios) if ratios else 1.0


async def _floe(root: Path, env: dict[str, str], *args: str) -> Any:
    import asyncio
    import subprocess

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [FLOE, "sla", *args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return await asyncio.to_thread(run)
