"""A receiver down for 26 hours, at the production retry policy, on a simulated clock.

The real-process test (test_rel_receiver_outage) compresses the policy into seconds.
This one keeps the defaults every deployment gets (first retry after 2 s, doubling to at
most 10 minutes, dead-lettered after 24 h) and lets a manual clock walk through a
26-hour outage of a receiver that answers 503, stopping at every moment a retry is due.

Proved: each notification is tried with exponential backoff and full jitter, never
sooner than the policy allows, at most ``RetryPolicy.max_attempts()`` times (about
200 in practice: no storm), and dead-lettered when the next retry would fall past its
24-hour deadline; notifications that fired during the outage (their deadline still
ahead) are delivered within one 10-minute backoff step of the receiver's return; the
dead letters are delivered after a replay.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from floe_monitoring.config import ChannelEntry, MonitorConfig, StateConfig
from floe_monitoring.delivery.policy import RetryPolicy
from floe_monitoring.engine import ContractMonitor
from floe_monitoring.routing import RoutingRule
from floe_monitoring.scheduling import ManualClock
from floe_monitoring.store import OutboxStatus
from floe_testing_kit import FakeHTTPServer, RecordedRequest, ScriptedResponse

from .conftest import SOAK, Figures, MissingTables, scaled, webhook_settings, write_contracts

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
OUTAGE = timedelta(hours=26)
POLICY = RetryPolicy()  # the defaults


class Receiver:
    """503 while `down`; remembers the simulated time of every attempt per event."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.down = True
        self.attempts: dict[str, list[datetime]] = defaultdict(list)
        self.accepted: list[str] = []

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        event_id = json.loads(request.body)["eventId"]
        self.attempts[event_id].append(self.clock.now())
        if self.down:
            return ScriptedResponse(503)
        self.accepted.append(event_id)
        return ScriptedResponse(200)


@pytest.mark.timeout(1200 if SOAK else 180)
async def test_a_26_hour_outage_at_the_default_policy(tmp_path: Path, figures: Figures) -> None:
    first_ids = write_contracts(tmp_path / "contracts", scaled(3), prefix="a")
    clock = ManualClock(START)
    receiver = Receiver(clock)
    steps = 0
    async with FakeHTTPServer(receiver) as server:
        config = MonitorConfig(
            contracts=(str(tmp_path / "contracts" / "*.yaml"),),
            state=StateConfig(url=SecretStr(f"sqlite+aiosqlite:///{tmp_path / 'state.db'}")),
            channels={"hook": ChannelEntry.model_validate(webhook_settings(f"{server.url}/in"))},
            routing=(RoutingRule(channel="hook"),),
            monitoring={"rate_limit": None, "scheduling": "local"},  # type: ignore[arg-type]
            base_dir=tmp_path,
        )
        async with ContractMonitor(config, clock=clock, table_source=MissingTables()) as monitor:
            dispatcher = monitor.dispatcher
            assert dispatcher is not None
            outbox = monitor.store.outbox

            async def walk(until: datetime) -> None:
                """Jump from one due retry to the next, sending each, until `until`."""
                nonlocal steps
                while True:
                    pending = await outbox.rows(status=OutboxStatus.PENDING, limit=None)
                    due = min((r.next_attempt_at for r in pending), default=None)
                    if due is None or due > until:
                        break
                    await clock.set(max(due, clock.now()))
                    await dispatcher.drain()
                    steps += 1
                await clock.set(until)

            await monitor.run_once(contracts=first_ids, check_types=["availability"], deliver=False)
            await walk(START + timedelta(hours=20))
            # New violations fire 20 hours into the outage.
            second_ids = write_contracts(tmp_path / "contracts", scaled(2), prefix="b")
            await monitor.reload_contracts()
            await monitor.run_once(
                contracts=second_ids, check_types=["availability"], deliver=False
            )
            await walk(START + OUTAGE)
            receiver.down = False
            back = clock.now()
            await walk(back + timedelta(minutes=11))
            rows = {r.contract_id: r for r in await outbox.rows(limit=None)}
            replayed = await outbox.replay(now=clock.now(), deadline=POLICY.deadline)
            await dispatcher.drain()
            final = await outbox.rows(limit=None)

    dead = [rows[i] for i in first_ids]
    waiting = [rows[i] for i in second_ids]
    dead_attempts = [r.attempts for r in dead]
    gaps = _gap_ratios(receiver, {str(e.event_id) for r in dead for e in r.events})
    resumed_after = max(
        receiver.attempts[str(e.event_id)][-1] - back for r in waiting for e in r.events
    )
    figures.update(
        {
            "simulated_outage_hours": OUTAGE.total_seconds() / 3600,
            "dead_lettered": len(dead),
            "attempts_per_dead_letter_min_max": [min(dead_attempts), max(dead_attempts)],
            "attempt_bound": POLICY.max_attempts(),
            "dead_after_hours": [
                round((r.dead_at - START).total_seconds() / 3600, 2) for r in dead if r.dead_at
            ],
            "min_gap_over_shortest_allowed": round(min(gaps), 3),
            "fired_during_outage": len(waiting),
            "delivered_after_return_within_seconds": round(resumed_after.total_seconds()),
            "replayed": replayed,
            "requests": sum(len(v) for v in receiver.attempts.values()),
            "clock_steps": steps,
        }
    )
    assert all(r.status == OutboxStatus.DEAD for r in dead)
    assert all(150 <= a <= POLICY.max_attempts() for a in dead_attempts), dead_attempts
    assert all("deadline passed" in (r.last_error or "") for r in dead)
    assert all(r.dead_at is not None for r in dead)
    assert all(
        timedelta(hours=23) <= r.dead_at - START <= POLICY.deadline  # type: ignore[operator]
        for r in dead
    )
    assert min(gaps) >= 0.999  # never sooner than half the exponential delay (µs rounding)
    assert all(r.status == OutboxStatus.DELIVERED for r in waiting)
    assert resumed_after <= timedelta(seconds=POLICY.max_delay)
    assert replayed == len(dead)
    assert {r.status for r in final} == {OutboxStatus.DELIVERED}
    assert sorted(receiver.accepted) == sorted(str(e.event_id) for r in final for e in r.events)


def _gap_ratios(receiver: Receiver, ids: set[str]) -> list[float]:
    """(gap between attempts k and k+1) / (half the exponential delay after attempt k)."""
    ratios = []
    for event_id in ids:
        times = receiver.attempts[event_id]
        for k in range(1, len(times)):
            base = min(POLICY.max_delay, POLICY.initial_delay * POLICY.multiplier ** (k - 1))
            ratios.append((times[k] - times[k - 1]).total_seconds() / (0.5 * base))
    return ratios
