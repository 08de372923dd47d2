"""``/api/invoices``: validate, preview, list, read, pay, cancel, delete, sign and secure
invoices. The documents are described in ``docs/formats/invoice.md``.

A draft document is the pricing contract (``docs/formats/price.md``) plus the invoice's header
keys; bodies are parsed with ``parse_float=Decimal`` (no amount ever passes through a float)
by the pricing contract's readers, so an error names its JSON path (``field``). ``profession``,
``ps``, ``patient`` and ``amc`` may be left out: they are then taken from the professional's
record and the patient file (``services.invoicing.desk_context``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from openfse.domain.controls import Diagnostic
from openfse.domain.invoice import (
    AccidentTravail,
    ActDetails,
    AmcChoice,
    AmoServiceForcing,
    Attachment,
    BillTo,
    Complement,
    DisplayStatus,
    EntentePrealable,
    EntentePrealableCode,
    InvoiceDraft,
    MedecinTraitantDeclaration,
    Prescription,
    SecureMode,
)
from openfse.domain.payment import Balance, Payer, Payment, PaymentKind
from openfse.domain.pricing import dumps, parse_draft, priced_to_json
from openfse.domain.pricing.codes import Parcours
from openfse.domain.pricing.errors import DraftError
from openfse.domain.pricing.json_readers import (
    amount,
    boolean,
    date_value,
    enum,
    error,
    integer,
    missing,
    obj,
    optional,
    optional_enum,
    string,
    type_error,
)
from openfse.errors import NotFound, OpenFSEError
from openfse.services import access, invoicing
from openfse.store.journal import to_json_value
from openfse.store.models import Invoice, InvoiceAct, InvoicePayment, Patient
from openfse.store.repositories.invoices import InvoiceFilters
from openfse.web.session import actor_uow, current_user

router = APIRouter(tags=["factures"])
T = TypeVar("T")

MAX_ID = 2**31 - 1
_OBJECT_BODY = {"requestBody": {"required": True,
                                "content": {"application/json": {"schema": {"type": "object"}}}}}
_DRAFT_EXAMPLE = {
    "professional_id": 1,
    "patient_id": 1,
    "date_soins": "2026-03-02",
    "acts": [{"code": "G"}],
    "parcours": "medecin_traitant",
    "tiers_payant": {"amo": True, "amc": False},
    "secure_mode": "securise",
}
_DRAFT_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object"}, "example": _DRAFT_EXAMPLE}}}}


# --------------------------------------------------------------------------------------------
# Reading documents
# --------------------------------------------------------------------------------------------


async def _document(request: Request) -> Mapping[str, object]:
    raw = await request.body()
    try:
        decoded = json.loads(raw, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DraftError("$", f"invalid JSON: {exc}", "Document JSON illisible.",
                         code="invalid_json") from None
    return obj(decoded, "$")


def _id(value: object, field: str) -> int:
    return integer(value, field, 1, MAX_ID)


def _optional_id(value: object, field: str) -> int | None:
    return optional(value, lambda v: _id(v, field))


def _optional_date(value: object, field: str) -> date | None:
    return optional(value, lambda v: date_value(v, field))


def _text(value: object, field: str, max_length: int) -> str:
    """An optional free text: "" when absent."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise type_error(field, "a string", value)
    text = value.strip()
    if len(text) > max_length:
        raise error(field, f"{field}: at most {max_length} characters",
                    f"{field} : {max_length} caractères au plus.")
    return text


def _checked(build: Callable[[], T], prefix: str) -> T:
    """Build a domain value of the object at JSON path ``prefix``; its own validation error
    (a French message and the key it is about) is reported at that key's path."""
    try:
        return build()
    except DraftError:
        raise
    except OpenFSEError as exc:  # InvalidInvoice, InvalidPayment
        key = exc.field or ""
        if not prefix or key.startswith(prefix.split(".")[0].split("[")[0]):
            where = key or prefix
        else:
            where = f"{prefix}.{key}" if key else prefix
        raise error(where, f"{where}: {exc.message}", f"{where} : {exc.message}") from None


