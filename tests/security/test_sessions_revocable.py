"""Issue 12, findings 4 and 5: sessions end on the server, lock-outs live in the database.

* Finding 5: « Log-out does not end the session: a cookie copied before log-out still reads
  /api/patients/5. » Now the cookie only names a session of the ``web_session`` table: log-out,
  a password change and a disabled account end it at once, for every copy of the cookie.
* Finding 4: « 10,001 failed log-ins with passwords over 256 characters evict the locked login
  from the in-memory throttle table; then the right password works. » Now a password over
  :data:`~openfse.services.session_login.PASSWORD_MAX_LENGTH` is refused before any hashing
  and any write, the failures are rows of ``login_failure``: nothing evicts them and a restart
  keeps them.

On SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from uow_support import unit_of

from openfse.config import Settings
from openfse.errors import InvalidInput
from openfse.services import professionals, session_login
from openfse.services.context import AppContext
from openfse.services.session_login import (
    PASSWORD_MAX_LENGTH,
    InvalidCredentials,
    LoginMethod,
    SessionUser,
    TooManyAttempts,
)
from openfse.store.models import LoginFailure, UserRole, WebSession
from openfse.web.session import SESSION_COOKIE
from security.sessions import page_token

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "mot de passe de l'accueil"
BOSS = SessionUser(1, "cps.titulaire", "Dr Pierre LEGRAND", UserRole.TITULAIRE, LoginMethod.CPS)
NOW = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
SAME_ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture()
def app(demo_settings: Settings) -> Iterator[Any]:
    from openfse.web.app import create_app

    app = create_app(demo_settings)
    yield app
    app.state.ctx.engine.dispose()


def _staff(ctx: AppContext, login: str) -> int:
    with unit_of(ctx) as uow:
        existing = uow.users.by_login(login)
        if existing is not None:
            return existing.id
    return professionals.create_staff_user(unit_of(ctx), created_by=BOSS, login=login,
                                           display_name=login, password=PASSWORD,
                                           confirm=PASSWORD).id


def _logged_in(app: Any, login: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    answer = client.post("/connexion/identifiant", headers=SAME_ORIGIN, data={
        "login": login, "password": PASSWORD, "csrf_token": page_token(client)})
    assert answer.status_code == 303, answer.text
    assert client.get("/api/patients").status_code == 200
    return client


def _with_cookie(app: Any, cookie: str) -> TestClient:
    thief = TestClient(app, follow_redirects=False)
    thief.cookies.set(SESSION_COOKIE, cookie)
    return thief


def test_a_cookie_copied_before_log_out_opens_nothing_after_it(app: Any) -> None:
    _staff(app.state.ctx, "accueil.copie")
    desk = _logged_in(app, "accueil.copie")
    copied = desk.cookies.get(SESSION_COOKIE)
    assert copied and _with_cookie(app, copied).get("/api/patients").status_code == 200

    answer = desk.post("/deconnexion", headers=SAME_ORIGIN,
                       data={"csrf_token": page_token(desk, "/")})
    assert answer.status_code == 303

    assert _with_cookie(app, copied).get("/api/patients").status_code == 401
    assert _with_cookie(app, copied).get("/patients").headers["location"] == "/connexion"


def test_a_password_change_ends_every_session_of_the_account(app: Any) -> None:
    ctx = app.state.ctx
    user_id = _staff(ctx, "accueil.mdp")
    first, second = _logged_in(app, "accueil.mdp"), _logged_in(app, "accueil.mdp")
    with unit_of(ctx) as uow:  # however it is changed: the sessions remember the old one
        uow.users.get(user_id).password_hash = session_login.hash_password("nouveau mot de passe")
        uow.commit()
    assert first.get("/api/patients").status_code == 401
    assert second.get("/api/patients").status_code == 401


def test_disabling_the_account_ends_its_sessions_at_once(app: Any) -> None:
    ctx = app.state.ctx
    user_id = _staff(ctx, "accueil.fin")
    desk = _logged_in(app, "accueil.fin")
    professionals.deactivate_staff_user(unit_of(ctx), user_id)
    with unit_of(ctx) as uow:
        left = uow.session.scalar(select(func.count()).select_from(WebSession).where(
            WebSession.user_id == user_id))
    assert left == 0
    assert desk.get("/api/patients").status_code == 401


def test_the_session_table_holds_no_usable_token(app: Any) -> None:
    """A copy of the database opens no session: the table keeps the token's SHA-256."""
    _staff(app.state.ctx, "accueil.jeton")
    desk = _logged_in(app, "accueil.jeton")
    with unit_of(app.state.ctx) as uow:
        ids = set(uow.session.scalars(select(WebSession.id)))
    cookie = desk.cookies.get(SESSION_COOKIE) or ""
    assert not any(session_id in cookie for session_id in ids)


# --------------------------------------------------------------------------- finding 4


def _failures(ctx: AppContext) -> int:
    with unit_of(ctx) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(LoginFailure)) or 0)


def test_a_locked_login_stays_locked_through_a_flood_of_long_passwords_and_a_restart(
    demo_settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx = AppContext.open(demo_settings)
    _staff(ctx, "accueil.verrou")
    try:
        for second in range(5):
            with pytest.raises(InvalidCredentials):
                session_login.login_with_password(unit_of(ctx), "accueil.verrou",
                                                  "faux mot de passe",
                                                  client="10.1.0.1",
                                                  now=NOW + timedelta(seconds=second))
        rows = _failures(ctx)

        # The attack of the finding: 10,001 other logins, passwords over the maximum. Each is
        # refused before hashing and before any write: nothing to evict, nothing stored.
        def no_hashing(*args: object, **kwargs: object) -> bytes:
            raise AssertionError("a password over the maximum was hashed")

        monkeypatch.setattr(hashlib, "scrypt", no_hashing)
        for n in range(10_001):
            with pytest.raises(InvalidInput) as too_long:
                session_login.login_with_password(unit_of(ctx), f"x{n}", "a" * 257,
                                                  client=f"10.2.{n // 250}.{n % 250}", now=NOW)
        assert too_long.value.code == "password_too_long"
        assert f"{PASSWORD_MAX_LENGTH} caractères" in too_long.value.message
        assert _failures(ctx) == rows
        monkeypatch.undo()
    finally:
        ctx.engine.dispose()

    restarted = AppContext.open(demo_settings)  # a new process
    try:
        with pytest.raises(TooManyAttempts):
            session_login.login_with_password(unit_of(restarted), "accueil.verrou", PASSWORD,
                                              client="10.1.0.2", now=NOW + timedelta(minutes=5))
        # 15 minutes after the first failure the window has passed: the right password works.
        user = session_login.login_with_password(
            unit_of(restarted), "accueil.verrou", PASSWORD, client="10.1.0.2",
            now=NOW + timedelta(minutes=15, seconds=5))
        assert user.login == "accueil.verrou"
    finally:
        restarted.engine.dispose()


def test_the_log_in_form_refuses_a_long_password_with_a_french_message(app: Any) -> None:
    with TestClient(app, follow_redirects=False) as desk:
        answer = desk.post("/connexion/identifiant", headers=SAME_ORIGIN, data={
            "login": "accueil", "password": "a" * (PASSWORD_MAX_LENGTH + 1),
            "csrf_token": page_token(desk)})
    assert answer.status_code == 422
    assert "ne peut pas dépasser 256 caractères" in answer.text
