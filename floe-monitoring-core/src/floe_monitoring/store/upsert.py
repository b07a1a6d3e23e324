"""INSERT ... ON CONFLICT DO UPDATE, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
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
    statement = _statement(connection.dialect.name, table, tuple(rows[0]), tuple(keys), tuple(keep))
    await connection.execute(statement, list(rows))


@functools.lru_cache(maxsize=256)
def _statement(
    dialect: str,
    table: Table,
    columns: tuple[str, ...],
    keys: tuple[str, ...],
    keep: tuple[str, ...],
) -> Any:
    # Built once per shape: constructing the statement (and its cache key) every time
    # showed in the write path's profile. Statements are immutable, so sharing is safe.
    dialect_insert = sqlite_insert if dialect == "sqlite" else pg_insert
    statement = dialect_insert(table)
    changed = {c: statement.excluded[c] for c in columns if c not in keys and c not in keep}
    return statement.on_conflict_do_update(index_elements=list(keys), set_=changed)
