"""The `pagerduty` channel (skeleton: delivery arrives with its own issue)."""

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

__all__ = ["PagerDutyChannel", "PagerDutyConfig"]


class PagerDutyConfig(BaseModel):
    """Configuration of the `pagerduty` channel."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PagerDutyChannel(AlertChannelPlugin[PagerDutyConfig]):
    """PagerDuty Events API v2: trigger and resolve incidents."""

    name: ClassVar[str] = "pagerduty"
    version: ClassVar[str] = version("floe-alert-pagerduty")
    floe_api_version: ClassVar[str] = "1.0"
    description: ClassVar[str] = "PagerDuty Events API v2: trigger and resolve incidents."
    config_model = PagerDutyConfig

    async def send_alert(self, event: ContractViolationEvent) -> DeliveryReceipt:
        """Not implemented yet: refuses every event permanently, so none is lost silently."""
        raise PermanentDeliveryError("the pagerduty channel is not implemented in this release")
