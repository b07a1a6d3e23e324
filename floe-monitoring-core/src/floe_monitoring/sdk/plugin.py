"""`AlertChannelPlugin`: the base class every alert channel implements.

A channel does one thing: turn one `ContractViolationEvent` into one delivery attempt
and say how it went. The core wraps every call: it retries, paces, times out and
dead-letters, so a channel never sleeps, never retries and never logs a secret.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from enum import StrEnum
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue, SecretBytes, SecretStr

from floe_monitoring.errors import UnsupportedCapabilityError
from floe_monitoring.sdk.event import ContractViolationEvent, now_utc, utc_datetime
from floe_monitoring.sdk.state import ChannelStateStore, InMemoryChannelState

__all__ = [
    "REDACTED",
    "AlertChannelPlugin",
    "ChannelCapability",
    "DeliveryReceipt",
    "HealthState",
    "HealthStatus",
    "PluginClass",
    "RateLimit",
    "plugin_class_problems",
]

#: What a secret looks like wherever it would otherwise be shown (pydantic's mask).
REDACTED = "**********"

ConfigT = TypeVar("ConfigT", bound=BaseModel)


class ChannelCapability(StrEnum):
    """Optional things a channel can do; declared, never guessed. The set can grow."""

    RESOLVE = "resolve"
    """Delivers `resolved` events as recoveries (closes, threads or marks the incident)."""
    BATCH = "batch"
    """Implements `send_batch`: several events of one contract in one message."""
    THREADING = "threading"
    """Keeps an incident's notifications together (thread, References, dedup_key)."""
    SIGNING = "signing"
    """Signs what it sends so the receiver can verify the sender."""
    ACKNOWLEDGE = "acknowledge"
    """Can acknowledge an incident at the destination."""


class HealthState(StrEnum):
    """A channel's health: usable, usable with caveats, or not usable."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"


class HealthStatus(BaseModel):
    """The answer of a health check (never contains a secret)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    state: HealthState
    message: str = ""
    details: dict[str, JsonValue] = Field(default_factory=dict)
    latency_seconds: float | None = None
    checked_at: utc_datetime = Field(default_factory=now_utc)

    @property
    def healthy(self) -> bool:
        """True unless the channel is unusable."""
        return self.state is not HealthState.UNHEALTHY


class DeliveryReceipt(BaseModel):
    """Proof of one successful delivery attempt."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: str
    event_ids: tuple[uuid.UUID, ...] = Field(min_length=1)
    delivered_at: utc_datetime = Field(default_factory=now_utc)
    status_code: int | None = None
    remote_id: str | None = None
    """The destination's identifier (PagerDuty dedup_key, Slack ts, Message-ID)."""
    refused_recipients: tuple[str, ...] = ()
    """Recipients the destination refused while accepting the others (e-mail)."""
    details: dict[str, JsonValue] = Field(default_factory=dict)

    @property
    def event_id(self) -> uuid.UUID:
        """The (first) delivered event's id."""
        return self.event_ids[0]


