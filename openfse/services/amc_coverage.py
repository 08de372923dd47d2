"""Mutuelles (AMC contracts) of a patient: the « fiche mutuelle » and what the desk does with it.

The fiche follows manuel eS-KAP+ (« Ajout mutuelle ») and dossier LOGOSw (« Complémentaire
AMC »):

- **Général**: organism (picked in the cabinet's AMC list or created inline), numéro AMC, name,
  pièce justificative des droits, gestion séparée / unique, tiers payant, n° de contrat;
- **Période des droits**, with « Définir l'année en cours » (01/01–31/12, manuel eS-KAP+);
- **Paramètres** printed on the attestation de tiers payant: n° adhérent, type de convention,
  critère secondaire de routage (CSR), indicateur de traitement, date de référence;
- **Aiguillage STS**: code aiguillage, type de contrat (89 = C2S), n° d'organisme complémentaire,
  code routage, hôte, domaine;
- **Formule complémentaire** and its parameter (``openfse.referentials.amc_formulas``);
- **Contrat responsable 100 % Santé** (dossier LOGOSw: « R ☒ Contrat responsable 100% Santé »).

Shortcuts pre-fill the special situations of dossier LOGOSw (C2S managed by the caisse or by an
organism, AME, sortants de C2S, régime mahorais). A mutuelle read from the carte Vitale is read
only: « Dupliquer » makes an editable copy (manuel eS-KAP+). Closed rights are renewed by
a new period, the old one kept as history. Every change is journaled in its unit of work.

Input comes as a mapping of field name → value (form strings, or JSON values from the API);
:func:`parse` checks every field and reports **all** the problems at once
(:class:`AmcCoverageInvalid`), each with its French message, so a form shows each one next to
its field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import Decimal, InvalidOperation

from openfse.adapters.teleservices.attestation_format import AttestationError
from openfse.domain.coverage import (
    AmcSituation,
    RightsState,
    current_year,
    formula_refusal,
    renewal_period,
    rights_state,
    situation_of,
)
from openfse.domain.rights import AmcAttestation
from openfse.errors import Conflict, FormErrors, InvalidInput, NotFound
from openfse.ids import amc as amc_id
from openfse.ids.exceptions import ValidationError as IdValidationError
from openfse.money import ZERO
from openfse.referentials import amc_formulas, codes
from openfse.services import teleservices
from openfse.store.journal import JournalAction
from openfse.store.models import AmcCoverage, AmcGestion, AmcOrganism, DataSource, Patient
from openfse.store.uow import UnitOfWork
from openfse.typed_numbers import record_id

__all__ = [
    "FIELD_NAMES",
    "REFERENCE_DATES",
    "SHORTCUTS",
    "AmcCoverageData",
    "AmcCoverageInvalid",
    "AmcCoverageView",
    "AttestationError",
    "FormValues",
    "OrganismChoice",
    "PatientMutuelles",
    "Prefill",
    "RightsState",
    "Shortcut",
    "Situation",
    "add",
    "apply_attestation",
    "apply_current_year",
    "apply_organism",
    "apply_shortcut",
    "blank_form",
    "create_organism",
    "current_year",
    "delete",
    "duplicate",
    "get",
    "list_for_patient",
    "organism_values",
    "parse",
    "patient_name",
    "pick_organism",
    "read_attestation",
    "renew",
    "renewal_period",
    "rights_state",
    "search_organisms",
    "shortcut_for",
    "situation_of",
    "update",
]

FormValues = dict[str, str]

# « Date de référence » of the fiche (manuel eS-KAP+): the date the AMC rights are
# checked at. Stored as these words (no public SESAM-Vitale code list in the corpus).
REFERENCE_DATES: tuple[tuple[str, str], ...] = (
    ("execution", "Date d'exécution de la séance"),
    ("prescription", "Date de prescription"),
    ("facturation", "Date de facturation"),
)
_REFERENCE_DATE_CODES = frozenset(code for code, _ in REFERENCE_DATES)

_TRUE = frozenset({"oui", "on", "true", "1", "yes"})
_FALSE = frozenset({"", "non", "off", "false", "0", "no"})
_DATE_FORMS = (
    re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})"),
    re.compile(r"(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})"),
)
_MAX_PARAMETER_DECIMALS = 2  # the column keeps 2 decimals (ScaledDecimal(2))


# --------------------------------------------------------------------------- situations
# The rules (situations, rights states, periods) are domain/coverage.py's; the names stay
# importable from here for the screens.

Situation = AmcSituation


# --------------------------------------------------------------------------- the fiche


@dataclass(frozen=True, slots=True)
class AmcCoverageData:
    """Every field of the fiche mutuelle, checked (see :func:`parse`).

    The field names are the model's columns and the form's input names.
    """

    amc_number: str
    gestion: AmcGestion
    amc_organism_id: int | None = None
    amc_name: str | None = None
    piece_justificative: str | None = None
    rights_start: date | None = None
    rights_end: date | None = None
    tiers_payant: bool = True
    contract_number: str | None = None
    adherent_number: str | None = None
    convention_type: str | None = None
    csr: str | None = None
    treatment_indicator: str | None = None
    reference_date_code: str | None = None
    sts_routing_code: str | None = None
    contract_type: str | None = None
    complementary_number: str | None = None
    routing_code: str | None = None
    host_id: str | None = None
    domain: str | None = None
    formula_code: str | None = None
    formula_parameter: Decimal | None = None
    contrat_responsable: bool = True

    @property
    def situation(self) -> Situation:
        return situation_of(self.amc_number, self.contract_type)

    def as_form(self) -> FormValues:
        """The values as a form shows them (dates ISO for ``<input type=date>``)."""
        return {f.name: _form_text(getattr(self, f.name)) for f in fields(self)}


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(AmcCoverageData))


# The fiche has problems: the one form-error type (``errors``: field → French message).
AmcCoverageInvalid = FormErrors


def _form_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # 150.00 → "150", 33.50 → "33.5": the parameter as the attestation prints it.
        return format(value.normalize(), "f")
    return str(value)


class _Checker:
    """Reads raw values field by field, collecting one French message per bad field."""

    def __init__(self, values: Mapping[str, object]) -> None:
        self.values = values
        self.errors: dict[str, str] = {}

    def raw(self, name: str) -> str:
        return _form_text(self.values.get(name)).strip()

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def text(
        self,
        name: str,
        label: str,
        max_length: int,
        *,
        pattern: str | None = None,
        hint: str = "",
        upper: bool = False,
    ) -> str | None:
        value = self.raw(name)
        if upper:
            value = re.sub(r"\s+", "", value).upper()
        if not value:
            return None
        if len(value) > max_length:
            self.fail(name, f"{label} : {max_length} caractères au plus ({len(value)} saisis).")
            return None
        if pattern is not None and re.fullmatch(pattern, value) is None:
            self.fail(name, f"{label} invalide : « {value} » ({hint}).")
            return None
        return value

    def code(
        self, name: str, code_list: codes.CodeList, on: date, *, upper: bool = False
    ) -> str | None:
        value = self.raw(name).upper() if upper else self.raw(name)
        if not value:
            return None
        try:
            return code_list.validate(value, on)
        except InvalidInput as error:
            self.fail(name, error.message)
            return None

    def day(self, name: str, label: str) -> date | None:
        value = self.raw(name)
        if not value:
            return None
        for form in _DATE_FORMS:
            match = form.fullmatch(value)
            if match:
                try:
                    return date(int(match["y"]), int(match["m"]), int(match["d"]))
                except ValueError:
                    break
        self.fail(name, f"{label} : date invalide « {value} » (format JJ/MM/AAAA).")
        return None

    def flag(self, name: str, label: str, default: bool) -> bool:
        if name not in self.values or self.values[name] is None:
            return default
        value = self.raw(name).lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        self.fail(name, f"{label} : répondez oui ou non (« {value} » reçu).")
        return default

    def amc_number(self, name: str, label: str, *, required: bool) -> str | None:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(
                    name,
                    f"{label} obligatoire (« N° AMC » de l'attestation de tiers "
                    "payant, 7 à 10 chiffres).",
                )
            return None
        try:
            return amc_id.validate(value)
        except IdValidationError as error:
            self.fail(name, error.message)
            return None


def parse(values: Mapping[str, object], on: date) -> AmcCoverageData:
    """Check a fiche mutuelle; ``on`` (today) dates the code lists.

    Values are strings (a form) or JSON values (dates, decimals, booleans). A missing
    ``tiers_payant`` is an unchecked box (False); a missing ``contrat_responsable`` is the
    default answer, yes.

    Raises:
        AmcCoverageInvalid: every bad field with its French message.
    """
    check = _Checker(values)
    number = check.amc_number("amc_number", "Numéro AMC", required=True)
    name = check.text("amc_name", "Nom de l'organisme", 200)
    if name is None and "amc_name" not in check.errors:
        check.fail("amc_name", "Nom de l'organisme obligatoire.")
    gestion_code = check.raw("gestion") or None
    if gestion_code is None:
        check.fail("gestion", "Choisissez la gestion : séparée ou unique.")
    else:
        gestion_code = check.code("gestion", codes.GESTION_AMC, on)
    start = check.day("rights_start", "Début des droits")
    end = check.day("rights_end", "Fin des droits")
    _check_period(check, start, end)
    data = AmcCoverageData(
        amc_number=number or "",
        gestion=AmcGestion(gestion_code) if gestion_code else AmcGestion.SEPAREE,
        amc_organism_id=_organism_id(check),
        amc_name=name,
        piece_justificative=check.code("piece_justificative", codes.PIECE_JUSTIFICATIVE, on),
        rights_start=start,
        rights_end=end,
        tiers_payant=check.flag("tiers_payant", "Tiers payant", False),
        contract_number=check.text("contract_number", "N° de contrat", 30),
        adherent_number=check.text(
            "adherent_number",
            "N° adhérent",
            30,
            pattern=r"[0-9A-Z]+",
            upper=True,
            hint="lettres et chiffres",
        ),
        convention_type=_convention_type(check),
        csr=_csr(check),
        treatment_indicator=check.code(
            "treatment_indicator", codes.INDICATEUR_TRAITEMENT_AMC, on, upper=True
        ),
        reference_date_code=_reference_date(check),
        sts_routing_code=check.text(
            "sts_routing_code",
            "Code aiguillage STS",
            2,
            pattern=r"[0-9A-Z]{1,2}",
            upper=True,
            hint="1 ou 2 caractères",
        ),
        contract_type=_contract_type(check),
        complementary_number=check.amc_number(
            "complementary_number", "N° d'organisme complémentaire", required=False
        ),
        routing_code=check.text(
            "routing_code",
            "Code routage",
            10,
            pattern=r"[0-9A-Z]+",
            upper=True,
            hint="lettres et chiffres",
        ),
        host_id=check.text(
            "host_id", "Hôte", 64, pattern=r"[0-9A-Za-z._-]+", hint="lettres, chiffres, . _ -"
        ),
        domain=check.text(
            "domain",
            "Domaine",
            128,
            pattern=r"[0-9A-Za-z._-]+",
            hint="nom de domaine, ex. amc.example.fr",
        ),
        contrat_responsable=check.flag("contrat_responsable", "Contrat responsable", True),
    )
    formula, parameter = _formula(check, data.situation)
    data = replace(data, formula_code=formula, formula_parameter=parameter)
    if check.errors:
        raise AmcCoverageInvalid(check.errors)
    return data


# Attestation fields: the harmonised formats (attestation_format, sintia.fr/node/84).
def _convention_type(check: _Checker) -> str | None:
    return check.text(
        "convention_type",
        "Type de convention",
        2,
        pattern=r"[0-9A-Z]{2}",
        upper=True,
        hint="2 caractères, ex. AL",
    )


def _csr(check: _Checker) -> str | None:
    return check.text(
        "csr",
        "Critère secondaire (CSR)",
        3,
        pattern=r"[0-9A-Z]{1,3}",
        upper=True,
        hint="1 à 3 caractères, ex. 001",
    )


def _contract_type(check: _Checker) -> str | None:
    # « Type contrat (valeur 89 réservé C2S) » (manuel eS-KAP+); ACORIS has type 0 there.
    return check.text(
        "contract_type",
        "Type de contrat",
        2,
        pattern=r"[0-9]{1,2}",
        upper=True,
        hint="1 ou 2 chiffres ; 89 = C2S",
    )


def _check_period(check: _Checker, start: date | None, end: date | None) -> None:
    for name, value, label in (("rights_start", start, "Début"), ("rights_end", end, "Fin")):
        if value is None and name not in check.errors:
            check.fail(
                name, f"{label} des droits obligatoire (« Année en cours » remplit 01/01–31/12)."
            )
    if start is not None and end is not None and end < start:
        check.fail(
            "rights_end",
            f"La fin des droits ({end:%d/%m/%Y}) précède leur début ({start:%d/%m/%Y}).",
        )


def _organism_id(check: _Checker) -> int | None:
    value = check.raw("amc_organism_id")
    if not value:
        return None
    organism_id = record_id(value)  # not int(): a 5,000-digit value must be refused, not a 500
    if organism_id is None:
        check.fail("amc_organism_id", f"Fiche organisme invalide : « {value[:40]} ».")
    return organism_id


def _reference_date(check: _Checker) -> str | None:
    value = check.raw("reference_date_code")
    if not value:
        return None
    if value not in _REFERENCE_DATE_CODES:
        choices = ", ".join(label for _, label in REFERENCE_DATES)
        check.fail("reference_date_code", f"Date de référence inconnue « {value} » : {choices}.")
        return None
    return value


def _formula(check: _Checker, situation: Situation) -> tuple[str | None, Decimal | None]:
    """The formule complémentaire and its parameter, checked as the pricing engine will."""
    code = check.raw("formula_code").upper() or None
    raw_parameter = check.raw("formula_parameter").replace(",", ".").rstrip("%").strip()
    if code is None:
        if raw_parameter:
            check.fail(
                "formula_parameter",
                "Paramètre saisi sans formule : choisissez la formule de la carte de tiers payant.",
            )
        return None, None
    refused = formula_refusal(situation, code)  # the situation's rule (domain/coverage.py)
    if refused is not None:
        check.fail("formula_code", refused)
        return None, None
    try:
        chosen = amc_formulas.formula(code)
    except InvalidInput as error:
        check.fail("formula_code", error.message)
        return None, None
    parameter = _parameter(check, raw_parameter)
    if "formula_parameter" in check.errors:
        return chosen.code, None
    try:
        # The engine's own check of the parameter (required, forbidden, bounds): the amounts
        # are irrelevant here, the call only validates (docs/rules.md §E).
        amc_formulas.evaluate(chosen.code, dr=ZERO, mro=ZERO, tr=ZERO, parameter=parameter)
    except InvalidInput as error:
        check.fail("formula_parameter", error.message)
        return chosen.code, None
    # A formula without parameter stores none (its percentage is fixed, e.g. 052 = 100 % TM).
    return chosen.code, parameter if chosen.takes_parameter else None


def _parameter(check: _Checker, raw: str) -> Decimal | None:
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        check.fail(
            "formula_parameter",
            f"Paramètre invalide « {raw} » : un pourcentage, ex. 150 pour 150 %.",
        )
        return None
    scaled = value.scaleb(_MAX_PARAMETER_DECIMALS) if value.is_finite() else value
    if not value.is_finite() or scaled != scaled.to_integral_value():
        check.fail("formula_parameter", f"Paramètre invalide « {raw} » : deux décimales au plus.")
        return None
    return value


# --------------------------------------------------------------------------- pre-filling


def blank_form() -> FormValues:
    """A new fiche: gestion séparée, pièce « attestation », tiers payant, responsable, séance.

    Defaults as on the manuals' screens: « ☒ Gestion séparée » and « Attestation Papier » (manuel
    eS-KAP+, « Mutuelle »), « Hors tiers payant ☐ » and « R ☒ Contrat responsable 100% Santé »
    (dossier LOGOSw), « Date d'exécution de la séance » (manuel eS-KAP+).
    """
    values = {name: "" for name in FIELD_NAMES}
    values.update(
        gestion=AmcGestion.SEPAREE.value,
        piece_justificative="attestation",
        tiers_payant="oui",
        contrat_responsable="oui",
        reference_date_code="execution",
    )
    return values


def apply_current_year(values: Mapping[str, str], on: date) -> FormValues:
    start, end = current_year(on)
    return {**values, "rights_start": start.isoformat(), "rights_end": end.isoformat()}


@dataclass(frozen=True, slots=True)
class Shortcut:
    """A special situation of dossier LOGOSw and the fields it pre-fills."""

    key: str
    label: str
    explanation: str
    source: str
    values: Mapping[str, str]


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut(
        "c2s_caisse",
        "C2S gérée par la caisse",
        "Complémentaire santé solidaire gérée par le régime obligatoire : gestion unique, "
        "tiers payant intégral, type de contrat 89 ; la C2S paie le ticket modérateur jusqu'au "
        "tarif (formule 029).",
        "LOGOSw, « Dossier du patient » (99999997) ; eS-KAP+, « Type contrat (valeur 89 réservé "
        "C2S) »",
        {
            "amc_number": "99999997",
            "amc_name": "Complémentaire santé solidaire gérée par le régime obligatoire",
            "gestion": "unique",
            "contract_type": "89",
            "tiers_payant": "oui",
            "formula_code": "029",
            "formula_parameter": "",
        },
    ),
    Shortcut(
        "c2s_organisme",
        "C2S gérée par un organisme",
        "Complémentaire santé solidaire gérée par un organisme complémentaire en gestion "
        "unique : type de contrat 89, tiers payant intégral, formule 029.",
        "LOGOSw, « Dossier du patient » (88888888) ; eS-KAP+, « Type contrat (valeur 89 réservé "
        "C2S) »",
        {
            "amc_number": "88888888",
            "amc_name": "Complémentaire santé solidaire gérée par un organisme complémentaire",
            "gestion": "unique",
            "contract_type": "89",
            "tiers_payant": "oui",
            "formula_code": "029",
            "formula_parameter": "",
        },
    ),
    Shortcut(
        "ame",
        "AME",
        "Aide médicale de l'État : ce n'est pas une mutuelle. L'Assurance Maladie prend en "
        "charge 100 % du tarif de responsabilité, en tiers payant, sans formule "
        "complémentaire ; les dépassements restent à la charge du patient. Saisissez la "
        "période « Droits AME du … au … » de la carte AME.",
        "LOGOSw, « Dossier du patient » (carte AME : n° 75500017, code contrat 04)",
        {
            "amc_number": "75500017",
            "amc_name": "Aide médicale de l'État (AME)",
            "gestion": "unique",
            "contract_type": "04",
            "tiers_payant": "oui",
            "piece_justificative": "carte_papier",
            "formula_code": "",
            "formula_parameter": "",
        },
    ),
    Shortcut(
        "sortant_c2s",
        "Sortant de C2S",
        "Sortant de la C2S au sens SESAM-Vitale (55555551) : pendant un an, tiers payant sur "
        "la part obligatoire seulement ; la part complémentaire, la participation forfaitaire "
        "et les franchises sont à régler par le patient. S'il présente l'attestation d'une "
        "mutuelle, ajoutez-la en plus.",
        "LOGOSw, « Dossier du patient »",
        {
            "amc_number": "55555551",
            "amc_name": "Sortant de C2S (tiers payant AMO seul)",
            "gestion": "unique",
            "contract_type": "",
            "tiers_payant": "non",
            "formula_code": "",
            "formula_parameter": "",
        },
    ),
    Shortcut(
        "regime_mahorais",
        "Régime mahorais",
        "Régime mahorais : la CSSM rembourse aux mêmes taux qu'en métropole ; le ticket "
        "modérateur peut être pris en charge par la complémentaire : choisissez sa formule. "
        "Numéro 97900062 proposé par le logiciel LOGOSw, à confirmer.",
        "LOGOSw, « Dossier du patient »",
        {
            "amc_number": "97900062",
            "amc_name": "Régime mahorais (part complémentaire)",
            "gestion": "unique",
            "contract_type": "",
        },
    ),
)
_SHORTCUTS = {shortcut.key: shortcut for shortcut in SHORTCUTS}


def shortcut_for(amc_number: str) -> Shortcut | None:
    """The special situation this numéro AMC designates, if any (its explanation stays shown
    on the fiche, whichever way the number was entered)."""
    bare = amc_number.strip().lstrip("0")
    if not bare:
        return None
    return next((s for s in SHORTCUTS if s.values["amc_number"].lstrip("0") == bare), None)


def apply_shortcut(values: Mapping[str, str], key: str) -> tuple[FormValues, Shortcut]:
    """The fiche with the fields of a special situation; unlinked from any organism fiche."""
    shortcut = _SHORTCUTS.get(key)
    if shortcut is None:
        raise InvalidInput(
            f"Raccourci inconnu : « {key} ».", code="unknown_amc_shortcut", field="shortcut"
        )
    return {**values, "amc_organism_id": "", **shortcut.values}, shortcut


@dataclass(frozen=True, slots=True)
class OrganismChoice:
    """One line of the organism pick-list."""

    id: int
    number: str
    name: str
    gestion: str
    contract_type: str | None

    @property
    def gestion_label(self) -> str:
        return "gestion unique" if self.gestion == AmcGestion.UNIQUE else "gestion séparée"


def _choice(row: AmcOrganism) -> OrganismChoice:
    return OrganismChoice(
        row.id, row.number, row.name, AmcGestion(row.gestion).value, row.contract_type
    )


def organism_values(row: AmcOrganism) -> FormValues:
    """The fields an organism fiche fills: number, name, gestion and its routing data."""
    values = {
        "amc_organism_id": str(row.id),
        "amc_number": row.number,
        "amc_name": row.name,
        "gestion": AmcGestion(row.gestion).value,
    }
    for name in ("contract_type", "convention_type", "csr", "routing_code", "host_id", "domain"):
        value = getattr(row, name)
        if value:
            values[name] = value
    return values


def apply_organism(values: Mapping[str, str], row: AmcOrganism) -> FormValues:
    return {**values, **organism_values(row)}


def pick_organism(
    uow: UnitOfWork, values: Mapping[str, str], organism_id: int
) -> tuple[FormValues, str]:
    """The fiche filled from the organism picked in the list, and the organism's name.

    Raises:
        NotFound: no such organism in this cabinet.
    """
    with uow:
        row = uow.amc_organisms.get(organism_id)
        return apply_organism(values, row), row.name


@dataclass(frozen=True, slots=True)
class Prefill:
    """A fiche pre-filled from a source, and what to tell the user about it."""

    values: FormValues
    message: str
    errors: Mapping[str, str]


def read_attestation(image: bytes, on: date) -> AmcAttestation:
    """Decode the attestation's DataMatrix / QR code, valid on ``on``.

    Raises the typed ``AttestationError`` subclasses (French messages: unreadable image, no
    code, not an AMC attestation, malformed, expired, not yet valid).
    """
    return teleservices.read_attestation(image, on)


def apply_attestation(
    uow: UnitOfWork, values: Mapping[str, str], attestation: AmcAttestation
) -> Prefill:
    """The fiche filled from an attestation: its 5 harmonised fields (+ formula if printed),
    the organism fiche of its numéro AMC when the cabinet has one. Nothing is saved."""
    with uow:
        organism = _organism_by_number(uow, attestation.amc_number)
    filled = dict(values)
    if organism is not None:
        filled.update(organism_values(organism))
        found = f"organisme « {organism.name} »"
    else:
        filled["amc_organism_id"] = ""
        found = "organisme absent de votre liste : saisissez son nom puis « Créer l'organisme »"
    filled.update(
        amc_number=attestation.amc_number,
        convention_type=attestation.convention_type,
        csr=attestation.csr,
        adherent_number=attestation.member_number,
        rights_start=attestation.valid_from.isoformat(),
        rights_end=attestation.valid_to.isoformat() if attestation.valid_to else "",
        piece_justificative="attestation",
        source=DataSource.ATTESTATION.value,
    )
    errors: dict[str, str] = {}
    if attestation.formula:
        filled.update(formula_code=attestation.formula, formula_parameter="")
        try:
            if amc_formulas.formula(attestation.formula).takes_parameter:
                errors["formula_parameter"] = (
                    "Saisissez le pourcentage imprimé avec la formule sur l'attestation."
                )
        except InvalidInput as error:
            errors["formula_code"] = error.message  # e.g. 030: not documented, refused
    message = (
        f"Attestation lue : n° AMC {attestation.amc_number} ({found}), valable "
        f"{attestation.validity}. Vérifiez les champs puis enregistrez."
    )
    return Prefill(filled, message, errors)


def _organism_by_number(uow: UnitOfWork, number: str) -> AmcOrganism | None:
    """The cabinet's fiche of this AMC number, as printed or with/without leading zeros."""
    digits = number.strip()
    bare = digits.lstrip("0") or "0"
    for candidate in dict.fromkeys((digits, bare, *(bare.rjust(n, "0") for n in (8, 9, 10)))):
        found = uow.amc_organisms.by_number(candidate)
        if found is not None:
            return found
    return None


