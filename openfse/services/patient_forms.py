"""The patient file form: what the desk types (or a script sends) → checked values, or every
error at once, each with its field and a French message.

Pure: no database, no clock (``today`` is an argument, for the code lists in force). The web
form and the JSON API both build a :class:`PatientInput` of raw strings, :func:`check` turns it
into a :class:`PatientData` or raises :class:`PatientFormErrors` listing *all* the fields to
correct, so that a screen shows each message next to its field and keeps what was typed.

Fields are those of manuel eS-KAP+ « Création manuelle » (bénéficiaire: nom, prénom, N° de sécurité
sociale, date lunaire, date de naissance, rang, qualité, téléphones, adresse, indemnités
kilométriques IK / IKM / IKS; assuré: nom, prénom, N° de sécurité sociale; organisme AMO:
régime, caisse, centre, pièce justificative → taux de remboursement, code gestion, droits AMO
ouverts par période, prise en charge, ALD) and dossier LOGOSw (notes with « Drapeau dans la liste »,
alerte shown at opening; Alsace-Moselle), plus the « client professionnel » of aide eS-KAP+.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.fr import siret as stdnum_siret

from openfse.domain.patient import (
    IDENTITY_FIELDS,
    QUALITE_ASSURE,
    SEXES,
    TAUX_REMBOURSEMENT,
    birth_date_display,
    parse_birth_date,
)
from openfse.domain.rights import normalize_name
from openfse.errors import FormErrors, InvalidInput, OpenFSEError
from openfse.ids import nir as ids_nir
from openfse.ids.organisme import REGIMES
from openfse.periods import Period
from openfse.referentials.codes import EXONERATION, PIECE_JUSTIFICATIVE, QUALITE_BENEFICIAIRE

__all__ = [
    "IDENTITY_FIELDS",
    "MAX_ALDS",
    "MAX_PERIODS",
    "SEXES",
    "TAUX_REMBOURSEMENT",
    "AldData",
    "AldInput",
    "AmoData",
    "PatientData",
    "PatientFormErrors",
    "PatientInput",
    "PeriodInput",
    "RightsPeriod",
    "birth_date_display",
    "check",
    "check_contact",
    "identity_differences",
    "parse_birth_date",
]

MAX_PERIODS = 6
MAX_ALDS = 12
_TAUX_CODES = frozenset(code for code, _ in TAUX_REMBOURSEMENT)

_PHONE_SEPARATORS = re.compile(r"[\s.\-/()]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CIM10 = re.compile(r"[A-Z][0-9]{2}(\.?[0-9A-Z]{1,2})?")
_DIGITS = re.compile(r"[0-9]+")
_IK_MAX = Decimal("999.9")


# Several fields to correct: the one form-error type (``errors``: form field → French message).
PatientFormErrors = FormErrors


# --------------------------------------------------------------------------- raw input


@dataclass(frozen=True, slots=True)
class PeriodInput:
    """One « Période » of AMO rights, as typed: dates and the « Prise en charge »."""

    start: str = ""
    end: str = ""
    exoneration: str = ""

    def is_blank(self) -> bool:
        return not (self.start.strip() or self.end.strip() or self.exoneration.strip())


@dataclass(frozen=True, slots=True)
class AldInput:
    """One affection de longue durée row, as typed."""

    code: str = ""
    label: str = ""
    cim10: str = ""
    start: str = ""
    end: str = ""

    def is_blank(self) -> bool:
        return not any(getattr(self, f.name).strip() for f in fields(self))


_Row = TypeVar("_Row", PeriodInput, AldInput)


@dataclass(frozen=True, slots=True)
class PatientInput:
    """Every field of the form as text (checkboxes as booleans), exactly as typed."""

    is_company: bool = False
    company_name: str = ""
    company_siret: str = ""
    last_name: str = ""
    usage_name: str = ""
    first_name: str = ""
    sex: str = ""
    birth_date: str = ""
    lunar: bool = False
    birth_rank: str = "1"
    quality: str = QUALITE_ASSURE
    beneficiary_nir: str = ""
    nir: str = ""
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
    ik_plain_km: str = ""
    ik_mountain_km: str = ""
    ik_ski_km: str = ""
    notes: str = ""
    notes_flagged: bool = False
    alert: str = ""
    alsace_moselle: bool = False
    amo_regime: str = ""
    amo_caisse: str = ""
    amo_centre: str = ""
    amo_organism_name: str = ""
    code_gestion: str = ""
    piece_justificative: str = ""
    taux_remboursement: str = ""
    periods: tuple[PeriodInput, ...] = ()
    alds: tuple[AldInput, ...] = ()

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> PatientInput:
        """From posted form fields (``periods-0-start``, ``ald-1-code``…; a checkbox is
        present when ticked). Unknown fields are ignored."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in ("periods", "alds"):
                continue
            raw = form.get(f.name)
            if f.type == "bool":
                values[f.name] = raw not in (None, "", "0", "false", "off")
            elif raw is not None:
                values[f.name] = str(raw)
        values["periods"] = _rows_from_form(form, "periods", PeriodInput, MAX_PERIODS)
        values["alds"] = _rows_from_form(form, "ald", AldInput, MAX_ALDS)
        return cls(**values)

    def with_rows(self, *, periods: int = 0, alds: int = 0) -> PatientInput:
        """The same input with blank rows appended (« Ajouter une période / une ALD »)."""
        return replace(
            self,
            periods=(self.periods + (PeriodInput(),) * periods)[:MAX_PERIODS],
            alds=(self.alds + (AldInput(),) * alds)[:MAX_ALDS],
        )


