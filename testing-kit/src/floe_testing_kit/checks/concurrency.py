"""Concurrency and the event loop: many sends through one instance; nothing blocks."""

from __future__ import annotations

import asyncio

from floe_testing_kit.capture import LoopLagMonitor
from floe_testing_kit.checks.base import check
from floe_testing_kit.events import make_event
from floe_testing_kit.harness import HTTPDestination, KitContext, require
from floe_testing_kit.servers.http import RecordedRequest, ScriptedResponse

CONCURRENT_SENDS = 200
MAX_LOOP_LAG = 0.2
SLOW_ANSWER = 0.3


@check(
    "concurrency.many_sends",
    f"{CONCURRENT_SENDS} concurrent sends through one instance all arrive intact",
    timeout=120,
)
async def many_sends(ctx: KitContext) -> None:
    events = [
        make_event(message=f"kit-concurrency-{i:03d} stale", dedup_key=f"c-{i}")
        for i in range(CONCURRENT_SENDS)
    ]
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        outcomes = await asyncio.gather(*(ctx.attempt(channel, e) for e in events))
        failed = [o for o in outcomes if isinstance(o, Exception)]
        require(
            not failed,
            f"{len(failed)} of {CONCURRENT_SENDS} concurrent sends failed; first: {failed[:1]}",
        )
        arrived = await destination.wait(CONCURRENT_SENDS, timeout=30)
    texts = [d.text for d in arrived]
    require(len(arrived) == CONCURRENT_SENDS, f"{len(arrived)} of {CONCURRENT_SENDS} arrived")
    for i in range(CONCURRENT_SENDS):
        marker = f"kit-concurrency-{i:03d}"
        count = sum(marker in t for t in texts)
        require(count == 1, f"{marker} arrived {count} times: messages were mixed up or lost")


@check("loop.no_blocking", "sending never blocks the event loop")
async def no_blocking(ctx: KitContext) -> None:
    async with ctx.destination() as destination:
        if isinstance(destination, HTTPDestination):
            answer = destination.server.handler

            def slow(request: RecordedRequest) -> ScriptedResponse:
                response = answer(request)
                return ScriptedResponse(
                    response.status, response.headers, response.body, delay=SLOW_ANSWER
                )

            destination.server.handler = slow
        async with ctx.channel(destination) as channel, LoopLagMonitor() as lag:
            await asyncio.gather(
                *(ctx.attempt(channel, make_event(dedup_key=f"l-{i}")) for i in range(5))
            )
            await channel.health_check(2.0)
    require(lag.samples > 0, "the loop never ran while the channel was sending")
    require(
        lag.max_lag <= MAX_LOOP_LAG,
        f"the event loop was blocked for {lag.max_lag * 1000:.0f} ms while sending "
        f"(limit {MAX_LOOP_LAG * 1000:.0f} ms): use async I/O or asyncio.to_thread",
    )
