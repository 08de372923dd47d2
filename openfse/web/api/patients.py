"""Patients of the cabinet: search, files (create, read, update, delete, merge), family links,
ADRi (rights of the day, compare and choose) and the carte Vitale.

Errors (``{"error": {"code", "message", "field"}}``): ``invalid_patient`` (422, with
``errors``: field → French message, every bad field at once), ``duplicate_patient`` (409,
with ``patient_id``), ``identity_locked`` (409: the identity of a file read from a card or
ADRi), ``patient_has_invoices`` (409: merge instead), ``merge_validated_invoices`` (409),
``family_link_exists`` (409), ``adri_unavailable`` (503: bill with the card's rights),
``adri_unknown_patient`` (404), ``pending_expired`` / ``not_found`` (404), card errors
(``card_absent``, ``wrong_card``, ``cps_required``… 409).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from openfse.adapters.cards.errors import CardError
from openfse.adapters.teleservices.port import AdriRequest
from openfse.domain.cards import StatusColour
from openfse.errors import NotFound, OpenFSEError
from openfse.services import patients as service
from openfse.services.patient_forms import (
    AldInput,
    PatientFormErrors,
    PatientInput,
    PeriodInput,
)
from openfse.services.teleservices import (
    AdriFound,
    AdriMismatch,
    AdriResult,
    AdriUnavailableResult,
    query_adri,
)
from openfse.store.models import DataSource, FamilyRelation, Patient
from openfse.web.api.params import Limit, Order, SearchText
from openfse.web.pending import PendingKind, keep, kept

router = APIRouter(tags=["patients"])

MoneyStr = Annotated[str, Field(pattern=r"^-?[0-9]+\.[0-9]{2}$", examples=["69.35"])]
T = TypeVar("T")


def _today() -> date:
    return date.today()  # read once at the edge


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


# --------------------------------------------------------------------------- models


class PatientOut(BaseModel):
    id: int
    last_name: str
    usage_name: str | None
    first_name: str
    birth_date_text: str | None
    birth_date: date | None
    birth_rank: int
    nir: str | None
    is_company: bool
    company_name: str | None
    source: str
    alert: str | None = None
    notes_flagged: bool = False


class PeriodIn(BaseModel):
    start: date | None = None
    end: date | None = None
    exoneration: str | None = Field(default=None, description="0 3 4 5 7 9 (codes.EXONERATION)")


class AldIn(BaseModel):
    code: str = Field(description="ALD list number, e.g. 8")
    label: str | None = None
    cim10: str | None = Field(default=None, examples=["E11"])
    start: date | None = None
    end: date | None = None


class PatientIn(BaseModel):
    """A patient file typed from an attestation, or a client professionnel.

    Dates of birth as written (``JJ/MM/AAAA``, ``AAAAMMJJ``; lunar dates need ``lunar``).
    On a file read from a card or ADRi, identity fields may be omitted; a different value is
    refused (``identity_locked``).
    """

    is_company: bool = False
    company_name: str = ""
    company_siret: str = ""
    last_name: str = ""
    usage_name: str = ""
    first_name: str = ""
    sex: Literal["", "M", "F", "I"] = ""
    birth_date: str = Field(default="", examples=["01/01/1983"])
    lunar: bool = False
    birth_rank: str = Field(default="", description="1 to 9 (1 when omitted)")
    quality: str = Field(default="", description="qualité du bénéficiaire, 00 = assuré")
    beneficiary_nir: str = ""
    nir: str = Field(default="", description="NIR of the assuré (ouvrant droit), with its key")
    insured_last_name: str = ""
    insured_first_name: str = ""
    mobile_phone: str = ""
    phone: str = ""
    email: str = ""
    address_line1: str = ""
    address_line2: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""
    ik_plain_km: str = Field(default="", examples=["4.5"])
    ik_mountain_km: str = ""
    ik_ski_km: str = ""
    notes: str = ""
    notes_flagged: bool = False
    alert: str = ""
    alsace_moselle: bool = False
    amo_regime: str = Field(default="", examples=["01"])
    amo_caisse: str = Field(default="", examples=["841"])
    amo_centre: str = Field(default="", examples=["5623"])
    amo_organism_name: str = Field(default="", description="Adds the organism to the list")
    code_gestion: str = ""
    piece_justificative: str = Field(default="", description="codes.PIECE_JUSTIFICATIVE")
    taux_remboursement: str = ""
    periods: list[PeriodIn] = Field(default_factory=list, max_length=6)
    alds: list[AldIn] = Field(default_factory=list, max_length=12)

    def to_input(self) -> PatientInput:
        def text(value: object) -> str:
            return "" if value is None else str(value)

        values = self.model_dump(exclude={"periods", "alds"})
        return PatientInput(
            **values,
            periods=tuple(PeriodInput(text(p.start), text(p.end), text(p.exoneration))
                          for p in self.periods),
            alds=tuple(AldInput(a.code, text(a.label), text(a.cim10), text(a.start),
                                text(a.end)) for a in self.alds),
        )


class AmoOut(BaseModel):
    id: int
    regime: str
    caisse: str
    centre: str
    code_gestion: str | None
    piece_justificative: str | None
    taux_remboursement: str | None
    rights_start: date | None
    rights_end: date | None
    state: str = Field(description="ouverts | fermés | à venir | non datés (today)")
    exoneration: str | None
    alsace_moselle: bool
    source: str


class AldOut(BaseModel):
    id: int
    code: str
    label: str | None
    cim10: str | None
    rights_start: date | None
    rights_end: date | None


class AmcSummaryOut(BaseModel):
    id: int
    amc_number: str
    amc_name: str | None
    rights_start: date | None
    rights_end: date | None
    source: str


class FamilyMemberOut(BaseModel):
    link_id: int
    patient: PatientOut
    relation: str = Field(description="What the member is to the patient")
    unpaid: MoneyStr


class PatientFileOut(BaseModel):
    patient: PatientOut
    details: dict[str, Any] = Field(description="Contact details, distances, notes, alert…")
    identity_locked: bool
    rights_closed: bool
    amo: list[AmoOut]
    alds: list[AldOut]
    amc: list[AmcSummaryOut]
    family: list[FamilyMemberOut]
    unpaid: MoneyStr
    family_balance: MoneyStr
    has_invoices: bool


_DETAILS = ("sex", "quality", "beneficiary_nir", "insured_last_name", "insured_first_name",
            "mobile_phone", "phone", "email", "address_line1", "address_line2", "postal_code",
            "city", "country", "ik_plain_km", "ik_mountain_km", "ik_ski_km", "notes", "alert",
            "notes_flagged", "alsace_moselle", "company_siret")


def _patient_out(patient: Patient) -> PatientOut:
    return PatientOut.model_validate(patient, from_attributes=True)


def _file_out(file: service.PatientFile) -> PatientFileOut:
    p = file.patient
    details: dict[str, Any] = {}
    for name in _DETAILS:
        value = getattr(p, name)
        details[name] = str(value) if isinstance(value, Decimal) else (
            value.value if hasattr(value, "value") else value)
    return PatientFileOut(
        patient=_patient_out(p), details=details, identity_locked=file.identity_locked,
        rights_closed=file.rights_closed,
        amo=[AmoOut(id=r.id, regime=r.regime, caisse=r.caisse, centre=r.centre,
                    code_gestion=r.code_gestion, piece_justificative=r.piece_justificative,
                    taux_remboursement=r.taux_remboursement, rights_start=r.rights_start,
                    rights_end=r.rights_end, state=state, exoneration=r.exoneration,
                    alsace_moselle=r.alsace_moselle, source=r.source.value)
             for r, state in service.rows_for_display(file)],
        alds=[AldOut.model_validate(a, from_attributes=True) for a in file.alds],
        amc=[AmcSummaryOut(id=c.id, amc_number=c.amc_number, amc_name=c.amc_name,
                           rights_start=c.rights_start, rights_end=c.rights_end,
                           source=c.source.value) for c in file.amc],
        family=[FamilyMemberOut(link_id=m.link_id, patient=_patient_out(m.patient),
                                relation=m.relation.value, unpaid=_money(m.unpaid))
                for m in file.family],
        unpaid=_money(file.unpaid), family_balance=_money(file.family_balance),
        has_invoices=file.has_invoices)


def _form_errors(errors: PatientFormErrors) -> JSONResponse:
    body = {"error": {**errors.as_dict(), "errors": errors.errors}}
    return JSONResponse(body, status_code=422)


def _checked(call: Callable[[], T]) -> T | JSONResponse:
    """Run a use case; a form error answers 422 with every field (other errors go to the
    app's handler: 404 / 409 / 422)."""
    try:
        return call()
    except PatientFormErrors as errors:
        return _form_errors(errors)
    except service.DuplicatePatient as error:
        body = {"error": {**error.as_dict(), "patient_id": error.patient_id}}
        return JSONResponse(body, status_code=409)


def _ctx(request: Request) -> Any:
    return request.app.state.ctx


# --------------------------------------------------------------------------- search & files


@router.get("/patients", response_model=list[PatientOut])
def patients(
    request: Request, q: SearchText = "", order: Order = "asc", limit: Limit = 50
) -> list[PatientOut]:
    """Patients whose last, first or usage name starts with ``q`` (seed 001 « Recherche »)."""
    rows = service.search_patients(_ctx(request).uow(), q, order=order, limit=limit)
    return [_patient_out(p) for p in rows]


@router.post("/patients", status_code=201, response_model=PatientFileOut,
             responses={409: {"description": "duplicate_patient"},
                        422: {"description": "invalid_patient"}})
def create_patient(request: Request, body: PatientIn) -> Any:
    ctx = _ctx(request)
    created = _checked(lambda: service.create_patient(ctx.uow(), body.to_input(), _today()))
    if isinstance(created, JSONResponse):
        return created
    return _file_out(service.open_file(ctx.uow(), created.id, _today()))


@router.get("/patients/{patient_id}", response_model=PatientFileOut)
def patient_file(request: Request, patient_id: int) -> PatientFileOut:
    return _file_out(service.open_file(_ctx(request).uow(), patient_id, _today()))


@router.put("/patients/{patient_id}", response_model=PatientFileOut,
            responses={409: {"description": "identity_locked / duplicate_patient"},
                       422: {"description": "invalid_patient"}})
def update_patient(request: Request, patient_id: int, body: PatientIn) -> Any:
    ctx = _ctx(request)
    updated = _checked(lambda: service.update_patient(ctx.uow(), patient_id, body.to_input(),
                                                      _today(), strict_identity=True))
    if isinstance(updated, JSONResponse):
        return updated
    return _file_out(service.open_file(ctx.uow(), patient_id, _today()))


@router.delete("/patients/{patient_id}", status_code=204,
               responses={409: {"description": "patient_has_invoices: merge instead"}})
def delete_patient(request: Request, patient_id: int) -> Response:
    service.delete_patient(_ctx(request).uow(), patient_id)
    return Response(status_code=204)


class MergeIn(BaseModel):
    other_id: int = Field(description="The file merged into this one, then deleted")


@router.post("/patients/{patient_id}/merge", response_model=PatientFileOut)
def merge_patient(request: Request, patient_id: int, body: MergeIn) -> PatientFileOut:
    ctx = _ctx(request)
    service.merge_patients(ctx.uow(), patient_id, body.other_id)
    return _file_out(service.open_file(ctx.uow(), patient_id, _today()))


# --------------------------------------------------------------------------- family


class FamilyLinkIn(BaseModel):
    relative_id: int
    relation: FamilyRelation = Field(description="What the relative is to the patient")


@router.get("/patients/{patient_id}/family", response_model=list[FamilyMemberOut])
def family(request: Request, patient_id: int) -> list[FamilyMemberOut]:
    return _file_out(service.open_file(_ctx(request).uow(), patient_id, _today())).family


@router.post("/patients/{patient_id}/family", status_code=201,
             response_model=list[FamilyMemberOut])
def add_relative(request: Request, patient_id: int, body: FamilyLinkIn) -> list[FamilyMemberOut]:
    ctx = _ctx(request)
    service.link_family(ctx.uow(), patient_id, body.relative_id, body.relation)
    return _file_out(service.open_file(ctx.uow(), patient_id, _today())).family


@router.delete("/patients/{patient_id}/family/{link_id}", status_code=204)
def remove_relative(request: Request, patient_id: int, link_id: int) -> Response:
    service.unlink_family(_ctx(request).uow(), patient_id, link_id)
    return Response(status_code=204)


# --------------------------------------------------------------------------- ADRi


class ComparedFieldOut(BaseModel):
    key: str
    label: str
    file_value: str
    adri_value: str
    differs: bool


class AdriOut(BaseModel):
    """ADRi's answer compared with the file; apply the chosen fields with the ``token``."""

    outcome: Literal["found", "mismatch"]
    message: str
    token: str
    amo_open: bool
    beneficiary: str
    fields: list[ComparedFieldOut]


def _unavailable(result: AdriUnavailableResult) -> JSONResponse:
    body = {"error": {"code": "adri_unavailable", "message": result.message,
                      "reason": result.reason}}
    return JSONResponse(body, status_code=503)


def _adri_failure(result: AdriResult) -> JSONResponse | None:
    if isinstance(result, AdriUnavailableResult):
        return _unavailable(result)
    if not isinstance(result, AdriFound | AdriMismatch):
        body = {"error": {"code": "adri_unknown_patient", "message": result.message}}
        return JSONResponse(body, status_code=404)
    return None


@router.post("/patients/{patient_id}/adri", response_model=AdriOut,
             responses={503: {"description": "adri_unavailable"},
                        404: {"description": "adri_unknown_patient / not_found"}})
def query_rights(request: Request, patient_id: int) -> Any:
    """« Interroger l'ADRI »: the rights of the day, compared field by field with the file."""
    ctx = _ctx(request)
    _, result = service.query_patient_rights(ctx.uow(), ctx.adri, patient_id, _today())
    failure = _adri_failure(result)
    if failure is not None:
        return failure
    assert isinstance(result, AdriFound | AdriMismatch)
    answer = result.answer if isinstance(result, AdriFound) else result.returned
    token = keep(request, PendingKind.ADRI, answer, patient_id)
    comparison = service.compare_with_adri(ctx.uow(), patient_id, answer, _today())
    return AdriOut(
        outcome="found" if isinstance(result, AdriFound) else "mismatch",
        message=result.message, token=token, amo_open=answer.amo_open,
        beneficiary=answer.beneficiary.display_name,
        fields=[ComparedFieldOut(key=f.key, label=f.label, file_value=f.file_value,
                                 adri_value=f.adri_value, differs=f.differs)
                for f in comparison.fields])


class AdriChoiceIn(BaseModel):
    take_from_adri: list[str] = Field(
        default_factory=list, description=f"Any of {', '.join(service.ADRI_FIELDS)}")


@router.post("/patients/{patient_id}/adri/{token}", response_model=PatientFileOut)
def apply_rights(request: Request, patient_id: int, token: str,
                 body: AdriChoiceIn) -> PatientFileOut:
    answer = kept(request, token, PendingKind.ADRI, patient_id)
    ctx = _ctx(request)
    service.apply_adri(ctx.uow(), patient_id, answer, body.take_from_adri, _today())
    return _file_out(service.open_file(ctx.uow(), patient_id, _today()))


class AdriCreateIn(BaseModel):
    nir: str
    birth_date: str = Field(examples=["08/05/1990"])
    birth_rank: int = Field(default=1, ge=1, le=9)
    regime: str = Field(default="01")
    caisse: str | None = Field(default=None, description="Required for a NIR 7 or 8")
    centre: str | None = Field(default=None, description="Required for a NIR 7 or 8")


@router.post("/patients/adri", status_code=201, response_model=PatientFileOut,
             responses={503: {"description": "adri_unavailable"},
                        404: {"description": "adri_unknown_patient"}})
def create_by_adri(request: Request, body: AdriCreateIn) -> Any:
    """Create the file of the beneficiary ADRi knows (seed 000 « mode ADRI »)."""
    ctx = _ctx(request)
    adri_request = AdriRequest.create(nir=body.nir, birth_date=body.birth_date,
                                      rang=body.birth_rank, regime=body.regime,
                                      caisse=body.caisse, centre=body.centre)
    result = query_adri(ctx.adri, adri_request, _today())
    failure = _adri_failure(result)
    if failure is not None:
        return failure
    assert isinstance(result, AdriFound | AdriMismatch)
    answer = result.answer if isinstance(result, AdriFound) else result.returned
    created = _checked(lambda: service.create_from_adri(ctx.uow(), answer, _today()))
    if isinstance(created, JSONResponse):
        return created
    return _file_out(service.open_file(ctx.uow(), created.id, _today()))


# --------------------------------------------------------------------------- carte Vitale


class BeneficiaryOut(BaseModel):
    nom: str
    prenom: str
    birth_date: str = Field(description="AAAAMMJJ as on the card (lunar dates kept)")
    rank: int
    quality: str
    nir: str
    status: Literal["vert", "jaune", "gris"]
    differences: list[dict[str, str]]
    patient_id: int | None


class BeneficiaryKey(BaseModel):
    nir: str
    birth_date: str
    rank: int


def _card_failure(error: OpenFSEError) -> JSONResponse:
    return JSONResponse({"error": error.as_dict()}, status_code=409)


@router.get("/patients/vitale/beneficiaries", response_model=list[BeneficiaryOut],
            responses={409: {"description": "card_absent / wrong_card / cps_required"}})
def vitale_beneficiaries(request: Request) -> Any:
    """The carte Vitale in the reader, each beneficiary coloured against the base."""
    ctx = _ctx(request)
    try:
        reading = service.read_vitale(ctx.uow(), ctx.card_reader)
    except CardError as error:
        return _card_failure(error)
    out = []
    for entry in reading.entries:
        b = entry.beneficiary
        known = (None if entry.status.colour is StatusColour.GREY
                 else service.find_beneficiary_id(ctx.uow(), b))
        out.append(BeneficiaryOut(
            nom=b.nom, prenom=b.prenom, birth_date=b.date_naissance, rank=b.rang,
            quality=b.qualite, nir=b.nir, status=entry.status.colour.value,
            differences=[{"field": d.field, "card": d.card_value, "file": d.file_value}
                         for d in entry.status.differences], patient_id=known))
    return out


@router.post("/patients/vitale", response_model=PatientFileOut,
             responses={409: {"description": "card errors"}})
def import_from_vitale(request: Request, body: Annotated[BeneficiaryKey, Body()]) -> Any:
    """Create (grey) or update (yellow) the file of a beneficiary of the card in the reader."""
    ctx = _ctx(request)
    try:
        reading = service.read_vitale(ctx.uow(), ctx.card_reader)
    except CardError as error:
        return _card_failure(error)
    key = (body.nir, body.birth_date, body.rank)
    beneficiary = next((e.beneficiary for e in reading.entries if e.beneficiary.key == key),
                       None)
    if beneficiary is None:
        raise NotFound("Ce bénéficiaire n'est pas sur la carte Vitale du lecteur.",
                       code="beneficiary_not_on_card")
    imported = service.import_beneficiary(ctx.uow(), beneficiary, DataSource.VITALE, _today())
    return _file_out(service.open_file(ctx.uow(), imported.patient.id, _today()))