def _rows_from_form(form: Mapping[str, Any], prefix: str, row_type: type[_Row],
                    limit: int) -> tuple[_Row, ...]:
    rows = []
    for index in range(limit):
        names = [f.name for f in fields(row_type)]
        if not any(f"{prefix}-{index}-{name}" in form for name in names):
            continue
        row = row_type(**{name: str(form.get(f"{prefix}-{index}-{name}") or "")
                          for name in names})
        if not row.is_blank():
            rows.append(row)
    return tuple(rows)


# --------------------------------------------------------------------------- checked values


@dataclass(frozen=True, slots=True)
class RightsPeriod:
    """One AMO period of the form: the dates (openfse/periods.py's Period) and the
    « Prise en charge » (justificatif d'exonération)."""

    period: Period
    exoneration: str | None

    @property
    def start(self) -> date | None:
        return self.period.start

    @property
    def end(self) -> date | None:
        return self.period.end


@dataclass(frozen=True, slots=True)
class AmoData:
    """The organisme AMO block: organism codes, how rights were proven, periods."""

    regime: str
    caisse: str
    centre: str
    code_gestion: str | None
    piece_justificative: str | None
    taux_remboursement: str | None
    periods: tuple[RightsPeriod, ...]
    organism_name: str | None  # to add the organism to the cabinet's list when unknown


@dataclass(frozen=True, slots=True)
class AldData:
    code: str
    label: str | None
    cim10: str | None
    start: date | None
    end: date | None


@dataclass(frozen=True, slots=True)
class PatientData:
    """Checked values: ``columns`` are ready for the ``patient`` row (None = empty)."""

    columns: Mapping[str, Any]
    amo: AmoData | None
    alds: tuple[AldData, ...]

    @property
    def is_company(self) -> bool:
        return bool(self.columns.get("is_company"))


# --------------------------------------------------------------------------- checking


@dataclass
class _Checker:
    """Collects one error per field while values are checked."""

    today: date
    errors: dict[str, str] = field(default_factory=dict)

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def run(self, name: str, check_value: Callable[[], Any]) -> Any:
        """``check_value()``, or None with the error recorded against ``name``."""
        try:
            return check_value()
        except OpenFSEError as error:
            self.fail(name, error.message)
            return None


def _text(value: str, limit: int = 200) -> str | None:
    cleaned = " ".join(value.split())
    return cleaned[:limit] or None


