"""Web sessions: who is logged in, kept in a signed cookie.

* Starlette's ``SessionMiddleware`` keeps the session data in the cookie itself, signed
  (itsdangerous, HMAC) with the installation's secret key: ``<home>/secret_key``, made with
  permissions 0600 at the first start and reused afterwards. ``same_site=lax``; the cookie is
  ``Secure`` (https only) when ``Settings.session_https_only`` (``OPENFSE_SESSION_HTTPS_ONLY``):
  to set when openfse is served behind TLS; the default serves http on 127.0.0.1. The session
  lasts a working day (12 h).
* The session holds the user id and how he logged in (``cps`` or ``password``);
  :func:`current_user` reloads the account at each request (once per request), so a
  deactivated account is out at once. Log-in and log-out replace the whole session.
* The pages show the user in the top bar through the Jinja global ``current_user``
  (``templates/start/who.html``).

Log-in, the role policy and CSRF are enforced by :mod:`openfse.web.security`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.middleware.sessions import SessionMiddleware

from openfse.config import Settings
from openfse.errors import OpenFSEError
from openfse.services import session_login
from openfse.services.session_login import LoginMethod, LoginThrottle, SessionUser
from openfse.store.uow import UnitOfWork

__all__ = [
    "SECRET_FILE",
    "SESSION_COOKIE",
    "actor_uow",
    "current_user",
    "flash",
    "install_session",
    "local_path",
    "log_in",
    "log_out",
    "login_throttle",
    "redirect",
    "secret_key",
    "take_flash",
]

SESSION_COOKIE = "openfse_session"
SECRET_FILE = "secret_key"
SESSION_MAX_AGE = 12 * 60 * 60  # a working day
_SECRET_MIN_LENGTH = 32
_USER_KEY = "user"
_FLASH_KEY = "flash"


class SessionSecretError(OpenFSEError):
    code = "session_secret_invalid"


def secret_key(home: Path) -> str:
    """The installation's session secret, created (0600) at the first call.

    Written to a temporary file then hard-linked into place, so that two processes starting
    together agree on one key and never read a half-written file.
    """
    home.mkdir(parents=True, exist_ok=True)
    path = home / SECRET_FILE
    if not path.exists():
        tmp = home / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_urlsafe(48) + "\n")
            with contextlib.suppress(FileExistsError):  # another process was first: use its key
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a secret readable by others is tightened, not trusted as is
    key = path.read_text(encoding="ascii").strip()
    if len(key) < _SECRET_MIN_LENGTH:
        raise SessionSecretError(
            f"Clé secrète des sessions trop courte dans {path} : supprimez ce fichier, il sera "
            "recréé au prochain démarrage (les sessions ouvertes seront fermées)."
        )
    return key


def install_session(app: FastAPI, settings: Settings) -> None:
    """Add the session middleware, the log-in throttle and the template helper to ``app``."""
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings.home),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.session_https_only,
    )
    app.state.login_throttle = LoginThrottle()
    # Imported here: the UI package imports this module (log-in helpers) when it loads.
    from openfse.web.ui.rendering import TEMPLATES

    TEMPLATES.env.globals["current_user"] = current_user


def _session(request: Request) -> dict[str, Any] | None:
    if "session" not in request.scope:  # app built without install_session
        return None
    session: dict[str, Any] = request.session
    return session


def current_user(request: Request) -> SessionUser | None:
    """The logged-in user, or None (never logged in, logged out, account deactivated)."""
    if hasattr(request.state, "openfse_user"):
        cached: SessionUser | None = request.state.openfse_user
        return cached
    user: SessionUser | None = None
    session = _session(request)
    stored = session.get(_USER_KEY) if session is not None else None
    if isinstance(stored, dict):
        try:
            user_id, method = int(stored["id"]), LoginMethod(stored["method"])
        except (KeyError, TypeError, ValueError):
            user_id, method = 0, None
        if method is not None:
            user = session_login.session_user(request.app.state.ctx.uow(), user_id, method)
        if user is None and session is not None:
            session.pop(_USER_KEY, None)
    request.state.openfse_user = user
    return user


def log_in(request: Request, user: SessionUser) -> None:
    """Open a fresh session for ``user`` (anything stored before is dropped)."""
    session = request.session
    session.clear()
    session[_USER_KEY] = {"id": user.user_id, "method": user.method.value}
    request.state.openfse_user = user


def log_out(request: Request) -> None:
    request.session.clear()
    request.state.openfse_user = None


def redirect(request: Request, url: str) -> Response:
    """Go to ``url`` after a form: ``HX-Redirect`` for htmx (it swaps only 2xx answers, and a
    whole new page is wanted), 303 See Other for a plain post."""
    if request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def local_path(text: str, default: str = "/") -> str:
    """``text`` if it is a path of this site (``/…``, not ``//host``), else ``default``: a
    return address taken from a form never leads elsewhere."""
    if text.startswith("/") and not text.startswith("//") and "\\" not in text:
        return text
    return default


def flash(request: Request, message: str) -> None:
    """A message for the next page shown (after a redirect)."""
    request.session[_FLASH_KEY] = message


def take_flash(request: Request) -> str | None:
    session = _session(request)
    if session is None:
        return None
    message = session.pop(_FLASH_KEY, None)
    return message if isinstance(message, str) else None


def login_throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


def actor_uow(request: Request) -> UnitOfWork:
    """A unit of work journaled under the logged-in user (``anonyme`` when nobody is)."""
    ctx = request.app.state.ctx
    user = current_user(request)
    uow: UnitOfWork = ctx.uow(actor=user.login if user is not None else "anonyme")
    uow.actor_user_id = user.user_id if user is not None else None
    return uow