class RateLimit(BaseModel):
    """The sending rate a destination sustains, declared so the core can pace it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    events: int = Field(gt=0)
    per_seconds: float = Field(gt=0)
    burst: int | None = Field(default=None, gt=0)

    @property
    def per_second(self) -> float:
        """Sustained events per second."""
        return self.events / self.per_seconds


class AlertChannelPlugin(ABC, Generic[ConfigT]):
    """Base class of every alert channel.

    Subclasses set the class metadata, implement `send_alert`, and may override the
    lifecycle hooks `on_startup`, `on_shutdown` and `check_health`. The public
    `startup`, `shutdown` and `health_check` wrap those hooks so that they are
    idempotent, bounded in time and never leak a secret.

    Class attributes:
        name: Channel type; equals the entry-point name (``slack``).
        version: The channel's own version.
        floe_api_version: SDK version built against (``"1.0"``) or a range.
        description: One line for `floe sla channels list`.
        config_model: The pydantic model of its config (secrets as `SecretStr`).
        capabilities: Optional capabilities it implements.
        rate_limit: What the destination sustains, if it publishes a limit.

    Example:
        >>> async with SlackChannel(config) as channel:   # doctest: +SKIP
        ...     receipt = await channel.send_alert(event)

    """

    name: ClassVar[str]
    version: ClassVar[str]
    floe_api_version: ClassVar[str]
    description: ClassVar[str] = ""
    config_model: ClassVar[type[BaseModel]]
    capabilities: ClassVar[frozenset[ChannelCapability]] = frozenset()
    rate_limit: ClassVar[RateLimit | None] = None

    def __init__(
        self,
        config: ConfigT,
        *,
        instance_name: str | None = None,
        state: ChannelStateStore | None = None,
    ) -> None:
        """Create a channel instance; no I/O happens before `startup`.

        Args:
            config: A validated instance of `config_model`.
            instance_name: The configured channel's name (defaults to the type name).
            state: Key-value store that survives restarts (in memory when omitted).

        """
        if not isinstance(config, self.config_model):
            raise TypeError(
                f"{type(self).__name__} needs a {self.config_model.__name__}, "
                f"got {type(config).__name__}"
            )
        self._config = config
        self._instance_name = instance_name or self.name
        self._state: ChannelStateStore = state if state is not None else InMemoryChannelState()
        self._started = False
        self._lifecycle_lock = asyncio.Lock()

    # -- identity --------------------------------------------------------------------

    @property
    def config(self) -> ConfigT:
        """The validated configuration."""
        return self._config

    @property
    def instance_name(self) -> str:
        """The configured name of this channel instance."""
        return self._instance_name

    @property
    def state(self) -> ChannelStateStore:
        """The instance's key-value store."""
        return self._state

    @property
    def started(self) -> bool:
        """True between `startup` and `shutdown`."""
        return self._started

    @classmethod
    def supports(cls, capability: ChannelCapability | str) -> bool:
        """True when the channel declares `capability`."""
        return ChannelCapability(capability) in cls.capabilities

    def __repr__(self) -> str:
        # The config is deliberately absent: it holds URLs and tokens.
        return f"<{type(self).__name__} {self._instance_name!r} type={self.name!r}>"

    # -- lifecycle -------------------------------------------------------------------

    async def startup(self) -> None:
        """Open connections (idempotent: a second call does nothing)."""
        async with self._lifecycle_lock:
            if self._started:
                return
            await self.on_startup()
            self._started = True

    async def shutdown(self) -> None:
        """Close connections (idempotent; safe without a prior `startup`)."""
        async with self._lifecycle_lock:
            if not self._started:
                return
            self._started = False
            await self.on_shutdown()

    async def on_startup(self) -> None:
        """Hook: open clients and pools. The default does nothing."""

    async def on_shutdown(self) -> None:
        """Hook: close what `on_startup` opened. The default does nothing."""

    async def __aenter__(self) -> Self:
        await self.startup()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.shutdown()

    # -- health ----------------------------------------------------------------------

    async def health_check(self, timeout: float = 5.0) -> HealthStatus:  # noqa: ASYNC109 - the SDK contract: a probe bounded by the caller
        """Probe the destination; always answers within `timeout` seconds.

        A probe that raises or overruns is reported as unhealthy, with any secret
        removed from the message.
        """
        began = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                status = await self.check_health()
        except TimeoutError:
            return HealthStatus(
                state=HealthState.UNHEALTHY,
                message=f"health check did not answer within {timeout:g}s",
                latency_seconds=time.monotonic() - began,
            )
        except Exception as exc:  # a probe's failure is an answer, not a crash
            return HealthStatus(
                state=HealthState.UNHEALTHY,
                message=self.redact(f"{type(exc).__name__}: {exc}"),
                latency_seconds=time.monotonic() - began,
            )
        if status.latency_seconds is None:
            status = status.model_copy(update={"latency_seconds": time.monotonic() - began})
        return status

    async def check_health(self) -> HealthStatus:
        """Hook: probe the destination. The default reports healthy without a probe."""
        return HealthStatus(state=HealthState.HEALTHY, message="no health probe implemented")

    # -- delivery --------------------------------------------------------------------

    @abstractmethod
    async def send_alert(self, event: ContractViolationEvent) -> DeliveryReceipt:
        """Make exactly one delivery attempt of `event`.

        Returns:
            A receipt when the destination accepted the event.

        Raises:
            RetryableDeliveryError: A later attempt may succeed (with `retry_after`).
            PermanentDeliveryError: It never will; the core dead-letters the event.

        """

    async def send_batch(self, events: Sequence[ContractViolationEvent]) -> DeliveryReceipt:
        """Deliver several events of one contract as one message, in one attempt.

        Only channels that declare `ChannelCapability.BATCH` implement this; the core
        sends events one by one to the others.

        Raises:
            UnsupportedCapabilityError: The channel does not declare batches.

        """
        raise UnsupportedCapabilityError(self._instance_name, ChannelCapability.BATCH.value)

    # -- helpers for subclasses ------------------------------------------------------

    def receipt(
        self,
        event: ContractViolationEvent | Sequence[ContractViolationEvent],
        *,
        status_code: int | None = None,
        remote_id: str | None = None,
        refused_recipients: Sequence[str] = (),
        **details: JsonValue,
    ) -> DeliveryReceipt:
        """Build the receipt for a delivered event (or batch)."""
        events = [event] if isinstance(event, ContractViolationEvent) else list(event)
        return DeliveryReceipt(
            channel=self._instance_name,
            event_ids=tuple(e.event_id for e in events),
            status_code=status_code,
            remote_id=remote_id,
            refused_recipients=tuple(refused_recipients),
            details=dict(details),
        )

    def secret_values(self) -> list[str]:
        """Every secret in the config, longest first (for `redact`)."""
        found = {s for s in _iter_secrets(self._config) if s}
        return sorted(found, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """Replace every configured secret value in `text` with the mask."""
        for secret in self.secret_values():
            text = text.replace(secret, REDACTED)
        return text


#: Any concrete channel class.
PluginClass = type[AlertChannelPlugin[Any]]


def _iter_secrets(value: Any) -> Iterator[str]:
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, SecretBytes):
        yield value.get_secret_value().decode("utf-8", "replace")
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _iter_secrets(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _iter_secrets(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _iter_secrets(item)


def plugin_class_problems(cls: object) -> list[str]:
    """List what makes `cls` unusable as a channel plugin (empty when it is fine).

    Checks the things the registry and the conformance kit both rely on: the class
    derives from `AlertChannelPlugin`, is concrete, and declares valid metadata.
    """
    if not isinstance(cls, type) or not issubclass(cls, AlertChannelPlugin):
        return [f"{cls!r} is not an AlertChannelPlugin subclass"]
    problems: list[str] = []
    if getattr(cls, "__abstractmethods__", None):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        problems.append(f"is abstract (does not implement {missing})")
    for attr in ("name", "version", "floe_api_version"):
        value = getattr(cls, attr, None)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"class attribute '{attr}' must be a non-empty string")
    model = getattr(cls, "config_model", None)
    if not isinstance(model, type) or not issubclass(model, BaseModel):
        problems.append("class attribute 'config_model' must be a pydantic BaseModel subclass")
    caps: object = getattr(cls, "capabilities", frozenset())
    if not isinstance(caps, frozenset) or not all(isinstance(c, ChannelCapability) for c in caps):
        problems.append("class attribute 'capabilities' must be a frozenset of ChannelCapability")
    limit = getattr(cls, "rate_limit", None)
    if limit is not None and not isinstance(limit, RateLimit):
        problems.append("class attribute 'rate_limit' must be a RateLimit or None")
    if not isinstance(getattr(cls, "description", ""), str):
        problems.append("class attribute 'description' must be a string")
    return problems
