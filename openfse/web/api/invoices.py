"""``/api/invoices``: validate, preview, list, read, pay, cancel, delete, sign and secure
invoices. The documents are described in ``docs/formats/invoice.md``.

Each body is declared by its model (``schemas.invoices``), so that ``/openapi.json`` tells an
integrator what is accepted (issue 11, point 8). The models check the shape; a draft and a
payment are then read again from the raw body by the service's readers
(``services.invoice_input``: every number a ``Decimal``, the vocabularies, the codes, the rules
between keys), each refusal answered in the one error shape (``docs/formats/errors.md``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query
from fastapi.responses import Response

from openfse.adapters.cards.errors import CardError
from openfse.domain.controls import Diagnostic
from openfse.domain.invoice import DisplayStatus
from openfse.domain.payment import Balance
from openfse.domain.pricing import dumps, priced_to_json
from openfse.domain.shares import InvoiceMoney, Shown
from openfse.errors import Conflict, NotFound
from openfse.services import invoice_authority, invoicing, shares
from openfse.services.invoice_authority import Acting
from openfse.services.invoice_input import decoded_document, parse_invoice_document, parse_payment
from openfse.store.journal import to_json_value
from openfse.store.models import Invoice, InvoiceAct, InvoicePayment, Patient
from openfse.store.models.invoice_desk import IDEMPOTENCY_KEY_MAX
from openfse.web.api.errors import documented, error_response
from openfse.web.api.params import IsoDate, RowIdQuery
from openfse.web.api.schemas.fields import ROW_ID_MAX, explained
from openfse.web.api.schemas.invoices import (
    CancelIn,
    CancelOut,
    InvoiceDraftIn,
    InvoiceIdsIn,
    InvoiceItemsOut,
    InvoiceListOut,
    InvoiceOut,
    PaymentBalanceOut,
    PaymentIn,
    PreviewOut,
    SignatureReportOut,
    SignIn,
)
from openfse.web.deps import Desk, DeskDep

router = APIRouter(tags=["factures"])

_DRAFT_EXAMPLE = {
    "professional_id": 1,
    "patient_id": 1,
    "date_soins": "2026-03-02",
    "acts": [{"code": "G"}],
    "parcours": "medecin_traitant",
    "tiers_payant": {"amo": True, "amc": False},
    "secure_mode": "securise",
}
DraftBody = Annotated[InvoiceDraftIn, Body(examples=[_DRAFT_EXAMPLE])]
# An Idempotency-Key: 1 to 200 visible ASCII characters (a UUID, say).
_KEY_PATTERN = explained(rf"^[\x21-\x7e]{{1,{IDEMPOTENCY_KEY_MAX}}}$",
                         f"1 à {IDEMPOTENCY_KEY_MAX} caractères ASCII visibles (un UUID par "
                         "exemple).")
_DRAFT_REFUSED = ("`invalid_draft` / `unknown_tariff` / `invalid_json` (the pricing "
                  "contract's codes: `field` is the JSON path, `message` English, `message_fr` "
                  "French), or `invalid_form` (the shape)")


async def _document(desk: Desk) -> Mapping[str, object]:
    """The body the model has checked, read again with every number as a ``Decimal``."""
    return decoded_document(await desk.request.body())


# --------------------------------------------------------------------------------------------
# Writing documents
# --------------------------------------------------------------------------------------------


def _json(document: object, status_code: int = 200) -> Response:
    return Response(dumps(document), status_code=status_code, media_type="application/json")


def diagnostic_json(d: Diagnostic) -> dict[str, object]:
    return {"code": d.code, "severity": d.severity.value, "message": d.message_fr,
            "field": d.field}


def balance_json(b: Balance) -> dict[str, object]:
    return {
        "due": {"amo": b.dues.amo, "amc": b.dues.amc, "patient": b.dues.patient},
        "paid": {"amo": b.paid_amo, "amc": b.paid_amc, "patient": b.paid_patient},
        "solde": {"amo": b.solde_amo, "amc": b.solde_amc, "patient": b.solde_patient},
        "patient_state": b.patient_state.value,
        "message": b.patient_state.message,
    }


def shares_json(money: InvoiceMoney, shown: Shown) -> dict[str, object]:
    """Each payer's share and its state (docs/money-states.md: the labels of the screens;
    ``state_label`` is the one the lists show, ``shares.shown_state``)."""
    return {"state": money.state.value, "state_label": shown.label,
            "replaced_by": money.replaced_by, **{
        share.payer.value: {"state": share.state.value, "state_label": share.label,
                            "due": share.due, "paid": share.paid,
                            "billed_to_patient": share.billed_to_patient,
                            "written_off": share.written_off, "replaced": share.replaced,
                            "left": share.left, "reason": share.reason}
        for share in money.shares}}


def _payment_json(p: InvoicePayment) -> dict[str, object]:
    return {"id": p.id, "payer": p.payer.value, "kind": p.kind.value, "amount": p.amount,
            "paid_on": p.paid_on.isoformat(), "reference": p.reference,
            "payer_name": p.payer_name}


def _act_json(a: InvoiceAct) -> dict[str, object]:
    return {
        "position": a.position, "code": a.code, "nomenclature": a.nomenclature,
        "date": a.act_date.isoformat(), "quantity": a.quantity, "coefficient": a.coefficient,
        "modifiers": a.modifiers, "applied_modifiers": a.applied_modifiers,
        "association_code": a.applied_association_code, "qualificatif": a.qualificatif,
        "exo": a.applied_exo, "activity": a.activity, "phase": a.phase,
        "regroupement": a.regroupement, "serie": a.serie,
        "complement": None if a.complement is None else a.complement.value,
        "entente_prealable": a.entente_prealable,
        "amo_override": a.amo_override, "amc_override": a.amc_override,
        "unit_price": a.unit_price, "br": a.br, "depassement": a.depassement,
        "honoraires": a.honoraires, "taux_amo": a.taux_amo.normalize(), "amo": a.amo,
        "amc": a.amc, "patient": a.patient_share, "forfait_24": a.forfait_24,
        "participation_forfaitaire": a.participation_forfaitaire, "franchise": a.franchise,
    }


_HEADER = ("professional_id", "billing_professional_id", "patient_id", "profession",
           "assure_nir", "a_domicile", "prescription", "prescription_date", "prescriber_id",
           "nature_assurance", "accident_droit_commun", "accident_date", "maternite_date",
           "at_identifiant", "at_code", "at_organisme", "at_date", "smg_amount", "exo",
           "soins_en_rapport_ald", "forcage_ald", "parcours", "declaration_medecin_traitant",
           "amc_coverage_id", "amc_number", "amc_formula", "amc_parameter", "amc_gestion",
           "amc_contrat_responsable", "amc_convention_type", "amc_csr", "tiers_payant_amo",
           "tiers_payant_amc", "entente_code", "entente_date", "victime_attentat",
           "prevention_commune", "sante_sexuelle", "anonymous_minor", "exo_per_act",
           "group_identical", "amo_service_code", "amo_service_start", "amo_service_end",
           "bill_to_name", "bill_to_address", "bill_to_siret", "bill_to_patient_id",
           "cancels_id", "cancel_reason", "replaces_id")
_LIFECYCLE = ("validated_at", "signed_at", "vitale_secured_at", "vitale_serial",
              "vitale_signature", "lot_ref",
              "sent_at", "acknowledged_at", "paid_at", "rejected_at", "rejection_reason",
              "cancelled_at", "deleted_at")


def _status_json(row: Invoice) -> dict[str, object]:
    state = invoicing.state_of(row)
    return {"id": row.id, "number": None if state.number is None else str(state.number),
            "kind": row.kind.value, "status": row.status.value,
            "display_status": state.display_status.value,
            "display_status_label": state.display_status.label,
            "date_soins": row.date_soins.isoformat(), "secure_mode": row.secure_mode.value,
            "hors_teletransmission": row.hors_teletransmission}


def invoice_json(row: Invoice) -> dict[str, object]:
    """The full invoice document (acts, payments, attachments loaded)."""
    document = _status_json(row)
    document["header"] = {name: to_json_value(getattr(row, name)) for name in _HEADER}
    document["totals"] = {"total": row.total, "total_br": row.total_br, "amo": row.amo,
                          "amc": row.amc, "patient": row.patient_share,
                          "participation_forfaitaire": row.participation_forfaitaire,
                          "franchise": row.franchise}
    document["balance"] = balance_json(invoicing.balance_of(row))
    document["acts"] = [_act_json(a) for a in row.acts]
    document["payments"] = [_payment_json(p) for p in row.payments]
    document["attachments"] = [{"id": a.id, "kind": a.kind, "media_type": a.media_type,
                                "filename": a.filename, "size": a.size, "sha256": a.sha256}
                               for a in row.attachments]
    document["diagnostics"] = row.diagnostics
    document["lifecycle"] = {name: to_json_value(getattr(row, name)) for name in _LIFECYCLE}
    return document


def _summary_json(row: Invoice, patient: Patient) -> dict[str, object]:
    document = _status_json(row)
    b = invoicing.balance_of(row)
    document.update({
        "patient": {"id": patient.id, "name": (patient.company_name or " ".join(
            part for part in (patient.last_name, patient.first_name) if part))},
        "professional_id": row.professional_id, "total": row.total,
        "due_patient": row.due_patient, "solde_patient": b.solde_patient,
        "patient_state": b.patient_state.value,
    })
    return document


# --------------------------------------------------------------------------------------------
# Endpoints
# --------------------------------------------------------------------------------------------


@router.post("/invoices/preview", summary="Price and check an invoice draft (nothing saved)",
             response_model=PreviewOut,
             responses={200: {"description": "Récapitulatif"},
                        **documented(422, e422=_DRAFT_REFUSED)})
async def preview(desk: DeskDep, draft_in: DraftBody) -> Response:
    draft = parse_invoice_document(await _document(desk), desk.uow)
    result = invoicing.preview_invoice(desk.uow(), draft,
                                       refs=invoicing.InvoiceReferentials.of(desk.context),
                                       today=desk.today)
    dues = result.dues
    return _json({
        "priced": priced_to_json(result.priced),
        "dues": {"amo": dues.amo, "amc": dues.amc, "patient": dues.patient},
        "diagnostics": [diagnostic_json(d) for d in result.diagnostics],
        "blocking": result.blocking,
        "amo_rights": result.amo_rights,
    })


@router.post("/invoices", status_code=201, summary="Validate an invoice (numbered, stored)",
             response_model=InvoiceOut,
             responses={201: {"description": "Validated invoice (or, for a retried "
                                             "Idempotency-Key, the invoice it made)"},
                        **documented(
                            403, 409, 422,
                            e403="`not_own_invoice`: not the logged-in professional's invoice",
                            e409="`idempotency_key_reused`: the Idempotency-Key came with "
                                 "another document",
                            e422=_DRAFT_REFUSED + ", or `controls_failed`: refused by the "
                                 "controls (`error.diagnostics`: every diagnostic; "
                                 "`error.fields`: the blocking ones' fields)")})
async def validate(desk: DeskDep, draft_in: DraftBody,
                   idempotency_key: Annotated[str | None, Header(
                       alias="Idempotency-Key", max_length=IDEMPOTENCY_KEY_MAX,
                       pattern=_KEY_PATTERN,
                       description="A key of the client (a UUID): a retry with the same key "
                                   "and document returns the first invoice")] = None
                   ) -> Response:
    """With an ``Idempotency-Key`` header, a retry of the same document (the answer was lost:
    crash, time-out) gets the invoice the first request made — same id, same document —
    never a second invoice; the key is stored with the invoice, in its transaction."""
    doc = await _document(desk)
    idempotency = _idempotency_key(idempotency_key, doc)
    if idempotency is not None:
        done = invoicing.invoice_of_key(desk.uow(), idempotency)
        if done is not None:
            return _replayed(done)
    draft = parse_invoice_document(doc, desk.uow)
    by = Acting.of(desk.user)
    try:
        result = invoicing.validate_invoice(
            desk.uow(), draft, refs=invoicing.InvoiceReferentials.of(desk.context),
            today=desk.today, now=desk.now, by=by, idempotency=idempotency)
    except invoicing.ControlsFailed as exc:
        return controls_failed_response(exc)
    except Conflict:
        # Two requests with one key at once: the other one's invoice is the answer.
        done = None if idempotency is None else invoicing.invoice_of_key(desk.uow(),
                                                                         idempotency)
        if done is None:
            raise
        return _replayed(done)
    return _json(invoice_json(result.invoice), 201)


def controls_failed_response(exc: invoicing.ControlsFailed) -> Response:
    """The one error shape (docs/formats/errors.md): ``fields`` names the field of each
    blocking diagnostic (the first message of each), ``diagnostics`` lists them all."""
    fields: dict[str, str] = {}
    for d in exc.diagnostics:
        if d.is_blocking and d.field:
            fields.setdefault(d.field, d.message_fr)
    return error_response(exc, 422, field=next(iter(fields), None), fields=fields,
                          diagnostics=[diagnostic_json(d) for d in exc.diagnostics])


def _idempotency_key(key: str | None, doc: Mapping[str, object]
                     ) -> invoicing.IdempotencyKey | None:
    """The request's ``Idempotency-Key`` (its shape checked by the header's pattern) with
    the digest of the document it came with (canonical JSON)."""
    if key is None:
        return None
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    return invoicing.IdempotencyKey(key, hashlib.sha256(canonical.encode()).hexdigest())


def _replayed(row: Invoice) -> Response:
    answer = _json(invoice_json(row), 201)
    answer.headers["Idempotent-Replayed"] = "true"
    return answer


Status = Annotated[list[DisplayStatus] | None, Query(description="Displayed status (repeat)")]


@router.get("/invoices", summary="List invoices (newest first) with filters",
            response_model=InvoiceListOut)
def list_invoices(desk: DeskDep, status: Status = None,
                  patient_id: RowIdQuery = None, professional_id: RowIdQuery = None,
                  date_from: Annotated[IsoDate | None, Query()] = None,
                  date_to: Annotated[IsoDate | None, Query()] = None,
                  number: Annotated[int | None, Query(ge=1, le=999_999_999)] = None,
                  assure_nir: Annotated[str | None, Query(pattern=r"^[0-9AB]{15}$")] = None,
                  include_deleted: bool = False,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  offset: Annotated[int, Query(ge=0, le=ROW_ID_MAX)] = 0) -> Response:
    filters = invoicing.InvoiceFilters(
        display_statuses=tuple(status or ()), patient_id=patient_id,
        professional_id=professional_id, date_from=date_from, date_to=date_to, number=number,
        assure_nir=assure_nir, include_deleted=include_deleted)
    rows, total = invoicing.list_invoices(desk.uow(), filters, limit=limit,
                                          offset=offset)
    shown = shares.shown_for(desk.uow(), [r.id for r, _ in rows])
    return _json({"total": total, "items": [
        {**_summary_json(r, p), "state_label": shown[r.id].label} for r, p in rows]})


@router.get("/invoices/to-secure", summary="Désynchronisées invoices of one assuré",
            response_model=InvoiceItemsOut)
def to_secure(desk: DeskDep,
              nir: Annotated[str, Query(pattern=r"^[0-9AB]{15}$")]) -> Response:
    rows = invoicing.invoices_to_secure(desk.uow(), nir)
    return _json({"items": [_status_json(r) for r in rows]})


@router.get("/invoices/{invoice_id}", summary="One invoice with its acts and payments",
            response_model=InvoiceOut)
def get_invoice(desk: DeskDep, invoice_id: int) -> Response:
    document = invoice_json(invoicing.get_invoice(desk.uow(), invoice_id))
    document["shares"] = shares_json(*shares.invoice_shown_of(desk.uow(), invoice_id))
    return _json(document)


@router.get("/invoices/{invoice_id}/attachments/{attachment_id}",
            summary="A file joined to an invoice (the ordonnance)",
            response_class=Response,
            responses={200: {"description": "The file as joined",
                             "content": {"image/jpeg": {}, "image/png": {},
                                         "application/pdf": {}}}})
def get_attachment(desk: DeskDep, invoice_id: int, attachment_id: int) -> Response:
    row, content = invoicing.get_attachment(desk.uow(), invoice_id,
                                            attachment_id)
    return Response(content, media_type=row.media_type)


@router.post("/invoices/{invoice_id}/payments", status_code=201, summary="Record a payment",
             response_model=PaymentBalanceOut,
             responses=documented(409, e409="The invoice's state refuses a payment"))
async def add_payment(desk: DeskDep, invoice_id: int, payment_in: PaymentIn) -> Response:
    payment = parse_payment(await _document(desk))
    b = invoicing.record_payment(desk.uow(), invoice_id, payment)
    return _json({"balance": balance_json(b)}, 201)


@router.put("/invoices/{invoice_id}/payments/{payment_id}", summary="Change a payment",
            response_model=PaymentBalanceOut,
            responses=documented(409, e409="The invoice's state refuses the change"))
async def change_payment(desk: DeskDep, invoice_id: int, payment_id: int,
                         payment_in: PaymentIn) -> Response:
    payment = parse_payment(await _document(desk))
    _check_payment_of(desk, invoice_id, payment_id)
    b = invoicing.edit_payment(desk.uow(), payment_id, payment)
    return _json({"balance": balance_json(b)})


@router.delete("/invoices/{invoice_id}/payments/{payment_id}", summary="Delete a payment",
               response_model=PaymentBalanceOut,
               responses=documented(409, e409="The invoice's state refuses the change"))
def remove_payment(desk: DeskDep, invoice_id: int, payment_id: int) -> Response:
    _check_payment_of(desk, invoice_id, payment_id)
    b = invoicing.delete_payment(desk.uow(), payment_id)
    return _json({"balance": balance_json(b)})


def _check_payment_of(desk: Desk, invoice_id: int, payment_id: int) -> None:
    row = invoicing.get_invoice(desk.uow(), invoice_id)
    if all(p.id != payment_id for p in row.payments):
        raise NotFound(f"Paiement n° {payment_id} introuvable sur cette facture.")


@router.post("/invoices/{invoice_id}/cancel", status_code=201,
             summary="Cancel an invoice (creates the linked cancellation document)",
             response_model=CancelOut,
             responses=documented(403, 409, e403="`not_own_invoice`",
                                  e409="The invoice's state refuses a cancellation"))
def cancel(desk: DeskDep, invoice_id: int, body: CancelIn) -> Response:
    document = invoicing.cancel_invoice(desk.uow(), invoice_id, body.reason, now=desk.now,
                                        by=Acting.of(desk.user))
    return _json(_status_json(document) | {"cancels_id": document.cancels_id,
                                           "total": document.total}, 201)


@router.post("/invoices/delete", summary="Delete unsent invoices (all or none)",
             response_model=InvoiceItemsOut,
             responses=documented(403, 409, e403="`not_own_invoice`",
                                  e409="One of them is sent or in a lot: none deleted"))
def delete_unsent(desk: DeskDep, body: InvoiceIdsIn) -> Response:
    rows = invoicing.delete_unsent(desk.uow(), body.ids, now=desk.now,
                                   by=Acting.of(desk.user))
    return _json({"items": [_status_json(r) for r in rows]})


@router.post("/invoices/sign", summary="Sign invoices with the CPS in the reader",
             response_model=SignatureReportOut,
             responses=documented(403, 409, e403="`not_own_card`: the CPS in the reader is "
                                                 "not the logged-in professional's",
                                  e409="A card error (`card_absent`, `cps_required`…)"))
def sign(desk: DeskDep, body: SignIn) -> Response:
    reader = desk.card_reader
    by = Acting.of(desk.user)
    try:
        with desk.uow() as uow:
            invoice_authority.card_of(uow, reader, by)  # his own CPS, not a colleague's
        vitale = reader.read_vitale() if body.with_vitale else None
        report = invoicing.sign_invoices(desk.uow(), body.ids, sign=reader.sign,
                                         vitale=vitale, certify=reader.certify_vitale,
                                         now=desk.now, by=by)
    except CardError as exc:  # the reader as it is, not the request: 409 (errors.md)
        return error_response(exc, 409)
    return _json(_report_json(report))


@router.post("/invoices/secure",
             summary="Secure désynchronisées invoices with the carte Vitale in the reader",
             response_model=SignatureReportOut,
             responses=documented(409, e409="A card error (`card_absent`…)"))
def secure(desk: DeskDep, body: InvoiceIdsIn) -> Response:
    try:
        report = invoicing.secure_invoices(desk.uow(), body.ids,
                                           vitale=desk.card_reader.read_vitale(),
                                           certify=desk.card_reader.certify_vitale,
                                           now=desk.now)
    except CardError as exc:  # the reader as it is, not the request: 409 (errors.md)
        return error_response(exc, 409)
    return _json(_report_json(report))


def _report_json(report: invoicing.SignatureReport) -> dict[str, object]:
    return {"done": [_status_json(r) for r in report.done],
            "refused": [{"id": i, "message": m} for i, m in report.refused]}