def _multiline(value: str, limit: int = 4000) -> str | None:
    cleaned = value.replace("\r\n", "\n").strip()
    return cleaned[:limit] or None


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message)


def _day(text: str, label: str) -> date | None:
    cleaned = text.strip()
    if not cleaned:
        return None
    for form in ("iso", "fr"):
        try:
            if form == "iso":
                return date.fromisoformat(cleaned)
            day, month, year = cleaned.split("/")
            return date(int(year), int(month), int(day))
        except ValueError:
            continue
    raise _invalid(f"{label} invalide : « {cleaned[:20]} » (attendu JJ/MM/AAAA).")


def _nir(value: str) -> str:
    # Key 97 − (N mod 97) and each part checked by openfse.ids.nir (docs/rules.md §G); the
    # message names the wrong part (« Clé du NIR incorrecte : 12 saisie, 49 attendue. »).
    return ids_nir.validate(value)


def _phone(value: str) -> str | None:
    compact = _PHONE_SEPARATORS.sub("", value)
    if not compact:
        return None
    if compact.startswith("+"):
        if _DIGITS.fullmatch(compact[1:]) and 8 <= len(compact) - 1 <= 15:
            return compact
    elif _DIGITS.fullmatch(compact) and len(compact) == 10 and compact.startswith("0"):
        return compact
    raise _invalid(f"Numéro de téléphone invalide : « {value.strip()[:20]} » (10 chiffres "
                   "commençant par 0, ou +indicatif).")


def _email(value: str) -> str | None:
    cleaned = value.strip()
    if not cleaned:
        return None
    if not _EMAIL.fullmatch(cleaned) or len(cleaned) > 254:
        raise _invalid(f"Adresse e-mail invalide : « {cleaned[:40]} ».")
    return cleaned


def _postal_code(value: str, abroad: bool) -> str | None:
    cleaned = value.strip().replace(" ", "")
    if not cleaned:
        return None
    if not abroad and not (_DIGITS.fullmatch(cleaned) and len(cleaned) == 5):
        raise _invalid(f"Code postal invalide : « {cleaned[:10]} » (5 chiffres).")
    if len(cleaned) > 10:
        raise _invalid("Code postal trop long (10 caractères au plus).")
    return cleaned


def _distance(value: str, label: str) -> Decimal | None:
    cleaned = value.strip().replace(",", ".").replace(" ", "")
    if not cleaned:
        return None
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise _invalid(f"Distance {label} invalide : « {value.strip()[:10]} » (en km, "
                       "ex. 4,5).") from None
    # Stored with one decimal (hectometre): a finer figure would be silently rounded.
    if not number.is_finite() or number < 0 or number > _IK_MAX or number != number.quantize(
            Decimal("0.1")):
        raise _invalid(f"Distance {label} invalide : « {value.strip()[:10]} » (0 à 999,9 km, "
                       "une décimale au plus).")
    return number.quantize(Decimal("0.1"))


def _rank(value: str) -> int:
    cleaned = value.strip() or "1"
    # The length first: int() refuses a string of thousands of digits (found by the form fuzz).
    if not (_DIGITS.fullmatch(cleaned) and len(cleaned) <= 2 and 1 <= int(cleaned) <= 9):
        # Rang de naissance: 1 for a single birth, 1 and 2 for twins… (aide eS-KAP+).
        raise _invalid(f"Rang de naissance invalide : « {cleaned[:3]} » (1 à 9 ; 1 pour une "
                       "naissance unique, 1 et 2 pour des jumeaux).")
    return int(cleaned)


def _siret(value: str) -> str | None:
    cleaned = value.strip().replace(" ", "")
    if not cleaned:
        return None
    try:
        return str(stdnum_siret.validate(cleaned))
    except StdnumValidationError:
        raise _invalid(f"SIRET invalide : « {cleaned[:20]} » (14 chiffres, clé de contrôle "
                       "incorrecte ?).") from None


def _code_of(code_list: Any, value: str, today: date) -> str | None:
    cleaned = value.strip()
    return code_list.validate(cleaned, today) if cleaned else None


