"""« Journal »: the audit journal, listed and filtered (entity, actor, day); read-only.

Issue 8: « a screen lists it »; readable by the titulaire and the admin (policy:
:mod:`openfse.services.access`, ``/journal`` → ``Permission.JOURNAL``). There is no route that
changes an entry: the screen only answers GET.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from openfse.errors import InvalidInput
from openfse.services import audit
from openfse.web.session import actor_uow
from openfse.web.ui.rendering import is_htmx, render

router = APIRouter(include_in_schema=False)


@router.get("/journal", response_class=HTMLResponse)
def journal_page(request: Request, entite: str = "", acteur: str = "",
                 jour: str = "") -> HTMLResponse:
    errors: dict[str, str] = {}
    try:
        wanted = audit.parse_filter(entite, acteur, jour)
    except InvalidInput as error:
        errors[error.field or "day"] = error.message
        wanted = audit.parse_filter(entite, acteur)
    with actor_uow(request) as uow:
        lines = audit.search_journal(uow, wanted)
    template = "audit/rows.html" if is_htmx(request) else "audit/journal.html"
    return render(request, template, "journal", title="Journal", lines=lines, errors=errors,
                  entite=entite, acteur=acteur, jour=jour, page_size=audit.PAGE_SIZE)
