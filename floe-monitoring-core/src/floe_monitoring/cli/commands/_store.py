"""Opening the configured state store for a command (migrated, closed afterwards)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from floe_monitoring.cli.context import CliContext
from floe_monitoring.store import StateStore

__all__ = ["open_store"]


@asynccontextmanager
async def open_store(cli: CliContext) -> AsyncIterator[StateStore]:
    """The state store of the configured monitor."""
    config = cli.config()
    store = StateStore(config.state_url(), pool_size=2)
    try:
        await store.open()
        yield store
    finally:
        await store.close()
