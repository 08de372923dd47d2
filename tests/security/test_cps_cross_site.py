"""Issue 12, finding 1: nothing outside this app's own pages can present a code to the CPS.

« Anyone can block the doctor's CPS without logging in: POST /connexion/cps and
/connexion/debloquer take no session, no CSRF token, no same-origin check and no rate limit. »
Now: the code porteur and the code de déblocage come only from a page of this app (its session's
token, same origin), and tries are limited per card and per client in the database, so that a
restart forgets nothing. On SQLite and PostgreSQL. The same attack from a real browser page of
another origin: ``test_cross_site_browser.py``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from uow_support import unit_of

from openfse.adapters.cards.errors import PukIncorrect
from openfse.config import Settings
from openfse.services import session_login, throttle
from openfse.services.context import AppContext
from openfse.services.throttle import TooManyAttempts
from security.sessions import page_token

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

WRONG_PIN = {"pin": "0000"}
WRONG_UNBLOCK = {"unblock_code": "00000000", "new_pin": "1111", "confirm": "1111"}
NOW = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


@pytest.fixture()
def app(demo_settings: Settings) -> Iterator[Any]:
    from openfse.web.app import create_app

    app = create_app(demo_settings)
    yield app
    app.state.ctx.engine.dispose()


def _tries_left(app: Any) -> int:
    return int(app.state.ctx.card_reader.pin_tries_left())


def _insert(app: Any, card: str) -> None:
    reader = app.state.ctx.card_reader
    reader.remove()
    reader.reset_card(card)
    reader.insert(card)


def test_a_post_without_this_apps_page_never_reaches_the_card(app: Any) -> None:
    _insert(app, "cps_titulaire")
    with TestClient(app, follow_redirects=False) as attacker:  # no page of the app opened
        for _ in range(3):
            refused = attacker.post("/connexion/cps", data=WRONG_PIN)
            assert refused.status_code == 403, refused.text
            assert "Formulaire expiré" in refused.text
        assert attacker.post("/api/session", json={"method": "cps", "pin": "0000"}
                             ).status_code == 403  # the API's custom header is missing
    assert _tries_left(app) == 3


@pytest.mark.parametrize("headers", [
    {"Origin": "http://127.0.0.1:9999"},  # another port of the same host: « same-site »
    {"Origin": "null"},  # a sandboxed frame or a data: page
    {"Referer": "http://evil.example/page.html"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site", "Origin": "http://testserver"},
], ids=["origin-port", "origin-null", "referer", "fetch-cross-site", "fetch-same-site"])
def test_a_post_from_another_origin_is_refused_even_with_a_valid_token(
    app: Any, headers: dict[str, str],
) -> None:
    _insert(app, "cps_titulaire")
    with TestClient(app, follow_redirects=False) as browser:
        token = page_token(browser)  # the desk has the log-in screen open in another tab
        assert browser.post("/connexion/cps", data={**WRONG_PIN, "csrf_token": token},
                            headers=headers).status_code == 403
        assert browser.post("/connexion/identifiant", headers=headers, data={
            "login": "secretariat", "password": "x" * 12, "csrf_token": token}).status_code == 403
    assert _tries_left(app) == 3


def test_the_unblock_form_needs_the_page_too(app: Any) -> None:
    _insert(app, "cps_bloquee")  # blocked: 3 wrong codes already
    with TestClient(app, follow_redirects=False) as attacker:
        for _ in range(3):
            assert attacker.post("/connexion/debloquer", data=WRONG_UNBLOCK).status_code == 403
    with TestClient(app, follow_redirects=False) as desk:
        token = page_token(desk)
        # From the page itself the code reaches the card: 10 tries in its life, one spent now.
        answer = desk.post("/connexion/debloquer", data={**WRONG_UNBLOCK, "csrf_token": token},
                           headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
        assert answer.status_code == 422
        assert "il reste 9 essais" in answer.text


def test_a_code_typed_on_the_page_is_checked_by_the_card(app: Any) -> None:
    _insert(app, "cps_titulaire")
    with TestClient(app, follow_redirects=False) as desk:
        token = page_token(desk)
        answer = desk.post("/connexion/cps", data={**WRONG_PIN, "csrf_token": token},
                           headers={"Origin": "http://testserver"})
        assert answer.status_code == 422 and "il reste 2 essais" in answer.text
    assert _tries_left(app) == 2


def test_wrong_unblock_codes_are_limited_per_card_and_a_restart_forgets_nothing(
    demo_settings: Settings,
) -> None:
    """At most 3 wrong codes de déblocage an hour per card (the card allows 10 in its life):
    the 4th is refused before it reaches the card, also after a restart."""
    ctx = AppContext.open(demo_settings)
    reader: Any = ctx.card_reader
    reader.remove()
    reader.reset_card("cps_bloquee")
    reader.insert("cps_bloquee")
    desk = {"client": "10.0.0.7"}
    try:
        for minute, left in ((0, 9), (1, 8), (2, 7)):
            with pytest.raises(PukIncorrect) as wrong:
                session_login.unblock_card(unit_of(ctx), reader, "00000000", "1111", "1111",
                                           now=NOW + timedelta(minutes=minute), **desk)
            assert wrong.value.remaining == left
        with pytest.raises(TooManyAttempts) as locked:
            session_login.unblock_card(unit_of(ctx), reader, "00000000", "1111", "1111",
                                       now=NOW + timedelta(minutes=3), **desk)
        assert locked.value.limit is throttle.CARD_UNBLOCK
    finally:
        ctx.engine.dispose()

    restarted = AppContext.open(demo_settings)  # a new process: the count is in the database
    restarted.card_reader.insert("cps_bloquee")  # type: ignore[attr-defined]
    try:
        with pytest.raises(TooManyAttempts):
            session_login.unblock_card(unit_of(restarted), restarted.card_reader, "00000000",
                                       "1111", "1111", now=NOW + timedelta(minutes=30),
                                       client="10.0.0.8")  # another workstation, same card
        # An hour after the first try the card is reachable again: the refused tries never
        # reached it (7 left, not 5).
        with pytest.raises(PukIncorrect) as again:
            session_login.unblock_card(unit_of(restarted), restarted.card_reader, "00000000",
                                       "1111", "1111", now=NOW + timedelta(minutes=61), **desk)
        assert again.value.remaining == 6
    finally:
        restarted.engine.dispose()


def test_wrong_codes_porteur_are_limited_per_client_whatever_the_card(
    demo_settings: Settings,
) -> None:
    """At most 20 failed tries in 15 minutes per client address, passwords and codes porteur
    together: a workstation flooding tries is stopped before the card."""
    ctx = AppContext.open(demo_settings)
    reader: Any = ctx.card_reader
    client = "10.0.0.9"
    try:
        for n in range(throttle.CLIENT.max_failures):  # one login each: not the login's limit
            with pytest.raises(session_login.InvalidCredentials):
                session_login.login_with_password(unit_of(ctx), f"personne{n}", "mauvais-mot-de-pa",
                                                  client=client, now=NOW)
        reader.remove()
        reader.reset_card("cps_titulaire")
        reader.insert("cps_titulaire")
        with pytest.raises(TooManyAttempts) as locked:
            session_login.login_with_cps(unit_of(ctx), reader, "0000", today=NOW.date(),
                                         client=client, now=NOW)
        assert locked.value.limit is throttle.CLIENT
        assert reader.pin_tries_left() == 3  # the code never reached the card
    finally:
        ctx.engine.dispose()
