"""From a channel to the list of cases the kit runs, and how one case runs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from floe_monitoring import ChannelRegistry
from floe_testing_kit.capture import capture_logs
from floe_testing_kit.checks import CATALOG, Check
from floe_testing_kit.harness import KitContext
from floe_testing_kit.packaging import PACKAGING_CHECKS, PackagingFailure, Target, load_target
from floe_testing_kit.profile import ChannelProfile

__all__ = ["Case", "Plan", "plan_cases"]


@dataclass(frozen=True)
class Case:
    """One check run against one variant of the channel.

    Attributes:
        check_id: The stable check ID.
        variant: The profile variant, or None for packaging checks.
        title: What the check verifies.
        bypass: The profile's reason for not running it, if bypassed.
        failure: For packaging cases: the failure found while loading, if any.
    """

    check_id: str
    variant: str | None
    title: str
    bypass: str | None = None
    failure: PackagingFailure | None = None
    check: Check | None = None
    target: Target | None = None

    @property
    def id(self) -> str:
        """The test ID: ``variant::check`` (``check`` for packaging)."""
        return self.check_id if self.variant is None else f"{self.variant}::{self.check_id}"

    @property
    def packaging(self) -> bool:
        """True for the packaging checks that run first."""
        return self.variant is None

    def run(self) -> None:
        """Run the case; raises `AssertionError` (a `ConformanceFailure`) when broken."""
        if self.packaging:
            if self.failure is not None:
                raise self.failure
            return
        assert self.check is not None
        assert self.target is not None
        asyncio.run(_run_behaviour(self.check, self.target, self.variant or ""))


async def _run_behaviour(check: Check, target: Target, variant: str) -> None:
    assert target.channel_class is not None
    assert target.profile is not None
    with capture_logs() as logs:
        ctx = KitContext(
            name=target.name,
            channel_class=target.channel_class,
            profile=target.profile,
            variant=variant,
            registry=target.registry,
            logs=logs,
        )
        try:
            async with asyncio.timeout(check.timeout):
                await check.run(ctx)
        except TimeoutError:
            raise AssertionError(f"{check.id} did not finish within {check.timeout:g}s") from None


@dataclass(frozen=True)
class Plan:
    """Everything the kit will run for one channel."""

    channel: str
    cases: list[Case]
    target: Target | None
    failure: PackagingFailure | None

    @property
    def capabilities(self) -> list[str]:
        """The capabilities the channel declares (empty when it did not load)."""
        cls = self.target.channel_class if self.target else None
        return sorted(c.value for c in cls.capabilities) if cls is not None else []

    @property
    def bypassed(self) -> dict[str, str]:
        """Bypassed check IDs with their reasons."""
        return {c.check_id: c.bypass for c in self.cases if c.bypass is not None}


def plan_cases(
    channel: str,
    *,
    profile: str | type[ChannelProfile] | None = None,
    variants: list[str] | None = None,
    strict: bool = False,
) -> Plan:
    """Load the channel (running the packaging checks) and list the cases to run.

    When a packaging check fails, the plan holds the packaging cases up to and
    including the failing one, and nothing else.
    """
    target: Target | None
    failure: PackagingFailure | None = None
    try:
        target = load_target(channel, profile)
    except PackagingFailure as error:
        target, failure = None, error
    cases: list[Case] = []
    for check_id, _step in PACKAGING_CHECKS:
        failed = failure is not None and failure.check_id == check_id
        cases.append(
            Case(check_id, None, check_id.replace("_", " "), failure=failure if failed else None)
        )
        if failed:
            return Plan(channel, cases, None, failure)
    assert target is not None
    assert target.profile is not None
    assert target.channel_class is not None
    profile_obj = target.profile
    declared = target.channel_class.capabilities
    for variant in variants or list(profile_obj.variants):
        if variant not in profile_obj.variants:
            raise ValueError(
                f"unknown variant {variant!r}; the profile has {', '.join(profile_obj.variants)}"
            )
        for check in CATALOG:
            if profile_obj.transport not in check.transports:
                continue
            if check.declared is not None and check.declared not in declared:
                continue
            if check.undeclared is not None and check.undeclared in declared:
                continue
            reason = None if strict else profile_obj.bypass.get(check.id)
            cases.append(
                Case(check.id, variant, check.title, bypass=reason, check=check, target=target)
            )
    return Plan(channel, cases, target, None)


def default_registry() -> ChannelRegistry:
    """A registry over the installed channels (the monitor's view)."""
    return ChannelRegistry()
