"""Test log-in: a logged-in session cookie for a user of each role, without a browser round trip.

The cookie is made exactly as Starlette's ``SessionMiddleware`` makes it (JSON, base64, signed
with the installation's ``secret_key`` by itsdangerous' ``TimestampSigner``), for an account
created here in the test database (professionals: the CPS account the first card log-in would
create; secrétaire and admin: password accounts). The server-side session the cookie names is
written in the test database too (``web_session``, as a log-in writes it), under a token derived
from the secret, the account and the CSRF token: every server of a test run that shares the
secret and the account gets the same session (:func:`user_of_role` writes it). Nothing in the
product is opened for tests: whoever holds the data directory and its database can already
open sessions.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from base64 import b64encode
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from itsdangerous import TimestampSigner
from uow_support import unit_of

from openfse.config import Settings
from openfse.services.context import AppContext
from openfse.services.session_login import (
    LoginMethod,
    SessionUser,
    ensure_user_for,
    hash_password,
    session_user_of,
)
from openfse.services.web_sessions import SESSION_LIFETIME
from openfse.store.journal import JournalAction
from openfse.store.models import AppUser, ProfessionalKind, UserRole, WebSession
from openfse.web.session import SESSION_COOKIE, secret_key

if TYPE_CHECKING:
    from httpx import Client

_Client = TypeVar("_Client", bound="Client")

TEST_PASSWORD = "mot-de-passe-de-test"
CSRF = "csrf-token-of-the-test-session-0123456789abcdef"


@dataclass(frozen=True, slots=True)
class LoginCookie:
    user: SessionUser
    cookie_name: str
    cookie_value: str
    csrf: str

    @property
    def headers(self) -> dict[str, str]:
        """Headers a client sends with every request: the CSRF token (UI and API)."""
        return {"X-CSRF-Token": self.csrf, "X-Requested-With": "openfse-tests"}


def _professional_user(ctx: AppContext, kind: ProfessionalKind) -> SessionUser | None:
    """The CPS account of the cabinet's first professional of ``kind`` (None if none)."""
    with unit_of(ctx, actor="tests") as uow:
        professionals = uow.professionals.active(kind)
        if not professionals:
            return None
        user = ensure_user_for(uow, professionals[0])
        uow.commit()
        return session_user_of(user, LoginMethod.CPS)


def _staff_user(ctx: AppContext, role: UserRole) -> SessionUser:
    login = f"test-{role.value}"
    with unit_of(ctx, actor="tests") as uow:
        user = uow.users.by_login(login)
        if user is None:
            user = AppUser(login=login, display_name=f"Test {role.value}", role=role,
                           password_hash=hash_password(TEST_PASSWORD))
            uow.journal_change(user, JournalAction.CREATE, summary="compte de test")
            uow.commit()
        return session_user_of(user, LoginMethod.PASSWORD)


def user_of_role(settings: Settings, role: UserRole) -> SessionUser:
    """A user of ``role`` in the demo cabinet of ``settings`` (made at the first call)."""
    ctx = AppContext.open(settings)
    try:
        kind = {UserRole.TITULAIRE: ProfessionalKind.TITULAIRE,
                UserRole.REMPLACANT: ProfessionalKind.REMPLACANT}.get(role)
        card_user = _professional_user(ctx, kind) if kind is not None else None
        # A cabinet without professionals (a bare test home): a password account of the role.
        user = card_user or _staff_user(ctx, role)
        _open_session(ctx, user, CSRF)
        return user
    finally:
        ctx.engine.dispose()


def _token(home: Path, user: SessionUser, csrf: str) -> str:
    text = f"test-session:{user.user_id}:{user.method.value}:{csrf}"
    return hmac.new(secret_key(home).encode(), text.encode(), hashlib.sha256).hexdigest()


def _open_session(ctx: AppContext, user: SessionUser, csrf: str) -> str:
    """The server-side session of ``user`` (idempotent): its token."""
    token = _token(ctx.settings.home, user, csrf)
    now = datetime.now(UTC)
    with ctx.unit_of_work(actor="tests", actor_user_id=None) as uow:
        account = uow.users.get(user.user_id)
        row = uow.session.get(WebSession, hashlib.sha256(token.encode()).hexdigest())
        if row is None:
            row = WebSession(id=hashlib.sha256(token.encode()).hexdigest(),
                             cabinet_id=ctx.cabinet_id, user_id=user.user_id,
                             method=user.method.value, credential="", created_at=now,
                             expires_at=now)
            uow.session.add(row)
        row.credential = (hashlib.sha256(account.password_hash.encode()).hexdigest()
                          if account.password_hash else "")
        row.expires_at = now + SESSION_LIFETIME
        uow.commit()
    return token


def session_cookie(where: Path | Settings, user: SessionUser, csrf: str = CSRF) -> str:
    """The signed session cookie value of a session where ``user`` is logged in (``where``:
    the settings of the test installation, or its home holding a SQLite database)."""
    settings = where if isinstance(where, Settings) else Settings.from_env(
        {"OPENFSE_HOME": str(where), "OPENFSE_DATABASE_URL": ""})
    ctx = AppContext.open(settings)
    try:
        token = _open_session(ctx, user, csrf)
    finally:
        ctx.engine.dispose()
    data = {"sid": token, "csrf": csrf}
    payload = b64encode(json.dumps(data).encode("utf-8"))
    return TimestampSigner(secret_key(settings.home)).sign(payload).decode("utf-8")


def login_for(settings: Settings, role: UserRole = UserRole.TITULAIRE) -> LoginCookie:
    user = user_of_role(settings, role)
    return LoginCookie(user, SESSION_COOKIE, session_cookie(settings, user), CSRF)



def logged_in(client: _Client, settings: Settings, role: UserRole = UserRole.TITULAIRE) -> _Client:
    """``client`` (a Starlette ``TestClient``) with a session of ``role`` and the CSRF headers;
    usage: ``with logged_in(TestClient(create_app(settings)), settings) as client:``."""
    login = login_for(settings, role)
    client.headers.update(login.headers)
    client.cookies.set(login.cookie_name, login.cookie_value)
    return client


def page_token(client: Client, path: str = "/connexion") -> str:
    """The CSRF token a page of the app carries (an anonymous visitor's too): what a form of
    that page posts back."""
    page = client.get(path).text
    return page.split('data-csrf="', 1)[1].split('"', 1)[0]
