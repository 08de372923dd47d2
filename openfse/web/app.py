"""The FastAPI application: JSON API under ``/api`` (OpenAPI at ``/openapi.json``) and the French
server-rendered UI (Jinja2 + htmx). ``create_app`` is the composition root of the web edge."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from openfse import __version__
from openfse.config import Settings
from openfse.errors import Conflict, InvalidInput, NotFound, OpenFSEError
from openfse.services.access import Forbidden
from openfse.services.context import AppContext
from openfse.web import api, security, session, ui
from openfse.web.api import errors as api_errors
from openfse.web.edge import Edge, EdgeLimits

WEB_DIR = Path(__file__).parent

_STATUS = {Forbidden: 403, NotFound: 404, Conflict: 409, InvalidInput: 422}


def _status_for(exc: OpenFSEError) -> int:
    for kind, status in _STATUS.items():
        if isinstance(exc, kind):
            return status
    return 422


def create_app(settings: Settings | None = None, *, context: AppContext | None = None) -> FastAPI:
    """Build the application; ``context`` lets tests inject an already-initialised one."""
    ctx = context or AppContext.open(settings or Settings.from_env())
    app = FastAPI(
        title="openfse",
        version=__version__,
        description="API de openfse, logiciel de facturation SESAM-Vitale libre.",
        responses={400: {"description": "Malformed request body"}},
    )
    app.state.ctx = ctx
    # The guard first: the middleware added last is the outermost, and the guard reads the session.
    security.install_security(app)  # log-in required, roles, CSRF, journal of patient reads
    session.install_session(app, ctx.settings)  # signed cookie naming a server-side session
    # Outermost: body and JSON limits, text no database stores, security headers (issue 12).
    app.add_middleware(Edge, limits=EdgeLimits(
        max_body_bytes=ctx.settings.max_body_bytes,
        max_upload_bytes=ctx.settings.max_upload_bytes,
        max_json_depth=ctx.settings.max_json_depth))
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    for router in api.ROUTERS:
        app.include_router(router, prefix="/api")
    for router in ui.ROUTERS:
        app.include_router(router)

    @app.exception_handler(OpenFSEError)
    async def _domain_error(request: Request, exc: OpenFSEError) -> Response:
        status = _status_for(exc)
        if _is_page(request):
            return _error_page(request, status, exc.message)
        return api_errors.error_response(exc, status)  # docs/formats/errors.md

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # No route for the path (404) or the method (405): the API answers its own shape.
        if _is_page(request) or exc.status_code not in (404, 405):
            return await http_exception_handler(request, exc)
        return api_errors.http_error_response(exc.status_code, request.method,
                                              request.url.path,
                                              api.allowed_methods(request.url.path))

    @app.exception_handler(OverflowError)
    async def _out_of_range(request: Request, exc: OverflowError) -> Response:
        # An integer beyond the databases' 64 bits (an id no row can have) reached the driver.
        if _is_page(request):
            return _error_page(request, 422, "Un nombre saisi est trop grand.")
        return api_errors.error_response(
            InvalidInput("Un nombre saisi est trop grand.", code="out_of_range"), 422)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = api_errors.validation_form_errors(exc.errors())  # every field, not the first
        if _is_page(request):
            return _error_page(request, 422, f"La valeur donnée pour « {errors.field} » n'est "
                                             "pas acceptée (trop longue ou mal formée).")
        return api_errors.error_response(errors, 422)

    return app


def _is_page(request: Request) -> bool:
    """A screen of the French UI (an htmx fragment included), not the JSON API."""
    path = request.url.path
    return not (path.startswith("/api/") or path == "/api" or path.startswith("/openapi"))


def _error_page(request: Request, status: int, message: str) -> Response:
    """The UI's answer to a refused request: a French page (no JSON in front of a user)."""
    from openfse.web.ui.rendering import render  # the UI package imports this module's peers

    title = {403: "Accès refusé", 404: "Introuvable", 409: "Opération impossible"}.get(
        status, "Demande refusée")
    return render(request, "pages/error.html", title=title, message=message,
                  status_code=status)
