"""Mutuelles (AMC contracts) of a patient: list, add, update, delete, renew, duplicate.

Errors (``{"error": {"code", "message", "field"}}``): ``invalid_amc_coverage`` (422, with
``errors``: field → French message, every bad field at once), ``amc_card_read_only`` (409: a
contract read from the carte Vitale is duplicated, not edited), ``amc_rights_open`` (409:
renewing rights that are not closed), ``not_found`` / ``amc_coverage_not_found`` (404).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from pydantic import BaseModel, Field

from openfse.services import amc_coverage as amc

router = APIRouter(tags=["mutuelles"])


class AmcCoverageIn(BaseModel):
    """The fiche mutuelle; codes as in ``openfse.referentials.codes`` (French labels there)."""

    amc_number: str = Field(description="Numéro AMC / NRM, 7 to 10 digits (leading zeros kept)")
    amc_name: str | None = Field(default=None, description="Organism name (required)")
    amc_organism_id: int | None = Field(default=None, description="The cabinet's AMC fiche")
    gestion: str = Field(default="separee", description="separee | unique")
    piece_justificative: str | None = Field(
        default=None, description="aucune | attestation | carte_papier | carte_vitale | …"
    )
    rights_start: date | None = Field(default=None, description="Required")
    rights_end: date | None = Field(default=None, description="Required, ≥ rights_start")
    tiers_payant: bool = True
    contract_number: str | None = None
    adherent_number: str | None = None
    convention_type: str | None = Field(default=None, description="Type de convention, e.g. AL")
    csr: str | None = Field(default=None, description="Critère secondaire de routage, e.g. 001")
    treatment_indicator: str | None = Field(default=None, description="2 characters, e.g. 22")
    reference_date_code: str | None = Field(
        default=None, description="execution | prescription | facturation"
    )
    sts_routing_code: str | None = None
    contract_type: str | None = Field(default=None, description="89 = C2S")
    complementary_number: str | None = None
    routing_code: str | None = None
    host_id: str | None = None
    domain: str | None = None
    formula_code: str | None = Field(default=None, description="012 020 021 029 02A 050 052")
    formula_parameter: Decimal | None = Field(
        default=None, description="Percentage for 012, 021, 02A, 050 (150 = 150 %)"
    )
    contrat_responsable: bool = True


class AmcCoverageOut(AmcCoverageIn):
    id: int
    patient_id: int
    amc_name: str | None = None
    source: str = Field(description="vitale | adri | apcv | attestation | manuel")
    read_only: bool = Field(description="Read from the carte Vitale: duplicate to edit")
    rights_state: str = Field(description="ouverts | fermes | a_venir (today)")
    rights_state_label: str
    situation: str = Field(description="mutuelle | c2s | ame | sortant_c2s | regime_mahorais")


class RenewIn(BaseModel):
    """The new period; by default the current year, after the closed period."""

    rights_start: date | None = None
    rights_end: date | None = None


def _out(view: amc.AmcCoverageView) -> AmcCoverageOut:
    data: dict[str, Any] = {name: getattr(view.data, name) for name in amc.FIELD_NAMES}
    data["gestion"] = view.data.gestion.value
    return AmcCoverageOut(
        **data,
        id=view.id,
        patient_id=view.patient_id,
        source=view.source.value,
        read_only=view.read_only,
        rights_state=view.state.value,
        rights_state_label=view.state.label,
        situation=view.situation.value,
    )


def _today() -> date:
    return date.today()


@router.get("/patients/{patient_id}/amc", response_model=list[AmcCoverageOut])
def list_amc(request: Request, patient_id: int) -> list[AmcCoverageOut]:
    listed = amc.list_for_patient(request.app.state.ctx.uow(), patient_id, on=_today())
    return [_out(view) for view in listed.coverages]


@router.post("/patients/{patient_id}/amc", response_model=AmcCoverageOut, status_code=201)
def add_amc(request: Request, patient_id: int, body: AmcCoverageIn) -> AmcCoverageOut:
    view = amc.add(request.app.state.ctx.uow(), patient_id, body.model_dump(), on=_today())
    return _out(view)


@router.put("/patients/{patient_id}/amc/{amc_id}", response_model=AmcCoverageOut)
def update_amc(
    request: Request, patient_id: int, amc_id: int, body: AmcCoverageIn
) -> AmcCoverageOut:
    view = amc.update(
        request.app.state.ctx.uow(), patient_id, amc_id, body.model_dump(), on=_today()
    )
    return _out(view)


@router.delete("/patients/{patient_id}/amc/{amc_id}", status_code=204)
def delete_amc(request: Request, patient_id: int, amc_id: int) -> Response:
    amc.delete(request.app.state.ctx.uow(), patient_id, amc_id)
    return Response(status_code=204)


@router.post(
    "/patients/{patient_id}/amc/{amc_id}/renew", response_model=AmcCoverageOut, status_code=201
)
def renew_amc(
    request: Request, patient_id: int, amc_id: int, body: Annotated[RenewIn | None, Body()] = None
) -> AmcCoverageOut:
    values = body.model_dump(exclude_none=True) if body is not None else {}
    view = amc.renew(request.app.state.ctx.uow(), patient_id, amc_id, on=_today(), values=values)
    return _out(view)


@router.post(
    "/patients/{patient_id}/amc/{amc_id}/duplicate",
    response_model=AmcCoverageOut,
    status_code=201,
)
def duplicate_amc(request: Request, patient_id: int, amc_id: int) -> AmcCoverageOut:
    view = amc.duplicate(request.app.state.ctx.uow(), patient_id, amc_id, on=_today())
    return _out(view)
