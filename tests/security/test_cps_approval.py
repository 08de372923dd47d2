"""Issue 12, finding 3: « Any CPS unknown to the cabinet registers itself as titulaire with full
access, no approval. » Now it registers « en attente »: nothing opens until a titulaire of the
cabinet, logged in with his CPS, approves it in « Professionnels de santé » (journaled). The very
first CPS of a new installation is exempt: nobody could approve it. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from uow_support import unit_of

from openfse.config import Settings
from openfse.services import professionals, session_login
from openfse.services.context import AppContext
from openfse.store.journal import JournalEntry
from openfse.store.models import PendingAccess, UserRole
from security.sessions import logged_in, page_token

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

SAME_ORIGIN = {"Origin": "http://testserver"}
NEW_CARD, NEW_PIN = "cps_infirmier", "2468"  # a titulaire's card the demo cabinet does not know


@pytest.fixture()
def app(demo_settings: Settings) -> Iterator[Any]:
    from openfse.web.app import create_app

    app = create_app(demo_settings)
    reader = app.state.ctx.card_reader
    reader.remove()
    reader.reset_card(NEW_CARD)
    reader.insert(NEW_CARD)
    yield app
    app.state.ctx.engine.dispose()


def _post(client: TestClient, path: str, **data: str) -> Any:
    return client.post(path, headers=SAME_ORIGIN,
                       data={**data, "csrf_token": page_token(client)})


def _register_new_card(app: Any) -> TestClient:
    desk = TestClient(app, follow_redirects=False)
    assert _post(desk, "/connexion/cps", pin=NEW_PIN).headers["location"] == \
        "/connexion/enregistrement"
    done = _post(desk, "/connexion/enregistrement", intent="valider", situation="1", sector="1")
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/connexion"
    return desk


def test_an_unknown_cps_waits_for_a_titulaires_approval(app: Any, demo_settings: Settings) -> None:
    desk = _register_new_card(app)
    page = desk.get("/connexion").text
    assert "Votre accès est en attente" in page
    assert desk.get("/api/session").json() == {"user": None}  # not logged in
    again = _post(desk, "/connexion/cps", pin=NEW_PIN)  # the card again: still waiting
    assert again.status_code == 422 and "en attente" in again.text
    assert desk.get("/api/patients").status_code == 401

    with unit_of(app.state.ctx) as uow:
        pending_user = uow.session.scalars(select(PendingAccess.user_id)).one()
    with TestClient(app, follow_redirects=False) as admin:
        logged_in(admin, demo_settings, UserRole.ADMIN)  # the settings, but no titulaire
        admin.post(f"/professionnels/acces/{pending_user}/approuver")
        assert "Seul un titulaire du cabinet" in admin.get("/professionnels").text
    with unit_of(app.state.ctx) as uow:
        assert session_login.is_pending(uow, pending_user)

    with TestClient(app, follow_redirects=False) as titulaire:
        logged_in(titulaire, demo_settings, UserRole.TITULAIRE)
        listing = titulaire.get("/professionnels").text
        assert "Accès en attente d&#39;approbation" in listing or \
            "Accès en attente d'approbation" in listing
        approved = titulaire.post(f"/professionnels/acces/{pending_user}/approuver")
        assert approved.status_code == 303
        assert "approuvé" in titulaire.get("/professionnels").text

    with unit_of(app.state.ctx) as uow:
        entry = uow.session.scalars(select(JournalEntry).where(
            JournalEntry.entity == "pending_access", JournalEntry.action == "delete")).one()
        assert "approuvé par" in entry.summary
    now_in = _post(desk, "/connexion/cps", pin=NEW_PIN)
    assert now_in.status_code == 303 and now_in.headers["location"] == "/"
    assert desk.get("/api/patients").status_code == 200


def test_the_first_cps_of_a_new_installation_needs_no_approval(tmp_path: Path) -> None:
    ctx = AppContext.open(Settings.from_env({"OPENFSE_HOME": str(tmp_path),
                                             "OPENFSE_DATABASE_URL": ""}))
    try:
        ctx.card_reader.insert("cps_titulaire")  # type: ignore[attr-defined]
        card = session_login.verify_cps(ctx.card_reader, "1234", today=date(2026, 3, 2))
        review = professionals.review_card(card)
        _, first = professionals.register_titulaire(
            unit_of(ctx), review, professionals.parse_convention(review, "1", False))
        with unit_of(ctx) as uow:
            assert not session_login.is_pending(uow, first.id)
    finally:
        ctx.engine.dispose()
