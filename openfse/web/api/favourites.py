"""Favourite care (Mes favoris): ``GET /api/favourites`` (``q``: start of the label;
``professional_id``: his own and the cabinet's; ``cabinet_only``), ``POST``,
``GET/PUT/DELETE /api/favourites/{id}``, and ``GET /api/favourites/{id}/draft-acts``: the acts
as ``acts[]`` of the pricing contract (docs/formats/price.md), ready for ``POST /api/price``.

Codes are checked on ``on`` (default today). Numbers are exchanged as strings ("4.5",
"12.50"), never as binary floats. A refused favourite answers 422 ``invalid_form`` with
``error.fields`` keyed like ``acts[1].code``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from openfse.services import favourites
from openfse.services.favourites import CABINET, FavouriteActLine, FavouriteView
from openfse.web.api.params import Limit, Order, SearchText

router = APIRouter(tags=["favoris"])

ERRORS: dict[int | str, dict[str, str]] = {
    404: {"description": "No such favourite in the cabinet (`not_found`)"},
    422: {"description": "`invalid_form`: `error.fields` maps `label`, `acts[i].code`… to "
                         "their message"},
}
OnDate = Annotated[date | None, Query(description="Date the codes are checked on "
                                                  "(default: today)")]
Number = Annotated[str | int | None, Field(description='Decimal as a string: "4.5", "12,50"')]


class FavouriteActIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    quantity: int | str | None = None
    coefficient: Number = None
    activity: int | str | None = None
    phase: int | str | None = None
    modifiers: str | list[str] | None = None
    unit_price: Number = None
    qualificatif: str | None = None
    travel_allowance_code: str | None = None


class FavouriteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    professional_id: int | None = Field(None, description="None: a favourite of the cabinet")
    acts: list[FavouriteActIn] = Field(default_factory=list, max_length=favourites.MAX_ACTS)

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
def favourite_list(request: Request, q: SearchText = "", order: Order = "asc",
                   limit: Limit = 50, professional_id: int | None = None,
                   cabinet_only: bool = False) -> list[FavouriteOut]:
    owner: int | str | None = CABINET if cabinet_only else professional_id
    rows = favourites.search(request.app.state.ctx.uow(), q, professional_id=owner,
                             order=order, limit=limit)
    return [FavouriteOut.of(row) for row in rows]


@router.get("/favourites/{favourite_id}", response_model=FavouriteOut, responses=ERRORS)
def favourite_get(request: Request, favourite_id: int) -> FavouriteOut:
    return FavouriteOut.of(favourites.get(request.app.state.ctx.uow(), favourite_id))


@router.get("/favourites/{favourite_id}/draft-acts", responses=ERRORS)
def favourite_draft_acts(request: Request, favourite_id: int) -> list[dict[str, Any]]:
    """The favourite's acts as ``acts[]`` of ``POST /api/price`` (decimals as strings)."""
    view = favourites.get(request.app.state.ctx.uow(), favourite_id)
    return [{key: str(value) if isinstance(value, Decimal) else value
             for key, value in act.items()} for act in favourites.acts_as_draft(view)]


@router.post("/favourites", response_model=FavouriteOut, status_code=201, responses=ERRORS)
def favourite_create(request: Request, body: FavouriteIn, on: OnDate = None) -> FavouriteOut:
    ctx = request.app.state.ctx
    view = favourites.create(ctx.uow(), body.as_data(), on=on or date.today(),
                             ccam=ctx.ccam_catalog())
    return FavouriteOut.of(view)


@router.put("/favourites/{favourite_id}", response_model=FavouriteOut, responses=ERRORS)
def favourite_update(request: Request, favourite_id: int, body: FavouriteIn,
                     on: OnDate = None) -> FavouriteOut:
    ctx = request.app.state.ctx
    view = favourites.update(ctx.uow(), favourite_id, body.as_data(), on=on or date.today(),
                             ccam=ctx.ccam_catalog())
    return FavouriteOut.of(view)


@router.delete("/favourites/{favourite_id}", status_code=204, responses=ERRORS)
def favourite_delete(request: Request, favourite_id: int) -> Response:
    favourites.delete(request.app.state.ctx.uow(), favourite_id)
    return Response(status_code=204)
