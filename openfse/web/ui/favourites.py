"""Mes favoris (manuel eS-KAP+, « Soins favoris »): live search, create, modify, delete with
confirmation; the fiche edits the label, the owner and the act lines.

The act lines are edited in place: « Ajouter un soin », ↑ / ↓ (order) and ✕ post the whole
fiche with ``op`` = ``add``, ``up-<i>``, ``down-<i>``, ``del-<i>`` and the screen comes back
with the lines rearranged and every typed value kept; nothing is saved until « Valider »
(``op`` = ``save``, also what Entrée does).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from openfse.errors import NotFound
from openfse.referentials.codes import QUALIFICATIF_DEPENSE
from openfse.services import favourites
from openfse.services.favourites import ACT_FIELDS, CABINET, FavouriteActLine, FavouriteView
from openfse.services.prescribers import InvalidForm
from openfse.typed_numbers import record_id
from openfse.web.deps import Desk, DeskDep
from openfse.web.ui.prescribers import (
    after_save,
    done_message,
    load_or_none,
    not_found,
    posted_form,
    refused_status,
)
from openfse.web.ui.rendering import Order, SearchText, is_htmx, render

router = APIRouter(include_in_schema=False)

LIST_URL = "/favoris"
LIST_LIMIT = 100
_OP = re.compile(r"(add|save|refresh)|(up|down|del)-([0-9]{1,2})")
_CCAM_CODE = re.compile(r"[A-Z]{4}[0-9]{3}")
Owner = Annotated[str, Query(max_length=20)]


# -- the act lines of the form (pure) --------------------------------------------------------

def blank_act() -> dict[str, str]:
    return {name: "" for name in ACT_FIELDS}


def acts_from_form(form: Mapping[str, str]) -> list[dict[str, str]]:
    """The act rows posted as ``acts-<i>-<field>`` (``acts-count`` rows)."""
    try:
        count = min(int(form.get("acts-count", "0")), favourites.MAX_ACTS + 5)
    except ValueError:
        count = 0
    return [{name: form.get(f"acts-{i}-{name}", "") for name in ACT_FIELDS}
            for i in range(count)]


def apply_op(acts: list[dict[str, str]], op: str) -> tuple[list[dict[str, str]], int | None]:
    """The rows after an editing action, and the row to put the focus on."""
    match = _OP.fullmatch(op)
    if match is None or match.group(1) in ("save", "refresh"):
        return acts, None
    if match.group(1) == "add":
        return [*acts, blank_act()], len(acts)
    action, index = match.group(2), int(match.group(3))
    if not 0 <= index < len(acts):
        return acts, None
    rows = list(acts)
    if action == "del":
        del rows[index]
        return (rows or [blank_act()]), min(index, max(len(rows) - 1, 0))
    target = index - 1 if action == "up" else index + 1
    if 0 <= target < len(rows):
        rows[index], rows[target] = rows[target], rows[index]
        return rows, target
    return rows, index


def _decimal_text(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f").replace(".", ",")


def act_row(line: FavouriteActLine) -> dict[str, str]:
    """A saved act line as form values."""
    return {
        "code": line.code,
        "quantity": str(line.quantity),
        "coefficient": _decimal_text(line.coefficient),
        "activity": "" if line.activity is None else str(line.activity),
        "phase": "" if line.phase is None else str(line.phase),
        "modifiers": " ".join(line.modifiers),
        "unit_price": "" if line.unit_price is None else f"{line.unit_price:.2f}".replace(".", ","),
        "qualificatif": line.qualificatif or "",
        "travel_allowance_code": line.travel_allowance_code or "",
    }


def favourite_form(view: FavouriteView) -> dict[str, Any]:
    return {"label": view.label,
            "professional_id": "" if view.professional_id is None else str(view.professional_id),
            "acts": [act_row(line) for line in view.acts]}


# -- pages -------------------------------------------------------------------------------------

def _owner_filter(pro: str) -> int | str | None:
    if pro == CABINET:
        return CABINET
    return record_id(pro)  # not int(): a 5,000-digit « pro » is no professional, not a 500


@router.get("/favoris", response_class=HTMLResponse)
def favourite_list(desk: DeskDep, request: Request, q: SearchText = "", order: Order = "asc",
                   pro: Owner = "", fait: str | None = None) -> HTMLResponse:
    rows = favourites.search(desk.uow(), q, professional_id=_owner_filter(pro), order=order,
                             limit=LIST_LIMIT)
    owners = favourites.owner_choices(desk.uow())
    template = "favourites/rows.html" if is_htmx(request) else "favourites/list.html"
    return render(request, template, active="favoris", title="Mes favoris", q=q, order=order,
                  pro=pro, favourites=rows, owners=owners, owner_names=dict(owners),
                  limit=LIST_LIMIT,
                  done=done_message(fait))


def _fiche(desk: Desk, *, form: Mapping[str, Any], favourite_id: int | None,
           errors: Mapping[str, str] | None = None, focus: int | None = None,
           status_code: int = 200) -> HTMLResponse:
    today = desk.today  # the date of care a favourite is checked against: the cabinet's day
    owner = str(form.get("professional_id") or "")
    professions = _professions(desk, owner)
    catalog = desk.ccam_catalog()
    acts: Sequence[Mapping[str, str]] = form.get("acts") or [blank_act()]
    labels = [favourites.code_label(code, "CCAM" if _CCAM_CODE.fullmatch(code) else "NGAP",
                                    professions, today, catalog)
              if (code := act.get("code", "").strip().upper()) else ""
              for act in acts]
    title = "Nouveau favori" if favourite_id is None else "Favori"
    return render(
        desk.request, "favourites/fiche.html", active="favoris", title=title,
        status_code=status_code, form=form, acts=acts, labels=labels, errors=errors or {},
        focus=focus, favourite_id=favourite_id, owners=favourites.owner_choices(desk.uow()),
        codes=favourites.code_choices(professions, today),
        travel_choices=[(k.code, f"{k.code} — {k.label}")
                        for k in favourites.travel_allowance_choices(professions, today)],
        qualificatifs=[(item.code, f"{item.code} — {item.label}")
                       for item in QUALIFICATIF_DEPENSE.items(today)],
    )


def _professions(desk: Desk, owner: str) -> tuple[str, ...]:
    try:
        return favourites.owner_professions(desk.uow(), record_id(owner))
    except NotFound:  # a professional removed meanwhile: the cabinet's professions
        return favourites.owner_professions(desk.uow(), None)


@router.get("/favoris/nouveau", response_class=HTMLResponse)
def favourite_new(desk: DeskDep, pro: Owner = "") -> HTMLResponse:
    owner = pro if record_id(pro) is not None else ""
    return _fiche(desk, form={"label": "", "professional_id": owner, "acts": [blank_act()]},
                  favourite_id=None, focus=None)


@router.get("/favoris/{favourite_id:int}", response_class=HTMLResponse)
def favourite_fiche(desk: DeskDep, favourite_id: int) -> Response:
    view = load_or_none(lambda: favourites.get(desk.uow(), favourite_id))
    if view is None:
        return not_found(desk.request)
    return _fiche(desk, form=favourite_form(view), favourite_id=favourite_id)


async def _submit(desk: Desk, favourite_id: int | None) -> Response:
    request = desk.request
    fields = await posted_form(request)
    acts, focus = apply_op(acts_from_form(fields), fields.get("op", "save"))
    form = {"label": fields.get("label", ""),
            "professional_id": fields.get("professional_id", ""), "acts": acts}
    if fields.get("op", "save") != "save":  # editing the lines: nothing is saved yet
        return _fiche(desk, form=form, favourite_id=favourite_id, focus=focus)
    data = {**form, "professional_id": form["professional_id"] or None}
    try:
        if favourite_id is None:
            favourites.create(desk.uow(), data, on=desk.today, ccam=desk.ccam_catalog())
        else:
            favourites.update(desk.uow(), favourite_id, data, on=desk.today,
                              ccam=desk.ccam_catalog())
    except NotFound:
        return not_found(request)
    except InvalidForm as error:
        return _fiche(desk, form=form, favourite_id=favourite_id, errors=error.errors,
                      status_code=refused_status(request, 422))
    return after_save(request, LIST_URL)


@router.post("/favoris/nouveau", response_class=HTMLResponse)
async def favourite_create(desk: DeskDep) -> Response:
    return await _submit(desk, None)


@router.post("/favoris/{favourite_id:int}", response_class=HTMLResponse)
async def favourite_update(desk: DeskDep, favourite_id: int) -> Response:
    return await _submit(desk, favourite_id)


@router.post("/favoris/{favourite_id:int}/supprimer", response_class=HTMLResponse)
def favourite_delete(desk: DeskDep, favourite_id: int) -> Response:
    try:
        favourites.delete(desk.uow(), favourite_id)
    except NotFound:
        return not_found(desk.request)
    return after_save(desk.request, LIST_URL, done="supprime")
