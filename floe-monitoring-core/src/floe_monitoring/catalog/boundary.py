"""Where PyIceberg's errors become ours: opening a catalog, loading a table, reading it.

Used by the worker threads and the worker processes alike, so both classify the same
way: a catalog nobody configured is `CatalogNotConfiguredError`; a missing table or
namespace is `TableNotFoundError` (a failure); anything else the catalog or its storage
raises, opening it included, is `CatalogUnavailableError` (an error, not a violation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

from floe_monitoring.errors import (
    CatalogNotConfiguredError,
    CatalogUnavailableError,
    TableNotFoundError,
)

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from floe_monitoring.catalog.config import CatalogConfig
    from floe_monitoring.catalog.ref import TableRef

__all__ = ["CatalogLike", "describe", "guarded", "load_table", "not_configured", "open_catalog"]

T = TypeVar("T")


class CatalogLike(Protocol):
    """What the source needs from a catalog (a PyIceberg `Catalog` is one)."""

    def load_table(self, identifier: str) -> Table:
        """Load a table by dotted identifier."""
        ...


def describe(exc: BaseException) -> str:
    """``Type: first line of the message``, bounded to 200 characters."""
    # First line only, bounded: driver messages can be long and we never want URIs with
    # credentials or whole SQL statements in an alert.
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def not_configured(name: str) -> CatalogNotConfiguredError:
    """The error of a catalog name the monitor's config does not hold."""
    return CatalogNotConfiguredError(
        f"catalog '{name}' is not configured in the monitor", catalog=name
    )


def open_catalog(
    config: CatalogConfig, factory: Callable[[CatalogConfig], CatalogLike] | None = None
) -> CatalogLike:
    """Open ``config``'s catalog: ``factory(config)``, else PyIceberg's `load_catalog`.

    Raises:
        CatalogUnavailableError: The catalog cannot be opened (PyIceberg missing included).

    """
    try:
        if factory is not None:
            return factory(config)
        from pyiceberg.catalog import load_catalog  # the base install has no pyiceberg

        catalog: CatalogLike = load_catalog(config.name, **config.properties)
    except Exception as exc:
        raise CatalogUnavailableError(
            f"catalog '{config.name}' cannot be opened: {describe(exc)}", catalog=config.name
        ) from exc
    return catalog


def load_table(catalog: CatalogLike, ref: TableRef) -> Table:
    """Load ``ref`` from ``catalog``.

    Raises:
        TableNotFoundError: The table or namespace does not exist.
        CatalogUnavailableError: The catalog cannot answer.

    """
    from pyiceberg.exceptions import (
        NoSuchIdentifierError,
        NoSuchNamespaceError,
        NoSuchTableError,
    )

    try:
        return catalog.load_table(ref.identifier)
    except (NoSuchTableError, NoSuchNamespaceError, NoSuchIdentifierError) as exc:
        raise TableNotFoundError(
            f"table {ref} does not exist", catalog=ref.catalog, table=ref.identifier
        ) from exc
    except Exception as exc:
        raise CatalogUnavailableError(
            f"catalog '{ref.catalog}' cannot load {ref.identifier}: {describe(exc)}",
            catalog=ref.catalog,
            table=ref.identifier,
        ) from exc


def guarded(ref: TableRef, fn: Callable[[Table], T], table: Table) -> T:
    """``fn(table)``, with storage errors classified as the catalog being unavailable."""
    try:
        return fn(table)
    except OSError as exc:  # the warehouse storage cannot be read
        raise CatalogUnavailableError(
            f"cannot read {ref}: {describe(exc)}", catalog=ref.catalog, table=str(ref)
        ) from exc
