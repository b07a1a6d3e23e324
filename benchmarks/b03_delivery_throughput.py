"""Scenario 3: delivery throughput, against a peer and against the limit, in one run.

The same N notifications go to the same loopback receiver (a FakeHTTPServer in its own
process) three ways:

1. the webhook channel through the monitor's own dispatcher, durable outbox on SQLite:
   rows are written to the outbox first (not timed), then the clock runs from waking
   the dispatcher until every row is recorded as delivered;
2. apprise ``json://`` (a synchronous client, one notify per notification, in a thread);
3. the bare HTTP client (an `httpx.AsyncClient` over the aiohttp transport, the stack
   ARCHITECTURE.md chose and the issue measured beforehand), sending pre-signed bodies:
   no monitor, no outbox;
4. the channel's own HTTP layer alone: the same pre-signed bodies as `httpx.Request`
   objects handed straight to the aiohttp transport, as the channel sends them, with its
   connection pool's concurrency: the leanest way to send these requests with the
   channel's stack, so the strictest baseline.

Ratios are taken within each run, then the medians are reported.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from _common import WEBHOOK_SECRET, Figure, Receiver, main, run_main
from _world import state_url

SIZES = {"full": 10_000, "tiny": 40}

#: In-flight requests of the bare client: its best on this machine (32 was slower).
CONCURRENCY = 8
#: In-flight requests of the bare transport: the channel's connection pool.
TRANSPORT_CONCURRENCY = 32


def make_events(count: int) -> list[Any]:
    from datetime import UTC, datetime

    from floe_monitoring import ContractViolationEvent

    now = datetime.now(UTC)
    return [
        ContractViolationEvent.model_validate(
            {
                "contract_name": f"orders_{i % 100}",
                "contract_version": "1.2.0",
                "contract_id": f"urn:datacontract:bench:orders_{i % 100}",
                "violation_type": "freshness",
                "severity": "error",
                "message": "newest data is 7.0 h old (breaches the 6.0 h SLA)",
                "element": "orders.updated_at",
                "expected_value": "PT6H",
                "actual_value": "PT7H",
                "timestamp": now,
                "affected_consumers": ["finance-dashboard"],
                "check_duration_seconds": 0.02,
                "domain": "sales",
                "owner": "team-orders",
                "dedup_key": f"urn:datacontract:bench:orders_{i % 100}:freshness:{i}",
            }
        )
        for i in range(count)
    ]


async def through_monitor(workdir: Path, receiver: Receiver, events: list[Any]) -> float:
    """Notifications/s of the webhook channel via the monitor's dispatcher and outbox."""
    from datetime import UTC, datetime, timedelta

    from pydantic import SecretStr

    from floe_monitoring.config import ChannelEntry, MonitorConfig, StateConfig
    from floe_monitoring.engine import ContractMonitor
    from floe_monitoring.store.cycle import CycleWrite
    from floe_monitoring.store.outbox import OutboxEntry
    from floe_monitoring.telemetry import Telemetry

    done = asyncio.Event()
    wanted = len(events)

    class Counting(Telemetry):
        delivered = 0

        def record_delivery(self, outcome: Any) -> None:
            if outcome.outcome == "delivered":
                self.delivered += 1
                if self.delivered >= wanted:
                    done.set()
            super().record_delivery(outcome)

    config = MonitorConfig(
        state=StateConfig(url=SecretStr(state_url(workdir))),
        channels={
            "hook": ChannelEntry.model_validate(
                {
                    "type": "webhook",
                    "url": f"{receiver.url}/monitor",
                    "mode": "json",
                    "secret": WEBHOOK_SECRET,
                    "allow_insecure_http": True,
                }
            )
        },
        base_dir=workdir,
    )
    telemetry = Counting()
    async with ContractMonitor(config, telemetry=telemetry) as monitor:
        assert monitor.dispatcher is not None
        now = datetime.now(UTC)
        for start in range(0, len(events), 1000):
            entries = [
                OutboxEntry("hook", (e,), now, now + timedelta(hours=1))
                for e in events[start : start + 1000]
            ]
            await monitor.store.write(CycleWrite(outbox=entries))
        began = time.perf_counter()
        monitor.dispatcher.wake()
        await asyncio.wait_for(done.wait(), timeout=600)
        elapsed = time.perf_counter() - began
    return len(events) / elapsed


def through_apprise(receiver: Receiver, events: list[Any]) -> float:
    """Notifications/s of apprise ``json://`` to the same receiver (sequential notify)."""
    import logging

    import apprise

    logging.getLogger("apprise").setLevel(logging.ERROR)
    bodies = [e.model_dump_json() for e in events]
    client = apprise.Apprise()
    client.add(f"json://127.0.0.1:{receiver.port}/apprise")
    began = time.perf_counter()
    for body in bodies:
        if not client.notify(title="floe contract violation", body=body):
            raise RuntimeError("apprise could not deliver a notification")
    return len(events) / (time.perf_counter() - began)


