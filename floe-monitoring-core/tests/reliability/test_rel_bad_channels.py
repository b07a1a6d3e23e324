"""A channel that hangs forever, one that raises, one that cannot start: the others do not care.

The monitor delivers 40 notifications to a healthy webhook receiver, 20 alone (the
baseline) and 20 while three bad channels hold 10 notifications each of their own:

- ``hang``: `send_alert` never returns (the dispatcher's send deadline cuts it off);
- ``boom``: `send_alert` raises an unexpected ``RuntimeError`` (a channel bug);
- ``broken``: `startup` raises, so the channel is unhealthy from the start.

Proved: the healthy channel's delivery latency is the same with and without them; the
hanging and raising channels' rows are retried, then dead-lettered at the deadline
with a reason that names the send deadline or the exception; the unstartable channel's
rows wait, untouched, and the monitor's status names the channel and the error.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, SecretStr

from floe_monitoring import AlertChannelPlugin, ContractViolationEvent, DeliveryReceipt
from floe_monitoring.channels import build_channel
from floe_monitoring.config import MonitorConfig, StateConfig
from floe_monitoring.delivery.policy import RetryPolicy
from floe_monitoring.engine import ContractMonitor
from floe_monitoring.routing import RoutingRule
from floe_monitoring.store import OutboxStatus
from floe_testing_kit import FakeHTTPServer, RecordedRequest, ScriptedResponse

from .conftest import SOAK, Figures, MissingTables, scaled, wait_until, write_contracts

GOOD = scaled(40)
BAD = scaled(10)  # per bad channel
POLICY = RetryPolicy(
    initial_delay=0.2,
    max_delay=0.5,
    # Long enough that the good channel is done before any hanging row is given up on
    # (ten times the good notifications in the soak: ten times as long).
    deadline=timedelta(seconds=30 if SOAK else 3),
    send_timeout=1,
    lease_margin=0.5,
)


class _Config(BaseModel):
    token: SecretStr = SecretStr("tok-bad-channel-0000")


class BadChannel(AlertChannelPlugin[_Config]):
    """Misbehaves as told: ``hang``, ``boom`` (raise) or ``broken`` (cannot start)."""

    name: ClassVar[str] = "bad"
    version: ClassVar[str] = "1"
    floe_api_version: ClassVar[str] = "1.0"
    config_model = _Config

    def __init__(self, how: str, instance_name: str) -> None:
        super().__init__(_Config(), instance_name=instance_name)
        self.how = how
        self.calls = 0

    async def on_startup(self) -> None:
        if self.how == "broken":
            raise ConnectionRefusedError("the vendor SDK could not reach its API")

    async def send_alert(self, event: ContractViolationEvent) -> DeliveryReceipt:
        self.calls += 1
        if self.how == "hang":
            await asyncio.Event().wait()
        raise RuntimeError(f"kaboom while sending {event.event_id}")

    async def send_batch(self, events: Sequence[ContractViolationEvent]) -> DeliveryReceipt:
        return await self.send_alert(events[0])


class TimedReceiver:
    """Accepts everything; remembers when each event arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        import json

        self.arrived[json.loads(request.body)["eventId"]] = time.monotonic()
        return ScriptedResponse(202)


def _good(url: str) -> AlertChannelPlugin[Any]:
    return build_channel(
        "webhook",
        {
            "url": url,
            "mode": "json",
            "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "allow_insecure_http": True,
        },
        instance_name="good",
    )


def _config(root: Path, state_url: str, channels: Sequence[str]) -> MonitorConfig:
    return MonitorConfig(
        contracts=(str(root / "contracts" / "*.yaml"),),
        state=StateConfig(url=SecretStr(state_url)),
        routing=tuple(RoutingRule(channel=c, contracts=(f"{c}*",)) for c in channels),
        monitoring={  # type: ignore[arg-type]
            "rate_limit": None,
            "scheduling": "local",
            "delivery": POLICY,
            "channel_health_interval": "1h",
        },
        base_dir=root,
    )


async def _deliver_good(
    monitor: ContractMonitor, receiver: TimedReceiver, ids: list[str]
) -> list[float]:
    """Enqueue the good contracts' notifications; seconds until each one arrived."""
    began = time.monotonic()
    await monitor.run_once(contracts=ids, check_types=["availability"], deliver=False)
    rows = await monitor.store.outbox.rows(channel="good", limit=None)
    event_ids = {str(e.event_id) for r in rows if r.contract_id in ids for e in r.events}
    assert len(event_ids) == len(ids)
    await wait_until(lambda: event_ids <= set(receiver.arrived), timeout=60, interval=0.01)
    return sorted(receiver.arrived[e] - began for e in event_ids)


