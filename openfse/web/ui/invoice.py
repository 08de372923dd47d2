"""« Réaliser une facture » (seed 001): choose the patient (carte Vitale or patient base), fill
the invoice on one screen whose récapitulatif follows every change (``preview_invoice``),
« Valider » (controls: blocking errors stay, warnings are confirmed), then the résumé with the
invoice number and the payments.

The form ↔ draft document mapping is ``pricing_form``; the document is parsed by the same
reader as ``POST /api/invoices`` so that both speak the same errors.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from openfse.adapters.cards.errors import CardError
from openfse.domain.controls import Diagnostic
from openfse.domain.invoice import InvoiceDraft, InvoiceNumber
from openfse.domain.pricing.errors import DraftError
from openfse.errors import OpenFSEError
from openfse.services import directory, favourites, invoicing, preferences
from openfse.services import patients as patient_service
from openfse.services.cards import VitaleReading
from openfse.store.models import DataSource, Patient
from openfse.web.api.invoices import parse_invoice_document, parse_payment
from openfse.web.session import actor_uow, current_user
from openfse.web.ui import pricing_form
from openfse.web.ui.rendering import SearchText, is_htmx, render
from openfse.web.ui.start import reader_panel

router = APIRouter(include_in_schema=False)

TITLE = "Réaliser une facture"
PAYMENT_KINDS = (("cb", "Carte bancaire"), ("cheque", "Chèque"), ("especes", "Espèces"),
                 ("virement", "Virement"), ("autre", "Autre"))
PAYERS = (("patient", "Patient"), ("amo", "Caisse (AMO)"), ("amc", "Mutuelle (AMC)"))


def _ctx(request: Request) -> Any:
    return request.app.state.ctx


async def _fields(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def _page(request: Request, template: str, *, status_code: int = 200,
          **context: Any) -> HTMLResponse:
    return render(request, template, active="facture", title=TITLE, status_code=status_code,
                  **context)


# -- choosing the patient --------------------------------------------------------------------

@router.get("/facture", response_class=HTMLResponse)
def invoice_screen(request: Request, patient: int = 0, pro: int = 0, carte: int = 0,
                   q: SearchText = "") -> HTMLResponse:
    ctx = _ctx(request)
    if not patient:
        found = directory.search_patients(ctx.uow(), q, limit=20) if q else []
        return _page(request, "invoice/choose.html", q=q, found=found,
                     panel=reader_panel(request, "/facture"))
    today = date.today()
    prefs = preferences.get_all(ctx.uow())
    state = pricing_form.default_form(today, home_visit=prefs.home_visit_by_default)
    state["patient_id"] = str(patient)
    state["professional_id"] = str(pro or _default_professional(request))
    # Without the carte Vitale the invoice is secured later (seed 001 « mode désynchronisé »).
    state["secure_mode"] = "securise" if carte else "desynchronise"
    state["carte"] = "1" if carte else ""
    return _form_page(request, state)


def _card_accidents(request: Request, patient_id: int) -> list[dict[str, str]]:
    """The accidents du travail written on the card in the reader for this patient
    (« AT de la carte »); none when the card is gone or is not his."""
    ctx = _ctx(request)
    try:
        reading = patient_service.read_vitale(ctx.uow(), ctx.card_reader)
    except CardError:
        return []
    for entry in reading.entries:
        b = entry.beneficiary
        if b.accidents_travail and patient_service.find_beneficiary_id(ctx.uow(), b) == patient_id:
            return [{"value": f"{a.identifiant}||{a.organisme}|{a.date.isoformat()}",
                     "label": f"AT n° {a.identifiant} du {a.date.strftime('%d/%m/%Y')}"}
                    for a in b.accidents_travail]
    return []


def _default_professional(request: Request) -> int:
    """The logged-in professional; otherwise the first titulaire (the user may change it)."""
    user = current_user(request)
    if user is not None and user.professional_id is not None:
        return user.professional_id
    pros = directory.list_professionals(_ctx(request).uow())
    return pros[0].id if pros else 0


@router.get("/facture/vitale", response_class=HTMLResponse)
def vitale_beneficiaries(request: Request) -> HTMLResponse:
    """The beneficiaries of the carte Vitale in the reader (seed 003 « Lecture de la carte »)."""
    ctx = _ctx(request)
    try:
        reading: VitaleReading | None = patient_service.read_vitale(ctx.uow(), ctx.card_reader)
        error = ""
    except CardError as exc:
        reading, error = None, exc.message
    waiting = []
    if reading is not None:
        # Invoices of this assuré made without his card: offer to secure them first.
        waiting = invoicing.invoices_to_secure(ctx.uow(), reading.card.beneficiaries[0].nir)
    return _page(request, "invoice/vitale.html", reading=reading, error=error, waiting=waiting,
                 panel=reader_panel(request, "/facture/vitale"),
                 status_code=200 if reading is not None else 409)


async def _choose_beneficiary(request: Request) -> Response:
    ctx = _ctx(request)
    form = await _fields(request)
    try:
        reading = patient_service.read_vitale(ctx.uow(), ctx.card_reader)
    except CardError as exc:
        return _page(request, "invoice/vitale.html", reading=None, error=exc.message,
                     waiting=[], status_code=409)
    index = int(form["index"]) if form.get("index", "").isdigit() else -1
    if not 0 <= index < len(reading.entries):
        return _page(request, "invoice/vitale.html", reading=reading, waiting=[],
                     error="Choisissez un bénéficiaire de la carte.", status_code=422)
    imported = patient_service.import_beneficiary(
        ctx.uow(), reading.entries[index].beneficiary, DataSource.VITALE, date.today())
    return RedirectResponse(f"/facture?patient={imported.patient.id}&carte=1", status_code=303)


router.add_api_route("/facture/vitale", _choose_beneficiary, methods=["POST"],
                     response_class=HTMLResponse)


# -- the form and its récapitulatif ----------------------------------------------------------

def _choices(request: Request, state: Mapping[str, Any]) -> dict[str, Any]:
    ctx = _ctx(request)
    patient_id = _int(state.get("patient_id"))
    patient: Patient | None = None
    coverages: list[Any] = []
    if patient_id:
        with ctx.uow() as uow:
            patient = uow.patients.find(patient_id)
            if patient is not None:
                coverages = [(c.id, f"{c.amc_number or ''} {c.formula_code or ''}".strip())
                             for c in uow.amc_coverages.for_patient(patient_id)]
    pro_id = _int(state.get("professional_id"))
    from_card = patient is not None and state.get("carte") == "1"
    return {
        "accidents": _card_accidents(request, patient.id) if from_card and patient else [],
        "patient": patient,
        "coverages": coverages,
        "professionals": [(p.id, f"{p.last_name} {p.first_name}")
                          for p in directory.list_professionals(ctx.uow())],
        "prescribers": [(p.id, f"{p.last_name} {p.first_name or ''}".strip())
                        for p in directory.search_prescribers(ctx.uow(), "", limit=200)],
        "favourites": favourites.search(ctx.uow(), professional_id=pro_id or None),
        "parcours_choices": pricing_form.PARCOURS_CHOICES,
        "natures": pricing_form.NATURE_CHOICES,
        "formulas": pricing_form.FORMULA_CHOICES,
        "exos": pricing_form.EXO_CHOICES,
        "secure_modes": pricing_form.SECURE_MODE_CHOICES,
        "declarations": pricing_form.DECLARATION_CHOICES,
        "ententes": pricing_form.ENTENTE_CHOICES,
        "nomenclatures": pricing_form.NOMENCLATURES,
    }


def _int(value: object) -> int:
    text = str(value or "")
    return int(text) if text.isdigit() else 0


def _form_page(request: Request, state: dict[str, Any], *, status_code: int = 200,
               **extra: Any) -> HTMLResponse:
    context = {"form": state, **_choices(request, state), **extra}
    if is_htmx(request):
        # htmx swaps only 2xx answers: a refused form comes back with 200 and its messages.
        return render(request, "invoice/_screen.html", **context)
    return _page(request, "invoice/screen.html", status_code=status_code, **context)


def _draft(request: Request, form: Mapping[str, str],
           ordonnance: UploadFile | None = None) -> InvoiceDraft:
    doc = pricing_form.to_document(form)
    if ordonnance is not None and ordonnance.filename and "prescription" in doc:
        # « Joindre la photo ou le scan de l'ordonnance » (seed 001): the document carries it
        # in base64, checked (type, size) by the same reader as the API.
        doc["prescription"]["ordonnance"] = {
            "media_type": ordonnance.content_type or "",
            "filename": ordonnance.filename,
            "content_base64": base64.b64encode(ordonnance.file.read()).decode("ascii"),
        }
    return parse_invoice_document(doc, _ctx(request).uow)


def _error_context(exc: OpenFSEError) -> dict[str, Any]:
    field = getattr(exc, "field", None) or ""
    message = getattr(exc, "message_fr", None) or exc.message
    # Shown next to the field: the JSON path that starts the message is redundant.
    message = message.removeprefix(f"{field} : ")
    return {"error": message, "error_field": pricing_form.form_field_of(field) if field else ""}


@router.post("/facture/recapitulatif", response_class=HTMLResponse)
async def recap(request: Request) -> HTMLResponse:
    """The récapitulatif of what is typed (htmx, on every change)."""
    form = await _fields(request)
    context: dict[str, Any] = {}
    try:
        context["preview"] = invoicing.preview_invoice(
            _ctx(request).uow(), _draft(request, form),
            refs=invoicing.InvoiceReferentials.of(_ctx(request)))
    except (DraftError, OpenFSEError) as exc:
        context.update(_error_context(exc))
    return render(request, "invoice/_recap.html", **context)


@router.post("/facture/favori", response_class=HTMLResponse)
async def insert_favourite(request: Request) -> HTMLResponse:
    """« Favoris »: every act of the chosen favourite inserted in one action."""
    form = await _fields(request)
    state = pricing_form.form_state(form)
    favourite_id = _int(form.get("favourite"))
    if favourite_id:
        chosen = favourites.get(_ctx(request).uow(), favourite_id)
        state = pricing_form.with_acts(state, favourites.acts_as_draft(chosen))
    state["favourite"] = ""
    return _form_page(request, state, focus="valider")


@router.post("/facture", response_class=HTMLResponse)
async def validate(request: Request) -> HTMLResponse:
    """« Valider »: blocking diagnostics keep the form; warnings ask a confirmation; then the
    number, the résumé and the payment form."""
    posted = await request.form()
    form = {k: v for k, v in posted.items() if isinstance(v, str)}
    upload = posted.get("ordonnance")
    ordonnance = upload if isinstance(upload, UploadFile) else None
    state = pricing_form.form_state(form)
    failed = 200 if is_htmx(request) else 422
    ctx = _ctx(request)
    refs = invoicing.InvoiceReferentials.of(ctx)
    try:
        draft = _draft(request, form, ordonnance)
        preview = invoicing.preview_invoice(ctx.uow(), draft, refs=refs)
        warnings = [d for d in preview.diagnostics if not d.is_blocking]
        if preview.blocking or (warnings and form.get("confirmed") != "on"):
            return _form_page(request, state, preview=preview,
                              diagnostics=preview.diagnostics,
                              ask_confirm=not preview.blocking, status_code=failed)
        result = invoicing.validate_invoice(actor_uow(request), draft, refs=refs)
    except invoicing.ControlsFailed as exc:
        return _form_page(request, state, diagnostics=exc.diagnostics, status_code=failed)
    except (DraftError, OpenFSEError) as exc:
        return _form_page(request, state, status_code=failed, **_error_context(exc))
    return _summary(request, result.invoice.id, accepted=result.diagnostics)


@router.get("/facture/actes", response_class=HTMLResponse)
def act_suggestions(request: Request, q: SearchText = "", pro: int = 0) -> HTMLResponse:
    """Live suggestions of the act field: the professional's NGAP / COx keys by prefix or
    word of the label, then CCAM acts (``ccam_catalog().search``)."""
    ctx = _ctx(request)
    text = q.strip()
    options: list[tuple[str, str]] = []
    if text:
        today = date.today()
        professions = favourites.owner_professions(ctx.uow(), pro or None)
        lowered = text.lower()
        options = [(k.code, f"{k.nomenclature} — {k.label}")
                   for k in favourites.code_choices(professions, today)
                   if k.code.lower().startswith(lowered) or lowered in k.label.lower()][:15]
        if len(text) >= 3:
            options += [(a.code, f"CCAM — {a.label}")
                        for a in ctx.ccam_catalog().search(text, limit=15)]
    return render(request, "invoice/_act_options.html", options=options)


# -- résumé and payments ---------------------------------------------------------------------

def _summary(request: Request, invoice_id: int, *, accepted: tuple[Diagnostic, ...] = (),
             payment_error: str = "", payment_form: Mapping[str, str] | None = None,
             status_code: int = 200) -> HTMLResponse:
    ctx = _ctx(request)
    invoice = invoicing.get_invoice(ctx.uow(), invoice_id)
    prefs = preferences.get_all(ctx.uow())
    bal = invoicing.balance_of(invoice)
    typed = dict(payment_form or {})
    typed.setdefault("kind", prefs.default_payment_type or "cb")
    typed.setdefault("amount", str(max(bal.solde_patient, 0)).replace(".", ","))
    typed.setdefault("paid_on", date.today().isoformat())
    typed.setdefault("payer", "patient")
    with ctx.uow() as uow:
        patient = uow.patients.find(invoice.patient_id)
        patient_label = "" if patient is None else (
            patient.company_name or f"{patient.last_name} {patient.first_name}")
    number = "" if invoice.number is None else str(InvoiceNumber(invoice.number))
    context: dict[str, Any] = {"invoice": invoice, "number": number, "balance": bal,
               "patient_label": patient_label, "accepted": accepted, "pay": typed,
               "payment_error": payment_error, "payment_kinds": PAYMENT_KINDS,
               "payers": PAYERS, "kind_labels": dict(PAYMENT_KINDS),
               "payer_labels": dict(PAYERS)}
    if is_htmx(request):
        return render(request, "invoice/_summary.html", status_code=status_code, **context)
    return _page(request, "invoice/summary.html", status_code=status_code, **context)


@router.get("/facture/{invoice_id}", response_class=HTMLResponse)
def summary(request: Request, invoice_id: int) -> HTMLResponse:
    return _summary(request, invoice_id)


@router.post("/facture/{invoice_id}/paiement", response_class=HTMLResponse)
async def pay(request: Request, invoice_id: int) -> HTMLResponse:
    """One payment (chèque, CB, espèces, autre); several may follow."""
    form = await _fields(request)
    doc = {k: v for k, v in form.items() if k in ("kind", "paid_on", "payer", "reference")}
    doc["amount"] = form.get("amount", "").strip()
    try:
        invoicing.record_payment(actor_uow(request), invoice_id, parse_payment(doc))
    except (DraftError, OpenFSEError) as exc:
        message = getattr(exc, "message_fr", None) or exc.message
        field = getattr(exc, "field", None) or ""
        return _summary(request, invoice_id, payment_error=message.removeprefix(f"{field} : "),
                        payment_form=form, status_code=200 if is_htmx(request) else 422)
    return _summary(request, invoice_id, payment_form={"kind": form.get("kind", "cb")})
