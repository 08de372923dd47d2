"""Building blocks shared by the tables: ids, timestamps, addresses, enums, tenant keys.

Tenant isolation is enforced twice: repositories always filter on ``cabinet_id``, and a row
that points at another cabinet row (a coverage at its patient, a user at its professional)
does so through a **composite foreign key** ``(parent_id, cabinet_id)`` → ``parent(id,
cabinet_id)``: the database itself refuses a coverage of cabinet 1 attached to a patient of
cabinet 2 (see ``tenant_fk``).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Connection, Enum, ForeignKeyConstraint, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column
from sqlalchemy.types import TypeEngine

from openfse.store.models.search_text import joined_key
from openfse.store.models.types import UtcDateTime, utc_now


class IntId:
    """Integer autoincrement primary key (a rowid alias on SQLite, SERIAL-like on PostgreSQL)."""

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True, sort_order=-10)


class Timestamps:
    """Creation and last-update instants, in UTC."""

    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now, sort_order=10)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now,
                                                 onupdate=utc_now, sort_order=10)


class Address:
    """A postal address (France by default; ``country`` set only when abroad)."""

    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(100))


def search_column_type(length: int) -> TypeEngine[str]:
    """A search-key column: byte-order collation so that prefix ranges use the index.

    PostgreSQL's default (linguistic) collation orders "LE GALL" and "LEGALL" by letters only,
    which breaks ``key >= 'ELO' AND key < 'ELP'``; collation "C" compares bytes like SQLite.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class SearchKeyed:
    """Rows whose search-key columns are derived from name columns at every flush.

    ``__search_keys__`` maps each key column to the name attributes it is built from, in
    order (``{"search_name": ("last_name", "first_name")}``). A key is NULL when its first
    source is empty (e.g. no nom d'usage), so it matches nothing.
    """

    __search_keys__: ClassVar[dict[str, tuple[str, ...]]] = {}

    def refresh_search_keys(self) -> None:
        for key_column, sources in self.__search_keys__.items():
            parts = [getattr(self, name) for name in sources]
            setattr(self, key_column, joined_key(*parts) if parts[0] else None)


@event.listens_for(SearchKeyed, "before_insert", propagate=True)
@event.listens_for(SearchKeyed, "before_update", propagate=True)
def _refresh_search_keys(mapper: Mapper[Any], connection: Connection,
                         target: SearchKeyed) -> None:
    target.refresh_search_keys()


def str_enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint holding the values."""
    return Enum(enum_class, name=name, native_enum=False, create_constraint=True,
                length=max(len(m.value) for m in enum_class),
                values_callable=lambda members: [m.value for m in members])


def tenant_unique() -> UniqueConstraint:
    """``UNIQUE (id, cabinet_id)``: the target of composite foreign keys from child tables."""
    return UniqueConstraint("id", "cabinet_id")


def tenant_fk(column: str, parent_table: str, *, ondelete: str | None = None,
              **kwargs: Any) -> ForeignKeyConstraint:
    """Foreign key ``(column, cabinet_id)`` → ``parent_table(id, cabinet_id)``.

    The referenced row must belong to the same cabinet. A NULL ``column`` disables the check
    (standard SQL MATCH SIMPLE), so optional links stay optional.
    """
    return ForeignKeyConstraint([column, "cabinet_id"],
                                [f"{parent_table}.id", f"{parent_table}.cabinet_id"],
                                ondelete=ondelete, **kwargs)


class DataSource(enum.StrEnum):
    """Where identity or coverage data came from (shown to the user, drives refreshes)."""

    VITALE = "vitale"  # read from the carte Vitale
    ADRI = "adri"  # téléservice ADRi (droits du jour)
    APCV = "apcv"  # appli carte Vitale
    ATTESTATION = "attestation"  # paper or datamatrix attestation typed or scanned
    MANUEL = "manuel"  # typed by the desk


class UserRole(enum.StrEnum):
    TITULAIRE = "titulaire"
    REMPLACANT = "remplacant"
    SECRETAIRE = "secretaire"
    ADMIN = "admin"


class ProfessionalKind(enum.StrEnum):
    TITULAIRE = "titulaire"
    REMPLACANT = "remplacant"


class Sex(enum.StrEnum):
    MASCULIN = "M"
    FEMININ = "F"
    INDETERMINE = "I"  # INS allows an undetermined sex


class AmcGestion(enum.StrEnum):
    """AMC claim routing: through the AMO (unique) or a separate DRE to the AMC (séparée)."""

    UNIQUE = "unique"
    SEPAREE = "separee"
