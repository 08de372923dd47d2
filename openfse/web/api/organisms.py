"""The cabinet's AMO and AMC organism lists (Paramètres SV).

For each list (``amo``, ``amc``): ``GET /api/organisms/<list>`` (``q``: start of the name, or
of the number when digits), ``POST``, and ``GET/PUT/DELETE /api/organisms/<list>/{id}``.
Fields are sent as typed; a refused fiche answers 422 ``invalid_form`` with
``error.fields``; deleting an organism a patient's coverage uses answers 409
``organism_in_use``.
"""

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict

from openfse.services import organisms
from openfse.services.fiches import FicheBook
from openfse.store.uow import UnitOfWork
from openfse.web.api.params import Limit, Order, SearchText

router = APIRouter(tags=["organismes"])

ERRORS: dict[int | str, dict[str, str]] = {
    404: {"description": "No such organism in the cabinet (`not_found`)"},
    409: {"description": "`organism_in_use`: a patient's coverage uses it"},
    422: {"description": "`invalid_form`: `error.fields` maps each wrong field to its message"},
}


class _Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    phone: str | None = None
    email: str | None = None
    comment: str | None = None
    favourite: bool = False


class AmoOrganismIn(_Contact):
    regime: str
    caisse: str
    centre: str
    name: str | None = None  # empty: the caisse's name in the reference list
    flux: str | None = None
    destination_type: str | None = None


class AmcOrganismIn(_Contact):
    name: str
    number: str
    gestion: str = "separee"
    contract_type: str | None = None
    fax: str | None = None
    contact: str | None = None
    convention_type: str | None = None
    csr: str | None = None
    routing_code: str | None = None
    host_id: str | None = None
    domain: str | None = None
    verified: bool = False


class _ContactOut(BaseModel):
    id: int
    name: str
    address_line1: str | None
    address_line2: str | None
    postal_code: str | None
    city: str | None
    phone: str | None
    email: str | None
    comment: str | None
    favourite: bool
    user_edited: bool


class AmoOrganismOut(_ContactOut):
    regime: str
    caisse: str
    centre: str
    flux: str | None
    destination_type: str | None


class AmcOrganismOut(_ContactOut):
    number: str
    gestion: str
    contract_type: str | None
    fax: str | None
    contact: str | None
    convention_type: str | None
    csr: str | None
    routing_code: str | None
    host_id: str | None
    domain: str | None
    verified: bool


def _uow(request: Request) -> UnitOfWork:
    uow: UnitOfWork = request.app.state.ctx.uow()
    return uow


def _add_routes(kind: str, book: FicheBook[Any], model_in: type[BaseModel],
                model_out: type[_ContactOut]) -> None:
    """The five endpoints of one list: ``/organisms/<kind>`` and ``/organisms/<kind>/{id}``.

    The body and answer models are parameters, hence real annotations (no ``from __future__
    import annotations`` in this module): FastAPI reads them from the signatures."""
    path = f"/organisms/{kind}"

    def out(row: object) -> _ContactOut:
        return model_out.model_validate(row, from_attributes=True)

    def listing(request: Request, q: SearchText = "", order: Order = "asc",
                limit: Limit = 50) -> list[_ContactOut]:
        return [out(row) for row in book.search(_uow(request), q, order=order, limit=limit)]

    def read(request: Request, organism_id: int) -> _ContactOut:
        return out(book.get(_uow(request), organism_id))

    def create(request: Request, body: model_in) -> _ContactOut:
        return out(book.create(_uow(request), body.model_dump()))

    def update(request: Request, organism_id: int, body: model_in) -> _ContactOut:
        return out(book.update(_uow(request), organism_id, body.model_dump()))

    def delete(request: Request, organism_id: int) -> Response:
        book.delete(_uow(request), organism_id)
        return Response(status_code=204)

    one = f"{path}/{{organism_id}}"
    # The names keep the operation ids of the OpenAPI schema (``amo_list``, ``amc_get``…).
    router.add_api_route(path, listing, methods=["GET"], response_model=list[model_out],
                         name=f"{kind}_list")
    router.add_api_route(one, read, methods=["GET"], response_model=model_out,
                         responses=ERRORS, name=f"{kind}_get")
    router.add_api_route(path, create, methods=["POST"], response_model=model_out,
                         status_code=201, responses=ERRORS, name=f"{kind}_create")
    router.add_api_route(one, update, methods=["PUT"], response_model=model_out,
                         responses=ERRORS, name=f"{kind}_update")
    router.add_api_route(one, delete, methods=["DELETE"], status_code=204, responses=ERRORS,
                         name=f"{kind}_delete")


_add_routes("amo", organisms.AMO, AmoOrganismIn, AmoOrganismOut)
_add_routes("amc", organisms.AMC, AmcOrganismIn, AmcOrganismOut)
