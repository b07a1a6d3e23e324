"""The state store: results, incidents, the outbox, channel state and contracts.

SQLAlchemy 2 async over SQLite (embedded default, WAL, owner-only file) or PostgreSQL
(production), the same code on both; Alembic migrations applied on start.
"""

from floe_monitoring.store.cycle import CycleWrite, StoredResult
from floe_monitoring.store.database import DEFAULT_STATE_URL, Database, head_revision, redact_url
from floe_monitoring.store.kv import DatabaseChannelState
from floe_monitoring.store.outbox import OutboxEntry, OutboxRepository, OutboxRow, OutboxStatus
from floe_monitoring.store.state_store import StateStore

__all__ = [
    "DEFAULT_STATE_URL",
    "CycleWrite",
    "Database",
    "DatabaseChannelState",
    "OutboxEntry",
    "OutboxRepository",
    "OutboxRow",
    "OutboxStatus",
    "StateStore",
    "StoredResult",
    "head_revision",
    "redact_url",
]