@pytest.mark.timeout(600 if SOAK else 120)
async def test_bad_channels_do_not_slow_the_good_one(
    tmp_path: Path, state_url: str, figures: Figures
) -> None:
    good_ids = write_contracts(tmp_path / "contracts", GOOD, prefix="good")
    bad_ids = {
        how: write_contracts(tmp_path / "contracts", BAD, prefix=how)
        for how in ("hang", "boom", "broken")
    }
    async with FakeHTTPServer(TimedReceiver()) as server:
        receiver = server.handler
        assert isinstance(receiver, TimedReceiver)
        # Baseline: the good channel alone.
        alone = _config(tmp_path, state_url, ["good"])
        async with ContractMonitor(
            alone, table_source=MissingTables(), channels={"good": _good(server.url)}
        ) as monitor:
            baseline = await _deliver_good(monitor, receiver, good_ids[: GOOD // 2])

        bad = {how: BadChannel(how, how) for how in ("hang", "boom", "broken")}
        config = _config(tmp_path, state_url, ["good", "hang", "boom", "broken"])
        channels: dict[str, AlertChannelPlugin[Any]] = {"good": _good(server.url), **bad}
        async with ContractMonitor(
            config, table_source=MissingTables(), channels=channels
        ) as monitor:
            every_bad = [i for ids in bad_ids.values() for i in ids]
            await monitor.run_once(contracts=every_bad, check_types=["availability"], deliver=False)
            await wait_until(lambda: bad["hang"].calls >= min(BAD, 8), timeout=10)
            with_bad = await _deliver_good(monitor, receiver, good_ids[GOOD // 2 :])
            # Where the bad channels stood when the good one had delivered everything.
            bad_open = {
                name: [
                    r
                    for r in await monitor.store.outbox.rows(channel=name, limit=None)
                    if r.status is not OutboxStatus.DEAD
                ]
                for name in ("hang", "broken")
            }

            async def settled() -> bool:
                dead = await monitor.store.outbox.rows(status=OutboxStatus.DEAD, limit=None)
                return len(dead) == 2 * BAD

            settled_in = await wait_until(settled, timeout=60, interval=0.1)
            rows = await monitor.store.outbox.rows(limit=None)
            status = await monitor.status()

    by_channel: dict[str, list[Any]] = {}
    for row in rows:
        by_channel.setdefault(row.channel, []).append(row)
    figures.update(
        {
            "good_notifications": len(baseline) + len(with_bad),
            "baseline_p50_p95_max_ms": _ms(baseline),
            "with_bad_channels_p50_p95_max_ms": _ms(with_bad),
            "hang_attempts": bad["hang"].calls,
            "boom_attempts": bad["boom"].calls,
            "broken_attempts": bad["broken"].calls,
            "bad_rows_dead_within_seconds": round(settled_in, 1),
            "hang_reason": by_channel["hang"][0].last_error,
            "boom_reason": by_channel["boom"][0].last_error,
            "broken_status": status.channels["broken"].message,
        }
    )
    # The good channel did not queue behind the bad ones: every one of its notifications
    # was delivered while the hanging channel still held all of its rows (none given up
    # yet) and the unstartable one had sent nothing. Its latency with and without them
    # is a figure above, never a stopwatch assertion.
    assert {r.status for r in by_channel["good"]} == {OutboxStatus.DELIVERED}
    assert len(with_bad) == GOOD - GOOD // 2
    assert len(bad_open["hang"]) == BAD, "the good channel waited for the hanging one"
    assert len(bad_open["broken"]) == BAD
    # Hanging: cut off at the send deadline, retried, dead at the deadline, clear reason.
    for row in by_channel["hang"]:
        assert row.status == OutboxStatus.DEAD
        assert row.last_reason == "timeout"
        assert "deadline passed" in (row.last_error or "")
        assert "no answer within the 1s send deadline" in (row.last_error or "")
    # Raising: the exception is named, the row retried and dead at the deadline.
    for row in by_channel["boom"]:
        assert row.status == OutboxStatus.DEAD
        assert row.last_reason == "internal"
        assert "channel raised RuntimeError: kaboom" in (row.last_error or "")
    # Cannot start: its rows wait, untouched, and the status says why.
    assert {(r.status, r.attempts) for r in by_channel["broken"]} == {(OutboxStatus.PENDING, 0)}
    assert bad["broken"].calls == 0
    assert status.channels["broken"].state == "unhealthy"
    assert "ConnectionRefusedError" in status.channels["broken"].message
    assert any("channel broken unhealthy" in p for p in status.degraded)
    assert bad["hang"].calls <= BAD * POLICY.max_attempts()


def _ms(seconds: list[float]) -> list[int]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return [round(statistics.median(ordered) * 1000), round(p95 * 1000), round(ordered[-1] * 1000)]
