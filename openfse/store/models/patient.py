"""Patients (bénéficiaires de soins) and "clients professionnels" (companies billed directly).

Birth dates are kept as the **text** ``YYYYMMDD`` the card or attestation gives, because
lunar birth dates exist: persons born abroad whose civil record lacks the day or month are
registered with day or month ``00``, or a value above the calendar (a "date lunaire", e.g.
``19800015``), and the beneficiary is identified by (NIR de l'ouvrant droit, date de
naissance, rang de naissance) with that exact text (docs/rules.md §G; manuel eS-KAP+ "Date
lunaire"). ``birth_date`` is the calendar date when the text is one, else NULL (age
computations must then use the year only).

Search keys (``search_name`` = "NOM PRENOM", ``search_first_name`` = "PRENOM NOM",
``search_usage_name`` = "NOM D'USAGE PRENOM") are derived at flush time so that a prefix
typed in any of those orders is one indexed range scan (see ``repositories.patients``).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import CheckConstraint, Connection, Index, SmallInteger, String, Text, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship, validates

from openfse.errors import InvalidInput
from openfse.store.base import Base, CabinetScoped
from openfse.store.models.common import (
    Address,
    DataSource,
    IntId,
    SearchKeyed,
    Sex,
    Timestamps,
    search_column_type,
    str_enum,
    tenant_unique,
)
from openfse.store.models.types import ScaledDecimal

if TYPE_CHECKING:
    from openfse.store.models.coverage import Ald, AmcCoverage, AmoCoverage

_BIRTH_DATE_TEXT = re.compile(r"[0-9]{8}")


class InvalidBirthDate(InvalidInput):
    code = "invalid_birth_date"


def birth_date_from_text(text: str) -> date | None:
    """Validate a ``YYYYMMDD`` birth date text; return the calendar date, or None if lunar.

    >>> birth_date_from_text("19830101")
    datetime.date(1983, 1, 1)
    >>> birth_date_from_text("19800015") is None  # lunar: day 15 of month "00"
    True
    """
    if not _BIRTH_DATE_TEXT.fullmatch(text):
        raise InvalidBirthDate("La date de naissance doit comporter 8 chiffres (AAAAMMJJ).",
                               field="birth_date_text")
    year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
    if year < 1850:
        raise InvalidBirthDate(f"Année de naissance invalide : {year}.", field="birth_date_text")
    try:
        return date(year, month, day)
    except ValueError:
        return None  # lunar date: kept as text, no calendar date


class Patient(IntId, Timestamps, Address, SearchKeyed, CabinetScoped, Base):
    """A beneficiary of care, or a company billed outside teletransmission."""

    __tablename__ = "patient"
    __table_args__ = (
        tenant_unique(),
        # Covering indexes: the prefix range and the sort key are read from the index alone.
        Index("ix_patient_cabinet_search_name", "cabinet_id", "search_name"),
        Index("ix_patient_cabinet_search_first_name", "cabinet_id", "search_first_name",
              "search_name"),
        Index("ix_patient_cabinet_search_usage_name", "cabinet_id", "search_usage_name",
              "search_name"),
        Index("ix_patient_cabinet_nir", "cabinet_id", "nir"),
        # Searches at the desk by the beneficiary's own NIR and by date of birth.
        Index("ix_patient_cabinet_beneficiary_nir", "cabinet_id", "beneficiary_nir"),
        Index("ix_patient_cabinet_birth_date_text", "cabinet_id", "birth_date_text"),
        CheckConstraint("birth_rank BETWEEN 1 AND 9", name="birth_rank"),
    )
    __search_keys__ = {
        "search_name": ("last_name", "first_name"),
        "search_first_name": ("first_name", "last_name"),
        "search_usage_name": ("usage_name", "first_name"),
    }
    # Free text the journal must not copy (it records that they changed, not what they say).
    __journal_redacted__: ClassVar[frozenset[str]] = frozenset({"notes", "alert"})

    # Identity as on the card: NIR of the ouvrant droit (13 digits + 2-digit key) and, when
    # known, the beneficiary's own NIR (INS matricule).
    nir: Mapped[str | None] = mapped_column(String(15))
    beneficiary_nir: Mapped[str | None] = mapped_column(String(15))
    last_name: Mapped[str] = mapped_column(String(100))  # nom de naissance / nom légal
    usage_name: Mapped[str | None] = mapped_column(String(100))  # nom d'usage
    first_name: Mapped[str] = mapped_column(String(100), default="")
    birth_date_text: Mapped[str | None] = mapped_column(String(8))
    birth_date: Mapped[date | None]
    birth_rank: Mapped[int] = mapped_column(SmallInteger, default=1)  # rang de naissance
    quality: Mapped[str] = mapped_column(String(2), default="00")  # qualité: 00 = assuré
    sex: Mapped[Sex | None] = mapped_column(str_enum(Sex, "sex"))
    # The assuré (ouvrant droit) when the beneficiary is an ayant droit: the manual's
    # « INFORMATIONS ASSURÉ » block (manuel eS-KAP+, création manuelle). His NIR is ``nir``.
    insured_last_name: Mapped[str | None] = mapped_column(String(100))
    insured_first_name: Mapped[str | None] = mapped_column(String(100))
    mobile_phone: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    # Distances for indemnités kilométriques (NGAP IK / IKM montagne / IKS pied et ski), km.
    ik_plain_km: Mapped[Decimal | None] = mapped_column(ScaledDecimal(1))
    ik_mountain_km: Mapped[Decimal | None] = mapped_column(ScaledDecimal(1))
    ik_ski_km: Mapped[Decimal | None] = mapped_column(ScaledDecimal(1))
    source: Mapped[DataSource] = mapped_column(str_enum(DataSource, "data_source"),
                                               default=DataSource.MANUEL)
    notes: Mapped[str | None] = mapped_column(Text)
    alert: Mapped[str | None] = mapped_column(Text)  # shown when the file is opened
    # Dossier LOGOSw « Notes : ☒ Drapeau dans la liste des patients »: the list marks the patient.
    notes_flagged: Mapped[bool] = mapped_column(default=False)
    alsace_moselle: Mapped[bool] = mapped_column(default=False)  # régime local
    # "Client professionnel" (aide eS-KAP+): a company billed directly, no NIR.
    is_company: Mapped[bool] = mapped_column(default=False)
    company_name: Mapped[str | None] = mapped_column(String(200))
    company_siret: Mapped[str | None] = mapped_column(String(14))
    search_name: Mapped[str] = mapped_column(search_column_type(210))
    search_first_name: Mapped[str | None] = mapped_column(search_column_type(210))
    search_usage_name: Mapped[str | None] = mapped_column(search_column_type(210))

    amo_coverages: Mapped[list[AmoCoverage]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", passive_deletes=True)
    amc_coverages: Mapped[list[AmcCoverage]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", passive_deletes=True)
    alds: Mapped[list[Ald]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", passive_deletes=True)

    @validates("birth_date_text")
    def _validate_birth_date_text(self, _key: str, value: str | None) -> str | None:
        # Keep the calendar date in step with the text, whichever way the row is built.
        self.birth_date = None if value is None else birth_date_from_text(value)
        return value


@event.listens_for(Patient, "before_insert")
@event.listens_for(Patient, "before_update")
def _derive_birth_date(mapper: Mapper[Patient], connection: Connection, target: Patient) -> None:
    # birth_date is derived, never authoritative: a direct assignment is overwritten here.
    text = target.birth_date_text
    target.birth_date = None if text is None else birth_date_from_text(text)
