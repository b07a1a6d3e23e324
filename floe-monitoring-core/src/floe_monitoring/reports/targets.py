"""Where a report's availability target comes from, when the caller gives none.

The newest result of each availability check carries the target it was judged against
(``details.target``: the ODCS target with overrides applied). A contract's target is the
strictest of its checks' newest targets, looking at its newest `RECENT` availability
results; without one, the contract document's ``availability`` SLA property.

Reports for every contract read the newest targets of all of them in one query
(`newest_targets_for_all`, PostgreSQL); on SQLite, one small query per contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncConnection

from floe_monitoring.contracts.sla import canonical_sla_name, parse_percent
from floe_monitoring.store.schema import check_results, contracts

__all__ = [
    "RECENT",
    "newest_target",
    "newest_targets_for_all",
    "strictest",
    "target_from_document",
]

#: How many of a contract's newest availability results are looked at.
RECENT = 200


def _valid(target: Any) -> float | None:
    ok = isinstance(target, int | float) and not isinstance(target, bool) and 0 < target <= 1
    return float(target) if ok else None


def strictest(newest: Iterable[Mapping[str, Any] | None]) -> float | None:
    """The highest valid ``target`` among the newest results' details (None: none)."""
    found = [t for d in newest if (t := _valid((d or {}).get("target"))) is not None]
    return max(found) if found else None


def _recent(contract_id: Any, until: datetime) -> Any:
    return (
        select(check_results.c.check_key, check_results.c.details)
        .where(
            check_results.c.contract_id == contract_id,
            check_results.c.check_type == "availability",
            check_results.c.started_at < until,
        )
        .order_by(check_results.c.started_at.desc(), check_results.c.id.desc())
        .limit(RECENT)
    )


async def newest_target(
    connection: AsyncConnection, contract_id: str, until: datetime
) -> float | None:
    """The contract's target from its newest availability results before `until`."""
    newest: dict[str, Any] = {}
    for check_key, details in (await connection.execute(_recent(contract_id, until))).all():
        newest.setdefault(check_key, details)  # newest first: the first one of each check
    return strictest(newest.values())


async def newest_targets_for_all(connection: AsyncConnection, until: datetime) -> dict[str, float]:
    """`newest_target` of every registered contract that has one, by contract id."""
    if connection.dialect.name != "postgresql":
        ids = (await connection.execute(select(contracts.c.contract_id))).scalars().all()
        found = {cid: await newest_target(connection, cid, until) for cid in ids}
        return {cid: target for cid, target in found.items() if target is not None}
    recent = (
        select(
            check_results.c.check_key,
            check_results.c.details,
            check_results.c.started_at,
            check_results.c.id,
        )
        .where(
            check_results.c.contract_id == contracts.c.contract_id,
            check_results.c.check_type == "availability",
            check_results.c.started_at < until,
        )
        .order_by(check_results.c.started_at.desc(), check_results.c.id.desc())
        .limit(RECENT)
        .lateral()
    )
    # The newest result of each check among each contract's newest RECENT (DISTINCT ON).
    query = (
        select(contracts.c.contract_id, recent.c.details)
        .select_from(contracts.join(recent, true()))
        .ext(distinct_on(contracts.c.contract_id, recent.c.check_key))
        .order_by(
            contracts.c.contract_id,
            recent.c.check_key,
            recent.c.started_at.desc(),
            recent.c.id.desc(),
        )
    )
    by_contract: dict[str, list[Any]] = {}
    for contract_id, details in (await connection.execute(query)).all():
        by_contract.setdefault(contract_id, []).append(details)
    out = {cid: strictest(newest) for cid, newest in by_contract.items()}
    return {cid: target for cid, target in out.items() if target is not None}


def target_from_document(document: Mapping[str, Any] | None) -> float | None:
    """The strictest ``availability`` SLA property of an ODCS document (None: none)."""
    found: list[float] = []
    for item in (document or {}).get("slaProperties") or []:
        if not isinstance(item, Mapping):
            continue
        if canonical_sla_name(str(item.get("property", ""))) != "availability":
            continue
        try:
            found.append(parse_percent(item.get("value"), item.get("unit")))
        except ValueError:
            continue
    valid = [f for f in found if f > 0]
    return max(valid) if valid else None
