"""The cabinet's AMO and AMC organism lists (Paramètres SV).

For each list (``amo``, ``amc``): ``GET /api/organisms/<list>`` (``q``: start of the name, or
of the number when digits), ``POST``, and ``GET/PUT/DELETE /api/organisms/<list>/{id}``.
Fields are sent as typed; a refused fiche answers 422 ``invalid_form`` with
``error.fields``; deleting an organism a patient's coverage uses answers 409
``organism_in_use``.
"""

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from openfse.services import organisms
from openfse.services.fiches import FicheBook
from openfse.store.models.common import AmcGestion
from openfse.web.api.errors import documented
from openfse.web.api.params import Limit, Order, SearchText
from openfse.web.api.schemas.fields import NOT_BLANK, Email, Phone, PostalCode, digits_pattern
from openfse.web.deps import DeskDep

router = APIRouter(tags=["organismes"])

ERRORS = documented(
    404, 409, 422, e404="No such organism in the cabinet (`not_found`)",
    e409="`organism_in_use`: a patient's coverage uses it",
    e422="`invalid_form`: `error.fields` maps each wrong field to its message")


def _code(max_length: int) -> Any:
    """A routing or type code: letters, digits, ``-`` and ``_`` (``services.organisms``)."""
    return Field(default=None, max_length=max_length,
                 pattern=r"^([A-Za-z0-9_-]*[A-Za-z0-9][A-Za-z0-9_-]*)?$")


class _Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address_line1: str | None = Field(default=None, max_length=200)
    address_line2: str | None = Field(default=None, max_length=200)
    postal_code: PostalCode = None
    city: str | None = Field(default=None, max_length=100)
    phone: Phone = None
    email: Email = None
    comment: str | None = Field(default=None, max_length=2000)
    favourite: StrictBool = False


class AmoOrganismIn(_Contact):
    """The code (régime of a known grand régime, caisse, centre) is unique in the cabinet."""

    regime: str = Field(pattern="^[0-9]{2}$", examples=["01"])
    caisse: str = Field(pattern="^[0-9]{3}$", examples=["751"])
    centre: str = Field(pattern="^[0-9]{4}$", examples=["0000"])
    name: str | None = Field(default=None, max_length=200,
                             description="Empty: the caisse's name in the reference list")
    flux: str | None = _code(20)
    destination_type: str | None = _code(2)


class AmcOrganismIn(_Contact):
    """The numéro AMC is unique in the cabinet."""

    name: str = Field(min_length=1, max_length=200, pattern=NOT_BLANK)
    number: str = Field(pattern="^[0-9]{7,10}$", description="Numéro AMC, 7 to 10 digits")
    gestion: AmcGestion = AmcGestion.SEPAREE
    contract_type: str | None = Field(default=None, pattern=digits_pattern(1, 2),
                                      description="1 or 2 digits (89: C2S)")
    fax: Phone = None
    contact: str | None = Field(default=None, max_length=200)
    convention_type: str | None = _code(10)
    csr: str | None = _code(10)
    routing_code: str | None = _code(10)
    host_id: str | None = Field(default=None, max_length=64)
    domain: str | None = Field(default=None, max_length=128)
    verified: StrictBool = False


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
    gestion: AmcGestion
    contract_type: str | None
    fax: str | None
    contact: str | None
    convention_type: str | None
    csr: str | None
    routing_code: str | None
    host_id: str | None
    domain: str | None
    verified: bool


def _add_routes(kind: str, book: FicheBook[Any], model_in: type[BaseModel],
                model_out: type[_ContactOut]) -> None:
    """The five endpoints of one list: ``/organisms/<kind>`` and ``/organisms/<kind>/{id}``.

    The body and answer models are parameters, hence real annotations (no ``from __future__
    import annotations`` in this module): FastAPI reads them from the signatures."""
    path = f"/organisms/{kind}"

    def out(row: object) -> _ContactOut:
        return model_out.model_validate(row, from_attributes=True)

    def listing(desk: DeskDep, q: SearchText = "", order: Order = "asc",
                limit: Limit = 50) -> list[_ContactOut]:
        return [out(row) for row in book.search(desk.uow(), q, order=order, limit=limit)]

    def read(desk: DeskDep, organism_id: int) -> _ContactOut:
        return out(book.get(desk.uow(), organism_id))

    def create(desk: DeskDep, body: model_in) -> _ContactOut:  # type: ignore[valid-type]
        return out(book.create(desk.uow(), body.model_dump()))  # type: ignore[attr-defined]

    def update(desk: DeskDep, organism_id: int,
               body: model_in) -> _ContactOut:  # type: ignore[valid-type]
        return out(book.update(desk.uow(), organism_id,
                               body.model_dump()))  # type: ignore[attr-defined]

    def delete(desk: DeskDep, organism_id: int) -> Response:
        book.delete(desk.uow(), organism_id)
        return Response(status_code=204)

    one = f"{path}/{{organism_id}}"
    # The names keep the operation ids of the OpenAPI schema (``amo_list``, ``amc_get``…).
    router.add_api_route(path, listing, methods=["GET"],
                         response_model=list[model_out],  # type: ignore[valid-type]
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
