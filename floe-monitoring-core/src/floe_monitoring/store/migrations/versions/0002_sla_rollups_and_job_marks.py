"""SLA rollups and job marks.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 01:26:12.985716
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import floe_monitoring.store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "job_marks",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("mark", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "updated_at", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_marks")),
    )
    op.create_table(
        "sla_rollups",
        sa.Column("contract_id", sa.String(length=255), nullable=False),
        sa.Column("granularity", sa.String(length=8), nullable=False, comment="hour | day"),
        sa.Column(
            "bucket_start", floe_monitoring.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("check_type", sa.String(length=32), nullable=False),
        sa.Column("pass_count", sa.Integer(), nullable=False),
        sa.Column("warn_count", sa.Integer(), nullable=False),
        sa.Column("fail_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.Column("maintenance_count", sa.Integer(), nullable=False),
        sa.Column("good_us", sa.BigInteger(), nullable=False, comment="time in SLA"),
        sa.Column("observed_us", sa.BigInteger(), nullable=False, comment="time with a verdict"),
        sa.Column("maintenance_us", sa.BigInteger(), nullable=False),
        sa.Column("measured_count", sa.Integer(), nullable=False),
        sa.Column("measured_sum", sa.Float(), nullable=False),
        sa.Column("measured_min", sa.Float(), nullable=True),
        sa.Column("measured_max", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint(
            "contract_id", "granularity", "bucket_start", "check_type", name=op.f("pk_sla_rollups")
        ),
    )
    with op.batch_alter_table("sla_rollups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sla_rollups_granularity_bucket_start"),
            ["granularity", "bucket_start"],
            unique=False,
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("sla_rollups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sla_rollups_granularity_bucket_start"))

    op.drop_table("sla_rollups")
    op.drop_table("job_marks")
