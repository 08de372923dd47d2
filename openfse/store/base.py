"""Declarative base shared by every table, and the column types the house uses.

- ``Base``: one metadata for the whole schema, with a naming convention so that Alembic
  migrations name constraints the same way on SQLite and PostgreSQL.
- ``MoneyCents``: euros in Python (``Decimal``), integer cents in the database. SQLite stores
  ``NUMERIC`` as a binary float (sqlite.org/datatype3.html), so money is never stored as NUMERIC.
- ``CabinetScoped``: every table of cabinet data carries the cabinet (tenant) id.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

from openfse.money import from_cents, to_cents

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class MoneyCents(TypeDecorator[Decimal]):
    """A euro amount stored as integer cents (BIGINT)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, never float")
        return to_cents(Decimal(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return from_cents(int(value))


class CabinetScoped:
    """Mixin: the row belongs to one cabinet (tenant)."""

    @declared_attr
    def cabinet_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy declared_attr signature
        return mapped_column(ForeignKey("cabinet.id", ondelete="RESTRICT"), index=True)
