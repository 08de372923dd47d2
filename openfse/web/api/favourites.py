"""Favourite care (Mes favoris): ``GET /api/favourites`` (``q``: start of the label;
``professional_id``: his own and the cabinet's; ``cabinet_only``), ``POST``,
``GET/PUT/DELETE /api/favourites/{id}``, and ``GET /api/favourites/{id}/draft-acts``: the acts
as ``acts[]`` of the pricing contract (docs/formats/price.md), ready for ``POST /api/price``.

Codes are checked on ``on`` (default today). Numbers are exchanged as strings ("4.5",
"12.50"), never as binary floats. A refused favourite answers 422 ``invalid_form`` with
``error.fields`` keyed like ``acts[1].code``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from openfse.services import favourites
from openfse.services.favourites import CABINET, FavouriteActLine, FavouriteView
from openfse.web.api.errors import documented
from openfse.web.api.params import IsoDate, Limit, Order, SearchText
from openfse.web.api.schemas.fields import JSON_INT, NOT_BLANK, RowId, explained
from openfse.web.deps import DeskDep

router = APIRouter(tags=["favoris"])

ERRORS = documented(
    404, 422, e404="No such favourite in the cabinet (`not_found`)",
    e422="`invalid_form`: `error.fields` maps `label`, `acts[i].code`… to their message")
OnDate = Annotated[IsoDate | None, Query(description="Date the codes are checked on "
                                                  "(default: today)")]
# Decimals travel as strings ("4.5", "12,50"), never as binary floats (services.favourites).
# NGAP coefficient: > 0 and < 1000, at most 3 decimals.
Coefficient = Annotated[str | None, Field(
    default=None, examples=["4.5"],
    pattern=explained(
        r"^([1-9][0-9]{0,2}([.,][0-9]{1,3})?|0[.,]([1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9]))$",
        "Le coefficient est un nombre positif inférieur à 1000, avec au plus 3 décimales."),
    description='Decimal as a string, > 0 and < 1000, at most 3 decimals: "4.5", "1,5"')]
# Tarification override: 0 to 99 999,99 €, at most 2 decimals.
UnitPrice = Annotated[str | None, Field(
    default=None, examples=["12.50"],
    pattern=explained(r"^(0|[1-9][0-9]{0,4})([.,][0-9]{1,2})?$",
                      "Le prix unitaire est un montant en euros de 0 à 99 999,99 avec au plus "
                      "2 décimales."),
    description='Euros as a string, 0 to 99999.99: "12.50", "12,5"')]
# One CCAM modifier letter, or several typed as "F P", "F,P" or "FP" (at most 4, all different).
Modifier = Annotated[str, Field(pattern="^[A-Za-z0-9]$")]
ModifiersText = Annotated[str, Field(
    pattern=r"^([A-Za-z0-9]([ ,;]+[A-Za-z0-9]){0,3}|[A-Za-z0-9]{0,4})$")]


class FavouriteActIn(BaseModel):
    """One act: an NGAP code known at the date (or priced by ``unit_price``), or a CCAM code
    of the catalogue with its activity, phase and modifiers (answered in ``fields``)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=explained(r"^([A-Za-z]{4}[0-9]{3}|[A-Za-z][A-Za-z0-9]{0,5})$",
                                        "Code d'acte invalide (un code NGAP comme AMI, ou un "
                                        "code CCAM comme AFLB001)."),
                      examples=["AMI", "AFLB001"],
                      description="NGAP (AMI, G…) or CCAM (4 letters, 3 digits) code")
    quantity: Annotated[int, Field(ge=1, le=favourites.MAX_QUANTITY), JSON_INT] | None = None
    coefficient: Coefficient = None
    activity: Annotated[int, Field(ge=1, le=5), JSON_INT] | None = Field(
        default=None, description="CCAM only")
    phase: Annotated[int, Field(ge=0, le=9), JSON_INT] | None = Field(
        default=None, description="CCAM only")
    modifiers: ModifiersText | Annotated[list[Modifier], Field(max_length=4)] | None = Field(
        default=None, description="CCAM only")
    unit_price: UnitPrice = None
    qualificatif: str | None = Field(default=None, max_length=10,
                                     description="Qualificatif de dépense, e.g. N")
    travel_allowance_code: str | None = Field(default=None, max_length=10,
                                              description="Indemnité de déplacement, e.g. IFD")


class FavouriteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=200, pattern=NOT_BLANK)
    professional_id: RowId | None = Field(None,
                                        description="None: a favourite of the cabinet")
    acts: list[FavouriteActIn] = Field(min_length=1, max_length=favourites.MAX_ACTS)

    def as_data(self) -> dict[str, Any]:
        data = self.model_dump()
        for act in data["acts"]:
            if isinstance(act["modifiers"], list):
                act["modifiers"] = " ".join(act["modifiers"])
        return data


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class FavouriteActOut(BaseModel):
    code: str
    nomenclature: str
    quantity: int
    coefficient: str | None
    activity: int | None
    phase: int | None
    modifiers: list[str]
    unit_price: str | None
    qualificatif: str | None
    travel_allowance_code: str | None

    @classmethod
    def of(cls, line: FavouriteActLine) -> FavouriteActOut:
        return cls(code=line.code, nomenclature=line.nomenclature, quantity=line.quantity,
                   coefficient=_text(line.coefficient), activity=line.activity,
                   phase=line.phase, modifiers=list(line.modifiers),
                   unit_price=_text(line.unit_price), qualificatif=line.qualificatif,
                   travel_allowance_code=line.travel_allowance_code)


class FavouriteOut(BaseModel):
    id: int
    label: str
    professional_id: int | None
    summary: str
    acts: list[FavouriteActOut]

    @classmethod
    def of(cls, view: FavouriteView) -> FavouriteOut:
        return cls(id=view.id, label=view.label, professional_id=view.professional_id,
                   summary=view.summary(), acts=[FavouriteActOut.of(a) for a in view.acts])


@router.get("/favourites", response_model=list[FavouriteOut])
def favourite_list(desk: DeskDep, q: SearchText = "", order: Order = "asc",
                   limit: Limit = 50, professional_id: int | None = None,
                   cabinet_only: bool = False) -> list[FavouriteOut]:
    owner: int | str | None = CABINET if cabinet_only else professional_id
    rows = favourites.search(desk.uow(), q, professional_id=owner,
                             order=order, limit=limit)
    return [FavouriteOut.of(row) for row in rows]


@router.get("/favourites/{favourite_id}", response_model=FavouriteOut, responses=ERRORS)
def favourite_get(desk: DeskDep, favourite_id: int) -> FavouriteOut:
    return FavouriteOut.of(favourites.get(desk.uow(), favourite_id))


class DraftActOut(BaseModel):
    """One ``acts[]`` object of the pricing contract (docs/formats/price.md); keys that do
    not apply are left out."""

    model_config = ConfigDict(extra="forbid")

    code: str
    nomenclature: Literal["NGAP", "CCAM"]
    quantity: int
    coefficient: str | None = Field(default=None, description="NGAP: decimal as a string")
    activity: int | None = Field(default=None, description="CCAM")
    phase: int | None = Field(default=None, description="CCAM")
    modifiers: list[str] | None = Field(default=None, description="CCAM")
    unit_price: str | None = Field(default=None, description="Euros as a string")
    qualificatif: str | None = None


@router.get("/favourites/{favourite_id}/draft-acts", response_model=list[DraftActOut],
            response_model_exclude_unset=True, responses=ERRORS)
def favourite_draft_acts(desk: DeskDep, favourite_id: int) -> list[DraftActOut]:
    """The favourite's acts as ``acts[]`` of ``POST /api/price`` (decimals as strings)."""
    view = favourites.get(desk.uow(), favourite_id)
    return [DraftActOut.model_validate({key: str(value) if isinstance(value, Decimal) else value
                                        for key, value in act.items()})
            for act in favourites.acts_as_draft(view)]


@router.post("/favourites", response_model=FavouriteOut, status_code=201, responses=ERRORS)
def favourite_create(desk: DeskDep, body: FavouriteIn, on: OnDate = None) -> FavouriteOut:
    view = favourites.create(desk.uow(), body.as_data(), on=on or desk.today,
                             ccam=desk.ccam_catalog())
    return FavouriteOut.of(view)


@router.put("/favourites/{favourite_id}", response_model=FavouriteOut, responses=ERRORS)
def favourite_update(desk: DeskDep, favourite_id: int, body: FavouriteIn,
                     on: OnDate = None) -> FavouriteOut:
    view = favourites.update(desk.uow(), favourite_id, body.as_data(), on=on or desk.today,
                             ccam=desk.ccam_catalog())
    return FavouriteOut.of(view)


@router.delete("/favourites/{favourite_id}", status_code=204, responses=ERRORS)
def favourite_delete(desk: DeskDep, favourite_id: int) -> Response:
    favourites.delete(desk.uow(), favourite_id)
    return Response(status_code=204)
