from floe_alert_slack import SlackChannel, __version__


def test_package_exposes_channel() -> None:
    assert SlackChannel.name == "slack"
    assert __version__ == SlackChannel.version
