"""Home screen, and the menus announced for a later version."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from openfse.services import directory
from openfse.web.deps import DeskDep
from openfse.web.ui.menus import MENUS
from openfse.web.ui.rendering import render

router = APIRouter(include_in_schema=False)


# Menus whose screens come with later milestones: listed on the home screen, announced honestly.
UPCOMING: dict[str, str] = {}


@router.get("/", response_class=HTMLResponse)
def home(desk: DeskDep, request: Request) -> HTMLResponse:
    catalog = desk.ccam_catalog()
    return render(
        request,
        "pages/home.html",
        page="home",
        title="Accueil",
        counts=directory.counts(desk.uow()),
        database_kind=desk.context.database_kind,
        ccam_version=f"{catalog.version} ({len(catalog.acts)} actes)",
    )


@router.get("/{menu_key}", response_class=HTMLResponse)
def upcoming(desk: DeskDep, request: Request, menu_key: str) -> HTMLResponse:
    menu = next((m for m in MENUS if m.path == f"/{menu_key}"), None)
    if menu is None or menu.key not in UPCOMING:
        return render(
            request,
            "pages/not_found.html",
            title="Page introuvable",
            path=f"/{menu_key}",
            status_code=404,
        )
    return render(
        request,
        "pages/upcoming.html",
        active=menu.key,
        title=menu.label,
        menu=menu,
        explanation=UPCOMING[menu.key],
    )
