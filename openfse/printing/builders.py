"""Builders: from the pricing engine's result (and the invoice's payments) to the view models.

The invoice workflow keeps, for every invoice, the engine's draft (``pricing.InvoiceDraft``)
and its result (``pricing.PricedInvoice``); ``docs/printing.md`` maps the stored invoice onto
them. These functions turn them into the printed lines, shares and payments so that nobody
re-derives an amount while printing:

- ``lines_from_priced``: one ``ActLine`` per priced act (code, coefficient, quantity,
  honoraires, dépassement and qualificatif, kilometres of an IK line, CCAM details);
- ``shares_from_priced``: total, part AMO (gross, as on the FSE), part AMC, part de l'assuré;
- ``care_sheet_from_pricing`` / ``receipt_from_pricing``: the whole document, identities
  given by the caller;
- ``receipt_payments``: the invoice's payments as printed on the note d'honoraires (what the
  addressee paid; the insurers' tiers-payant payments are shown as their parts instead).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Protocol

from openfse.domain.pricing import ActDraft, InvoiceDraft, PricedAct, PricedInvoice
from openfse.domain.pricing.codes import Nomenclature
from openfse.domain.pricing.ik import ZONE_OF_CODE
from openfse.errors import OpenFSEError
from openfse.money import ZERO
from openfse.printing.documents import (
    NO_ADDRESS,
    ActLine,
    Address,
    Cabinet,
    CareSheet,
    Company,
    PaperMode,
    Patient,
    Prescription,
    Professional,
    Receipt,
    ReceiptPayment,
    Shares,
    WorkAccident,
)
from openfse.printing.errors import InvalidPrintData
from openfse.referentials import ngap
from openfse.referentials.professions import specialite_by_code

__all__ = [
    "PaymentLike",
    "act_label",
    "care_sheet_from_pricing",
    "ccam_detail",
    "conventionnement_label",
    "lines_from_priced",
    "receipt_from_pricing",
    "receipt_payments",
    "shares_from_priced",
    "specialite_label",
]

# Who paid, as ``openfse.domain.payment.Payer`` stores it: only the patient's (or the
# « Facturer à » recipient's) payments are « paiements reçus » of the note.
ADDRESSEE_PAYER = "patient"


class PaymentLike(Protocol):
    """What ``receipt_payments`` reads of a payment (``openfse.domain.payment.Payment`` has
    it): ``kind`` and ``payer`` are the stored codes (enum values or strings)."""

    @property
    def kind(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def paid_on(self) -> date: ...
    @property
    def payer(self) -> str: ...
    @property
    def reference(self) -> str: ...
    @property
    def payer_name(self) -> str: ...


# --------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------


def conventionnement_label(secteur: int | None, optam: bool = False) -> str:
    """The printed conventionnement (docs/rules.md §B.5: secteur 1, secteur 2, OPTAM).

    >>> conventionnement_label(1)
    'Conventionné secteur 1'
    >>> conventionnement_label(2, optam=True)
    'Conventionné secteur 2 — adhérent OPTAM'
    >>> conventionnement_label(None)
    'Non conventionné'
    """
    if secteur is None:
        return "Non conventionné"
    label = f"Conventionné secteur {secteur}"
    return f"{label} — adhérent OPTAM" if optam else label


def specialite_label(specialite_code: str | None) -> str:
    """The médecin's spécialité from its SESAM-Vitale code (``01`` → « Médecine générale »);
    empty for the other professions, whose profession is their activity.

    >>> specialite_label("01")
    'Médecine générale'
    """
    if not specialite_code:
        return ""
    try:
        return specialite_by_code(specialite_code).label
    except OpenFSEError as error:
        raise InvalidPrintData(error.message, field="professional.specialite") from error


def act_label(profession: str, act: PricedAct, labels: Mapping[str, str] | None = None) -> str:
    """A label for the note d'honoraires: the caller's (CCAM labels come from the active
    catalogue), else the NGAP tariff's label on the act's date, else the NGAP catalogue's."""
    if labels and act.code in labels:
        return labels[act.code]
    if act.nomenclature is Nomenclature.CCAM:
        return ""
    key = ngap.lookup(profession, act.code, act.date)
    if key is not None:
        return key.label
    return ngap.catalogue_label(act.code) or ""


def ccam_detail(act: PricedAct, drafted: ActDraft | None = None) -> str:
    """The CCAM parts of a line as the forms print them: activité and phase (from the
    drafted act: the result does not repeat them), modificateurs, code association; empty
    for NGAP lines (e.g. ``act. 1 · ph. 0 · mod. F · asso. 1``).
    """
    if act.nomenclature is not Nomenclature.CCAM:
        return ""
    parts = [] if drafted is None else [f"act. {drafted.activity}", f"ph. {drafted.phase}"]
    if act.modifiers:
        parts.append("mod. " + " ".join(act.modifiers))
    if act.association_code is not None:
        parts.append(f"asso. {act.association_code}")
    return " · ".join(parts)


# --------------------------------------------------------------------------------------------
# Lines, shares, payments
# --------------------------------------------------------------------------------------------


