"""Slack incoming webhooks and Web API (Block Kit)."""

from importlib.metadata import version as _version

from floe_alert_slack.channel import SlackChannel, SlackConfig

__version__ = _version("floe-alert-slack")

__all__ = ["SlackChannel", "SlackConfig", "__version__"]
