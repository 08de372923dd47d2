"""A patient's coverage: AMO rights (assurance maladie obligatoire), ALD, AMC contracts.

Each row is one period of rights as read from a source (Vitale, ADRi, attestation…); a
pricing lookup picks the row whose period contains the date of care. Codes are stored as the
SESAM-Vitale texts (régime "01", caisse "349", centre "9881", exonération, contract type
"89" = C2S) and interpreted by ``openfse.referentials``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openfse.store.base import Base, CabinetScoped
from openfse.store.models.common import (
    AmcGestion,
    DataSource,
    IntId,
    Timestamps,
    str_enum,
    tenant_fk,
)
from openfse.store.models.types import ScaledDecimal

if TYPE_CHECKING:
    from openfse.store.models.patient import Patient


def _period_check() -> CheckConstraint:
    return CheckConstraint("rights_end IS NULL OR rights_start IS NULL "
                           "OR rights_end >= rights_start", name="period")


def _patient_fk() -> ForeignKeyConstraint:
    return tenant_fk("patient_id", "patient", ondelete="CASCADE")


class PatientOwned(IntId, Timestamps, CabinetScoped):
    """A row that belongs to one patient of the same cabinet (deleted with the patient)."""

    patient_id: Mapped[int] = mapped_column(index=True)


class AmoCoverage(PatientOwned, Base):
    """AMO rights over a period: organism of attachment, exonération, régime local."""

    __tablename__ = "amo_coverage"
    __table_args__ = (_patient_fk(), _period_check())

    regime: Mapped[str] = mapped_column(String(2))
    caisse: Mapped[str] = mapped_column(String(3))
    centre: Mapped[str] = mapped_column(String(4))
    code_gestion: Mapped[str | None] = mapped_column(String(2))
    # How rights were proven: a code of referentials.codes.PIECE_JUSTIFICATIVE ("carte_vitale",
    # "attestation"…, manuel eS-KAP+) and, with a pièce, the « Taux de remboursement » read
    # on it (manuel eS-KAP+; codes in services.patient_forms.TAUX_REMBOURSEMENT).
    piece_justificative: Mapped[str | None] = mapped_column(String(20))
    taux_remboursement: Mapped[str | None] = mapped_column(String(20))
    rights_start: Mapped[date | None]
    rights_end: Mapped[date | None]
    exoneration: Mapped[str | None] = mapped_column(String(2))  # justificatif d'exonération TM
    alsace_moselle: Mapped[bool] = mapped_column(default=False)
    source: Mapped[DataSource] = mapped_column(str_enum(DataSource, "data_source"))

    patient: Mapped[Patient] = relationship(back_populates="amo_coverages")


class Ald(PatientOwned, Base):
    """An affection de longue durée (exonerates the ticket modérateur for related care)."""

    __tablename__ = "ald"
    __table_args__ = (_patient_fk(), _period_check())

    code: Mapped[str] = mapped_column(String(4))  # ALD list number, e.g. "8" diabète
    label: Mapped[str | None] = mapped_column(String(200))
    cim10: Mapped[str | None] = mapped_column(String(8))  # e.g. "E10"
    rights_start: Mapped[date | None]
    rights_end: Mapped[date | None]

    patient: Mapped[Patient] = relationship(back_populates="alds")


class AmcCoverage(PatientOwned, Base):
    """An AMC (complémentaire) contract: who pays what, and how the claim is routed."""

    __tablename__ = "amc_coverage"
    __table_args__ = (
        _patient_fk(),
        tenant_fk("amc_organism_id", "amc_organism"),
        _period_check(),
    )

    amc_organism_id: Mapped[int | None] = mapped_column(index=True)  # the cabinet's fiche
    amc_number: Mapped[str] = mapped_column(String(10))  # numéro AMC / NRM
    amc_name: Mapped[str | None] = mapped_column(String(200))
    # Fiche mutuelle of manuel eS-KAP+ (« Mutuelle »): pièce justificative
    # (codes.PIECE_JUSTIFICATIVE), gestion, période, paramètres of the attestation, date de
    # référence, aiguillage STS.
    piece_justificative: Mapped[str | None] = mapped_column(String(20))
    gestion: Mapped[AmcGestion] = mapped_column(str_enum(AmcGestion, "amc_gestion"))
    formula_code: Mapped[str | None] = mapped_column(String(3))  # e.g. "052" 100 % TM
    formula_parameter: Mapped[Decimal | None] = mapped_column(ScaledDecimal(2))  # e.g. 150 %
    contract_type: Mapped[str | None] = mapped_column(String(2))  # "89" = C2S
    contract_number: Mapped[str | None] = mapped_column(String(30))  # n° de contrat (not sent)
    adherent_number: Mapped[str | None] = mapped_column(String(30))
    csr: Mapped[str | None] = mapped_column(String(10))  # critère secondaire de routage
    convention_type: Mapped[str | None] = mapped_column(String(10))  # type de convention
    treatment_indicator: Mapped[str | None] = mapped_column(String(2))  # indicateur de traitement
    # Which date the AMC rights are checked at: execution | prescription | facturation.
    reference_date_code: Mapped[str | None] = mapped_column(String(12))
    # STS routing (« Aiguillage STS »): code, n° d'organisme complémentaire, code routage,
    # hôte and domaine of the AMC's online services.
    sts_routing_code: Mapped[str | None] = mapped_column(String(2))
    complementary_number: Mapped[str | None] = mapped_column(String(10))
    routing_code: Mapped[str | None] = mapped_column(String(10))
    host_id: Mapped[str | None] = mapped_column(String(64))
    domain: Mapped[str | None] = mapped_column(String(128))
    rights_start: Mapped[date | None]
    rights_end: Mapped[date | None]
    tiers_payant: Mapped[bool] = mapped_column(default=False)
    contrat_responsable: Mapped[bool] = mapped_column(default=True)
    source: Mapped[DataSource] = mapped_column(str_enum(DataSource, "data_source"))

    patient: Mapped[Patient] = relationship(back_populates="amc_coverages")