def lines_from_priced(priced: PricedInvoice, draft: InvoiceDraft | None = None,
                      labels: Mapping[str, str] | None = None) -> tuple[ActLine, ...]:
    """One printed line per priced act, in billing order; ``draft`` (the priced draft) adds
    the CCAM activité and phase."""
    profession = priced.profession.value

    def drafted(act: PricedAct) -> ActDraft | None:
        if draft is None or not 0 <= act.index < len(draft.acts):
            return None
        return draft.acts[act.index]

    return tuple(
        ActLine(
            date=act.date,
            code=act.code,
            amount=act.honoraires,
            coefficient=act.coefficient,
            quantity=act.quantity,
            depassement=act.depassement,
            qualificatif=act.qualificatif.value if act.qualificatif is not None else "",
            # NGAP art. 13 C: an IK line's quantity is the billable kilometres.
            ik_km=Decimal(act.quantity) if act.code in ZONE_OF_CODE else None,
            detail=ccam_detail(act, drafted(act)),
            label=act_label(profession, act, labels),
        )
        for act in priced.acts
    )


def shares_from_priced(priced: PricedInvoice) -> Shares:
    """Total and parts as the FSE shows them: AMO gross (participation forfaitaire and
    franchises are deducted by the caisse later), AMC, assuré — they add up to the total."""
    return Shares(total=priced.total_honoraires, amo=priced.amo_brut, amc=priced.amc,
                  patient=priced.patient)


def receipt_payments(payments: Iterable[PaymentLike]) -> tuple[ReceiptPayment, ...]:
    """The addressee's payments, oldest first (the insurers' are tiers payant, not listed)."""
    kept = [p for p in payments if str(p.payer) == ADDRESSEE_PAYER]
    kept.sort(key=lambda p: p.paid_on)
    return tuple(
        ReceiptPayment(paid_on=p.paid_on, kind=str(p.kind), amount=p.amount,
                       reference=p.reference, payer=p.payer_name)
        for p in kept
    )


# --------------------------------------------------------------------------------------------
# Whole documents
# --------------------------------------------------------------------------------------------


def _require_same_profession(professional: Professional, priced: PricedInvoice) -> None:
    if professional.profession != priced.profession.value:
        raise InvalidPrintData(
            f"Profession du praticien ({professional.profession}) différente de celle de la "
            f"facture ({priced.profession.value}).",
            field="professional.profession",
        )


def care_sheet_from_pricing(
    draft: InvoiceDraft,
    priced: PricedInvoice,
    *,
    mode: PaperMode,
    invoice_number: str,
    issued_on: date,
    professional: Professional,
    patient: Patient,
    prescription: Prescription | None = None,
    accident_travail: WorkAccident | None = None,
    medecin_traitant: str = "",
    amount_received: Decimal = ZERO,
    labels: Mapping[str, str] | None = None,
    with_qr: bool = True,
) -> CareSheet:
    """The feuille de soins of a priced invoice: lines and shares from ``priced``, the
    conditions (nature, exonération, parcours) from ``draft``, tiers payant as applied by the
    engine (obligatory cases switched on)."""
    _require_same_profession(professional, priced)
    return CareSheet(
        mode=mode,
        invoice_number=invoice_number,
        issued_on=issued_on,
        professional=professional,
        patient=patient,
        lines=lines_from_priced(priced, draft, labels),
        shares=shares_from_priced(priced),
        nature=draft.nature_assurance.value,
        accident_travail=accident_travail,
        exoneration=draft.exo.value if draft.exo is not None else "",
        parcours=draft.patient.parcours.value if draft.patient.parcours is not None else "",
        medecin_traitant=medecin_traitant,
        prescription=prescription,
        tiers_payant_amo=priced.tiers_payant.amo,
        tiers_payant_amc=priced.tiers_payant.amc,
        amount_received=amount_received,
        with_qr=with_qr,
    )


def receipt_from_pricing(
    priced: PricedInvoice,
    *,
    draft: InvoiceDraft | None = None,
    invoice_number: str,
    issued_on: date,
    cabinet: Cabinet,
    professional: Professional,
    patient_last_name: str,
    patient_first_name: str,
    patient_address: Address = NO_ADDRESS,
    bill_to: Company | None = None,
    payments: Iterable[PaymentLike] = (),
    labels: Mapping[str, str] | None = None,
    with_qr: bool = True,
) -> Receipt:
    """The note d'honoraires of a priced invoice: the parts the insurers pay in tiers payant
    are deducted from what the addressee owes (AMO gross, AMC)."""
    _require_same_profession(professional, priced)
    return Receipt(
        invoice_number=invoice_number,
        issued_on=issued_on,
        cabinet=cabinet,
        professional=professional,
        patient_last_name=patient_last_name,
        patient_first_name=patient_first_name,
        patient_address=patient_address,
        bill_to=bill_to,
        lines=lines_from_priced(priced, draft, labels),
        total=priced.total_honoraires,
        tiers_payant_amo=priced.amo_brut if priced.tiers_payant.amo else ZERO,
        tiers_payant_amc=priced.amc if priced.tiers_payant.amc else ZERO,
        payments=receipt_payments(payments),
        with_qr=with_qr,
    )
