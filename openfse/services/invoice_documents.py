"""The printed documents of a stored invoice: the paper feuille de soins (mode dégradé, or an
invoice hors télétransmission) and the note d'honoraires, as ``openfse.printing`` view models
and as PDF bytes.

The mapping follows ``docs/printing.md`` « From the stored invoice »: what was billed is read
from the invoice row and its acts (frozen at validation), never priced again, so a reprint
months later shows exactly what was sent. The parties (praticien, patient, organisms) come from
their rows as they are today.

    sheet = care_sheet_of(desk.uow(), invoice_id)          # CareSheet view model
    pdf = care_sheet_pdf(desk.uow(), invoice_id)           # application/pdf bytes
    pdf = receipt_pdf(desk.uow(), invoice_id)              # note d'honoraires
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openfse.domain.clock import Clock
from openfse.domain.invoice import InvoiceKind, InvoiceStatus, SecureMode
from openfse.domain.payment import Balance, Payer
from openfse.domain.pricing.ik import ZONE_OF_CODE
from openfse.domain.shares import InvoiceMoney, Shown, shown_state
from openfse.errors import InvalidInput
from openfse.money import ZERO
from openfse.printing import (
    ActLine,
    Address,
    AmcOrganism,
    AmoOrganism,
    Cabinet,
    CareSheet,
    Company,
    Insured,
    PaperMode,
    Prescription,
    Professional,
    Receipt,
    ReceiptShare,
    Shares,
    WorkAccident,
    render_care_sheet,
    render_receipt,
)
from openfse.printing import Patient as PrintedPatient
from openfse.printing.builders import (
    conventionnement_label,
    receipt_payments,
    specialite_label,
)
from openfse.referentials import ngap
from openfse.services import invoicing, shares
from openfse.services.prescribers import specialty_label as prescriber_specialty_label
from openfse.store.journal import JournalEntry
from openfse.store.models import Cabinet as CabinetRow
from openfse.store.models import (
    Invoice,
    InvoiceAct,
    InvoicePayment,
    Patient,
    ShareDecision,
    ShareTransfer,
)
from openfse.store.models import Professional as ProfessionalRow
from openfse.store.models.common import Address as AddressColumns
from openfse.store.models.coverage import AmoCoverage
from openfse.store.uow import UnitOfWork

__all__ = [
    "InvoiceRecord",
    "NotPrintable",
    "care_sheet_mode",
    "care_sheet_of",
    "care_sheet_pdf",
    "invoice_record",
    "patients_starting",
    "professional_choices",
    "receipt_of",
    "receipt_pdf",
]


class NotPrintable(InvalidInput):
    """The invoice cannot be printed as asked (draft, deleted, secured FSE…)."""

    code = "invoice_not_printable"


# What never gets a printed document: no number yet, or withdrawn before sending.
_NOT_PRINTABLE = {InvoiceStatus.DRAFT: "brouillon", InvoiceStatus.DELETED: "supprimée"}


def care_sheet_mode(row: Invoice) -> PaperMode | None:
    """Which paper feuille de soins the invoice calls for, if any.

    Mode dégradé: the FSE is signed by the CPS only and the paper sheet « comportant
    explicitement la notion de télétransmission en mode dégradé » goes to the caisse
    (docs/protocols.md §1.5). Hors télétransmission: no FSE at all, the paper is the claim.
    A secured (or désynchronisée, SESAM sans Vitale) FSE needs no paper.
    """
    if row.kind is not InvoiceKind.INVOICE or row.status in _NOT_PRINTABLE:
        return None
    if row.hors_teletransmission:
        return PaperMode.PAPIER
    if row.secure_mode is SecureMode.DEGRADE:
        return PaperMode.DEGRADE
    return None


def _require_printable(row: Invoice) -> str:
    """The invoice number as printed; refuses drafts, deleted invoices and cancellations."""
    if row.kind is not InvoiceKind.INVOICE:
        raise NotPrintable("Un document d'annulation ne s'imprime pas : imprimez la facture "
                           "annulée.")
    if row.status in _NOT_PRINTABLE or row.number is None:
        raise NotPrintable(f"Facture {_NOT_PRINTABLE.get(row.status, 'sans numéro')} : "
                           "aucun document ne peut être imprimé.")
    return str(row.number)


@dataclass(frozen=True, slots=True)
class _Parties:
    """The rows a document needs beside the invoice, read in the same unit of work."""

    invoice: Invoice
    patient: Patient
    billing: ProfessionalRow
    amo: AmoCoverage | None
    amc_name: str
    amc_adherent: str
    prescription: Prescription | None
    cabinet: Cabinet


def _parties(uow: UnitOfWork, invoice_id: int) -> _Parties:
    row = uow.invoices.get_full(invoice_id)
    patient = uow.patients.get(row.patient_id)
    billing = uow.professionals.get(row.billing_professional_id)
    amc_name = amc_adherent = ""
    if row.amc_coverage_id is not None:
        for coverage in uow.amc_coverages.for_patient(patient.id):
            if coverage.id == row.amc_coverage_id:
                amc_name = coverage.amc_name or ""
                amc_adherent = coverage.adherent_number or ""
    return _Parties(
        invoice=row, patient=patient, billing=billing,
        amo=_amo_used(uow.amo_coverages.for_patient(patient.id), row.date_soins),
        amc_name=amc_name, amc_adherent=amc_adherent,
        prescription=_prescription(uow, row),
        cabinet=_cabinet(uow.cabinets.get(row.cabinet_id)))


def _cabinet(row: CabinetRow) -> Cabinet:
    return Cabinet(name=row.name, address=_address_of(row))


def _address_of(row: AddressColumns) -> Address:
    lines = tuple(text for text in (row.address_line1, row.address_line2) if text)
    return Address(lines=lines, postcode=row.postal_code or "", city=row.city or "")


def _amo_used(coverages: Iterable[AmoCoverage], on: date) -> AmoCoverage | None:
    """The AMO coverage in force on the date of care, else the most recent one."""
    rows = list(coverages)
    for coverage in rows:
        starts, ends = coverage.rights_start, coverage.rights_end
        if (starts is None or starts <= on) and (ends is None or on <= ends):
            return coverage
    return rows[-1] if rows else None


def _prescription(uow: UnitOfWork, row: Invoice) -> Prescription | None:
    if not row.prescription or row.prescription_date is None:
        return None
    if row.prescriber_id is None:
        return Prescription(prescriber_name="Prescripteur non renseigné",
                            date=row.prescription_date)
    prescriber = uow.prescribers.get(row.prescriber_id)
    name = " ".join(part for part in (prescriber.last_name, prescriber.first_name) if part)
    return Prescription(prescriber_name=name, date=row.prescription_date,
                        prescriber_id=prescriber.rpps or prescriber.am_number or "",
                        specialite=prescriber_specialty_label(prescriber.specialty_code))


def _professional(row: ProfessionalRow, profession: str) -> Professional:
    billing = (row.billing_number or "") + (row.billing_key or "")
    return Professional(
        last_name=row.last_name, first_name=row.first_name or "", profession=profession,
        billing_number=billing, rpps=row.rpps or "",
        specialite=specialite_label(row.specialty_code) if profession == "medecin" else "",
        conventionnement=conventionnement_label(row.sector, bool(row.optam)))


def _patient(parties: _Parties) -> PrintedPatient:
    row, patient = parties.invoice, parties.patient
    if parties.amo is None:
        raise NotPrintable("Feuille de soins : le patient n'a pas d'organisme AMO "
                           "(régime, caisse, centre).", field="patient.amo")
    amo = parties.amo
    amc = (AmcOrganism(row.amc_number, parties.amc_name, parties.amc_adherent)
           if row.amc_number else None)
    insured = None
    if patient.quality and patient.quality != "00" and patient.insured_last_name:
        insured = Insured(patient.insured_last_name, patient.insured_first_name or "")
    return PrintedPatient(
        last_name=patient.usage_name or patient.last_name, first_name=patient.first_name or "",
        nir=row.assure_nir or "", birth_date=row.beneficiary_birth_date_text or "",
        amo=AmoOrganism(amo.regime + amo.caisse + amo.centre), rank=row.beneficiary_rank or 1,
        amc=amc, insured=insured, address=_address_of(patient))


def _act_label(profession: str, act: InvoiceAct, labels: Mapping[str, str]) -> str:
    # NGAP labels come from the tariff in force on the act's date; CCAM ones from the caller
    # (the active catalogue), else none.
    if act.code in labels:
        return labels[act.code]
    if act.nomenclature.upper() == "CCAM":
        return ""
    key = ngap.lookup(profession, act.code, act.act_date)
    return key.label if key is not None else (ngap.catalogue_label(act.code) or "")


def _ccam_detail(act: InvoiceAct) -> str:
    if act.nomenclature.upper() != "CCAM":
        return ""
    parts = [f"act. {act.activity}", f"ph. {act.phase}"]
    if act.applied_modifiers:
        parts.append("mod. " + " ".join(str(m) for m in act.applied_modifiers))
    if act.applied_association_code is not None:
        parts.append(f"asso. {act.applied_association_code}")
    return " · ".join(parts)


def _lines(row: Invoice, labels: Mapping[str, str]) -> tuple[ActLine, ...]:
    return tuple(
        ActLine(
            date=act.act_date, code=act.code, amount=act.honoraires,
            coefficient=act.coefficient, quantity=act.quantity, depassement=act.depassement,
            qualificatif=act.qualificatif or "",
            # NGAP art. 13 C: an IK line's quantity is the billable kilometres.
            ik_km=Decimal(act.quantity) if act.code in ZONE_OF_CODE else None,
            detail=_ccam_detail(act), label=_act_label(row.profession, act, labels))
        for act in row.acts)


def _issued_on(uow: UnitOfWork, row: Invoice, printed_on: date | None) -> date:
    # The validation day on the cabinet's clock (not the server's: an invoice validated at
    # 00:30 in Paris, 23:30 UTC, is dated that Paris day, like its acts), unless the caller
    # prints « as of » another day.
    if printed_on is not None:
        return printed_on
    assert row.validated_at is not None  # every numbered invoice was validated
    return Clock(uow.cabinets.get(uow.require_cabinet()).time_zone).day_of(row.validated_at)


def _patient_paid(row: Invoice) -> Decimal:
    return sum((p.amount for p in row.payments if p.payer is Payer.PATIENT), ZERO)


def care_sheet_of(uow: UnitOfWork, invoice_id: int, *, printed_on: date | None = None,
                  labels: Mapping[str, str] | None = None) -> CareSheet:
    """The paper feuille de soins of a degraded or hors-télétransmission invoice.

    Raises:
        NotPrintable: draft, deleted, cancellation document, or a secured FSE (no paper).
        InvalidPrintData: the stored data does not make a valid sheet (field named).
    """
    with uow:
        parties = _parties(uow, invoice_id)
        row = parties.invoice
        number = _require_printable(row)
        mode = care_sheet_mode(row)
        if mode is None:
            raise NotPrintable("La feuille de soins papier s'imprime pour une facture en mode "
                               "dégradé ou hors télétransmission ; celle-ci est une FSE "
                               "sécurisée.")
        accident = (WorkAccident(row.at_date, row.at_identifiant or "")
                    if row.nature_assurance == "at" and row.at_date is not None else None)
        sheet_shares = Shares(total=row.total, amo=row.amo, amc=row.amc,
                              patient=row.patient_share)
        due_at_desk = row.total - (row.amo if row.tiers_payant_amo else ZERO) \
            - (row.amc if row.tiers_payant_amc else ZERO)
        return CareSheet(
            mode=mode, invoice_number=number, issued_on=_issued_on(uow, row, printed_on),
            professional=_professional(parties.billing, row.profession),
            patient=_patient(parties), lines=_lines(row, labels or {}), shares=sheet_shares,
            nature=row.nature_assurance, accident_travail=accident, exoneration=row.exo or "",
            parcours=row.parcours or "", prescription=parties.prescription,
            tiers_payant_amo=row.tiers_payant_amo, tiers_payant_amc=row.tiers_payant_amc,
            # « Paiement reçu » attests what was received for these acts: an overpayment
            # (to be refunded) is not part of it.
            amount_received=min(_patient_paid(row), max(due_at_desk, ZERO)))


def receipt_of(uow: UnitOfWork, invoice_id: int, *, printed_on: date | None = None,
               labels: Mapping[str, str] | None = None) -> Receipt:
    """The note d'honoraires of a validated invoice (any mode, cancelled ones included: the
    patient may need the note of what was paid before the cancellation).

    Raises:
        NotPrintable: draft, deleted or cancellation document.
        InvalidPrintData: the stored data does not make a valid note (field named).
    """
    with uow:
        parties = _parties(uow, invoice_id)
        row, patient = parties.invoice, parties.patient
        number = _require_printable(row)
        bill_to = None
        if row.bill_to_name:
            lines = tuple(line.strip() for line in (row.bill_to_address or "").splitlines()
                          if line.strip())[:4]
            bill_to = Company(row.bill_to_name, Address(lines=lines),
                              row.bill_to_siret or "")
        return Receipt(
            invoice_number=number, issued_on=_issued_on(uow, row, printed_on),
            cabinet=parties.cabinet,
            professional=_professional(parties.billing, row.profession),
            patient_last_name=patient.usage_name or patient.last_name,
            patient_first_name=patient.first_name or "", lines=_lines(row, labels or {}),
            total=row.total, patient_address=_address_of(patient), bill_to=bill_to,
            tiers_payant_amo=row.amo if row.tiers_payant_amo else ZERO,
            tiers_payant_amc=row.amc if row.tiers_payant_amc else ZERO,
            payments=receipt_payments(row.payments),
            insurer_shares=_insurer_shares(row, shares.money_of(uow, [row])[row.id]))


def _insurer_shares(row: Invoice, money: InvoiceMoney) -> tuple[ReceiptShare, ...]:
    """Where each insurer's tiers-payant part stands (issue 13: the note said the mutuelle
    paid after its reject): its state, and what of it was billed to the patient. In gestion
    unique the caisse pays the AMC part with its own (docs/formats/price.md ``paiements``):
    that part shares the AMO share's fate."""
    amo_part = row.amo if row.tiers_payant_amo else ZERO
    amc_part = row.amc if row.tiers_payant_amc else ZERO
    found: list[ReceiptShare] = []
    rest = ZERO  # billed to the patient beyond the AMO part: the AMC part in gestion unique
    if amo_part > 0 and money.amo.due > 0:
        billed = min(money.amo.billed_to_patient, amo_part)
        rest = money.amo.billed_to_patient - billed
        found.append(ReceiptShare("amo", money.amo.label, billed))
    if amc_part > 0:
        separate = money.amc.due > 0
        share = money.amc if separate else money.amo
        billed = money.amc.billed_to_patient if separate else rest
        if separate or money.amo.due > 0:
            found.append(ReceiptShare("amc", share.label, min(billed, amc_part)))
    return tuple(found)


