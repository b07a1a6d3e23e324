"""`StateStore`: the monitor's memory, one object over the state database."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select, update

from floe_monitoring.store.cycle import CycleWrite, write_cycle
from floe_monitoring.store.database import DEFAULT_STATE_URL, Database
from floe_monitoring.store.kv import DatabaseChannelState
from floe_monitoring.store.outbox import OutboxRepository
from floe_monitoring.store.schema import (
    check_results,
    contracts,
    incident_states,
    incidents,
    observed_schemas,
    schedules,
    silences,
    suppressions,
)
from floe_monitoring.store.upsert import upsert

__all__ = ["StateStore"]


class StateStore:
    """Results, incidents, outbox, suppressions, channel state and contracts.

    Args:
        url: SQLAlchemy URL of the state database (SQLite file by default).
        pool_size: Connection pool size (PostgreSQL).
    """

    def __init__(self, url: str = DEFAULT_STATE_URL, *, pool_size: int = 10) -> None:
        self.database = Database(url, pool_size=pool_size)
        self.outbox = OutboxRepository(self.database)

    def __repr__(self) -> str:
        return f"<StateStore {self.database!r}>"

    async def open(self) -> None:
        """Apply pending migrations (automatically on start)."""
        await self.database.migrate()

    async def close(self) -> None:
        """Close the connection pool."""
        await self.database.dispose()

    def channel_state(self, channel: str) -> DatabaseChannelState:
        """The key-value store of one configured channel."""
        return DatabaseChannelState(self.database, channel)

    async def write(self, cycle: CycleWrite) -> None:
        """Write one cycle atomically."""
        await write_cycle(self.database, cycle)

    # -- contracts and schedules -----------------------------------------------------

    async def save_contract(
        self,
        *,
        contract_id: str,
        name: str,
        version: str,
        domain: str | None,
        owner: str | None,
        source: str | None,
        document: dict[str, Any],
        now: datetime,
    ) -> None:
        """Register or update a contract (reactivating a retired one)."""
        fingerprint = hashlib.sha256(
            json.dumps(document, sort_keys=True, default=str).encode()
        ).hexdigest()
        row = {
            "contract_id": contract_id,
            "name": name,
            "version": version,
            "domain": domain,
            "owner": owner,
            "source": source,
            "document": json.loads(json.dumps(document, default=str)),
            "fingerprint": fingerprint,
            "active": True,
            "registered_at": now,
            "updated_at": now,
            "retired_at": None,
        }
        async with self.database.begin() as connection:
            existing = (
                await connection.execute(
                    select(contracts.c.registered_at).where(contracts.c.contract_id == contract_id)
                )
            ).scalar_one_or_none()
            if existing is not None:
                row["registered_at"] = existing
            await upsert(connection, contracts, [row], keys=("contract_id",))

    async def retire_contract(self, contract_id: str, *, now: datetime) -> None:
        """Mark a contract retired and drop its schedules (its history is kept)."""
        async with self.database.begin() as connection:
            await connection.execute(
                update(contracts)
                .where(contracts.c.contract_id == contract_id)
                .values(active=False, retired_at=now, updated_at=now)
            )
            await connection.execute(
                delete(schedules).where(schedules.c.contract_id == contract_id)
            )

    async def contracts(self, *, active_only: bool = True) -> list[dict[str, Any]]:
        """Registered contracts (for cold start and `status`)."""
        query = select(contracts).order_by(contracts.c.name)
        if active_only:
            query = query.where(contracts.c.active.is_(True))
        async with self.database.connect() as connection:
            return [dict(r) for r in (await connection.execute(query)).mappings().all()]

    async def save_schedules(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert new schedule rows; for existing ones update only what describes them.

        The due time and lease of an existing row belong to whichever replica runs it.
        """
        async with self.database.begin() as connection:
            await upsert(
                connection,
                schedules,
                rows,
                keys=("check_key",),
                keep=("next_due_at", "lease_owner", "lease_expires_at", "fence"),
            )

    async def remove_schedules(self, check_keys: Sequence[str]) -> None:
        """Forget schedules (their contract changed and no longer implies them)."""
        if check_keys:
            async with self.database.begin() as connection:
                await connection.execute(
                    delete(schedules).where(schedules.c.check_key.in_(list(check_keys)))
                )

    # -- reads -----------------------------------------------------------------------

    async def incident_states(self, keys: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
        """Incident states by check key (all, or those of `keys`)."""
        query = select(incident_states.c.check_key, incident_states.c.state)
        if keys is not None:
            query = query.where(incident_states.c.check_key.in_(list(keys)))
        async with self.database.connect() as connection:
            rows = (await connection.execute(query)).all()
        return dict(rows)

    async def incidents(
        self, *, status: str | None = None, contract_id: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Incidents, newest first."""
        query = select(incidents).order_by(incidents.c.opened_at.desc()).limit(limit)
        if status is not None:
            query = query.where(incidents.c.status == status)
        if contract_id is not None:
            query = query.where(incidents.c.contract_id == contract_id)
        async with self.database.connect() as connection:
            return [dict(r) for r in (await connection.execute(query)).mappings().all()]

    async def set_incident_status(
        self, incident_id: str, *, status: str, now: datetime, by: str | None = None
    ) -> bool:
        """Acknowledge or resolve an incident by hand; False when it does not exist."""
        values: dict[str, Any] = {"status": status}
        if status == "acknowledged":
            values.update(acknowledged_at=now, acknowledged_by=by)
        elif status == "resolved":
            values.update(resolved_at=now)
        async with self.database.begin() as connection:
            result = await connection.execute(
                update(incidents).where(incidents.c.incident_id == incident_id).values(**values)
            )
        return bool(result.rowcount)

    async def results(
        self,
        *,
        contract_id: str | None = None,
        check_type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = 100,
    ) -> list[dict[str, Any]]:
        """Raw results, newest first."""
        query = select(check_results).order_by(
            check_results.c.started_at.desc(), check_results.c.id.desc()
        )
        conditions = []
        if contract_id is not None:
            conditions.append(check_results.c.contract_id == contract_id)
        if check_type is not None:
            conditions.append(check_results.c.check_type == check_type)
        if since is not None:
            conditions.append(check_results.c.started_at >= since)
        if until is not None:
            conditions.append(check_results.c.started_at < until)
        if conditions:
            query = query.where(and_(*conditions))
        if limit is not None:
            query = query.limit(limit)
        async with self.database.connect() as connection:
            return [dict(r) for r in (await connection.execute(query)).mappings().all()]

    async def latest_results(self) -> list[dict[str, Any]]:
        """The newest result of every check."""
        newest = (
            select(check_results.c.check_key, func.max(check_results.c.id).label("id"))
            .group_by(check_results.c.check_key)
            .subquery()
        )
        query = select(check_results).join(newest, check_results.c.id == newest.c.id)
        async with self.database.connect() as connection:
            return [dict(r) for r in (await connection.execute(query)).mappings().all()]

    async def violation_times(
        self, since: datetime, contract_ids: Sequence[str] | None = None
    ) -> list[tuple[str, str, datetime]]:
        """(contract_id, check_type, started_at) of every failure since `since`."""
        query = select(
            check_results.c.contract_id, check_results.c.check_type, check_results.c.started_at
        ).where(check_results.c.status == "fail", check_results.c.started_at >= since)
        if contract_ids is not None:
            query = query.where(check_results.c.contract_id.in_(list(contract_ids)))
        async with self.database.connect() as connection:
            return [(a, b, c) for a, b, c in (await connection.execute(query)).all()]

    async def availability_samples(
        self, contract_id: str, check_key: str, since: datetime
    ) -> list[tuple[datetime, bool]]:
        """(started_at, ok) of a check's results since `since` (errors excluded).

        The contract is named too: (contract_id, started_at) is the index raw results have.
        """
        query = (
            select(check_results.c.started_at, check_results.c.status)
            .where(
                check_results.c.contract_id == contract_id,
                check_results.c.check_key == check_key,
                check_results.c.started_at >= since,
                check_results.c.status.in_(["pass", "warn", "fail"]),
                check_results.c.in_maintenance.is_(False),
            )
            .order_by(check_results.c.started_at)
        )
        async with self.database.connect() as connection:
            return [(t, s != "fail") for t, s in (await connection.execute(query)).all()]

    async def observed_schemas(self) -> dict[str, dict[str, Any]]:
        """The last observed schema of every schema-drift check, by check key."""
        async with self.database.connect() as connection:
            rows = (await connection.execute(select(observed_schemas))).mappings().all()
        return {r["check_key"]: dict(r) for r in rows}

    async def suppressions(
        self, *, contract_id: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Why notifications were not sent, newest first."""
        query = select(suppressions).order_by(suppressions.c.id.desc()).limit(limit)
        if contract_id is not None:
            query = query.where(suppressions.c.contract_id == contract_id)
        async with self.database.connect() as connection:
            return [dict(r) for r in (await connection.execute(query)).mappings().all()]

    # -- silences --------------------------------------------------------------------

    async def add_silence(self, row: dict[str, Any]) -> None:
        """Store a silence (matchers, window, author, comment)."""
        async with self.database.begin() as connection:
            await upsert(connection, silences, [row], keys=("silence_id",))

    async def remove_silence(self, silence_id: str) -> bool:
        """Delete a silence; False when it does not exist."""
        async with self.database.begin() as connection:
            result = await connection.execute(
                delete(silences).where(silences.c.silence_id == silence_id)
            )
        return bool(result.rowcount)

    async def silences(self) -> list[dict[str, Any]]:
        """Every stored silence."""
        async with self.database.connect() as connection:
            return [dict(r) for r in (await connection.execute(select(silences))).mappings().all()]
