"""Failure classification: every way a destination fails maps to the right typed error.

Each scenario makes exactly one `send_alert` call and expects exactly one attempt to
reach the destination: retries belong to the core, never to the channel.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from floe_monitoring import (
    DeliveryError,
    DeliveryReceipt,
    FailureReason,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from floe_testing_kit.checks.base import CheckFn, check
from floe_testing_kit.events import make_event
from floe_testing_kit.harness import KitContext, require
from floe_testing_kit.profile import Transport

HTTP = frozenset({Transport.HTTP})
SMTP = frozenset({Transport.SMTP})
DEADLINE = 1.0

# status -> (retryable?, required reason or None)
HTTP_TABLE: dict[int, tuple[bool, FailureReason | None]] = {
    400: (False, None),
    401: (False, FailureReason.AUTH),
    403: (False, FailureReason.AUTH),
    404: (False, None),
    408: (True, None),
    410: (False, FailureReason.GONE),
    413: (False, None),
    429: (True, FailureReason.RATE_LIMITED),
    500: (True, None),
    501: (False, None),
    502: (True, None),
    503: (True, None),
    504: (True, None),
}


def _expect(outcome: DeliveryReceipt | DeliveryError, retryable: bool, what: str) -> DeliveryError:
    kind = RetryableDeliveryError if retryable else PermanentDeliveryError
    require(
        isinstance(outcome, kind),
        f"{what}: expected {kind.__name__}, got "
        + (
            type(outcome).__name__ if isinstance(outcome, DeliveryError) else "a successful receipt"
        ),
    )
    assert isinstance(outcome, DeliveryError)
    return outcome


def _one_attempt(attempts: int, what: str) -> None:
    require(
        attempts == 1,
        f"{what}: one send_alert made {attempts} attempts; make one and raise, the core retries",
    )


def _status_check(status: int, retryable: bool, reason: FailureReason | None) -> CheckFn:
    async def run(ctx: KitContext) -> None:
        async with ctx.destination() as destination, ctx.channel(destination) as channel:
            destination.fail_next("status", status=status)
            outcome = await ctx.attempt(channel, make_event())
            # Attempts first: a channel that retried on its own may even have succeeded.
            _one_attempt(destination.attempts(), f"HTTP {status}")
            error = _expect(outcome, retryable, f"HTTP {status}")
        if reason is not None:
            require(
                error.reason is reason,
                f"HTTP {status}: reason should be {reason.value}, is {error.reason.value}",
            )
        require(
            error.status_code in (status, None),
            f"HTTP {status}: status_code is {error.status_code}",
        )

    return run


for _status, (_retry, _reason) in HTTP_TABLE.items():
    kind = "retryable" if _retry else "permanent"
    check(f"failures.status_{_status}", f"HTTP {_status} is {kind}", transports=HTTP)(
        _status_check(_status, _retry, _reason)
    )


@check(
    "failures.retry_after_seconds",
    "429 with Retry-After in seconds sets retry_after",
    transports=HTTP,
)
async def retry_after_seconds(ctx: KitContext) -> None:
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        destination.fail_next("status", status=429, headers={"Retry-After": "7"})
        error = _expect(await ctx.attempt(channel, make_event()), True, "429 Retry-After: 7")
    assert isinstance(error, RetryableDeliveryError)
    require(
        error.retry_after is not None and 6 <= error.retry_after <= 8,
        f"429 with Retry-After: 7 gave retry_after={error.retry_after}; pass it on "
        "(floe_monitoring.parse_retry_after)",
    )


@check(
    "failures.retry_after_date",
    "429 with Retry-After as an HTTP-date sets retry_after",
    transports=HTTP,
)
async def retry_after_date(ctx: KitContext) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        destination.fail_next("status", status=429, headers={"Retry-After": when})
        error = _expect(await ctx.attempt(channel, make_event()), True, "429 with an HTTP-date")
    assert isinstance(error, RetryableDeliveryError)
    require(
        error.retry_after is not None and 20 <= error.retry_after <= 31,
        f"429 with Retry-After: {when} gave retry_after={error.retry_after}",
    )


@check("failures.recovers", "503 then 200: the retry succeeds with the identical request")
async def recovers(ctx: KitContext) -> None:
    event = make_event()
    # The transient failure in each protocol: HTTP 503, SMTP 451 (SMTP 503 is permanent).
    status = 503 if ctx.profile.transport is Transport.HTTP else 451
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        destination.fail_next("status", status=status)
        _expect(await ctx.attempt(channel, event), True, str(status))
        _one_attempt(destination.attempts(), str(status))
        await ctx.deliver(channel, event)
        arrived = await destination.wait(1)
        require(
            destination.attempts() == 2, f"expected 2 attempts in all, saw {destination.attempts()}"
        )
    require(len(arrived) == 1, "the retried event did not arrive")


@check("failures.timeout", "a destination that hangs gives a retryable timeout within the deadline")
async def timeout(ctx: KitContext) -> None:
    field = ctx.profile.timeout_field
    async with (
        ctx.destination() as destination,
        ctx.channel(destination, overrides={field: DEADLINE}) as channel,
    ):
        destination.fail_next("hang")
        began = time.monotonic()
        error = _expect(await ctx.attempt(channel, make_event()), True, "a hanging destination")
        took = time.monotonic() - began
    require(
        took <= DEADLINE + 3.0,
        f"send_alert with {field}={DEADLINE} returned after {took:.1f}s: "
        "the deadline must cover the whole send",
    )
    require(
        error.reason is FailureReason.TIMEOUT,
        f"a timeout should have reason timeout, not {error.reason.value}",
    )


@check("failures.refused", "a refused connection is retryable")
async def refused(ctx: KitContext) -> None:
    async with ctx.destination() as destination:
        dead = ctx.dead_endpoint(destination.endpoint)
        async with ctx.channel(destination, endpoint=dead) as channel:
            error = _expect(await ctx.attempt(channel, make_event()), True, "a refused connection")
    require(
        error.reason is FailureReason.CONNECTION,
        f"a refused connection should have reason connection, not {error.reason.value}",
    )


@check("failures.reset", "a connection reset after the request was read is retryable")
async def reset(ctx: KitContext) -> None:
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        destination.fail_next("reset")
        _expect(await ctx.attempt(channel, make_event()), True, "a connection reset")
        _one_attempt(destination.attempts(), "a connection reset")


@check("failures.smtp_transient", "an SMTP 4xx reply is retryable", transports=SMTP)
async def smtp_transient(ctx: KitContext) -> None:
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        destination.fail_next("status", status=451)
        _expect(await ctx.attempt(channel, make_event()), True, "SMTP 451")


@check("failures.smtp_permanent", "an SMTP 5xx reply is permanent", transports=SMTP)
async def smtp_permanent(ctx: KitContext) -> None:
    async with ctx.destination() as destination, ctx.channel(destination) as channel:
        destination.fail_next("status", status=554)
        _expect(await ctx.attempt(channel, make_event()), False, "SMTP 554")


@check(
    "failures.smtp_auth", "refused SMTP credentials are a permanent auth failure", transports=SMTP
)
async def smtp_auth(ctx: KitContext) -> None:
    other_password = f"not-{ctx.secret}"
    async with (
        ctx.destination(smtp_password=other_password) as destination,
        ctx.channel(destination) as channel,
    ):
        error = _expect(await ctx.attempt(channel, make_event()), False, "wrong SMTP password")
    require(error.reason is FailureReason.AUTH, f"reason should be auth, not {error.reason.value}")
