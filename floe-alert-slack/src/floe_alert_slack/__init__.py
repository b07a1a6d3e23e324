"""floe monitoring alert channel for Slack: incoming webhooks and the Web API (Block Kit).

Configure it in the monitor under the channel type ``slack``, or use it directly:

Example:
    >>> import asyncio
    >>> from floe_alert_slack import SlackChannel, SlackConfig
    >>> from floe_monitoring import ContractViolationEvent
    >>> config = SlackConfig(
    ...     mode="web_api", token="xoxb-…", channel="C0123456789",
    ...     mentions={"critical": ["S0ONCALL"]},
    ... )
    >>> event = ContractViolationEvent(
    ...     contract_name="orders", violation_type="freshness", severity="critical",
    ...     message="orders is 7h old (SLA 6h)", timestamp="2026-01-31T09:30:00Z",
    ... )
    >>> async def main() -> None:
    ...     async with SlackChannel(config) as channel:
    ...         receipt = await channel.send_alert(event)
    ...         print(receipt.remote_id)  # the message ts; resolutions thread under it
    >>> asyncio.run(main())  # doctest: +SKIP

The conformance profile for `floe-conformance slack` lives in
`floe_alert_slack.conformance` (it needs the ``conformance`` extra).
"""

from importlib.metadata import version as _version

from floe_alert_slack.channel import SlackChannel
from floe_alert_slack.config import SlackConfig, SlackMode

__version__ = _version("floe-alert-slack")

__all__ = ["SlackChannel", "SlackConfig", "SlackMode", "__version__"]
