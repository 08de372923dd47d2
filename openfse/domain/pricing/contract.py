"""The JSON contract of ``openfse price`` (docs/formats/price.md) ↔ the engine's dataclasses.

- ``parse_draft(doc)`` turns a decoded JSON document into an ``InvoiceDraft``, or raises
  ``DraftError`` whose ``field`` is the JSON path of the culprit (``acts[2].coefficient``) and
  whose ``message`` says precisely what is wrong. Unknown keys are ignored (integrators may
  send more); wrong types and values are refused — booleans are not numbers, numbers are read
  as ``Decimal`` (the CLI decodes with ``parse_float=Decimal``; ints and numeric strings are
  accepted too). Every value of docs/formats/price.md is accepted as written, plus a few synonyms.
- ``priced_to_json(priced)`` gives the output document, amounts as ``Decimal`` with two
  decimals; ``dumps`` writes it as JSON text with those amounts as plain numbers (no float).
- ``price_document(doc, tariffs)`` is parse → price → output, what the CLI and the API call.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cache

from openfse.domain.pricing.codes import (
    Exo,
    Gestion,
    Grid,
    NatureAssurance,
    Nomenclature,
    Parcours,
    Profession,
    Qualificatif,
    SortantC2S,
)
from openfse.domain.pricing.draft import (
    ActDraft,
    AmcContract,
    AmountOverride,
    InvoiceDraft,
    ModifierDraft,
    PatientContext,
    PsContext,
    TiersPayant,
)
from openfse.domain.pricing.engine import price
from openfse.domain.pricing.errors import DraftError
from openfse.domain.pricing.json_output import JsonValue, dumps, priced_to_json
from openfse.domain.pricing.json_readers import (
    amount,
    boolean,
    date_value,
    decimal,
    describe,
    enum,
    error,
    fold,
    integer,
    missing,
    obj,
    optional,
    optional_amount,
    optional_bool,
    optional_enum,
    string,
    type_error,
)
from openfse.domain.pricing.tariffs import ReferentialTariffs, TariffSource
from openfse.errors import InvalidInput
from openfse.referentials import amc_formulas

__all__ = ["DraftError", "dumps", "parse_draft", "price_document", "priced_to_json"]

MAX_ACTS = 99
MAX_COEFFICIENT = Decimal(1000)
MAX_QUANTITY = 9999
MAX_DISTANCE_KM = Decimal(1000)


# --------------------------------------------------------------------------------------------
# Synonyms (docs/formats/price.md values are always accepted as written)
# --------------------------------------------------------------------------------------------

_PROFESSIONS: dict[str, Profession] = {
    "infirmiere": Profession.INFIRMIER,
    "ide": Profession.INFIRMIER,
    "idel": Profession.INFIRMIER,
    "kine": Profession.MASSEUR_KINESITHERAPEUTE,
    "kinesitherapeute": Profession.MASSEUR_KINESITHERAPEUTE,
    "masseur_kine": Profession.MASSEUR_KINESITHERAPEUTE,
    "sagefemme": Profession.SAGE_FEMME,
    "dentiste": Profession.CHIRURGIEN_DENTISTE,
    "pedicure": Profession.PEDICURE_PODOLOGUE,
    "podologue": Profession.PEDICURE_PODOLOGUE,
}
_NATURES: dict[str, NatureAssurance] = {
    "ma": NatureAssurance.MALADIE,
    "mt": NatureAssurance.MATERNITE,
    "accident_du_travail": NatureAssurance.AT,
    "at_mp": NatureAssurance.AT,
    "sm": NatureAssurance.SMG,
    "soins_medicaux_gratuits": NatureAssurance.SMG,
}
_PARCOURS: dict[str, Parcours] = {
    "nouveau_medecin_traitant": Parcours.MEDECIN_TRAITANT,
    "medecin_traitant_de_substitution": Parcours.MEDECIN_TRAITANT,
    "oriente_par_mt": Parcours.ADRESSE_PAR_MT,
    "oriente_par_le_medecin_traitant": Parcours.ADRESSE_PAR_MT,
    "hors_residence_habituelle": Parcours.HORS_RESIDENCE,
    "acces_direct_specifique": Parcours.ACCES_DIRECT,
    "non_respect_du_parcours": Parcours.HORS_PARCOURS,
    "non_respect_du_parcours_de_soins": Parcours.HORS_PARCOURS,
}
_SORTANTS: dict[str, SortantC2S] = {"oui": SortantC2S.TIERS_PAYANT_AMO}


# --------------------------------------------------------------------------------------------
# Document readers
# --------------------------------------------------------------------------------------------


def parse_draft(doc: Mapping[str, object]) -> InvoiceDraft:
    """Validate a decoded JSON document and build the draft (see the module docstring).

    Raises:
        DraftError: the first problem found, with its JSON path in ``field``.
    """
    root = obj(doc, "$")
    if "date_soins" not in root:
        raise missing("date_soins")
    date_soins = date_value(root["date_soins"], "date_soins")
    if "profession" not in root:
        raise missing("profession")
    profession = enum(root["profession"], "profession", Profession, _PROFESSIONS)
    patient = _patient(root.get("patient"), date_soins)
    nature = NatureAssurance.MALADIE
    if root.get("nature_assurance") is not None:
        nature = enum(root["nature_assurance"], "nature_assurance", NatureAssurance, _NATURES)
    smg = root.get("smg_amount", root.get("smg_montant"))
    return InvoiceDraft(
        date_soins=date_soins,
        profession=profession,
        acts=_acts(root.get("acts")),
        ps=_ps(root.get("ps")),
        patient=patient,
        nature_assurance=nature,
        amc=_amc(root.get("amc")),
        tiers_payant=_tiers_payant(root.get("tiers_payant")),
        exo=_exo(root.get("exo"), "exo"),
        soins_en_rapport_ald=boolean(root.get("soins_en_rapport_ald"), "soins_en_rapport_ald"),
        smg_amount=optional_amount(smg, "smg_amount"),
    )


def _ps(value: object) -> PsContext:
    if value is None:
        return PsContext()
    ps = obj(value, "ps")
    specialite = ps.get("specialite")
    return PsContext(
        specialite=None if specialite is None else fold(string(specialite, "ps.specialite")),
        secteur=1 if ps.get("secteur") is None else integer(ps["secteur"], "ps.secteur", 1, 2),
        optam=boolean(ps.get("optam"), "ps.optam"),
    )


def _patient(value: object, date_soins: date) -> PatientContext:
    if value is None:
        return PatientContext()
    patient = obj(value, "patient")
    age = None if patient.get("age") is None else integer(patient["age"], "patient.age", 0, 130)
    age_1er_janvier = None
    birth = patient.get("birth_date", patient.get("date_naissance"))
    if birth is not None:
        born = date_value(birth, "patient.birth_date")
        if born > date_soins:
            raise error(
                "patient.birth_date",
                "patient.birth_date is after date_soins",
                "La date de naissance est postérieure à la date des soins.",
            )
        age_1er_janvier = _age(born, date(date_soins.year, 1, 1))
        if age is None:
            age = _age(born, date_soins)
    regime = "01"
    if patient.get("regime") is not None:
        regime = _regime(patient["regime"])
    c2s = boolean(patient.get("c2s"), "patient.c2s")
    ame = boolean(patient.get("ame"), "patient.ame")
    if c2s and ame:
        raise error(
            "patient.ame",
            "patient.c2s and patient.ame cannot both be true",
            "Un patient ne peut pas bénéficier à la fois de la C2S et de l'AME.",
        )
    return PatientContext(
        age=age,
        regime=regime,
        regime_local_alsace_moselle=boolean(
            patient.get("regime_local_alsace_moselle"), "patient.regime_local_alsace_moselle"
        ),
        ald=boolean(patient.get("ald"), "patient.ald"),
        c2s=c2s,
        ame=ame,
        maternite=boolean(patient.get("maternite"), "patient.maternite"),
        at_mp=boolean(patient.get("at_mp"), "patient.at_mp"),
        parcours=optional_enum(patient.get("parcours"), "patient.parcours", Parcours, _PARCOURS),
        sortant_c2s=_sortant(patient.get("sortant_c2s")),
        victime_attentat=boolean(patient.get("victime_attentat"), "patient.victime_attentat"),
        age_1er_janvier=age_1er_janvier,
    )


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _regime(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 99:
        return f"{value:02d}"
    if isinstance(value, str) and len(value) == 2 and value.isascii() and value.isdigit():
        return value
    raise error(
        "patient.regime",
        f'patient.regime: expected a two-digit code such as "01", got {describe(value)}',
        f"patient.regime : code régime à deux chiffres attendu (« 01 »), reçu {describe(value)}.",
    )


def _sortant(value: object) -> SortantC2S:
    if value is None or value is False:
        return SortantC2S.NON
    if value is True:
        return SortantC2S.TIERS_PAYANT_AMO
    return enum(value, "patient.sortant_c2s", SortantC2S, _SORTANTS)


def _exo(value: object, field: str) -> Exo | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return enum(value, field, Exo, {})


def _acts(value: object) -> tuple[ActDraft, ...]:
    if value is None:
        raise missing("acts")
    if not isinstance(value, (list, tuple)):
        raise type_error("acts", "a list", value)
    if not value or len(value) > MAX_ACTS:
        raise error(
            "acts",
            f"acts: expected 1 to {MAX_ACTS} acts, got {len(value)}",
            f"acts : de 1 à {MAX_ACTS} actes attendus ({len(value)} reçus).",
        )
    return tuple(_act(item, index) for index, item in enumerate(value))


def _act(value: object, index: int) -> ActDraft:
    prefix = f"acts[{index}]"
    act = obj(value, prefix)

    def field(name: str) -> str:
        return f"{prefix}.{name}"

    nomenclature = Nomenclature.NGAP
    if act.get("nomenclature") is not None:
        nomenclature = enum(act["nomenclature"], field("nomenclature"), Nomenclature, {})
    if "code" not in act:
        raise missing(field("code"))
    code = _code(act["code"], field("code"), nomenclature)
    override_doc = act.get("override")
    override_amo = act.get("amo_override")
    override_amc = act.get("amc_override")
    if override_doc is not None:
        nested = obj(override_doc, field("override"))
        override_amo = nested.get("amo", override_amo)
        override_amc = nested.get("amc", override_amc)
    override = None
    if override_amo is not None or override_amc is not None:
        override = AmountOverride(
            amo=optional_amount(override_amo, field("amo_override")),
            amc=optional_amount(override_amc, field("amc_override")),
        )
    total = act.get("total_amount", act.get("montant_total"))
    return ActDraft(
        code=code,
        nomenclature=nomenclature,
        quantity=optional(
            act.get("quantity"), lambda v: integer(v, field("quantity"), 1, MAX_QUANTITY)
        ),
        coefficient=_coefficient(act.get("coefficient"), field("coefficient")),
        unit_price=optional_amount(act.get("unit_price"), field("unit_price")),
        modifiers=_modifiers(act.get("modifiers"), field("modifiers")),
        association_code=optional(
            act.get("association_code"), lambda v: integer(v, field("association_code"), 1, 5)
        ),
        qualificatif=optional_enum(
            act.get("qualificatif"), field("qualificatif"), Qualificatif, {}
        ),
        depassement=amount(act.get("depassement", 0), field("depassement")),
        total_amount=optional_amount(total, field("total_amount")),
        exo=_exo(act.get("exo"), field("exo")),
        soins_en_rapport_ald=optional_bool(
            act.get("soins_en_rapport_ald"), field("soins_en_rapport_ald")
        ),
        date=optional(act.get("date"), lambda v: date_value(v, field("date"))),
        activity=integer(act.get("activity", act.get("activite", 1)), field("activity"), 1, 5),
        phase=integer(act.get("phase", 0), field("phase"), 0, 9),
        grille=optional_enum(act.get("grille"), field("grille"), Grid, {}),
        supplement_charge=amount(act.get("supplement_charge", 0), field("supplement_charge")),
        remboursement_exceptionnel=_remboursement(
            act.get("remboursement_exceptionnel"), field("remboursement_exceptionnel")
        ),
        distance_km=optional(
            act.get("distance_km"),
            lambda v: decimal(v, field("distance_km"), minimum=Decimal(0), maximum=MAX_DISTANCE_KM),
        ),
        prevention_ebd=boolean(act.get("prevention_ebd"), field("prevention_ebd")),
        override=override,
    )


def _code(value: object, field: str, nomenclature: Nomenclature) -> str:
    code = string(value, field, max_length=16).upper()
    if nomenclature is Nomenclature.CCAM:
        valid = (
            len(code) == 7
            and code[:4].isascii()
            and code[:4].isalpha()
            and code[4:].isascii()
            and code[4:].isdigit()
        )
        if not valid:
            raise error(
                field,
                f"{field}: {code!r} is not a CCAM code (4 letters and 3 digits, e.g. AFLB001)",
                f"{field} : {code!r} n'est pas un code CCAM (4 lettres et 3 chiffres).",
            )
    elif not (code.isascii() and code.isalnum() and len(code) <= 8):
        raise error(
            field,
            f"{field}: {code!r} is not an NGAP code (letters and digits, e.g. AMI)",
            f"{field} : {code!r} n'est pas un code NGAP (lettres et chiffres).",
        )
    return code


def _coefficient(value: object, field: str) -> Decimal:
    if value is None:
        return Decimal(1)
    return decimal(
        value, field, minimum=Decimal(0), maximum=MAX_COEFFICIENT, places=3, strictly_positive=True
    )


def _remboursement(value: object, field: str) -> bool:
    if isinstance(value, str) and fold(value) in ("o", "oui", "n", "non"):
        return fold(value) in ("o", "oui")
    return boolean(value, field)


def _modifiers(value: object, field: str) -> tuple[ModifierDraft, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise type_error(field, "a list", value)
    if len(value) > 8:  # the engine explains the 4-modifier rule; this bounds the input
        raise error(field, f"{field}: too many modifiers", f"{field} : trop de modificateurs.")
    return tuple(_modifier(item, f"{field}[{position}]") for position, item in enumerate(value))


def _modifier(value: object, field: str) -> ModifierDraft:
    if isinstance(value, Mapping):
        item = obj(value, field)
        if "code" not in item:
            raise missing(f"{field}.code")
        code = _modifier_code(item["code"], f"{field}.code")
        percent = item.get("percent")
        amount = item.get("amount")
        if percent is not None and amount is not None:
            raise error(
                field,
                f"{field}: give percent or amount, not both",
                f"{field} : pourcentage ou montant, pas les deux.",
            )
        return ModifierDraft(
            code=code,
            percent=optional(
                percent,
                lambda v: decimal(v, f"{field}.percent", minimum=Decimal(0), maximum=Decimal(1000)),
            ),
            amount=optional_amount(amount, f"{field}.amount"),
        )
    return ModifierDraft(code=_modifier_code(value, field))


def _modifier_code(value: object, field: str) -> str:
    code = string(value, field, max_length=1).upper()
    if not (code.isascii() and code.isalnum()):
        raise error(
            field,
            f"{field}: {code!r} is not a CCAM modifier (one letter or digit)",
            f"{field} : {code!r} n'est pas un modificateur CCAM (une lettre ou un chiffre).",
        )
    return code


def _amc(value: object) -> AmcContract | None:
    if value is None:
        return None
    amc = obj(value, "amc")
    if amc.get("formula") is None:
        raise missing("amc.formula")
    raw = amc["formula"]
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= 999:
        raw = f"{raw:03d}"
    code = string(raw, "amc.formula", max_length=3).upper()
    try:
        chosen = amc_formulas.formula(code)
    except InvalidInput:
        known = ", ".join(formula.code for formula in amc_formulas.formulas())
        raise error(
            "amc.formula",
            f"amc.formula: unknown formula {code!r} (known: {known})",
            f"amc.formula : formule inconnue {code!r} (formules connues : {known}).",
        ) from None
    parameter = None
    if amc.get("parameter") is not None:
        parameter = decimal(
            amc["parameter"], "amc.parameter", minimum=Decimal(0), maximum=Decimal(1000)
        )
    if chosen.takes_parameter and parameter is None:
        raise error(
            "amc.parameter",
            f"amc.parameter is required by formula {code} ({chosen.label})",
            f"amc.parameter : la formule {code} ({chosen.label}) exige un paramètre.",
        )
    if not chosen.takes_parameter and parameter is not None and parameter != 100:
        raise error(
            "amc.parameter",
            f"amc.parameter: formula {code} ({chosen.label}) takes no parameter",
            f"amc.parameter : la formule {code} ({chosen.label}) ne prend pas de paramètre.",
        )
    gestion = Gestion.SEPAREE
    if amc.get("gestion") is not None:
        gestion = enum(amc["gestion"], "amc.gestion", Gestion, {})
    return AmcContract(
        formula=chosen.code,
        parameter=parameter if chosen.takes_parameter else None,
        gestion=gestion,
        contrat_responsable=boolean(
            amc.get("contrat_responsable"), "amc.contrat_responsable", default=True
        ),
    )


def _tiers_payant(value: object) -> TiersPayant:
    if value is None:
        return TiersPayant()
    tp = obj(value, "tiers_payant")
    return TiersPayant(
        amo=boolean(tp.get("amo"), "tiers_payant.amo"),
        amc=boolean(tp.get("amc"), "tiers_payant.amc"),
    )


# --------------------------------------------------------------------------------------------
# Parse → price → output
# --------------------------------------------------------------------------------------------


@cache
def default_tariffs() -> ReferentialTariffs:
    """The product's tariffs (NGAP referential + bundled CCAM), built once per process."""
    return ReferentialTariffs()


def price_document(
    doc: Mapping[str, object], tariffs: TariffSource | None = None
) -> dict[str, JsonValue]:
    """Parse a draft document, price it and return the output document.

    Raises:
        DraftError: the draft is invalid or cannot be priced (``field`` says where).
    """
    draft = parse_draft(doc)
    return priced_to_json(price(draft, tariffs if tariffs is not None else default_tariffs()))
