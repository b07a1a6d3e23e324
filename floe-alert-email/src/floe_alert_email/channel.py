"""The `email` channel (skeleton: delivery arrives with its own issue)."""

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

__all__ = ["EmailChannel", "EmailConfig"]


class EmailConfig(BaseModel):
    """Configuration of the `email` channel."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class EmailChannel(AlertChannelPlugin[EmailConfig]):
    """E-mail over SMTP with STARTTLS or implicit TLS."""

    name: ClassVar[str] = "email"
    version: ClassVar[str] = version("floe-alert-email")
    floe_api_version: ClassVar[str] = "1.0"
    description: ClassVar[str] = "E-mail over SMTP with STARTTLS or implicit TLS."
    config_model = EmailConfig

    async def send_alert(self, event: ContractViolationEvent) -> DeliveryReceipt:
        """Not implemented yet: refuses every event permanently, so none is lost silently."""
        raise PermanentDeliveryError("the email channel is not implemented in this release")
