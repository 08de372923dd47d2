"""Patients: search, the patient file, creation (carte Vitale, appli carte Vitale, ADRi, by
hand, client professionnel), modification, deletion, merge, family, « Interroger l'ADRI ».

Every page only calls :mod:`openfse.services.patients`. Forms keep what was typed: an htmx
post gets the re-rendered form (status 200 — htmx 2 swaps only 2xx) with each error next to
its field, a plain post the full page with 422. After a change the browser is redirected
(``303``, or ``HX-Redirect`` for htmx), with a fixed message named in ``?fait=``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from openfse.adapters.cards.errors import CardError
from openfse.adapters.cards.port import ApcvError
from openfse.adapters.teleservices.port import AdriRequest
from openfse.domain.cards import StatusColour, VitaleBeneficiary
from openfse.errors import InvalidInput, NotFound, OpenFSEError
from openfse.ids.organisme import REGIMES
from openfse.referentials.codes import EXONERATION, PIECE_JUSTIFICATIVE, QUALITE_BENEFICIAIRE
from openfse.services import patients as service
from openfse.services.cards import VitaleReading
from openfse.services.patient_forms import (
    MAX_ALDS,
    MAX_PERIODS,
    SEXES,
    TAUX_REMBOURSEMENT,
    PatientFormErrors,
    PatientInput,
    birth_date_display,
)
from openfse.services.teleservices import (
    AdriFound,
    AdriMismatch,
    AdriResult,
    AdriUnavailableResult,
    AdriUnknown,
    query_adri,
)
from openfse.store.models import DataSource, FamilyRelation
from openfse.typed_numbers import small_int
from openfse.web.deps import Desk, DeskDep
from openfse.web.pending import PendingKind, keep, kept
from openfse.web.ui.rendering import Order, SearchText, is_htmx, render
from openfse.web.uploads import uploaded_image

router = APIRouter(include_in_schema=False)

ONE = "/patients/{patient_id:int}"

# Messages after a redirect (``?fait=``): a reload does not post again, nothing typed echoes.
DONE = {
    "cree": "Enregistrement correctement effectué.",  # manuel eS-KAP+ « Dossier patient »
    "cree-vitale": "Dossier créé depuis la carte Vitale.",
    "maj-vitale": "Dossier mis à jour depuis la carte Vitale.",
    "cree-apcv": "Dossier créé depuis l'appli carte Vitale.",
    "maj-apcv": "Dossier mis à jour depuis l'appli carte Vitale.",
    "cree-adri": "Dossier créé depuis l'ADRi : complétez le téléphone, l'adresse et les "
                 "distances selon vos besoins.",
    "modifie": "Modifications enregistrées.",
    "adri": "Informations AMO enregistrées.",
    "adri-garde": "Les informations du dossier sont conservées.",
    "fusionne": "Dossiers fusionnés.",
    "supprime": "Dossier supprimé.",
    "lien": "Lien familial ajouté.",
    "lien-retire": "Lien familial retiré.",
}
COLOUR_TEXT = {
    StatusColour.GREEN: ("ok", "Connu, à jour"),
    StatusColour.YELLOW: ("warn", "Connu, à mettre à jour"),
    StatusColour.GREY: ("grey", "Inconnu"),
}
SOURCE_TEXT = {
    DataSource.VITALE: "Carte Vitale",
    DataSource.APCV: "Appli carte Vitale",
    DataSource.ADRI: "ADRi",
    DataSource.ATTESTATION: "Attestation",
    DataSource.MANUEL: "Saisie",
}


def _redirect(request: Request, url: str) -> Response:
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _page(request: Request, template: str, *, title: str, status_code: int = 200,
          **context: Any) -> HTMLResponse:
    return render(request, template, active="patients", title=title, status_code=status_code,
                  **context)


def _problem(request: Request, error: OpenFSEError, status_code: int) -> HTMLResponse:
    return _page(request, "patients/problem.html", title="Patients", error=error,
                 status_code=status_code)


def _posted(handler: Callable[[Desk, FormData], Response]) -> Callable[..., Any]:
    """An async endpoint reading the form, then running the (blocking) handler off the loop
    with the request's desk (its user's unit of work, the cabinet's day)."""
    async def endpoint(desk: DeskDep) -> Response:
        form = await desk.request.form()
        return await run_in_threadpool(handler, desk, form)
    endpoint.__name__ = handler.__name__
    return endpoint


