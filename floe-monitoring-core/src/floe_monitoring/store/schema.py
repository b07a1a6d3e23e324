"""The state store's tables (SQLAlchemy Core). Alembic migrations create exactly these.

No table holds a secret: events are stored as the JSON the channels receive, channel
configurations are never stored, and errors are stored as the channels' redacted text.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from floe_monitoring.store.types import BigIntPK, JSONDocument, UTCDateTime

__all__ = [
    "channel_state",
    "check_results",
    "contracts",
    "incident_states",
    "incidents",
    "job_marks",
    "metadata",
    "notifications",
    "observed_schemas",
    "schedules",
    "silences",
    "sla_rollups",
    "suppressions",
]

# Stable constraint names, so migrations can refer to them on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

KEY = 255  # check keys, dedup keys and contract ids are at most this long

contracts = Table(
    "contracts",
    metadata,
    Column("contract_id", String(KEY), primary_key=True),
    Column("name", String(KEY), nullable=False),
    Column("version", String(64), nullable=False, default=""),
    Column("domain", String(KEY)),
    Column("owner", String(KEY)),
    Column("source", Text, comment="file the contract was loaded from"),
    Column("document", JSONDocument, nullable=False, comment="the ODCS document, for cold start"),
    Column("fingerprint", String(64), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("registered_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("retired_at", UTCDateTime),
)

schedules = Table(
    "schedules",
    metadata,
    Column("check_key", String(KEY), primary_key=True),
    Column(
        "contract_id",
        String(KEY),
        ForeignKey("contracts.contract_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("check_type", String(32), nullable=False),
    Column("element", String(KEY)),
    Column("interval_seconds", Float, nullable=False),
    Column("next_due_at", UTCDateTime, nullable=False),
    Column("last_due_at", UTCDateTime),
    Column("last_status", String(16)),
    Column("lease_owner", String(128)),
    Column("lease_expires_at", UTCDateTime),
    Column("fence", Integer, nullable=False, default=0, comment="bumped on every claim"),
    Index(None, "next_due_at"),
)

check_results = Table(
    "check_results",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("check_key", String(KEY), nullable=False),
    Column("contract_id", String(KEY), nullable=False),
    Column("check_type", String(32), nullable=False),
    Column("element", String(KEY)),
    Column("status", String(16), nullable=False),
    Column("severity", String(16)),
    Column("measured_value", Float),
    Column("threshold", Float),
    Column("unit", String(32)),
    Column("message", Text, nullable=False),
    Column("reason", String(128)),
    Column("details", JSONDocument),
    Column("started_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime),
    Column("duration_seconds", Float, nullable=False),
    Column("table_name", String(512)),
    Column("snapshot_id", BigIntPK),
    Column("trace_id", String(32)),
    Column("in_maintenance", Boolean, nullable=False, default=False),
    # Queries of one check name its contract too: no (check_key, started_at) index, a
    # quarter of each row's bytes (migration 0003).
    Index(None, "contract_id", "started_at"),
    Index(None, "started_at"),
)

incident_states = Table(
    "incident_states",
    metadata,
    Column("check_key", String(KEY), primary_key=True),
    Column("contract_id", String(KEY), nullable=False),
    Column("state", JSONDocument, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

incidents = Table(
    "incidents",
    metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("dedup_key", String(KEY), nullable=False),
    Column("contract_id", String(KEY), nullable=False),
    Column("check_key", String(KEY), nullable=False),
    Column("check_type", String(32), nullable=False),
    Column("element", String(KEY)),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False, comment="firing | resolved | acknowledged"),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("acknowledged_at", UTCDateTime),
    Column("acknowledged_by", String(KEY)),
    Column("occurrences", Integer, nullable=False, default=1),
    Column("last_message", Text),
    Index(None, "contract_id", "status"),
    Index(None, "dedup_key"),
)

notifications = Table(
    "notifications",
    metadata,
    Column(
        "delivery_id", String(36), primary_key=True, comment="the event_id of a single delivery"
    ),
    Column("channel", String(KEY), nullable=False),
    Column("events", JSONDocument, nullable=False, comment="the events, as channels receive them"),
    Column("event_count", Integer, nullable=False, default=1),
    Column("contract_id", String(KEY), nullable=False),
    Column("dedup_key", String(KEY), nullable=False),
    Column("event_status", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False, comment="pending | delivered | dead"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("deadline_at", UTCDateTime, nullable=False),
    Column("lease_owner", String(128)),
    Column("lease_expires_at", UTCDateTime),
    Column("last_error", Text),
    Column("last_reason", String(32)),
    Column("last_status_code", Integer),
    Column("delivered_at", UTCDateTime),
    Column("dead_at", UTCDateTime),
    Column("receipt", JSONDocument),
    Index(None, "status", "next_attempt_at"),
    Index(None, "channel", "status"),
    Index(None, "created_at"),
)

suppressions = Table(
    "suppressions",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("dedup_key", String(KEY), nullable=False),
    Column("contract_id", String(KEY), nullable=False),
    Column("channel", String(KEY)),
    Column("reason", String(32), nullable=False),
    Column("detail", Text),
    Index(None, "contract_id", "created_at"),
)

channel_state = Table(
    "channel_state",
    metadata,
    Column("channel", String(KEY), primary_key=True),
    Column("key", String(KEY), primary_key=True),
    Column("value", Text, nullable=False),
    Column("expires_at", UTCDateTime),
)

observed_schemas = Table(
    "observed_schemas",
    metadata,
    Column("check_key", String(KEY), primary_key=True),
    Column("fingerprint", String(128), nullable=False),
    Column("schema", JSONDocument, nullable=False),
    Column("observed_at", UTCDateTime, nullable=False),
)

silences = Table(
    "silences",
    metadata,
    Column("silence_id", String(36), primary_key=True),
    Column("matchers", JSONDocument, nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("created_by", String(KEY)),
    Column("comment", Text),
    Column("created_at", UTCDateTime, nullable=False),
)

# Hourly and daily SLA rollups per contract and check type: hourly ones kept for
# `hourly_retention`, daily ones for ever (raw results go first; see retention.py).
# Counts and sums only, so they are maintained by adding deltas; durations are integer
# microseconds so incremental maintenance and a rebuild agree exactly.
sla_rollups = Table(
    "sla_rollups",
    metadata,
    Column("contract_id", String(KEY), primary_key=True),
    Column("granularity", String(8), primary_key=True, comment="hour | day"),
    Column("bucket_start", UTCDateTime, primary_key=True),
    Column("check_type", String(32), primary_key=True),
    Column("pass_count", Integer, nullable=False, default=0),
    Column("warn_count", Integer, nullable=False, default=0),
    Column("fail_count", Integer, nullable=False, default=0),
    Column("error_count", Integer, nullable=False, default=0),
    Column("skipped_count", Integer, nullable=False, default=0),
    Column("maintenance_count", Integer, nullable=False, default=0),
    Column("good_us", BigInteger, nullable=False, default=0, comment="time in SLA"),
    Column("observed_us", BigInteger, nullable=False, default=0, comment="time with a verdict"),
    Column("maintenance_us", BigInteger, nullable=False, default=0),
    Column("measured_count", Integer, nullable=False, default=0),
    Column("measured_sum", Float, nullable=False, default=0.0),
    Column("measured_min", Float),
    Column("measured_max", Float),
    Index(None, "granularity", "bucket_start"),
)

# High-water marks of the singleton jobs (e.g. how far raw results have been pruned, so a
# rollup rebuild never recomputes a day whose raw results are gone).
job_marks = Table(
    "job_marks",
    metadata,
    Column("name", String(KEY), primary_key=True),
    Column("mark", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
