"""Web sessions: who is logged in, a server-side session named by a signed cookie.

* Starlette's ``SessionMiddleware`` keeps the cookie's data (the CSRF token, the screens'
  flow state, the session token) in the cookie itself, signed (itsdangerous, HMAC) with the
  installation's secret key: ``<home>/secret_key``, made with permissions 0600 at the first
  start and reused afterwards. ``same_site=lax``; the cookie is ``Secure`` (https only) when
  ``Settings.session_https_only`` (``OPENFSE_SESSION_HTTPS_ONLY``): to set when openfse is
  served behind TLS; the default serves http on 127.0.0.1.
* Who is logged in lives in the database (:mod:`openfse.services.web_sessions`): the cookie
  holds only a random token. :func:`current_user` asks the table at each request (once per
  request), so log-out, a password change or a disabled account end the session at once, for
  every copy of the cookie (issue 12). The session lasts a working day (12 h). Log-in and
  log-out replace the whole cookie.
* The pages show the user in the top bar through the Jinja global ``current_user``
  (``templates/start/who.html``).

Log-in, the role policy and CSRF are enforced by :mod:`openfse.web.security`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.middleware.sessions import SessionMiddleware

from openfse.config import Settings
from openfse.errors import OpenFSEError
from openfse.services import web_sessions
from openfse.services.session_login import SessionUser
from openfse.store.uow import UnitOfWork

__all__ = [
    "SECRET_FILE",
    "SESSION_COOKIE",
    "client_address",
    "current_user",
    "flash",
    "install_session",
    "local_path",
    "log_in",
    "log_out",
    "redirect",
    "secret_key",
    "take_flash",
]

SESSION_COOKIE = "openfse_session"
SECRET_FILE = "secret_key"
SESSION_MAX_AGE = int(web_sessions.SESSION_LIFETIME.total_seconds())  # a working day
_SECRET_MIN_LENGTH = 32
_TOKEN_KEY = "sid"  # the server-side session's token
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
    """Add the session middleware and the template helper to ``app``."""
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings.home),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.session_https_only,
    )
    # Imported here: the UI package imports this module (log-in helpers) when it loads.
    from openfse.web.ui.rendering import TEMPLATES

    TEMPLATES.env.globals["current_user"] = current_user


def _session(request: Request) -> dict[str, Any] | None:
    if "session" not in request.scope:  # app built without install_session
        return None
    session: dict[str, Any] = request.session
    return session


def _uow(request: Request) -> UnitOfWork:
    # Sessions are looked up before anybody is known: the log-in screens' actor.
    from openfse.web.deps import ANONYMOUS, app_context  # deps imports this module

    return app_context(request).unit_of_work(actor=ANONYMOUS, actor_user_id=None)


def _now(request: Request) -> datetime:
    from openfse.web.deps import clock_of  # deps imports this module

    return clock_of(request).now()


def _token(request: Request) -> str:
    session = _session(request)
    token = session.get(_TOKEN_KEY) if session is not None else None
    return token if isinstance(token, str) else ""


def current_user(request: Request) -> SessionUser | None:
    """The logged-in user, or None (never logged in, logged out, session ended, account
    deactivated or awaiting approval)."""
    if hasattr(request.state, "openfse_user"):
        cached: SessionUser | None = request.state.openfse_user
        return cached
    user: SessionUser | None = None
    token = _token(request)
    if token:
        user = web_sessions.user_of(_uow(request), token, now=_now(request))
        if user is None:
            request.session.pop(_TOKEN_KEY, None)
    request.state.openfse_user = user
    return user


def log_in(request: Request, user: SessionUser) -> None:
    """Open a fresh session for ``user`` (anything stored before is dropped, the CSRF token
    too: the next page gets a new one)."""
    token = web_sessions.open_session(_uow(request), user, now=_now(request))
    session = request.session
    session.clear()
    session[_TOKEN_KEY] = token
    request.state.openfse_user = user


def log_out(request: Request) -> None:
    """End the session in the database (a copy of the cookie opens nothing) and forget it."""
    web_sessions.end(_uow(request), _token(request))
    request.session.clear()
    request.state.openfse_user = None


def client_address(request: Request) -> str:
    """The client's address, a key of the log-in limits (behind a reverse proxy every
    workstation is the proxy: the limit per client is then one for the whole cabinet)."""
    return request.client.host if request.client is not None else "inconnu"


def redirect(request: Request, url: str) -> Response:
    """Go to ``url`` after a form: ``HX-Redirect`` for htmx (it swaps only 2xx answers, and a
    whole new page is wanted), 303 See Other for a plain post."""
    if request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def local_path(text: str, default: str = "/") -> str:
    """``text`` if it is a path of this site (``/…``, not ``//host``), else ``default``: a
    return address taken from a form never leads elsewhere."""
    if (text.startswith("/") and not text.startswith("//") and "\\" not in text
            and text.isprintable()):  # no CR/LF into a Location header
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
