"""The cabinet (tenant), its users and their preferences."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import JSON, CheckConstraint, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from openfse.store.base import Base, CabinetScoped
from openfse.store.models.common import (
    Address,
    IntId,
    Timestamps,
    UserRole,
    str_enum,
    tenant_fk,
    tenant_unique,
)


class Cabinet(IntId, Timestamps, Address, Base):
    """A practice: the unit of data isolation. Every other table carries its id."""

    __tablename__ = "cabinet"

    name: Mapped[str] = mapped_column(String(200))
    finess: Mapped[str | None] = mapped_column(String(9))  # structures only (centre de santé)
    # The cabinet's wall clock (IANA name, one of ``domain.clock.CABINET_ZONES``): its « today ».
    time_zone: Mapped[str] = mapped_column(String(40), default="Europe/Paris",
                                           server_default="Europe/Paris")


class AppUser(IntId, Timestamps, CabinetScoped, Base):
    """Someone who logs in. A titulaire/remplaçant user is linked to his professional record."""

    __tablename__ = "app_user"
    __table_args__ = (
        tenant_unique(),
        UniqueConstraint("cabinet_id", "login", name="uq_app_user_cabinet_login"),
        tenant_fk("professional_id", "professional"),
    )
    __journal_redacted__: ClassVar[frozenset[str]] = frozenset({"password_hash"})

    login: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[UserRole] = mapped_column(str_enum(UserRole, "user_role"))
    password_hash: Mapped[str | None] = mapped_column(String(255))  # NULL: card-only login
    professional_id: Mapped[int | None] = mapped_column(index=True)
    active: Mapped[bool] = mapped_column(default=True)


class Preference(IntId, Timestamps, CabinetScoped, Base):
    """A setting as JSON: cabinet-wide (``user_id`` NULL) or one user's own override.

    Two partial unique indexes give "one value per key" at each level; a plain UNIQUE over
    ``(cabinet_id, user_id, key)`` would not, since NULLs never collide in SQL.
    """

    __tablename__ = "preference"
    __table_args__ = (
        tenant_fk("user_id", "app_user", ondelete="CASCADE"),
        CheckConstraint("length(key) > 0", name="key_not_empty"),
        Index("uq_preference_cabinet_key", "cabinet_id", "key", unique=True,
              sqlite_where=text("user_id IS NULL"), postgresql_where=text("user_id IS NULL")),
        Index("uq_preference_user_key", "cabinet_id", "user_id", "key", unique=True,
              sqlite_where=text("user_id IS NOT NULL"),
              postgresql_where=text("user_id IS NOT NULL")),
    )

    user_id: Mapped[int | None] = mapped_column(index=True)
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSON)
