from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from floe_monitoring.errors import StateStoreError
from floe_monitoring.store import database as database_module
from floe_monitoring.store.database import HEAD_REVISION, Database, head_revision, redact_url
from floe_monitoring.store.schema import metadata


async def test_migrations_create_exactly_the_declared_schema(state_url: str) -> None:
    database = Database(state_url)
    try:
        assert await database.migrate() == head_revision()
        assert await database.migrate() == head_revision()  # idempotent
        async with database.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            diff = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), metadata)
            )
        assert set(metadata.tables) <= tables
        assert diff == []
    finally:
        await database.dispose()


def test_the_head_constant_is_the_migration_scripts_head() -> None:
    assert head_revision() == HEAD_REVISION


async def test_a_database_at_the_head_opens_without_running_migrations(
    state_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database(state_url)
    try:
        assert await database.migrate() == HEAD_REVISION

        def refuse(_connection: object) -> None:
            raise AssertionError("alembic ran on a database already at the head")

        monkeypatch.setattr(database_module, "_upgrade", refuse)
        assert await database.migrate() == HEAD_REVISION
        async with database.begin() as connection:  # one step behind: migrations run
            await connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        with pytest.raises(StateStoreError, match="AssertionError"):
            await database.migrate()
    finally:
        await database.dispose()


async def test_the_embedded_database_file_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "state.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.migrate()
    await database.dispose()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


async def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    assert database.url.drivername == "sqlite+aiosqlite"
    async with database.connect() as connection:
        mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
    await database.dispose()
    assert mode == "wal"


def test_urls_are_shown_without_password() -> None:
    shown = redact_url("postgresql+asyncpg://floe:hunter2-secret@db.example/floe")
    assert "hunter2-secret" not in shown
    assert "db.example" in shown
    assert "hunter2-secret" not in repr(Database("postgresql://floe:hunter2-secret@127.0.0.1:1/x"))


async def test_an_unreachable_database_is_one_clear_error_without_password() -> None:
    database = Database("postgresql://floe:hunter2-secret@127.0.0.1:1/floe")
    with pytest.raises(StateStoreError) as info:
        await database.migrate()
    await database.dispose()
    message = str(info.value)
    assert "hunter2-secret" not in message
    assert "cannot migrate the state database" in message
    assert "\n" not in message
    assert info.value.__cause__ is None
