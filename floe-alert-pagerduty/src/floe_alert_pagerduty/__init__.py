"""PagerDuty Events API v2 for floe monitoring: trigger, acknowledge and resolve incidents.

A firing `ContractViolationEvent` triggers a PagerDuty alert keyed by the event's
`dedup_key`; the resolved event resolves the same alert. Routing keys are chosen by
severity, every send is one bounded attempt, and failures are classified for the
core's retry policy.

Example:
    >>> import asyncio
    >>> from floe_alert_pagerduty import PagerDutyChannel, PagerDutyConfig
    >>> config = PagerDutyConfig(
    ...     routing_key="0123456789abcdef0123456789abcdef",  # low-urgency service
    ...     severity_routing={"critical": "fedcba9876543210fedcba9876543210"},  # on-call
    ...     timeout_seconds=10,
    ... )
    >>> async def notify(event):                                   # doctest: +SKIP
    ...     async with PagerDutyChannel(config) as channel:
    ...         receipt = await channel.send_alert(event)          # trigger
    ...         await channel.send_alert(event.with_changes(status="resolved"))
    ...         return receipt.remote_id                           # PagerDuty's dedup_key

In a monitor config the same channel reads::

    channels:
      pagerduty:
        type: pagerduty
        routing_key: ${PD_LOW_URGENCY_KEY}
        severity_routing:
          critical: ${PD_ONCALL_KEY}
        region: eu

The conformance profile and a fake Events API live in `floe_alert_pagerduty.conformance`
(install the ``conformance`` extra).
"""

from importlib.metadata import version as _version

from floe_alert_pagerduty.channel import PagerDutyChannel
from floe_alert_pagerduty.config import PagerDutyConfig, PagerDutyRegion

__version__ = _version("floe-alert-pagerduty")

__all__ = ["PagerDutyChannel", "PagerDutyConfig", "PagerDutyRegion", "__version__"]
