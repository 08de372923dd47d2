"""Rendering shared by every page: the Jinja2 environment, the page frame, query types."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from openfse import __version__
from openfse.money import format_eur
from openfse.web.ui.menus import MENUS

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
TEMPLATES.env.filters["eur"] = format_eur

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
