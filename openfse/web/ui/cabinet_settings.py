"""« Paramètres du cabinet »: the cabinet's time zone (titulaire and admin: ``/parametres``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from openfse.errors import FormErrors
from openfse.services import cabinet_settings
from openfse.web.deps import DeskDep
from openfse.web.ui.prescribers import after_save, done_message, posted_form, refused_status
from openfse.web.ui.rendering import render

router = APIRouter(include_in_schema=False)

PAGE_URL = "/parametres/cabinet"


def _page(desk: DeskDep, form: dict[str, str], *, errors: dict[str, str] | None = None,
          done: str = "", status_code: int = 200) -> HTMLResponse:
    return render(desk.request, "cabinet/settings.html", active="parametres",
                  title="Paramètres du cabinet", form=form, errors=errors or {}, done=done,
                  zones=cabinet_settings.time_zone_choices(), today=desk.today,
                  status_code=status_code)


@router.get(PAGE_URL, response_class=HTMLResponse)
def cabinet_page(desk: DeskDep, fait: str | None = None) -> HTMLResponse:
    form = {"time_zone": cabinet_settings.time_zone(desk.uow())}
    return _page(desk, form, done=done_message(fait))


@router.post(PAGE_URL, response_class=HTMLResponse)
async def cabinet_page_save(desk: DeskDep) -> Response:
    form = await posted_form(desk.request)
    try:
        cabinet_settings.set_time_zone(desk.uow(), form.get("time_zone", ""))
    except FormErrors as error:
        return _page(desk, form, errors=error.errors,
                     status_code=refused_status(desk.request, 422))
    return after_save(desk.request, PAGE_URL)
