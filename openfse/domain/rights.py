"""Rights of a beneficiary as the teleservices report them: AMO, exonérations, ALD, AMC.

Pure value types (no I/O, no clock: every "is it valid?" question takes the date as an
argument) for what comes back from:

* **ADRi** (acquisition des droits intégrée): the beneficiary's AMO situation *on the day of
  the query* — organisme (régime, caisse, centre), AMO rights period, exonérations du ticket
  modérateur, the ALD list (code, label, CIM-10, dates) and, when the caisse manages it, the
  complémentaire (C2S) or the AME. ADRi never returns future rights (dossier LOGOSw: "Les droits
  sont récupérés uniquement pour le jour même") nor the AMC of gestion séparée
  (docs/protocols.md §3.1).
* the **Inter-AMC directory** (annuaire AMC): the conventions of an AMC (type de convention,
  critère secondaire de routage, routing address) — docs/protocols.md §5.
* the **attestation de tiers payant** 2D code: the five harmonised fields (numéro AMC, type de
  convention, critère secondaire, numéro d'adhérent, période de validité) — sintia.fr/node/84.

It also holds the user preference "when to call ADRi" (manuel eS-KAP+, Préférences de facturation)
and its pure decision function :func:`should_call_adri`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from stdnum.util import isdigits

from openfse.domain.coverage import InvalidRightsData
from openfse.errors import InvalidInput
from openfse.periods import Period

__all__ = [
    "AdriAnswer",
    "AdriMode",
    "AldCondition",
    "AmcAttestation",
    "AmcCoverage",
    "AmcCoverageKind",
    "AmoRights",
    "Beneficiary",
    "BirthDate",
    "Convention",
    "Exoneration",
    "InvalidBirthDate",
    "InvalidRightsData",
    "Organisme",
    "PatientSource",
    "amc_numbers_match",
    "normalize_name",
    "same_identity",
    "should_call_adri",
]


def _is_digits(value: str, length: int | None = None) -> bool:
    # stdnum's [0-9] check, not str.isdigit(): "²".isdigit() is True (Python's str.isdigit docs).
    return isdigits(value) and (length is None or len(value) == length)


class InvalidBirthDate(InvalidInput):
    code = "invalid_birth_date"


# --------------------------------------------------------------------------- dates


# Rights are dated by the one Period of openfse/periods.py (explicit bounds; rights are
# inclusive: « du 01/01/2026 au 31/12/2026 » covers the 31/12).


_BIRTH_FORMS = (
    re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})"),
    re.compile(r"(?P<d>[0-9]{2})/(?P<m>[0-9]{2})/(?P<y>[0-9]{4})"),
    re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})"),
)


@dataclass(frozen=True, slots=True)
class BirthDate:
    """A birth date as the Vitale card and ADRi carry it, kept digit for digit.

    "Lunar" dates — day or month ``00``, or out of the calendar (month 13…), given to people
    whose civil record lacks them, frequent for people born abroad hence for AME and
    provisional NIR 7/8 — must be accepted and sent back unchanged (docs/protocols.md §1.2; the
    test card ``vitale_famille.yaml`` holds ``19841300``). So this is not a
    :class:`datetime.date`: only the shape (4-digit year, 2-digit month and day) is checked.

    >>> BirthDate.parse("00/00/1979").iso()
    '1979-00-00'
    >>> BirthDate.parse("19841300").is_lunar
    True
    >>> BirthDate.parse("1985-03-12").as_date()
    datetime.date(1985, 3, 12)
    """

    year: int
    month: int
    day: int

    def __post_init__(self) -> None:
        if not 1800 <= self.year <= 2200:
            raise InvalidBirthDate(
                f"Année de naissance invalide : {self.year}.", field="date_naissance"
            )
        if not 0 <= self.month <= 99 or not 0 <= self.day <= 99:
            raise InvalidBirthDate(
                "Date de naissance invalide : jour et mois de 00 à 99 attendus.",
                field="date_naissance",
            )

    @classmethod
    def of(cls, value: date) -> BirthDate:
        return cls(value.year, value.month, value.day)

    @classmethod
    def parse(cls, text: str) -> BirthDate:
        """Read ``AAAA-MM-JJ``, ``JJ/MM/AAAA`` or ``AAAAMMJJ`` (lunar dates allowed)."""
        cleaned = text.strip()
        for form in _BIRTH_FORMS:
            match = form.fullmatch(cleaned)
            if match:
                return cls(int(match["y"]), int(match["m"]), int(match["d"]))
        raise InvalidBirthDate(
            f"Date de naissance illisible : « {text[:20]} » (attendu JJ/MM/AAAA).",
            field="date_naissance",
        )

    @property
    def is_lunar(self) -> bool:
        return self.as_date() is None

    def as_date(self) -> date | None:
        """The calendar date, or ``None`` for a lunar date."""
        try:
            return date(self.year, self.month, self.day)
        except ValueError:
            return None

    def iso(self) -> str:
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def compact(self) -> str:
        """``AAAAMMJJ``, the carte Vitale form."""
        return f"{self.year:04d}{self.month:02d}{self.day:02d}"

    def __str__(self) -> str:
        return f"{self.day:02d}/{self.month:02d}/{self.year:04d}"


# --------------------------------------------------------------------------- identity


def normalize_name(name: str) -> str:
    """Upper case, no accents, single spaces: "Lefèvre-d'Arc " and "LEFEVRE D ARC" compare equal."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9A-Za-z]+", " ", bare).upper().split())


