"""The menus show only what the role may open: a secretary is not offered screens that would
refuse her (Paramètres SV, Professionnels, Journal), a titulaire sees every menu."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy import delete, select
from starlette.testclient import TestClient

from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.services.context import AppContext
from openfse.store.models import Professional, ProfessionalKind, ReplacementDay
from openfse.store.models import UserRole as Role

MENU_LINK = re.compile(r'<a href="(/[a-z]+)"[^>]*data-shortcut=')
TILE_LINK = re.compile(r'<a class="tile" href="(/[a-z]+)"')


def _offered(client: TestClient) -> tuple[set[str], set[str]]:
    page = client.get("/")
    assert page.status_code == 200
    return set(MENU_LINK.findall(page.text)), set(TILE_LINK.findall(page.text))


@pytest.mark.parametrize("role, hidden", [
    (Role.SECRETAIRE, {"/parametres"}),
    (Role.ADMIN, {"/patients", "/facture", "/factures"}),
])
def test_a_role_is_not_offered_the_screens_it_may_not_open(
    client_for: Callable[[Role], TestClient], role: Role, hidden: set[str],
) -> None:
    client = client_for(role)
    menus, tiles = _offered(client)
    assert menus == tiles and menus, "the side menu and the home tiles agree"
    assert not menus & hidden
    for path in menus:  # what is offered opens
        assert client.get(path, follow_redirects=True).status_code == 200, path


def test_the_titulaire_is_offered_every_menu(
    client_for: Callable[[Role], TestClient],
) -> None:
    from openfse.web.ui.menus import MENUS

    menus, _ = _offered(client_for(Role.TITULAIRE))
    assert menus == {m.path for m in MENUS}


def test_a_secretary_sets_her_own_preferences_not_the_cabinets(
    client_for: Callable[[Role], TestClient],
) -> None:
    secretary = client_for(Role.SECRETAIRE)
    me = secretary.get("/api/session").json()["user"]["user_id"]
    cabinet_before = secretary.get("/api/preferences").json()

    refused = secretary.put("/api/preferences", json={"adri_mode": "manuel"})
    assert refused.status_code == 403, refused.text
    other = client_for(Role.TITULAIRE).get("/api/session").json()["user"]["user_id"]
    assert secretary.put("/api/preferences", params={"user_id": other},
                         json={"adri_mode": "manuel"}).status_code == 403
    assert secretary.get("/api/preferences").json() == cabinet_before

    own = secretary.put("/api/preferences", params={"user_id": me},
                        json={"default_payment_type": "cheque"})
    assert own.status_code == 200, own.text
    assert own.json()["default_payment_type"] == "cheque"
    assert secretary.get("/api/preferences").json() == cabinet_before


def _remplacant_on_duty_today(settings: Settings, on_duty: bool) -> None:
    """Put the demo remplaçant on (or off) his calendar for the app's today."""
    ctx = AppContext.open(settings)
    try:
        with ctx.sessions() as session, session.begin():
            session.execute(delete(ReplacementDay).where(ReplacementDay.day == Clock().today()))
            if on_duty:
                titulaire, remplacant = (
                    session.scalars(select(Professional.id)
                                    .where(Professional.kind == kind)).first()
                    for kind in (ProfessionalKind.TITULAIRE, ProfessionalKind.REMPLACANT))
                session.add(ReplacementDay(cabinet_id=ctx.cabinet_id, remplacant_id=remplacant,
                                           titulaire_id=titulaire, day=Clock().today()))
    finally:
        ctx.engine.dispose()


def test_the_remplacant_is_offered_his_days_screens_on_his_calendar_day(
    client_for: Callable[[Role], TestClient], settings: Settings,
) -> None:
    # README / issue 5: a remplaçant cares and bills on the days of his calendar only. On such
    # a day the menus offer what the pages let him do (the cabinet week's scenario saw only
    # « Profils » and « Professionnels de santé »: the menus ignored his day).
    client = client_for(Role.REMPLACANT)
    _remplacant_on_duty_today(settings, on_duty=False)
    off_menus, off_tiles = _offered(client)
    assert not off_menus & {"/patients", "/facture", "/factures"}

    _remplacant_on_duty_today(settings, on_duty=True)
    menus, tiles = _offered(client)
    assert menus == tiles
    assert {"/patients", "/facture", "/factures"} <= menus
    assert off_menus < menus
    for path in menus:  # what is offered opens
        assert client.get(path, follow_redirects=True).status_code == 200, path
