"""`PagerDutyConfig`: where events go, with which integration keys, within which deadline.

Routing keys are secrets (`SecretStr`): masked in `repr`, `str` and `model_dump_json()`,
and never echoed in validation errors (the model hides its input in errors). Give them
from the environment or a file rather than in a config file kept in git::

    routing_key: ${PD_LOW_URGENCY_KEY}
    severity_routing:
      critical_file: /run/secrets/pd-oncall-key
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    FilePath,
    SecretStr,
    field_validator,
    model_validator,
)

from floe_monitoring import Severity

__all__ = [
    "EU_EVENTS_URL",
    "ROUTING_KEY_LENGTH",
    "US_EVENTS_URL",
    "PagerDutyConfig",
    "PagerDutyRegion",
    "Route",
    "RoutingKey",
]

#: The Events API v2 host of PagerDuty's US service region (the default).
US_EVENTS_URL = "https://events.pagerduty.com"
#: The Events API v2 host of PagerDuty's EU service region.
EU_EVENTS_URL = "https://events.eu.pagerduty.com"
#: Length of every Events API v2 integration key ("routing key").
ROUTING_KEY_LENGTH = 32

# Paths people paste together with the host; the channel appends them itself.
_ENDPOINT_SUFFIXES = ("/v2/change/enqueue", "/v2/enqueue")


class PagerDutyRegion(StrEnum):
    """PagerDuty's service regions; each has its own Events API host."""

    US = "us"
    EU = "eu"


_REGION_URLS = {PagerDutyRegion.US: US_EVENTS_URL, PagerDutyRegion.EU: EU_EVENTS_URL}


def _check_routing_key(value: SecretStr) -> SecretStr:
    # Messages give lengths and rules, never the value: this is a credential.
    key = value.get_secret_value()
    if len(key) != ROUTING_KEY_LENGTH:
        raise ValueError(
            f"must be exactly {ROUTING_KEY_LENGTH} characters (the Integration Key of an "
            f"Events API v2 integration); got {len(key)}"
        )
    if not all("!" <= ch <= "~" for ch in key):
        raise ValueError("must contain only visible ASCII characters (no spaces or line breaks)")
    return value


#: An Events API v2 integration key: a secret of exactly 32 visible ASCII characters.
RoutingKey = Annotated[SecretStr, AfterValidator(_check_routing_key)]


@dataclass(frozen=True)
class Route:
    """One destination service: a name for messages and receipts, and its routing key.

    Attributes:
        name: ``default`` or the severity routed here (never the key itself).
        key: The integration key (masked wherever it is shown).
    """

    name: str
    key: SecretStr


class PagerDutyConfig(BaseModel):
    """Configuration of the `pagerduty` channel.

    Attributes:
        routing_key: Integration key used for every severity not in `severity_routing`.
        severity_routing: Integration keys by severity, for example ``critical`` to the
            on-call service while everything else goes to a low-urgency one.
        region: PagerDuty service region (``us`` or ``eu``), used when `base_url` is unset.
        base_url: Events API base URL (scheme and host, optionally a port and path
            prefix); overrides `region`. Point it at a test server in tests.
        allow_insecure_http: Accept an ``http://`` base URL (loopback tests only).
        ca_bundle: PEM file of the CAs to trust instead of the default bundle.
        timeout_seconds: Deadline of one send: connect, write and read together.
        source: ``payload.source``: the system reporting the problem.
        client_url: Link shown as the event's client in PagerDuty (a monitor dashboard).
        info_as_change_events: Send ``info`` notices as change events (context on the
            service, never a page) instead of alerts.

    Example:
        >>> config = PagerDutyConfig(
        ...     routing_key="0123456789abcdef0123456789abcdef",
        ...     severity_routing={"critical": "fedcba9876543210fedcba9876543210"},
        ...     region="eu",
        ... )
        >>> config.events_base_url
        'https://events.eu.pagerduty.com'
        >>> config.routing_key
        SecretStr('**********')

    """

    # hide_input_in_errors: a wrong routing key must not be echoed by pydantic.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    routing_key: RoutingKey
    severity_routing: dict[Severity, RoutingKey] = Field(default_factory=dict)
    region: PagerDutyRegion = PagerDutyRegion.US
    base_url: str | None = None
    allow_insecure_http: bool = False
    ca_bundle: FilePath | None = None
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    source: str = Field(default="floe-contract-monitor", min_length=1, max_length=1024)
    client_url: str | None = Field(default=None, max_length=2048)
    info_as_change_events: bool = False

    @field_validator("base_url")
    @classmethod
    def _normalise_base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("must be an absolute http(s) URL such as https://events.pagerduty.com")
        if parts.query or parts.fragment:
            raise ValueError("must not contain a query or fragment")
        path = parts.path.rstrip("/")
        for suffix in _ENDPOINT_SUFFIXES:
            if path.endswith(suffix):
                path = path[: -len(suffix)]
                break
        return f"{parts.scheme}://{parts.netloc}{path}"

    @field_validator("client_url")
    @classmethod
    def _http_client_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value

    @model_validator(mode="after")
    def _require_https(self) -> PagerDutyConfig:
        if self.events_base_url.startswith("http://") and not self.allow_insecure_http:
            raise ValueError(
                "base_url uses plain HTTP, which would send routing keys in clear text: "
                "use https, or set allow_insecure_http for a loopback test server"
            )
        return self

    @property
    def events_base_url(self) -> str:
        """The Events API base URL in use (without ``/v2/enqueue``)."""
        return self.base_url or _REGION_URLS[self.region]

    def route_for(self, severity: Severity) -> Route:
        """The destination of an event of `severity`."""
        key = self.severity_routing.get(severity)
        if key is not None:
            return Route(severity.value, key)
        return Route("default", self.routing_key)

    def routes(self, first: Severity | None = None) -> list[Route]:
        """Every distinct destination, the one for `first` (if given) leading.

        Two routes with the same key are one destination: PagerDuty deduplicates by
        routing key and dedup_key, so sending to it twice would only cost rate.
        """
        candidates = [self.route_for(first)] if first is not None else []
        candidates.append(Route("default", self.routing_key))
        candidates += [Route(sev.value, key) for sev, key in self.severity_routing.items()]
        seen: set[str] = set()
        distinct: list[Route] = []
        for route in candidates:
            value = route.key.get_secret_value()
            if value not in seen:
                seen.add(value)
                distinct.append(route)
        return distinct