def parse_invoice_document(doc: Mapping[str, object], uow_factory: Any) -> InvoiceDraft:
    """The ``InvoiceDraft`` of a draft document (see ``docs/formats/invoice.md``).

    ``uow_factory()`` gives a unit of work to read the files when ``profession``, ``ps``,
    ``patient`` or ``amc`` are left out.
    """
    if "professional_id" not in doc:
        raise missing("professional_id")
    if "patient_id" not in doc:
        raise missing("patient_id")
    professional_id = _id(doc["professional_id"], "professional_id")
    patient_id = _id(doc["patient_id"], "patient_id")
    if "date_soins" not in doc:
        raise missing("date_soins")
    date_soins = date_value(doc["date_soins"], "date_soins")
    choice = _amc_choice(doc.get("amc_choice"))
    pricing_doc = dict(doc)
    derived = None
    if any(key not in doc for key in ("profession", "ps", "patient")) or (
            "amc" not in doc and choice is not None and choice.coverage_id is not None):
        derived = invoicing.desk_context(uow_factory(), professional_id, patient_id, date_soins)
        if "profession" not in doc and derived.profession is not None:
            pricing_doc["profession"] = derived.profession.value
    pricing = parse_draft(pricing_doc)
    if derived is not None:
        if "ps" not in doc:
            pricing = replace(pricing, ps=derived.ps)
        if "patient" not in doc:
            parcours = optional_enum(doc.get("parcours"), "parcours", Parcours, {})
            pricing = replace(pricing, patient=replace(
                derived.patient, parcours=parcours,
                victime_attentat=boolean(doc.get("victime_attentat"), "victime_attentat")))
        if "amc" not in doc and choice is not None and choice.coverage_id is not None:
            pricing = replace(pricing, amc=derived.amc_contracts.get(choice.coverage_id))
    acts = doc.get("acts")
    details = tuple(_act_details(item, index) for index, item in enumerate(
        acts if isinstance(acts, list) else []))
    draft = InvoiceDraft(
        professional_id=professional_id,
        patient_id=patient_id,
        pricing=pricing,
        act_details=details if any(d != ActDetails() for d in details) else (),
        a_domicile=boolean(doc.get("a_domicile"), "a_domicile"),
        prescription=_prescription(doc.get("prescription")),
        accident_droit_commun=boolean(doc.get("accident_droit_commun"),
                                      "accident_droit_commun"),
        accident_date=_optional_date(doc.get("accident_date"), "accident_date"),
        maternite_date=_optional_date(doc.get("maternite_date"), "maternite_date"),
        accident_travail=_accident_travail(doc.get("accident_travail")),
        forcage_ald=boolean(doc.get("forcage_ald"), "forcage_ald"),
        declaration_medecin_traitant=optional_enum(
            doc.get("declaration_medecin_traitant"), "declaration_medecin_traitant",
            MedecinTraitantDeclaration, {}),
        amc_choice=choice,
        secure_mode=enum(doc.get("secure_mode", "securise"), "secure_mode", SecureMode, {}),
        entente_prealable=_entente(doc.get("entente_prealable")),
        prevention_commune=boolean(doc.get("prevention_commune"), "prevention_commune"),
        sante_sexuelle=boolean(doc.get("sante_sexuelle"), "sante_sexuelle"),
        anonymous_minor=boolean(doc.get("anonymous_minor"), "anonymous_minor"),
        exo_per_act=boolean(doc.get("exo_per_act"), "exo_per_act"),
        group_identical=boolean(doc.get("group_identical"), "group_identical"),
        amo_service=_amo_service(doc.get("amo_service")),
        hors_teletransmission=boolean(doc.get("hors_teletransmission"),
                                      "hors_teletransmission"),
        bill_to=_bill_to(doc.get("bill_to")),
        replaces_id=_optional_id(doc.get("replaces_id"), "replaces_id"),
    )
    return draft


def _act_details(value: object, index: int) -> ActDetails:
    if not isinstance(value, Mapping):
        return ActDetails()  # parse_draft has already refused it
    field = f"acts[{index}]"
    return _checked(lambda: ActDetails(
        regroupement=_text(value.get("regroupement"), f"{field}.regroupement", 3).upper(),
        serie=boolean(value.get("serie"), f"{field}.serie"),
        complement=optional_enum(value.get("complement"), f"{field}.complement", Complement, {}),
        indemnite_forfaitaire=_text(value.get("indemnite_forfaitaire"),
                                    f"{field}.indemnite_forfaitaire", 4).upper(),
        entente_prealable=boolean(value.get("entente_prealable"), f"{field}.entente_prealable"),
    ), field)


