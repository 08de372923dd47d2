"""« Réaliser une facture » (manuel eS-KAP+): choose the patient (carte Vitale, appli carte Vitale
or patient base — the card's invoices waiting to be secured are offered first), fill the invoice on
one screen whose récapitulatif follows every change (``preview_invoice``), create a missing
prescriber without leaving it, secure it with the card read meanwhile, « Valider » (controls:
blocking errors stay, warnings are confirmed; each is also shown next to its field), then the
résumé with the invoice number, the payments, and « Sécuriser » for a désynchronisée invoice.

The form ↔ draft document mapping is ``pricing_form``; the document is parsed by the same
reader as ``POST /api/invoices`` so that both speak the same errors.
"""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from openfse.adapters.cards.errors import CardError
from openfse.adapters.cards.port import ApcvError, ApcvProvider, CardReader
from openfse.adapters.teleservices.port import AdriRequest
from openfse.domain.cards import VitaleBeneficiary
from openfse.domain.controls import Diagnostic
from openfse.domain.invoice import InvoiceDraft, InvoiceNumber
from openfse.domain.pricing.errors import DraftError
from openfse.domain.rights import PatientSource, should_call_adri
from openfse.errors import InvalidInput, NotFound, OpenFSEError
from openfse.services import (
    access,
    coverage,
    directory,
    favourites,
    invoice_authority,
    invoice_signature,
    invoicing,
    preferences,
    prepared_invoices,
    prescribers,
    shares,
)
from openfse.services import amc_conventions as convention_offers
from openfse.services import patients as patient_service
from openfse.services.cards import BeneficiaryStatus, VitaleReading
from openfse.services.invoice_authority import Acting
from openfse.services.invoice_input import parse_invoice_document, parse_payment
from openfse.services.teleservices import (
    AdriFound,
    AdriMismatch,
    AdriUnknown,
    local_conventions,
    query_adri,
)
from openfse.store.models import DataSource, Patient
from openfse.typed_numbers import record_id
from openfse.web.deps import Desk, DeskDep
from openfse.web.pending import PendingKind, keep, kept
from openfse.web.ui import invoice_prefill, pricing_form
from openfse.web.ui.rendering import SearchText, is_htmx, render
from openfse.web.ui.start import reader_panel
from openfse.web.uploads import uploaded_image

router = APIRouter(include_in_schema=False)

TITLE = "Réaliser une facture"
PAYMENT_KINDS = (("cb", "Carte bancaire"), ("cheque", "Chèque"), ("especes", "Espèces"),
                 ("virement", "Virement"), ("autre", "Autre"))
PAYERS = (("patient", "Patient"), ("amo", "Caisse (AMO)"), ("amc", "Mutuelle (AMC)"))


