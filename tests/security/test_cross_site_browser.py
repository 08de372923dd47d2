"""Issue 12, finding 1, replayed in a real browser (Debian's Chromium driven by Playwright).

The desk has openfse's start screen open, the doctor's CPS in the reader. Then a page of
ANOTHER origin — a second web server on 127.0.0.1, another port: « same-site » for the
browser, so the session cookie (``SameSite=Lax``) goes along — auto-submits forms to
``/connexion/cps`` (a wrong code porteur), ``/connexion/debloquer`` (a wrong code de
déblocage) and ``/connexion/identifiant`` (a wrong password). Before issue 12 three such pages
blocked the card. Each must now end on openfse's refusal, and neither the card's counters nor
the log-in limits may have moved.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # the browser tests' Chromium settings
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from uow_support import unit_of

from openfse.adapters.cards.errors import PukIncorrect
from openfse.config import Settings
from openfse.store.models import LoginFailure

pytestmark = pytest.mark.e2e

ATTACKS = {
    "cps": ("/connexion/cps", {"pin": "0000"}),
    "debloquer": ("/connexion/debloquer",
                  {"unblock_code": "00000000", "new_pin": "1111", "confirm": "1111"}),
    "identifiant": ("/connexion/identifiant", {"login": "test-secretaire", "password": "x" * 12}),
}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:  # type: ignore[type-arg]
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make test installs it as root)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """openfse on a demo database (``openfse init --demo-if-empty``), served on 127.0.0.1."""
    from typer.testing import CliRunner
    from web_server import serving

    from openfse.cli import app as cli
    from openfse.web.app import create_app

    home: Path = tmp_path_factory.mktemp("openfse-cross-site")
    result = CliRunner().invoke(cli, ["init", "--demo-if-empty"],
                                env={"OPENFSE_HOME": str(home), "OPENFSE_DATABASE_URL": ""})
    assert result.exit_code == 0, result.output
    app = create_app(Settings.from_env({"OPENFSE_HOME": str(home), "OPENFSE_DATABASE_URL": ""}))
    with serving(app) as url:
        yield app, url
    app.state.ctx.engine.dispose()


def _attack_page(target: str, fields: dict[str, str]) -> bytes:
    inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())
    return (f'<!doctype html><html><body><h1>Offre spéciale</h1>'
            f'<form method="post" action="{target}">{inputs}</form>'
            f'<script>document.forms[0].submit()</script></body></html>').encode()


@pytest.fixture(scope="module")
def attacker(desk: tuple[Any, str]) -> Iterator[str]:
    """Another origin: a plain web server on another port of 127.0.0.1, one page per attack."""
    _, desk_url = desk

    class Pages(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            name = self.path.strip("/").removesuffix(".html")
            if name not in ATTACKS:
                self.send_error(404)
                return
            path, fields = ATTACKS[name]
            body = _attack_page(desk_url + path, fields)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _put_in(app: Any, card: str) -> None:
    reader = app.state.ctx.card_reader
    reader.remove()
    reader.reset_card(card)
    reader.insert(card)


def _run_attack(page: Page, desk_url: str, attacker_url: str, name: str) -> None:
    page.goto(f"{desk_url}/connexion")  # the start screen is open at the desk: its cookie
    expect(page.get_by_role("heading", name="Commencer la journée")).to_be_visible()
    page.goto(f"{attacker_url}/{name}.html")  # another tab, another site…
    path = ATTACKS[name][0]
    expect(page).to_have_url(re.compile(re.escape(desk_url + path) + "$"))
    expect(page.get_by_role("heading", name="Accès refusé")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Formulaire expiré")


def test_a_page_of_another_origin_cannot_spend_a_code_porteur(
    page: Page, desk: tuple[Any, str], attacker: str,
) -> None:
    app, desk_url = desk
    _put_in(app, "cps_titulaire")
    for _ in range(3):  # three tries blocked the card before issue 12
        _run_attack(page, desk_url, attacker, "cps")
    assert app.state.ctx.card_reader.pin_tries_left() == 3


def test_a_page_of_another_origin_cannot_spend_a_code_de_deblocage(
    page: Page, desk: tuple[Any, str], attacker: str,
) -> None:
    app, desk_url = desk
    _put_in(app, "cps_bloquee")
    _run_attack(page, desk_url, attacker, "debloquer")
    # The card's own counter: the first wrong code it ever sees leaves 9 of its 10 tries.
    with pytest.raises(PukIncorrect) as first_wrong:
        app.state.ctx.card_reader.unblock("00000000", "1111", "1111")
    assert first_wrong.value.remaining == 9


def test_a_page_of_another_origin_cannot_lock_a_staff_login(
    page: Page, desk: tuple[Any, str], attacker: str,
) -> None:
    app, desk_url = desk
    for _ in range(5):  # five failures locked the secrétariat out before
        _run_attack(page, desk_url, attacker, "identifiant")
    with unit_of(app.state.ctx) as uow:
        assert uow.session.scalar(select(func.count()).select_from(LoginFailure)) == 0