def search_organisms(uow: UnitOfWork, text: str, *, limit: int = 15) -> list[OrganismChoice]:
    """The pick-list (« Recherche A>Z », manuel eS-KAP+): the repository's search (name
    prefix), and the organism whose number is exactly the digits typed (from the attestation,
    with or without its leading zeros)."""
    with uow:
        rows = list(uow.amc_organisms.search(text, limit=limit))
        compact = re.sub(r"[\s.]", "", text)
        if compact.isascii() and compact.isdigit():
            exact = _organism_by_number(uow, compact)
            if exact is not None and all(row.id != exact.id for row in rows):
                rows.insert(0, exact)
        return [_choice(row) for row in rows[:limit]]


def create_organism(uow: UnitOfWork, values: Mapping[str, object], *, on: date) -> OrganismChoice:
    """« Ajouter un organisme AMC » from the fiche: number, name, gestion (+ its routing
    fields), journaled. Refuses a number the cabinet already has (pick it instead)."""
    check = _Checker(values)
    number = check.amc_number("amc_number", "Numéro AMC", required=True)
    name = check.text("amc_name", "Nom de l'organisme", 200)
    if name is None and "amc_name" not in check.errors:
        check.fail("amc_name", "Nom de l'organisme obligatoire pour créer sa fiche.")
    gestion = check.code("gestion", codes.GESTION_AMC, on) or AmcGestion.SEPAREE.value
    contract_type = _contract_type(check)
    convention_type, csr = _convention_type(check), _csr(check)
    if check.errors:
        raise AmcCoverageInvalid(check.errors)
    assert number is not None and name is not None
    with uow:
        existing = _organism_by_number(uow, number)
        if existing is not None:
            raise Conflict(
                f"Un organisme porte déjà le numéro {existing.number} (« "
                f"{existing.name} ») : choisissez-le dans la liste.",
                code="amc_organism_exists",
                field="amc_number",
            )
        row = AmcOrganism(
            number=number,
            name=name,
            gestion=AmcGestion(gestion),
            contract_type=contract_type,
            convention_type=convention_type,
            csr=csr,
            user_edited=True,
        )
        uow.journal_change(
            row, JournalAction.CREATE, summary="organisme AMC créé depuis une fiche mutuelle"
        )
        choice = _choice(row)
        uow.commit()
    return choice