@dataclass(frozen=True, slots=True)
class Organisme:
    """AMO organisme: code régime (2), caisse (3), centre (4) — aide eS-KAP+: "01 841 5623"."""

    regime: str
    caisse: str
    centre: str

    def __post_init__(self) -> None:
        for value, length, label in (
            (self.regime, 2, "régime"),
            (self.caisse, 3, "caisse"),
            (self.centre, 4, "centre"),
        ):
            if not _is_digits(value, length):
                raise InvalidRightsData(
                    f"Code {label} invalide : « {value} » ({length} chiffres attendus).",
                    field=label.replace("é", "e"),
                )

    def __str__(self) -> str:
        return f"{self.regime} {self.caisse} {self.centre}"


@dataclass(frozen=True, slots=True)
class Beneficiary:
    """Who the answer is about. ``nir`` is the ouvrant droit's NIR (13 + key)."""

    nom: str
    prenom: str
    birth_date: BirthDate
    rang: int
    qualite: str
    nir: str
    nir_individuel: str | None = None

    @property
    def display_name(self) -> str:
        return f"{self.nom} {self.prenom}".strip()


def same_identity(nom: str, prenom: str, beneficiary: Beneficiary) -> bool:
    """Does the local file's identity name the beneficiary ADRi returned?

    Compared after :func:`normalize_name`; an empty first name in the file does *not* match a
    returned one: the manual's "ADRUN" dialog (manuel eS-KAP+, Consultation ADRI - ADRUN) asks the
    user to confirm exactly in that case.
    """
    return normalize_name(nom) == normalize_name(beneficiary.nom) and normalize_name(
        prenom
    ) == normalize_name(beneficiary.prenom)


# --------------------------------------------------------------------------- AMO rights


@dataclass(frozen=True, slots=True)
class AmoRights:
    """The AMO rights period ADRi reports for the day of the query."""

    period: Period

    def open_on(self, on: date) -> bool:
        return self.period.covers(on)


@dataclass(frozen=True, slots=True)
class Exoneration:
    """Exonération du ticket modérateur held by the beneficiary.

    ``code`` is the SESAM-Vitale justificatif d'exonération (docs/rules.md §D.2: 3 soins
    particuliers, 4 ALD, 5 assuré exonéré (invalidité, rente AT ≥ 66,66 %…), 7 prévention,
    9 FSV/FSI).
    """

    code: str
    label: str
    period: Period

    def __post_init__(self) -> None:
        if not _is_digits(self.code) or len(self.code) > 2:
            raise InvalidRightsData(f"Code d'exonération invalide : « {self.code} ».", field="code")


@dataclass(frozen=True, slots=True)
class AldCondition:
    """One affection de longue durée: ALD 30 list number (or 99 hors liste), label, CIM-10.

    ALD numbers and labels: SNDS ``IR_ALD_V`` (décret 2011-77), shared/data/nomenclatures.
    """

    code: str
    label: str
    cim10: str
    period: Period

    def __post_init__(self) -> None:
        if not _is_digits(self.code) or len(self.code) > 2:
            raise InvalidRightsData(f"Numéro d'ALD invalide : « {self.code} ».", field="code")
        # CIM-10: a letter, two digits, optional subdivision (E10, E11.9, F10.2).
        if not re.fullmatch(r"[A-Z][0-9]{2}(\.?[0-9A-Z]{1,2})?", self.cim10):
            raise InvalidRightsData(f"Code CIM-10 invalide : « {self.cim10} ».", field="cim10")

    def active_on(self, on: date) -> bool:
        return self.period.covers(on)


class AmcCoverageKind(StrEnum):
    """Complementary coverage that the AMO itself manages and ADRi therefore returns."""

    C2S = "c2s"  # complémentaire santé solidaire run by the caisse (dossier LOGOSw "CSS gérée…")
    AME = "ame"  # aide médicale de l'État: 100 % of the tarif, tiers payant (docs/rules.md §D.1)


@dataclass(frozen=True, slots=True)
class AmcCoverage:
    """AMC data in ADRi: C2S (type de contrat 89, docs/rules.md §D.1) or AME, gestion unique."""

    kind: AmcCoverageKind
    number: str
    label: str
    period: Period
    contract_type: str | None = None

    def active_on(self, on: date) -> bool:
        return self.period.covers(on)