def care_sheet_pdf(uow: UnitOfWork, invoice_id: int, *, printed_on: date | None = None,
                   labels: Mapping[str, str] | None = None) -> bytes:
    """The feuille de soins as an A4 PDF (``PrintingUnavailable`` without WeasyPrint)."""
    return render_care_sheet(care_sheet_of(uow, invoice_id, printed_on=printed_on,
                                           labels=labels))


def receipt_pdf(uow: UnitOfWork, invoice_id: int, *, printed_on: date | None = None,
                labels: Mapping[str, str] | None = None) -> bytes:
    """The note d'honoraires as an A4 PDF (``PrintingUnavailable`` without WeasyPrint)."""
    return render_receipt(receipt_of(uow, invoice_id, printed_on=printed_on, labels=labels))


# --------------------------------------------------------------------------------------------
# The invoice as the « Factures » screens show it (detail page, list filters)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    """One invoice with what its detail page shows beside it: the people, the linked
    cancellation document (or the invoice a document cancels), the balance and the status
    history read from the journal."""

    invoice: Invoice  # acts and payments loaded
    patient: Patient
    professional: ProfessionalRow
    billing: ProfessionalRow
    linked: Invoice | None  # the cancellation document, or the invoice it cancels
    history: tuple[JournalEntry, ...]
    # What each payer owes and where each share stands: computed inside the unit of work
    # (a lazy read after it failed on a rejected invoice, issue 13 defect 2).
    balance: Balance
    money: InvoiceMoney
    shown: Shown  # the state the page shows (docs/money-states.md)
    # « Corriger et refacturer »: the invoice this one replaces, the one replacing it.
    replaces: Invoice | None = None
    replaced_by: Invoice | None = None

    @property
    def care_sheet_mode(self) -> PaperMode | None:
        return care_sheet_mode(self.invoice)


def invoice_record(uow: UnitOfWork, invoice_id: int) -> InvoiceRecord:
    """The detail page's invoice (``NotFound`` outside the cabinet)."""
    with uow:
        row = uow.invoices.get_full(invoice_id)
        linked = (uow.invoices.get(row.cancels_id) if row.cancels_id is not None
                  else uow.invoices.cancellation_of(row.id))
        replaces = None if row.replaces_id is None else uow.invoices.find(row.replaces_id)
        replaced_by = uow.invoices.replacement_of(row.id)
        journal = uow.journal_entries
        history = [*journal.history(Invoice.__tablename__, row.id)]
        for payment in row.payments:  # (a deleted payment's lines stay in the journal only)
            history.extend(journal.history(InvoicePayment.__tablename__, payment.id))
        for transfer in row.share_transfers:  # « Facturer au patient », decisions on shares
            history.extend(journal.history(ShareTransfer.__tablename__, transfer.id))
        for decision in row.share_decisions:
            history.extend(journal.history(ShareDecision.__tablename__, decision.id))
        money = shares.money_of(uow, [row])[row.id]
        return InvoiceRecord(
            invoice=row, patient=uow.patients.get(row.patient_id),
            professional=uow.professionals.get(row.professional_id),
            billing=uow.professionals.get(row.billing_professional_id), linked=linked,
            history=tuple(sorted(history, key=lambda e: (e.at, e.id))),
            balance=invoicing.balance_of(row), money=money,
            shown=shown_state(invoicing.state_of(row), money),
            replaces=replaces, replaced_by=replaced_by)


def professional_choices(uow: UnitOfWork) -> list[tuple[int, str]]:
    """The professionals of the cabinet for the list's filter: ``(id, "NOM Prénom")``."""
    with uow:
        return [(p.id, f"{p.last_name} {p.first_name or ''}".strip())
                for p in uow.professionals.list()]


def patients_starting(uow: UnitOfWork, prefix: str, *, limit: int = 20) -> list[Patient]:
    """Patients whose name starts with ``prefix`` (the list's « Patient » filter)."""
    with uow:
        return list(uow.patients.search(prefix, limit=limit))