def check(raw: PatientInput, today: date) -> PatientData:
    """Check every field; return the values or raise :class:`PatientFormErrors`."""
    checker = _Checker(today)  # errors are listed in the order of the form's fields
    if raw.is_company:
        columns = _company_columns(raw, checker) | _contact_columns(raw, checker)
        amo = None
    else:
        columns = _identity_columns(raw, checker) | _contact_columns(raw, checker)
        amo = _amo(raw, checker, provisional=(columns.get("nir") or " ")[0] in "78")
    alds = () if raw.is_company else tuple(
        _ald(row, index, checker) for index, row in enumerate(raw.alds))
    if checker.errors:
        raise PatientFormErrors(checker.errors)
    return PatientData(columns, amo, tuple(a for a in alds if a is not None))


def check_contact(raw: PatientInput, today: date) -> dict[str, Any]:
    """Only what stays editable on a file read from a card (manuel eS-KAP+ « Les données suivantes
    sont modifiables : numéro de téléphone, adresse, indemnités kilométriques… »), with the
    notes and the alert: the ``patient`` columns, or :class:`PatientFormErrors`."""
    checker = _Checker(today)
    columns = _contact_columns(raw, checker)
    if checker.errors:
        raise PatientFormErrors(checker.errors)
    return columns


def identity_differences(raw: PatientInput, stored: Mapping[str, Any]) -> list[str]:
    """The identity fields ``raw`` fills with another value than ``stored`` (the ``patient``
    columns). Blank fields are not compared: they say nothing."""
    changed = []
    for name in ("last_name", "usage_name", "first_name", "insured_last_name",
                 "insured_first_name"):
        # Cards write names in capitals without accents: « Martin » names MARTIN.
        typed = normalize_name(getattr(raw, name))
        if typed and typed != normalize_name(stored.get(name) or ""):
            changed.append(name)
    for name in ("nir", "beneficiary_nir"):
        nir = ids_nir.compact(getattr(raw, name)) if getattr(raw, name).strip() else None
        if nir is not None and nir != stored.get(name):
            changed.append(name)
    if raw.birth_date.strip():
        try:
            born: str | None = parse_birth_date(raw.birth_date, lunar=True)
        except InvalidInput:
            born = None
        if born != stored.get("birth_date_text"):
            changed.append("birth_date")
    if raw.birth_rank.strip() and raw.birth_rank.strip() != str(stored.get("birth_rank")):
        changed.append("birth_rank")
    if raw.quality.strip() and raw.quality.strip() != stored.get("quality"):
        changed.append("quality")
    return changed


def _contact_columns(raw: PatientInput, checker: _Checker) -> dict[str, Any]:
    abroad = bool(raw.country.strip())
    return {
        "mobile_phone": checker.run("mobile_phone", lambda: _phone(raw.mobile_phone)),
        "phone": checker.run("phone", lambda: _phone(raw.phone)),
        "email": checker.run("email", lambda: _email(raw.email)),
        "address_line1": _text(raw.address_line1),
        "address_line2": _text(raw.address_line2),
        "postal_code": checker.run("postal_code", lambda: _postal_code(raw.postal_code, abroad)),
        "city": _text(raw.city, 100),
        "country": _text(raw.country, 100),
        "ik_plain_km": checker.run("ik_plain_km", lambda: _distance(raw.ik_plain_km, "IK")),
        "ik_mountain_km": checker.run("ik_mountain_km",
                                      lambda: _distance(raw.ik_mountain_km, "IKM")),
        "ik_ski_km": checker.run("ik_ski_km", lambda: _distance(raw.ik_ski_km, "IKS")),
        "notes": _multiline(raw.notes),
        "notes_flagged": raw.notes_flagged and bool(raw.notes.strip()),
        "alert": _multiline(raw.alert, 1000),
        "alsace_moselle": raw.alsace_moselle,
    }