@lru_cache(maxsize=4)
def _choices(today: date) -> dict[str, Any]:
    """The pick-lists of the forms, as in force on ``today`` (built once a day)."""
    return {
        "sexes": SEXES,
        "qualites": [(i.code, f"{i.code} - {i.label}") for i in QUALITE_BENEFICIAIRE.items(today)],
        "pieces": [(i.code, i.label) for i in PIECE_JUSTIFICATIVE.items(today)],
        "taux": TAUX_REMBOURSEMENT,
        "exonerations": [(i.code, i.label) for i in EXONERATION.items(today)],
        "regimes": sorted(REGIMES.items()),
        "relations": [(r.value, r.label) for r in FamilyRelation],
        "max_periods": MAX_PERIODS,
        "max_alds": MAX_ALDS,
    }


# --------------------------------------------------------------------------- list


@router.get("/patients", response_class=HTMLResponse)
def patients(desk: DeskDep, request: Request, q: SearchText = "", order: Order = "asc",
             fait: str = "") -> HTMLResponse:
    rows = service.search_patients(desk.uow(), q, order=order, limit=50)
    template = "patients/_rows.html" if is_htmx(request) else "patients/list.html"
    return _page(request, template, title="Patients", q=q, order=order, patients=rows,
                 flash=DONE.get(fait, ""), birth=birth_date_display)


@router.get("/patients/choisir", response_class=HTMLResponse)
def pick_patient(desk: DeskDep, request: Request, q: SearchText = "", sauf: int = 0,
                 champ: str = "autre") -> HTMLResponse:
    """Radio list of patients (family and merge pages): the start of a name."""
    rows = [p for p in service.search_patients(desk.uow(), q, limit=20) if p.id != sauf]
    return _page(request, "patients/_pick.html", title="Patients",
                 patients=rows if q.strip() else [], q=q,
                 field=champ if champ in ("autre", "relative_id") else "autre",
                 birth=birth_date_display)


@router.get("/patients/organismes-amo", response_class=HTMLResponse)
def amo_organisms(desk: DeskDep, request: Request, q: SearchText = "") -> HTMLResponse:
    found = service.search_amo_organisms(desk.uow(), q) if q.strip() else []
    return _page(request, "patients/_organisms.html", title="Organismes AMO", organisms=found,
                 q=q)


# --------------------------------------------------------------------------- new: choose


@router.get("/patients/nouveau", response_class=HTMLResponse)
def new_patient(desk: DeskDep, request: Request) -> HTMLResponse:
    return _page(request, "patients/new.html", title="Nouveau patient")


# --------------------------------------------------------------------------- the form


@dataclass
class FormPage:
    """What the patient form template needs besides the page frame."""

    raw: PatientInput
    action: str
    cancel: str
    heading: str
    locked: bool = False
    errors: Mapping[str, str] | None = None
    general_error: str = ""
    focus: str = ""
    existing_id: int | None = None
    notice: str = ""


def _form_page(desk: Desk, page: FormPage, *, status_code: int = 200) -> HTMLResponse:
    request = desk.request
    errors = dict(page.errors or {})
    template = "patients/_form.html" if is_htmx(request) else "patients/form.html"
    return _page(request, template, title=page.heading, status_code=status_code, page=page,
                 form=page.raw, errors=errors, focus=page.focus or next(iter(errors), ""),
                 **_choices(desk.today))


def _form_failed(desk: Desk, page: FormPage) -> HTMLResponse:
    # htmx swaps only 2xx: the fragment with the errors comes back with 200.
    request = desk.request
    return _form_page(desk, page, status_code=200 if is_htmx(request) else 422)


def _rows_action(form: FormData) -> tuple[int, int, str] | None:
    """« Ajouter une période / une ALD »: re-render with a blank row, nothing saved."""
    action = str(form.get("_action") or "")
    if action == "add_period":
        return 1, 0, f"periods-{_count(form, 'periods')}-start"
    if action == "add_ald":
        return 0, 1, f"ald-{_count(form, 'ald')}-code"
    return None


