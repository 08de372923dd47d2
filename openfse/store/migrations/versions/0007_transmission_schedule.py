"""transmission schedule (issue 13)

- ``transmission_run``: one unattended end of day per cabinet and day (``openfse transmit
  --scheduled``, the in-app schedule), unique so two workers or a restart never run it twice
  (issue 13 defect 7).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transmission_run",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.String(length=1000), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=True),
        sa.Column("cabinet_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cabinet_id"],
            ["cabinet.id"],
            name=op.f("fk_transmission_run_cabinet_id_cabinet"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transmission_run")),
        sa.UniqueConstraint("cabinet_id", "day", name="uq_transmission_run_day"),
    )
    with op.batch_alter_table("transmission_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transmission_run_cabinet_id"), ["cabinet_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("transmission_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transmission_run_cabinet_id"))
    op.drop_table("transmission_run")
