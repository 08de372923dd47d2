"""Invoicing use cases: price and check a draft, validate it (number, store, journal — one
transaction), payments and balance, cancellation, deletion of unsent invoices, signature and
securing with the carte Vitale, the lists, and the status changes the transmission makes.

Every function takes a unit of work it has not entered yet (it opens and closes it) and
returns ORM rows or domain values that stay readable after it. Pricing always goes through the
engine (``openfse.domain.pricing.price``); the controls are ``openfse.domain.controls``.

    refs = InvoiceReferentials.of(ctx)
    preview = preview_invoice(desk.uow(), draft, refs=refs, today=desk.today)  # récapitulatif
    draft = preview.draft.with_override(0, amo=Decimal("19.00"), amc=None)   # « Changer AMO »
    result = validate_invoice(desk.uow(), draft, refs=refs, today=desk.today)
    record_payment(desk.uow(), result.invoice.id, Payment(PaymentKind.CB, …))
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select

from openfse.adapters.cards.errors import CardError
from openfse.domain.cards import VitaleCard
from openfse.domain.controls import (
    ActCatalog,
    BeneficiaryFacts,
    CcamFacts,
    ControlInput,
    Diagnostic,
    ProfessionalFacts,
    Severity,
    blocking,
    has_blocking,
    run_controls,
)
from openfse.domain.coverage import PricingSituation
from openfse.domain.invoice import (
    InvalidTransition,
    InvoiceDraft,
    InvoiceImmutable,
    InvoiceKind,
    InvoiceNumber,
    InvoiceState,
    InvoiceStatus,
    SecureMode,
    VitaleRequired,
    anonymous_minor_nir,
)
from openfse.domain.payment import Balance, Dues, Payer, Payment, balance
from openfse.domain.pricing import (
    AmcContract,
    PatientContext,
    PricedInvoice,
    PsContext,
    TariffSource,
    price,
    priced_to_json,
)
from openfse.domain.pricing.codes import Profession
from openfse.domain.shares import ShareDecisionKind
from openfse.errors import Conflict, InvalidInput, NotFound, OpenFSEError
from openfse.money import ZERO
from openfse.periods import Period
from openfse.referentials import professions as professions_ref
from openfse.services import coverage
from openfse.services.invoice_authority import (
    Acting,
    NotYourInvoice,
    check_acts_on,
    check_validates_for,
    refusal_for,
)
from openfse.services.numbering import allocate_number, run_writing
from openfse.store.journal import JournalAction, changes_of, to_json_value
from openfse.store.models import (
    Invoice,
    InvoiceAct,
    InvoiceAttachment,
    InvoiceIdempotencyKey,
    InvoicePayment,
    Patient,
    Professional,
    ProfessionalKind,
)
from openfse.store.models.types import utc_now
from openfse.store.repositories.invoices import InvoiceFilters
from openfse.store.uow import UnitOfWork

if TYPE_CHECKING:
    from openfse.services.context import AppContext

T = TypeVar("T")

__all__ = [
    "Acting",
    "ControlsFailed",
    "DeskContext",
    "IdempotencyKey",
    "IdempotencyKeyReused",
    "NotYourInvoice",
    "InvoiceFilters",
    "InvoiceReferentials",
    "Preview",
    "SignatureReport",
    "ValidationResult",
    "acknowledge",
    "balance_of",
    "cancel_invoice",
    "delete_payment",
    "delete_unsent",
    "desk_context",
    "edit_payment",
    "get_attachment",
    "get_invoice",
    "invoice_of_key",
    "invoices_to_secure",
    "list_invoices",
    "mark_paid",
    "mark_sent",
    "patient_unpaid_total",
    "preview_invoice",
    "price_invoice",
    "put_in_lot",
    "record_payment",
    "reject",
    "run_invoice_controls",
    "secure_invoices",
    "sign_invoices",
    "signed_content",
    "state_of",
    "validate_invoice",
]


class ControlsFailed(InvalidInput):
    """Validation refused: at least one blocking diagnostic (all of them are attached)."""

    code = "controls_failed"

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        blocking_ones = [d for d in diagnostics if d.is_blocking]
        super().__init__(
            f"Facture refusée par les contrôles ({len(blocking_ones)} erreur(s)) : "
            + " ".join(d.message_fr for d in blocking_ones))
        self.diagnostics = tuple(diagnostics)


@dataclass(frozen=True, slots=True)
class InvoiceReferentials:
    """What pricing and the controls read: the tariffs and the CCAM facts."""

    tariffs: TariffSource
    catalog: ActCatalog

    @classmethod
    def of(cls, ctx: AppContext) -> InvoiceReferentials:
        """From the application context: its tariffs and CCAM catalogue in force."""
        return cls(ctx.tariffs(), CcamFacts(ctx.ccam_catalog()))


@dataclass(frozen=True, slots=True)
class Preview:
    """The récapitulatif: the lines as they will be billed (``draft``, normalized), their
    pricing, every diagnostic (controls and pricing warnings) and the AMO rights status."""

    draft: InvoiceDraft
    priced: PricedInvoice
    diagnostics: tuple[Diagnostic, ...]
    amo_rights: str  # "ouverts" | "fermes" | "inconnus" (« Status droit AMO »)

    @property
    def blocking(self) -> bool:
        return has_blocking(self.diagnostics)

    @property
    def dues(self) -> Dues:
        return _dues(self.priced)


@dataclass(frozen=True, slots=True)
class ValidationResult:
    invoice: Invoice  # with its acts loaded
    number: InvoiceNumber
    diagnostics: tuple[Diagnostic, ...]  # the warnings accepted at validation

    @property
    def balance(self) -> Balance:
        return balance_of(self.invoice)


@dataclass(frozen=True, slots=True)
class SignatureReport:
    """« Après signature un récapitulatif s'affiche avec les informations sur les factures
    signées ou non » (manuel eS-KAP+ « Factures poste de travail »)."""

    done: tuple[Invoice, ...] = ()
    refused: tuple[tuple[int, str], ...] = ()  # (invoice id, French reason)


# --------------------------------------------------------------------------------------------
# Mapping between rows and domain values
# --------------------------------------------------------------------------------------------


def state_of(row: Invoice) -> InvoiceState:
    """The lifecycle state of a stored invoice."""
    return InvoiceState(
        status=row.status, secure_mode=row.secure_mode, kind=row.kind,
        hors_teletransmission=row.hors_teletransmission,
        number=None if row.number is None else InvoiceNumber(row.number),
        validated_at=row.validated_at, signed_at=row.signed_at,
        vitale_secured_at=row.vitale_secured_at, lot_ref=row.lot_ref, sent_at=row.sent_at,
        acknowledged_at=row.acknowledged_at, paid_at=row.paid_at, rejected_at=row.rejected_at,
        rejection_reason=row.rejection_reason, cancelled_at=row.cancelled_at,
        deleted_at=row.deleted_at)


def _apply_state(row: Invoice, state: InvoiceState) -> None:
    row.status = state.status
    row.number = None if state.number is None else state.number.value
    row.validated_at = state.validated_at
    row.signed_at = state.signed_at
    row.vitale_secured_at = state.vitale_secured_at
    row.lot_ref = state.lot_ref
    row.sent_at = state.sent_at
    row.acknowledged_at = state.acknowledged_at
    row.paid_at = state.paid_at
    row.rejected_at = state.rejected_at
    row.rejection_reason = state.rejection_reason
    row.cancelled_at = state.cancelled_at
    row.deleted_at = state.deleted_at


def _dues(priced: PricedInvoice) -> Dues:
    # Who pays the professional what, given the tiers payant (engine: PricedInvoice.payments).
    payments = priced.payments
    return Dues(amo=payments.caisse, amc=payments.organisme_amc, patient=payments.patient)


def _payment_of(row: InvoicePayment) -> Payment:
    return Payment(kind=row.kind, amount=row.amount, paid_on=row.paid_on, payer=row.payer,
                   reference=row.reference, payer_name=row.payer_name)


def balance_of(row: Invoice) -> Balance:
    """« Montant / Solde » per payer of a stored invoice (its payments, share transfers and
    share decisions loaded: the repository's reads load them, ``InvoiceRepository``).

    A share the desk billed to the patient (``share_transfers``: « Facturer au patient »
    after a reject, or a share nobody claimed) is due by the patient instead of its organism;
    a share written off by a person (``share_decisions``) is due by nobody any more
    (docs/money-states.md §3)."""
    moved = {Payer.AMO: ZERO, Payer.AMC: ZERO}
    for transfer in row.share_transfers:
        moved[transfer.payer] += transfer.amount
    given_up = {Payer.AMO: ZERO, Payer.AMC: ZERO, Payer.PATIENT: ZERO}
    for decision in row.share_decisions:
        if decision.kind is ShareDecisionKind.WRITE_OFF:
            given_up[decision.payer] += decision.amount
    dues = Dues(amo=row.due_amo - moved[Payer.AMO] - given_up[Payer.AMO],
                amc=row.due_amc - moved[Payer.AMC] - given_up[Payer.AMC],
                patient=row.due_patient + moved[Payer.AMO] + moved[Payer.AMC]
                - given_up[Payer.PATIENT])
    return balance(dues, (_payment_of(p) for p in row.payments))


def _journal_update(uow: UnitOfWork, row: Invoice, action: str, summary: str) -> None:
    # The UoW's journal_change records only create/update/delete: billing verbs (validate,
    # sign, cancel…) are recorded with the same before/after changes.
    changes = changes_of(row, JournalAction.UPDATE)
    _flush(uow)
    uow.journal(action, Invoice.__tablename__, row.id, changes=changes, summary=summary)


def _flush(uow: UnitOfWork) -> None:
    try:
        uow.flush()
    except OpenFSEError as error:
        if "frozen row" in str(error.__cause__):
            raise InvoiceImmutable("Facture validée : la base de données refuse toute "
                                   "modification de son contenu.") from error
        raise


# --------------------------------------------------------------------------------------------
# Preview: pricing and controls
# --------------------------------------------------------------------------------------------


def price_invoice(tariffs: TariffSource, draft: InvoiceDraft) -> tuple[InvoiceDraft, PricedInvoice]:
    """Price the lines that will be billed (no database): ``(normalized draft, priced)``.

    Raises:
        DraftError: the engine cannot price the draft (``field`` names the culprit).
    """
    normalized = draft.normalized()
    return normalized, price(normalized.pricing, tariffs)


@dataclass(frozen=True, slots=True)
class _Context:
    """What a validation reads from the database, gathered once."""

    professional: Professional
    billing_professional_id: int
    patient: Patient
    control_input: ControlInput
    extra: tuple[Diagnostic, ...]  # checks that needed the database
    amo_rights: str


def _profession_of(professional: Professional) -> Profession | None:
    code = professional.profession_code
    if not code:
        return None
    for item in professions_ref.professions():
        if item.profession_code == code:
            return Profession(item.id)
    return None


def _context(uow: UnitOfWork, draft: InvoiceDraft, catalog: ActCatalog,
             today: date) -> _Context:
    professional = uow.professionals.get(draft.professional_id)
    patient = uow.patients.get(draft.patient_id)
    extra: list[Diagnostic] = []
    profession = draft.pricing.profession
    own = _profession_of(professional)
    if own is not None and own is not profession:
        extra.append(blocking(
            "profession_incoherente",
            f"La facture est établie pour la profession « {profession.value} » mais le "
            f"professionnel est « {own.value} ».", "profession"))
    billing_id = professional.id
    is_replacing: Callable[[date], bool] = _always
    remplacant = professional.kind is ProfessionalKind.REMPLACANT
    if remplacant:
        dates = draft.act_dates()
        days = uow.professionals.replacement_days(professional.id, min(dates), max(dates))
        titulaire_of = {d.day: d.titulaire_id for d in days}
        billing_id = titulaire_of.get(draft.date_soins, professional.id)
        is_replacing = _replacing_for(titulaire_of, billing_id)
    prescription = draft.prescription
    if (prescription is not None and prescription.prescriber_id is not None
            and uow.prescribers.find(prescription.prescriber_id) is None):
        extra.append(blocking("prescripteur_inconnu",
                              "Le prescripteur choisi n'existe pas dans ce cabinet.",
                              "prescription.prescriber_id"))
    if draft.bill_to is not None and draft.bill_to.patient_id is not None \
            and uow.patients.find(draft.bill_to.patient_id) is None:
        extra.append(blocking("facturer_a_inconnu",
                              "Le client « Facturer à » n'existe pas dans ce cabinet.",
                              "bill_to.patient_id"))
    amo = tuple(Period(c.rights_start, c.rights_end)
                for c in uow.amo_coverages.for_patient(patient.id))
    facts = BeneficiaryFacts(
        has_nir=bool(patient.nir),
        is_company=patient.is_company,
        birth_date=patient.birth_date,
        amo_rights=amo,
        ald_rights=tuple(Period(a.rights_start, a.rights_end)
                         for a in uow.alds.for_patient(patient.id)),
        amc_rights=tuple((c.id, Period(c.rights_start, c.rights_end))
                         for c in uow.amc_coverages.for_patient(patient.id)),
    )
    control_input = ControlInput(
        draft=draft, today=today, beneficiary=facts,
        professional=ProfessionalFacts(profession=profession, remplacant=remplacant),
        catalog=catalog, is_replacing=is_replacing)
    return _Context(professional, billing_id, patient, control_input, tuple(extra),
                    _rights_status(amo, draft))


def _always(_day: date) -> bool:
    return True


def _replacing_for(titulaire_of: dict[date, int], titulaire_id: int) -> Callable[[date], bool]:
    # One invoice, one numéro de facturation: every day must replace the same titulaire.
    def replacing(day: date) -> bool:
        return titulaire_of.get(day) == titulaire_id
    return replacing


def _rights_status(periods: tuple[Period, ...], draft: InvoiceDraft) -> str:
    forcing = draft.amo_service
    if forcing is not None and forcing.covers(draft.date_soins):
        return "ouverts"
    if not periods:
        return "inconnus"
    return "ouverts" if any(p.covers(draft.date_soins) for p in periods) else "fermes"


def _merge(controls: Iterable[Diagnostic], priced: PricedInvoice) -> tuple[Diagnostic, ...]:
    """Controls first, then the engine's warnings not already said by a control."""
    found = list(controls)
    said = {(d.code, d.field) for d in found} | {(d.code, None) for d in found}
    for w in priced.warnings:
        where = None if w.act_index is None else f"acts[{w.act_index}]"
        if (w.code, where) in said or (w.code, None) in said:
            continue
        found.append(Diagnostic(w.code, Severity.WARNING, w.message_fr, where))
    return tuple(sorted(found, key=lambda d: not d.is_blocking))


def _preview(uow: UnitOfWork, draft: InvoiceDraft, refs: InvoiceReferentials,
             today: date) -> tuple[Preview, _Context]:
    normalized, priced = price_invoice(refs.tariffs, draft)
    context = _context(uow, normalized, refs.catalog, today)
    diagnostics = _merge(list(context.extra) + list(run_controls(context.control_input)),
                         priced)
    return Preview(normalized, priced, diagnostics, context.amo_rights), context


def preview_invoice(uow: UnitOfWork, draft: InvoiceDraft, *, refs: InvoiceReferentials,
                    today: date) -> Preview:
    """The récapitulatif before « Valider »: totals caisse / mutuelle / assuré / facture and
    the acts (``priced``), what is due per payer, and every diagnostic. Nothing is saved."""
    with uow:
        preview, _ = _preview(uow, draft, refs, today)
        return preview


def run_invoice_controls(uow: UnitOfWork, draft: InvoiceDraft, *, refs: InvoiceReferentials,
                         today: date) -> tuple[Diagnostic, ...]:
    """Every diagnostic of the controls and of the pricing engine for ``draft``."""
    return preview_invoice(uow, draft, refs=refs, today=today).diagnostics


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """The ``Idempotency-Key`` a client sent with its draft, and the digest of that draft."""

    key: str
    request_sha256: str


class IdempotencyKeyReused(Conflict):
    """The key already made an invoice from another document."""

    code = "idempotency_key_reused"


def invoice_of_key(uow: UnitOfWork, idempotency: IdempotencyKey) -> Invoice | None:
    """The invoice a key already validated (None: not seen yet); the same key with another
    document is refused (:class:`IdempotencyKeyReused`)."""
    with uow:
        found = uow.session.scalars(select(InvoiceIdempotencyKey).where(
            InvoiceIdempotencyKey.cabinet_id == uow.require_cabinet(),
            InvoiceIdempotencyKey.key == idempotency.key)).first()
        if found is None:
            return None
        if found.request_sha256 != idempotency.request_sha256:
            raise IdempotencyKeyReused(
                "Cette clé Idempotency-Key a déjà servi pour une autre facture : "
                "une nouvelle facture demande une nouvelle clé.")
        return uow.invoices.get_full(found.invoice_id)


def validate_invoice(uow: UnitOfWork, draft: InvoiceDraft, *, refs: InvoiceReferentials,
                     today: date, now: datetime | None = None,
                     by: Acting | None = None, idempotency: IdempotencyKey | None = None
                     ) -> ValidationResult:
    """« Valider »: controls (a blocking one refuses, with every diagnostic), pricing, the next
    number of the billing professional, the invoice and its acts stored and journaled — in
    one transaction: all of it is saved, or nothing and no number is used.

    ``by``: the professional validating — only his own invoices (``invoice_authority``);
    every screen and API passes it. ``idempotency``: the client's key, stored in the same
    transaction as the invoice (a retry finds it: ``invoice_of_key``).

    Raises:
        ControlsFailed: blocking diagnostics (``.diagnostics`` holds them all).
        DraftError: the engine cannot price the draft.
        NotFound: unknown professional, patient.
        NotYourInvoice: ``by`` is not the invoice's professional.
    """
    moment = now or utc_now()
    with uow:
        if by is not None:
            check_validates_for(uow, by, draft.professional_id, draft.date_soins)
        preview, context = _preview(uow, draft, refs, today)
        if preview.blocking:
            raise ControlsFailed(preview.diagnostics)
        if draft.replaces_id is not None:
            _replaceable(uow, draft.replaces_id, draft.patient_id)
        warnings = tuple(d for d in preview.diagnostics if not d.is_blocking)

        def store() -> ValidationResult:
            # First statement of the write transaction: the number (openfse.services.numbering).
            number = allocate_number(uow, context.billing_professional_id)
            row = _invoice_row(preview, context, warnings)
            row.replaces_id = draft.replaces_id
            row.cabinet_id = uow.require_cabinet()
            uow.session.add(row)
            uow.flush()  # the draft row: its id for the acts
            _add_acts(row, preview)
            _add_attachment(row, preview.draft)
            uow.flush()  # acts and attachment in one batch (no savepoint per row)
            _journal_created(uow, row, f"Facture de {_patient_label(context.patient)}")
            _apply_state(row, state_of(row).validate(number, moment))
            replacing = "" if draft.replaces_id is None else (
                f" (remplace la facture n° {_number(uow.invoices.get(draft.replaces_id))})")
            _journal_update(uow, row, "validate", f"Facture n° {number} validée{replacing}")
            if idempotency is not None:
                # Same transaction as the invoice: the key exists exactly when it does.
                uow.session.add(InvoiceIdempotencyKey(
                    cabinet_id=row.cabinet_id, key=idempotency.key,
                    request_sha256=idempotency.request_sha256, invoice_id=row.id,
                    created_at=moment))
            uow.commit()
            return ValidationResult(row, number, warnings)

        return run_writing(uow, store)


# --------------------------------------------------------------------------------------------
# « Corriger et refacturer »
# --------------------------------------------------------------------------------------------


def _replaceable(uow: UnitOfWork, invoice_id: int, patient_id: int | None = None) -> Invoice:
    """The invoice a new one may replace: an invoice (not a cancellation document) of this
    patient, cancelled — a rejected invoice is cancelled before it is made again — and not
    replaced yet (one replacement per invoice)."""
    old = uow.invoices.find(invoice_id)
    if old is None or old.kind is not InvoiceKind.INVOICE:
        raise InvalidInput("La facture à refacturer est introuvable.", field="replaces_id")
    if patient_id is not None and old.patient_id != patient_id:
        raise InvalidInput(f"La facture n° {_number(old)} est celle d'un autre patient : "
                           "elle ne peut pas être remplacée par celle-ci.", field="replaces_id")
    if old.status is not InvoiceStatus.CANCELLED:
        raise InvalidInput(f"La facture n° {_number(old)} n'est pas annulée : annulez-la "
                           "avant de la refacturer.", field="replaces_id")
    replacement = uow.invoices.replacement_of(old.id)
    if replacement is not None:
        raise InvalidInput(f"La facture n° {_number(old)} est déjà remplacée par la facture "
                           f"n° {_number(replacement)}.", field="replaces_id")
    return old


def invoice_to_reinvoice(uow: UnitOfWork, invoice_id: int) -> Invoice:
    """The cancelled invoice to correct and make again, acts loaded (its screen is filled
    from it). Raises ``InvalidInput`` (French) when it cannot be replaced."""
    with uow:
        _replaceable(uow, invoice_id)
        return uow.invoices.get_full(invoice_id)


def replacement_links(uow: UnitOfWork, row: Invoice) -> tuple[Invoice | None, Invoice | None]:
    """(the invoice ``row`` replaces, the invoice that replaces ``row``), each or None."""
    with uow:
        replaced = None if row.replaces_id is None else uow.invoices.find(row.replaces_id)
        return replaced, uow.invoices.replacement_of(row.id)


def _patient_label(patient: Patient) -> str:
    return (patient.company_name or f"{patient.last_name} {patient.first_name}").strip()


def _invoice_row(preview: Preview, context: _Context,
                 warnings: tuple[Diagnostic, ...]) -> Invoice:
    draft, priced, patient = preview.draft, preview.priced, context.patient
    pricing = draft.pricing
    prescription = draft.prescription
    at = draft.accident_travail
    amc = pricing.amc
    choice = draft.amc_choice
    entente = draft.entente_prealable
    forcing = draft.amo_service
    bill_to = draft.bill_to
    dues = _dues(priced)
    if draft.anonymous_minor:
        # Santé sexuelle, anonymous minor: billed under the NIR anonyme of the caisse.
        caisse = context.professional.caisse or "000"
        assure_nir: str | None = anonymous_minor_nir(caisse)
        birth_text, rank = None, None
    else:
        assure_nir = patient.nir
        birth_text, rank = patient.birth_date_text, patient.birth_rank
    return Invoice(
        kind=InvoiceKind.INVOICE,
        status=InvoiceStatus.DRAFT,
        professional_id=context.professional.id,
        billing_professional_id=context.billing_professional_id,
        patient_id=patient.id,
        profession=pricing.profession.value,
        date_soins=pricing.date_soins,
        assure_nir=assure_nir,
        beneficiary_birth_date_text=birth_text,
        beneficiary_rank=rank,
        a_domicile=draft.a_domicile,
        prescription=prescription is not None,
        prescription_date=None if prescription is None else prescription.date,
        prescriber_id=None if prescription is None else prescription.prescriber_id,
        nature_assurance=pricing.nature_assurance.value,
        accident_droit_commun=draft.accident_droit_commun,
        accident_date=draft.accident_date,
        maternite_date=draft.maternite_date,
        at_identifiant=(at.identifiant or None) if at else None,
        at_code=(at.code or None) if at else None,
        at_organisme=(at.organisme or None) if at else None,
        at_date=at.date if at else None,
        smg_amount=pricing.smg_amount,
        exo=None if pricing.exo is None else pricing.exo.value,
        soins_en_rapport_ald=pricing.soins_en_rapport_ald,
        forcage_ald=draft.forcage_ald,
        parcours=None if pricing.patient.parcours is None else pricing.patient.parcours.value,
        declaration_medecin_traitant=draft.declaration_medecin_traitant,
        amc_coverage_id=choice.coverage_id if choice else None,
        amc_number=(choice.amc_number or None) if choice else None,
        amc_formula=amc.formula if amc else None,
        amc_parameter=amc.parameter if amc else None,
        amc_gestion=amc.gestion.value if amc else None,
        amc_contrat_responsable=amc.contrat_responsable if amc else None,
        amc_convention_type=(choice.convention_type or None) if choice else None,
        amc_csr=(choice.csr or None) if choice else None,
        tiers_payant_amo=priced.tiers_payant.amo,
        tiers_payant_amc=priced.tiers_payant.amc,
        secure_mode=draft.secure_mode,
        entente_code=entente.code if entente else None,
        entente_date=entente.date if entente else None,
        victime_attentat=pricing.patient.victime_attentat,
        prevention_commune=draft.prevention_commune,
        sante_sexuelle=draft.sante_sexuelle,
        anonymous_minor=draft.anonymous_minor,
        exo_per_act=draft.exo_per_act,
        group_identical=draft.group_identical,
        amo_service_code=forcing.code if forcing else None,
        amo_service_start=forcing.start if forcing else None,
        amo_service_end=forcing.end if forcing else None,
        hors_teletransmission=draft.hors_teletransmission,
        bill_to_name=bill_to.name if bill_to else None,
        bill_to_address=(bill_to.address or None) if bill_to else None,
        bill_to_siret=(bill_to.siret or None) if bill_to else None,
        bill_to_patient_id=bill_to.patient_id if bill_to else None,
        total=priced.total_honoraires,
        total_br=priced.total_br,
        amo=priced.amo_brut,
        amc=priced.amc,
        patient_share=priced.patient,
        participation_forfaitaire=priced.participation_forfaitaire,
        franchise=priced.franchise,
        due_amo=dues.amo,
        due_amc=dues.amc,
        due_patient=dues.patient,
        pricing_snapshot=to_json_value(priced_to_json(priced)),
        diagnostics=[{"code": d.code, "severity": d.severity.value, "message": d.message_fr,
                      "field": d.field} for d in warnings],
        # Empty collections, so that the row is complete (readable) once the work is closed.
        acts=[], attachments=[], payments=[], share_transfers=[], share_decisions=[],
    )


def _journal_created(uow: UnitOfWork, row: Invoice, summary: str) -> None:
    """Journal the creation of the invoice and of each of its acts and attachments (after
    their flush: the entries carry their ids), in the validating transaction."""
    uow.journal(JournalAction.CREATE, Invoice.__tablename__, row.id,
                changes=changes_of(row, JournalAction.CREATE), summary=summary)
    children: list[InvoiceAct | InvoiceAttachment] = [*row.acts, *row.attachments]
    for child in children:
        uow.journal(JournalAction.CREATE, child.__tablename__, child.id,
                    changes=changes_of(child, JournalAction.CREATE))


def _add_acts(row: Invoice, preview: Preview) -> None:
    for position, (line, priced) in enumerate(zip(preview.draft.acts, preview.priced.acts,
                                                  strict=True)):
        act, details = line.act, line.details
        override = act.override
        act_row = InvoiceAct(
            cabinet_id=row.cabinet_id,
            invoice_id=row.id,
            position=position,
            code=act.code,
            nomenclature=act.nomenclature.value,
            act_date=priced.date,
            quantity=priced.quantity,
            coefficient=act.coefficient,
            unit_price_typed=act.unit_price,
            modifiers=[to_json_value({"code": m.code, "percent": m.percent, "amount": m.amount})
                       if m.percent is not None or m.amount is not None else m.code
                       for m in act.modifiers],
            association_code=act.association_code,
            qualificatif=None if act.qualificatif is None else act.qualificatif.value,
            depassement=act.depassement,
            total_amount_typed=act.total_amount,
            exo=None if act.exo is None else act.exo.value,
            soins_en_rapport_ald=act.soins_en_rapport_ald,
            activity=act.activity,
            phase=act.phase,
            grille=None if act.grille is None else act.grille.value,
            supplement_charge=act.supplement_charge,
            remboursement_exceptionnel=act.remboursement_exceptionnel,
            distance_km=act.distance_km,
            prevention_ebd=act.prevention_ebd,
            amo_override=None if override is None else override.amo,
            amc_override=None if override is None else override.amc,
            regroupement=details.regroupement or None,
            serie=details.serie,
            complement=details.complement,
            entente_prealable=details.entente_prealable,
            unit_price=priced.unit_price,
            applied_modifiers=list(priced.modifiers),
            applied_association_code=priced.association_code,
            applied_exo=None if priced.exo is None else priced.exo.value,
            br=priced.br,
            honoraires=priced.honoraires,
            taux_amo=priced.taux_amo,
            amo=priced.amo,
            amc=priced.amc,
            patient_share=priced.patient,
            forfait_24=priced.forfait_24,
            participation_forfaitaire=priced.participation_forfaitaire,
            franchise=priced.franchise,
        )
        row.acts.append(act_row)


def _add_attachment(row: Invoice, draft: InvoiceDraft) -> None:
    prescription = draft.prescription
    if prescription is None or prescription.ordonnance is None:
        return
    file = prescription.ordonnance
    row.attachments.append(InvoiceAttachment(
        cabinet_id=row.cabinet_id, invoice_id=row.id, kind="ordonnance",
        media_type=file.media_type, filename=file.filename[:200], size=len(file.content),
        sha256=hashlib.sha256(file.content).hexdigest(), content=file.content))


# --------------------------------------------------------------------------------------------
# What the files say (to prefill the pricing context)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DeskContext:
    """The pricing context as the patient file and the professional's record give it on the
    date of care — what the desk would otherwise type: profession, speciality and secteur,
    and the patient's pricing situation (``domain/coverage.py``: régime, Alsace-Moselle,
    exonération, ALD, C2S, AME, sortant de C2S, régime mahorais, the mutuelle chosen by
    default and the tiers payant the file imposes)."""

    profession: Profession | None
    ps: PsContext
    situation: PricingSituation

    @property
    def patient(self) -> PatientContext:
        return self.situation.patient

    @property
    def amc_contracts(self) -> dict[int, AmcContract]:
        """The contract of each mutuelle in force that prices something, by coverage id."""
        return {cid: contract for cid, contract in self.situation.contracts.items()
                if contract is not None}


def desk_context(uow: UnitOfWork, professional_id: int, patient_id: int, on: date
                 ) -> DeskContext:
    with uow:
        professional = uow.professionals.get(professional_id)
        patient = uow.patients.get(patient_id)
        profession = _profession_of(professional)
        specialite = None
        if profession is Profession.MEDECIN and professional.specialty_code:
            try:
                specialite = professions_ref.specialite_by_code(professional.specialty_code).id
            except InvalidInput:
                specialite = None
        ps = PsContext(specialite=specialite, secteur=professional.sector or 1,
                       optam=professional.optam)
        return DeskContext(profession, ps, coverage.situation_on(uow, patient, on))


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def get_invoice(uow: UnitOfWork, invoice_id: int) -> Invoice:
    """One invoice with its acts, payments and attachment descriptions."""
    with uow:
        return uow.invoices.get_full(invoice_id)


def get_attachment(uow: UnitOfWork, invoice_id: int, attachment_id: int
                   ) -> tuple[InvoiceAttachment, bytes]:
    """A file joined to an invoice and its bytes."""
    with uow:
        row = uow.session.get(InvoiceAttachment, attachment_id)
        if row is None or row.cabinet_id != uow.require_cabinet() or row.invoice_id != invoice_id:
            raise NotFound(f"Pièce jointe introuvable (n° {attachment_id}).")
        return row, row.content


def list_invoices(uow: UnitOfWork, filters: InvoiceFilters | None = None, *, limit: int = 50,
                  offset: int = 0) -> tuple[list[tuple[Invoice, Patient]], int]:
    """The « Factures » list: ``(rows with their patient, total count)``, newest first."""
    chosen = filters or InvoiceFilters()
    with uow:
        return (uow.invoices.search(chosen, limit=limit, offset=offset),
                uow.invoices.count_matching(chosen))


def invoices_to_secure(uow: UnitOfWork, assure_nir: str) -> list[Invoice]:
    """Désynchronisées invoices of the assuré whose carte Vitale (or appli) is presented —
    « Seulement les factures liées à l'assuré s'affichent » (manuel eS-KAP+)."""
    with uow:
        return list(uow.invoices.awaiting_vitale(assure_nir))


def patient_unpaid_total(uow: UnitOfWork, patient_id: int) -> Decimal:
    """What the patient still owes on his invoices (sum of the positive « Solde patient »;
    an overpaid invoice counts for nothing). Drafts, cancelled and deleted invoices are out."""
    with uow:
        rows = uow.invoices.for_patient(patient_id)
        return sum((balance_of(row).patient_unpaid for row in rows
                    if state_of(row).counts_for_balance), ZERO)


# --------------------------------------------------------------------------------------------
# Payments
# --------------------------------------------------------------------------------------------


def _payable(row: Invoice) -> None:
    if not state_of(row).counts_for_balance:
        raise InvalidTransition(
            f"Facture n° {_number(row)} {state_of(row).display_status.label.lower()} : aucun "
            "paiement ne peut y être enregistré.")


def _number(row: Invoice) -> str:
    return "(brouillon)" if row.number is None else str(InvoiceNumber(row.number))


def _writing(uow: UnitOfWork, work: Callable[[], T]) -> T:
    """Run ``work`` (reads, then writes and commits) in ``uow``: the invoices it changes are
    locked (``for_update``) and a lock conflict with another workstation is retried."""
    with uow:
        return run_writing(uow, work)


def record_payment(uow: UnitOfWork, invoice_id: int, payment: Payment) -> Balance:
    """Add a payment (several may be added, of several kinds); returns the new balance —
    « Le paiement est incomplet » / « Le solde patient est négatif » are its states."""
    def work() -> Balance:
        row = uow.invoices.for_update(invoice_id)
        _payable(row)
        payment_row = InvoicePayment(invoice_id=row.id, payer=payment.payer, kind=payment.kind,
                                     amount=payment.amount, paid_on=payment.paid_on,
                                     reference=payment.reference,
                                     payer_name=payment.payer_name)
        row.payments.append(payment_row)
        uow.journal_change(payment_row, JournalAction.CREATE,
                           summary=f"Paiement {payment.kind.phrase} sur la facture n° "
                                   f"{_number(row)}")
        uow.commit()
        return balance_of(row)

    return _writing(uow, work)


def edit_payment(uow: UnitOfWork, payment_id: int, payment: Payment) -> Balance:
    """Change a recorded payment (« Mode de paiements de la facture »)."""
    def work() -> Balance:
        payment_row = uow.payments.get(payment_id)
        row = uow.invoices.for_update(payment_row.invoice_id)
        _payable(row)
        payment_row.payer = payment.payer
        payment_row.kind = payment.kind
        payment_row.amount = payment.amount
        payment_row.paid_on = payment.paid_on
        payment_row.reference = payment.reference
        payment_row.payer_name = payment.payer_name
        uow.journal_change(payment_row, JournalAction.UPDATE,
                           summary=f"Paiement modifié, facture n° {_number(row)}")
        uow.commit()
        return balance_of(row)

    return _writing(uow, work)


def delete_payment(uow: UnitOfWork, payment_id: int) -> Balance:
    def work() -> Balance:
        payment_row = uow.payments.get(payment_id)
        row = uow.invoices.for_update(payment_row.invoice_id)
        payments = row.payments  # loaded before the delete: the balance must lose this one
        uow.journal_change(payment_row, JournalAction.DELETE,
                           summary=f"Paiement supprimé, facture n° {_number(row)}")
        payments.remove(payment_row)
        uow.commit()
        return balance_of(row)

    return _writing(uow, work)


# --------------------------------------------------------------------------------------------
# Cancellation and deletion
# --------------------------------------------------------------------------------------------


def cancel_invoice(uow: UnitOfWork, invoice_id: int, reason: str, *,
                   now: datetime | None = None, by: Acting | None = None) -> Invoice:
    """Cancel a validated invoice: it becomes « annulée » and a cancellation document —
    numbered in the same sequence, amounts negated, pointing at it — is created; both are
    journaled. Returns the cancellation document. ``by``: the professional cancelling, who
    may cancel only his own invoices (``NotYourInvoice``)."""
    moment = now or utc_now()
    cleaned = reason.strip()
    if not cleaned:
        raise InvalidInput("Indiquez le motif de l'annulation.", field="reason")
    with uow:
        original = uow.invoices.get(invoice_id)
        if by is not None:
            check_acts_on(uow, by, original, "annuler")
        state_of(original).cancel(moment)  # refuse early, before taking a number
        billing_id = original.billing_professional_id

        def store() -> Invoice:
            number = allocate_number(uow, billing_id)
            row = uow.invoices.for_update(invoice_id)  # changed meanwhile? re-checked here
            cancelled = state_of(row).cancel(moment)
            _apply_state(row, cancelled)
            _journal_update(uow, row, "cancel", f"Facture n° {_number(row)} annulée : {cleaned}")
            document = _cancellation_row(row, cleaned)
            _apply_state(document, cancelled.cancellation_document(number, moment))
            uow.journal_change(document, JournalAction.CREATE,
                               summary=f"Annulation n° {number} de la facture n° "
                                       f"{_number(row)}")
            uow.commit()
            return document

        return run_writing(uow, store)


_NEGATED = ("total", "total_br", "amo", "amc", "patient_share", "participation_forfaitaire",
            "franchise", "due_amo", "due_amc", "due_patient")
_COPIED = ("professional_id", "billing_professional_id", "patient_id", "profession",
           "date_soins", "assure_nir", "beneficiary_birth_date_text", "beneficiary_rank",
           "nature_assurance", "secure_mode", "bill_to_name", "bill_to_address",
           "bill_to_siret", "bill_to_patient_id")


def _cancellation_row(original: Invoice, reason: str) -> Invoice:
    values: dict[str, Any] = {name: getattr(original, name) for name in _COPIED}
    values.update({name: -getattr(original, name) for name in _NEGATED})
    return Invoice(kind=InvoiceKind.CANCELLATION, status=InvoiceStatus.DRAFT,
                   cancels_id=original.id, cancel_reason=reason[:500],
                   hors_teletransmission=True,
                   pricing_snapshot={"cancels": original.id, "number": original.number},
                   diagnostics=[], **values)


def delete_unsent(uow: UnitOfWork, invoice_ids: Iterable[int], *,
                  now: datetime | None = None, by: Acting | None = None) -> list[Invoice]:
    """Delete invoices that never left the office (« à signer » or signed, not in a lot).

    All or nothing: if one of them is no longer unsent, or is not ``by``'s own
    (``NotYourInvoice``), none is deleted. The rows stay, marked « supprimée », so their
    numbers are never reused and the sequence has no gap.
    """
    moment = now or utc_now()

    def work() -> list[Invoice]:
        rows = uow.invoices.many(invoice_ids, for_update=True)
        if by is not None:
            for row in rows:
                check_acts_on(uow, by, row, "supprimer")
        refused = [f"n° {_number(r)} ({state_of(r).display_status.label.lower()})"
                   for r in rows if not state_of(r).is_unsent]
        if refused:
            raise InvalidTransition("Seules les factures non transmises peuvent être "
                                    f"supprimées : {', '.join(refused)}.")
        for row in rows:
            _apply_state(row, state_of(row).delete(moment))
            _journal_update(uow, row, "delete", f"Facture n° {_number(row)} supprimée")
        uow.commit()
        return rows

    return _writing(uow, work)


# --------------------------------------------------------------------------------------------
# Signature and securing with the carte Vitale
# --------------------------------------------------------------------------------------------


def signed_content(row: Invoice) -> bytes:
    """The bytes the CPS signs: the invoice's identity and amounts, canonical JSON."""
    document = {
        "numero": _number(row), "facturation": row.billing_professional_id,
        "executant": row.professional_id, "nir": row.assure_nir, "date": row.date_soins,
        "mode": row.secure_mode.value, "total": row.total, "amo": row.amo, "amc": row.amc,
        "snapshot": row.pricing_snapshot,
    }
    return json.dumps(to_json_value(document), sort_keys=True, separators=(",", ":")).encode()


Certify = Callable[[bytes], bytes]  # the carte Vitale's signature (CardReader.certify_vitale)
# The modes in which the carte Vitale signs with the CPS (InvoiceState.sign).
_SECURED_BY_VITALE = (SecureMode.SECURISE, SecureMode.DESYNCHRONISE)


def _vitale_part(row: Invoice, certify: Certify) -> tuple[str | None, str]:
    """The carte Vitale's signature of the invoice's contenu signé (hex), or None and why not
    (card pulled out…). In SESAM-Vitale a secured FSE is secured by both cards: the lot
    carries this signature next to the CPS's (lot.md §3, SIG), the caisse checks it (A16)."""
    try:
        return certify(signed_content(row)).hex(), ""
    except CardError as error:
        return None, f"Facture n° {_number(row)} : {error.message}"


def sign_invoices(uow: UnitOfWork, invoice_ids: Iterable[int], *,
                  sign: Callable[[bytes], bytes], vitale: VitaleCard | None = None,
                  certify: Certify | None = None,
                  content: Callable[[Invoice], bytes] = signed_content,
                  now: datetime | None = None, by: Acting | None = None) -> SignatureReport:
    """Sign the selected invoices with the CPS (``sign``: e.g. the card reader's) over
    ``content(invoice)`` (default ``signed_content``; the transmission may pass the payload
    its lot file carries).

    With ``vitale`` (the patient's card in the reader) and ``certify`` (its signature, e.g.
    ``reader.certify_vitale``) the invoices of that assuré are signed by the card too —
    required in mode sécurisé, and it secures a désynchronisée at once. Invoices that cannot
    be signed are reported, the others signed.

    ``by``: the professional signing; another professional's invoice (or, for a remplaçant,
    one dated off his calendar) is refused, never signed with his card. The caller checks
    that the CPS behind ``sign`` is ``by``'s own (``invoice_authority.card_of``).
    """
    if vitale is not None and certify is None:
        raise TypeError("sign_invoices: the carte Vitale takes part only with certify")
    moment = now or utc_now()

    def work() -> SignatureReport:
        done: list[Invoice] = []
        refused: list[tuple[int, str]] = []
        for row in uow.invoices.many(invoice_ids, for_update=True):
            not_his = None if by is None else refusal_for(uow, by, row, "signer")
            if not_his is not None:
                refused.append((row.id, not_his))
                continue
            present = vitale is not None and vitale.nir == row.assure_nir
            vitale_signature, why_not = None, ""
            if present and row.secure_mode in _SECURED_BY_VITALE:
                assert certify is not None
                vitale_signature, why_not = _vitale_part(row, certify)
                present = vitale_signature is not None
            try:
                new_state = state_of(row).sign(moment, vitale_present=present)
            except (InvalidTransition, VitaleRequired) as error:
                refused.append((row.id, why_not or error.message))
                continue
            row.cps_signature = sign(content(row)).hex()
            if present and new_state.vitale_secured_at is not None:
                assert vitale is not None
                row.vitale_serial = vitale.serial
                row.vitale_signature = vitale_signature
            _apply_state(row, new_state)
            _journal_update(uow, row, "sign", f"Facture n° {_number(row)} signée")
            done.append(row)
        uow.commit()
        return SignatureReport(tuple(done), tuple(refused))

    return _writing(uow, work)


def secure_invoices(uow: UnitOfWork, invoice_ids: Iterable[int], *, vitale: VitaleCard,
                    certify: Certify, now: datetime | None = None) -> SignatureReport:
    """Secure désynchronisées invoices with the assuré's carte Vitale (« factures à
    sécuriser »): only that assuré's invoices are accepted, each signed by the card
    (``certify``, e.g. ``reader.certify_vitale``); one it cannot sign is reported."""
    moment = now or utc_now()

    def work() -> SignatureReport:
        done: list[Invoice] = []
        refused: list[tuple[int, str]] = []
        for row in uow.invoices.many(invoice_ids, for_update=True):
            if row.assure_nir != vitale.nir:
                refused.append((row.id, f"La facture n° {_number(row)} n'est pas celle de "
                                        "l'assuré de cette carte Vitale."))
                continue
            try:
                new_state = state_of(row).secure(moment)
            except InvalidTransition as error:
                refused.append((row.id, error.message))
                continue
            vitale_signature, why_not = _vitale_part(row, certify)
            if vitale_signature is None:
                refused.append((row.id, why_not))
                continue
            row.vitale_serial = vitale.serial
            row.vitale_signature = vitale_signature
            _apply_state(row, new_state)
            _journal_update(uow, row, "secure",
                            f"Facture n° {_number(row)} sécurisée par la carte Vitale")
            done.append(row)
        uow.commit()
        return SignatureReport(tuple(done), tuple(refused))

    return _writing(uow, work)


# --------------------------------------------------------------------------------------------
# Status changes made by the transmission (lots, ARL, NOEMIE returns)
# --------------------------------------------------------------------------------------------


def _change(uow: UnitOfWork, invoice_ids: Iterable[int], action: str, summary: str,
            change: Callable[[InvoiceState], InvoiceState]) -> list[Invoice]:
    """Apply one transition to every invoice, all or nothing (``InvalidTransition``)."""
    def work() -> list[Invoice]:
        rows = uow.invoices.many(invoice_ids, for_update=True)
        for row in rows:
            _apply_state(row, change(state_of(row)))
            _journal_update(uow, row, action, f"Facture n° {_number(row)} {summary}")
        uow.commit()
        return rows

    return _writing(uow, work)


def put_in_lot(uow: UnitOfWork, invoice_ids: Iterable[int], lot_ref: str) -> list[Invoice]:
    return _change(uow, invoice_ids, "put_in_lot", f"mise dans le lot {lot_ref}",
                   lambda s: s.put_in_lot(lot_ref))


def mark_sent(uow: UnitOfWork, invoice_ids: Iterable[int], *,
              now: datetime | None = None) -> list[Invoice]:
    moment = now or utc_now()
    return _change(uow, invoice_ids, "send", "transmise", lambda s: s.mark_sent(moment))


def acknowledge(uow: UnitOfWork, invoice_ids: Iterable[int], *,
                now: datetime | None = None) -> list[Invoice]:
    moment = now or utc_now()
    # Received, not paid: never « acquittée » (docs/money-states.md §4).
    return _change(uow, invoice_ids, "acknowledge", "reçue par l'organisme (accusé de "
                   "réception)", lambda s: s.acknowledge(moment))


def mark_paid(uow: UnitOfWork, invoice_ids: Iterable[int], *,
              now: datetime | None = None) -> list[Invoice]:
    moment = now or utc_now()
    # Every share asked of an organism answered with a payment, in full or in part: what is
    # still owed shows in the shares (docs/money-states.md), not in this word.
    return _change(uow, invoice_ids, "pay", ": paiements des organismes reçus",
                   lambda s: s.mark_paid(moment))


def reject(uow: UnitOfWork, invoice_id: int, reason: str, *,
           now: datetime | None = None) -> Invoice:
    moment = now or utc_now()
    # Only the mutuelle's part rejected (transmission: « part AMC : … »): the invoice is not.
    amc_only = reason.removeprefix("part AMC : ")
    said = f": part AMC rejetée : {amc_only}" if amc_only != reason else f"rejetée : {reason}"
    return _change(uow, [invoice_id], "reject", said,
                   lambda s: s.reject(moment, reason))[0]