def _count(form: FormData, prefix: str) -> int:
    return len({key.split("-")[1] for key in form if key.startswith(prefix + "-")})


@router.get("/patients/nouveau/manuel", response_class=HTMLResponse)
def manual_form(desk: DeskDep, request: Request, client: int = 0, nir: str = "",
                naissance: str = "", rang: str = "", regime: str = "", caisse: str = "",
                centre: str = "") -> HTMLResponse:
    # The ADRi screen passes what was typed when the service is down (same patient, by hand).
    raw = PatientInput(is_company=bool(client), nir=nir[:30], birth_date=naissance[:20],
                       birth_rank=rang[:2] or "1", amo_regime=regime[:2], amo_caisse=caisse[:3],
                       amo_centre=centre[:4], lunar=_looks_lunar(naissance))
    heading = "Nouveau client professionnel" if client else "Nouveau patient — saisie manuelle"
    return _form_page(desk, FormPage(raw.with_rows(periods=1), "/patients/nouveau/manuel",
                                        "/patients/nouveau", heading))


def _looks_lunar(text: str) -> bool:
    digits = "".join(c for c in text if c.isdigit())
    return len(digits) == 8 and ("00" in (digits[:2], digits[2:4], digits[4:6], digits[6:])
                                 or int(digits[2:4]) > 12 and int(digits[4:6]) > 12)


def _create_manual(desk: Desk, form: FormData) -> Response:
    request = desk.request
    raw = PatientInput.from_form(form)
    heading = ("Nouveau client professionnel" if raw.is_company
               else "Nouveau patient — saisie manuelle")
    page = FormPage(raw, "/patients/nouveau/manuel", "/patients/nouveau", heading)
    extra = _rows_action(form)
    if extra is not None:
        page.raw, page.focus = raw.with_rows(periods=extra[0], alds=extra[1]), extra[2]
        return _form_page(desk, page)
    try:
        patient = service.create_patient(desk.uow(), raw, desk.today)
    except PatientFormErrors as errors:
        page.errors = errors.errors
        return _form_failed(desk, page)
    except service.DuplicatePatient as error:
        page.errors, page.existing_id = {"nir": error.message}, error.patient_id
        return _form_failed(desk, page)
    return _redirect(request, f"/patients/{patient.id}?fait=cree")


router.add_api_route("/patients/nouveau/manuel", _posted(_create_manual), methods=["POST"],
                     response_class=HTMLResponse)


@router.get(ONE + "/modifier", response_class=HTMLResponse)
def edit_form(desk: DeskDep, request: Request, patient_id: int, fait: str = "") -> Response:
    try:
        file = service.open_file(desk.uow(), patient_id, desk.today)
    except NotFound as error:
        return _problem(request, error, 404)
    raw = service.form_of(file)
    locked = file.identity_locked
    page = FormPage(raw if locked else raw.with_rows(periods=0 if raw.periods else 1),
                    f"/patients/{patient_id}/modifier", f"/patients/{patient_id}",
                    f"Modifier le dossier — {service.display_name(file.patient)}",
                    locked=locked, notice=DONE.get(fait, ""))
    return _form_page(desk, page)


def _update(desk: Desk, form: FormData) -> Response:
    request = desk.request
    patient_id = int(request.path_params["patient_id"])
    try:
        file = service.open_file(desk.uow(), patient_id, desk.today)
    except NotFound as error:
        return _problem(request, error, 404)
    raw = PatientInput.from_form(form)
    locked = file.identity_locked
    if locked:
        # Greyed fields are not posted back: show the file's own values again.
        raw = _merge_contact(service.form_of(file), raw)
    page = FormPage(raw, f"/patients/{patient_id}/modifier", f"/patients/{patient_id}",
                    f"Modifier le dossier — {service.display_name(file.patient)}", locked=locked)
    extra = None if locked else _rows_action(form)
    if extra is not None:
        page.raw, page.focus = raw.with_rows(periods=extra[0], alds=extra[1]), extra[2]
        return _form_page(desk, page)
    try:
        service.update_patient(desk.uow(), patient_id, raw, desk.today)
    except PatientFormErrors as errors:
        page.errors = errors.errors
        return _form_failed(desk, page)
    except service.DuplicatePatient as error:
        page.errors, page.existing_id = {"nir": error.message}, error.patient_id
        return _form_failed(desk, page)
    return _redirect(request, f"/patients/{patient_id}?fait=modifie")


