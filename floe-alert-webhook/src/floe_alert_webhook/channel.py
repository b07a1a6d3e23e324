"""The `webhook` channel (skeleton: delivery arrives with its own issue)."""

from __future__ import annotations

from importlib.metadata import version
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from floe_monitoring import (
    AlertChannelPlugin,
    ContractViolationEvent,
    DeliveryReceipt,
    PermanentDeliveryError,
)

__all__ = ["WebhookChannel", "WebhookConfig"]


class WebhookConfig(BaseModel):
    """Configuration of the `webhook` channel."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookChannel(AlertChannelPlugin[WebhookConfig]):
    """Signed CloudEvents 1.0 over HTTPS to any endpoint."""

    name: ClassVar[str] = "webhook"
    version: ClassVar[str] = version("floe-alert-webhook")
    floe_api_version: ClassVar[str] = "1.0"
    description: ClassVar[str] = "Signed CloudEvents 1.0 over HTTPS to any endpoint."
    config_model = WebhookConfig

    async def send_alert(self, event: ContractViolationEvent) -> DeliveryReceipt:
        """Not implemented yet: refuses every event permanently, so none is lost silently."""
        raise PermanentDeliveryError("the webhook channel is not implemented in this release")
