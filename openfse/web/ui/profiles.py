"""Profils (manuel eS-KAP+): the « Préférences » pages — ADRi mode, AMC options, treatment defaults,
default payment type — and the way to « Paramètres SV » (the organism lists).

Two pages share one template:

* ``/profils`` — « Mes préférences »: the logged-in user's own values over the cabinet's
  (``services.preferences.save_own``: only what differs from the cabinet is his own, so he
  follows the cabinet elsewhere); « Reprendre les préférences du cabinet » removes his own.
* ``/parametres/preferences`` — the cabinet's defaults, for everybody who has no own value;
  under ``/parametres``, so the role policy (``services.access``) opens it to the titulaire
  and the administrator only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openfse.services import preferences
from openfse.services.prescribers import InvalidForm
from openfse.services.session_login import SessionUser
from openfse.web.deps import Desk, DeskDep
from openfse.web.ui.prescribers import after_save, done_message, posted_form, refused_status
from openfse.web.ui.rendering import may_open, render

router = APIRouter(include_in_schema=False)

PAGE_URL = "/profils"
CABINET_URL = "/parametres/preferences"
RESET_URL = "/profils/reprendre-cabinet"
RESET_DONE = "cabinet"
DONE_RESET_MESSAGE = ("Vos réglages personnels sont supprimés : les préférences du cabinet "
                      "s'appliquent.")


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose preferences a page edits."""

    url: str
    heading: str
    intro: str
    mine: bool


MINE = Scope(PAGE_URL, "Profils — mes préférences",
             "Vos préférences de facturation. Une valeur identique à celle du cabinet suit le "
             "cabinet ; une valeur différente est la vôtre (marquée « Votre réglage »).", True)
CABINET = Scope(CABINET_URL, "Préférences du cabinet",
                "Valeurs par défaut de tous les utilisateurs du cabinet, sauf leurs réglages "
                "personnels (menu Profils).", False)


def _page(desk: Desk, scope: Scope, *, form: Mapping[str, Any],
          errors: Mapping[str, str] | None = None, done: str = "",
          own_notes: Mapping[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    specs = {spec.key: spec for spec in preferences.SPECS}
    return render(
        desk.request, "profiles/preferences.html", active="profils", title=scope.heading,
        status_code=status_code, form=form, errors=errors or {}, done=done, specs=specs,
        scope=scope, own_notes=own_notes or {}, reset_url=RESET_URL,
        cabinet_url=CABINET_URL if scope.mine and may_open(desk.user, CABINET_URL)
        else "",
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


def _shown(key: str, value: Any) -> str:
    """A preference value as the screen names it (« Chèque », « cochée »…)."""
    if isinstance(value, bool):
        return "cochée" if value else "non cochée"
    if key == "adri_mode":
        return preferences.ADRI_MODE_HELP[value][0]
    if key == "tiers_payant_amc":
        return preferences.TIERS_PAYANT_AMC_LABELS[value]
    if key == "default_payment_type":
        return dict(preferences.payment_choices()).get(value or "", "aucun")
    return str(value)


def _own_notes(mine: preferences.UserPreferences) -> dict[str, str]:
    """Next to each of the user's own values: that it is his, and the cabinet's value."""
    return {key: f"Votre réglage — cabinet : {_shown(key, getattr(mine.cabinet, key))}"
            for key in sorted(mine.own)}


def _posted(form: Mapping[str, str]) -> dict[str, object]:
    # Every preference is on the page: an unticked checkbox is absent from the post (False).
    return {spec.key: form.get(spec.key) for spec in preferences.SPECS}


def _user(desk: Desk) -> SessionUser:
    user = desk.user
    assert user is not None  # the guard (web.security) lets only logged-in users here
    return user


def _done(code: str | None) -> str:
    return DONE_RESET_MESSAGE if code == RESET_DONE else done_message(code)


# --------------------------------------------------------------------------- mine


@router.get(PAGE_URL, response_class=HTMLResponse)
def my_preferences(desk: DeskDep, fait: str | None = None) -> HTMLResponse:
    mine = preferences.for_user(desk.uow(), _user(desk).user_id)
    return _page(desk, MINE, form=_as_form(mine.in_force), done=_done(fait),
                 own_notes=_own_notes(mine))


@router.post(PAGE_URL, response_class=HTMLResponse)
async def my_preferences_save(desk: DeskDep, request: Request) -> Response:
    form = await posted_form(request)
    user_id = _user(desk).user_id
    try:
        preferences.save_own(desk.uow(), _posted(form), user_id=user_id)
    except InvalidForm as error:
        mine = preferences.for_user(desk.uow(), user_id)
        return _page(desk, MINE, form=form, errors=error.errors, own_notes=_own_notes(mine),
                     status_code=refused_status(request, 422))
    return after_save(request, PAGE_URL)


@router.post(RESET_URL)
def my_preferences_reset(desk: DeskDep) -> Response:
    preferences.reset_user(desk.uow(), _user(desk).user_id)
    return RedirectResponse(f"{PAGE_URL}?fait={RESET_DONE}", status_code=303)


# --------------------------------------------------------------------------- the cabinet's


@router.get(CABINET_URL, response_class=HTMLResponse)
def cabinet_preferences(desk: DeskDep, fait: str | None = None) -> HTMLResponse:
    prefs = preferences.get_all(desk.uow())
    return _page(desk, CABINET, form=_as_form(prefs), done=done_message(fait))


@router.post(CABINET_URL, response_class=HTMLResponse)
async def cabinet_preferences_save(desk: DeskDep, request: Request) -> Response:
    form = await posted_form(request)
    try:
        preferences.save(desk.uow(), _posted(form))
    except InvalidForm as error:
        return _page(desk, CABINET, form=form, errors=error.errors,
                     status_code=refused_status(request, 422))
    return after_save(request, CABINET_URL)