router.add_api_route(ONE + "/modifier", _posted(_update), methods=["POST"],
                     response_class=HTMLResponse)


_CONTACT_FIELDS = ("mobile_phone", "phone", "email", "address_line1", "address_line2",
                   "postal_code", "city", "country", "ik_plain_km", "ik_mountain_km", "ik_ski_km",
                   "notes", "notes_flagged", "alert", "alsace_moselle")


def _merge_contact(current: PatientInput, typed: PatientInput) -> PatientInput:
    return replace(current, **{name: getattr(typed, name) for name in _CONTACT_FIELDS})


# --------------------------------------------------------------------------- the file


@router.get(ONE, response_class=HTMLResponse)
def patient_file(desk: DeskDep, request: Request, patient_id: int, fait: str = "") -> Response:
    try:
        file = service.open_file(desk.uow(), patient_id, desk.today)
    except NotFound as error:
        return _problem(request, error, 404)
    return _file_page(desk, file, flash=DONE.get(fait, ""))


def _file_page(desk: Desk, file: service.PatientFile, *, status_code: int = 200,
               **extra: Any) -> HTMLResponse:
    request = desk.request
    choices = _choices(desk.today)
    return _page(request, "patients/file.html", title=service.display_name(file.patient),
                 status_code=status_code, file=file, p=file.patient,
                 amo_rows=service.rows_for_display(file), birth=birth_date_display,
                 nir=service.nir_display, sources=SOURCE_TEXT,
                 exonerations=dict(choices["exonerations"]), pieces=dict(choices["pieces"]),
                 taux=dict(TAUX_REMBOURSEMENT), qualites=dict(choices["qualites"]),
                 phone=phone_display, km=km_display, **extra)


def phone_display(number: str | None) -> str:
    """``0612345678`` → ``06 12 34 56 78`` (international numbers as stored)."""
    if not number:
        return ""
    if len(number) == 10 and number.isdigit():
        return " ".join(number[i:i + 2] for i in range(0, 10, 2))
    return number


def km_display(distance: Decimal | None) -> str:
    """A distance the French way: ``3,5`` (0 when none)."""
    return "0" if distance is None else format(distance.normalize(), "f").replace(".", ",")


# --------------------------------------------------------------------------- delete


@router.get(ONE + "/supprimer", response_class=HTMLResponse)
def delete_dialog(desk: DeskDep, request: Request, patient_id: int) -> Response:
    try:
        file = service.open_file(desk.uow(), patient_id, desk.today)
    except NotFound as error:
        return _problem(request, error, 404)
    return _page(request, "patients/delete.html", title="Supprimer le dossier", file=file,
                 p=file.patient, refusal="")


def _delete(desk: Desk, form: FormData) -> Response:
    request = desk.request
    patient_id = int(request.path_params["patient_id"])
    try:
        service.delete_patient(desk.uow(), patient_id)
    except NotFound as error:
        return _problem(request, error, 404)
    except service.PatientHasInvoices as error:
        file = service.open_file(desk.uow(), patient_id, desk.today)
        return _page(request, "patients/delete.html", title="Supprimer le dossier", file=file,
                     p=file.patient, refusal=error.message, status_code=409)
    return _redirect(request, "/patients?fait=supprime")


router.add_api_route(ONE + "/supprimer", _posted(_delete), methods=["POST"],
                     response_class=HTMLResponse)


# --------------------------------------------------------------------------- merge


@router.get(ONE + "/fusionner", response_class=HTMLResponse)
def merge_page(desk: DeskDep, request: Request, patient_id: int, autre: int = 0) -> Response:
    try:
        file = service.open_file(desk.uow(), patient_id, desk.today)
        other = service.open_file(desk.uow(), autre, desk.today) if autre else None
    except NotFound as error:
        return _problem(request, error, 404)
    return _merge_page(request, file, other)


