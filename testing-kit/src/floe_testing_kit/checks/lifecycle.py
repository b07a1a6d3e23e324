"""Lifecycle checks: idempotent startup/shutdown, bounded and honest health checks."""

from __future__ import annotations

import asyncio

from floe_monitoring import HealthState, HealthStatus
from floe_testing_kit.checks.base import check
from floe_testing_kit.events import make_event
from floe_testing_kit.harness import KitContext, require

HEALTH_TIMEOUT = 2.0


@check("lifecycle.idempotent", "startup/shutdown are idempotent and a restarted channel delivers")
async def idempotent(ctx: KitContext) -> None:
    async with ctx.destination() as destination:
        channel = ctx.build(ctx.config_for(destination.endpoint))
        await channel.shutdown()
        await channel.startup()
        await channel.startup()
        await ctx.deliver(channel, make_event())
        await channel.shutdown()
        await channel.shutdown()
        await channel.startup()
        await ctx.deliver(channel, make_event())
        await channel.shutdown()
        require(len(await destination.wait(2)) == 2, "deliveries after a restart did not arrive")


async def _health(channel_health: asyncio.Task[HealthStatus]) -> HealthStatus:
    try:
        return await asyncio.wait_for(channel_health, HEALTH_TIMEOUT + 2.0)
    except TimeoutError:
        raise AssertionError(
            f"health_check(timeout={HEALTH_TIMEOUT}) did not answer within {HEALTH_TIMEOUT + 2}s"
        ) from None


@check(
    "lifecycle.health_within_timeout", "health_check answers within its timeout when all is well"
)
async def health_within_timeout(ctx: KitContext) -> None:
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        status = await _health(asyncio.ensure_future(channel.health_check(HEALTH_TIMEOUT)))
        require(isinstance(status, HealthStatus), "health_check did not return a HealthStatus")
        require(
            status.state is not HealthState.UNHEALTHY,
            f"health_check reports unhealthy against a working endpoint: {status.message}",
        )


@check("lifecycle.unhealthy_when_down", "health_check reports unhealthy when the endpoint is down")
async def unhealthy_when_down(ctx: KitContext) -> None:
    # The destination stays up (its CA file is still needed) but the channel is pointed
    # at a port where nothing listens.
    async with ctx.destination() as destination:
        channel = ctx.build(ctx.config_for(ctx.dead_endpoint(destination.endpoint)))
        await channel.startup()
        try:
            status = await _health(asyncio.ensure_future(channel.health_check(HEALTH_TIMEOUT)))
        finally:
            await channel.shutdown()
    require(
        status.state is HealthState.UNHEALTHY,
        f"health_check says {status.state.value} while nothing listens at the endpoint: "
        "probe the destination in check_health()",
    )
