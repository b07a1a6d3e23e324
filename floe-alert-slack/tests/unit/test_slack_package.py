from importlib.metadata import entry_points

import floe_alert_slack
from floe_alert_slack import SlackChannel, SlackConfig, __version__
from floe_alert_slack.conformance import SlackProfile
from floe_monitoring import AlertChannelPlugin, ChannelCapability
from floe_monitoring.sdk import FLOE_API_VERSION, plugin_class_problems
from floe_testing_kit import ChannelProfile, TextFormat


def test_package_exposes_channel() -> None:
    assert SlackChannel.name == "slack"
    assert __version__ == SlackChannel.version


def test_public_api_is_exactly_the_facade() -> None:
    assert sorted(floe_alert_slack.__all__) == [
        "SlackChannel",
        "SlackConfig",
        "SlackMode",
        "__version__",
    ]


def test_channel_class_is_a_valid_plugin() -> None:
    assert issubclass(SlackChannel, AlertChannelPlugin)
    assert plugin_class_problems(SlackChannel) == []
    assert SlackChannel.config_model is SlackConfig
    assert SlackChannel.floe_api_version == FLOE_API_VERSION


def test_declares_resolve_threading_and_batch() -> None:
    assert SlackChannel.capabilities == frozenset(
        {ChannelCapability.RESOLVE, ChannelCapability.THREADING, ChannelCapability.BATCH}
    )
    assert SlackChannel.rate_limit is not None
    assert SlackChannel.rate_limit.per_second == 1.0


def test_entry_points_load_the_channel_and_its_profile() -> None:
    (channel,) = [ep for ep in entry_points(group="floe.alert_channels") if ep.name == "slack"]
    assert channel.load() is SlackChannel
    (profile,) = [ep for ep in entry_points(group="floe.conformance") if ep.name == "slack"]
    loaded = profile.load()
    assert loaded is SlackProfile
    assert issubclass(loaded, ChannelProfile)
    assert loaded.channel == "slack"
    assert loaded.text_format is TextFormat.SLACK_MRKDWN
    assert loaded.variants == ("webhook", "web_api")