def _merge_page(request: Request, file: service.PatientFile,
                other: service.PatientFile | None, *, error: str = "",
                status_code: int = 200) -> HTMLResponse:
    keep = file.patient.id
    if other is not None and other.has_invoices and not file.has_invoices:
        keep = other.patient.id  # the file holding invoices stays (they cannot move)
    return _page(request, "patients/merge.html", title="Fusionner deux dossiers", file=file,
                 other=other, keep=keep, error=error, birth=birth_date_display,
                 nir=service.nir_display, sources=SOURCE_TEXT, status_code=status_code)


def _merge(desk: Desk, form: FormData) -> Response:
    request = desk.request
    patient_id = int(request.path_params["patient_id"])
    try:
        other_id = int(str(form.get("other_id") or "0"))
        keep_id = int(str(form.get("keep_id") or "0"))
    except ValueError:
        other_id = keep_id = 0
    try:
        file = service.open_file(desk.uow(), patient_id, desk.today)
    except NotFound as error:
        return _problem(request, error, 404)
    if not other_id or keep_id not in (patient_id, other_id):
        return _merge_page(request, file, None, error="Choisissez le dossier à fusionner avec "
                                                      "celui-ci.", status_code=422)
    removed = other_id if keep_id == patient_id else patient_id
    try:
        service.merge_patients(desk.uow(), keep_id, removed)
    except OpenFSEError as error:
        other = service.open_file(desk.uow(), other_id, desk.today)
        return _merge_page(request, file, other, error=error.message, status_code=409)
    return _redirect(request, f"/patients/{keep_id}?fait=fusionne")


router.add_api_route(ONE + "/fusionner", _posted(_merge), methods=["POST"],
                     response_class=HTMLResponse)


# --------------------------------------------------------------------------- family


@router.get(ONE + "/famille", response_class=HTMLResponse)
def family_page(desk: DeskDep, request: Request, patient_id: int, fait: str = "") -> Response:
    try:
        file = service.open_file(desk.uow(), patient_id, desk.today)
    except NotFound as error:
        return _problem(request, error, 404)
    return _family_page(desk, file, flash=DONE.get(fait, ""))


def _family_page(desk: Desk, file: service.PatientFile, *, error: str = "",
                 error_field: str = "", relation: str = "", status_code: int = 200,
                 flash: str = "") -> HTMLResponse:
    request = desk.request
    return _page(request, "patients/family.html", title="Famille", file=file, p=file.patient,
                 error=error, error_field=error_field, relation=relation, flash=flash,
                 birth=birth_date_display, status_code=status_code, **_choices(desk.today))


def _add_relative(desk: Desk, form: FormData) -> Response:
    request = desk.request
    patient_id = int(request.path_params["patient_id"])
    relation = str(form.get("relation") or "")
    try:
        relative_id = int(str(form.get("relative_id") or "0"))
        if not relative_id:
            raise InvalidInput("Choisissez le patient à lier dans la liste.", field="relative_id")
        service.link_family(desk.uow(), patient_id, relative_id, relation)
    except ValueError:
        return _family_failed(desk, patient_id, "Choisissez le patient à lier dans la liste.",
                              "relative_id", relation)
    except NotFound as error:
        return _problem(request, error, 404)
    except OpenFSEError as error:
        return _family_failed(desk, patient_id, error.message, error.field or "", relation)
    return _redirect(request, f"/patients/{patient_id}/famille?fait=lien")


def _family_failed(desk: Desk, patient_id: int, message: str, field: str,
                   relation: str) -> HTMLResponse:
    file = service.open_file(desk.uow(), patient_id, desk.today)
    return _family_page(desk, file, error=message, error_field=field, relation=relation,
                        status_code=422)


router.add_api_route(ONE + "/famille", _posted(_add_relative), methods=["POST"],
                     response_class=HTMLResponse)


def _remove_relative(desk: Desk, form: FormData) -> Response:
    request = desk.request
    patient_id = int(request.path_params["patient_id"])
    link_id = int(request.path_params["link_id"])
    try:
        service.unlink_family(desk.uow(), patient_id, link_id)
    except NotFound as error:
        return _problem(request, error, 404)
    return _redirect(request, f"/patients/{patient_id}/famille?fait=lien-retire")


