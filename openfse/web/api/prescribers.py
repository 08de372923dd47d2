"""Prescribers: ``GET /api/prescribers`` (search by the start of the last or first name),
``GET/PUT/DELETE /api/prescribers/{id}``, ``POST /api/prescribers``.

Fields are sent as typed (strings); a refused fiche answers 422 ``invalid_form`` with one
French message per field in ``error.fields`` (``{"rpps": "Clé du numéro RPPS incorrecte…"}``).
"""

from __future__ import annotations

from enum import StrEnum

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from openfse.services import prescribers
from openfse.store.models import Prescriber
from openfse.web.api.errors import documented
from openfse.web.api.params import Limit, Order, SearchText
from openfse.web.api.schemas.fields import NOT_BLANK, Phone, PostalCode, explained
from openfse.web.deps import DeskDep

router = APIRouter(tags=["prescripteurs"])

FICHE_ERRORS = documented(
    404, 422, e404="No such prescriber in the cabinet (`not_found`)",
    e422="`invalid_form`: `error.fields` maps each wrong field to its message")


# The codes spécialité of the pick-list (médecins and the other prescribing professions).
SpecialtyCode = StrEnum(  # type: ignore[misc]
    "SpecialtyCode", {code: code for code, _ in prescribers.specialty_choices()})


class PrescriberIn(BaseModel):
    """A prescriber fiche as typed; at least one of rpps, am_number, adeli is required, each
    checked with its key, and none already another prescriber's (answered in ``fields``)."""

    model_config = ConfigDict(extra="forbid")

    last_name: str = Field(min_length=1, max_length=100, pattern=NOT_BLANK)
    first_name: str | None = Field(default=None, max_length=100)
    specialty_code: SpecialtyCode | None = None
    rpps: str | None = Field(default=None, pattern=explained(
        "^([0-9]{11})?$", "Le numéro RPPS comporte 11 chiffres, clé comprise."),
        description="11 digits, Luhn key included")
    am_number: str | None = Field(default=None, pattern=explained(
        "^([0-9]{9})?$", "Le numéro AM comporte 9 chiffres, clé comprise."),
        description="Numéro de facturation: 9 digits, key included")
    adeli: str | None = Field(default=None, pattern=explained(
        r"^(([0-9]{2}|2[AB])[0-9]{7})?$", "Le numéro ADELI comporte 9 caractères, clé "
                                          "comprise."),
                              description="9 characters (département, 2A/2B in Corse), key "
                                          "included")
    structure: str | None = Field(default=None, max_length=200)
    address_line1: str | None = Field(default=None, max_length=200)
    address_line2: str | None = Field(default=None, max_length=200)
    postal_code: PostalCode = None
    city: str | None = Field(default=None, max_length=100)
    phone: Phone = None


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
def prescriber_list(desk: DeskDep, q: SearchText = "", order: Order = "asc",
                    limit: Limit = 50) -> list[PrescriberOut]:
    rows = prescribers.search(desk.uow(), q, order=order, limit=limit)
    return [PrescriberOut.of(row) for row in rows]


@router.get("/prescribers/{prescriber_id}", response_model=PrescriberOut,
            responses=FICHE_ERRORS)
def prescriber_get(desk: DeskDep, prescriber_id: int) -> PrescriberOut:
    return PrescriberOut.of(prescribers.get(desk.uow(), prescriber_id))


@router.post("/prescribers", response_model=PrescriberOut, status_code=201,
             responses=FICHE_ERRORS)
def prescriber_create(desk: DeskDep, body: PrescriberIn) -> PrescriberOut:
    return PrescriberOut.of(prescribers.create(desk.uow(), body.model_dump()))


@router.put("/prescribers/{prescriber_id}", response_model=PrescriberOut,
            responses=FICHE_ERRORS)
def prescriber_update(desk: DeskDep, prescriber_id: int, body: PrescriberIn) -> PrescriberOut:
    row = prescribers.update(desk.uow(), prescriber_id, body.model_dump())
    return PrescriberOut.of(row)


@router.delete("/prescribers/{prescriber_id}", status_code=204, responses=FICHE_ERRORS)
def prescriber_delete(desk: DeskDep, prescriber_id: int) -> Response:
    prescribers.delete(desk.uow(), prescriber_id)
    return Response(status_code=204)
