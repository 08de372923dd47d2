"""per-payer share states (issue 13): what a person decided about a share

The states of the shares are derived from the facts already stored (lots, ARL, payment-return
lines, payments, share transfers); only a person's decisions are new facts: a share claimed on
paper, or written off (docs/money-states.md §3).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "share_decision",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column(
            "payer",
            sa.Enum(
                "patient", "amo", "amc", name="payer", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "paper_claim",
                "write_off",
                name="share_decision_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(length=250), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("cabinet_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_share_decision_amount_positive")),
        sa.ForeignKeyConstraint(
            ["cabinet_id"],
            ["cabinet.id"],
            name=op.f("fk_share_decision_cabinet_id_cabinet"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id", "cabinet_id"],
            ["invoice.id", "invoice.cabinet_id"],
            name=op.f("fk_share_decision_invoice_id_invoice"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_decision")),
    )
    with op.batch_alter_table("share_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_share_decision_cabinet_id"), ["cabinet_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_share_decision_invoice_id"), ["invoice_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("share_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_decision_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_share_decision_cabinet_id"))
    op.drop_table("share_decision")