router.add_api_route(ONE + "/famille/{link_id:int}/supprimer", _posted(_remove_relative),
                     methods=["POST"], response_class=HTMLResponse)


# --------------------------------------------------------------------------- ADRi from the file


def _query_from_file(desk: Desk, form: FormData) -> Response:
    request = desk.request
    patient_id = int(request.path_params["patient_id"])
    try:
        file, result = service.query_patient_rights(desk.uow(), desk.adri, patient_id, desk.today)
    except NotFound as error:
        return _problem(request, error, 404)
    except InvalidInput as error:
        file = service.open_file(desk.uow(), patient_id, desk.today)
        return _file_page(desk, file, adri_problem=error.message, status_code=422)
    return _adri_outcome(desk, file, result)


router.add_api_route(ONE + "/adri", _posted(_query_from_file), methods=["POST"],
                     response_class=HTMLResponse)


def _adri_outcome(desk: Desk, file: service.PatientFile, result: AdriResult, *,
                  flash: str = "") -> Response:
    """Found → the compare-and-choose screen; someone else → the ADRUN question; unknown or
    unavailable → the file with the message (billing goes on with the card's rights)."""
    request = desk.request
    if isinstance(result, AdriFound | AdriMismatch):
        answer = result.answer if isinstance(result, AdriFound) else result.returned
        token = keep(desk, PendingKind.ADRI, answer, file.patient.id)
        url = f"/patients/{file.patient.id}/adri/{token}"
        return _redirect(request, url + ("?confirmer=1" if isinstance(result, AdriMismatch)
                                         else ""))
    level = "warn" if isinstance(result, AdriUnavailableResult) else "ko"
    assert isinstance(result, AdriUnavailableResult | AdriUnknown)
    return _file_page(desk, file, adri_message=result.message, adri_level=level,
                      flash=flash)


def _pending_answer(desk: Desk, patient_id: int, token: str) -> Any:
    return kept(desk, token, PendingKind.ADRI, patient_id)


@router.get(ONE + "/adri/{token}", response_class=HTMLResponse)
def adri_compare(desk: DeskDep, request: Request, patient_id: int, token: str,
                 confirmer: int = 0) -> Response:
    try:
        answer = _pending_answer(desk, patient_id, token)
        file = service.open_file(desk.uow(), patient_id, desk.today)
    except NotFound as error:
        return _problem(request, error, 404)
    if confirmer and not service.same_person(file, answer):
        # Manuel eS-KAP+ « Consultation ADRI - ADRUN »: the answer names someone else.
        return _page(request, "patients/adrun.html", title="Consultation ADRI", file=file,
                     p=file.patient, answer=answer, token=token, birth=birth_date_display,
                     nir=service.nir_display)
    comparison = service.compare_with_adri(desk.uow(), patient_id, answer, desk.today)
    return _page(request, "patients/adri_compare.html", title="Choix informations AMO",
                 file=file, p=file.patient, comparison=comparison, token=token)


def _adri_apply(desk: Desk, form: FormData) -> Response:
    request = desk.request
    patient_id = int(request.path_params["patient_id"])
    token = str(request.path_params["token"])
    try:
        answer = _pending_answer(desk, patient_id, token)
    except NotFound as error:
        return _problem(request, error, 404)
    chosen = {key for key in service.ADRI_FIELDS if form.get(f"choix-{key}") == "adri"}
    service.apply_adri(desk.uow(), patient_id, answer, chosen, desk.today)
    return _redirect(request, f"/patients/{patient_id}?fait={'adri' if chosen else 'adri-garde'}")


router.add_api_route(ONE + "/adri/{token}", _posted(_adri_apply), methods=["POST"],
                     response_class=HTMLResponse)


# --------------------------------------------------------------------------- new: ADRi


_ADRI_FIELDS = {"nir": "nir", "date_naissance": "birth_date", "rang": "birth_rank",
                "regime": "amo_regime", "caisse": "amo_caisse", "centre": "amo_centre"}


@router.get("/patients/nouveau/adri", response_class=HTMLResponse)
def adri_form(desk: DeskDep, request: Request) -> HTMLResponse:
    return _adri_page(request, {"amo_regime": "01", "birth_rank": "1"})


