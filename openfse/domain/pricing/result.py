"""What the engine returns: the priced invoice, per act and in total, with its warnings.

Invariant (checked by tests/property/test_pricing_invariants.py): for every act and for the
invoice, ``amo + amc + patient == honoraires`` exactly, every amount has two decimals.
``amo`` is the gross AMO share (what the FSE shows, manuel eS-KAP+ « Total Caisse »); the
participation forfaitaire and franchises are reported beside it and deducted in ``amo_net``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openfse.domain.pricing.codes import Exo, Nomenclature, Profession, Qualificatif
from openfse.domain.pricing.draft import TiersPayant


@dataclass(frozen=True, slots=True)
class Warning:  # the contract's name (shadows the builtin inside this package only)
    """Something the user should check; the invoice is still priced."""

    code: str
    message_fr: str
    act_index: int | None = None


PricingWarning = Warning


@dataclass(frozen=True, slots=True)
class PricedAct:
    index: int
    code: str
    nomenclature: Nomenclature
    date: date
    quantity: int
    coefficient: Decimal
    unit_price: Decimal
    modifiers: tuple[str, ...]
    association_code: int | None
    qualificatif: Qualificatif | None
    exo: Exo | None
    br: Decimal  # base de remboursement (tarif de responsabilité)
    depassement: Decimal
    honoraires: Decimal  # montant facturé = dépense réelle
    taux_amo: Decimal  # percent
    amo: Decimal
    amc: Decimal
    patient: Decimal
    forfait_24: Decimal  # part of the 24 € forfait borne by this act
    participation_forfaitaire: Decimal
    franchise: Decimal


@dataclass(frozen=True, slots=True)
class Payments:
    """Who pays the professional what (tiers payant flags and gestion unique/séparée)."""

    caisse: Decimal  # the AMO organism (and the AMC share in gestion unique)
    organisme_amc: Decimal  # the AMC organism in gestion séparée
    patient: Decimal  # at the desk


@dataclass(frozen=True, slots=True)
class PricedInvoice:
    date_soins: date
    profession: Profession
    acts: tuple[PricedAct, ...]
    total_honoraires: Decimal
    total_br: Decimal
    forfait_acte_lourd_24: Decimal
    amo_brut: Decimal
    participation_forfaitaire: Decimal
    participation_forfaitaire_count: int
    franchise: Decimal
    amo_net: Decimal
    amc: Decimal
    patient: Decimal  # Σ per-act patient shares = total − AMO brut − AMC
    reste_a_charge_final: Decimal  # after every reimbursement: patient + PF + franchise
    a_regler_par_patient_au_ps: Decimal
    tiers_payant: TiersPayant  # as applied (obligatory cases switched on)
    payments: Payments
    warnings: tuple[Warning, ...]