def _prescription(value: object) -> Prescription | None:
    if value is None or value is False:
        return None
    if value is True:
        return Prescription()
    doc = obj(value, "prescription")
    return Prescription(
        date=_optional_date(doc.get("date"), "prescription.date"),
        prescriber_id=_optional_id(doc.get("prescriber_id"), "prescription.prescriber_id"),
        ordonnance=_attachment(doc.get("ordonnance")),
    )


def _attachment(value: object) -> Attachment | None:
    if value is None:
        return None
    field = "prescription.ordonnance"
    doc = obj(value, field)
    encoded = doc.get("content_base64")
    if not isinstance(encoded, str):
        raise missing(f"{field}.content_base64")
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise error(f"{field}.content_base64", f"{field}.content_base64: not base64",
                    f"{field}.content_base64 : contenu base64 illisible.") from None
    media_type = string(doc.get("media_type"), f"{field}.media_type", 40)
    return _checked(lambda: Attachment(media_type, content,
                                       _text(doc.get("filename"), f"{field}.filename", 200)),
                    field)


def _accident_travail(value: object) -> AccidentTravail | None:
    if value is None:
        return None
    doc = obj(value, "accident_travail")
    return _checked(lambda: AccidentTravail(
        date=_optional_date(doc.get("date"), "accident_travail.date"),
        organisme=_text(doc.get("organisme"), "accident_travail.organisme", 9),
        code=_text(doc.get("code"), "accident_travail.code", 2),
        identifiant=_text(doc.get("identifiant"), "accident_travail.identifiant", 9),
    ), "accident_travail")


def _amc_choice(value: object) -> AmcChoice | None:
    if value is None:
        return None
    doc = obj(value, "amc_choice")
    return AmcChoice(
        coverage_id=_optional_id(doc.get("coverage_id"), "amc_choice.coverage_id"),
        amc_number=_text(doc.get("amc_number"), "amc_choice.amc_number", 10),
        convention_type=_text(doc.get("convention_type"), "amc_choice.convention_type", 10),
        csr=_text(doc.get("csr"), "amc_choice.csr", 10),
    )


def _entente(value: object) -> EntentePrealable | None:
    if value is None:
        return None
    doc = obj(value, "entente_prealable")
    code = doc.get("code", "9")
    if isinstance(code, int) and not isinstance(code, bool):
        code = str(code)
    return EntentePrealable(
        code=enum(code, "entente_prealable.code", EntentePrealableCode, {}),
        date=_optional_date(doc.get("date"), "entente_prealable.date"),
    )


def _amo_service(value: object) -> AmoServiceForcing | None:
    if value is None:
        return None
    doc = obj(value, "amo_service")
    if doc.get("start") is None:
        raise missing("amo_service.start")
    return _checked(lambda: AmoServiceForcing(
        code=string(doc.get("code"), "amo_service.code", 3),
        start=date_value(doc["start"], "amo_service.start"),
        end=_optional_date(doc.get("end"), "amo_service.end"),
    ), "amo_service")


def _bill_to(value: object) -> BillTo | None:
    if value is None:
        return None
    doc = obj(value, "bill_to")
    return _checked(lambda: BillTo(
        name=_text(doc.get("name"), "bill_to.name", 200),
        address=_text(doc.get("address"), "bill_to.address", 500),
        siret=_text(doc.get("siret"), "bill_to.siret", 14),
        patient_id=_optional_id(doc.get("patient_id"), "bill_to.patient_id"),
    ), "bill_to")


def parse_payment(doc: Mapping[str, object]) -> Payment:
    """A payment document: ``kind``, ``amount``, ``paid_on`` (+ ``payer``, ``reference``,
    ``payer_name``)."""
    for key in ("kind", "amount", "paid_on"):
        if key not in doc:
            raise missing(key)
    return _checked(lambda: Payment(
        kind=enum(doc["kind"], "kind", PaymentKind, {"carte": PaymentKind.CB,
                                                     "espece": PaymentKind.ESPECES}),
        amount=amount(doc["amount"], "amount"),
        paid_on=date_value(doc["paid_on"], "paid_on"),
        payer=enum(doc.get("payer", "patient"), "payer", Payer, {}),
        reference=_text(doc.get("reference"), "reference", 60),
        payer_name=_text(doc.get("payer_name"), "payer_name", 200),
    ), "")


