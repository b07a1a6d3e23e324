"""Raw results: drop the (check_key, started_at) index.

Every query of one check's results also names its contract, which the
(contract_id, started_at) index serves; the dropped index was a quarter of the bytes
each raw result costs (benchmarks/, scenario 5).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 07:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_results_check_key_started_at"))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("check_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_check_results_check_key_started_at"),
            ["check_key", "started_at"],
            unique=False,
        )
