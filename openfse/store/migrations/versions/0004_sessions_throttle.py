"""server-side sessions, log-in and CPS throttling (issue 12)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _cabinet_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["cabinet_id"], ["cabinet.id"],
                                   name=op.f(f"fk_{table}_cabinet_id_cabinet"),
                                   ondelete="RESTRICT")


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_id", "cabinet_id"],
                                   ["app_user.id", "app_user.cabinet_id"],
                                   name=op.f(f"fk_{table}_user_id_app_user"), ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cabinet_id", sa.Integer(), nullable=False),
        _cabinet_fk("login_failure"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_failure_cabinet_id"), ["cabinet_id"],
                              unique=False)
        batch_op.create_index("ix_login_failure_key_at", ["cabinet_id", "scope", "key", "at"],
                              unique=False)

    op.create_table(
        "pending_access",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cabinet_id", sa.Integer(), nullable=False),
        _cabinet_fk("pending_access"),
        _user_fk("pending_access"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_access")),
        sa.UniqueConstraint("cabinet_id", "user_id", name="uq_pending_access_cabinet_user"),
    )
    with op.batch_alter_table("pending_access", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_access_cabinet_id"), ["cabinet_id"],
                              unique=False)

    op.create_table(
        "web_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("credential", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cabinet_id", sa.Integer(), nullable=False),
        _cabinet_fk("web_session"),
        _user_fk("web_session"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_session_cabinet_id"), ["cabinet_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_web_session_expires_at"), ["expires_at"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_web_session_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("web_session")
    op.drop_table("pending_access")
    op.drop_table("login_failure")