def _ids(doc: Mapping[str, object]) -> list[int]:
    raw = doc.get("ids")
    if not isinstance(raw, list) or not raw or len(raw) > 500:
        raise error("ids", "ids: expected a list of 1 to 500 invoice ids",
                    "ids : liste de 1 à 500 factures attendue.")
    return [_id(value, f"ids[{i}]") for i, value in enumerate(raw)]


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
             openapi_extra=_DRAFT_BODY,
             responses={200: {"description": "Récapitulatif"},
                        422: {"description": "Invalid draft"}})
async def preview(request: Request) -> Response:
    ctx = request.app.state.ctx
    draft = parse_invoice_document(await _document(request), ctx.uow)
    result = invoicing.preview_invoice(ctx.uow(), draft,
                                       refs=invoicing.InvoiceReferentials.of(ctx))
    dues = result.dues
    return _json({
        "priced": priced_to_json(result.priced),
        "dues": {"amo": dues.amo, "amc": dues.amc, "patient": dues.patient},
        "diagnostics": [diagnostic_json(d) for d in result.diagnostics],
        "blocking": result.blocking,
        "amo_rights": result.amo_rights,
    })


@router.post("/invoices", status_code=201, summary="Validate an invoice (numbered, stored)",
             openapi_extra=_DRAFT_BODY,
             responses={201: {"description": "Validated invoice"},
                        422: {"description": "Invalid draft, or refused by the controls "
                                             "(error.diagnostics)"}})
async def validate(request: Request) -> Response:
    ctx = request.app.state.ctx
    draft = parse_invoice_document(await _document(request), ctx.uow)
    user = current_user(request)
    if user is not None:
        access.check_bills_as(user, draft.professional_id)
    try:
        result = invoicing.validate_invoice(actor_uow(request), draft,
                                            refs=invoicing.InvoiceReferentials.of(ctx))
    except invoicing.ControlsFailed as exc:
        return _json({"error": {"code": exc.code, "message": exc.message,
                                "diagnostics": [diagnostic_json(d) for d in exc.diagnostics]}},
                     422)
    return _json(invoice_json(result.invoice), 201)


Status = Annotated[list[DisplayStatus] | None, Query(description="Displayed status (repeat)")]