def signed_requests(events: list[Any]) -> list[tuple[dict[str, str], bytes]]:
    """Each event's headers and body as the channel sends them (JSON mode, signed)."""
    from floe_alert_webhook.config import WebhookMode
    from floe_alert_webhook.encoding import encode_event
    from floe_alert_webhook.signing import decode_signing_secret, signature_headers

    key = decode_signing_secret(WEBHOOK_SECRET)
    requests = []
    for event in events:
        encoded = encode_event(event, WebhookMode.JSON)
        headers = dict(encoded.headers)
        headers.update(
            signature_headers(
                key=key,
                message_id=encoded.message_id,
                timestamp=int(time.time()),
                body=encoded.body,
                github_secret=None,
            )
        )
        requests.append((headers, encoded.body))
    return requests


async def through_bare_client(receiver: Receiver, events: list[Any]) -> float:
    """Notifications/s of httpx over the aiohttp transport, same bodies and headers."""
    import aiohttp
    import httpx
    from httpx_aiohttp import AiohttpTransport

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32))
    transport = AiohttpTransport(client=session)
    queue: asyncio.Queue[tuple[dict[str, str], bytes]] = asyncio.Queue()
    for item in signed_requests(events):
        queue.put_nowait(item)
    async with httpx.AsyncClient(transport=transport, base_url=receiver.url) as client:

        async def worker() -> None:
            while not queue.empty():
                headers, body = queue.get_nowait()
                response = await client.post("/bare", headers=headers, content=body)
                response.raise_for_status()

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - began
    return len(events) / elapsed


async def through_bare_transport(receiver: Receiver, events: list[Any]) -> float:
    """Notifications/s of `httpx.Request`s straight into the aiohttp transport."""
    import aiohttp
    import httpx
    from httpx_aiohttp import AiohttpTransport

    url = httpx.URL(f"{receiver.url}/transport")
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32))
    transport = AiohttpTransport(client=session)
    queue: asyncio.Queue[tuple[dict[str, str], bytes]] = asyncio.Queue()
    for item in signed_requests(events):
        queue.put_nowait(item)

    async def worker() -> None:
        while not queue.empty():
            headers, body = queue.get_nowait()
            request = httpx.Request("POST", url, headers=headers, content=body)
            response = await transport.handle_async_request(request)
            await response.aread()
            await response.aclose()
            response.raise_for_status()

    try:
        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(TRANSPORT_CONCURRENCY)))
        elapsed = time.perf_counter() - began
    finally:
        await transport.aclose()
    return len(events) / elapsed


def run_once(size: str, workdir: Path) -> dict[str, Any]:
    count = SIZES[size]
    events = make_events(count)
    with Receiver() as receiver:
        monitor_rate = asyncio.run(through_monitor(workdir, receiver, events))
        received = receiver.count()
        receiver.clear()
        apprise_rate = through_apprise(receiver, events)
        receiver.clear()
        bare_rate = asyncio.run(through_bare_client(receiver, events))
        receiver.clear()
        transport_rate = asyncio.run(through_bare_transport(receiver, events))
    return {
        "notifications": count,
        "received_by_monitor_path": received,
        "webhook_per_s": monitor_rate,
        "apprise_per_s": apprise_rate,
        "bare_client_per_s": bare_rate,
        "x_apprise": monitor_rate / apprise_rate,
        "bare_transport_per_s": transport_rate,
        "pct_of_bare": monitor_rate / bare_rate * 100,
        "pct_of_transport": monitor_rate / transport_rate * 100,
    }


FIGURES = [
    Figure("notifications", "notifications per path"),
    Figure("webhook_per_s", "webhook channel, durable outbox (SQLite)", "/s", 2000),
    Figure("apprise_per_s", "apprise json:// (peer)", "/s"),
    Figure(
        "bare_client_per_s",
        f"bare httpx.AsyncClient, aiohttp transport, {CONCURRENCY} in flight",
        "/s",
    ),
    Figure(
        "bare_transport_per_s",
        f"bare httpx.Request into the aiohttp transport, {TRANSPORT_CONCURRENCY} in flight",
        "/s",
    ),
    Figure("x_apprise", "webhook / apprise", "x", 2.5, digits=2),
    Figure("pct_of_bare", "webhook / bare client", "%", 50, digits=1),
    Figure(
        "pct_of_transport",
        "webhook / bare transport (the channel's HTTP layer alone; no target)",
        "%",
        digits=1,
    ),
]


if __name__ == "__main__":
    run_main(
        lambda: main(
            "delivery_throughput",
            "Scenario 3: delivery throughput vs a peer and vs the limit",
            run_once,
            FIGURES,
        )
    )
