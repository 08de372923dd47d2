"""invoice ownership, idempotency keys, invoices to validate (issues 12, 13)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # POST /api/invoices « Idempotency-Key »: written with the invoice (issue 12, finding 18).
    op.create_table(
        "invoice_idempotency",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cabinet_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["cabinet_id"], ["cabinet.id"],
                                name=op.f("fk_invoice_idempotency_cabinet_id_cabinet"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["invoice_id", "cabinet_id"],
                                ["invoice.id", "invoice.cabinet_id"],
                                name=op.f("fk_invoice_idempotency_invoice_id_invoice")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_idempotency")),
        sa.UniqueConstraint("cabinet_id", "key", name="uq_invoice_idempotency_cabinet_key"),
    )
    with op.batch_alter_table("invoice_idempotency", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_idempotency_cabinet_id"), ["cabinet_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_idempotency_invoice_id"), ["invoice_id"],
                              unique=False)

    # Invoices prepared by the secrétariat, « à valider » by their professional (issue 13, 8).
    op.create_table(
        "prepared_invoice",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("professional_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("prepared_by", sa.Integer(), nullable=True),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cabinet_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["cabinet_id"], ["cabinet.id"],
                                name=op.f("fk_prepared_invoice_cabinet_id_cabinet"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["professional_id", "cabinet_id"],
                                ["professional.id", "professional.cabinet_id"],
                                name=op.f("fk_prepared_invoice_professional_id_professional"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["patient_id", "cabinet_id"],
                                ["patient.id", "patient.cabinet_id"],
                                name=op.f("fk_prepared_invoice_patient_id_patient"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["prepared_by", "cabinet_id"],
                                ["app_user.id", "app_user.cabinet_id"],
                                name=op.f("fk_prepared_invoice_prepared_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prepared_invoice")),
    )
    with op.batch_alter_table("prepared_invoice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prepared_invoice_cabinet_id"), ["cabinet_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_prepared_invoice_professional_id"),
                              ["professional_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("prepared_invoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prepared_invoice_professional_id"))
        batch_op.drop_index(batch_op.f("ix_prepared_invoice_cabinet_id"))
    op.drop_table("prepared_invoice")
    with op.batch_alter_table("invoice_idempotency", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_idempotency_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_idempotency_cabinet_id"))
    op.drop_table("invoice_idempotency")
