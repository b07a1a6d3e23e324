"""`SlackConfig`: how one Slack channel instance reaches Slack.

Two modes share one model. An incoming webhook needs only `webhook_url` (the whole URL
is the credential); the Web API needs a bot `token` and a `channel`. Validation names
the missing or wrong field and never echoes a value.
"""

from __future__ import annotations

import re
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    FilePath,
    SecretStr,
    ValidationInfo,
    field_validator,
)

from floe_monitoring import Severity

__all__ = ["DEFAULT_BASE_URL", "SlackConfig", "SlackMode", "mention_markup"]

#: Slack's Web API. GovSlack customers use ``https://slack-gov.com/api/``.
DEFAULT_BASE_URL = "https://slack.com/api/"

# Slack member IDs start with U (or W on Enterprise Grid), user-group IDs with S.
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_GROUP_ID = re.compile(r"S[A-Z0-9]{2,}")
_SPECIAL = frozenset({"here", "channel"})
# Plain HTTP is only acceptable where nothing leaves the machine (tests, local fakes).
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class SlackMode(StrEnum):
    """How the channel talks to Slack."""

    WEBHOOK = "webhook"
    """Incoming webhook: one URL, one channel, no threads, no edits."""
    WEB_API = "web_api"
    """Web API with a bot token: `chat.postMessage`, threads and `chat.update`."""


def mention_markup(mention: str) -> str:
    """The mrkdwn that pings `mention` (a validated config value, never contract text).

    Args:
        mention: A user ID (``U…``/``W…``), a user-group ID (``S…``), ``here`` or
            ``channel``.

    Returns:
        ``<@U…>``, ``<!subteam^S…>``, ``<!here>`` or ``<!channel>``.

    Raises:
        ValueError: `mention` is none of those.

    """
    if mention in _SPECIAL:
        return f"<!{mention}>"
    if _USER_ID.fullmatch(mention):
        return f"<@{mention}>"
    if _GROUP_ID.fullmatch(mention):
        return f"<!subteam^{mention}>"
    raise ValueError(
        "mentions must be Slack user IDs (U…/W…), user-group IDs (S…), 'here' or 'channel'"
    )


def _check_http_url(url: str, field: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{field} must be an http(s) URL")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise ValueError(f"{field} must use https (plain http is allowed only on loopback)")


class SlackConfig(BaseModel):
    """Configuration of the `slack` channel.

    Attributes:
        mode: ``webhook`` (default) or ``web_api``.
        webhook_url: The incoming-webhook URL (webhook mode; secret as a whole).
        token: Bot token ``xoxb-…`` (Web API mode; needs the ``chat:write`` scope).
        channel: Channel ID (``C…``) or name to post to (Web API mode).
        base_url: Web API base URL: Slack's by default, GovSlack's or a test fake's.
        timeout_seconds: Deadline of one send (connect, write and read together).
        mentions: Who to ping per severity, as Slack IDs; never applied to resolutions.
        update_original: Web API mode: mark the firing message resolved with
            `chat.update` when the incident resolves.
        ca_bundle: PEM file of CAs to trust instead of the system's.

    Example:
        >>> SlackConfig(mode="web_api", token="xoxb-1", channel="C0123")  # doctest: +SKIP

    """

    # Inputs stay out of error messages: a rejected webhook URL is still a credential.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    mode: SlackMode = SlackMode.WEBHOOK
    # validate_default: the mode check below must run even when the field is absent.
    webhook_url: SecretStr | None = Field(default=None, validate_default=True)
    token: SecretStr | None = Field(default=None, validate_default=True)
    channel: str | None = Field(default=None, validate_default=True)
    base_url: str = DEFAULT_BASE_URL
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    mentions: dict[Severity, tuple[str, ...]] = Field(default_factory=dict)
    update_original: bool = True
    ca_bundle: FilePath | None = None

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        _check_http_url(value, "base_url")
        # slack-sdk joins method names onto the base URL; it must end in a slash.
        return value if value.endswith("/") else value + "/"

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        missing = value is None or not value.get_secret_value().strip()
        if info.data.get("mode") is SlackMode.WEBHOOK and missing:
            raise ValueError("webhook_url is required when mode is 'webhook'")
        if value is not None:
            _check_http_url(value.get_secret_value().strip(), "webhook_url")
            value = SecretStr(value.get_secret_value().strip())
        return value

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        missing = value is None or not value.get_secret_value().strip()
        if info.data.get("mode") is SlackMode.WEB_API and missing:
            raise ValueError("token is required when mode is 'web_api'")
        return None if value is None else SecretStr(value.get_secret_value().strip())

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str | None, info: ValidationInfo) -> str | None:
        value = value.strip() if value is not None else None
        if info.data.get("mode") is SlackMode.WEB_API and not value:
            raise ValueError("channel is required when mode is 'web_api'")
        return value or None

    @field_validator("mentions")
    @classmethod
    def _mentions(cls, value: dict[Severity, tuple[str, ...]]) -> dict[Severity, tuple[str, ...]]:
        for targets in value.values():
            for target in targets:
                mention_markup(target)  # raises with a message that names the rule
        return value
