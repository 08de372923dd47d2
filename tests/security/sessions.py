"""Test log-in: a logged-in session cookie for a user of each role, without a browser round trip.

The cookie is made exactly as Starlette's ``SessionMiddleware`` makes it (JSON, base64, signed
with the installation's ``secret_key`` by itsdangerous' ``TimestampSigner``), for an account
created here in the test database (professionals: the CPS account the first card log-in would
create; secrétaire and admin: password accounts). Nothing in the product is opened for tests:
whoever holds the data directory's secret can already sign sessions.
"""

from __future__ import annotations

import json
from base64 import b64encode
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from itsdangerous import TimestampSigner

from openfse.config import Settings
from openfse.services.context import AppContext
from openfse.services.session_login import (
    LoginMethod,
    SessionUser,
    ensure_user_for,
    hash_password,
    session_user_of,
)
from openfse.store.journal import JournalAction
from openfse.store.models import AppUser, ProfessionalKind, UserRole
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
    with ctx.uow(actor="tests") as uow:
        professionals = uow.professionals.active(kind)
        if not professionals:
            return None
        user = ensure_user_for(uow, professionals[0])
        uow.commit()
        return session_user_of(user, LoginMethod.CPS)


def _staff_user(ctx: AppContext, role: UserRole) -> SessionUser:
    login = f"test-{role.value}"
    with ctx.uow(actor="tests") as uow:
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
        return card_user or _staff_user(ctx, role)
    finally:
        ctx.engine.dispose()


def session_cookie(home: Path, user: SessionUser, csrf: str = CSRF) -> str:
    """The signed session cookie value of a session where ``user`` is logged in."""
    data = {"user": {"id": user.user_id, "method": user.method.value}, "csrf": csrf}
    payload = b64encode(json.dumps(data).encode("utf-8"))
    return TimestampSigner(secret_key(home)).sign(payload).decode("utf-8")


def login_for(settings: Settings, role: UserRole = UserRole.TITULAIRE) -> LoginCookie:
    user = user_of_role(settings, role)
    return LoginCookie(user, SESSION_COOKIE, session_cookie(settings.home, user), CSRF)



def logged_in(client: _Client, settings: Settings, role: UserRole = UserRole.TITULAIRE) -> _Client:
    """``client`` (a Starlette ``TestClient``) with a session of ``role`` and the CSRF headers;
    usage: ``with logged_in(TestClient(create_app(settings)), settings) as client:``."""
    login = login_for(settings, role)
    client.headers.update(login.headers)
    client.cookies.set(login.cookie_name, login.cookie_value)
    return client
