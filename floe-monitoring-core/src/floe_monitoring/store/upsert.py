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
    keep: Sequence[str] = (),
) -> None:
    """Insert `rows`, replacing the other columns of rows whose keys already exist.

    Args:
        connection: The transaction to write in.
        table: The table.
        rows: Rows with the same columns.
        keys: The conflict (primary key) columns.
        keep: Columns an existing row keeps (set on insert only).
    """
    if not rows:
        return
    dialect_insert = sqlite_insert if connection.dialect.name == "sqlite" else pg_insert
    statement = dialect_insert(table)
    changed = {c: statement.excluded[c] for c in rows[0] if c not in keys and c not in keep}
    statement = statement.on_conflict_do_update(index_elements=list(keys), set_=changed)
    await connection.execute(statement, list(rows))