# --------------------------------------------------------------------------- use cases


@dataclass(frozen=True, slots=True)
class AmcCoverageView:
    """A patient's contract as the screens and the API show it."""

    id: int
    patient_id: int
    source: DataSource
    data: AmcCoverageData
    state: RightsState

    @property
    def read_only(self) -> bool:
        """Read from the carte Vitale: not edited, duplicated (manuel eS-KAP+)."""
        return self.source is DataSource.VITALE

    @property
    def situation(self) -> Situation:
        return self.data.situation

    @property
    def renewable(self) -> bool:
        return self.state is RightsState.FERMES

    @property
    def name(self) -> str:
        return self.data.amc_name or f"Mutuelle n°{self.data.amc_number}"

    @property
    def period(self) -> str:
        start, end = self.data.rights_start, self.data.rights_end
        if start is None:
            return f"jusqu'au {end:%d/%m/%Y}" if end else "période non précisée"
        return f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}" if end else f"depuis le {start:%d/%m/%Y}"

    @property
    def formula_label(self) -> str:
        code = self.data.formula_code
        if not code:
            return ""
        try:
            label = amc_formulas.formula(code).label
        except InvalidInput:
            return code
        parameter = self.data.formula_parameter
        shown = label.replace("%", f"{_form_text(parameter)} %", 1) if parameter else label
        return f"{code} — {shown}"


