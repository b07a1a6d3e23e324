from floe_alert_email import EmailChannel, __version__


def test_package_exposes_channel() -> None:
    assert EmailChannel.name == "email"
    assert __version__ == EmailChannel.version
