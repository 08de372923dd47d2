"""Rendering shared by every page: the Jinja2 environment, the page frame, query types."""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from openfse import __version__
from openfse.domain.local_time import DEFAULT_FORMAT, local_time
from openfse.money import format_eur
from openfse.services import access
from openfse.services.session_login import SessionUser
from openfse.web.deps import app_context, clock_of
from openfse.web.security import check_access
from openfse.web.ui.menus import MENUS

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
TEMPLATES.env.filters["eur"] = format_eur


@pass_context
def _local_time(context: Context, moment: datetime | None, fmt: str = DEFAULT_FORMAT) -> str:
    """Stored UTC, shown on the cabinet's clock (its time zone setting, via the request's desk)."""
    request = context.get("request")
    if request is None:
        return local_time(moment, fmt)
    return local_time(moment, fmt, zone=clock_of(request).zone)


TEMPLATES.env.filters["local_time"] = _local_time


def may_open(user: SessionUser | None, path: str, request: Request | None = None) -> bool:
    """May ``user`` open the page ``path``? A menu entry the page would refuse is hidden. With
    the ``request``, the pages' own check (``security.check_access``: a remplaçant's calendar
    day included); without it, his calendar-bound pages count as closed."""
    if user is None:
        return False
    permission = access.permission_for("GET", path)
    try:
        if request is None:
            access.check(user, permission)
        else:
            check_access(request, user, permission)
    except access.Forbidden:
        return False
    return True


@pass_context
def _may_open_here(context: Context, user: SessionUser | None, path: str) -> bool:
    """``may_open`` in a template: the page's request tells the remplaçant's day."""
    return may_open(user, path, context.get("request"))


TEMPLATES.env.globals["may_open"] = _may_open_here

Order = Annotated[Literal["asc", "desc"], Query()]
SearchText = Annotated[str, Query(max_length=100)]


def is_htmx(request: Request) -> bool:
    return bool(request.headers.get("HX-Request"))


# The pages that say a request was refused (role, CSRF, not found, bad input): the guard
# answers htmx with 200 so that they are swapped, the error handler with their 4xx.
ERROR_TEMPLATES = frozenset({"pages/error.html", "pages/not_found.html",
                             "security/refused.html"})


def is_error_fragment(request: Request, template: str, status_code: int) -> bool:
    """Is this answer an error for an htmx swap into part of a page (not a boosted page
    load)? Then it is rendered without the page frame — ``base.html`` shows only its
    content, no second header nor menu — and put at the top of the target, before what the
    user typed, which stays (issue 13: a refused « Valider » nested a whole « Accès refusé »
    page in the invoice form and lost the acts). htmx swaps 4xx answers too (``base.html``'s
    ``responseHandling``)."""
    if not is_htmx(request) or request.headers.get("HX-Boosted"):
        return False
    return (status_code >= 400 or template in ERROR_TEMPLATES) and _is_page(template)


@functools.cache
def _is_page(template: str) -> bool:
    """Does the template draw a whole page (extends ``base.html``)? A partial is swapped as
    it is."""
    source, _, _ = TEMPLATES.env.loader.get_source(TEMPLATES.env, template)  # type: ignore[union-attr]
    return '{% extends "base.html" %}' in source


def render(
    request: Request,
    template: str,
    active: str | None = None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    ctx = app_context(request)
    base = {
        "menus": MENUS,
        "active": active,
        "version": __version__,
        "cabinet_name": ctx.cabinet_name(),
    }
    fragment = is_error_fragment(request, template, status_code)
    answer = TEMPLATES.TemplateResponse(
        request, template, {**base, **context, "htmx_fragment": fragment},
        status_code=status_code
    )
    if fragment:
        answer.headers["HX-Reswap"] = "afterbegin"
    return answer
