"""Signed CloudEvents 1.0 over HTTPS to any endpoint."""

from importlib.metadata import version as _version

from floe_alert_webhook.channel import WebhookChannel, WebhookConfig

__version__ = _version("floe-alert-webhook")

__all__ = ["WebhookChannel", "WebhookConfig", "__version__"]