def _company_columns(raw: PatientInput, checker: _Checker) -> dict[str, Any]:
    # « Client professionnel » (aide eS-KAP+): a company billed directly, without NIR nor AMO.
    name = _text(raw.company_name)
    if name is None:
        checker.fail("company_name", "La raison sociale du client professionnel est "
                                     "obligatoire.")
    return {
        "is_company": True,
        "company_name": name,
        "company_siret": checker.run("company_siret", lambda: _siret(raw.company_siret)),
        # The company is found by its name in the patient search.
        "last_name": (name or "")[:100],
        "first_name": _text(raw.first_name, 100) or "",
        "usage_name": None,
        "nir": None,
        "beneficiary_nir": None,
        "birth_date_text": None,
        "birth_rank": 1,
        "quality": QUALITE_ASSURE,
        "sex": None,
        "insured_last_name": None,
        "insured_first_name": None,
    }


def _identity_columns(raw: PatientInput, checker: _Checker) -> dict[str, Any]:
    # Checked in the order of the form, so that the first error listed is the first field.
    last_name = _text(raw.last_name, 100)
    if last_name is None:
        checker.fail("last_name", "Le nom du bénéficiaire est obligatoire.")
    sex = raw.sex.strip().upper()
    if sex not in {code for code, _ in SEXES}:
        checker.fail("sex", "Sexe invalide (M, F ou I).")
    birth_date_text = checker.run("birth_date",
                                  lambda: parse_birth_date(raw.birth_date, lunar=raw.lunar))
    rank = checker.run("birth_rank", lambda: _rank(raw.birth_rank)) or 1
    quality = checker.run("quality", lambda: _code_of(QUALITE_BENEFICIAIRE, raw.quality,
                                                       checker.today)) or QUALITE_ASSURE
    beneficiary_nir = (checker.run("beneficiary_nir", lambda: _nir(raw.beneficiary_nir))
                       if raw.beneficiary_nir.strip() else None)
    nir = None
    if not raw.nir.strip():
        checker.fail("nir", "Le N° de sécurité sociale de l'assuré est obligatoire.")
    else:
        nir = checker.run("nir", lambda: _nir(raw.nir))
    is_assure = quality == QUALITE_ASSURE
    if is_assure and beneficiary_nir is None:
        beneficiary_nir = nir  # the assuré is his own beneficiary
    return {
        "is_company": False,
        "company_name": None,
        "company_siret": None,
        "last_name": last_name,
        "usage_name": _text(raw.usage_name, 100),
        "first_name": _text(raw.first_name, 100) or "",
        "sex": sex or None,
        "birth_date_text": birth_date_text,
        "birth_rank": rank,
        "quality": quality,
        "nir": nir,
        "beneficiary_nir": beneficiary_nir,
        # The assuré's name only makes sense for an ayant droit.
        "insured_last_name": None if is_assure else _text(raw.insured_last_name, 100),
        "insured_first_name": None if is_assure else _text(raw.insured_first_name, 100),
    }


