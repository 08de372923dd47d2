"""Rendering shared by every page: the Jinja2 environment, the page frame, query types."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from openfse import __version__
from openfse.domain.local_time import local_time
from openfse.money import format_eur
from openfse.services import access
from openfse.services.session_login import SessionUser
from openfse.web.ui.menus import MENUS

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
TEMPLATES.env.filters["eur"] = format_eur
TEMPLATES.env.filters["local_time"] = local_time  # stored UTC, shown on the cabinet's clock


def may_open(user: SessionUser | None, path: str) -> bool:
    """May ``user`` open the page ``path``? A menu entry the role policy would refuse is hidden."""
    if user is None:
        return False
    try:
        access.check(user, access.permission_for("GET", path))
    except access.Forbidden:
        return False
    return True


TEMPLATES.env.globals["may_open"] = may_open

Order = Annotated[Literal["asc", "desc"], Query()]
SearchText = Annotated[str, Query(max_length=100)]


def is_htmx(request: Request) -> bool:
    return bool(request.headers.get("HX-Request"))


def render(
    request: Request,
    template: str,
    active: str | None = None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    ctx = request.app.state.ctx
    base = {
        "menus": MENUS,
        "active": active,
        "version": __version__,
        "cabinet_name": ctx.cabinet_name(),
    }
    return TEMPLATES.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )
