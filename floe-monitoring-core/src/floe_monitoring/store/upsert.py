"""INSERT ... ON CONFLICT DO UPDATE, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["upsert"]


async def upsert(
    connection: AsyncConnection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str],
) -> None:
    """Insert `rows`, replacing every non-key column of rows whose keys already exist."""
    if not rows:
        return
    dialect_insert = sqlite_insert if connection.dialect.name == "sqlite" else pg_insert
    statement = dialect_insert(table)
    changed = {c: statement.excluded[c] for c in rows[0] if c not in keys}
    statement = statement.on_conflict_do_update(index_elements=list(keys), set_=changed)
    await connection.execute(statement, list(rows))
