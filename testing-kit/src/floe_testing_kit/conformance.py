"""`ChannelConformance`: the base class for running the kit from your own test module.

Example (in a channel's tests)::

    from floe_testing_kit import ChannelConformance

    class TestTeamsConformance(ChannelConformance):
        channel = "teams"                       # the entry-point name
        profile = "acme_floe_teams.conformance:TeamsProfile"   # optional override

The class name deliberately does not start with ``Test``: only your subclass is
collected, once.
"""

from __future__ import annotations

from typing import ClassVar

import pytest

from floe_testing_kit.cases import Case, Plan, plan_cases
from floe_testing_kit.profile import ChannelProfile

__all__ = ["ChannelConformance"]

PLAN_KEY = pytest.StashKey[dict[str, Plan]]()


class ChannelConformance:
    """Parametrises one test over every conformance case of a channel.

    Class attributes:
        channel: Entry-point name of the channel (default: ``--floe-channel``).
        profile: The profile class or ``"module:Class"`` (default: its entry point).
        variants: Restrict to these profile variants (default: all).
    """

    channel: ClassVar[str | None] = None
    profile: ClassVar[str | type[ChannelProfile] | None] = None
    variants: ClassVar[list[str] | None] = None

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Create one test item per case (pytest hook, called for this class)."""
        if "floe_case" not in metafunc.fixturenames:
            return
        config = metafunc.config
        channel = self.channel or _option(config, "floe_channel")
        if not isinstance(channel, str) or not channel:
            raise pytest.UsageError("no channel to test: set `channel` or pass --floe-channel NAME")
        option_profile = _option(config, "floe_profile")
        profile = self.profile or (option_profile if isinstance(option_profile, str) else None)
        option_variants = _option(config, "floe_variant")
        variants = (
            self.variants
            or (list(option_variants) if isinstance(option_variants, list) else None)
            or None
        )
        strict = bool(_option(config, "floe_strict"))
        plan = plan_cases(channel, profile=profile, variants=variants, strict=strict)
        config.stash.setdefault(PLAN_KEY, {})[channel] = plan
        params = [
            pytest.param(
                case,
                id=case.id,
                marks=[pytest.mark.skip(reason=f"bypassed by the profile: {case.bypass}")]
                if case.bypass
                else [],
            )
            for case in plan.cases
        ]
        metafunc.parametrize("floe_case", params)

    def test_conformance(self, floe_case: Case) -> None:
        """Run one conformance case."""
        floe_case.run()


def _option(config: pytest.Config, name: str) -> object:
    try:
        return config.getoption(name)
    except ValueError:  # the kit's pytest plugin is not loaded
        return None