def _adri_page(request: Request, values: Mapping[str, str], *, errors: Mapping[str, str] = {},
               message: str = "", manual_url: str = "", existing_id: int | None = None,
               status_code: int = 200) -> HTMLResponse:
    template = "patients/_adri_form.html" if is_htmx(request) else "patients/adri_new.html"
    return _page(request, template, title="Nouveau patient — ADRi", values=values,
                 errors=dict(errors), focus=next(iter(errors), ""), message=message,
                 manual_url=manual_url, existing_id=existing_id, status_code=status_code,
                 regimes=sorted(REGIMES.items()))


def _create_by_adri(desk: Desk, form: FormData) -> Response:
    request = desk.request
    values = {name: str(form.get(name) or "").strip() for name in _ADRI_FIELDS.values()}
    failed = 200 if is_htmx(request) else 422
    try:
        adri_request = AdriRequest.create(
            nir=values["nir"], birth_date=values["birth_date"], rang=values["birth_rank"] or "1",
            regime=values["amo_regime"], caisse=values["amo_caisse"] or None,
            centre=values["amo_centre"] or None)
    except InvalidInput as error:
        field = _ADRI_FIELDS.get(error.field or "", "nir")
        return _adri_page(request, values, errors={field: error.message}, status_code=failed)
    result = query_adri(desk.adri, adri_request, desk.today)
    if isinstance(result, AdriUnavailableResult):
        # Billing goes on: the same values pre-fill the manual form (aide eS-KAP+ « Le mode
        # manuel peut être utilisé lorsque vous ne disposez pas des informations … ADRI »).
        query = urlencode({"nir": values["nir"], "naissance": values["birth_date"],
                           "rang": values["birth_rank"], "regime": values["amo_regime"],
                           "caisse": values["amo_caisse"], "centre": values["amo_centre"]})
        return _adri_page(request, values, message=result.message, status_code=failed,
                          manual_url=f"/patients/nouveau/manuel?{query}")
    if isinstance(result, AdriUnknown):
        return _adri_page(request, values, errors={"nir": result.message}, status_code=failed)
    answer = result.answer if isinstance(result, AdriFound) else result.returned
    try:
        patient = service.create_from_adri(desk.uow(), answer, desk.today)
    except service.DuplicatePatient as error:
        return _adri_page(request, values, errors={"nir": error.message},
                          existing_id=error.patient_id, status_code=409 if failed == 422 else 200)
    return _redirect(request, f"/patients/{patient.id}/modifier?fait=cree-adri")


router.add_api_route("/patients/nouveau/adri", _posted(_create_by_adri), methods=["POST"],
                     response_class=HTMLResponse)


# --------------------------------------------------------------------------- new: Vitale / ApCV


@router.get("/patients/nouveau/vitale", response_class=HTMLResponse)
def vitale_page(desk: DeskDep, request: Request) -> HTMLResponse:
    try:
        reading = service.read_vitale(desk.uow(), desk.card_reader)
    except CardError as error:
        return _beneficiaries_page(desk, None, source=DataSource.VITALE, error=error.message,
                                   status_code=409)
    return _beneficiaries_page(desk, reading, source=DataSource.VITALE)


def _beneficiaries_page(desk: Desk, reading: VitaleReading | None, *, source: DataSource,
                        error: str = "", token: str = "", status_code: int = 200,
                        ids: Mapping[tuple[str, str, int], int] | None = None) -> HTMLResponse:
    request = desk.request
    known = dict(ids or {})
    if reading is not None and not known:
        for entry in reading.entries:
            if entry.status.colour is not StatusColour.GREY:
                found = service.find_beneficiary_id(desk.uow(), entry.beneficiary)
                if found is not None:
                    known[entry.beneficiary.key] = found
    apcv = source is DataSource.APCV
    return _page(request, "patients/beneficiaries.html",
                 title="Appli carte Vitale" if apcv else "Carte Vitale", reading=reading,
                 error=error, colours=COLOUR_TEXT, known=known, apcv=apcv, token=token,
                 simulated=desk.settings.card_backend == "simulated",
                 qualites=dict(_choices(desk.today)["qualites"]), status_code=status_code)


