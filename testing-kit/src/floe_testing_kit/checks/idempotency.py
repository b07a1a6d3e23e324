"""Idempotency: a retried notification carries the same key and the same bytes."""

from __future__ import annotations

from floe_testing_kit.checks.base import check
from floe_testing_kit.events import make_event
from floe_testing_kit.harness import Delivered, KitContext, require


async def _twice(ctx: KitContext) -> tuple[Delivered, Delivered, Delivered]:
    event = make_event()
    other = make_event(dedup_key="another-incident")
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        await ctx.deliver(channel, event)
        await ctx.deliver(channel, event)
        await ctx.deliver(channel, other)
        arrived = await destination.wait(3)
    require(len(arrived) == 3, f"expected 3 deliveries, received {len(arrived)}")
    return arrived[0], arrived[1], arrived[2]


@check("idempotency.same_key", "the same event sent twice carries the same idempotency key")
async def same_key(ctx: KitContext) -> None:
    first, second, other = await _twice(ctx)
    require(
        first.key is not None,
        "no idempotency key found (profile.idempotency_key): receivers cannot drop duplicates; "
        "if the protocol has none, bypass this check with the reason",
    )
    require(
        first.key == second.key,
        f"two sends of one event carry keys {first.key!r} and {second.key!r}",
    )
    require(other.key != first.key, "two different events carry the same idempotency key")


@check("idempotency.same_body", "the same event sent twice is the same bytes")
async def same_body(ctx: KitContext) -> None:
    first, second, _ = await _twice(ctx)
    require(
        first.body == second.body,
        "two sends of one event differ: render only from the event, "
        "never from the clock or randomness",
    )
