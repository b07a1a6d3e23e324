from importlib.metadata import entry_points

import floe_alert_pagerduty
from floe_alert_pagerduty import PagerDutyChannel, PagerDutyConfig, __version__
from floe_alert_pagerduty.conformance import PagerDutyProfile
from floe_monitoring import ChannelCapability, RateLimit, check_api_compatibility
from floe_monitoring.sdk import plugin_class_problems
from floe_testing_kit import ChannelProfile


def test_package_exposes_channel() -> None:
    assert PagerDutyChannel.name == "pagerduty"
    assert __version__ == PagerDutyChannel.version


def test_public_api_is_exactly_the_facade() -> None:
    assert sorted(floe_alert_pagerduty.__all__) == [
        "PagerDutyChannel",
        "PagerDutyConfig",
        "PagerDutyRegion",
        "__version__",
    ]


def test_channel_class_is_a_valid_plugin() -> None:
    assert plugin_class_problems(PagerDutyChannel) == []
    assert PagerDutyChannel.config_model is PagerDutyConfig
    check_api_compatibility(PagerDutyChannel.name, PagerDutyChannel.floe_api_version)


def test_declares_resolve_acknowledge_and_threading() -> None:
    assert PagerDutyChannel.capabilities == frozenset(
        {ChannelCapability.RESOLVE, ChannelCapability.ACKNOWLEDGE, ChannelCapability.THREADING}
    )
    assert PagerDutyChannel.supports("acknowledge")
    assert not PagerDutyChannel.supports("batch")


def test_declares_pagerduty_rate_per_routing_key() -> None:
    assert PagerDutyChannel.rate_limit == RateLimit(events=120, per_seconds=60)
    assert PagerDutyChannel.rate_limit.per_second == 2.0


def test_entry_points_load_channel_and_profile() -> None:
    (channel_ep,) = [
        ep for ep in entry_points(group="floe.alert_channels") if ep.name == "pagerduty"
    ]
    assert channel_ep.load() is PagerDutyChannel
    (profile_ep,) = [ep for ep in entry_points(group="floe.conformance") if ep.name == "pagerduty"]
    profile = profile_ep.load()
    assert profile is PagerDutyProfile
    assert issubclass(profile, ChannelProfile)
    assert profile.channel == PagerDutyChannel.name


def test_docstring_examples_run() -> None:
    import doctest

    import floe_alert_pagerduty.config

    for module in (floe_alert_pagerduty, floe_alert_pagerduty.config):
        result = doctest.testmod(module)
        assert result.failed == 0
        assert result.attempted > 0