def _view(row: AmcCoverage, on: date) -> AmcCoverageView:
    data = AmcCoverageData(**{name: getattr(row, name) for name in FIELD_NAMES})
    return AmcCoverageView(
        row.id,
        row.patient_id,
        DataSource(row.source),
        data,
        rights_state(row.rights_start, row.rights_end, on),
    )


@dataclass(frozen=True, slots=True)
class PatientMutuelles:
    patient_id: int
    patient_name: str
    coverages: tuple[AmcCoverageView, ...]


def patient_name(patient: Patient) -> str:
    if patient.is_company and patient.company_name:
        return patient.company_name
    return " ".join(part for part in (patient.last_name, patient.first_name) if part)


def list_for_patient(uow: UnitOfWork, patient_id: int, *, on: date) -> PatientMutuelles:
    """The patient's mutuelles, most recent period first."""
    with uow:
        patient = uow.patients.get(patient_id)
        rows = uow.amc_coverages.for_patient(patient_id)
        return PatientMutuelles(
            patient.id, patient_name(patient), tuple(_view(row, on) for row in rows)
        )


def get(uow: UnitOfWork, patient_id: int, coverage_id: int, *, on: date) -> AmcCoverageView:
    with uow:
        return _view(_owned(uow, patient_id, coverage_id), on)


