"""The database behind the state store: engine, pragmas, permissions and migrations.

SQLite (aiosqlite) is the embedded default, in WAL mode with an owner-only file;
PostgreSQL (asyncpg) is the production backend. The same code runs on both.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from floe_monitoring.errors import StateStoreError

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["DEFAULT_STATE_URL", "HEAD_REVISION", "Database", "head_revision", "redact_url"]

DEFAULT_STATE_URL = "sqlite+aiosqlite:///.floe/monitor.db"
# Any constant works; it only has to be the same for every replica.
_MIGRATION_LOCK_ID = 0x0F10E_5747E

_log = logging.getLogger("floe_monitoring.store")

#: The newest migration shipped (a test keeps it equal to the migration scripts' head).
#: A database already there is opened without importing alembic, which costs a
#: short-lived CLI command about a third of its start-up.
HEAD_REVISION = "0003"


def redact_url(url: str | URL) -> str:
    """The URL with its password masked (for logs, errors and `status`)."""
    try:
        parsed = make_url(str(url))
    except Exception:
        return "<unparsable database URL>"
    return parsed.render_as_string(hide_password=True)


class Database:
    """An async SQLAlchemy engine plus the migrations that shape it.

    Args:
        url: SQLAlchemy URL (``sqlite+aiosqlite:///path.db`` or
            ``postgresql+asyncpg://user@host/db``). A plain ``postgresql://`` or
            ``sqlite://`` URL gets the async driver.
        pool_size: Connections kept open (PostgreSQL).
        echo: Log every statement (debugging).
    """

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        parsed = make_url(url)
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+asyncpg")
        elif parsed.drivername == "sqlite":
            parsed = parsed.set(drivername="sqlite+aiosqlite")
        self.url = parsed
        self.dialect = parsed.get_backend_name()
        options: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            self._prepare_sqlite_file()
        else:
            options.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(parsed, **options)
        self._write_lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)

    def __repr__(self) -> str:
        return f"<Database {redact_url(self.url)}>"

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded backend."""
        return self.dialect == "sqlite"

    def _prepare_sqlite_file(self) -> None:
        database = self.url.database
        if not database or database == ":memory:":
            return
        path = Path(database)
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)
        if not path.exists():
            # Create it owner-only before SQLite does, so it is never world-readable.
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, stat.S_IRUSR | stat.S_IWUSR)
            os.close(fd)
        else:
            os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """One transaction: committed when the block ends, rolled back on error.

        On SQLite, transactions of this process take turns on an asyncio lock: SQLite has
        one writer at a time anyway, and waiting on the lock replaces SQLite's busy
        handler (which sleeps in steps of up to 100 ms) and the "database is locked"
        errors of a deferred transaction that cannot upgrade to a writer.
        """
        if not self.is_sqlite:
            async with self.engine.begin() as connection:
                yield connection
            return
        async with self._writer(), self.engine.begin() as connection:
            yield connection

    def _writer(self) -> asyncio.Lock:
        # One lock per event loop: a Database may outlive the loop it was first used on.
        loop = asyncio.get_running_loop()
        if self._write_lock is None or self._write_lock[0] is not loop:
            self._write_lock = (loop, asyncio.Lock())
        return self._write_lock[1]

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads (autocommit-style: no transaction held open)."""
        async with self.engine.connect() as connection:
            yield connection

    async def ping(self) -> bool:
        """True when the database answers."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def migrate(self) -> str | None:
        """Bring the schema to the newest revision; safe from several replicas at once.

        Returns:
            The revision the database is at afterwards.

        Raises:
            StateStoreError: The database cannot be reached or migrated (message
                without credentials).
        """
        try:
            async with self.engine.connect() as connection:
                if await connection.run_sync(_current_revision) == HEAD_REVISION:
                    return HEAD_REVISION
            async with self.engine.begin() as connection:
                if not self.is_sqlite:
                    await connection.execute(
                        text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
                    )
                await connection.run_sync(_upgrade)
                return await connection.run_sync(_current_revision)
        except StateStoreError:
            raise
        except Exception as exc:
            raise StateStoreError(
                f"cannot migrate the state database {redact_url(self.url)}: {type(exc).__name__}: "
                f"{_first_line(exc)}"
            ) from None

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def _first_line(exc: BaseException) -> str:
    text_ = str(exc).strip().splitlines()
    return text_[0] if text_ else ""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the CLI) work while the monitor writes; the busy timeout turns
    # brief lock contention into waiting instead of "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config() -> Config:
    """Alembic configuration pointing at the migrations shipped in this package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("floe_monitoring.store") / "migrations"))
    return config


def _upgrade(connection: Connection) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _current_revision(connection: Connection) -> str | None:
    # What alembic's MigrationContext.get_current_revision reads, without importing it.
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def head_revision() -> str | None:
    """The newest migration revision shipped with this package (read from the scripts)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
