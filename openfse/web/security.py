"""The web edge's guard: log-in required, role policy, CSRF, and the journal of patient reads.

One middleware (:func:`install_security`, inside the session middleware) runs before every
route:

1. **Open routes** (:data:`OPEN_PREFIXES`): static files, the start/log-in screens,
   ``/api/health``, ``/api/session``, the OpenAPI document. Everything else needs a logged-in
   user: a page redirects to the start screen ``/connexion``, the API answers 401 JSON.
2. **Roles**: :func:`openfse.services.access.permission_for` names the permission; refusal is
   403 (JSON for the API, a French page for the UI). A remplaçant bills only on a day of his
   calendar (checked against today's date).
3. **CSRF** on unsafe methods of a logged-in session. The session cookie is ``SameSite=Lax``
   (not sent on a cross-site POST) and, in addition:

   * UI: the per-session token (:func:`csrf_token`) must come back, in the ``X-CSRF-Token``
     header (htmx: ``hx-headers`` on ``<body>``) or the ``csrf_token`` form field (added to
     every form on submit by the script of ``base.html``);
   * API: a custom header — ``X-Requested-With`` or ``X-CSRF-Token`` — that a cross-site form
     cannot send and that a cross-site script cannot add without a CORS pre-flight, which
     openfse never grants.
4. **No patient data in logs**: the access log (``uvicorn.access``) would print each URL with
   its query string, and searches carry names (``/patients?q=DUPONT``):
   :class:`QueryStringRedactor` cuts the query string off before the line is written.
5. **Journal of reads** (issue 8: « the journal records every read of a patient file »): a
   successful ``GET`` of a patient file (``/patients/{id}`` page, ``/api/patients/{id}``) adds
   a ``read`` entry under the user.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import date

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from openfse.services import access
from openfse.services.access import Forbidden, Permission
from openfse.services.session_login import SessionUser
from openfse.store.journal import JournalAction
from openfse.store.models import UserRole
from openfse.web.session import actor_uow, current_user

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LOGIN_PAGE",
    "OPEN_PREFIXES",
    "QueryStringRedactor",
    "csrf_token",
    "install_security",
    "is_open",
]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_CSRF_KEY = "csrf"
LOGIN_PAGE = "/connexion"
OPEN_PREFIXES = ("/static/", "/connexion", "/deconnexion")
OPEN_PATHS = frozenset({"/api/health", "/api/session", "/openapi.json"})
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PATIENT_FILE = re.compile(r"^(/api)?/patients/(\d+)$")

Today = Callable[[], date]


_ID_MAX = 2**63 - 1  # the databases' BIGINT: a larger id cannot exist
_LONG_NUMBER = re.compile(r"(?<![^/])\d{19,}(?![^/])")


def _has_impossible_id(path: str) -> bool:
    """A path segment that is a number too large for any row id: answered 404 before the
    route, whose query would otherwise fail in the database driver (found by schemathesis)."""
    return any(int(number) > _ID_MAX for number in _LONG_NUMBER.findall(path))


def is_open(path: str) -> bool:
    """May ``path`` be reached without logging in?"""
    return path in OPEN_PATHS or any(
        path == prefix.rstrip("/") or path.startswith(prefix) for prefix in OPEN_PREFIXES
    )


def csrf_token(request: Request) -> str:
    """This session's anti-CSRF token, made at first use (kept in the signed cookie)."""
    if "session" not in request.scope:
        return ""
    token = request.session.get(_CSRF_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[_CSRF_KEY] = token
    return token


def _is_api(path: str) -> bool:
    return path.startswith("/api/") or path == "/api"


def _refuse(request: Request, status: int, code: str, message: str) -> Response:
    if _is_api(request.url.path):
        return JSONResponse({"error": {"code": code, "field": None, "message": message}},
                            status_code=status)
    if status == 401:
        # htmx follows HX-Redirect (it swaps only 2xx answers); a plain request is redirected.
        if request.headers.get("HX-Request"):
            return Response(status_code=200, headers={"HX-Redirect": LOGIN_PAGE})
        return RedirectResponse(LOGIN_PAGE, status_code=303)
    from openfse.web.ui.rendering import render  # the UI package imports this module

    # htmx swaps only 2xx answers: an htmx refusal is 200 so that the message is shown.
    status = 200 if request.headers.get("HX-Request") else status
    return render(request, "security/refused.html", message=message, status_code=status)


async def _csrf_ok(request: Request) -> bool:
    sent = request.headers.get(CSRF_HEADER)
    if _is_api(request.url.path):
        return bool(sent) or bool(request.headers.get("X-Requested-With"))
    expected = csrf_token(request)
    if sent and hmac.compare_digest(sent, expected):
        return True
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        # Read the raw body first: Starlette's middleware then replays it to the route (a
        # form parsed straight from the stream would leave the route an empty body).
        await request.body()
        field = (await request.form()).get(CSRF_FIELD)
        return isinstance(field, str) and hmac.compare_digest(field, expected)
    return False


def _authorise(request: Request, user: SessionUser, today: Today) -> None:
    permission = access.permission_for(request.method, request.url.path)
    on_day: bool | None = None
    needs_day = permission in (Permission.BILL, Permission.SIGN)
    if needs_day and user.role is UserRole.REMPLACANT and user.professional_id is not None:
        with request.app.state.ctx.uow() as uow:
            on_day = access.replaces_on(uow, user.professional_id, today())
    access.check(user, permission, on_calendar_day=on_day)


def _journal_read(request: Request, patient_id: int) -> None:
    # Issue 8: every read of a patient file is journaled, under the reader.
    with actor_uow(request) as uow:
        uow.journal(JournalAction.READ, "patient", patient_id, summary="dossier consulté")
        uow.commit()


class QueryStringRedactor(logging.Filter):
    """Drop the query string of the URL in access-log records (patient names, NIR searched).

    Uvicorn's access record has ``args = (client, method, path_with_query, http_version,
    status)``; any other record goes through unchanged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = args[2].split("?", 1)[0]
            record.args = (*args[:2], path, *args[3:])
        return True


ACCESS_LOGGER = "uvicorn.access"


def install_log_redaction() -> None:
    """Put the redactor on the access logger, once per process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, QueryStringRedactor) for f in logger.filters):
        logger.addFilter(QueryStringRedactor())


def install_security(app: FastAPI, *, today: Today = date.today) -> None:
    """Add the guard to ``app``. Call **before** ``session.install_session``: the middleware
    added last is the outermost, and the guard needs the session already decoded."""

    from openfse.web.ui.rendering import TEMPLATES  # the UI package imports this module

    TEMPLATES.env.globals["csrf_token"] = csrf_token
    install_log_redaction()

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        if _has_impossible_id(path):
            return _refuse(request, 404, "not_found", "Introuvable.")
        if is_open(path):
            return await call_next(request)
        user = current_user(request)
        if user is None:
            return _refuse(request, 401, "login_required",
                           "Connectez-vous pour accéder à openfse.")
        try:
            _authorise(request, user, today)
        except Forbidden as refusal:
            return _refuse(request, 403, refusal.code, refusal.message)
        if request.method in _UNSAFE and not await _csrf_ok(request):
            return _refuse(request, 403, "csrf_failed",
                           "Formulaire expiré ou d'origine inconnue : rechargez la page.")
        response = await call_next(request)
        match = _PATIENT_FILE.match(path)
        if request.method == "GET" and match and response.status_code == 200:
            _journal_read(request, int(match.group(2)))
        return response
