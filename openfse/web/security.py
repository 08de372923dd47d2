"""The web edge's guard: log-in required, role policy, CSRF, and the journal of patient reads.

One middleware (:func:`install_security`, inside the session middleware) runs before every
route:

1. **Open routes** (:data:`OPEN_PREFIXES`): static files, the start/log-in screens,
   ``/api/health``, ``/api/session``, the OpenAPI document. Everything else needs a logged-in
   user: a page redirects to the start screen ``/connexion``, the API answers 401 JSON.
2. **Roles**: :func:`openfse.services.access.permission_for` names the permission; refusal is
   403 (JSON for the API, a French page for the UI). A remplaçant reaches patient files,
   payments, billing and signing only on a day of his calendar (the cabinet's today).
3. **CSRF** on every unsafe method, the log-in screens included (issue 12: three cross-site
   posts of a wrong code porteur blocked the doctor's CPS). The session cookie is
   ``SameSite=Lax`` (not sent on a cross-site POST; but a page of another port of the same
   host is « same-site » and gets it) and, in addition:

   * **same origin** (:func:`same_origin`): ``Sec-Fetch-Site``, when the browser sends it,
     must be ``same-origin`` (or ``none``: typed by the user); ``Origin`` (or, without it,
     ``Referer``) must name this host. A browser always sends one of them on a cross-site
     post; a client that sends none (a script on the workstation) is judged by the token;

   * UI: the per-session token (:func:`csrf_token`) must come back, in the ``X-CSRF-Token``
     header (htmx: ``hx-headers`` on ``<body>``) or the ``csrf_token`` form field (added to
     every form on submit by the script of ``base.html``);
   * API: a custom header — ``X-Requested-With`` or ``X-CSRF-Token`` — that a cross-site form
     cannot send and that a cross-site script cannot add without a CORS pre-flight, which
     openfse never grants.

   The simulated reader panel of the demonstration (``/connexion/lecteur``, a stand-in for
   putting a card in by hand) needs the same origin but no token.
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
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from openfse.services import access
from openfse.services.access import Forbidden
from openfse.services.session_login import SessionUser
from openfse.store.journal import JournalAction
from openfse.store.uow import UnitOfWork
from openfse.web.session import current_user

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LOGIN_PAGE",
    "OPEN_PREFIXES",
    "QueryStringRedactor",
    "csrf_token",
    "install_security",
    "is_open",
    "same_origin",
]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_CSRF_KEY = "csrf"
LOGIN_PAGE = "/connexion"
OPEN_PREFIXES = ("/static/", "/connexion", "/deconnexion")
OPEN_PATHS = frozenset({"/api/health", "/api/session", "/openapi.json"})
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The demonstration's simulated reader: same origin required, no token (see the docstring).
_NO_TOKEN_PATHS = frozenset({"/connexion/lecteur"})
_PATIENT_FILE = re.compile(r"^(/api)?/patients/(\d+)$")

_CSRF_REFUSAL = "Formulaire expiré ou d'origine inconnue : rechargez la page."


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


def _same_authority(url: str, host: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host


def same_origin(request: Request) -> bool:
    """Does an unsafe request come from a page of this site (see the module docstring)?"""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site.lower() not in ("same-origin", "none"):
        return False
    host = request.headers.get("host", "").lower()
    origin = request.headers.get("origin")
    if origin is not None:
        return _same_authority(origin, host)
    referer = request.headers.get("referer")
    if referer is not None:
        return _same_authority(referer, host)
    return True  # no browser header: not a cross-site browser request, the token decides


async def _csrf_ok(request: Request) -> bool:
    if not same_origin(request):
        return False
    if request.url.path in _NO_TOKEN_PATHS:
        return True
    sent = request.headers.get(CSRF_HEADER)
    if _is_api(request.url.path):
        return bool(sent) or bool(request.headers.get("X-Requested-With"))
    expected = csrf_token(request)
    if sent and sent.isascii() and hmac.compare_digest(sent, expected):
        return True
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        # Read the raw body first: Starlette's middleware then replays it to the route (a
        # form parsed straight from the stream would leave the route an empty body).
        await request.body()
        field = (await request.form()).get(CSRF_FIELD)
        return (isinstance(field, str) and field.isascii()
                and hmac.compare_digest(field, expected))
    return False


def _user_uow(request: Request, user: SessionUser) -> UnitOfWork:
    from openfse.web.deps import app_context  # deps imports the session module, loaded here

    return app_context(request).unit_of_work(actor=user.login, actor_user_id=user.user_id)


def check_access(request: Request, user: SessionUser, permission: access.Permission) -> None:
    """Raise ``Forbidden`` unless ``user`` may use ``permission`` now — a remplaçant's
    calendar-bound permissions on a day of his calendar (the cabinet's today). The one check
    of the pages (the guard) and of the menus (``rendering.may_open``)."""
    from openfse.web.deps import clock_of  # deps imports the session module, loaded here

    on_day: bool | None = None
    if access.needs_calendar_day(user, permission) and user.professional_id is not None:
        # Read once per request: a menu asks for each of its entries.
        on_day = getattr(request.state, "on_calendar_day", None)
        if on_day is None:
            with _user_uow(request, user) as uow:
                on_day = access.replaces_on(uow, user.professional_id,
                                            clock_of(request).today())
            request.state.on_calendar_day = on_day
    access.check(user, permission, on_calendar_day=on_day)


def _authorise(request: Request, user: SessionUser) -> None:
    check_access(request, user, access.permission_for(request.method, request.url.path))


def _journal_read(request: Request, user: SessionUser, patient_id: int) -> None:
    # Issue 8: every read of a patient file is journaled, under the reader.
    with _user_uow(request, user) as uow:
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


def install_security(app: FastAPI) -> None:
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
            # The log-in screens too: a cross-site post must not reach the card (issue 12).
            if request.method in _UNSAFE and not await _csrf_ok(request):
                return _refuse(request, 403, "csrf_failed", _CSRF_REFUSAL)
            return await call_next(request)
        user = current_user(request)
        if user is None:
            return _refuse(request, 401, "login_required",
                           "Connectez-vous pour accéder à openfse.")
        try:
            _authorise(request, user)
        except Forbidden as refusal:
            return _refuse(request, 403, refusal.code, refusal.message)
        if request.method in _UNSAFE and not await _csrf_ok(request):
            return _refuse(request, 403, "csrf_failed", _CSRF_REFUSAL)
        response = await call_next(request)
        match = _PATIENT_FILE.match(path)
        if request.method == "GET" and match and response.status_code == 200:
            _journal_read(request, user, int(match.group(2)))
        return response