def _beneficiary_from(reading: VitaleReading, form: FormData) -> VitaleBeneficiary:
    key = (str(form.get("nir") or ""), str(form.get("naissance") or ""),
           small_int(form.get("rang"), max_digits=2) or 0)
    for entry in reading.entries:
        if entry.beneficiary.key == key:
            return entry.beneficiary
    raise NotFound("Ce bénéficiaire n'est plus sur la carte lue : relisez la carte.",
                   code="beneficiary_not_on_card")


def _import_vitale(desk: Desk, form: FormData) -> Response:
    request = desk.request
    try:
        reading = service.read_vitale(desk.uow(), desk.card_reader)  # the card is the source
        beneficiary = _beneficiary_from(reading, form)
    except (CardError, NotFound) as error:
        return _beneficiaries_page(desk, None, source=DataSource.VITALE,
                                   error=error.message, status_code=409)
    imported = service.import_beneficiary(desk.uow(), beneficiary, DataSource.VITALE, desk.today)
    done = "cree-vitale" if imported.created else "maj-vitale"
    return _redirect(request, f"/patients/{imported.patient.id}?fait={done}")


router.add_api_route("/patients/nouveau/vitale", _posted(_import_vitale), methods=["POST"],
                     response_class=HTMLResponse)


@router.get("/patients/nouveau/apcv", response_class=HTMLResponse)
def apcv_page(desk: DeskDep, request: Request) -> HTMLResponse:
    return _apcv_page(request)


def _apcv_page(request: Request, *, error: str = "", payload: str = "",
               status_code: int = 200) -> HTMLResponse:
    return _page(request, "patients/apcv.html", title="Appli carte Vitale", error=error,
                 payload=payload, status_code=status_code)


def _read_apcv(desk: Desk, form: FormData) -> Response:
    request = desk.request
    payload = str(form.get("payload") or "").strip()
    failed = 200 if is_htmx(request) else 422
    image = form.get("image")
    try:
        reading = service.read_apcv_at_desk(
            desk.uow(), desk.apcv, nfc=form.get("mode") == "nfc", payload=payload,
            image=uploaded_image(image, field="image"))
    except (ApcvError, InvalidInput, CardError) as error:
        return _apcv_page(request, error=error.message, payload=payload, status_code=failed)
    token = keep(desk, PendingKind.APCV, reading)
    return _redirect(request, f"/patients/nouveau/apcv/{token}")


router.add_api_route("/patients/nouveau/apcv", _posted(_read_apcv), methods=["POST"],
                     response_class=HTMLResponse)


def _pending_reading(desk: Desk, token: str) -> VitaleReading:
    reading: VitaleReading = kept(desk, token, PendingKind.APCV)
    return reading


@router.get("/patients/nouveau/apcv/{token}", response_class=HTMLResponse)
def apcv_beneficiaries(desk: DeskDep, request: Request, token: str) -> Response:
    try:
        reading = _pending_reading(desk, token)
    except NotFound as error:
        return _apcv_page(request, error=error.message, status_code=404)
    return _beneficiaries_page(desk, reading, source=DataSource.APCV, token=token)


def _import_apcv(desk: Desk, form: FormData) -> Response:
    """Create or update the file, then ask ADRi: for the appli carte Vitale « l'appel ADRI est
    systématique, quel que soit le choix effectué » (manuel eS-KAP+)."""
    request = desk.request
    token = str(request.path_params["token"])
    try:
        reading = _pending_reading(desk, token)
        beneficiary = _beneficiary_from(reading, form)
    except NotFound as error:
        return _apcv_page(request, error=error.message, status_code=404)
    imported = service.import_beneficiary(desk.uow(), beneficiary, DataSource.APCV, desk.today)
    file = service.open_file(desk.uow(), imported.patient.id, desk.today)
    result = query_adri(desk.adri, AdriRequest.from_vitale(beneficiary), desk.today)
    done = "cree-apcv" if imported.created else "maj-apcv"
    return _adri_outcome(desk, file, result, flash=DONE[done])


router.add_api_route("/patients/nouveau/apcv/{token}", _posted(_import_apcv), methods=["POST"],
                     response_class=HTMLResponse)
