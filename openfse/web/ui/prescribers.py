"""Prescripteurs (manuel eS-KAP+): live search A>Z / Z>A, create, modify, delete with confirmation.

The first part holds what every **fiche screen** of the directory menus shares (Mes favoris,
Profils and Paramètres SV import it): reading a posted form, the answers to a refused or a
saved fiche (htmx swaps only 2xx answers: a refused fiche comes back with 200 to htmx and 422 to
a plain post, every typed value kept and each error next to its field), the flash messages
after a save, and the 404 page of an unknown fiche. Templates: ``templates/prescribers/``
(``_ui.html`` holds the shared macros).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openfse.errors import Conflict, NotFound
from openfse.ids import facturation_ps
from openfse.services import prescribers
from openfse.services.prescribers import InvalidForm
from openfse.web.deps import DeskDep
from openfse.web.ui.rendering import Order, SearchText, is_htmx, render

router = APIRouter(include_in_schema=False)

# ---------------------------------------------------------------------------------------
# Fiche screens: shared mechanics
# ---------------------------------------------------------------------------------------

# What the list says after a fiche was saved or deleted (manuel eS-KAP+: « Enregistrement — Les
# modifications ont bien été prises en compte »).
DONE_MESSAGES = {
    "enregistre": "Enregistrement : les modifications ont bien été prises en compte.",
    "supprime": "La fiche a été supprimée.",
}


async def posted_form(request: Request) -> dict[str, str]:
    """The text fields of a posted form (files are ignored)."""
    return {key: value for key, value in (await request.form()).items()
            if isinstance(value, str)}


def done_message(code: str | None) -> str:
    return DONE_MESSAGES.get(code or "", "")


def after_save(request: Request, list_url: str, done: str = "enregistre") -> Response:
    """Back to the list with the manual's confirmation: a 303 for a plain post, an
    ``HX-Redirect`` for htmx (which would otherwise swap the list into the fiche)."""
    separator = "&" if "?" in list_url else "?"
    url = f"{list_url}{separator}fait={done}"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def refused_status(request: Request, plain_status: int) -> int:
    """htmx swaps only 2xx answers: it gets 200; a plain post gets ``plain_status``."""
    return 200 if is_htmx(request) else plain_status


def load_or_none(load: Callable[[], Any]) -> Any:
    """The loaded fiche, or None when it is not in the cabinet (answer :func:`not_found`)."""
    try:
        return load()
    except NotFound:
        return None


def not_found(request: Request) -> Response:
    """The 404 page (to htmx, which ignores a 404: a redirect to the page that says it)."""
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": request.url.path})
    return render(request, "pages/not_found.html", title="Page introuvable",
                  path=request.url.path, status_code=404)


def row_values(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """A stored row as form values (None shown empty; booleans for checkboxes)."""
    values: dict[str, Any] = {}
    for name in names:
        value = getattr(row, name)
        values[name] = value.value if hasattr(value, "value") else value
    return values


# ---------------------------------------------------------------------------------------
# Prescripteurs
# ---------------------------------------------------------------------------------------

LIST_URL = "/prescripteurs"
LIST_LIMIT = 100


def _context(**context: Any) -> dict[str, Any]:
    options = [(code, f"{code} — {label}") for code, label in prescribers.specialty_choices()]
    return {"active": "prescripteurs", "specialty_options": options,
            "specialty_label": prescribers.specialty_label,
            "format_am": _format_am, **context}


def _format_am(number: str | None) -> str:
    return facturation_ps.format(number) if number else ""


@router.get("/prescripteurs", response_class=HTMLResponse)
def prescriber_list(desk: DeskDep, request: Request, q: SearchText = "", order: Order = "asc",
                    fait: str | None = None) -> HTMLResponse:
    rows = prescribers.search(desk.uow(), q, order=order, limit=LIST_LIMIT)
    template = "prescribers/rows.html" if is_htmx(request) else "prescribers/list.html"
    return render(request, template, title="Prescripteurs",
                  **_context(q=q, order=order, prescribers=rows, limit=LIST_LIMIT,
                             done=done_message(fait)))


def _fiche(request: Request, *, form: Mapping[str, Any], prescriber_id: int | None,
           errors: Mapping[str, str] | None = None, problem: str = "",
           status_code: int = 200) -> HTMLResponse:
    title = "Nouveau prescripteur" if prescriber_id is None else "Fiche prescripteur"
    return render(request, "prescribers/fiche.html", title=title, status_code=status_code,
                  **_context(form=form, errors=errors or {}, problem=problem,
                             prescriber_id=prescriber_id))


@router.get("/prescripteurs/nouveau", response_class=HTMLResponse)
def prescriber_new(desk: DeskDep, request: Request) -> HTMLResponse:
    return _fiche(request, form={}, prescriber_id=None)


@router.get("/prescripteurs/{prescriber_id:int}", response_class=HTMLResponse)
def prescriber_fiche(desk: DeskDep, request: Request, prescriber_id: int) -> Response:
    row = load_or_none(lambda: prescribers.get(desk.uow(), prescriber_id))
    if row is None:
        return not_found(request)
    form = row_values(row, prescribers.FIELDS)
    form["am_number"] = _format_am(row.am_number)
    return _fiche(request, form=form, prescriber_id=prescriber_id)


@router.post("/prescripteurs/nouveau", response_class=HTMLResponse)
async def prescriber_create(desk: DeskDep, request: Request) -> Response:
    form = await posted_form(request)
    try:
        prescribers.create(desk.uow(), form)
    except InvalidForm as error:
        return _fiche(request, form=form, prescriber_id=None, errors=error.errors,
                      status_code=refused_status(request, 422))
    return after_save(request, LIST_URL)


@router.post("/prescripteurs/{prescriber_id:int}", response_class=HTMLResponse)
async def prescriber_update(desk: DeskDep, request: Request, prescriber_id: int) -> Response:
    form = await posted_form(request)
    try:
        prescribers.update(desk.uow(), prescriber_id, form)
    except NotFound:
        return not_found(request)
    except InvalidForm as error:
        return _fiche(request, form=form, prescriber_id=prescriber_id, errors=error.errors,
                      status_code=refused_status(request, 422))
    return after_save(request, LIST_URL)


@router.post("/prescripteurs/{prescriber_id:int}/supprimer", response_class=HTMLResponse)
def prescriber_delete(desk: DeskDep, request: Request, prescriber_id: int) -> Response:
    try:
        prescribers.delete(desk.uow(), prescriber_id)
    except NotFound:
        return not_found(request)
    except Conflict as error:  # e.g. invoices still name him (database refusal)
        row = prescribers.get(desk.uow(), prescriber_id)
        return _fiche(request, form=row_values(row, prescribers.FIELDS),
                      prescriber_id=prescriber_id, problem=error.message,
                      status_code=refused_status(request, 409))
    return after_save(request, LIST_URL, done="supprime")
