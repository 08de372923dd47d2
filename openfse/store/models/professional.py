"""Health professionals of the cabinet (titulaires, remplaçants), their replacement calendar,
and the prescribers they bill for.

Identifier formats (validated by ``openfse.ids`` before they get here): RPPS 11 digits, ADELI
9 characters, numéro de facturation (numéro AM) 8 digits + 1 key digit, organisme
(régime 2 + caisse 3 + centre 4). A remplaçant bills under the numéro de facturation of the
titulaire he replaces that day (docs/protocols.md §1.2), so his own number is optional.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openfse.store.base import Base, CabinetScoped
from openfse.store.models.common import (
    Address,
    IntId,
    ProfessionalKind,
    SearchKeyed,
    Timestamps,
    search_column_type,
    str_enum,
    tenant_fk,
    tenant_unique,
)


class Professional(IntId, Timestamps, Address, CabinetScoped, Base):
    """A PS who bills from this cabinet (the "PS exécutant" of an FSE)."""

    __tablename__ = "professional"
    __table_args__ = (
        tenant_unique(),
        UniqueConstraint("cabinet_id", "rpps", name="uq_professional_cabinet_rpps"),
        UniqueConstraint("cabinet_id", "adeli", name="uq_professional_cabinet_adeli"),
        UniqueConstraint("cabinet_id", "billing_number",
                         name="uq_professional_cabinet_billing_number"),
        # Convention sector: 1 (tarifs opposables) or 2 (honoraires libres); NULL if none.
        CheckConstraint("sector IN (1, 2)", name="sector"),
    )

    kind: Mapped[ProfessionalKind] = mapped_column(
        str_enum(ProfessionalKind, "professional_kind"))
    rpps: Mapped[str | None] = mapped_column(String(11))
    adeli: Mapped[str | None] = mapped_column(String(9))
    billing_number: Mapped[str | None] = mapped_column(String(8))  # numéro de facturation
    billing_key: Mapped[str | None] = mapped_column(String(1))  # its clé
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    profession_code: Mapped[str | None] = mapped_column(String(4))
    specialty_code: Mapped[str | None] = mapped_column(String(3))  # code spécialité
    sector: Mapped[int | None] = mapped_column(SmallInteger)
    optam: Mapped[bool] = mapped_column(default=False)
    convention_code: Mapped[str | None] = mapped_column(String(2))  # conventionnement
    practice_mode: Mapped[str | None] = mapped_column(String(2))  # mode d'exercice
    # Caisse de rattachement (destination of his lots).
    regime: Mapped[str | None] = mapped_column(String(2))
    caisse: Mapped[str | None] = mapped_column(String(3))
    centre: Mapped[str | None] = mapped_column(String(4))
    active: Mapped[bool] = mapped_column(default=True)


class ReplacementDay(IntId, CabinetScoped, Base):
    """One day on which a remplaçant replaces a titulaire (the remplaçant's calendar)."""

    __tablename__ = "replacement_day"
    __table_args__ = (
        tenant_fk("remplacant_id", "professional", ondelete="CASCADE"),
        tenant_fk("titulaire_id", "professional", ondelete="CASCADE"),
        UniqueConstraint("cabinet_id", "remplacant_id", "day",
                         name="uq_replacement_day_remplacant_day"),
        CheckConstraint("remplacant_id <> titulaire_id", name="not_self"),
        Index("ix_replacement_day_titulaire_day", "titulaire_id", "day"),
    )

    remplacant_id: Mapped[int]
    titulaire_id: Mapped[int]
    day: Mapped[date]


class Prescriber(IntId, Timestamps, Address, SearchKeyed, CabinetScoped, Base):
    """A prescriber (médecin, sage-femme…) whose prescriptions the cabinet bills for.

    Found by the start of his last *or* first name (manuel eS-KAP+, « Prescripteurs » : « en début
    de prénom ou nom »): ``search_name`` is "NOM PRENOM", ``search_first_name`` "PRENOM NOM".
    """

    __tablename__ = "prescriber"
    __search_keys__ = {"search_name": ("last_name", "first_name"),
                       "search_first_name": ("first_name", "last_name")}
    __table_args__ = (
        tenant_unique(),  # invoices point at their prescriber within the cabinet
        UniqueConstraint("cabinet_id", "rpps", name="uq_prescriber_cabinet_rpps"),
        UniqueConstraint("cabinet_id", "am_number", name="uq_prescriber_cabinet_am_number"),
        Index("ix_prescriber_cabinet_search", "cabinet_id", "search_name"),
        Index("ix_prescriber_cabinet_search_first", "cabinet_id", "search_first_name"),
    )

    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str | None] = mapped_column(String(100))
    rpps: Mapped[str | None] = mapped_column(String(11))
    adeli: Mapped[str | None] = mapped_column(String(9))
    am_number: Mapped[str | None] = mapped_column(String(9))  # numéro AM (8 digits + clé)
    specialty_code: Mapped[str | None] = mapped_column(String(3))
    structure: Mapped[str | None] = mapped_column(String(200))  # établissement, centre
    phone: Mapped[str | None] = mapped_column(String(20))
    search_name: Mapped[str] = mapped_column(search_column_type(200))
    search_first_name: Mapped[str | None] = mapped_column(search_column_type(200))
