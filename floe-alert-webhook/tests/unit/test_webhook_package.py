from floe_alert_webhook import WebhookChannel, __version__


def test_package_exposes_channel() -> None:
    assert WebhookChannel.name == "webhook"
    assert __version__ == WebhookChannel.version
