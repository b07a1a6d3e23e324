"""Signed CloudEvents 1.0 over HTTPS to any endpoint.

The `webhook` alert channel POSTs each `ContractViolationEvent` as a CloudEvent
(structured or binary mode) or as plain JSON, signed the Standard Webhooks way, over
httpx with the aiohttp transport. One attempt per send, classified for the core's retry
policy; HTTPS, certificate checks and a refusal of link-local and metadata addresses by
default.

Example:
    >>> from floe_alert_webhook import WebhookChannel, WebhookConfig
    >>> config = WebhookConfig.model_validate({
    ...     "url": "https://alerts.example.com/floe?token=abc123",
    ...     "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    ...     "auth": {"type": "bearer", "token": "s3cr3t"},
    ... })
    >>> config.url
    SecretStr('**********')
    >>> async def notify(event):                       # doctest: +SKIP
    ...     async with WebhookChannel(config) as channel:
    ...         return await channel.send_alert(event)

On the receiving side::

    from floe_alert_webhook import read_webhook_events, verify_standard_webhook

    verify_standard_webhook(headers, raw_body, secret)   # raises if forged or stale
    events = read_webhook_events(headers, raw_body)
"""

from importlib.metadata import version as _version

from floe_alert_webhook.channel import BatchingWebhookChannel, WebhookChannel
from floe_alert_webhook.config import BasicAuth, BearerAuth, WebhookConfig, WebhookMode
from floe_alert_webhook.encoding import read_webhook_events
from floe_alert_webhook.verify import (
    WebhookVerificationError,
    verify_github_signature,
    verify_standard_webhook,
)

__version__ = _version("floe-alert-webhook")

__all__ = [
    "BasicAuth",
    "BatchingWebhookChannel",
    "BearerAuth",
    "WebhookChannel",
    "WebhookConfig",
    "WebhookMode",
    "WebhookVerificationError",
    "__version__",
    "read_webhook_events",
    "verify_github_signature",
    "verify_standard_webhook",
]
