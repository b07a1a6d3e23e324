from floe_alert_pagerduty import PagerDutyChannel, __version__


def test_package_exposes_channel() -> None:
    assert PagerDutyChannel.name == "pagerduty"
    assert __version__ == PagerDutyChannel.version
