"""`ContractViolationEvent`: the one data contract between the monitor and every channel."""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from floe_monitoring.sdk.enums import EventStatus, Severity, ViolationType

if TYPE_CHECKING:
    from cloudevents.core.v1.event import CloudEvent

__all__ = [
    "MAX_DEDUP_KEY_LENGTH",
    "ContractViolationEvent",
    "Link",
    "derive_dedup_key",
    "now_utc",
    "utc_datetime",
]

#: PagerDuty's limit, and so the limit for every channel.
MAX_DEDUP_KEY_LENGTH = 255


def _require_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(
            "must be timezone-aware (for example 2026-01-31T09:30:00Z); got a naive datetime"
        )
    return value.astimezone(UTC)


#: A datetime that must carry a timezone and is normalised to UTC.
utc_datetime = Annotated[datetime, AfterValidator(_require_aware)]


def _scalar_to_text(value: Any) -> Any:
    # Expected/actual values come from SLAs and measurements: accept JSON scalars, keep text.
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return value


_Text = Annotated[str | None, BeforeValidator(_scalar_to_text)]


class Link(BaseModel):
    """A titled link shown with an alert (runbook, dashboard, contract source)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=1)
    url: str

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value


class ContractViolationEvent(BaseModel):
    """A notification about one contract's broken (or recovered) promise.

    Field names keep the upstream specification's names; the delivery fields
    (`event_id`, `dedup_key`, `status`, identity and occurrence data) let channels send
    each notification exactly once per receiver and thread an incident's messages.

    `event_id` is new for every notification and reused on every retry of it.
    `dedup_key` is stable for the whole life of one incident (PagerDuty dedup_key, Slack
    thread, e-mail References); when not given it is derived from the contract identity,
    violation type and element.

    Example:
        >>> event = ContractViolationEvent(
        ...     contract_name="orders", contract_version="1.2.0",
        ...     violation_type="freshness", severity="error",
        ...     message="orders is 7h old (SLA 6h)",
        ...     timestamp="2026-01-31T09:30:00Z",
        ... )
        >>> event.dedup_key
        'orders:freshness:*'

    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        use_enum_values=False,
    )

    # Upstream fields.
    contract_name: str = Field(min_length=1)
    contract_version: str = ""
    violation_type: ViolationType
    severity: Severity
    message: str
    element: str | None = None
    expected_value: _Text = None
    actual_value: _Text = None
    timestamp: utc_datetime
    affected_consumers: tuple[str, ...] = ()
    check_duration_seconds: float = Field(default=0.0, ge=0.0)
    metadata: dict[str, JsonValue] = Field(default_factory=dict)

    # Delivery fields.
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    dedup_key: str = Field(min_length=1, max_length=MAX_DEDUP_KEY_LENGTH)
    status: EventStatus = EventStatus.FIRING
    contract_id: str | None = None
    domain: str | None = None
    owner: str | None = None
    first_seen_at: utc_datetime
    occurrences: int = Field(default=1, ge=1)
    links: tuple[Link, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _derive_defaults(cls, data: Any) -> Any:
        # Defaults that depend on other fields: filled before validation so the model
        # stays frozen and every field is validated once.
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        if _get(data, "dedup_key") is None:
            data["dedup_key"] = derive_dedup_key(
                _get(data, "contract_id") or _get(data, "contract_name"),
                _get(data, "violation_type"),
                _get(data, "element"),
            )
        if _get(data, "first_seen_at") is None and _get(data, "timestamp") is not None:
            data["first_seen_at"] = _get(data, "timestamp")
        return data

    @field_validator("check_duration_seconds")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number of seconds")
        return value

    @property
    def is_resolved(self) -> bool:
        """True when this notification announces recovery."""
        return self.status is EventStatus.RESOLVED

    def with_changes(self, **changes: Any) -> Self:
        """Return a validated copy with some fields replaced (the event itself is frozen)."""
        return self.model_validate({**self.model_dump(), **changes})

    def to_cloudevent(self) -> CloudEvent:
        """This event as a CloudEvents 1.0 event (type `floe.contract.violation`)."""
        from floe_monitoring.sdk.cloudevent import event_to_cloudevent

        return event_to_cloudevent(self)

    def to_lineage_facet(self) -> dict[str, Any]:
        """This event as the OpenLineage `contractViolation` dataset facet."""
        from floe_monitoring.sdk.lineage_facet import contract_violation_facet

        return contract_violation_facet(self)

    def to_json_data(self) -> dict[str, Any]:
        """The event as JSON-ready data with camelCase keys (the CloudEvent `data`)."""
        return self.model_dump(mode="json", by_alias=True)


def _get(data: Mapping[str, Any], name: str) -> Any:
    value = data.get(name)
    return data.get(to_camel(name)) if value is None else value


def derive_dedup_key(contract: Any, violation_type: Any, element: Any) -> str:
    """Build the default incident key ``<contract>:<type>:<element or *>``.

    Keys longer than PagerDuty's 255 characters are replaced by a SHA-256 digest of the
    full key, so they stay stable and unique.
    """
    kind = violation_type.value if isinstance(violation_type, ViolationType) else violation_type
    key = f"{contract}:{kind}:{element or '*'}"
    if len(key) > MAX_DEDUP_KEY_LENGTH:
        key = "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return key


def now_utc() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)
