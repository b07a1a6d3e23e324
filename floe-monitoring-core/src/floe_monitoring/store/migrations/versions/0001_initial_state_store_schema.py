"""Initial state store schema.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 01:06:58.010981
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import floe_monitoring.store.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "channel_state",
        sa.Column("channel", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column(
            "expires_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("channel", "key", name=op.f("pk_channel_state")),
    )
    op.create_table(
        "check_results",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("check_key", sa.String(length=255), nullable=False),
        sa.Column("contract_id", sa.String(length=255), nullable=False),
        sa.Column("check_type", sa.String(length=32), nullable=False),
        sa.Column("element", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("measured_value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=128), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "started_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("due_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("table_name", sa.String(length=512), nullable=True),
        sa.Column(
            "snapshot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("trace_id", sa.String(length=32), nullable=True),
        sa.Column("in_maintenance", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_results")),
    )
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_check_results_check_key_started_at"),
            ["check_key", "started_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_check_results_contract_id_started_at"),
            ["contract_id", "started_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_check_results_started_at"), ["started_at"], unique=False
        )

    op.create_table(
        "contracts",
        sa.Column("contract_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("owner", sa.String(length=255), nullable=True),
        sa.Column("source", sa.Text(), nullable=True, comment="file the contract was loaded from"),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="the ODCS document, for cold start",
        ),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "registered_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "retired_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("contract_id", name=op.f("pk_contracts")),
    )
    op.create_table(
        "incident_states",
        sa.Column("check_key", sa.String(length=255), nullable=False),
        sa.Column("contract_id", sa.String(length=255), nullable=False),
        sa.Column(
            "state",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "updated_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("check_key", name=op.f("pk_incident_states")),
    )
    op.create_table(
        "incidents",
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column("dedup_key", sa.String(length=255), nullable=False),
        sa.Column("contract_id", sa.String(length=255), nullable=False),
        sa.Column("check_key", sa.String(length=255), nullable=False),
        sa.Column("check_type", sa.String(length=32), nullable=False),
        sa.Column("element", sa.String(length=255), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.String(length=16),
            nullable=False,
            comment="firing | resolved | acknowledged",
        ),
        sa.Column(
            "opened_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "last_seen_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "resolved_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "acknowledged_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("acknowledged_by", sa.String(length=255), nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("last_message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incidents_contract_id_status"), ["contract_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_incidents_dedup_key"), ["dedup_key"], unique=False)

    op.create_table(
        "notifications",
        sa.Column(
            "delivery_id",
            sa.String(length=36),
            nullable=False,
            comment="the event_id of a single delivery",
        ),
        sa.Column("channel", sa.String(length=255), nullable=False),
        sa.Column(
            "events",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="the events, as channels receive them",
        ),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.String(length=255), nullable=False),
        sa.Column("dedup_key", sa.String(length=255), nullable=False),
        sa.Column("event_status", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column(
            "status", sa.String(length=16), nullable=False, comment="pending | delivered | dead"
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "next_attempt_at",
            floe_monitoring.store.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "deadline_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column(
            "lease_expires_at",
            floe_monitoring.store.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_reason", sa.String(length=32), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column(
            "delivered_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("dead_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "receipt",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_channel_status"), ["channel", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notifications_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notifications_status_next_attempt_at"),
            ["status", "next_attempt_at"],
            unique=False,
        )

    op.create_table(
        "observed_schemas",
        sa.Column("check_key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column(
            "schema",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "observed_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("check_key", name=op.f("pk_observed_schemas")),
    )
    op.create_table(
        "silences",
        sa.Column("silence_id", sa.String(length=36), nullable=False),
        sa.Column(
            "matchers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "starts_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "ends_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column(
            "created_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("silence_id", name=op.f("pk_silences")),
    )
    op.create_table(
        "suppressions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "created_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("dedup_key", sa.String(length=255), nullable=False),
        sa.Column("contract_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppressions")),
    )
    with op.batch_alter_table("suppressions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_suppressions_contract_id_created_at"),
            ["contract_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "schedules",
        sa.Column("check_key", sa.String(length=255), nullable=False),
        sa.Column("contract_id", sa.String(length=255), nullable=False),
        sa.Column("check_type", sa.String(length=32), nullable=False),
        sa.Column("element", sa.String(length=255), nullable=True),
        sa.Column("interval_seconds", sa.Float(), nullable=False),
        sa.Column(
            "next_due_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "last_due_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_status", sa.String(length=16), nullable=True),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column(
            "lease_expires_at",
            floe_monitoring.store.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("fence", sa.Integer(), nullable=False, comment="bumped on every claim"),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.contract_id"],
            name=op.f("fk_schedules_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("check_key", name=op.f("pk_schedules")),
    )
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schedules_next_due_at"), ["next_due_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedules_next_due_at"))

    op.drop_table("schedules")
    with op.batch_alter_table("suppressions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suppressions_contract_id_created_at"))

    op.drop_table("suppressions")
    op.drop_table("silences")
    op.drop_table("observed_schemas")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_status_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_notifications_created_at"))
        batch_op.drop_index(batch_op.f("ix_notifications_channel_status"))

    op.drop_table("notifications")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_dedup_key"))
        batch_op.drop_index(batch_op.f("ix_incidents_contract_id_status"))

    op.drop_table("incidents")
    op.drop_table("incident_states")
    op.drop_table("contracts")
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_results_started_at"))
        batch_op.drop_index(batch_op.f("ix_check_results_contract_id_started_at"))
        batch_op.drop_index(batch_op.f("ix_check_results_check_key_started_at"))

    op.drop_table("check_results")
    op.drop_table("channel_state")