@dataclass(frozen=True, slots=True)
class AdriAnswer:
    """Everything ADRi said about one beneficiary on ``queried_on``."""

    queried_on: date
    beneficiary: Beneficiary
    organisme: Organisme
    amo: AmoRights
    code_gestion: str | None = None
    regime_local: bool = False  # Alsace-Moselle
    exonerations: tuple[Exoneration, ...] = ()
    ald: tuple[AldCondition, ...] = ()
    amc: AmcCoverage | None = None

    @property
    def amo_open(self) -> bool:
        """Are the AMO rights open on the day of the query?"""
        return self.amo.open_on(self.queried_on)

    @property
    def active_ald(self) -> tuple[AldCondition, ...]:
        return tuple(a for a in self.ald if a.active_on(self.queried_on))

    @property
    def active_exonerations(self) -> tuple[Exoneration, ...]:
        return tuple(e for e in self.exonerations if e.period.covers(self.queried_on))

    @property
    def active_amc(self) -> AmcCoverage | None:
        return self.amc if self.amc is not None and self.amc.active_on(self.queried_on) else None


# --------------------------------------------------------------------------- AMC side


def amc_numbers_match(a: str, b: str) -> bool:
    """Same AMC? Numbers are printed with or without leading zeros ("ALMERYS(0098532001)"
    and "Numéro AMC 98532001" in manuel eS-KAP+ are the same organisme)."""
    return a.strip().lstrip("0") == b.strip().lstrip("0")


@dataclass(frozen=True, slots=True)
class Convention:
    """A tiers-payant convention of an AMC as the annuaire (or a local table) gives it.

    Type de convention + critère secondaire (CSR) route the DRE to the right management system
    (manuel eS-KAP+ "Type de convention / Critère secondaire … servent à orienter correctement la
    demande de remboursement"); routage / hôte / domaine are the address fields of dossier LOGOSw's
    "Paramètres de télétransmission".
    """

    amc_number: str
    amc_name: str
    convention_type: str
    csr: str
    routage: str
    hote: str
    domaine: str
    period: Period
    signataire: str | None = None  # organisme signataire of a convention groupée (dossier LOGOSw)

    def in_force_on(self, on: date) -> bool:
        return self.period.covers(on)


@dataclass(frozen=True, slots=True)
class AmcAttestation:
    """The harmonised 2D code of an attestation de tiers payant (sintia.fr/node/84)."""

    amc_number: str
    convention_type: str
    csr: str
    member_number: str
    validity: Period
    formula: str | None = None
    raw: str = ""

    @property
    def valid_from(self) -> date:
        start = self.validity.start
        assert start is not None, "an attestation's validity always has a start"
        return start

    @property
    def valid_to(self) -> date | None:
        return self.validity.end

    def valid_on(self, on: date) -> bool:
        return self.validity.covers(on)


# --------------------------------------------------------------------------- preferences


class AdriMode(StrEnum):
    """When ADRi is called (manuel eS-KAP+, "Préférences de facturation")."""

    MANUEL = "manuel"  # only when the user asks ("en cas de doute sur les droits AMO")
    AUTOMATIQUE_CIBLE = "automatique_cible"  # default: automatically "dans certains cas précis"
    SYSTEMATIQUE = "systematique"  # automatically for every invoice

    @classmethod
    def default(cls) -> AdriMode:
        return cls.AUTOMATIQUE_CIBLE


class PatientSource(StrEnum):
    """Where the patient data of the invoice come from."""

    CARTE_VITALE = "carte_vitale"
    APPLI_CARTE_VITALE = "appli_carte_vitale"  # ApCV: QR code or NFC
    DOSSIER = "dossier"  # patient file only, no card read for this invoice
    ATTESTATION = "attestation"  # paper attestation typed in


def should_call_adri(
    mode: AdriMode,
    *,
    source: PatientSource,
    rights_known_today: bool,
    user_requested: bool = False,
) -> bool:
    """Should this invoice trigger an ADRi call?

    Rules (manuel eS-KAP+, Préférences de facturation):
    * appli carte Vitale → always: "Dans le cas d'une carte Vitale dématérialisée, l'appel ADRI
      est systématique, quel que soit le choix effectué";
    * the user pressing "Interroger l'ADRI" → always;
    * ``systematique`` → every invoice;
    * ``manuel`` → never automatically;
    * ``automatique_cible`` → "dans certains cas précis": the seed does not list them; openfse
      calls when the AMO rights for the day are not known from a card read (no card today, or
      card rights not covering the date) — the case where ADRi makes the invoice reliable.

    >>> should_call_adri(AdriMode.MANUEL, source=PatientSource.APPLI_CARTE_VITALE,
    ...                  rights_known_today=True)
    True
    >>> should_call_adri(AdriMode.AUTOMATIQUE_CIBLE, source=PatientSource.CARTE_VITALE,
    ...                  rights_known_today=True)
    False
    """
    if source is PatientSource.APPLI_CARTE_VITALE or user_requested:
        return True
    if mode is AdriMode.SYSTEMATIQUE:
        return True
    if mode is AdriMode.MANUEL:
        return False
    return not rights_known_today