@router.get("/invoices", summary="List invoices (newest first) with filters")
def list_invoices(request: Request, status: Status = None,
                  patient_id: Annotated[int | None, Query(ge=1)] = None,
                  professional_id: Annotated[int | None, Query(ge=1)] = None,
                  date_from: date | None = None, date_to: date | None = None,
                  number: Annotated[int | None, Query(ge=1, le=999_999_999)] = None,
                  assure_nir: Annotated[str | None, Query(pattern=r"^[0-9AB]{15}$")] = None,
                  include_deleted: bool = False,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    filters = InvoiceFilters(display_statuses=tuple(status or ()), patient_id=patient_id,
                             professional_id=professional_id, date_from=date_from,
                             date_to=date_to, number=number, assure_nir=assure_nir,
                             include_deleted=include_deleted)
    rows, total = invoicing.list_invoices(request.app.state.ctx.uow(), filters, limit=limit,
                                          offset=offset)
    return _json({"total": total, "items": [_summary_json(r, p) for r, p in rows]})


@router.get("/invoices/to-secure", summary="Désynchronisées invoices of one assuré")
def to_secure(request: Request,
              nir: Annotated[str, Query(pattern=r"^[0-9AB]{15}$")]) -> Response:
    rows = invoicing.invoices_to_secure(request.app.state.ctx.uow(), nir)
    return _json({"items": [_status_json(r) for r in rows]})


@router.get("/invoices/{invoice_id}", summary="One invoice with its acts and payments")
def get_invoice(request: Request, invoice_id: int) -> Response:
    return _json(invoice_json(invoicing.get_invoice(request.app.state.ctx.uow(), invoice_id)))


@router.get("/invoices/{invoice_id}/attachments/{attachment_id}",
            summary="A file joined to an invoice (the ordonnance)")
def get_attachment(request: Request, invoice_id: int, attachment_id: int) -> Response:
    row, content = invoicing.get_attachment(request.app.state.ctx.uow(), invoice_id,
                                            attachment_id)
    return Response(content, media_type=row.media_type)


@router.post("/invoices/{invoice_id}/payments", status_code=201, summary="Record a payment",
             openapi_extra=_OBJECT_BODY)
async def add_payment(request: Request, invoice_id: int) -> Response:
    payment = parse_payment(await _document(request))
    b = invoicing.record_payment(actor_uow(request), invoice_id, payment)
    return _json({"balance": balance_json(b)}, 201)


@router.put("/invoices/{invoice_id}/payments/{payment_id}", summary="Change a payment",
            openapi_extra=_OBJECT_BODY)
async def change_payment(request: Request, invoice_id: int, payment_id: int) -> Response:
    ctx = request.app.state.ctx
    payment = parse_payment(await _document(request))
    _check_payment_of(ctx, invoice_id, payment_id)
    b = invoicing.edit_payment(actor_uow(request), payment_id, payment)
    return _json({"balance": balance_json(b)})


@router.delete("/invoices/{invoice_id}/payments/{payment_id}", summary="Delete a payment")
def remove_payment(request: Request, invoice_id: int, payment_id: int) -> Response:
    ctx = request.app.state.ctx
    _check_payment_of(ctx, invoice_id, payment_id)
    b = invoicing.delete_payment(actor_uow(request), payment_id)
    return _json({"balance": balance_json(b)})


def _check_payment_of(ctx: Any, invoice_id: int, payment_id: int) -> None:
    row = invoicing.get_invoice(ctx.uow(), invoice_id)
    if all(p.id != payment_id for p in row.payments):
        raise NotFound(f"Paiement n° {payment_id} introuvable sur cette facture.")


@router.post("/invoices/{invoice_id}/cancel", status_code=201,
             summary="Cancel an invoice (creates the linked cancellation document)",
             openapi_extra=_OBJECT_BODY)
async def cancel(request: Request, invoice_id: int) -> Response:
    doc = await _document(request)
    reason = _text(doc.get("reason"), "reason", 500)
    document = invoicing.cancel_invoice(actor_uow(request), invoice_id, reason)
    return _json(_status_json(document) | {"cancels_id": document.cancels_id,
                                           "total": document.total}, 201)


@router.post("/invoices/delete", summary="Delete unsent invoices (all or none)",
             openapi_extra=_OBJECT_BODY)
async def delete_unsent(request: Request) -> Response:
    ids = _ids(await _document(request))
    rows = invoicing.delete_unsent(actor_uow(request), ids)
    return _json({"items": [_status_json(r) for r in rows]})


@router.post("/invoices/sign", summary="Sign invoices with the CPS in the reader",
             openapi_extra=_OBJECT_BODY)
async def sign(request: Request) -> Response:
    ctx = request.app.state.ctx
    doc = await _document(request)
    ids = _ids(doc)
    reader = ctx.card_reader
    vitale = reader.read_vitale() if boolean(doc.get("with_vitale"), "with_vitale") else None
    report = invoicing.sign_invoices(actor_uow(request), ids, sign=reader.sign,
                                     vitale=vitale, certify=reader.certify_vitale)
    return _json(_report_json(report))


@router.post("/invoices/secure",
             summary="Secure désynchronisées invoices with the carte Vitale in the reader",
             openapi_extra=_OBJECT_BODY)
async def secure(request: Request) -> Response:
    ctx = request.app.state.ctx
    ids = _ids(await _document(request))
    report = invoicing.secure_invoices(actor_uow(request), ids,
                                       vitale=ctx.card_reader.read_vitale(),
                                       certify=ctx.card_reader.certify_vitale)
    return _json(_report_json(report))


def _report_json(report: invoicing.SignatureReport) -> dict[str, object]:
    return {"done": [_status_json(r) for r in report.done],
            "refused": [{"id": i, "message": m} for i, m in report.refused]}
