"""The cabinet's clock reaches every route through the desk (issue 11): the time zone is a cabinet
setting (« Paramètres du cabinet »), journaled under the user who changed it, and « today » on the
screens is the cabinet's day."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import Request
from sqlalchemy import select
from starlette.testclient import TestClient

from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.services.context import AppContext
from openfse.store.journal import JournalEntry
from openfse.store.models import UserRole
from openfse.web.deps import app_context, get_clock

PAGE = "/parametres/cabinet"
# 20:30 UTC on 10 June: 22:30 in Paris, already 00:30 on 11 June in La Réunion.
MOMENT = datetime(2026, 6, 10, 20, 30, tzinfo=UTC)


@pytest.fixture()
def frozen_clock(app: Any) -> Iterator[None]:
    """The server's instant fixed; the zone still read from the cabinet's setting."""
    def clock(request: Request) -> Clock:
        return Clock(app_context(request).clock().zone_name, source=lambda: MOMENT)

    app.dependency_overrides[get_clock] = clock
    yield
    app.dependency_overrides.pop(get_clock, None)


def _journal_of_cabinet(settings: Settings) -> list[JournalEntry]:
    ctx = AppContext.open(settings)
    try:
        with ctx.unit_of_work(actor="test", actor_user_id=None) as uow:
            return list(uow.session.scalars(
                select(JournalEntry).where(JournalEntry.entity == "cabinet")
                .order_by(JournalEntry.id)))
    finally:
        ctx.engine.dispose()


def test_the_titulaire_sets_la_reunion_and_the_screens_show_the_cabinets_day(
        client_for: Callable[[UserRole], TestClient], settings: Settings,
        frozen_clock: None) -> None:
    titulaire = client_for(UserRole.TITULAIRE)
    page = titulaire.get(PAGE)
    assert page.status_code == 200
    assert "10/06/2026" in page.text  # Paris: still 10 June at 22:30

    saved = titulaire.post(PAGE, data={"time_zone": "Indian/Reunion"})
    assert saved.status_code == 303
    page = titulaire.get(PAGE)
    assert "11/06/2026" in page.text and 'value="Indian/Reunion" selected' in page.text

    last = _journal_of_cabinet(settings)[-1]
    me = titulaire.get("/api/session").json()
    assert last.actor != "web" and last.actor_user_id is not None
    assert last.changes["time_zone"] == {"before": "Europe/Paris", "after": "Indian/Reunion"}
    assert str(last.actor_user_id) in str(me) or last.actor in str(me)

    titulaire.post(PAGE, data={"time_zone": "Europe/Paris"})


def test_an_unknown_zone_is_refused_in_french_and_changes_nothing(
        client_for: Callable[[UserRole], TestClient], settings: Settings) -> None:
    before = len(_journal_of_cabinet(settings))
    answer = client_for(UserRole.TITULAIRE).post(PAGE, data={"time_zone": "Mars/Olympus"})
    assert answer.status_code == 422
    assert "Choisissez le fuseau horaire du cabinet" in answer.text
    assert len(_journal_of_cabinet(settings)) == before


@pytest.mark.parametrize("role", [UserRole.SECRETAIRE, UserRole.REMPLACANT])
def test_only_the_titulaire_and_the_admin_change_the_cabinets_clock(
        client_for: Callable[[UserRole], TestClient], role: UserRole) -> None:
    assert client_for(role).post(PAGE, data={"time_zone": "Indian/Reunion"}).status_code == 403
