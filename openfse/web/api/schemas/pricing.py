"""The pricing contract (``docs/formats/price.md``) as Pydantic models: the body of
``POST /api/price`` and its answer, and the draft part of an invoice document
(``schemas.invoices``).

The models check the document's shape (keys, types, ranges, list sizes); the engine's reader
(``openfse.domain.pricing.contract.parse_draft``) then reads the same document with every
number as a ``Decimal`` and checks what a schema cannot say: the closed vocabularies, which
accept synonyms and any case or accent (« Médecin », ``kine``), the codes and dates the tariffs
know, and the rules between keys. Numbers may be JSON numbers or numeric strings (``"4,5"``).
Unknown keys are ignored, as the contract says.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat

from openfse.web.api.schemas.fields import JSON_INT, JsonInt

__all__ = [
    "Amount",
    "DraftActIn",
    "DraftAmcIn",
    "DraftPatientIn",
    "DraftPsIn",
    "PriceDraftIn",
    "PricedActOut",
    "PricedOut",
    "TiersPayantIn",
    "Vocabulary",
]

_NUMBER_TEXT = r"^[0-9]{1,6}([.,][0-9]{1,3})?$"
# An amount in euros: 0 to 100 000, at most two decimals (json_readers.amount).
Amount = (Annotated[int, Field(ge=0, le=100_000), JSON_INT]
          | Annotated[StrictFloat, Field(ge=0, le=100_000)]
          | Annotated[str, Field(pattern=r"^[0-9]{1,6}([.,][0-9]{1,2})?$")])
Number = (Annotated[int, Field(ge=0, le=100_000), JSON_INT]
          | Annotated[StrictFloat, Field(ge=0, le=100_000)]
          | Annotated[str, Field(pattern=_NUMBER_TEXT)])
# A word of a closed vocabulary of price.md, read with its synonyms, in any case or accent.
Vocabulary = Annotated[str, Field(min_length=1, max_length=64)]


class _Contract(BaseModel):
    model_config = ConfigDict(extra="allow")  # unknown keys are ignored (price.md)


class DraftPsIn(_Contract):
    specialite: Vocabulary | None = Field(default=None, examples=["medecine_generale"])
    secteur: Annotated[int, Field(ge=1, le=2), JSON_INT] | None = 1
    optam: StrictBool | None = False


class DraftPatientIn(_Contract):
    age: Annotated[int, Field(ge=0, le=130), JSON_INT] | None = None
    birth_date: dt.date | None = None
    regime: Annotated[str, Field(pattern="^[0-9]{2}$")] | None = Field(default="01",
                                                                       examples=["01"])
    regime_local_alsace_moselle: StrictBool | None = None
    ald: StrictBool | None = None
    c2s: StrictBool | None = None
    ame: StrictBool | None = None
    maternite: StrictBool | None = None
    at_mp: StrictBool | None = None
    parcours: Vocabulary | None = Field(default=None, examples=["medecin_traitant"])
    sortant_c2s: StrictBool | Vocabulary | None = Field(
        default=None, description='false, true / "55555551", or "contrat_sortie"')
    victime_attentat: StrictBool | None = None


class ModifierIn(_Contract):
    """A modifier the catalogue does not know, with its amount or percentage."""

    code: Annotated[str, Field(min_length=1, max_length=1)]
    amount: Amount | None = None
    percent: Number | None = None


class DraftActIn(_Contract):
    code: Annotated[str, Field(min_length=1, max_length=16)] = Field(examples=["G", "AFLB001"])
    nomenclature: Vocabulary | None = Field(default=None, description="NGAP, CCAM or COX")
    quantity: Annotated[int, Field(ge=1, le=9999), JSON_INT] | None = None
    distance_km: Number | None = None
    coefficient: Number | None = Field(default=None, description="> 0, at most 3 decimals")
    unit_price: Amount | None = None
    date: dt.date | None = None
    activity: Annotated[int, Field(ge=1, le=5), JSON_INT] = 1  # default 1, never null
    phase: Annotated[int, Field(ge=0, le=9), JSON_INT] = 0
    grille: Vocabulary | None = None
    modifiers: Annotated[list[Annotated[str, Field(min_length=1, max_length=1)] | ModifierIn],
                         Field(max_length=8)] | None = Field(
        default=None, description="At most 4 apply (the engine explains the others)")
    association_code: Annotated[int, Field(ge=1, le=5), JSON_INT] | None = None
    supplement_charge: Amount = 0  # default 0, never null
    remboursement_exceptionnel: StrictBool | Annotated[str, Field(pattern="^[ONon]$")] | None = None
    qualificatif: Vocabulary | None = None
    depassement: Amount = 0
    total_amount: Amount | None = None
    exo: Annotated[str, Field(min_length=1, max_length=2)] | None = None
    soins_en_rapport_ald: StrictBool | None = None
    prevention_ebd: StrictBool | None = None
    amo_override: Amount | None = None
    amc_override: Amount | None = None


class DraftAmcIn(_Contract):
    formula: Annotated[str, Field(min_length=1, max_length=3)] | JsonInt = Field(
        examples=["052"], description="012 020 021 029 02A 050 052")
    parameter: Number | None = Field(default=None, description="Percentage (100 = 100 %)")
    gestion: Vocabulary | None = Field(default=None, description="separee (default) or unique")
    contrat_responsable: StrictBool | None = True


class TiersPayantIn(_Contract):
    amo: StrictBool | None = False
    amc: StrictBool | None = False


class PriceDraftIn(_Contract):
    """An invoice draft to price (docs/formats/price.md, « Input »)."""

    date_soins: dt.date
    profession: Vocabulary = Field(examples=["medecin"])
    ps: DraftPsIn | None = None
    patient: DraftPatientIn | None = None
    nature_assurance: Vocabulary | None = Field(default=None,
                                                description="maladie, maternite, at, smg")
    smg_amount: Amount | None = None
    exo: Annotated[str, Field(min_length=1, max_length=2)] | None = None
    soins_en_rapport_ald: StrictBool | None = None
    acts: Annotated[list[DraftActIn], Field(min_length=1, max_length=99)]
    amc: DraftAmcIn | None = None
    tiers_payant: TiersPayantIn | None = None


# --------------------------------------------------------------------------- the answer


class PricedActOut(BaseModel):
    index: int
    code: str
    nomenclature: str
    date: dt.date
    quantity: int
    coefficient: float
    unit_price: float
    modifiers: list[str]
    association_code: int | None
    qualificatif: str | None
    exo: str | None
    br: float
    depassement: float
    honoraires: float
    taux_amo: float = Field(description="Percent")
    amo: float
    amc: float
    patient: float
    forfait_24: float
    participation_forfaitaire: float
    franchise: float


class PaymentsOut(BaseModel):
    caisse: float
    organisme_amc: float
    patient: float


class TiersPayantOut(BaseModel):
    amo: bool
    amc: bool


class WarningOut(BaseModel):
    code: str
    message: str = Field(description="French")
    act_index: int | None


class PricedOut(BaseModel):
    """The priced invoice (docs/formats/price.md, « Output »): amounts are JSON numbers with
    exactly two decimals (``21.00``), written from decimals, never from binary floats."""

    date_soins: dt.date
    profession: str
    per_act: list[PricedActOut]
    total_honoraires: float
    total_br: float
    forfait_acte_lourd_24: float
    amo_brut: float
    participation_forfaitaire: float
    participation_forfaitaire_count: int
    franchise: float
    amo_net: float
    amc: float
    patient: float
    reste_a_charge_final: float
    a_regler_par_patient_au_ps: float
    tiers_payant: TiersPayantOut
    paiements: PaymentsOut
    warnings: list[WarningOut]
