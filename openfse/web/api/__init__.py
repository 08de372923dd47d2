"""The JSON API (under ``/api``): one router module per resource; ``ROUTERS`` lists them.

Every route answers errors in one shape (``docs/formats/errors.md``), documented here once for
the statuses any route may answer (``errors.COMMON``) and by each route for its own.
"""

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import compile_path

from openfse.web.api import (
    errors,
    favourites,
    invoices,
    organisms,
    patient_amc,
    patients,
    preferences,
    prescribers,
    pricing,
    professionals,
    referentials,
    system,
    transmission,
)


def _integer_ids(router: APIRouter) -> APIRouter:
    """Path ids declared ``int`` match digits only (``{patient_id:int}``): ``/patients/adri``
    is then no patient id, and a method a path does not have answers 405, not 422."""
    for route in router.routes:
        if isinstance(route, APIRoute):
            for param in route.dependant.path_params:
                if param.field_info.annotation is int:
                    route.path = route.path.replace(f"{{{param.name}}}", f"{{{param.name}:int}}")
            route.path_regex, route.path_format, route.param_convertors = compile_path(route.path)
    return router


_API = APIRouter(responses=errors.COMMON)
_MODULE_ROUTERS = (
    system.router,
    referentials.router,
    pricing.router,
    invoices.router,
    patients.router,
    patient_amc.router,
    professionals.router,
    prescribers.router,
    organisms.router,
    favourites.router,
    preferences.router,
    transmission.router,
)
for _router in _MODULE_ROUTERS:
    _API.include_router(_integer_ids(_router))

ROUTERS = (_API,)
PREFIX = "/api"


def allowed_methods(path: str) -> set[str]:
    """The methods of the API resource at ``path`` (the ``Allow`` of a 405)."""
    if not path.startswith(PREFIX + "/"):
        return set()
    inner = path[len(PREFIX):]
    methods: set[str] = set()
    for router in _MODULE_ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.path_regex.match(inner):
                methods |= route.methods or set()
    return methods
