"""Issue 12, findings 12, 13 and 14: the roles as the README states them, the télétransmission
settings, the log-in form's token and the simulated reader outside demo mode.

* 12 — « A remplaçant outside his calendar days reads, edits and deletes patient files; README
  says otherwise. » The README's rule is enforced, and the README's table is the policy's own
  (:func:`openfse.services.access.role_table`): a test holds them together.
* 13 — « A remplaçant can redirect the télétransmission mailbox to any address. »
* 14 — « The staff log-in form has no CSRF token; anyone can insert or pull cards in the
  simulated reader panel outside demo mode. »
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select
from uow_support import unit_of

from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.services import access, preferences
from openfse.services.context import AppContext
from openfse.store.models import Patient, Professional, ProfessionalKind, ReplacementDay, UserRole
from security.sessions import page_token

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

README = Path(__file__).resolve().parents[2] / "README.md"


def _on_duty(settings: Settings, on: bool) -> None:
    """Put the demo remplaçant on (or off) his calendar for the cabinet's today."""
    ctx = AppContext.open(settings)
    today = Clock().today()
    try:
        with ctx.sessions() as session, session.begin():
            titulaire, remplacant = (
                session.scalars(select(Professional.id).where(Professional.kind == kind)).first()
                for kind in (ProfessionalKind.TITULAIRE, ProfessionalKind.REMPLACANT))
            session.execute(delete(ReplacementDay).where(ReplacementDay.day == today))
            if on:
                session.add(ReplacementDay(cabinet_id=ctx.cabinet_id, remplacant_id=remplacant,
                                           titulaire_id=titulaire, day=today))
    finally:
        ctx.engine.dispose()


@pytest.fixture()
def patient_id(settings: Settings) -> int:
    ctx = AppContext.open(settings)
    try:
        with unit_of(ctx) as uow:
            return int(uow.session.scalars(select(Patient.id).order_by(Patient.id)).first() or 0)
    finally:
        ctx.engine.dispose()


# --------------------------------------------------------------------------- 12


def test_off_his_calendar_the_remplacant_reaches_no_patient_file(
    client_for: Callable[[UserRole], TestClient], settings: Settings, patient_id: int,
) -> None:
    remplacant = client_for(UserRole.REMPLACANT)
    _on_duty(settings, False)
    for method, path, body in (("GET", f"/api/patients/{patient_id}", None),
                               ("GET", f"/patients/{patient_id}", None),
                               ("PATCH", f"/api/patients/{patient_id}", {"phone": "0600000000"}),
                               ("DELETE", f"/api/patients/{patient_id}", None)):
        answer = remplacant.request(method, path, json=body)
        assert answer.status_code == 403, (method, path, answer.text)
    assert "jours de remplacement" in remplacant.get(f"/patients/{patient_id}").text
    _on_duty(settings, True)
    assert remplacant.get(f"/api/patients/{patient_id}").status_code == 200
    _on_duty(settings, False)


def test_the_readme_states_the_role_policy_as_it_is() -> None:
    text = README.read_text(encoding="utf-8")
    assert access.role_table() in text, (
        "README « Sécurité / déploiement » must hold the table of access.role_table():\n"
        + access.role_table())
    remplacant_row = next(line for line in access.role_table().splitlines()
                          if line.startswith("| remplaçant"))
    assert "patient files" in access.role_table() and "calendar days" in remplacant_row


# --------------------------------------------------------------------------- 13


def test_the_remplacant_cannot_redirect_the_teletransmission_mailbox(
    client_for: Callable[[UserRole], TestClient], settings: Settings,
) -> None:
    _on_duty(settings, True)  # even on his day: settings are the titulaire's and the admin's
    remplacant = client_for(UserRole.REMPLACANT)
    answer = remplacant.post("/teletransmission/reglages", data={
        "csrf_token": str(remplacant.headers["X-CSRF-Token"]),
        "insurer_mailbox": "collecte@pirate.example", "arl_wait_days": "5",
        "payment_wait_days": "30"})
    assert answer.status_code == 403
    ctx = AppContext.open(settings)
    try:
        assert preferences.get_all(unit_of(ctx)).insurer_mailbox != "collecte@pirate.example"
    finally:
        ctx.engine.dispose()
    assert access.permission_for("POST", "/teletransmission/reglages") is \
        access.Permission.SETTINGS
    _on_duty(settings, False)


# --------------------------------------------------------------------------- 14


def test_the_staff_log_in_form_carries_its_token_and_needs_it(anonymous: TestClient) -> None:
    page = anonymous.get("/connexion").text
    form = page.split('action="/connexion/identifiant"', 1)[1].split("</form>", 1)[0]
    token = page_token(anonymous)
    assert f'name="csrf_token" value="{token}"' in form  # works without the page's script
    refused = anonymous.post("/connexion/identifiant",
                             data={"login": "test-secretaire", "password": "mot-de-passe-de-test"})
    assert refused.status_code == 403


@pytest.fixture()
def real_cabinet(tmp_path: Path) -> Iterator[Any]:
    """An installation without the demonstration (``openfse init`` only), simulated cards."""
    from openfse.web.app import create_app

    app = create_app(Settings.from_env({"OPENFSE_HOME": str(tmp_path),
                                        "OPENFSE_DATABASE_URL": ""}))
    yield app
    app.state.ctx.engine.dispose()


def test_the_simulated_reader_panel_exists_only_in_demo_mode(
    real_cabinet: Any, anonymous: TestClient,
) -> None:
    assert "Lecteur simulé (démonstration)" in anonymous.get("/connexion").text  # demo cabinet
    with TestClient(real_cabinet, follow_redirects=False) as desk:
        assert "Lecteur simulé" not in desk.get("/connexion").text
        answer = desk.post("/connexion/lecteur", data={"action": "inserer",
                                                       "card": "cps_titulaire"})
        assert answer.status_code == 404
    assert real_cabinet.state.ctx.card_reader.inserted() == {
        slot: None for slot in real_cabinet.state.ctx.card_reader.inserted()}
