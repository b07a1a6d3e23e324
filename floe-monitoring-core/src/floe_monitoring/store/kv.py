"""The per-channel key-value store, kept in the state database (survives restarts)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from floe_monitoring.sdk.event import now_utc
from floe_monitoring.store.database import Database
from floe_monitoring.store.schema import channel_state
from floe_monitoring.store.upsert import upsert

__all__ = ["DatabaseChannelState"]


class DatabaseChannelState:
    """A `ChannelStateStore` for one configured channel (for example Slack's thread ts).

    Args:
        database: The state database.
        channel: The configured channel's name (the namespace of its keys).
    """

    def __init__(self, database: Database, channel: str) -> None:
        self._db = database
        self._channel = channel

    async def get(self, key: str) -> str | None:
        """Return the value stored under `key`, or None when absent or expired."""
        query = select(channel_state.c.value, channel_state.c.expires_at).where(
            channel_state.c.channel == self._channel, channel_state.c.key == key
        )
        async with self._db.connect() as connection:
            row = (await connection.execute(query)).first()
        if row is None:
            return None
        value, expires_at = row
        if expires_at is not None and expires_at <= now_utc():
            await self.delete(key)
            return None
        return str(value)

    async def set(self, key: str, value: str, *, ttl_seconds: float | None = None) -> None:
        """Store `value` under `key` (insert or replace)."""
        expires = None if ttl_seconds is None else now_utc() + timedelta(seconds=ttl_seconds)
        row = {"channel": self._channel, "key": key, "value": value, "expires_at": expires}
        async with self._db.begin() as connection:
            await upsert(connection, channel_state, [row], keys=("channel", "key"))

    async def delete(self, key: str) -> None:
        """Forget `key`."""
        statement = delete(channel_state).where(
            channel_state.c.channel == self._channel, channel_state.c.key == key
        )
        async with self._db.begin() as connection:
            await connection.execute(statement)
