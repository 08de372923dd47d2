"""Mutuelles of a patient: list, fiche (add / edit / read-only), duplicate, renew, delete.

``/patients/{id}/mutuelles`` — the patient file links here. The fiche is one form whose
buttons name an action (``_action``): pick an organism, apply a shortcut, fill the current
year, read an attestation, create the organism, save. Every action re-renders the whole fiche
with what was typed, so nothing is lost; only « Enregistrer » writes the contract. htmx swaps
only 2xx answers: an htmx request gets the fiche fragment (status 200, errors next to the
fields), a plain form post gets the full page (422 on a validation error).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from openfse.errors import Conflict, InvalidInput, NotFound, OpenFSEError
from openfse.referentials import amc_formulas, codes
from openfse.services import amc_coverage as amc
from openfse.store.models import DataSource
from openfse.typed_numbers import record_id
from openfse.web.deps import Desk, DeskDep
from openfse.web.ui.rendering import SearchText, is_htmx, render
from openfse.web.uploads import uploaded_image

router = APIRouter(include_in_schema=False)

BASE = "/patients/{patient_id:int}/mutuelles"
ONE = BASE + "/{coverage_id:int}"

# Messages after a redirect (``?fait=``), so a reload does not post again.
DONE = {
    "ajoutee": "Mutuelle ajoutée.",
    "modifiee": "Mutuelle enregistrée.",
    "supprimee": "Mutuelle supprimée.",
    "copie": "Copie modifiable créée : modifiez-la puis enregistrez.",
    "renouvelee": "Droits renouvelés : nouvelle période enregistrée.",
}
SOURCE_LABELS = {
    DataSource.VITALE: "Carte Vitale",
    DataSource.ADRI: "ADRi",
    DataSource.APCV: "Appli carte Vitale",
    DataSource.ATTESTATION: "Attestation",
    DataSource.MANUEL: "Saisie",
}
GESTION_LABELS = {"separee": "Gestion séparée", "unique": "Gestion unique"}
_FOCUS_AFTER = {  # where the cursor goes once an action has filled the fiche
    "annee": "rights_end",
    "organisme": "adherent_number",
    "raccourci": "rights_start",
    "creer_organisme": "adherent_number",
    "attestation": "amc_name",
}


def _base(patient_id: int) -> str:
    return f"/patients/{patient_id}/mutuelles"


# --------------------------------------------------------------------------- list


@router.get(BASE, response_class=HTMLResponse)
def mutuelles(
    desk: DeskDep, request: Request, patient_id: int, fait: str = "", id: int = 0
) -> Response:
    try:
        listed = amc.list_for_patient(desk.uow(), patient_id, on=desk.today)
    except NotFound as error:
        return _problem(request, error, status_code=404)
    return render(
        request,
        "amc/list.html",
        active="patients",
        title=f"Mutuelles — {listed.patient_name}",
        base=_base(patient_id),
        patient_name=listed.patient_name,
        coverages=listed.coverages,
        flash=DONE.get(fait, ""),
        highlight=id,
        source_labels=SOURCE_LABELS,
        gestion_labels=GESTION_LABELS,
    )


# --------------------------------------------------------------------------- the fiche


@dataclass
class FicheState:
    """What the fiche template needs besides the page frame."""

    values: dict[str, str]
    coverage_id: int | None = None
    read_only: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    notice: amc.Shortcut | None = None
    general_error: str = ""
    focus: str = ""
    organisms: list[amc.OrganismChoice] | None = None
    q: str = ""  # the organism search text, kept across actions


def _fiche_context(patient_id: int, state: FicheState, today: date) -> dict[str, Any]:
    base = _base(patient_id)
    action = f"{base}/{state.coverage_id}" if state.coverage_id else f"{base}/nouvelle"
    focus = state.focus or next(iter(state.errors), "") or ("" if state.coverage_id else "q")
    return {
        "base": base,
        "action_url": action,
        "v": state.values,
        "coverage_id": state.coverage_id,
        "read_only": state.read_only,
        "errors": state.errors,
        "message": state.message,
        "notice": state.notice or amc.shortcut_for(state.values.get("amc_number", "")),
        "general_error": state.general_error,
        "focus": focus,
        "organisms": state.organisms,
        "q": state.q,
        "shortcuts": amc.SHORTCUTS,
        "formulas": amc_formulas.formulas(),
        "formula_help": _formula_help(state.values.get("formula_code", "")),
        "pieces": codes.PIECE_JUSTIFICATIVE.items(today),
        "indicators": codes.INDICATEUR_TRAITEMENT_AMC.items(today),
        "reference_dates": amc.REFERENCE_DATES,
    }


def _formula_help(code: str) -> str:
    if not code.strip():
        return ""
    try:
        chosen = amc_formulas.formula(code)
    except OpenFSEError:
        return ""
    parameter = f" Paramètre : {chosen.parameter_meaning}." if chosen.takes_parameter else ""
    return f"{chosen.code} — {chosen.label} : {chosen.expression}.{parameter}"


def _render_fiche(
    desk: Desk, patient_id: int, state: FicheState, *, status_code: int = 200
) -> HTMLResponse:
    request = desk.request
    context = _fiche_context(patient_id, state, desk.today)
    if is_htmx(request):
        # htmx swaps only 2xx answers: the fragment carries the errors next to the fields.
        return render(request, "amc/_form.html", **context)
    patient_name = amc.list_for_patient(
        desk.uow(), patient_id, on=desk.today
    ).patient_name
    if state.read_only:
        heading = "Informations mutuelle (carte Vitale)"
    else:
        heading = "Informations mutuelle" if state.coverage_id else "Ajouter une mutuelle"
    return render(
        request,
        "amc/form_page.html",
        active="patients",
        title=f"{heading} — {patient_name}",
        heading=heading,
        patient_name=patient_name,
        status_code=status_code,
        **context,
    )


@router.get(BASE + "/nouvelle", response_class=HTMLResponse)
def new_fiche(desk: DeskDep, request: Request, patient_id: int) -> Response:
    try:
        return _render_fiche(desk, patient_id, FicheState(amc.blank_form()))
    except NotFound as error:
        return _problem(request, error, status_code=404)


@router.get(ONE, response_class=HTMLResponse)
def fiche(
    desk: DeskDep, request: Request, patient_id: int, coverage_id: int, fait: str = ""
) -> Response:
    try:
        view = amc.get(desk.uow(), patient_id, coverage_id, on=desk.today)
    except NotFound as error:
        return _problem(request, error, status_code=404)
    values = {**view.data.as_form(), "source": view.source.value}
    state = FicheState(values, coverage_id, view.read_only, message=DONE.get(fait, ""))
    if view.read_only:
        state.message = (
            "Mutuelle lue sur la carte Vitale : lecture seule. « Dupliquer » en fait une "
            "copie modifiable."
        )
    return _render_fiche(desk, patient_id, state)


@router.post(BASE + "/nouvelle", response_class=HTMLResponse)
async def submit_new(desk: DeskDep, patient_id: int) -> Response:
    return await _submit(desk, patient_id, None)


@router.post(ONE, response_class=HTMLResponse)
async def submit_existing(desk: DeskDep, patient_id: int, coverage_id: int) -> Response:
    return await _submit(desk, patient_id, coverage_id)


async def _submit(desk: Desk, patient_id: int, coverage_id: int | None) -> Response:
    request = desk.request
    form = await request.form()
    values = {name: _text(form, name) for name in (*amc.FIELD_NAMES, "source")}
    action, _, argument = _text(form, "_action").partition(":")
    # The search text goes once an organism is picked from its results.
    state = FicheState(values, coverage_id, q="" if action == "organisme" else _text(form, "q"))
    try:
        if action in ("", "enregistrer"):
            return _save(desk, patient_id, state)
        await _prefill(desk, state, action, argument, form)
    except NotFound as error:
        return _problem(request, error, status_code=404)
    return _render_fiche(desk, patient_id, state)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _save(desk: Desk, patient_id: int, state: FicheState) -> Response:
    request = desk.request
    try:
        if state.coverage_id is None:
            source = DataSource.ATTESTATION if state.values["source"] == "attestation" else None
            view = amc.add(
                desk.uow(),
                patient_id,
                state.values,
                on=desk.today,
                source=source or DataSource.MANUEL,
            )
            done = "ajoutee"
        else:
            view = amc.update(
                desk.uow(), patient_id, state.coverage_id, state.values, on=desk.today
            )
            done = "modifiee"
    except amc.AmcCoverageInvalid as error:
        state.errors = error.errors
    except Conflict as error:
        state.general_error = error.message
    else:
        return _redirect(request, f"{_base(patient_id)}?fait={done}&id={view.id}#amc-{view.id}")
    return _render_fiche(desk, patient_id, state, status_code=422)


async def _prefill(
    desk: Desk, state: FicheState, action: str, argument: str, form: FormData
) -> None:
    """Fill the fiche from a source (nothing is saved, except an organism created inline)."""
    state.focus = _FOCUS_AFTER.get(action, "")
    try:
        if action == "annee":
            state.values = amc.apply_current_year(state.values, desk.today)
        elif action == "raccourci":
            state.values, state.notice = amc.apply_shortcut(state.values, argument)
        elif action == "organisme":
            try:
                state.values, name = amc.pick_organism(desk.uow(), state.values, _number(argument))
            except NotFound:  # deleted meanwhile from Paramètres SV
                raise InvalidInput(
                    "Cet organisme n'existe plus dans votre liste : cherchez-le à nouveau.",
                    field="amc_organism_id",
                ) from None
            state.message = f"Organisme choisi : {name}."
        elif action == "creer_organisme":
            created = amc.create_organism(desk.uow(), state.values, on=desk.today)
            state.values = {**state.values, "amc_organism_id": str(created.id)}
            state.message = (
                f"Organisme créé dans votre liste : {created.name} (n° {created.number})."
            )
        elif action == "attestation":
            await _read_attestation(desk, state, form.get("attestation"))
        else:
            state.general_error = f"Action inconnue : « {action} »."
    except amc.AmcCoverageInvalid as error:
        state.errors, state.focus = error.errors, ""
    except (Conflict, InvalidInput) as error:
        state.errors, state.focus = {error.field or "amc_number": error.message}, ""


async def _read_attestation(desk: Desk, state: FicheState, upload: object) -> None:
    if not isinstance(upload, UploadFile) or not upload.filename:
        state.errors, state.focus = (
            {"attestation": "Choisissez d'abord la photo ou le scan de l'attestation."},
            "attestation",
        )
        return
    try:
        attestation = amc.read_attestation(
            uploaded_image(upload, field="attestation") or b"", desk.today)
    except (amc.AttestationError, InvalidInput) as error:
        # Unreadable: say why, keep the fiche as typed, save nothing.
        state.errors, state.focus = {"attestation": error.message}, "attestation"
        return
    prefill = amc.apply_attestation(desk.uow(), state.values, attestation)
    state.values, state.message = prefill.values, prefill.message
    state.errors = dict(prefill.errors)
    state.focus = next(iter(state.errors), "") or (
        "amc_name" if not prefill.values["amc_organism_id"] else "enregistrer"
    )


def _number(text: str) -> int:
    number = record_id(text)
    if number is None:
        raise InvalidInput(f"Organisme invalide : « {text[:40]} ».", field="amc_organism_id")
    return number


@router.get(BASE + "/organismes", response_class=HTMLResponse)
def organisms(desk: DeskDep, request: Request, patient_id: int, q: SearchText = "") -> HTMLResponse:
    """The pick-list fragment under the search field of the fiche."""
    found = amc.search_organisms(desk.uow(), q) if q.strip() else None
    return render(request, "amc/_organisms.html", organisms=found, q=q)


# --------------------------------------------------------------------------- row actions


@router.post(ONE + "/dupliquer")
def duplicate(desk: DeskDep, request: Request, patient_id: int, coverage_id: int) -> Response:
    try:
        copy = amc.duplicate(desk.uow(), patient_id, coverage_id, on=desk.today)
    except NotFound as error:
        return _problem(request, error, status_code=404)
    return _redirect(request, f"{_base(patient_id)}/{copy.id}?fait=copie")


@router.get(ONE + "/renouveler", response_class=HTMLResponse)
def renew_form(desk: DeskDep, request: Request, patient_id: int, coverage_id: int) -> Response:
    try:
        view = amc.get(desk.uow(), patient_id, coverage_id, on=desk.today)
    except NotFound as error:
        return _problem(request, error, status_code=404)
    start, end = amc.renewal_period(view.data.rights_end, desk.today)
    values = {"rights_start": start.isoformat(), "rights_end": end.isoformat()}
    return _render_dialog(desk, patient_id, "amc/_renew.html", view, values=values)


@router.post(ONE + "/renouveler", response_class=HTMLResponse)
async def renew(desk: DeskDep, request: Request, patient_id: int, coverage_id: int) -> Response:
    form = await request.form()
    values = {name: _text(form, name) for name in ("rights_start", "rights_end")}
    try:
        renewed = amc.renew(desk.uow(), patient_id, coverage_id, on=desk.today, values=values)
    except NotFound as error:
        return _problem(request, error, status_code=404)
    except (amc.AmcCoverageInvalid, Conflict) as error:
        view = amc.get(desk.uow(), patient_id, coverage_id, on=desk.today)
        errors = getattr(error, "errors", None) or {"rights_start": error.message}
        return _render_dialog(
            desk,
            patient_id,
            "amc/_renew.html",
            view,
            values=values,
            errors=errors,
            status_code=422,
        )
    return _redirect(
        request, f"{_base(patient_id)}?fait=renouvelee&id={renewed.id}#amc-{renewed.id}"
    )


@router.get(ONE + "/supprimer", response_class=HTMLResponse)
def delete_form(desk: DeskDep, request: Request, patient_id: int, coverage_id: int) -> Response:
    try:
        view = amc.get(desk.uow(), patient_id, coverage_id, on=desk.today)
    except NotFound as error:
        return _problem(request, error, status_code=404)
    return _render_dialog(desk, patient_id, "amc/_delete.html", view)


@router.post(ONE + "/supprimer")
def delete(desk: DeskDep, request: Request, patient_id: int, coverage_id: int) -> Response:
    try:
        amc.delete(desk.uow(), patient_id, coverage_id)
    except NotFound as error:
        return _problem(request, error, status_code=404)
    return _redirect(request, f"{_base(patient_id)}?fait=supprimee")


def _render_dialog(
    desk: Desk,
    patient_id: int,
    template: str,
    view: amc.AmcCoverageView,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A confirmation: the dialog's content for htmx, else a page holding the same form."""
    request = desk.request
    context: dict[str, Any] = {
        "base": _base(patient_id),
        "c": view,
        "v": values or {},
        "errors": errors or {},
        "dialog_template": template,
    }
    if is_htmx(request):
        return render(request, template, **context)
    patient_name = amc.list_for_patient(
        desk.uow(), patient_id, on=desk.today
    ).patient_name
    return render(
        request,
        "amc/dialog_page.html",
        active="patients",
        title=f"{view.name} — {patient_name}",
        patient_name=patient_name,
        status_code=status_code,
        **context,
    )


# --------------------------------------------------------------------------- helpers


def _redirect(request: Request, url: str) -> Response:
    """After a write: htmx navigates with ``HX-Redirect``, a plain post gets a 303."""
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _problem(request: Request, error: OpenFSEError, *, status_code: int) -> HTMLResponse:
    return render(
        request,
        "amc/problem.html",
        active="patients",
        title="Mutuelles",
        message=error.message,
        status_code=status_code,
    )
