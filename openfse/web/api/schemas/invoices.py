"""The documents of ``/api/invoices`` (``docs/formats/invoice.md``) as Pydantic models, for the
invoice router to declare as its bodies and answers (issue 11, point 8: the OpenAPI document
describes every body).

A draft is the pricing contract (``schemas.pricing``) plus the invoice's header keys;
``profession``, ``ps``, ``patient`` and ``amc`` may be left out (taken from the professional's
record and the patient file). As for pricing, the models check the shape; the invoice readers
(``services.invoice_input``: ``parse_invoice_document``, ``parse_payment``) read the same
document with every number as a ``Decimal`` and check the vocabularies, the codes and the rules
between keys, answering in the one error shape (docs/formats/errors.md). Amounts in answers are
JSON numbers with two decimals.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from openfse.services.invoice_input import MAX_ID
from openfse.web.api.schemas.fields import JSON_INT, NOT_BLANK, explained
from openfse.web.api.schemas.pricing import (
    Amount,
    DraftActIn,
    DraftAmcIn,
    DraftPatientIn,
    DraftPsIn,
    PricedOut,
    TiersPayantIn,
    Vocabulary,
)

__all__ = [
    "BalanceOut",
    "CancelIn",
    "CancelOut",
    "DiagnosticOut",
    "InvoiceDraftIn",
    "InvoiceIdsIn",
    "InvoiceItemsOut",
    "InvoiceListOut",
    "InvoiceOut",
    "InvoiceStatusOut",
    "InvoiceSummaryOut",
    "PaymentBalanceOut",
    "PaymentIn",
    "PreviewOut",
    "SignIn",
    "SignatureReportOut",
]

InvoiceId = Annotated[int, Field(ge=1, le=MAX_ID), JSON_INT]


def _text(max_length: int) -> Any:
    return Field(default=None, max_length=max_length)


def _code(pattern: str, message: str) -> Any:
    """An optional code of ASCII letters and digits (``domain.invoice``'s checks)."""
    return Field(default=None, pattern=explained(pattern, message))


class _Document(BaseModel):
    model_config = ConfigDict(extra="allow")  # unknown keys are ignored, as in price.md


class InvoiceActIn(DraftActIn):
    """An act of the pricing contract, with the invoice's own details."""

    regroupement: str | None = _code(r"^[A-Za-z0-9]{0,3}$",
                                     "Code regroupement : 3 lettres ou chiffres au plus.")
    serie: StrictBool | None = None
    complement: Literal["N", "F", "U"] | None = Field(default=None,
                                                     description="N nuit, F férié, U urgence")
    indemnite_forfaitaire: str | None = _code(
        r"^[A-Za-z0-9]{0,4}$", "Indemnité forfaitaire : 4 lettres ou chiffres au plus.")
    entente_prealable: StrictBool | None = None


class AttachmentIn(_Document):
    content_base64: str = Field(
        description="The file, base64 (its content must be of its media_type)",
        pattern=explained(r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
                          "Contenu base64 illisible."))
    media_type: Literal["image/jpeg", "image/png", "application/pdf"]
    filename: str | None = _text(200)


class PrescriptionIn(_Document):
    date: dt.date | None = None
    prescriber_id: InvoiceId | None = None
    ordonnance: AttachmentIn | None = None


class AccidentTravailIn(_Document):
    date: dt.date | None = None
    organisme: str | None = _code(r"^([0-9]{9})?$", "9 chiffres attendus.")
    code: str | None = _code(r"^[A-Za-z0-9]{0,2}$", "Code AT : 2 lettres ou chiffres au plus.")
    identifiant: str | None = _code(r"^[0-9]{0,9}$", "9 chiffres au plus.")


class AmcChoiceIn(_Document):
    coverage_id: InvoiceId | None = None
    amc_number: str | None = _text(10)
    convention_type: str | None = _text(10)
    csr: str | None = _text(10)


class EntentePrealableIn(_Document):
    code: Literal["9", "0", "4", "5", "D"] | Annotated[Literal[9, 0, 4, 5], JSON_INT] = Field(
        default="9", description="9 pas de demande, 0 pas de réponse, 4 favorable, "
                                 "5 urgence, D défavorable")
    date: dt.date | None = None


class AmoServiceIn(_Document):
    code: Annotated[str, Field(pattern=explained(
        r"^[A-Za-z0-9]{1,3}$", "Code du service AMO : 1 à 3 lettres ou chiffres."))]
    start: dt.date
    end: dt.date | None = None


class BillToIn(_Document):
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK)]
    address: str | None = _text(500)
    siret: str | None = _code(r"^([0-9]{14})?$", "14 chiffres attendus.")
    patient_id: InvoiceId | None = None


def _prescription_flag(value: object) -> object:
    # ``true`` is a prescription without details, ``false`` none (docs/formats/invoice.md):
    # read as the object, so that an error in the object is named at its own path.
    if value is True:
        return {}
    return None if value is False else value


def _or_boolean(schema: dict[str, Any]) -> None:
    schema["anyOf"] = [{"type": "boolean"}, *schema.get("anyOf", [])]


