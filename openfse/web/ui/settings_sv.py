"""Paramètres SV (manuel eS-KAP+): the AMO and AMC organism lists — search by name or number, A>Z /
Z>A, add, modify, delete with confirmation (refused while a patient's coverage uses it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from openfse.errors import Conflict, NotFound
from openfse.ids import organisme
from openfse.services import organisms
from openfse.services.prescribers import InvalidForm
from openfse.store.uow import UnitOfWork
from openfse.web.deps import DeskDep
from openfse.web.ui.prescribers import (
    after_save,
    done_message,
    load_or_none,
    not_found,
    posted_form,
    refused_status,
    row_values,
)
from openfse.web.ui.rendering import Order, SearchText, is_htmx, render

router = APIRouter(include_in_schema=False)

Liste = Literal["amo", "amc"]
LIST_LIMIT = 200


@dataclass(frozen=True, slots=True)
class _Kind:
    """One of the two lists: its words and its use cases."""

    key: Liste
    title: str  # of the list
    noun: str  # of a fiche, in « Suppression de fiche d'organisme … »
    fields: tuple[str, ...]
    search: Callable[..., Any]
    get: Callable[[UnitOfWork, int], Any]
    create: Callable[[UnitOfWork, Mapping[str, object]], Any]
    update: Callable[[UnitOfWork, int, Mapping[str, object]], Any]
    delete: Callable[[UnitOfWork, int], None]
    defaults: Mapping[str, str]

    @property
    def list_url(self) -> str:
        return f"/parametres?liste={self.key}"


KINDS: dict[str, _Kind] = {
    "amo": _Kind("amo", "Organismes AMO utilisés", "organisme AMO", organisms.AMO_FIELDS,
                 organisms.search_amo, organisms.get_amo, organisms.create_amo,
                 organisms.update_amo, organisms.delete_amo, {}),
    # Manuel eS-KAP+, new AMC fiche: « Type contrat … 0 » and « ☒ Gestion séparée » preset.
    "amc": _Kind("amc", "Organismes AMC (complémentaires)", "organisme AMC",
                 organisms.AMC_FIELDS, organisms.search_amc, organisms.get_amc,
                 organisms.create_amc, organisms.update_amc, organisms.delete_amc,
                 {"contract_type": "0", "gestion": "separee"}),
}


def _common(kind: _Kind, **context: Any) -> dict[str, Any]:
    return {"active": "parametres", "kind": kind, "liste": kind.key,
            "gestions": organisms.GESTION_CHOICES, "regimes": sorted(organisme.REGIMES.items()),
            "gestion_label": dict(organisms.GESTION_CHOICES), **context}


@router.get("/parametres", response_class=HTMLResponse)
def organism_list(desk: DeskDep, request: Request, q: SearchText = "", order: Order = "asc",
                  liste: Annotated[Liste, Query()] = "amc",
                  fait: str | None = None) -> HTMLResponse:
    kind = KINDS[liste]
    rows = kind.search(desk.uow(), q, order=order, limit=LIST_LIMIT)
    template = "settings_sv/rows.html" if is_htmx(request) else "settings_sv/list.html"
    return render(request, template, title="Paramètres SV",
                  **_common(kind, q=q, order=order, organisms=rows, limit=LIST_LIMIT,
                             done=done_message(fait)))


def _fiche(request: Request, kind: _Kind, *, form: Mapping[str, Any], organism_id: int | None,
           errors: Mapping[str, str] | None = None, problem: str = "", hint: str = "",
           status_code: int = 200) -> HTMLResponse:
    title = f"Fiche {kind.noun}" if organism_id is not None else f"Ajout {kind.noun}"
    return render(request, f"settings_sv/{kind.key}_fiche.html", title=title,
                  status_code=status_code,
                  **_common(kind, form=form, errors=errors or {}, problem=problem,
                            organism_id=organism_id, number_hint=hint))


def _stored_form(kind: _Kind, row: Any) -> dict[str, Any]:
    return row_values(row, kind.fields)


def _number_hint(kind: _Kind, row: Any) -> str:
    if kind.key != "amc":
        return ""
    return organisms.luhn_warning(row.number) or ""


@router.get("/parametres/{liste}/nouveau", response_class=HTMLResponse)
def organism_new(desk: DeskDep, request: Request, liste: Liste) -> HTMLResponse:
    kind = KINDS[liste]
    return _fiche(request, kind, form=dict(kind.defaults), organism_id=None)


@router.get("/parametres/{liste}/{organism_id:int}", response_class=HTMLResponse)
def organism_fiche(desk: DeskDep, request: Request, liste: Liste, organism_id: int) -> Response:
    kind = KINDS[liste]
    row = load_or_none(lambda: kind.get(desk.uow(), organism_id))
    if row is None:
        return not_found(request)
    return _fiche(request, kind, form=_stored_form(kind, row), organism_id=organism_id,
                  hint=_number_hint(kind, row))


@router.post("/parametres/{liste}/nouveau", response_class=HTMLResponse)
async def organism_create(desk: DeskDep, request: Request, liste: Liste) -> Response:
    kind = KINDS[liste]
    form = await posted_form(request)
    try:
        kind.create(desk.uow(), form)
    except InvalidForm as error:
        return _fiche(request, kind, form=form, organism_id=None, errors=error.errors,
                      status_code=refused_status(request, 422))
    return after_save(request, kind.list_url)


@router.post("/parametres/{liste}/{organism_id:int}", response_class=HTMLResponse)
async def organism_update(desk: DeskDep, request: Request, liste: Liste,
                          organism_id: int) -> Response:
    kind = KINDS[liste]
    form = await posted_form(request)
    try:
        kind.update(desk.uow(), organism_id, form)
    except NotFound:
        return not_found(request)
    except InvalidForm as error:
        return _fiche(request, kind, form=form, organism_id=organism_id, errors=error.errors,
                      status_code=refused_status(request, 422))
    return after_save(request, kind.list_url)


@router.post("/parametres/{liste}/{organism_id:int}/supprimer", response_class=HTMLResponse)
def organism_delete(desk: DeskDep, request: Request, liste: Liste, organism_id: int) -> Response:
    kind = KINDS[liste]
    try:
        kind.delete(desk.uow(), organism_id)
    except NotFound:
        return not_found(request)
    except Conflict as error:  # still used by a patient's coverage
        row = kind.get(desk.uow(), organism_id)
        return _fiche(request, kind, form=_stored_form(kind, row), organism_id=organism_id,
                      problem=error.message, hint=_number_hint(kind, row),
                      status_code=refused_status(request, 409))
    return after_save(request, kind.list_url, done="supprime")
