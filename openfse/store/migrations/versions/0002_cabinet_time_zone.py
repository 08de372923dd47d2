"""cabinet time zone (issue 11: the cabinet's clock); patient search by NIR and birth date

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cabinet", schema=None) as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=40),
                                      server_default="Europe/Paris", nullable=False))
    op.create_index("ix_patient_cabinet_beneficiary_nir", "patient",
                    ["cabinet_id", "beneficiary_nir"], unique=False)
    op.create_index("ix_patient_cabinet_birth_date_text", "patient",
                    ["cabinet_id", "birth_date_text"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_patient_cabinet_birth_date_text", table_name="patient")
    op.drop_index("ix_patient_cabinet_beneficiary_nir", table_name="patient")
    with op.batch_alter_table("cabinet", schema=None) as batch_op:
        batch_op.drop_column("time_zone")
