"""Catalog table discovery: find a contract's tables when they are not where it says.

On a cold start the monitor rebuilds its registrations from the contract files. A contract
maps each schema object to ``<namespace>.<physicalName or name>``; when that table does not
exist (a wrong or missing namespace, a renamed namespace, a different case), listing the
catalog's namespaces and tables can still find it. `discover_tables` does that and proposes a
`TableOverride` only when exactly one table matches: guessing between several would silently
monitor the wrong table, so ambiguity is reported instead.

Every PyIceberg call runs in the `IcebergTableSource`'s bounded thread pool, under the
catalog's concurrency permit and per-call timeout (one call per namespace), like every
other catalog call of the monitor. This module imports PyIceberg only inside those calls.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from floe_monitoring.catalog.boundary import describe
from floe_monitoring.errors import CatalogError, CatalogUnavailableError, TableNotFoundError

if TYPE_CHECKING:
    from floe_monitoring.catalog.ref import TableRef
    from floe_monitoring.catalog.source import IcebergTableSource
    from floe_monitoring.contracts.model import Contract
    from floe_monitoring.contracts.overrides import TableOverride

__all__ = ["MAX_NAMESPACES", "DiscoveryResult", "discover_tables", "list_catalog_tables"]

#: Walking stops (with an error) past this many namespaces: a catalog that keeps inventing
#: namespaces must not keep a cold start busy forever.
MAX_NAMESPACES = 10_000

Identifier = tuple[str, ...]

# One level of a dotted identifier `TableOverride` and `TableRef.parse` accept: a level with
# a dot or a space inside cannot be written as ``ns.table``, so it cannot be proposed.
_LEVEL = re.compile(r"[^.\s]+")


@runtime_checkable
class _ListingCatalog(Protocol):
    """The listing part of a PyIceberg `Catalog` (`CatalogLike` only promises loading)."""

    def list_namespaces(self, namespace: str | Identifier = ()) -> list[Identifier]:
        """The child namespaces of ``namespace`` (the top level for ``()``)."""
        ...

    def list_tables(self, namespace: str | Identifier) -> list[Identifier]:
        """The tables directly in ``namespace``."""
        ...


@dataclass(frozen=True)
class DiscoveryResult:
    """What listing the catalog found for the schema objects whose table does not exist.

    Schema objects whose mapped table exists, or that are mapped to another catalog, appear
    nowhere: they need nothing.

    Attributes:
        overrides: Schema object name -> the one table that matches it (``ns.table`` in the
            listed catalog); feed it to `ContractOverrides.tables`.
        ambiguous: Schema object name -> the matching tables (sorted) when more than one
            matches; no override is proposed for them.
        missing: Schema object names (contract order) that no listed table matches.
        listed: How many tables the catalog listed.
        error: Why the catalog could not be listed (no secrets); the other fields are then
            empty. None on success.

    """

    overrides: dict[str, TableOverride] = field(default_factory=dict)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    listed: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the catalog answered (``error`` is None)."""
        return self.error is None


async def list_catalog_tables(source: IcebergTableSource, catalog: str) -> list[str]:
    """Every table of ``catalog``, in all namespaces at every depth, as sorted ``ns.table``.

    Args:
        source: The table source whose thread pool, permits and timeouts the calls use.
        catalog: The configured catalog's name.

    Returns:
        The dotted identifiers, sorted.

    Raises:
        CatalogNotConfiguredError: ``catalog`` is not configured.
        CatalogUnavailableError: The catalog cannot be opened or listed (or cannot list at
            all, or has more than `MAX_NAMESPACES` namespaces).
        CatalogTimeoutError: A listing call did not finish within the catalog's timeout.

    """
    return sorted(".".join(identifier) for identifier in await _list_identifiers(source, catalog))


async def discover_tables(
    contract: Contract, source: IcebergTableSource, *, catalog: str
) -> DiscoveryResult:
    """Find the tables of ``contract``'s schema objects whose mapped table does not exist.

    An object needs discovery when it has no table (it could not be mapped, for example no
    namespace anywhere) or its mapped table in ``catalog`` is neither listed nor loadable.
    Its candidates are the listed tables whose last identifier part equals the object's
    ``physicalName`` (else its name), case-insensitively, in any namespace.

    Args:
        contract: The contract, with tables mapped (as `parse_contract` returns it).
        source: The table source whose thread pool, permits and timeouts the calls use.
        catalog: The configured catalog to list. Objects mapped to another catalog are
            left alone.

    Returns:
        Overrides for unique matches, ambiguous and missing objects, and the count of
        listed tables; or an empty result with ``error`` set when the catalog cannot be
        listed (never raised: a cold start must go on without discovery).

    """
    from floe_monitoring.contracts.overrides import TableOverride  # keeps the facade light

    overrides: dict[str, TableOverride] = {}
    ambiguous: dict[str, list[str]] = {}
    missing: list[str] = []
    try:
        identifiers = await _list_identifiers(source, catalog)
        listed = {".".join(identifier) for identifier in identifiers}
        # Only identifiers an override can name are candidates (see _LEVEL).
        addressable = [i for i in identifiers if all(_LEVEL.fullmatch(level) for level in i)]
        for obj in contract.objects:
            ref = obj.table
            if ref is not None and (ref.catalog != catalog or await _exists(source, ref, listed)):
                continue
            wanted = (obj.physical_name or obj.name).casefold()
            matches = sorted(".".join(i) for i in addressable if i[-1].casefold() == wanted)
            if len(matches) == 1:
                overrides[obj.name] = TableOverride(identifier=matches[0], catalog=catalog)
            elif matches:
                ambiguous[obj.name] = matches
            else:
                missing.append(obj.name)
    except CatalogError as exc:
        # Messages built by the source and by this module hold the exception type and a
        # bounded first line, never catalog properties (tokens, credentials).
        return DiscoveryResult(error=str(exc))
    return DiscoveryResult(
        overrides=overrides, ambiguous=ambiguous, missing=missing, listed=len(identifiers)
    )