async def _fields(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def _page(desk: Desk, template: str, *, status_code: int = 200,
          **context: Any) -> HTMLResponse:
    return render(desk.request, template, active="facture", title=TITLE, status_code=status_code,
                  **context)


# -- choosing the patient --------------------------------------------------------------------

@router.get("/facture", response_class=HTMLResponse)
def invoice_screen(request: Request, desk: DeskDep, patient: int = 0, pro: int = 0,
                   carte: str = "",
                   q: SearchText = "", refacturer: int = 0, adri: str = "",
                   preparee: int = 0) -> HTMLResponse:
    """``carte``: « 1 » started from the carte Vitale in the reader, « apcv » from the appli
    carte Vitale; both secure the invoice at once (mode sécurisé). ``refacturer``: the id of
    a cancelled (rejected) invoice to make again, the screen filled from it. ``preparee``: an
    invoice the secrétariat prepared, to check and validate.

    A GET changes nothing: ADRi, which writes the day's rights in the file, is asked by the
    screen itself once shown (``POST /facture/adri``), never by following a link."""
    if preparee:
        return _prepared_screen(desk, preparee)
    old = None
    if refacturer:
        try:
            old = invoicing.invoice_to_reinvoice(desk.uow(), refacturer)
        except (InvalidInput, NotFound) as exc:
            return _page(desk, "invoice/choose.html", q="", found=[], problem=exc.message,
                         panel=reader_panel(request, "/facture"), status_code=422)
        patient, pro = old.patient_id, old.professional_id
    if not patient:
        found = directory.search_patients(desk.uow(), q, limit=20) if q else []
        return _page(desk, "invoice/choose.html", q=q, found=found,
                     to_validate=_to_validate(desk),
                     panel=reader_panel(request, "/facture"))
    today = desk.today
    prefs = _preferences(desk)
    state = pricing_form.default_form(today, home_visit=prefs.home_visit_by_default)
    state["patient_id"] = str(patient)
    state["professional_id"] = str(pro or _default_professional(desk))
    card = carte if carte in (FROM_VITALE, FROM_APCV) else ""
    # Without the carte Vitale the invoice is secured later (manuel eS-KAP+ « mode désynchronisé »).
    state["secure_mode"] = "securise" if card else "desynchronise"
    state["carte"] = card
    # What the file imposes, shown from the start (issue 13, defects 3 and 13); an unknown
    # patient is said by the screen (« Patient introuvable »).
    with contextlib.suppress(NotFound):
        state = pricing_form.with_file_defaults(
            state, coverage.situation_for(desk.uow(), patient, today))
    if old is not None:
        state = invoice_prefill.form_of(old, state)
        state["replaces_number"] = "" if old.number is None else str(InvoiceNumber(old.number))
    # From the patient base (no card read today): the screen asks ADRi by a POST once shown.
    ask_adri = old is None and not card and not adri
    return _form_page(desk, state, adri_notice=ADRI_NOTICES.get(adri), ask_adri=ask_adri)


@router.post("/facture/adri", response_class=HTMLResponse)
async def adri_for_file(request: Request, desk: DeskDep) -> HTMLResponse:
    """ADRi for an invoice started from the patient base, as the user's preferences say
    (``_ask_adri``): asked by the invoice screen when it opens (htmx POST), answered with the
    notice to show; the récapitulatif is then computed again with the day's rights."""
    patient_id = _int((await _fields(request)).get("patient_id"))
    said = _ask_adri(desk, patient_id, None, PatientSource.DOSSIER) if patient_id else ""
    answer = render(request, "invoice/_adri_notice.html", adri_notice=ADRI_NOTICES.get(said))
    if said == "a-jour":
        answer.headers["HX-Trigger"] = "openfse-rights-updated"
    return answer


def _card_accidents(desk: Desk, patient_id: int) -> list[dict[str, str]]:
    """The accidents du travail written on the card in the reader for this patient
    (« AT de la carte »); none when the card is gone or is not his."""
    entry = _patient_on_card(desk, patient_id)
    if entry is None:
        return []
    return [{"value": f"{a.identifiant}||{a.organisme}|{pricing_form.french_date(a.date)}",
             "label": f"AT n° {a.identifiant} du {pricing_form.french_date(a.date)}"}
            for a in entry.beneficiary.accidents_travail]


def _patient_on_card(desk: Desk, patient_id: int) -> BeneficiaryStatus | None:
    """The entry of this patient on the carte Vitale in the reader (None: no card, or the
    card is not his)."""
    try:
        reading = patient_service.read_vitale(desk.uow(), desk.card_reader)
    except CardError:
        return None
    for entry in reading.entries:
        if patient_service.find_beneficiary_id(desk.uow(), entry.beneficiary) == patient_id:
            return entry
    return None


def _preferences(desk: Desk) -> preferences.Preferences:
    """The logged-in user's own preferences over the cabinet's (« Profils »)."""
    user = desk.user
    return preferences.get_all(desk.uow(),
                               user_id=user.user_id if user is not None else None)


def _default_professional(desk: Desk) -> int:
    """The logged-in professional; otherwise the first titulaire (the user may change it)."""
    user = desk.user
    if user is not None and user.professional_id is not None:
        return user.professional_id
    pros = directory.list_professionals(desk.uow())
    return pros[0].id if pros else 0


# The two cards that start an invoice: the carte Vitale in the reader, read again at every
# step (the card is the source), and the appli carte Vitale, whose session is read once (a
# QR code serves once) and kept under a token until a beneficiary is chosen.
FROM_VITALE, FROM_APCV = "1", "apcv"


def _card_reading(desk: Desk, token: str) -> VitaleReading:
    """The beneficiaries of the carte Vitale (no ``token``) or of the appli session."""
    if not token:
        return patient_service.read_vitale(desk.uow(), desk.card_reader)
    try:
        reading: VitaleReading = kept(desk.request, token, PendingKind.APCV)
    except NotFound as exc:
        raise NotFound("Lecture de l'appli carte Vitale expirée : relisez l'appli.",
                       code="pending_expired") from exc
    return reading


def _beneficiaries_page(desk: Desk, token: str, *, done: str = "",
                        error: str = "", status_code: int = 200) -> HTMLResponse:
    """The beneficiaries of the card to choose from; first, the invoices of this assuré
    waiting for his card (manuel eS-KAP+ « Factures poste de travail »: « il est possible de
    sécuriser la ou les factures avant de réaliser une facture avec cette carte vitale »)."""
    base = f"/facture/apcv/{token}" if token else "/facture/vitale"
    try:
        reading: VitaleReading | None = _card_reading(desk, token)
    except (CardError, NotFound) as exc:
        reading, error, status_code = None, exc.message, 409
    waiting = []
    if reading is not None:
        waiting = invoicing.invoices_to_secure(desk.uow(), reading.card.nir)
    return _page(desk, "invoice/vitale.html", reading=reading, error=error, done=done,
                 waiting=waiting, base=base, apcv=bool(token), status_code=status_code,
                 panel=None if token else reader_panel(desk.request, "/facture/vitale"))


@router.get("/facture/vitale", response_class=HTMLResponse)
def vitale_beneficiaries(request: Request, desk: DeskDep) -> HTMLResponse:
    """The beneficiaries of the carte Vitale in the reader (guide LOGOSw, « Lecture de la
    carte »)."""
    return _beneficiaries_page(desk, "")


@router.get("/facture/apcv/{token}", response_class=HTMLResponse)
def apcv_beneficiaries(request: Request, desk: DeskDep, token: str) -> HTMLResponse:
    """The beneficiaries of the appli carte Vitale session (manuel eS-KAP+, « Appli Carte
    Vitale »)."""
    return _beneficiaries_page(desk, token)


async def _choose_beneficiary(desk: DeskDep) -> Response:
    """« Facturer » a beneficiary of the card: his file is created or updated from the card,
    then the invoice screen opens with him, in mode sécurisé."""
    form = await _fields(desk.request)
    token = str(desk.request.path_params.get("token", ""))
    try:
        reading = _card_reading(desk, token)
    except (CardError, NotFound):
        return _beneficiaries_page(desk, token)
    index = _int(form.get("index")) if form.get("index", "").isdigit() else -1
    if not 0 <= index < len(reading.entries):
        return _beneficiaries_page(desk, token, error="Choisissez un bénéficiaire de la carte.",
                                   status_code=422)
    source = DataSource.APCV if token else DataSource.VITALE
    beneficiary = reading.entries[index].beneficiary
    imported = patient_service.import_beneficiary(desk.uow(), beneficiary, source,
                                                  desk.today)
    card = FROM_APCV if token else FROM_VITALE
    target = f"/facture?patient={imported.patient.id}&carte={card}"
    said = _ask_adri(desk, imported.patient.id, beneficiary,
                     PatientSource.APPLI_CARTE_VITALE if token else PatientSource.CARTE_VITALE)
    return RedirectResponse(target + (f"&adri={said}" if said else ""), status_code=303)


# What the card start says of ADRi on the invoice screen (``adri=`` of the redirection).
ADRI_NOTICES = {
    "a-jour": ("ok", "Droits AMO du jour obtenus par ADRi et enregistrés dans le dossier."),
    "ecart": ("ko", "ADRi signale une identité différente de celle du dossier : droits non "
                    "repris, vérifiez le dossier (« Interroger l'ADRI »)."),
    "inconnu": ("ko", "ADRi ne connaît pas ce bénéficiaire : droits de la carte ou du "
                      "dossier utilisés."),
    "indisponible": ("ko", "ADRi ne répond pas : droits de la carte ou du dossier utilisés, "
                           "la facture peut être faite."),
}


def _ask_adri(desk: Desk, patient_id: int, beneficiary: VitaleBeneficiary | None,
              source: PatientSource) -> str:
    """ADRi at the start of an invoice, as the user's « Préférences de facturation » say
    (manuel eS-KAP+, ``rights.should_call_adri``): always with the appli carte Vitale;
    otherwise always in mode systématique, never in mode manuel, and in mode ciblé when the
    day's rights are not known from a card read (the carte Vitale's rights do not cover today,
    or no card: the invoice starts from the file). The day's rights the caisse gives replace
    the file's; a failure never stops the invoice (issue 4). '' when ADRi is not asked."""
    today = desk.today
    known = beneficiary is not None and beneficiary.amo.open_on(today)
    if not should_call_adri(_preferences(desk).adri_mode, source=source,
                            rights_known_today=known):
        return ""
    if beneficiary is not None:
        result = query_adri(desk.adri, AdriRequest.from_vitale(beneficiary), today)
    else:
        try:
            _, result = patient_service.query_patient_rights(desk.uow(), desk.adri, patient_id,
                                                             today)
        except InvalidInput:  # a company, or a file without NIR / régime: nothing to ask
            return ""
    if isinstance(result, AdriFound):
        patient_service.apply_adri(desk.uow(), patient_id, result.answer,
                                   patient_service.ADRI_FIELDS, today)
        return "a-jour"
    if isinstance(result, AdriMismatch):
        return "ecart"
    if isinstance(result, AdriUnknown):
        return "inconnu"
    return "indisponible"


async def _secure_waiting(desk: DeskDep) -> Response:
    """« Sécuriser » the chosen invoices of the assuré with his card or appli, before the new
    invoice (the service of « Factures à sécuriser »)."""
    form = await desk.request.form()
    token = str(desk.request.path_params.get("token", ""))
    ids = [_int(v) for v in form.getlist("ids") if isinstance(v, str) and v.isdigit()]
    try:
        reading = _card_reading(desk, token)
    except (CardError, NotFound):
        return _beneficiaries_page(desk, token)
    if not ids:
        return _beneficiaries_page(desk, token, status_code=422,
                                   error="Cochez les factures à sécuriser.")
    report = invoicing.secure_invoices(desk.uow(), ids, vitale=reading.card,
                                       certify=_certifier(desk, reading))
    # A refusal is an error (red), never said in the green box of what was done (issue 13).
    return _beneficiaries_page(desk, token, done=f"{len(report.done)} facture(s) sécurisée(s).",
                               error=" ".join(m for _, m in report.refused))


def _certifier(desk: Desk, reading: VitaleReading) -> invoicing.Certify:
    """Who signs for the carte Vitale: the card in the reader, or the appli's session."""
    reader: CardReader = desk.card_reader
    apcv: ApcvProvider = desk.apcv
    session_id = reading.session_id
    if session_id is None:
        return reader.certify_vitale
    return lambda data: apcv.certify(session_id, data)


for _path in ("/facture/vitale", "/facture/apcv/{token}"):
    router.add_api_route(_path, _choose_beneficiary, methods=["POST"],
                         response_class=HTMLResponse)
    router.add_api_route(f"{_path}/securiser", _secure_waiting, methods=["POST"],
                         response_class=HTMLResponse)


@router.get("/facture/apcv", response_class=HTMLResponse)
def apcv_page(request: Request, desk: DeskDep) -> HTMLResponse:
    return _page(desk, "invoice/apcv.html", error="", payload="")


@router.post("/facture/apcv", response_class=HTMLResponse)
async def read_apcv(request: Request, desk: DeskDep) -> Response:
    """Open the appli carte Vitale session (QR code typed by a 2D scanner or photographed,
    or NFC), then choose the beneficiary to invoice."""
    posted = await request.form()
    payload = str(posted.get("payload") or "").strip()
    image = posted.get("image")
    try:
        reading = patient_service.read_apcv_at_desk(
            desk.uow(), desk.apcv, nfc=posted.get("mode") == "nfc", payload=payload,
            image=uploaded_image(image, field="image"))
    except (ApcvError, InvalidInput, CardError) as exc:
        return _page(desk, "invoice/apcv.html", error=exc.message, payload=payload,
                     status_code=422)
    token = keep(request, PendingKind.APCV, reading)
    return RedirectResponse(f"/facture/apcv/{token}", status_code=303)


# -- the form and its récapitulatif ----------------------------------------------------------

def _choices(desk: Desk, state: Mapping[str, Any]) -> dict[str, Any]:
    patient_id = _int(state.get("patient_id"))
    patient: Patient | None = None
    coverages: list[Any] = []
    situation = None
    if patient_id:
        # The patient, the mutuelles in force on the date of care (« ALMERYS — 052 100 % »)
        # and what the file imposes (domain/coverage.py).
        patient, situation = coverage.patient_and_situation(
            desk.uow(), patient_id, _care_date(state, desk.today))
        if situation is not None:
            coverages = list(situation.labels.items())
    pro_id = _int(state.get("professional_id"))
    from_card = patient is not None and state.get("carte") == FROM_VITALE
    return {
        "accidents": _card_accidents(desk, patient.id) if from_card and patient else [],
        "patient": patient,
        "coverages": coverages,
        "situation": situation,
        "ald_answers": pricing_form.ALD_ANSWERS,
        "professionals": _professional_choices(desk),
        "preparing": _prepares_only(desk),
        "prescribers": [(p.id, f"{p.last_name} {p.first_name or ''}".strip())
                        for p in directory.search_prescribers(desk.uow(), "", limit=200)],
        "favourites": favourites.search(desk.uow(), professional_id=pro_id or None),
        "parcours_choices": pricing_form.PARCOURS_CHOICES,
        "natures": pricing_form.NATURE_CHOICES,
        "formulas": pricing_form.FORMULA_CHOICES,
        "exos": pricing_form.EXO_CHOICES,
        "secure_modes": pricing_form.SECURE_MODE_CHOICES,
        "declarations": pricing_form.DECLARATION_CHOICES,
        "ententes": pricing_form.ENTENTE_CHOICES,
        "nomenclatures": pricing_form.NOMENCLATURES,
        "specialties": prescribers.specialty_choices(),
    }


def _professional_choices(desk: Desk) -> list[tuple[int, str]]:
    """Whom the invoice may name: a professional bills only in his own name (issue 12: a
    nurse validated a consultation naming « Dr Legrand »); the secrétariat prepares for any
    professional of the cabinet."""
    user = desk.user
    pros = directory.list_professionals(desk.uow())
    own = None if user is None else user.professional_id
    return [(p.id, f"{p.last_name} {p.first_name}") for p in pros
            if own is None or p.id == own]


def _prepares_only(desk: Desk) -> bool:
    """The secrétariat types invoices for a professional to validate (never validates)."""
    user = desk.user
    if user is None:
        return False
    try:
        access.check(user, access.permission_for("POST", "/facture"), on_calendar_day=True)
    except access.Forbidden:
        return True
    return user.professional_id is None


def _int(value: object) -> int:
    """A posted id, 0 when it is not one (an absurdly long number is not one either)."""
    return record_id(value) or 0


def _form_page(desk: Desk, state: dict[str, Any], *, status_code: int = 200,
               **extra: Any) -> HTMLResponse:
    context = {"form": state, **_choices(desk, state), **extra}
    context["near"] = _by_field(context.get("diagnostics") or ())
    context["unfold"] = _folded_with_findings(context["near"])
    if is_htmx(desk.request):
        # htmx swaps only 2xx answers: a refused form comes back with 200 and its messages.
        return render(desk.request, "invoice/_screen.html", **context)
    return _page(desk, "invoice/screen.html", status_code=status_code, **context)


def _by_field(diagnostics: Sequence[Diagnostic]) -> dict[str, list[Diagnostic]]:
    """The controls' findings by the form field they are about, to show each one next to its
    field too (the summary block keeps them all)."""
    near: dict[str, list[Diagnostic]] = {}
    for found in diagnostics:
        if found.field:
            near.setdefault(pricing_form.form_field_of(found.field), []).append(found)
    return near


# Fields shown in a folded part of the screen: the part opens when a finding is about them.
_PRESCRIPTION_PART = frozenset({"prescription", "prescription_date", "prescriber_id",
                                "prescription_ordonnance", "entente_code", "entente_date"})


def _folded_with_findings(near: Mapping[str, object]) -> set[str]:
    """The folded parts to open: « prescription », or « acts-2 » for act 3's details (its
    code is always in sight)."""
    parts = {"prescription"} if _PRESCRIPTION_PART & near.keys() else set()
    for name in near:
        index, _, key = name.removeprefix("acts-").partition("-")
        if name.startswith("acts-") and key != "code":
            parts.add(f"acts-{index}")
    return parts


def _draft(desk: Desk, form: Mapping[str, str],
           ordonnance: UploadFile | None = None) -> InvoiceDraft:
    doc = pricing_form.to_document(form)
    if ordonnance is not None and ordonnance.filename and "prescription" in doc:
        # « Joindre la photo ou le scan de l'ordonnance » (manuel eS-KAP+): the document carries it
        # in base64, checked (type, size) by the same reader as the API.
        doc["prescription"]["ordonnance"] = {
            "media_type": ordonnance.content_type or "",
            "filename": ordonnance.filename,
            "content_base64": base64.b64encode(ordonnance.file.read()).decode("ascii"),
        }
    draft = parse_invoice_document(doc, desk.uow)
    # « Corriger et refacturer »: the link is checked by the service at validation.
    replaces = _int(form.get("replaces_id"))
    return replace(draft, replaces_id=replaces) if replaces else draft


def _error_context(exc: OpenFSEError) -> dict[str, Any]:
    field = getattr(exc, "field", None) or ""
    message = getattr(exc, "message_fr", None) or exc.message
    # Shown next to the field: the JSON path that starts the message is redundant.
    message = message.removeprefix(f"{field} : ")
    return {"error": message, "error_field": pricing_form.form_field_of(field) if field else ""}


@router.post("/facture/recapitulatif", response_class=HTMLResponse)
async def recap(request: Request, desk: DeskDep) -> HTMLResponse:
    """The récapitulatif of what is typed (htmx, on every change)."""
    form = await _fields(request)
    context: dict[str, Any] = {}
    if not any(form.get(k, "").strip() for k in form if k.startswith("acts-")
               and k.endswith("-code")):
        # A blank invoice is not an error: the controls speak once an act is typed or at
        # « Valider » (issue 13: no red « de 1 à 99 actes attendus » on a new invoice).
        return render(request, "invoice/_recap.html", blank=True)
    try:
        context["preview"] = invoicing.preview_invoice(
            desk.uow(), _draft(desk, form),
            refs=invoicing.InvoiceReferentials.of(desk.context), today=desk.today)
    except (DraftError, OpenFSEError) as exc:
        context.update(_error_context(exc))
    return render(request, "invoice/_recap.html", **context)


@router.post("/facture/favori", response_class=HTMLResponse)
async def insert_favourite(request: Request, desk: DeskDep) -> HTMLResponse:
    """« Favoris »: every act of the chosen favourite inserted in one action."""
    form = await _fields(request)
    state = pricing_form.form_state(form)
    favourite_id = _int(form.get("favourite"))
    if favourite_id:
        chosen = favourites.get(desk.uow(), favourite_id)
        state = pricing_form.with_acts(state, favourites.acts_as_draft(chosen))
    state["favourite"] = ""
    return _form_page(desk, state, focus="valider")


# The fields of « Créer un prescripteur » inside the invoice form: ``np_`` + the fiche's.
NEW_PRESCRIBER = "np_"
NEW_PRESCRIBER_FIELDS = ("last_name", "first_name", "specialty_code", "rpps", "am_number",
                         "adeli")


@router.post("/facture/prescripteur", response_class=HTMLResponse)
async def create_prescriber(request: Request, desk: DeskDep) -> HTMLResponse:
    """« Créer » a prescriber not yet in the list without leaving the invoice (manuel eS-KAP+
    « Choix Prescripteur »): the prescribers' fiche and its checks; once created he is the
    invoice's prescriber, and everything typed on the invoice stays."""
    form = await _fields(request)
    state = pricing_form.form_state(form)
    data = {key: form.get(NEW_PRESCRIBER + key, "") for key in NEW_PRESCRIBER_FIELDS}
    try:
        created = prescribers.create(desk.uow(), data)
    except prescribers.InvalidForm as exc:
        return _form_page(desk, state, prescriber_errors=exc.errors)
    for key in NEW_PRESCRIBER_FIELDS:
        state.pop(NEW_PRESCRIBER + key, None)
    state.update(prescription="on", prescriber_id=str(created.id))
    return _form_page(desk, state, prescriber_created=prescribers.display_name(created))


@router.post("/facture/carte", response_class=HTMLResponse)
async def secure_with_card(request: Request, desk: DeskDep) -> HTMLResponse:
    """« Sécuriser avec la carte Vitale »: an invoice begun without the card (désynchronisé,
    dégradé, SESAM sans Vitale) is secured by it when the patient's card is in the reader —
    mode sécurisé, and the card's AT become available."""
    state = pricing_form.form_state(await _fields(request))
    if _patient_on_card(desk, _int(state.get("patient_id"))) is None:
        return _form_page(desk, state, error_field="secure_mode", error=(
            "La carte Vitale de ce patient n'est pas dans le lecteur : insérez-la, puis "
            "« Sécuriser avec la carte Vitale »."))
    state.update(secure_mode="securise", carte=FROM_VITALE)
    return _form_page(desk, state, card_read=True)


@router.post("/facture", response_class=HTMLResponse)
async def validate(request: Request, desk: DeskDep) -> HTMLResponse:
    """« Valider »: blocking diagnostics keep the form; warnings ask a confirmation; then the
    number, the résumé and the payment form."""
    posted = await request.form()
    form = {k: v for k, v in posted.items() if isinstance(v, str)}
    upload = posted.get("ordonnance")
    ordonnance = upload if isinstance(upload, UploadFile) else None
    state = pricing_form.form_state(form)
    failed = 200 if is_htmx(request) else 422
    refs = invoicing.InvoiceReferentials.of(desk.context)
    user = desk.user
    try:
        draft = _draft(desk, form, ordonnance)
        by = Acting.of(user)
        with desk.uow() as uow:  # his own name first: no control of someone else's invoice
            invoice_authority.check_validates_for(uow, by, draft.professional_id,
                                                  draft.date_soins)
        preview = invoicing.preview_invoice(desk.uow(), draft, refs=refs, today=desk.today)
        warnings = [d for d in preview.diagnostics if not d.is_blocking]
        if preview.blocking or (warnings and form.get("confirmed") != "on"):
            return _form_page(desk, state, preview=preview,
                              diagnostics=preview.diagnostics,
                              ask_confirm=not preview.blocking, status_code=failed)
        result = invoicing.validate_invoice(desk.uow(), draft, refs=refs, by=by,
                                            today=desk.today, now=desk.now)
    except invoicing.ControlsFailed as exc:
        return _form_page(desk, state, diagnostics=exc.diagnostics, status_code=failed)
    except (DraftError, OpenFSEError) as exc:
        return _form_page(desk, state, status_code=failed, **_error_context(exc))
    if _int(form.get("preparee")):
        prepared_invoices.discard(desk.uow(), _int(form.get("preparee")),
                                  by.professional_id, "Facture préparée validée")
    signature = None
    if user is not None and user.can_sign:
        # Mode sécurisé: signed now when his CPS (unlocked) and the patient's card are there.
        signature = invoice_signature.sign_at_validation(
            lambda: desk.uow(), result.invoice.id, reader=desk.card_reader, by=by)
    return _summary(desk, result.invoice.id, accepted=result.diagnostics,
                    signature=signature)


@router.post("/facture/preparer", response_class=HTMLResponse)
async def prepare(request: Request, desk: DeskDep) -> HTMLResponse:
    """« Préparer pour validation » (secrétariat): the invoice as typed goes to the chosen
    professional's « À valider » list; nothing is priced nor numbered yet."""
    form = await _fields(request)
    state = pricing_form.form_state(form)
    user = desk.user
    professional_id, patient_id = _int(form.get("professional_id")), _int(form.get("patient_id"))
    if not professional_id or not patient_id:
        return _form_page(desk, state, error="Choisissez le patient et le professionnel.",
                          error_field="professional_id")
    try:
        prepared_invoices.prepare(desk.uow(), form, professional_id=professional_id,
                                  patient_id=patient_id,
                                  user_id=None if user is None else user.user_id,
                                  now=desk.now)
    except OpenFSEError as exc:
        return _form_page(desk, state, **_error_context(exc))
    names = dict(_professional_choices(desk))
    return render(request, "invoice/_prepared.html",
                  professional=names.get(professional_id, ""))


def _to_validate(desk: Desk) -> list[prepared_invoices.Prepared]:
    """The logged-in professional's « À valider » list (the secrétariat's invoices)."""
    user = desk.user
    if user is None or user.professional_id is None:
        return []
    return prepared_invoices.to_validate(desk.uow(), user.professional_id)


def _prepared_screen(desk: Desk, prepared_id: int) -> HTMLResponse:
    user = desk.user
    try:
        if user is None or user.professional_id is None:
            raise NotFound("Seul le professionnel destinataire ouvre une facture préparée.")
        typed = prepared_invoices.typed_form(desk.uow(), prepared_id,
                                             user.professional_id)
    except NotFound as exc:
        return _page(desk, "invoice/choose.html", q="", found=[], problem=exc.message,
                     to_validate=_to_validate(desk),
                     panel=reader_panel(desk.request, "/facture"), status_code=404)
    return _form_page(desk, pricing_form.form_state(typed), from_prepared=True)


@router.post("/facture/conventions", response_class=HTMLResponse)
async def amc_conventions(request: Request, desk: DeskDep) -> HTMLResponse:
    """The conventions of the chosen mutuelle's AMC to choose from (manuel eS-KAP+ « sélectionner
    la convention appropriée »), asked when the mutuelle or « Tiers payant AMC » changes:
    the Inter-AMC directory, its local tables when it fails (said, never blocking)."""
    form = await _fields(request)
    coverage_id = _int(form.get("amc_coverage"))
    if not coverage_id or form.get("tp_amc") != "on":
        return render(request, "invoice/_conventions.html", offer=None)
    offer = convention_offers.offer_for_coverage(
        desk.uow(), desk.interamc, local_conventions(),
        patient_id=_int(form.get("patient_id")),
        coverage_id=coverage_id, on=_care_date(form, desk.today),
        chosen=form.get("amc_convention", ""),
        chosen_for=form.get("amc_convention_amc", ""))
    return render(request, "invoice/_conventions.html", offer=offer)


def _care_date(form: Mapping[str, str], today: date) -> date:
    """The conventions in force on the date of care; today while it is mistyped."""
    try:
        typed = pricing_form.iso_date("date_soins", form.get("date_soins", ""))
    except InvalidInput:
        typed = ""
    return date.fromisoformat(typed) if typed else today


@router.get("/facture/actes", response_class=HTMLResponse)
def act_suggestions(request: Request, desk: DeskDep, q: SearchText = "", pro: int = 0,
                    row: int = 0) -> HTMLResponse:
    """Live suggestions of the act field of ``row``: the professional's NGAP / COx keys by
    prefix or word of the label, then CCAM acts (``ccam_catalog().search``)."""
    text = q.strip()
    options: list[tuple[str, str]] = []
    if text:
        today = desk.today
        professions = favourites.owner_professions(desk.uow(), pro or None)
        keys = favourites.code_choices(professions, today)
        # The codes that start with what is typed first (« G » → G, GL1…), then the keys a
        # word of whose label does (« perfusion »): the likeliest choice is at the top.
        lowered = text.lower()
        by_code = [k for k in keys if k.code.lower().startswith(lowered)]
        by_word = [k for k in keys if k not in by_code and any(
            word.startswith(lowered) for word in re.split(r"\W+", k.label.lower()))]
        options = [(k.code, f"{k.nomenclature} — {k.label}") for k in by_code + by_word][:15]
        if len(text) >= 3:
            options += [(a.code, f"CCAM — {a.label}")
                        for a in desk.ccam_catalog().search(text, limit=15)]
    return render(request, "invoice/_act_options.html", options=options, row=row)


# -- résumé and payments ---------------------------------------------------------------------

def _summary(desk: Desk, invoice_id: int, *, accepted: tuple[Diagnostic, ...] = (),
             payment_error: str = "", payment_form: Mapping[str, str] | None = None,
             secured: str = "", secured_ok: bool = True,
             signature: invoice_signature.SignAtValidation | None = None,
             status_code: int = 200) -> HTMLResponse:
    invoice = invoicing.get_invoice(desk.uow(), invoice_id)
    prefs = _preferences(desk)
    bal = invoicing.balance_of(invoice)
    money = shares.invoice_money_of(desk.uow(), invoice_id)  # each share's state
    typed = dict(payment_form or {})
    typed.setdefault("kind", prefs.default_payment_type or "cb")
    typed.setdefault("amount", str(max(bal.solde_patient, 0)).replace(".", ","))
    typed.setdefault("paid_on", pricing_form.french_date(desk.today))
    typed.setdefault("payer", "patient")
    patient_label = patient_service.name_of(desk.uow(), invoice.patient_id)
    number = "" if invoice.number is None else str(InvoiceNumber(invoice.number))
    replaced, replaced_by = invoicing.replacement_links(desk.uow(), invoice)
    context: dict[str, Any] = {"invoice": invoice, "number": number, "balance": bal,
               "money": money,
               "replaced": replaced, "replaced_by": replaced_by,
               "patient_label": patient_label, "accepted": accepted, "pay": typed,
               "payment_error": payment_error, "payment_kinds": PAYMENT_KINDS,
               "payers": PAYERS, "kind_labels": dict(PAYMENT_KINDS),
               "payer_labels": dict(PAYERS), "secured": secured, "secured_ok": secured_ok,
               "awaits_vitale": invoicing.state_of(invoice).awaits_vitale,
               "signature": signature,
               "sign_later": invoicing.state_of(invoice).display_status
               in invoice_signature.SIGNABLE,
               # Not signed at « Valider »: what it waits for, and « Signer » on its page.
               "waits_for": "" if signature is not None and signature.signed
               else invoice_signature.waiting_for(invoicing.state_of(invoice))}
    if is_htmx(desk.request):
        return render(desk.request, "invoice/_summary.html", status_code=status_code, **context)
    return _page(desk, "invoice/summary.html", status_code=status_code, **context)


@router.get("/facture/{invoice_id}", response_class=HTMLResponse)
def summary(request: Request, desk: DeskDep, invoice_id: int) -> HTMLResponse:
    return _summary(desk, invoice_id)


@router.post("/facture/{invoice_id}/paiement", response_class=HTMLResponse)
async def pay(request: Request, desk: DeskDep, invoice_id: int) -> HTMLResponse:
    """One payment (chèque, CB, espèces, autre); several may follow."""
    form = await _fields(request)
    doc = {k: v for k, v in form.items() if k in ("kind", "payer", "reference")}
    doc["amount"] = form.get("amount", "").strip()
    try:
        doc["paid_on"] = pricing_form.iso_date("paid_on", form.get("paid_on", ""))
        invoicing.record_payment(desk.uow(), invoice_id, parse_payment(doc))
    except (DraftError, OpenFSEError) as exc:
        message = getattr(exc, "message_fr", None) or exc.message
        field = getattr(exc, "field", None) or ""
        return _summary(desk, invoice_id, payment_error=message.removeprefix(f"{field} : "),
                        payment_form=form, status_code=200 if is_htmx(request) else 422)
    return _summary(desk, invoice_id, payment_form={"kind": form.get("kind", "cb")})


@router.post("/facture/{invoice_id:int}/securiser", response_class=HTMLResponse)
async def secure_invoice(request: Request, desk: DeskDep, invoice_id: int) -> HTMLResponse:
    """A désynchronisée invoice secured from its résumé by the patient's carte Vitale in the
    reader (the service of « Factures à sécuriser »)."""
    try:
        card = desk.card_reader.read_vitale()
    except CardError as exc:
        return _summary(desk, invoice_id, secured=exc.message, secured_ok=False)
    report = invoicing.secure_invoices(desk.uow(), [invoice_id], vitale=card,
                                       certify=desk.card_reader.certify_vitale)
    said = "Facture sécurisée par la carte Vitale." if report.done else report.refused[0][1]
    return _summary(desk, invoice_id, secured=said, secured_ok=bool(report.done))
