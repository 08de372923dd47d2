"""Profils (seed 001): the « Préférences » page — ADRi mode, AMC options, treatment defaults,
default payment type — and the way to « Paramètres SV » (the organism lists).

The page edits the cabinet's preferences; a user's own values (``services.preferences``,
``user_id``) come with per-user log-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from openfse.services import preferences
from openfse.services.prescribers import InvalidForm
from openfse.web.ui.prescribers import after_save, done_message, posted_form, refused_status
from openfse.web.ui.rendering import render

router = APIRouter(include_in_schema=False)

PAGE_URL = "/profils"


def _page(request: Request, *, form: Mapping[str, Any], errors: Mapping[str, str] | None = None,
          done: str = "", status_code: int = 200) -> HTMLResponse:
    specs = {spec.key: spec for spec in preferences.SPECS}
    return render(
        request, "profiles/preferences.html", active="profils", title="Profils — préférences",
        status_code=status_code, form=form, errors=errors or {}, done=done, specs=specs,
        adri_modes=[(mode.value, label, help_text)
                    for mode, (label, help_text) in preferences.ADRI_MODE_HELP.items()],
        adri_note=preferences.ADRI_APCV_NOTE,
        tiers_payant=[(mode.value, label)
                      for mode, label in preferences.TIERS_PAYANT_AMC_LABELS.items()],
        payments=preferences.payment_choices(),
        sections=_sections(),
    )


def _sections() -> dict[str, list[str]]:
    """Checkbox preferences by section, in the order of ``SPECS``."""
    defaults = preferences.Preferences()
    sections: dict[str, list[str]] = {}
    for spec in preferences.SPECS:
        if isinstance(getattr(defaults, spec.key), bool):
            sections.setdefault(spec.section, []).append(spec.key)
    return sections


def _as_form(prefs: preferences.Preferences) -> dict[str, Any]:
    """Stored preferences as form values (checkboxes stay booleans, None is empty)."""
    form: dict[str, Any] = {}
    for key, value in asdict(prefs).items():
        if isinstance(value, bool):
            form[key] = value
        else:
            form[key] = "" if value is None else getattr(value, "value", value)
    return form


@router.get("/profils", response_class=HTMLResponse)
def preferences_page(request: Request, fait: str | None = None) -> HTMLResponse:
    prefs = preferences.get_all(request.app.state.ctx.uow())
    return _page(request, form=_as_form(prefs), done=done_message(fait))


@router.post("/profils", response_class=HTMLResponse)
async def preferences_save(request: Request) -> Response:
    form = await posted_form(request)
    # Every preference is on the page: an unticked checkbox is absent from the post (False).
    data = {spec.key: form.get(spec.key) for spec in preferences.SPECS}
    try:
        preferences.save(request.app.state.ctx.uow(), data)
    except InvalidForm as error:
        return _page(request, form=form, errors=error.errors,
                     status_code=refused_status(request, 422))
    return after_save(request, PAGE_URL)
