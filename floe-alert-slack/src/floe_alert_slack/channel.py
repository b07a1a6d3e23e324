"""The `slack` channel (skeleton: delivery arrives with its own issue)."""

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

__all__ = ["SlackChannel", "SlackConfig"]


class SlackConfig(BaseModel):
    """Configuration of the `slack` channel."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SlackChannel(AlertChannelPlugin[SlackConfig]):
    """Slack incoming webhooks and Web API (Block Kit)."""

    name: ClassVar[str] = "slack"
    version: ClassVar[str] = version("floe-alert-slack")
    floe_api_version: ClassVar[str] = "1.0"
    description: ClassVar[str] = "Slack incoming webhooks and Web API (Block Kit)."
    config_model = SlackConfig

    async def send_alert(self, event: ContractViolationEvent) -> DeliveryReceipt:
        """Not implemented yet: refuses every event permanently, so none is lost silently."""
        raise PermanentDeliveryError("the slack channel is not implemented in this release")
