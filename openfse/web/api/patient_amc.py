"""Mutuelles (AMC contracts) of a patient: list, add, update, delete, renew, duplicate.

Errors (``{"error": {"code", "message", "field"}}``): ``invalid_amc_coverage`` (422, with
``errors``: field → French message, every bad field at once), ``amc_card_read_only`` (409: a
contract read from the carte Vitale is duplicated, not edited), ``amc_rights_open`` (409:
renewing rights that are not closed), ``not_found`` / ``amc_coverage_not_found`` (404).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat

from openfse.services import amc_coverage as amc
from openfse.store.models.common import AmcGestion
from openfse.web.api.errors import documented
from openfse.web.api.schemas.fields import JSON_INT, NOT_BLANK, RowId
from openfse.web.deps import DeskDep

router = APIRouter(tags=["mutuelles"])
ERRORS = documented(
    404, 409, 422, e404="`not_found` / `amc_coverage_not_found`",
    e409="`amc_card_read_only` (duplicate a contract read from the card) or `amc_rights_open`",
    e422="`invalid_form`: `error.fields` maps each wrong field to its message")


def _letters_digits(low: int, high: int, extra: str = "") -> str:
    return f"^([0-9A-Za-z{extra}]{{{low},{high}}})?$"


class AmcCoverageIn(BaseModel):
    """The fiche mutuelle; codes as in ``openfse.referentials.codes`` (French labels there).

    The shapes below are the service's (``services.amc_coverage.parse``); the codes of the
    lists at the date, the formula's parameter bounds and the period's order come back in
    ``fields``."""

    model_config = ConfigDict(extra="forbid")

    amc_number: str = Field(pattern="^[0-9]{7,10}$",
                            description="Numéro AMC / NRM, 7 to 10 digits (leading zeros kept)")
    amc_name: str = Field(min_length=1, max_length=200, pattern=NOT_BLANK,
                          description="Organism name")
    amc_organism_id: RowId | None = Field(default=None,
                                        description="The cabinet's AMC fiche")
    gestion: AmcGestion = AmcGestion.SEPAREE
    piece_justificative: str | None = Field(
        default=None, max_length=20,
        description="aucune | attestation | carte_papier | carte_vitale | …")
    rights_start: date
    rights_end: date = Field(description="≥ rights_start")
    tiers_payant: StrictBool = True
    contract_number: str | None = Field(default=None, max_length=30)
    adherent_number: str | None = Field(default=None, pattern=_letters_digits(1, 30))
    convention_type: str | None = Field(default=None, pattern=_letters_digits(2, 2),
                                        description="Type de convention, e.g. AL")
    csr: str | None = Field(default=None, pattern=_letters_digits(1, 3),
                            description="Critère secondaire de routage, e.g. 001")
    treatment_indicator: str | None = Field(default=None, max_length=2,
                                            description="2 characters, e.g. 22")
    reference_date_code: Literal["execution", "prescription", "facturation"] | None = None
    sts_routing_code: str | None = Field(default=None, pattern=_letters_digits(1, 2))
    contract_type: str | None = Field(default=None, pattern="^([0-9]{1,2})?$",
                                      description="89 = C2S")
    complementary_number: str | None = Field(default=None, pattern="^([0-9]{7,10})?$")
    routing_code: str | None = Field(default=None, pattern=_letters_digits(1, 10))
    host_id: str | None = Field(default=None, pattern=_letters_digits(1, 64, "._-"))
    domain: str | None = Field(default=None, pattern=_letters_digits(1, 128, "._-"))
    formula_code: str | None = Field(default=None, pattern="^([0-9]{2}[0-9A-Za-z])?$",
                                     description="012 020 021 029 02A 050 052")
    # A JSON number (its shortest text is what the service reads: 33.5 is "33.5", never a
    # binary approximation); the formula's own bounds come back in ``fields``.
    formula_parameter: (Annotated[int, Field(ge=0, le=1000), JSON_INT]
                        | Annotated[StrictFloat, Field(ge=0, le=1000)] | None) = Field(
        default=None, description="Percentage for 012, 021, 02A, 050 (150 = 150 %), at most "
                                  "2 decimals")
    contrat_responsable: StrictBool = True


class AmcCoverageOut(BaseModel):
    """A fiche mutuelle as stored (a contract read from a card may lack what a typed one
    must hold)."""

    id: int
    patient_id: int
    amc_number: str
    amc_name: str | None
    amc_organism_id: int | None
    gestion: AmcGestion
    piece_justificative: str | None
    rights_start: date | None
    rights_end: date | None
    tiers_payant: bool
    contract_number: str | None
    adherent_number: str | None
    convention_type: str | None
    csr: str | None
    treatment_indicator: str | None
    reference_date_code: str | None
    sts_routing_code: str | None
    contract_type: str | None
    complementary_number: str | None
    routing_code: str | None
    host_id: str | None
    domain: str | None
    formula_code: str | None
    formula_parameter: Decimal | None
    contrat_responsable: bool
    source: str = Field(description="vitale | adri | apcv | attestation | manuel")
    read_only: bool = Field(description="Read from the carte Vitale: duplicate to edit")
    rights_state: str = Field(description="ouverts | fermes | a_venir | non_dates (today)")
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


@router.get("/patients/{patient_id}/amc", response_model=list[AmcCoverageOut],
            responses=ERRORS)
def list_amc(desk: DeskDep, patient_id: int) -> list[AmcCoverageOut]:
    listed = amc.list_for_patient(desk.uow(), patient_id, on=desk.today)
    return [_out(view) for view in listed.coverages]


@router.post("/patients/{patient_id}/amc", response_model=AmcCoverageOut, status_code=201,
             responses=ERRORS)
def add_amc(desk: DeskDep, patient_id: int, body: AmcCoverageIn) -> AmcCoverageOut:
    view = amc.add(desk.uow(), patient_id, body.model_dump(), on=desk.today)
    return _out(view)


@router.put("/patients/{patient_id}/amc/{amc_id}", response_model=AmcCoverageOut,
            responses=ERRORS)
def update_amc(desk: DeskDep, patient_id: int, amc_id: int, body: AmcCoverageIn
               ) -> AmcCoverageOut:
    view = amc.update(desk.uow(), patient_id, amc_id, body.model_dump(), on=desk.today)
    return _out(view)


@router.delete("/patients/{patient_id}/amc/{amc_id}", status_code=204, responses=ERRORS)
def delete_amc(desk: DeskDep, patient_id: int, amc_id: int) -> Response:
    amc.delete(desk.uow(), patient_id, amc_id)
    return Response(status_code=204)


@router.post(
    "/patients/{patient_id}/amc/{amc_id}/renew", response_model=AmcCoverageOut, status_code=201,
    responses=ERRORS)
def renew_amc(
    desk: DeskDep, patient_id: int, amc_id: int, body: Annotated[RenewIn | None, Body()] = None
) -> AmcCoverageOut:
    values = body.model_dump(exclude_none=True) if body is not None else {}
    view = amc.renew(desk.uow(), patient_id, amc_id, on=desk.today, values=values)
    return _out(view)


@router.post(
    "/patients/{patient_id}/amc/{amc_id}/duplicate",
    response_model=AmcCoverageOut,
    status_code=201,
    responses=ERRORS,
)
def duplicate_amc(desk: DeskDep, patient_id: int, amc_id: int) -> AmcCoverageOut:
    view = amc.duplicate(desk.uow(), patient_id, amc_id, on=desk.today)
    return _out(view)
