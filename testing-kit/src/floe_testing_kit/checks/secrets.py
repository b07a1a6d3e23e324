"""Secrets: the planted secret never shows in logs, errors, health or receipts."""

from __future__ import annotations

from floe_monitoring import DeliveryReceipt
from floe_testing_kit.checks.base import check
from floe_testing_kit.events import make_event
from floe_testing_kit.harness import KitContext, require
from floe_testing_kit.profile import Transport


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return seen


@check(
    "secrets.never_leaked",
    "the secret is absent from logs, errors, health and receipts",
    timeout=90,
)
async def never_leaked(ctx: KitContext) -> None:
    shown: dict[str, str] = {}
    field = ctx.profile.timeout_field
    async with ctx.destination() as destination:
        async with ctx.channel(destination, overrides={field: 1.0}) as channel:
            receipt = await ctx.deliver(channel, make_event())
            shown["receipt"] = receipt.model_dump_json()
            failures = [("status", 401), ("status", 500), ("hang", 0)]
            if ctx.profile.transport is Transport.HTTP:
                failures.append(("status", 400))
            for kind, status in failures:
                destination.fail_next(kind, status=status)
                outcome = await ctx.attempt(channel, make_event())
                if not isinstance(outcome, DeliveryReceipt):
                    shown[f"error after {kind} {status}"] = ""
            health = await channel.health_check(2.0)
            shown["health"] = health.model_dump_json()
        async with ctx.channel(
            destination, endpoint=ctx.dead_endpoint(destination.endpoint)
        ) as down:
            await ctx.attempt(down, make_event())
            shown["health when down"] = (await down.health_check(2.0)).model_dump_json()
    for index, error in enumerate(ctx.errors):
        for link in _chain(error):
            shown[f"error {index} ({type(link).__name__})"] = f"{link!s} {link!r} {link.args!r}"
    shown["logs"] = ctx.logs.text
    for where, text in shown.items():
        require(ctx.secret not in text, f"the planted secret appears in {where}")
