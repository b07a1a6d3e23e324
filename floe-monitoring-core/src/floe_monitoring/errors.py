"""The exception tree of floe monitoring.

Every error this package raises on purpose derives from `FloeError`::

    FloeError
    ├── ConfigError                  a configuration value is wrong
    │   └── ChannelConfigError       ...in one channel's config (names channel and field)
    ├── PluginError                  a channel plugin cannot be used
    │   ├── PluginLoadError          import failed, wrong type, duplicate, disabled
    │   └── IncompatiblePluginError  declares an API version this core does not serve
    ├── DeliveryError                one delivery attempt failed (carries `reason`)
    │   ├── RetryableDeliveryError   try again later (`retry_after` seconds, if known)
    │   └── PermanentDeliveryError   never retry this notification
    │       └── UnsupportedCapabilityError  the channel was asked for what it lacks
    ├── ContractError                a contract file cannot be used (`path:line: field: reason`)
    │   ├── ContractParseError       not valid YAML/JSON, or not a mapping
    │   └── ContractValidationError  valid YAML that is not a usable ODCS v3.0-3.2 contract
    ├── CatalogError                 an Iceberg catalog or table cannot be used
    │   ├── CatalogNotConfiguredError  the monitor config names no such catalog
    │   ├── CatalogUnavailableError  the catalog cannot answer (an error, not a violation)
    │   │   └── CatalogTimeoutError  ...within the per-call timeout
    │   └── TableNotFoundError       the table or its namespace does not exist (a failure)
    └── StateStoreError              the state database cannot be reached or migrated

Messages never contain secret values: channels map vendor errors at the boundary
(`raise ... from exc`) and keep only structured, non-secret fields.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = [
    "CatalogError",
    "CatalogNotConfiguredError",
    "CatalogTimeoutError",
    "CatalogUnavailableError",
    "ChannelConfigError",
    "ConfigError",
    "ContractError",
    "ContractParseError",
    "ContractValidationError",
    "DeliveryError",
    "FailureReason",
    "FloeError",
    "IncompatiblePluginError",
    "PermanentDeliveryError",
    "PluginError",
    "PluginLoadError",
    "RetryableDeliveryError",
    "StateStoreError",
    "TableNotFoundError",
    "UnsupportedCapabilityError",
]


class FloeError(Exception):
    """Root of every error floe monitoring raises on purpose."""


class ConfigError(FloeError):
    """A configuration value is missing or invalid."""


class ChannelConfigError(ConfigError):
    """A channel's configuration is invalid.

    Attributes:
        channel: The configured channel's name (or its type when unnamed).
        field: Dotted path of the offending field, or None when the whole config is wrong.
        reason: What is wrong, without the value itself.

    """

    def __init__(self, channel: str, field: str | None, reason: str) -> None:
        self.channel = channel
        self.field = field
        self.reason = reason
        where = f"channel '{channel}'" + (f", field '{field}'" if field else "")
        super().__init__(f"{where}: {reason}")


class PluginError(FloeError):
    """A channel plugin cannot be used.

    Attributes:
        plugin: The entry-point name of the plugin.
        reason: Why it cannot be used.

    """

    def __init__(self, plugin: str, reason: str) -> None:
        self.plugin = plugin
        self.reason = reason
        super().__init__(f"channel plugin '{plugin}': {reason}")


class PluginLoadError(PluginError):
    """A plugin failed to import, is not an `AlertChannelPlugin`, or collides by name."""


class IncompatiblePluginError(PluginError):
    """A plugin declares an API version this core does not serve."""


class FailureReason(StrEnum):
    """Why a delivery attempt failed: a bounded set, safe as a metric attribute."""

    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    CLIENT_ERROR = "client_error"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    AUTH = "auth"
    GONE = "gone"
    UNSUPPORTED = "unsupported"
    INTERNAL = "internal"


class DeliveryError(FloeError):
    """One delivery attempt failed.

    Attributes:
        reason: Bounded failure category (used in metrics and dead letters).
        status_code: The remote status code, when there was one.

    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        reason: FailureReason = FailureReason.INTERNAL,
        status_code: int | None = None,
    ) -> None:
        self.reason = FailureReason(reason)
        self.status_code = status_code
        super().__init__(message)


class RetryableDeliveryError(DeliveryError):
    """The attempt failed but a later one may succeed.

    Attributes:
        retry_after: Seconds the remote asked us to wait (from `Retry-After`), or None.

    """

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        reason: FailureReason = FailureReason.SERVER_ERROR,
        status_code: int | None = None,
    ) -> None:
        if retry_after is not None and retry_after < 0:
            retry_after = 0.0
        self.retry_after = retry_after
        super().__init__(message, reason=reason, status_code=status_code)


class PermanentDeliveryError(DeliveryError):
    """The notification can never be delivered as it is; it is dead-lettered at once."""

    def __init__(
        self,
        message: str,
        *,
        reason: FailureReason = FailureReason.CLIENT_ERROR,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, reason=reason, status_code=status_code)


class UnsupportedCapabilityError(PermanentDeliveryError):
    """A channel was asked to do something it does not declare (for example a batch)."""

    def __init__(self, channel: str, capability: str) -> None:
        self.channel = channel
        self.capability = capability
        super().__init__(
            f"channel '{channel}' does not declare the '{capability}' capability",
            reason=FailureReason.UNSUPPORTED,
        )


class ContractError(FloeError):
    """A contract file cannot be used; the message is one line ``path:line: field: reason``.

    Attributes:
        path: The file (or a label such as ``<string>``) the contract came from.
        line: 1-based line of the offending value, when known.
        field: Dotted path of the offending field (``slaProperties[0].value``), if any.
        reason: What is wrong.

    """

    def __init__(
        self, path: str, reason: str, *, line: int | None = None, field: str | None = None
    ) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.reason = reason
        where = path if line is None else f"{path}:{line}"
        # One line, always: a multi-line reason (pydantic, YAML) would break log parsing.
        text = " ".join(reason.split())
        super().__init__(f"{where}: {field}: {text}" if field else f"{where}: {text}")


class ContractParseError(ContractError):
    """The file is not valid YAML/JSON, or its top level is not a mapping."""


class ContractValidationError(ContractError):
    """The document parses but is not a usable ODCS v3.0-3.2 contract."""


class CatalogError(FloeError):
    """An Iceberg catalog or table cannot be used.

    Attributes:
        catalog: The configured catalog name.
        table: The table identifier (``namespace.table``), when the error concerns one.

    """

    def __init__(self, message: str, *, catalog: str, table: str | None = None) -> None:
        self.catalog = catalog
        self.table = table
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        # Catalog errors cross from worker processes pickled; the keyword-only fields
        # are not in ``args``, which is all the default reduction keeps.
        return _rebuild_catalog_error, (type(self), str(self), self.catalog, self.table)


def _rebuild_catalog_error(
    cls: type[CatalogError], message: str, catalog: str, table: str | None
) -> CatalogError:
    return cls(message, catalog=catalog, table=table)


class CatalogNotConfiguredError(CatalogError):
    """A contract or the config names a catalog the monitor has no configuration for."""


class CatalogUnavailableError(CatalogError):
    """The catalog cannot answer (unreachable, overloaded, failing): an error, not a violation."""


class CatalogTimeoutError(CatalogUnavailableError):
    """The catalog did not answer within the per-call timeout."""


class TableNotFoundError(CatalogError):
    """The table, or its namespace, does not exist: the contract's table is gone (a failure)."""


class StateStoreError(FloeError):
    """The state database cannot be reached or migrated (the message has no password)."""
