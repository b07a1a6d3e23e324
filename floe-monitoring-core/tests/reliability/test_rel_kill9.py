"""SIGKILL the monitor at random points while it delivers 1,000 notifications.

The monitor is a real process (`rel_monitor_process.py`) on a real PostgreSQL: 250
contracts whose tables go missing, come back, go missing and come back again, so each
contract fires, resolves, fires and resolves (1,000 notifications, committed with their
results); then it delivers them to a webhook receiver on loopback that fails half of the
requests (503, and 429 with ``Retry-After: 0``). It is killed with SIGKILL at random
points of the burst (seeded) and restarted each time.

Proved: every `event_id` reaches the receiver at least once (zero lost); every outbox
row ends delivered; a duplicate is only ever an event the receiver had accepted from a
process that died before recording it (an attempt in flight at the kill), and there are
never more of those per kill than the dispatcher's in-flight bound.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from floe_monitoring.delivery.policy import RetryPolicy
from floe_monitoring.store import OutboxStatus, StateStore
from floe_testing_kit import FakeHTTPServer, RecordedRequest, ScriptedResponse

from .conftest import SOAK, Figures, scaled, webhook_settings, write_contracts

NOTIFICATIONS = scaled(1000)
TRANSITIONS = 4  # firing, resolved, firing, resolved
KILLS = 10 if SOAK else 3
SEED = 20260302
IN_FLIGHT_BOUND = RetryPolicy().max_in_flight  # the dispatcher's sends in flight per channel
SCRIPT = Path(__file__).with_name("rel_monitor_process.py")


class FlappingReceiver:
    """Answers 503 to one request in four and 429 to another; accepts the rest."""

    def __init__(self) -> None:
        self.count = 0
        self.statuses: Counter[int] = Counter()
        self.accepted: list[str] = []

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        self.count += 1
        if self.count % 4 == 1:
            self.statuses[503] += 1
            return ScriptedResponse(503)
        if self.count % 4 == 3:
            self.statuses[429] += 1
            return ScriptedResponse(429, {"Retry-After": "0"})
        self.statuses[200] += 1
        self.accepted.append(json.loads(request.body)["eventId"])
        return ScriptedResponse(200)


def _config(tmp: Path, state_url: str, receiver_url: str) -> Path:
    write_contracts(tmp / "contracts", NOTIFICATIONS // TRANSITIONS)
    config: dict[str, Any] = {
        "contracts": [str(tmp / "contracts" / "*.yaml")],
        "state": {"url": state_url},
        "channels": {"hook": webhook_settings(f"{receiver_url}/in")},
        "routing": [{"channel": "hook"}],
        "monitoring": {
            "rate_limit": None,
            "scheduling": "local",
            "incidents": {"detect_flapping": False},
            "delivery": {
                "initial_delay": 0.05,
                "max_delay": 0.2,
                "send_timeout": 2,
                "lease_margin": 0.5,
            },
        },
    }
    path = tmp / "config.json"
    path.write_text(json.dumps(config))
    return path


async def _start(config: Path, mode: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        str(config),
        mode,
        str(TRANSITIONS),
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )


async def _wait_for_line(
    process: asyncio.subprocess.Process, word: str, timeout: float = 600
) -> None:
    assert process.stdout is not None
    async with asyncio.timeout(timeout):
        while True:
            line = await process.stdout.readline()
            assert line, f"the monitor exited before printing {word} (code {await process.wait()})"
            if line.decode().strip() == word:
                return


async def _delivered_ids(state_url: str) -> set[str]:
    store = StateStore(state_url, pool_size=1)
    try:
        rows = await store.outbox.rows(status=OutboxStatus.DELIVERED, limit=None)
    finally:
        await store.close()
    return {str(e.event_id) for row in rows for e in row.events}


@pytest.mark.timeout(3600 if SOAK else 300)
async def test_no_notification_is_lost_when_the_monitor_is_killed_at_random_points(
    tmp_path: Path, postgres_url: str, subprocess_env: dict[str, str], figures: Figures
) -> None:
    rng = random.Random(SEED)
    receiver = FlappingReceiver()
    # Kill when the receiver has accepted this many events (plus a random few ms): one
    # random point in each of KILLS equal stretches of the burst.
    stretch = NOTIFICATIONS * 9 // 10 // KILLS
    thresholds = [k * stretch + rng.randrange(1, stretch) for k in range(KILLS)]
    in_flight_at_kill: list[set[str]] = []
    began = time.monotonic()
    async with FakeHTTPServer(receiver) as server:
        config = _config(tmp_path, postgres_url, server.url)
        process = await _start(config, "enqueue", subprocess_env)
        await _wait_for_line(process, "ENQUEUED")
        enqueued_after = time.monotonic() - began
        first_of_process = 0
        for threshold in thresholds:
            async with asyncio.timeout(600):
                while len(receiver.accepted) < threshold:
                    await asyncio.sleep(0.002)
            await asyncio.sleep(rng.uniform(0, 0.02))
            process.send_signal(signal.SIGKILL)
            assert await process.wait() == -signal.SIGKILL
            # Accepted from this process but never recorded by it: in flight at the kill.
            recorded = await _delivered_ids(postgres_url)
            in_flight_at_kill.append(set(receiver.accepted[first_of_process:]) - recorded)
            process = await _start(config, "resume", subprocess_env)
            first_of_process = len(receiver.accepted)
        await _wait_for_line(process, "DONE")
        assert await process.wait() == 0
    elapsed = time.monotonic() - began

    store = StateStore(postgres_url, pool_size=1)
    rows = await store.outbox.rows(limit=None)
    await store.close()
    expected = {str(e.event_id) for row in rows for e in row.events}
    kinds = Counter(e.status.value for row in rows for e in row.events)
    accepted = Counter(receiver.accepted)
    duplicates = {event_id for event_id, seen in accepted.items() if seen > 1}
    in_flight = set().union(*in_flight_at_kill)
    attempts = [row.attempts for row in rows]
    figures.update(
        {
            "notifications": len(expected),
            "by_status": dict(kinds),
            "kills": len(in_flight_at_kill),
            "kill_points_accepted": thresholds,
            "in_flight_at_each_kill": [len(s) for s in in_flight_at_kill],
            "requests": receiver.count,
            "answers": dict(receiver.statuses),
            "duplicates": sum(accepted[e] - 1 for e in duplicates),
            "lost": len(expected - set(accepted)),
            "recorded_attempts_max": max(attempts),
            "recorded_attempts_mean": round(sum(attempts) / len(attempts), 2),
            "enqueue_seconds": round(enqueued_after, 1),
            "total_seconds": round(elapsed, 1),
        }
    )
    assert len(expected) == NOTIFICATIONS
    assert kinds == {"firing": NOTIFICATIONS // 2, "resolved": NOTIFICATIONS // 2}
    assert {row.status for row in rows} == {OutboxStatus.DELIVERED}
    assert expected <= set(accepted), f"lost: {sorted(expected - set(accepted))[:5]}"
    assert set(accepted) <= expected  # nothing the monitor did not enqueue
    assert duplicates <= in_flight, "a duplicate of an event that was not in flight at a kill"
    assert all(len(s) <= IN_FLIGHT_BOUND for s in in_flight_at_kill), in_flight_at_kill
    # Half the answers are failures: every event needed about two attempts, none a storm.
    assert receiver.statuses[503] + receiver.statuses[429] >= receiver.count // 2 - 1
    assert sum(attempts) <= receiver.count