def _owned(uow: UnitOfWork, patient_id: int, coverage_id: int) -> AmcCoverage:
    uow.patients.get(patient_id)
    row = uow.amc_coverages.find(coverage_id)
    if row is None or row.patient_id != patient_id:
        raise NotFound(
            f"Mutuelle introuvable pour ce patient (n° {coverage_id}).",
            code="amc_coverage_not_found",
        )
    return row


def _check_organism(uow: UnitOfWork, data: AmcCoverageData) -> None:
    if data.amc_organism_id is not None and uow.amc_organisms.find(data.amc_organism_id) is None:
        raise AmcCoverageInvalid(
            {
                "amc_organism_id": "Fiche organisme introuvable dans ce "
                "cabinet : choisissez-la à nouveau."
            }
        )


def _set(row: AmcCoverage, data: AmcCoverageData) -> None:
    for name in FIELD_NAMES:
        setattr(row, name, getattr(data, name))


def add(
    uow: UnitOfWork,
    patient_id: int,
    values: Mapping[str, object],
    *,
    on: date,
    source: DataSource = DataSource.MANUEL,
) -> AmcCoverageView:
    """« Ajouter une mutuelle »: a new contract for the patient, journaled."""
    data = parse(values, on)
    with uow:
        uow.patients.get(patient_id)
        _check_organism(uow, data)
        row = AmcCoverage(patient_id=patient_id, source=source)
        _set(row, data)
        uow.journal_change(row, JournalAction.CREATE, summary="mutuelle ajoutée")
        view = _view(row, on)
        uow.commit()
    return view


