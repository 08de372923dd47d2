"""The Télétransmission screen and API on the demo cabinet, logged in as the titulaire, with
an SMTP server that does not answer (the loop with the simulated caisse is
tests/integration/test_transmission_loop.py)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from security.sessions import login_for

from openfse.config import Settings
from openfse.domain.invoice import SecureMode
from openfse.services import invoicing
from openfse.services.context import AppContext
from openfse.services.demo import load_demo
from openfse.web.app import create_app

from .test_invoicing import TODAY, draft_for, fake_cps, patient_named, validate
from .test_transmission import free_port

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home: Path = tmp_path_factory.mktemp("transmission-web")
    settings = Settings.from_env({"OPENFSE_HOME": str(home),
                                  "OPENFSE_SMTP": f"127.0.0.1:{free_port()}"})
    load_demo(settings, today=TODAY)
    login = login_for(settings)
    with TestClient(create_app(settings), headers=login.headers) as test_client:
        test_client.cookies.set(login.cookie_name, login.cookie_value)
        yield test_client


def test_the_screen_sends_and_says_why_it_stopped(client: TestClient) -> None:
    ctx: AppContext = client.app.state.ctx  # type: ignore[attr-defined]
    draft = draft_for(ctx, patient_named(ctx, "BONNET", "NATHALIE"),
                      {"tiers_payant": {"amo": True}}, secure_mode=SecureMode.SESAM_SANS_VITALE)
    row = validate(ctx, draft).invoice
    invoicing.sign_invoices(ctx.uow(), [row.id], sign=fake_cps)

    page = client.get("/teletransmission")
    assert page.status_code == 200
    # Care on 2 March 2026, tiers payant: due 12 March, long past today.
    assert "À transmettre (1)" in page.text and "12/03/2026" in page.text
    assert "dépassé de" in page.text

    sent = client.post("/teletransmission/envoyer", follow_redirects=True)
    assert sent.status_code == 200
    assert "Envoi interrompu ; 1 lot(s) préparé(s) ; 0 envoyé(s) sur 1" in sent.text
    assert "injoignable" in sent.text and "Préparé" in sent.text
    assert "À transmettre (0)" in sent.text


def test_the_api_gives_lots_dashboard_and_export(client: TestClient) -> None:
    lots = client.get("/api/transmission/lots").json()
    assert lots and lots[0]["status"] == "prepared"
    board = client.get("/api/transmission/dashboard").json()
    assert board["ready"] == 0 and board["day"]["lots_sent"] == 0
    export = client.get("/teletransmission/paiements.csv",
                        params={"du": "2026-03-01", "au": "2026-03-31"})
    assert export.status_code == 200 and export.content.startswith("\ufeff".encode())
    assert "attachment" in export.headers["content-disposition"]
