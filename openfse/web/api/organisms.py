"""The cabinet's AMO and AMC organism lists (Paramètres SV).

For each list (``amo``, ``amc``): ``GET /api/organisms/<list>`` (``q``: start of the name, or
of the number when digits), ``POST``, and ``GET/PUT/DELETE /api/organisms/<list>/{id}``.
Fields are sent as typed; a refused fiche answers 422 ``invalid_form`` with
``error.fields``; deleting an organism a patient's coverage uses answers 409
``organism_in_use``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict

from openfse.services import organisms
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


# -- AMO ----------------------------------------------------------------------------------------

@router.get("/organisms/amo", response_model=list[AmoOrganismOut])
def amo_list(request: Request, q: SearchText = "", order: Order = "asc",
             limit: Limit = 50) -> list[AmoOrganismOut]:
    rows = organisms.search_amo(_uow(request), q, order=order, limit=limit)
    return [AmoOrganismOut.model_validate(row, from_attributes=True) for row in rows]


@router.get("/organisms/amo/{organism_id}", response_model=AmoOrganismOut, responses=ERRORS)
def amo_get(request: Request, organism_id: int) -> AmoOrganismOut:
    row = organisms.get_amo(_uow(request), organism_id)
    return AmoOrganismOut.model_validate(row, from_attributes=True)


@router.post("/organisms/amo", response_model=AmoOrganismOut, status_code=201,
             responses=ERRORS)
def amo_create(request: Request, body: AmoOrganismIn) -> AmoOrganismOut:
    row = organisms.create_amo(_uow(request), body.model_dump())
    return AmoOrganismOut.model_validate(row, from_attributes=True)


@router.put("/organisms/amo/{organism_id}", response_model=AmoOrganismOut, responses=ERRORS)
def amo_update(request: Request, organism_id: int, body: AmoOrganismIn) -> AmoOrganismOut:
    row = organisms.update_amo(_uow(request), organism_id, body.model_dump())
    return AmoOrganismOut.model_validate(row, from_attributes=True)


@router.delete("/organisms/amo/{organism_id}", status_code=204, responses=ERRORS)
def amo_delete(request: Request, organism_id: int) -> Response:
    organisms.delete_amo(_uow(request), organism_id)
    return Response(status_code=204)


# -- AMC ----------------------------------------------------------------------------------------

@router.get("/organisms/amc", response_model=list[AmcOrganismOut])
def amc_list(request: Request, q: SearchText = "", order: Order = "asc",
             limit: Limit = 50) -> list[AmcOrganismOut]:
    rows = organisms.search_amc(_uow(request), q, order=order, limit=limit)
    return [AmcOrganismOut.model_validate(row, from_attributes=True) for row in rows]


@router.get("/organisms/amc/{organism_id}", response_model=AmcOrganismOut, responses=ERRORS)
def amc_get(request: Request, organism_id: int) -> AmcOrganismOut:
    row = organisms.get_amc(_uow(request), organism_id)
    return AmcOrganismOut.model_validate(row, from_attributes=True)


@router.post("/organisms/amc", response_model=AmcOrganismOut, status_code=201,
             responses=ERRORS)
def amc_create(request: Request, body: AmcOrganismIn) -> AmcOrganismOut:
    row = organisms.create_amc(_uow(request), body.model_dump())
    return AmcOrganismOut.model_validate(row, from_attributes=True)


@router.put("/organisms/amc/{organism_id}", response_model=AmcOrganismOut, responses=ERRORS)
def amc_update(request: Request, organism_id: int, body: AmcOrganismIn) -> AmcOrganismOut:
    row = organisms.update_amc(_uow(request), organism_id, body.model_dump())
    return AmcOrganismOut.model_validate(row, from_attributes=True)


@router.delete("/organisms/amc/{organism_id}", status_code=204, responses=ERRORS)
def amc_delete(request: Request, organism_id: int) -> Response:
    organisms.delete_amc(_uow(request), organism_id)
    return Response(status_code=204)