async def _exists(source: IcebergTableSource, ref: TableRef, listed: set[str]) -> bool:
    if ref.identifier in listed:
        return True
    # Not listed is not proof of absence: a catalog may hide tables from listings (access
    # rules, case-insensitive names). Loading it decides, so an existing table is never
    # re-pointed elsewhere.
    try:
        await source.probe(ref)
    except TableNotFoundError:
        return False
    return True


async def _list_identifiers(source: IcebergTableSource, catalog: str) -> list[Identifier]:
    """Walk the namespace tree breadth-first; return every table identifier, sorted."""
    loaded = await source.catalog(catalog)
    if not isinstance(loaded, _ListingCatalog):
        raise CatalogUnavailableError(
            f"catalog '{catalog}' cannot list namespaces and tables", catalog=catalog
        )
    _, top = await _call(source, catalog, loaded, ())
    seen: set[Identifier] = set()
    level = _unseen(top, seen)
    tables: set[Identifier] = set()
    while level:
        if len(seen) > MAX_NAMESPACES:
            raise CatalogUnavailableError(
                f"catalog '{catalog}' has more than {MAX_NAMESPACES} namespaces; discovery stopped",
                catalog=catalog,
            )
        answers = await _call_all(source, catalog, loaded, level)
        for found, _ in answers:
            tables.update(found)
        level = _unseen((child for _, children in answers for child in children), seen)
    return sorted(tables)


def _unseen(namespaces: Iterable[Identifier], seen: set[Identifier]) -> list[Identifier]:
    # A catalog may list all descendants rather than children, or list a namespace twice:
    # `seen` visits each once and also guards against cycles in a misbehaving catalog.
    fresh = []
    for namespace in namespaces:
        if namespace and namespace not in seen:
            seen.add(namespace)
            fresh.append(namespace)
    return fresh


async def _call_all(
    source: IcebergTableSource,
    catalog: str,
    loaded: _ListingCatalog,
    namespaces: Sequence[Identifier],
) -> list[tuple[list[Identifier], list[Identifier]]]:
    # Sibling namespaces are listed concurrently; the source's semaphore still bounds the
    # calls in flight. A TaskGroup cancels the rest as soon as one fails, so a dead catalog
    # costs one timeout, not one per namespace.
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(_call(source, catalog, loaded, namespace))
                for namespace in namespaces
            ]
    except* CatalogError as failed:
        raise _first(failed) from None
    return [task.result() for task in tasks]


def _first(group: BaseExceptionGroup[CatalogError]) -> CatalogError:
    leaf = group.exceptions[0]
    return _first(leaf) if isinstance(leaf, BaseExceptionGroup) else leaf


async def _call(
    source: IcebergTableSource, catalog: str, loaded: _ListingCatalog, namespace: Identifier
) -> tuple[list[Identifier], list[Identifier]]:
    job = functools.partial(_list_namespace, loaded, catalog, namespace)
    # The source has no public "run this catalog call" yet; _run is what with_table and
    # probe use, so listing shares their pool, permits, timeout and stats.
    return await source._run(catalog, job, None)


def _list_namespace(
    loaded: _ListingCatalog, catalog: str, namespace: Identifier
) -> tuple[list[Identifier], list[Identifier]]:
    """In a worker thread: the tables and child namespaces of ``namespace`` (root: ``()``)."""
    from pyiceberg.exceptions import NoSuchNamespaceError  # the base install has no pyiceberg

    try:
        # Tables live in namespaces, never at the root (REST rejects listing it).
        tables = loaded.list_tables(namespace) if namespace else []
        children = loaded.list_namespaces(namespace)
    except NoSuchNamespaceError:
        return [], []  # dropped while we walked: it holds nothing any more
    except Exception as exc:
        where = ".".join(namespace) or "the top level"
        raise CatalogUnavailableError(
            f"catalog '{catalog}' cannot list {where}: {describe(exc)}", catalog=catalog
        ) from exc
    return [_as_identifier(t) for t in tables], [_as_identifier(n) for n in children]


def _as_identifier(value: str | Sequence[str]) -> Identifier:
    # PyIceberg returns tuples; a catalog wrapper may return dotted strings or lists.
    parts = value.split(".") if isinstance(value, str) else value
    return tuple(str(part) for part in parts)