def _amo(raw: PatientInput, checker: _Checker, *, provisional: bool) -> AmoData | None:
    codes = (raw.amo_regime.strip(), raw.amo_caisse.strip(), raw.amo_centre.strip())
    if not any(codes):
        if provisional:
            # Aide eS-KAP+: a provisional NIR (7 or 8, often AME) needs the code caisse and code
            # centre read on the attestation (« organisme 01 841 5623 → caisse 841, centre
            # 5623 »).
            for name in ("amo_regime", "amo_caisse", "amo_centre"):
                checker.fail(name, "NIR provisoire (commençant par 7 ou 8) : le régime, le code "
                                   "caisse et le code centre sont obligatoires ; ils figurent "
                                   "sur l'attestation (ex. 01 841 5623).")
        elif raw.periods or raw.piece_justificative.strip() or raw.code_gestion.strip():
            checker.fail("amo_regime", "Renseignez l'organisme AMO (régime, caisse, centre) "
                                       "pour enregistrer des droits.")
        return None
    regime, caisse, centre = codes
    if not (_DIGITS.fullmatch(regime) and regime in REGIMES):
        checker.fail("amo_regime", f"Code régime inconnu : « {regime} » (2 chiffres, ex. 01 "
                                   "régime général, 02 MSA).")
    if not (_DIGITS.fullmatch(caisse) and len(caisse) == 3):
        checker.fail("amo_caisse", f"Code caisse invalide : « {caisse} » (3 chiffres, ex. 841)."
                     if caisse else "Code caisse obligatoire (3 chiffres, ex. 841).")
    if not (_DIGITS.fullmatch(centre) and len(centre) == 4):
        checker.fail("amo_centre", f"Code centre invalide : « {centre} » (4 chiffres, ex. 5623)."
                     if centre else "Code centre obligatoire (4 chiffres, ex. 5623).")
    code_gestion = raw.code_gestion.strip() or None
    if code_gestion is not None and not (_DIGITS.fullmatch(code_gestion)
                                         and len(code_gestion) == 2):
        checker.fail("code_gestion", f"Code gestion invalide : « {code_gestion[:5]} » "
                                     "(2 chiffres, ex. 10).")
    piece = checker.run("piece_justificative", lambda: _code_of(
        PIECE_JUSTIFICATIVE, raw.piece_justificative, checker.today))
    taux = raw.taux_remboursement.strip() or None
    if taux is not None and taux not in _TAUX_CODES:
        checker.fail("taux_remboursement", f"Taux de remboursement inconnu : « {taux[:30]} ».")
    if taux is not None and piece in (None, "aucune"):
        # Manuel eS-KAP+: the taux list appears once a pièce justificative is given.
        checker.fail("taux_remboursement", "Choisissez d'abord la pièce justificative qui "
                                           "indique ce taux.")
    periods = tuple(p for p in (_period(row, i, checker) for i, row in enumerate(raw.periods))
                    if p is not None)
    return AmoData(regime, caisse, centre, code_gestion, piece, taux, periods,
                   _text(raw.amo_organism_name))


def _period(row: PeriodInput, index: int, checker: _Checker) -> RightsPeriod | None:
    prefix = f"periods-{index}"
    start = checker.run(f"{prefix}-start", lambda: _day(row.start, "Date de début"))
    end = checker.run(f"{prefix}-end", lambda: _day(row.end, "Date de fin"))
    exoneration = checker.run(f"{prefix}-exoneration",
                              lambda: _code_of(EXONERATION, row.exoneration, checker.today))
    if start is not None and end is not None and end < start:
        checker.fail(f"{prefix}-end", f"La fin des droits ({end:%d/%m/%Y}) précède leur début "
                                      f"({start:%d/%m/%Y}).")
        return None
    return RightsPeriod(Period(start, end), exoneration)


def _ald(row: AldInput, index: int, checker: _Checker) -> AldData | None:
    prefix = f"ald-{index}"
    code = row.code.strip()
    # ALD list number (liste des ALD 30: 1 to 32, 99 hors liste — SNDS IR_ALD_V).
    if not (_DIGITS.fullmatch(code) and len(code) <= 2):
        checker.fail(f"{prefix}-code", "Numéro d'ALD obligatoire (1 ou 2 chiffres, ex. 8 pour "
                                       "le diabète)." if not code else
                     f"Numéro d'ALD invalide : « {code[:5]} » (1 ou 2 chiffres).")
    cim10 = row.cim10.strip().upper() or None
    if cim10 is not None and not _CIM10.fullmatch(cim10):
        checker.fail(f"{prefix}-cim10", f"Code CIM-10 invalide : « {cim10[:8]} » (ex. E11, "
                                        "F10.2).")
    start = checker.run(f"{prefix}-start", lambda: _day(row.start, "Date de début"))
    end = checker.run(f"{prefix}-end", lambda: _day(row.end, "Date de fin"))
    if start is not None and end is not None and end < start:
        checker.fail(f"{prefix}-end", f"La fin de l'ALD ({end:%d/%m/%Y}) précède son début "
                                      f"({start:%d/%m/%Y}).")
    if any(name.startswith(prefix + "-") for name in checker.errors):
        return None
    return AldData(code.lstrip("0") or "0", _text(row.label), cim10, start, end)