class InvoiceDraftIn(_Document):
    """An invoice draft (docs/formats/invoice.md): the pricing contract plus the header."""

    professional_id: InvoiceId
    patient_id: InvoiceId
    date_soins: dt.date
    profession: Vocabulary | None = Field(default=None,
                                          description="Default: the professional's")
    ps: DraftPsIn | None = None
    patient: DraftPatientIn | None = None
    nature_assurance: Vocabulary | None = None
    smg_amount: Amount | None = None
    exo: Annotated[str, Field(min_length=1, max_length=2)] | None = None
    soins_en_rapport_ald: StrictBool | None = None
    acts: Annotated[list[InvoiceActIn], Field(min_length=1, max_length=99)]
    amc: DraftAmcIn | None = None
    tiers_payant: TiersPayantIn | None = None
    parcours: Vocabulary | None = Field(default=None, examples=["medecin_traitant"])
    victime_attentat: StrictBool | None = None
    a_domicile: StrictBool | None = None
    prescription: Annotated[PrescriptionIn | None, BeforeValidator(_prescription_flag)] = Field(
        default=None, json_schema_extra=_or_boolean,
        description="true (a prescription, no details), or its date, prescriber, ordonnance")
    accident_droit_commun: StrictBool | None = None
    accident_date: dt.date | None = None
    maternite_date: dt.date | None = None
    accident_travail: AccidentTravailIn | None = None
    forcage_ald: StrictBool | None = None
    declaration_medecin_traitant: Vocabulary | None = Field(
        default=None, description="oui, non, ne_sait_pas")
    amc_choice: AmcChoiceIn | None = None
    secure_mode: Vocabulary | None = Field(
        default=None, description="securise (default), desynchronise, degrade, "
                                  "sesam_sans_vitale")
    entente_prealable: EntentePrealableIn | None = None
    prevention_commune: StrictBool | None = None
    sante_sexuelle: StrictBool | None = None
    anonymous_minor: StrictBool | None = None
    exo_per_act: StrictBool | None = None
    group_identical: StrictBool | None = None
    amo_service: AmoServiceIn | None = None
    hors_teletransmission: StrictBool | None = None
    bill_to: BillToIn | None = None
    replaces_id: InvoiceId | None = None


class PaymentIn(_Document):
    kind: Vocabulary = Field(description="cheque, cb (carte), especes (espece), virement, "
                                         "autre")
    amount: Amount
    paid_on: dt.date
    payer: Literal["patient", "amo", "amc"] | None = "patient"
    reference: str | None = _text(60)
    payer_name: str | None = _text(200)


class CancelIn(_Document):
    reason: Annotated[str, Field(min_length=1, max_length=500, pattern=NOT_BLANK,
                                 description="Why (journaled with the cancellation)")]


class InvoiceIdsIn(_Document):
    ids: Annotated[list[InvoiceId], Field(min_length=1, max_length=500)]


class SignIn(InvoiceIdsIn):
    with_vitale: StrictBool | None = Field(
        default=False, description="Read the carte Vitale in the reader and sign with it too")


# --------------------------------------------------------------------------- answers


class AmountsOut(BaseModel):
    amo: float
    amc: float
    patient: float


class BalanceOut(BaseModel):
    due: AmountsOut
    paid: AmountsOut
    solde: AmountsOut
    patient_state: str
    message: str


class PaymentBalanceOut(BaseModel):
    balance: BalanceOut


class InvoiceStatusOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int
    number: str | None
    kind: str
    status: str
    display_status: str
    display_status_label: str
    date_soins: dt.date
    secure_mode: str
    hors_teletransmission: bool


class PatientRefOut(BaseModel):
    id: int
    name: str


class InvoiceSummaryOut(InvoiceStatusOut):
    patient: PatientRefOut
    professional_id: int
    total: float
    due_patient: float
    solde_patient: float
    patient_state: str


class InvoiceListOut(BaseModel):
    total: int
    items: list[InvoiceSummaryOut]


class InvoiceItemsOut(BaseModel):
    items: list[InvoiceStatusOut]


class DiagnosticOut(BaseModel):
    code: str
    severity: str
    message: str = Field(description="French")
    field: str | None


class InvoiceActOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    position: int
    code: str
    nomenclature: str
    date: dt.date
    quantity: int
    br: float
    honoraires: float
    amo: float
    amc: float
    patient: float


class InvoicePaymentOut(BaseModel):
    id: int
    payer: str
    kind: str
    amount: float
    paid_on: dt.date
    reference: str | None
    payer_name: str | None


class InvoiceAttachmentOut(BaseModel):
    id: int
    kind: str
    media_type: str
    filename: str | None
    size: int
    sha256: str


class InvoiceTotalsOut(BaseModel):
    total: float
    total_br: float
    amo: float
    amc: float
    patient: float
    participation_forfaitaire: float
    franchise: float


JsonScalar = str | int | float | bool | None


class InvoiceOut(InvoiceStatusOut):
    """The full invoice document (docs/formats/invoice.md)."""

    header: dict[str, JsonScalar]
    totals: InvoiceTotalsOut
    balance: BalanceOut
    acts: list[InvoiceActOut]
    payments: list[InvoicePaymentOut]
    attachments: list[InvoiceAttachmentOut]
    diagnostics: list[DiagnosticOut] | list[dict[str, JsonScalar]] | None
    lifecycle: dict[str, JsonScalar]


class PreviewOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    priced: PricedOut
    dues: AmountsOut
    diagnostics: list[DiagnosticOut]
    blocking: bool


class CancelOut(InvoiceStatusOut):
    cancels_id: int | None
    total: float


class RefusedOut(BaseModel):
    id: int
    message: str


class SignatureReportOut(BaseModel):
    done: list[InvoiceStatusOut]
    refused: list[RefusedOut]
