"""Prescribers: ``GET /api/prescribers`` (search by the start of the last or first name),
``GET/PUT/DELETE /api/prescribers/{id}``, ``POST /api/prescribers``.

Fields are sent as typed (strings); a refused fiche answers 422 ``invalid_form`` with one
French message per field in ``error.fields`` (``{"rpps": "Clé du numéro RPPS incorrecte…"}``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict

from openfse.services import prescribers
from openfse.store.models import Prescriber
from openfse.web.api.params import Limit, Order, SearchText

router = APIRouter(tags=["prescripteurs"])

FICHE_ERRORS: dict[int | str, dict[str, str]] = {
    404: {"description": "No such prescriber in the cabinet (`not_found`)"},
    422: {"description": "`invalid_form`: `error.fields` maps each wrong field to its message"},
}


class PrescriberIn(BaseModel):
    """A prescriber fiche as typed; at least one of rpps, am_number, adeli is required."""

    model_config = ConfigDict(extra="forbid")

    last_name: str
    first_name: str | None = None
    specialty_code: str | None = None
    rpps: str | None = None
    am_number: str | None = None
    adeli: str | None = None
    structure: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    phone: str | None = None


class PrescriberOut(BaseModel):
    id: int
    last_name: str
    first_name: str | None
    rpps: str | None
    am_number: str | None
    adeli: str | None
    specialty_code: str | None
    specialty_label: str
    structure: str | None
    address_line1: str | None
    address_line2: str | None
    postal_code: str | None
    city: str | None
    phone: str | None

    @classmethod
    def of(cls, row: Prescriber) -> PrescriberOut:
        return cls.model_validate(
            {**{name: getattr(row, name) for name in (*prescribers.FIELDS, "id")},
             "specialty_label": prescribers.specialty_label(row.specialty_code)})


@router.get("/prescribers", response_model=list[PrescriberOut])
def prescriber_list(request: Request, q: SearchText = "", order: Order = "asc",
                    limit: Limit = 50) -> list[PrescriberOut]:
    rows = prescribers.search(request.app.state.ctx.uow(), q, order=order, limit=limit)
    return [PrescriberOut.of(row) for row in rows]


@router.get("/prescribers/{prescriber_id}", response_model=PrescriberOut,
            responses=FICHE_ERRORS)
def prescriber_get(request: Request, prescriber_id: int) -> PrescriberOut:
    return PrescriberOut.of(prescribers.get(request.app.state.ctx.uow(), prescriber_id))


@router.post("/prescribers", response_model=PrescriberOut, status_code=201,
             responses=FICHE_ERRORS)
def prescriber_create(request: Request, body: PrescriberIn) -> PrescriberOut:
    return PrescriberOut.of(prescribers.create(request.app.state.ctx.uow(), body.model_dump()))


@router.put("/prescribers/{prescriber_id}", response_model=PrescriberOut,
            responses=FICHE_ERRORS)
def prescriber_update(request: Request, prescriber_id: int, body: PrescriberIn) -> PrescriberOut:
    row = prescribers.update(request.app.state.ctx.uow(), prescriber_id, body.model_dump())
    return PrescriberOut.of(row)


@router.delete("/prescribers/{prescriber_id}", status_code=204, responses=FICHE_ERRORS)
def prescriber_delete(request: Request, prescriber_id: int) -> Response:
    prescribers.delete(request.app.state.ctx.uow(), prescriber_id)
    return Response(status_code=204)
