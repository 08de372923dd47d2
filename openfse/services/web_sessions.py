"""Server-side log-in sessions: opened at log-in, ended at log-out, by a password change or a
disabled account (issue 12, finding 5: « a cookie copied before log-out still reads
/api/patients/5 »).

The browser's signed cookie holds a random token; the ``web_session`` table holds its SHA-256
with the account, the login method and the session's end (:data:`SESSION_LIFETIME`, a working
day). :func:`user_of` answers, at each request, who the token belongs to **now**: nobody when
the row is gone (logged out), expired, the account disabled or still awaiting approval, or
the password changed since the log-in (the row keeps a digest of the password hash it was
opened with).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from openfse.services.session_login import LoginMethod, SessionUser, session_user
from openfse.store.models import AppUser, WebSession
from openfse.store.uow import UnitOfWork

__all__ = ["SESSION_LIFETIME", "end", "end_all_of", "open_session", "user_of"]

SESSION_LIFETIME = timedelta(hours=12)  # a working day
_TOKEN_BYTES = 32


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _credential(user: AppUser) -> str:
    return _digest(user.password_hash) if user.password_hash else ""


def open_session(uow: UnitOfWork, user: SessionUser, *, now: datetime) -> str:
    """A new session for ``user``: the token to keep in the cookie. Expired sessions of the
    cabinet are swept at the same time."""
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    with uow:
        account = uow.users.get(user.user_id)
        uow.session.execute(delete(WebSession).where(
            WebSession.cabinet_id == uow.require_cabinet(), WebSession.expires_at <= now))
        uow.session.add(WebSession(
            id=_digest(token), cabinet_id=uow.require_cabinet(), user_id=account.id,
            method=user.method.value, credential=_credential(account), created_at=now,
            expires_at=now + SESSION_LIFETIME))
        uow.commit()
    return token


def user_of(uow: UnitOfWork, token: str, *, now: datetime) -> SessionUser | None:
    """Who holds the session of ``token`` now (None: no such session, or no longer valid)."""
    if not token or len(token) > 128:
        return None
    with uow:
        row = uow.session.scalar(select(WebSession).where(
            WebSession.id == _digest(token), WebSession.cabinet_id == uow.require_cabinet()))
        if row is None or row.expires_at <= now:
            return None
        account = uow.users.find(row.user_id)
        if account is None or _credential(account) != row.credential:
            return None
        try:
            method = LoginMethod(row.method)
        except ValueError:
            return None
        user_id = row.user_id
    return session_user(uow, user_id, method)


def end(uow: UnitOfWork, token: str) -> None:
    """Log-out: the session is gone for every copy of its cookie."""
    if not token:
        return
    with uow:
        uow.session.execute(delete(WebSession).where(
            WebSession.id == _digest(token), WebSession.cabinet_id == uow.require_cabinet()))
        uow.commit()


def end_all_of(uow: UnitOfWork, user_id: int) -> None:
    """End every session of an account (disabled, password changed). Call inside an open
    unit of work: it is part of the change that ends them, committed with it."""
    uow.session.execute(delete(WebSession).where(
        WebSession.user_id == user_id, WebSession.cabinet_id == uow.require_cabinet()))
