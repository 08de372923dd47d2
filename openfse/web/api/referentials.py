"""Reference tables: CCAM search and NGAP letter keys at a date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from openfse.referentials import ngap
from openfse.referentials.professions import PROFESSION_IDS
from openfse.web.api.params import IsoDate
from openfse.web.deps import DeskDep

router = APIRouter(prefix="/referentials", tags=["référentiels"])
Profession = StrEnum("Profession", {name: name for name in PROFESSION_IDS})  # type: ignore[misc]


class CcamLineOut(BaseModel):
    activity: int
    phase: int
    label: str
    price: Annotated[str | None, "euros with two decimals, null when not reimbursed"]


class CcamActOut(BaseModel):
    code: str
    label: str
    chapter: str
    regroupement: str
    modifiers: list[str]
    lines: list[CcamLineOut]


class NgapKeyOut(BaseModel):
    code: str
    nomenclature: str
    label: str
    kind: str
    value: str
    start: date
    end: date | None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


@router.get("/ccam", response_model=list[CcamActOut])
def search_ccam(
    desk: DeskDep,
    q: Annotated[str, Query(min_length=1, max_length=80, description="Code prefix or keywords")],
    on: Annotated[IsoDate | None, Query(description="Date of care (default: today)")] = None,
    grid: Annotated[str, Query(pattern="^(secteur1_optam|hors_secteur1_hors_optam)$")] = (
        "secteur1_optam"
    ),
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[CcamActOut]:
    catalog = desk.ccam_catalog()
    day = on or desk.today
    return [
        CcamActOut(
            code=act.code,
            label=act.label,
            chapter=act.chapter,
            regroupement=act.regroupement,
            modifiers=list(act.modifiers),
            lines=[
                CcamLineOut(
                    activity=line.activity,
                    phase=line.phase,
                    label=line.label,
                    price=_money(catalog.price(act.code, line.activity, line.phase, grid, day)),
                )
                for line in act.lines
            ],
        )
        for act in catalog.search(q, limit=limit)
    ]


@router.get("/ngap", response_model=list[NgapKeyOut])
def ngap_keys(
    desk: DeskDep,
    profession: Annotated[Profession, Query(description="Profession id, e.g. medecin")],
    on: Annotated[IsoDate | None, Query(description="Date of care (default: today)")] = None,
    prefix: Annotated[str, Query(max_length=40)] = "",
) -> list[NgapKeyOut]:
    day = on or desk.today
    keys = ngap.search(prefix, profession, day) if prefix else ngap.keys(profession, day)
    return [
        NgapKeyOut(
            code=k.code,
            nomenclature=k.nomenclature,
            label=k.label,
            kind=k.kind,
            value=f"{k.value:.2f}",
            start=k.start,
            end=k.end,
        )
        for k in keys
    ]
