"""PagerDuty Events API v2: trigger and resolve incidents."""

from importlib.metadata import version as _version

from floe_alert_pagerduty.channel import PagerDutyChannel, PagerDutyConfig

__version__ = _version("floe-alert-pagerduty")

__all__ = ["PagerDutyChannel", "PagerDutyConfig", "__version__"]