def update(
    uow: UnitOfWork, patient_id: int, coverage_id: int, values: Mapping[str, object], *, on: date
) -> AmcCoverageView:
    """Save the fiche of an existing contract. A card-read contract is refused: duplicate it."""
    data = parse(values, on)
    with uow:
        row = _owned(uow, patient_id, coverage_id)
        if row.source == DataSource.VITALE:
            raise Conflict(
                "Mutuelle lue sur la carte Vitale : elle ne se modifie pas. "
                "Utilisez « Dupliquer » pour en faire une copie modifiable.",
                code="amc_card_read_only",
            )
        _check_organism(uow, data)
        _set(row, data)
        # Journaled right after the change, before any query (UnitOfWork.journal_change).
        uow.journal_change(row, JournalAction.UPDATE, summary="mutuelle modifiée")
        view = _view(row, on)
        uow.commit()
    return view


def delete(uow: UnitOfWork, patient_id: int, coverage_id: int) -> None:
    """« Supprimer la mutuelle sélectionnée » (manuel eS-KAP+), journaled."""
    with uow:
        row = _owned(uow, patient_id, coverage_id)
        uow.journal_change(row, JournalAction.DELETE, summary="mutuelle supprimée")
        uow.commit()


def _copy(
    uow: UnitOfWork, row: AmcCoverage, data: AmcCoverageData, summary: str, on: date
) -> AmcCoverageView:
    copy = AmcCoverage(patient_id=row.patient_id, source=DataSource.MANUEL)
    _set(copy, data)
    uow.journal_change(copy, JournalAction.CREATE, summary=summary)
    view = _view(copy, on)
    uow.commit()
    return view


