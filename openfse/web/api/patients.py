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

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool

from openfse.adapters.cards.errors import CardError
from openfse.adapters.teleservices.port import AdriRequest
from openfse.domain.cards import StatusColour
from openfse.errors import FormErrors, InvalidInput, NotFound, OpenFSEError
from openfse.services import patients as service
from openfse.services.patient_forms import (
    AldInput,
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
from openfse.web.api.errors import documented, error_response
from openfse.web.api.params import Limit, Order, SearchText
from openfse.web.api.schemas.fields import EMAIL_PATTERN, JSON_INT, RowId, explained
from openfse.web.deps import DeskDep
from openfse.web.pending import PendingKind, keep, kept

router = APIRouter(tags=["patients"])

MoneyStr = Annotated[str, Field(pattern=r"^-?[0-9]+\.[0-9]{2}$", examples=["69.35"])]
T = TypeVar("T")


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


# The shapes the patient form checks (services.patient_forms); the values' own rules (a NIR's
# key, a code of the lists at the date, a date that exists, end after start) come back in
# ``fields``.
_PHONE_SEP = r"[ .\-/()]*"
PatientPhone = Annotated[str, Field(
    max_length=30, examples=["06 12 34 56 78"],
    pattern=explained(
        f"^((0{_PHONE_SEP}([0-9]{_PHONE_SEP}){{9}})|(\\+{_PHONE_SEP}([0-9]{_PHONE_SEP}){{8,15}}))?$",
        "Numéro de téléphone invalide (10 chiffres commençant par 0, ou +indicatif)."),
    description="10 digits starting with 0, or + and 8 to 15 digits (separators allowed)")]
Nir = Annotated[str, Field(max_length=21, pattern=r"^[0-9ABab ]*$",
                           description="15 characters with the key (2A/2B in Corse)")]
Distance = Annotated[str, Field(pattern=explained(r"^([0-9]{1,3}([.,][0-9])?)?$",
                                                  "Distance en km de 0 à 999,9 (ex. 4,5)."),
                                examples=["4.5"],
                                description="km, 0 to 999.9, one decimal at most")]
Name = Annotated[str, Field(max_length=100)]


class PeriodIn(BaseModel):
    start: date | None = None
    end: date | None = None
    exoneration: str | None = Field(default=None, max_length=2,
                                    description="0 3 4 5 7 9 (codes.EXONERATION)")


class AldIn(BaseModel):
    code: str = Field(pattern="^[0-9]{1,2}$", description="ALD list number, e.g. 8")
    label: str | None = Field(default=None, max_length=200)
    cim10: str | None = Field(default=None, examples=["E11"],
                              pattern=r"^([A-Za-z][0-9]{2}(\.?[0-9A-Za-z]{1,2})?)?$")
    start: date | None = None
    end: date | None = None


class PatientIn(BaseModel):
    """A patient file typed from an attestation, or a client professionnel.

    Dates of birth as written (``JJ/MM/AAAA``, ``AAAAMMJJ``; lunar dates need ``lunar``).
    On a file read from a card or ADRi, identity fields may be omitted; a different value is
    refused (``identity_locked``).
    """

    is_company: StrictBool = False
    company_name: str = Field(default="", max_length=200, description="Required for a company")
    company_siret: str = Field(default="", pattern=r"^[0-9 ]{0,20}$",
                               description="14 digits, key checked")
    last_name: Name = Field(default="", description="Required (not for a company)")
    usage_name: Name = ""
    first_name: Name = ""
    sex: Literal["", "M", "F", "I", "m", "f", "i"] = ""
    birth_date: str = Field(default="", max_length=10, examples=["01/01/1983"])
    lunar: StrictBool = False
    birth_rank: str = Field(default="", pattern="^[1-9]?$", description="1 to 9 (1 when omitted)")
    quality: str = Field(default="", pattern="^([0-9]{2})?$",
                         description="qualité du bénéficiaire, 00 = assuré")
    beneficiary_nir: Nir = ""
    nir: Nir = Field(default="", description="NIR of the assuré (ouvrant droit), with its key; "
                                             "required (not for a company)")
    insured_last_name: Name = ""
    insured_first_name: Name = ""
    mobile_phone: PatientPhone = ""
    phone: PatientPhone = ""
    email: str = Field(default="", max_length=254, pattern=EMAIL_PATTERN)
    address_line1: str = Field(default="", max_length=200)
    address_line2: str = Field(default="", max_length=200)
    postal_code: str = Field(default="", pattern="^[0-9A-Za-z -]{0,10}$",
                             description="5 digits in France (country empty)")
    city: str = Field(default="", max_length=100)
    country: str = Field(default="", max_length=100)
    ik_plain_km: Distance = ""
    ik_mountain_km: Distance = ""
    ik_ski_km: Distance = ""
    notes: str = Field(default="", max_length=4000)
    notes_flagged: StrictBool = False
    alert: str = Field(default="", max_length=1000)
    alsace_moselle: StrictBool = False
    amo_regime: str = Field(default="", pattern="^([0-9]{2})?$", examples=["01"])
    amo_caisse: str = Field(default="", pattern="^([0-9]{3})?$", examples=["841"])
    amo_centre: str = Field(default="", pattern="^([0-9]{4})?$", examples=["5623"])
    amo_organism_name: str = Field(default="", max_length=200,
                                   description="Adds the organism to the list")
    code_gestion: str = Field(default="", pattern="^([0-9]{2})?$")
    piece_justificative: str = Field(default="", max_length=10,
                                     description="codes.PIECE_JUSTIFICATIVE")
    taux_remboursement: str = Field(default="", max_length=10)
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


class PatientDetailsOut(BaseModel):
    """Contact details, distances (km as strings), notes and alert of the file."""

    sex: str | None
    quality: str | None
    beneficiary_nir: str | None
    insured_last_name: str | None
    insured_first_name: str | None
    mobile_phone: str | None
    phone: str | None
    email: str | None
    address_line1: str | None
    address_line2: str | None
    postal_code: str | None
    city: str | None
    country: str | None
    ik_plain_km: str | None
    ik_mountain_km: str | None
    ik_ski_km: str | None
    notes: str | None
    alert: str | None
    notes_flagged: bool
    alsace_moselle: bool
    company_siret: str | None


class PatientFileOut(BaseModel):
    patient: PatientOut
    details: PatientDetailsOut
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
        patient=_patient_out(p), details=PatientDetailsOut(**details),
        identity_locked=file.identity_locked,
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


# The form names its rows ``periods-0-start``, ``ald-1-cim10``; the API, the JSON paths.
_ROW_FIELD = re.compile(r"^(periods|ald)-([0-9]+)-([a-z0-9_]+)$")


def _json_path(name: str) -> str:
    match = _ROW_FIELD.match(name)
    if match is None:
        return name
    rows, index, key = match.groups()
    return f"{'alds' if rows == 'ald' else rows}[{index}].{key}"


def _checked(call: Callable[[], T]) -> T | JSONResponse:
    """Run a use case; a duplicate answers 409 with the existing file's ``patient_id``, a
    refused form 422 ``invalid_form`` with every field at its JSON path (other errors go to
    the app's handler)."""
    try:
        return call()
    except service.DuplicatePatient as error:
        return error_response(error, 409, patient_id=error.patient_id)
    except FormErrors as errors:
        fields = {_json_path(name): message for name, message in errors.errors.items()}
        return error_response(FormErrors(fields, message=errors.message), 422)


# --------------------------------------------------------------------------- search & files


@router.get("/patients", response_model=list[PatientOut])
def patients(
    desk: DeskDep, q: SearchText = "", order: Order = "asc", limit: Limit = 50
) -> list[PatientOut]:
    """Patients whose last, first or usage name starts with ``q`` (manuel eS-KAP+ « Recherche »)."""
    rows = service.search_patients(desk.uow(), q, order=order, limit=limit)
    return [_patient_out(p) for p in rows]


@router.post("/patients", status_code=201, response_model=PatientFileOut,
             responses=documented(409, e409="`duplicate_patient` (with `patient_id`)"))
def create_patient(desk: DeskDep, body: PatientIn) -> Any:
    created = _checked(lambda: service.create_patient(desk.uow(), body.to_input(), desk.today))
    if isinstance(created, JSONResponse):
        return created
    return _file_out(service.open_file(desk.uow(), created.id, desk.today))


@router.get("/patients/{patient_id}", response_model=PatientFileOut)
def patient_file(desk: DeskDep, patient_id: int) -> PatientFileOut:
    return _file_out(service.open_file(desk.uow(), patient_id, desk.today))


@router.put("/patients/{patient_id}", response_model=PatientFileOut,
            responses=documented(409, e409="`identity_locked` / `duplicate_patient`"))
def update_patient(desk: DeskDep, patient_id: int, body: PatientIn) -> Any:
    updated = _checked(lambda: service.update_patient(desk.uow(), patient_id, body.to_input(),
                                                      desk.today, strict_identity=True))
    if isinstance(updated, JSONResponse):
        return updated
    return _file_out(service.open_file(desk.uow(), patient_id, desk.today))


@router.delete("/patients/{patient_id}", status_code=204,
               responses=documented(409, e409="`patient_has_invoices`: merge instead"))
def delete_patient(desk: DeskDep, patient_id: int) -> Response:
    service.delete_patient(desk.uow(), patient_id)
    return Response(status_code=204)


class MergeIn(BaseModel):
    other_id: RowId = Field(
                          description="The file merged into this one, then deleted")


@router.post("/patients/{patient_id}/merge", response_model=PatientFileOut)
def merge_patient(desk: DeskDep, patient_id: int, body: MergeIn) -> PatientFileOut:
    service.merge_patients(desk.uow(), patient_id, body.other_id)
    return _file_out(service.open_file(desk.uow(), patient_id, desk.today))


# --------------------------------------------------------------------------- family


class FamilyLinkIn(BaseModel):
    relative_id: RowId
    relation: FamilyRelation = Field(description="What the relative is to the patient")


@router.get("/patients/{patient_id}/family", response_model=list[FamilyMemberOut])
def family(desk: DeskDep, patient_id: int) -> list[FamilyMemberOut]:
    return _file_out(service.open_file(desk.uow(), patient_id, desk.today)).family


@router.post("/patients/{patient_id}/family", status_code=201,
             response_model=list[FamilyMemberOut])
def add_relative(desk: DeskDep, patient_id: int, body: FamilyLinkIn) -> list[FamilyMemberOut]:
    service.link_family(desk.uow(), patient_id, body.relative_id, body.relation)
    return _file_out(service.open_file(desk.uow(), patient_id, desk.today)).family


@router.delete("/patients/{patient_id}/family/{link_id}", status_code=204)
def remove_relative(desk: DeskDep, patient_id: int, link_id: int) -> Response:
    service.unlink_family(desk.uow(), patient_id, link_id)
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


def _adri_failure(result: AdriResult) -> JSONResponse | None:
    if isinstance(result, AdriUnavailableResult):
        return error_response(OpenFSEError(result.message, code="adri_unavailable"), 503,
                              reason=result.reason)
    if not isinstance(result, AdriFound | AdriMismatch):
        return error_response(NotFound(result.message, code="adri_unknown_patient"), 404)
    return None


@router.post("/patients/{patient_id}/adri", response_model=AdriOut,
             responses=documented(503, 404, e503="`adri_unavailable` (with `reason`)",
                                  e404="`adri_unknown_patient` / `not_found`"))
def query_rights(desk: DeskDep, patient_id: int) -> Any:
    """« Interroger l'ADRI »: the rights of the day, compared field by field with the file."""
    _, result = service.query_patient_rights(desk.uow(), desk.adri, patient_id, desk.today)
    failure = _adri_failure(result)
    if failure is not None:
        return failure
    assert isinstance(result, AdriFound | AdriMismatch)
    answer = result.answer if isinstance(result, AdriFound) else result.returned
    token = keep(desk.request, PendingKind.ADRI, answer, patient_id)
    comparison = service.compare_with_adri(desk.uow(), patient_id, answer, desk.today)
    return AdriOut(
        outcome="found" if isinstance(result, AdriFound) else "mismatch",
        message=result.message, token=token, amo_open=answer.amo_open,
        beneficiary=answer.beneficiary.display_name,
        fields=[ComparedFieldOut(key=f.key, label=f.label, file_value=f.file_value,
                                 adri_value=f.adri_value, differs=f.differs)
                for f in comparison.fields])


AdriField = StrEnum("AdriField", {key: key for key in service.ADRI_FIELDS})  # type: ignore[misc]


class AdriChoiceIn(BaseModel):
    take_from_adri: list[AdriField] = Field(
        default_factory=list, description="The fields to take from ADRi's answer")


@router.post("/patients/{patient_id}/adri/{token}", response_model=PatientFileOut)
def apply_rights(desk: DeskDep, patient_id: int, token: str,
                 body: AdriChoiceIn) -> PatientFileOut:
    answer = kept(desk.request, token, PendingKind.ADRI, patient_id)
    service.apply_adri(desk.uow(), patient_id, answer, body.take_from_adri, desk.today)
    return _file_out(service.open_file(desk.uow(), patient_id, desk.today))


# The ADRi request's words → the keys of ``AdriCreateIn``.
_ADRI_FIELDS = {"date_naissance": "birth_date", "rang": "birth_rank"}


class AdriCreateIn(BaseModel):
    nir: str = Field(pattern=r"^[0-9]{5}([0-9]{2}|2[ABab])[0-9]{8}$",
                     description="15 characters with the key (2A/2B in Corse)")
    birth_date: str = Field(max_length=10, examples=["08/05/1990"])
    birth_rank: Annotated[int, Field(ge=1, le=9), JSON_INT] = 1
    regime: str = Field(default="01", pattern="^[0-9]{2}$")
    caisse: str | None = Field(default=None, pattern="^[0-9]{3}$",
                               description="Required for a NIR 7 or 8")
    centre: str | None = Field(default=None, pattern="^[0-9]{4}$",
                               description="Required for a NIR 7 or 8")


@router.post("/patients/adri", status_code=201, response_model=PatientFileOut,
             responses=documented(503, 404, e503="`adri_unavailable` (with `reason`)",
                                  e404="`adri_unknown_patient`"))
def create_by_adri(desk: DeskDep, body: AdriCreateIn) -> Any:
    """Create the file of the beneficiary ADRi knows (aide eS-KAP+ « mode ADRI »)."""
    try:
        adri_request = AdriRequest.create(nir=body.nir, birth_date=body.birth_date,
                                          rang=body.birth_rank, regime=body.regime,
                                          caisse=body.caisse, centre=body.centre)
    except InvalidInput as error:  # named as the body names it
        field = _ADRI_FIELDS.get(error.field or "", error.field)
        raise InvalidInput(error.message, code=error.code, field=field) from None
    result = query_adri(desk.adri, adri_request, desk.today)
    failure = _adri_failure(result)
    if failure is not None:
        return failure
    assert isinstance(result, AdriFound | AdriMismatch)
    answer = result.answer if isinstance(result, AdriFound) else result.returned
    created = _checked(lambda: service.create_from_adri(desk.uow(), answer, desk.today))
    if isinstance(created, JSONResponse):
        return created
    return _file_out(service.open_file(desk.uow(), created.id, desk.today))


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
    """A beneficiary of the card in the reader, as ``vitale/beneficiaries`` lists it."""

    nir: str = Field(max_length=15)
    birth_date: str = Field(max_length=8, description="AAAAMMJJ as on the card")
    rank: Annotated[int, Field(ge=1, le=9), JSON_INT]


def _card_failure(error: OpenFSEError) -> JSONResponse:
    return error_response(error, 409)


@router.get("/patients/vitale/beneficiaries", response_model=list[BeneficiaryOut],
            responses=documented(409, e409="`card_absent` / `wrong_card` / `cps_required`"))
def vitale_beneficiaries(desk: DeskDep) -> Any:
    """The carte Vitale in the reader, each beneficiary coloured against the base."""
    try:
        reading = service.read_vitale(desk.uow(), desk.card_reader)
    except CardError as error:
        return _card_failure(error)
    out = []
    for entry in reading.entries:
        b = entry.beneficiary
        known = (None if entry.status.colour is StatusColour.GREY
                 else service.find_beneficiary_id(desk.uow(), b))
        out.append(BeneficiaryOut(
            nom=b.nom, prenom=b.prenom, birth_date=b.date_naissance, rank=b.rang,
            quality=b.qualite, nir=b.nir, status=entry.status.colour.value,
            differences=[{"field": d.field, "card": d.card_value, "file": d.file_value}
                         for d in entry.status.differences], patient_id=known))
    return out


@router.post("/patients/vitale", response_model=PatientFileOut,
             responses=documented(409, e409="card errors (`card_absent`, `wrong_card`…)"))
def import_from_vitale(desk: DeskDep, body: Annotated[BeneficiaryKey, Body()]) -> Any:
    """Create (grey) or update (yellow) the file of a beneficiary of the card in the reader."""
    try:
        reading = service.read_vitale(desk.uow(), desk.card_reader)
    except CardError as error:
        return _card_failure(error)
    key = (body.nir, body.birth_date, body.rank)
    beneficiary = next((e.beneficiary for e in reading.entries if e.beneficiary.key == key),
                       None)
    if beneficiary is None:
        raise NotFound("Ce bénéficiaire n'est pas sur la carte Vitale du lecteur.",
                       code="beneficiary_not_on_card")
    imported = service.import_beneficiary(desk.uow(), beneficiary, DataSource.VITALE, desk.today)
    return _file_out(service.open_file(desk.uow(), imported.patient.id, desk.today))
