from importlib.metadata import entry_points

import floe_alert_email
from floe_alert_email import EmailChannel, EmailConfig, TLSMode, __version__
from floe_monitoring import AlertChannelPlugin, ChannelCapability
from floe_monitoring.sdk import plugin_class_problems


def test_package_exposes_channel() -> None:
    assert EmailChannel.name == "email"
    assert __version__ == EmailChannel.version


def test_public_api_is_exactly_the_facade() -> None:
    assert sorted(floe_alert_email.__all__) == [
        "EmailChannel",
        "EmailConfig",
        "TLSMode",
        "__version__",
    ]
    assert EmailChannel.config_model is EmailConfig
    assert TLSMode("starttls") is TLSMode.STARTTLS


def test_channel_class_is_a_valid_plugin_with_its_capabilities() -> None:
    assert issubclass(EmailChannel, AlertChannelPlugin)
    assert plugin_class_problems(EmailChannel) == []
    assert EmailChannel.capabilities == frozenset(
        {ChannelCapability.RESOLVE, ChannelCapability.THREADING, ChannelCapability.BATCH}
    )
    assert not EmailChannel.supports(ChannelCapability.SIGNING)


def test_entry_points_load_the_channel_and_its_profile() -> None:
    channel = [ep for ep in entry_points(group="floe.alert_channels") if ep.name == "email"]
    profile = [ep for ep in entry_points(group="floe.conformance") if ep.name == "email"]
    assert [ep.load() for ep in channel] == [EmailChannel]
    assert profile[0].value == "floe_alert_email.conformance:EmailProfile"
    assert profile[0].load().channel == "email"


def test_module_docstring_has_a_usage_example() -> None:
    assert floe_alert_email.__doc__ is not None
    assert "Example:" in floe_alert_email.__doc__
    assert "EmailChannel(config)" in floe_alert_email.__doc__
