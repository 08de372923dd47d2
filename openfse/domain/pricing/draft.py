"""What the engine prices: an invoice draft (the JSON contract of docs/formats/price.md, typed).

Everything is already validated by ``contract.parse_draft`` (types, ranges, closed values); the
engine only checks what needs the tariffs or several acts at once (unknown code, modifiers,
association…). Money is ``Decimal`` euros with at most two decimals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from openfse.domain.pricing.codes import (
    Exo,
    Gestion,
    Grid,
    NatureAssurance,
    Nomenclature,
    Parcours,
    Profession,
    Qualificatif,
    SortantC2S,
)
from openfse.money import ZERO

ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class PsContext:
    """The billing professional: speciality, secteur conventionnel, OPTAM adhesion."""

    specialite: str | None = None
    secteur: int = 1
    optam: bool = False

    @property
    def grid(self) -> Grid:
        # docs/rules.md §B.5: secteur 1 or OPTAM → first column, otherwise the « hors » column.
        if self.secteur == 1 or self.optam:
            return Grid.SECTEUR1_OPTAM
        return Grid.HORS_SECTEUR1_HORS_OPTAM


@dataclass(frozen=True, slots=True)
class PatientContext:
    """The patient's situation on the date of care (rights read from the card or ADRI)."""

    age: int | None = None  # years at date_soins; None = unknown, treated as an adult
    regime: str = "01"
    regime_local_alsace_moselle: bool = False
    ald: bool = False
    c2s: bool = False
    ame: bool = False
    maternite: bool = False  # covered by the assurance maternité on this date
    at_mp: bool = False  # care given under an accident du travail / maladie professionnelle
    parcours: Parcours | None = None
    sortant_c2s: SortantC2S = SortantC2S.NON
    victime_attentat: bool = False
    # Age on 1 January of the year of care, when the birth date is known: the PF and franchise
    # exemption is « moins de 18 ans au 1er janvier » (docs/rules.md §D.4).
    age_1er_janvier: int | None = None


@dataclass(frozen=True, slots=True)
class ModifierDraft:
    """A CCAM modifier; ``percent``/``amount`` given only when the catalogue does not know it."""

    code: str
    percent: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class AmountOverride:
    """Manual AMO / AMC amounts of one act (manuel eS-KAP+ « Détails de l'acte »)."""

    amo: Decimal | None = None
    amc: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ActDraft:
    code: str
    nomenclature: Nomenclature = Nomenclature.NGAP
    quantity: int | None = None  # None: 1, or the billable km computed from distance_km
    coefficient: Decimal = ONE
    unit_price: Decimal | None = None  # NGAP/COX: value of the key; CCAM: PU of the grid
    modifiers: tuple[ModifierDraft, ...] = ()
    association_code: int | None = None
    qualificatif: Qualificatif | None = None
    depassement: Decimal = ZERO
    total_amount: Decimal | None = None  # « Montant total » typed by hand (acts + dépassement)
    exo: Exo | None = None
    soins_en_rapport_ald: bool | None = None
    date: date | None = None
    activity: int = 1
    phase: int = 0
    grille: Grid | None = None
    supplement_charge: Decimal = ZERO
    remboursement_exceptionnel: bool = False
    distance_km: Decimal | None = None  # IK: one-way distance from the professional address
    prevention_ebd: bool = False  # soins consécutifs à un examen bucco-dentaire (co-financed)
    override: AmountOverride | None = None


@dataclass(frozen=True, slots=True)
class AmcContract:
    """The complementary insurer's contract as printed on the tiers-payant card."""

    formula: str
    parameter: Decimal | None = None  # percentage: 100 means 100 %
    gestion: Gestion = Gestion.SEPAREE
    contrat_responsable: bool = True


@dataclass(frozen=True, slots=True)
class TiersPayant:
    amo: bool = False
    amc: bool = False


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    date_soins: date
    profession: Profession
    acts: tuple[ActDraft, ...]
    ps: PsContext = field(default_factory=PsContext)
    patient: PatientContext = field(default_factory=PatientContext)
    nature_assurance: NatureAssurance = NatureAssurance.MALADIE
    amc: AmcContract | None = None
    tiers_payant: TiersPayant = field(default_factory=TiersPayant)
    exo: Exo | None = None  # invoice-level exonération, default of every act
    soins_en_rapport_ald: bool = False  # invoice-level answer, default of every act
    smg_amount: Decimal | None = None  # « Montant de la prise en charge SMG »