def duplicate(uow: UnitOfWork, patient_id: int, coverage_id: int, *, on: date) -> AmcCoverageView:
    """« Dupliquer mutuelle »: an identical, editable (typed) copy — the way to change a
    mutuelle read from the carte Vitale (manuel eS-KAP+)."""
    with uow:
        row = _owned(uow, patient_id, coverage_id)
        data = _view(row, on).data
        return _copy(uow, row, data, f"copie de la mutuelle n° {row.id}", on)


def renew(
    uow: UnitOfWork,
    patient_id: int,
    coverage_id: int,
    *,
    on: date,
    values: Mapping[str, object] | None = None,
) -> AmcCoverageView:
    """« Renouveler » closed rights: a new contract with the same fields over a new period
    (default :func:`renewal_period`); the closed one stays as history.

    Raises:
        Conflict: the rights are not closed on ``on`` (code ``amc_rights_open``).
        AmcCoverageInvalid: a bad period.
    """
    with uow:
        row = _owned(uow, patient_id, coverage_id)
        view = _view(row, on)
        if not view.renewable:
            until = f" jusqu'au {row.rights_end:%d/%m/%Y}" if row.rights_end else ""
            raise Conflict(
                f"Droits encore ouverts{until} : rien à renouveler.", code="amc_rights_open"
            )
        start, end = _renewal_dates(values or {}, row.rights_end, on)
        data = replace(view.data, rights_start=start, rights_end=end)
        return _copy(uow, row, data, f"renouvellement de la mutuelle n° {row.id}", on)


def _renewal_dates(
    values: Mapping[str, object], old_end: date | None, on: date
) -> tuple[date, date]:
    default_start, default_end = renewal_period(old_end, on)
    check = _Checker(values)
    start = check.day("rights_start", "Début des droits") or default_start
    end = check.day("rights_end", "Fin des droits") or default_end
    if not check.errors:
        _check_period(check, start, end)
    if not check.errors and old_end is not None and start <= old_end:
        check.fail(
            "rights_start",
            f"La nouvelle période doit commencer après la fin des "
            f"droits fermés ({old_end:%d/%m/%Y}).",
        )
    if check.errors:
        raise AmcCoverageInvalid(check.errors)
    return start, end
