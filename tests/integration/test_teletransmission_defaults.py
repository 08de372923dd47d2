"""Télétransmission works with the defaults (issue 13 defect 6).

Started as ``make run`` starts it — ``openfse init --demo-if-empty`` then ``openfse serve`` on a
fresh ``OPENFSE_HOME``, no setting touched but the loopback ports (free ones, so parallel runs
do not collide; ``make run`` uses the defaults 127.0.0.1:2525 / 1110 the same way) — the
demo's simulated caisse runs, « Envoyer » then « Relever les retours » bring the ARL and the
payments; a just-sent lot is not « sans ARL » and a just-sent invoice not « impayée ».
A real installation (not the demo) without servers says which one is not configured.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import httpx
import pytest
from security.sessions import LoginCookie, login_for
from test_transmission_loop import signed_invoices
from uow_support import unit_of

from openfse.config import Settings
from openfse.domain.invoice import InvoiceStatus
from openfse.services.context import AppContext
from openfse.store.models import LotStatus

CLI = "from openfse.cli import main; main()"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENFSE_")}
    return {**env, "OPENFSE_HOME": str(home), **extra}


@dataclass
class Served:
    url: str
    settings: Settings
    process: subprocess.Popen[bytes]


@pytest.fixture()
def served_demo(tmp_path: Path) -> Iterator[Served]:
    home = tmp_path / "home"
    env = environment(home, OPENFSE_SMTP=f"127.0.0.1:{free_port()}",
                      OPENFSE_POP3=f"127.0.0.1:{free_port()}")
    subprocess.run([sys.executable, "-c", CLI, "init", "--demo-if-empty"], env=env, check=True,
                   capture_output=True, timeout=300)
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", CLI, "serve", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        yield Served(url, Settings.from_env({"OPENFSE_HOME": str(home)}), process)
    finally:
        process.terminate()
        process.wait(30)


def post(served: Served, login: LoginCookie, path: str) -> str:
    response = httpx.post(f"{served.url}{path}", headers=login.headers, timeout=120,
                          cookies={login.cookie_name: login.cookie_value}, follow_redirects=True)
    assert response.status_code == 200, response.text[:500]
    return unescape(response.text)


def test_send_then_fetch_work_from_make_run_with_no_setting_touched(served_demo: Served) -> None:
    ctx = AppContext.open(served_demo.settings)
    try:
        ids = signed_invoices(ctx, 3)
        login = login_for(served_demo.settings)

        sent = post(served_demo, login, "/teletransmission/envoyer")
        assert "Envoi interrompu" not in sent, sent[sent.find("dir-flash"):][:400]
        with unit_of(ctx) as uow:
            lots = list(uow.lots.recent())
        assert lots and {lot.status for lot in lots} == {LotStatus.SENT}
        # Just sent: waiting for the ARL and the money, not « sans ARL » nor « impayée ».
        assert "Envoyé, ARL attendu" in sent and "sans ARL après" not in sent
        assert "En attente de paiement (3, dont 0 impayée(s)" in sent
        assert "impayée, en retard" not in sent

        deadline = time.monotonic() + 60
        while True:
            fetched = post(served_demo, login, "/teletransmission/relever")
            assert "Relève impossible" not in fetched, fetched[fetched.find("dir-flash"):][:400]
            with unit_of(ctx) as uow:
                statuses = {uow.lots.by_lot_id(lot.lot_id).status for lot in lots}  # type: ignore[union-attr]
                answered = {line.invoice_id for line in uow.return_lines.list(limit=100)}
            if statuses == {LotStatus.ACKNOWLEDGED} and answered >= set(ids):
                break
            assert time.monotonic() < deadline, (statuses, answered)
            time.sleep(0.5)
        with unit_of(ctx) as uow:
            invoices = uow.invoices.many(ids)
            paid = sum((payment.amount for row in invoices for payment in row.payments), 0)
        # Every invoice answered (paid, partly paid or rejected by the caisse); money came in.
        assert {row.status for row in invoices} <= {InvoiceStatus.PAID, InvoiceStatus.REJECTED}
        assert paid > 0
    finally:
        ctx.engine.dispose()


def test_a_real_installation_says_which_server_is_not_configured(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient

    from openfse.web.app import create_app

    settings = Settings.from_env({"OPENFSE_HOME": str(tmp_path / "home")})
    AppContext.open(settings).engine.dispose()  # a new, empty installation (not the demo)
    login = login_for(settings)
    with TestClient(create_app(settings), headers=login.headers) as client:
        client.cookies.set(login.cookie_name, login.cookie_value)
        page = unescape(client.get("/teletransmission").text)
        assert "Serveur d'envoi des lots (SMTP) non configuré" in page
        assert "OPENFSE_SMTP" in page and "OPENFSE_POP3" in page
        fetched = unescape(client.post("/teletransmission/relever").text)
        assert "Relève impossible : Boîte de réception des retours (POP3) non configurée" in (
            fetched)
