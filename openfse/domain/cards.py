"""What the smart cards say: the CPS of the professional and the carte Vitale of the patient.

Pure value types (no I/O, no clock) shared by every card backend (simulator, PC/SC) and by the
appli carte Vitale:

* **CPS** (carte de professionnel de santé): the holder (civilité, nom, prénom, RPPS) and one or
  more *situations d'exercice* — numéro de facturation + clé, profession, spécialité, mode
  d'exercice (remplaçant or not), conventionnement, caisse de rattachement (guide LOGOSw, "La
  fenêtre de professionnel de santé"; manuel eS-KAP+, "Ajout remplaçant"). The holder identity is
  readable without the code porteur; signing needs it.
* **carte Vitale**: the beneficiaries (assuré and ayants droit) with, for each, the identity
  (nom, prénom, nom d'usage, date de naissance *verbatim*, rang de naissance, qualité, NIR of
  the ouvrant droit and the beneficiary's own NIR), the AMO attachment (régime, caisse, centre,
  code gestion, rights periods), the exonérations du ticket modérateur (ALD…), the AMC data when
  the card carries it (C2S, MGEN, CAMIEG…) and the accidents du travail written on the card
  (docs/protocols.md §4.1; manuel eS-KAP+, "AT non présent en carte vitale").
* the **code porteur** rules: 4 digits, 3 tries, unblocked with the 8-character code de
  déblocage and a new code typed twice (manuel eS-KAP+, guide LOGOSw).
* the **status colour** of a beneficiary against the patient base (guide LOGOSw, "Les 3 couleurs"):
  green = known and up to date, yellow = known but the file differs, grey = unknown —
  :func:`compare`.

Periods, AMO organismes and exonérations reuse the types of :mod:`openfse.domain.rights` (the
same notions ADRi returns).

>>> check_pin_format("0421")
'0421'
>>> check_pin_format("12a4")
Traceback (most recent call last):
    ...
openfse.domain.cards.InvalidPinFormat: Le code porteur doit comporter exactement 4 chiffres.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from stdnum.util import isdigits

from openfse.domain.rights import Exoneration, Organisme, normalize_name
from openfse.errors import InvalidInput
from openfse.periods import Period

__all__ = [
    "PIN_LENGTH",
    "PIN_MAX_TRIES",
    "UNBLOCK_CODE_LENGTH",
    "AccidentTravail",
    "AmcContract",
    "AmoAffiliation",
    "ApcvMode",
    "ApcvSession",
    "CardKind",
    "CpsCard",
    "CpsSituation",
    "FieldDifference",
    "InvalidCardData",
    "InvalidPinFormat",
    "InvalidUnblockCodeFormat",
    "KnownPatient",
    "PinConfirmationMismatch",
    "Status",
    "StatusColour",
    "VitaleBeneficiary",
    "VitaleCard",
    "check_new_pin",
    "check_pin_format",
    "check_unblock_code_format",
    "compare",
]

# Code porteur: "l'appareil vous invite à entrer votre code porteur à 4 chiffres … vous disposez
# de trois tentatives avant le blocage" (manuel eS-KAP+; guide LOGOSw "au bout de trois
# tentatives infructueuses, la carte sera invalidée").
PIN_LENGTH = 4
PIN_MAX_TRIES = 3
# Code de déblocage: "saisir le code de « déblocage » (8 caractères)" (guide LOGOSw).
UNBLOCK_CODE_LENGTH = 8

# SESAM-Vitale qualité du bénéficiaire: 00 = assuré (docs/rules.md §G, dossier LOGOSw).
QUALITE_ASSURE = "00"
# Type de contrat AMC 89 is reserved to the C2S (manuel eS-KAP+ "valeur 89 réservé C2S").
CONTRACT_TYPE_C2S = "89"
# Justificatif d'exonération 4 = soins en rapport avec une ALD (docs/rules.md §D.2).
EXONERATION_ALD = "4"

_NIR_SHAPE = re.compile(r"[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}")
_UNBLOCK_SHAPE = re.compile(rf"[0-9A-Za-z]{{{UNBLOCK_CODE_LENGTH}}}")


class CardKind(StrEnum):
    """Which application a card in a reader slot answers to."""

    CPS = "cps"
    VITALE = "vitale"
    UNKNOWN = "inconnue"  # a card, but none of ours (bank card, foreign chip…)

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    CardKind.CPS: "carte CPS",
    CardKind.VITALE: "carte Vitale",
    CardKind.UNKNOWN: "carte non reconnue",
}


class InvalidCardData(InvalidInput):
    """Card content that cannot exist (malformed NIR, empty card, duplicate beneficiary…)."""

    code = "invalid_card_data"


def _digits(value: str, length: int) -> bool:
    # stdnum's [0-9] check, not str.isdigit() ("²".isdigit() is True).
    return isdigits(value) and len(value) == length


def _require(condition: bool, message: str, field: str) -> None:
    if not condition:
        raise InvalidCardData(message, field=field)


def _require_nir(value: str, field: str) -> None:
    # Shape only (13 characters + 2-digit key, 2A/2B for Corsica). The key is the issuer's
    # business: a card is shown as it is, the NIR check belongs to openfse.ids.nir.
    _require(
        _NIR_SHAPE.fullmatch(value) is not None,
        f"NIR de carte mal formé : « {value} » (15 caractères attendus).",
        field,
    )


# --------------------------------------------------------------------------- CPS


@dataclass(frozen=True, slots=True)
class CpsSituation:
    """One situation d'exercice written on the CPS (guide LOGOSw: "plusieurs situations").

    Codes are kept as the card gives them: ``profession`` (10 médecin, 60 infirmier…),
    ``specialite`` (01 médecine générale… SNDS ``IR_SPE_V``), ``mode_exercice`` (0 libéral…),
    ``conventionnement`` (1 conventionné secteur 1…). Labels come from the referentials.
    """

    numero: int
    numero_facturation: str
    cle_facturation: str
    profession: str
    specialite: str
    mode_exercice: str
    remplacant: bool
    conventionnement: str
    caisse_rattachement: str
    raison_sociale: str = ""
    identification_structure: str = ""

    def __post_init__(self) -> None:
        _require(self.numero >= 1, f"Numéro de situation invalide : {self.numero}.", "numero")
        _require(
            _digits(self.numero_facturation, 8),
            f"Numéro de facturation invalide : « {self.numero_facturation} » (8 chiffres).",
            "numero_facturation",
        )
        _require(
            _digits(self.cle_facturation, 1),
            f"Clé du numéro de facturation invalide : « {self.cle_facturation} ».",
            "cle_facturation",
        )
        _require(
            _digits(self.caisse_rattachement, 3),
            f"Caisse de rattachement invalide : « {self.caisse_rattachement} » (3 chiffres).",
            "caisse_rattachement",
        )

    @property
    def facturation(self) -> str:
        """Numéro de facturation with its key, as printed: ``99700557 8``."""
        return f"{self.numero_facturation} {self.cle_facturation}"


@dataclass(frozen=True, slots=True)
class CpsCard:
    """What a CPS shows without the code porteur: the holder and the situations."""

    serial: str
    civilite: str
    nom: str
    prenom: str
    rpps: str
    situations: tuple[CpsSituation, ...]
    valid_until: date | None = None

    def __post_init__(self) -> None:
        _require(bool(self.nom.strip()), "Nom du porteur de CPS absent.", "nom")
        _require(_digits(self.rpps, 11), f"N° RPPS invalide : « {self.rpps} ».", "rpps")
        _require(bool(self.situations), "Aucune situation d'exercice sur la CPS.", "situations")
        numeros = [s.numero for s in self.situations]
        _require(
            len(set(numeros)) == len(numeros),
            "Deux situations de la CPS portent le même numéro.",
            "situations",
        )

    @property
    def display_name(self) -> str:
        return f"{self.civilite} {self.nom} {self.prenom}".strip()

    def situation(self, numero: int) -> CpsSituation:
        for situation in self.situations:
            if situation.numero == numero:
                return situation
        raise InvalidCardData(
            f"La CPS n'a pas de situation n° {numero} (situations : "
            f"{', '.join(str(s.numero) for s in self.situations)}).",
            field="situation",
        )

    def valid_on(self, on: date) -> bool:
        return self.valid_until is None or on <= self.valid_until


# --------------------------------------------------------------------------- Vitale


@dataclass(frozen=True, slots=True)
class AmoAffiliation:
    """AMO data of one beneficiary on the card: organisme, code gestion, rights periods."""

    organisme: Organisme
    code_gestion: str
    periods: tuple[Period, ...]

    def __post_init__(self) -> None:
        _require(
            _digits(self.code_gestion, 2),
            f"Code gestion invalide : « {self.code_gestion} » (2 chiffres).",
            "code_gestion",
        )

    def open_on(self, on: date) -> bool:
        """Are the AMO rights written on the card open on this day?"""
        return any(period.covers(on) for period in self.periods)


@dataclass(frozen=True, slots=True)
class AmcContract:
    """Complementary (AMC) data when the card carries it (C2S, MGEN, CAMIEG…; dossier LOGOSw).

    ``number`` is the AMC / NRM number (manuel eS-KAP+ "Numéro (NRM ou AMC)"): 99999997 for a C2S
    managed by the caisse, 88888888 for a C2S managed by an organisme complémentaire (dossier
    LOGOSw).
    """

    number: str
    label: str
    contract_type: str
    period: Period
    member_number: str = ""

    def __post_init__(self) -> None:
        _require(
            isdigits(self.number) and 1 <= len(self.number) <= 10,
            f"Numéro AMC invalide : « {self.number} ».",
            "number",
        )
        _require(
            _digits(self.contract_type, 2),
            f"Type de contrat AMC invalide : « {self.contract_type} » (2 chiffres).",
            "contract_type",
        )

    @property
    def is_c2s(self) -> bool:
        # Type de contrat 89 is reserved to the C2S (manuel eS-KAP+).
        return self.contract_type == CONTRACT_TYPE_C2S

    def active_on(self, on: date) -> bool:
        return self.period.covers(on)


@dataclass(frozen=True, slots=True)
class AccidentTravail:
    """An accident du travail written on the card: identifiant, date, organisme gestionnaire
    (manuel eS-KAP+ "AT du 05/01/2002", fields Identifiant / Organisme AT / Date AT)."""

    identifiant: str
    date: date
    organisme: str

    def __post_init__(self) -> None:
        _require(
            isdigits(self.identifiant) and 1 <= len(self.identifiant) <= 9,
            f"Identifiant d'accident du travail invalide : « {self.identifiant} ».",
            "identifiant",
        )
        _require(
            _digits(self.organisme, 9),
            f"Organisme de l'accident du travail invalide : « {self.organisme} » (9 chiffres).",
            "organisme",
        )


@dataclass(frozen=True, slots=True)
class VitaleBeneficiary:
    """One beneficiary of a carte Vitale.

    ``date_naissance`` is kept **verbatim** (``AAAAMMJJ``): Vitale cards carry "lunar" dates
    whose day or month is ``00`` or out of the calendar (> 12 for the month), for people whose
    civil record lacks them; they must be shown and sent back unchanged. ``nir`` is the NIR of
    the ouvrant droit (the assuré), ``nir_individuel`` the beneficiary's own NIR when they have
    one. (``nir_individuel`` is ``None`` for most children.)
    """

    nom: str
    prenom: str
    date_naissance: str
    rang: int
    qualite: str
    nir: str
    amo: AmoAffiliation
    nom_usage: str = ""
    nir_individuel: str | None = None
    exonerations: tuple[Exoneration, ...] = ()
    amc: AmcContract | None = None
    accidents_travail: tuple[AccidentTravail, ...] = ()

    def __post_init__(self) -> None:
        _require(bool(self.nom.strip()), "Nom du bénéficiaire absent.", "nom")
        _require(
            _digits(self.date_naissance, 8),
            f"Date de naissance de carte invalide : « {self.date_naissance} » (AAAAMMJJ).",
            "date_naissance",
        )
        # Rang de naissance: 1 for a single birth, 1 and 2 for twins… (docs/rules.md §G).
        _require(1 <= self.rang <= 9, f"Rang de naissance invalide : {self.rang}.", "rang")
        _require(
            _digits(self.qualite, 2), f"Qualité invalide : « {self.qualite} ».", "qualite"
        )
        _require_nir(self.nir, "nir")
        if self.nir_individuel is not None:
            _require_nir(self.nir_individuel, "nir_individuel")

    @property
    def key(self) -> tuple[str, str, int]:
        """NIR ouvrant droit + date de naissance + rang: what identifies a beneficiary (ADRi
        input, aide eS-KAP+ "rang de naissance")."""
        return (self.nir, self.date_naissance, self.rang)

    @property
    def is_assure(self) -> bool:
        return self.qualite == QUALITE_ASSURE

    @property
    def is_lunar_birth(self) -> bool:
        return self.calendar_birth_date() is None

    def calendar_birth_date(self) -> date | None:
        """The birth date as a calendar date, or ``None`` for a lunar date."""
        try:
            return date(
                int(self.date_naissance[:4]),
                int(self.date_naissance[4:6]),
                int(self.date_naissance[6:]),
            )
        except ValueError:
            return None

    @property
    def display_birth_date(self) -> str:
        """``JJ/MM/AAAA`` with the card's digits, lunar or not."""
        d = self.date_naissance
        return f"{d[6:]}/{d[4:6]}/{d[:4]}"

    @property
    def ald_exonerations(self) -> tuple[Exoneration, ...]:
        return tuple(e for e in self.exonerations if e.code == EXONERATION_ALD)


@dataclass(frozen=True, slots=True)
class VitaleCard:
    """A carte Vitale: one assuré's card with up to 19 beneficiaries (docs/protocols.md §4.1)."""

    serial: str
    beneficiaries: tuple[VitaleBeneficiary, ...]

    def __post_init__(self) -> None:
        _require(bool(self.beneficiaries), "Carte Vitale sans bénéficiaire.", "beneficiaries")
        _require(
            len(self.beneficiaries) <= 19,
            "Une carte Vitale porte au plus 19 bénéficiaires.",
            "beneficiaries",
        )
        _require(
            len({b.nir for b in self.beneficiaries}) == 1,
            "Les bénéficiaires d'une carte Vitale partagent le NIR de l'ouvrant droit.",
            "beneficiaries",
        )
        # The rang distinguishes beneficiaries sharing the NIR and the birth date (twins).
        keys = [b.key for b in self.beneficiaries]
        _require(
            len(set(keys)) == len(keys),
            "Deux bénéficiaires ont la même date de naissance et le même rang.",
            "beneficiaries",
        )

    @property
    def nir(self) -> str:
        return self.beneficiaries[0].nir

    @property
    def assure(self) -> VitaleBeneficiary | None:
        return next((b for b in self.beneficiaries if b.is_assure), None)


# --------------------------------------------------------------------------- appli carte Vitale


class ApcvMode(StrEnum):
    """How the appli carte Vitale was read (manuel eS-KAP+ "Appli Carte Vitale – QR Code / –
    NFC")."""

    QR = "qr"
    NFC = "nfc"


@dataclass(frozen=True, slots=True)
class ApcvSession:
    """A session opened with the appli carte Vitale: the same beneficiary data as a card."""

    session_id: str
    mode: ApcvMode
    card: VitaleCard

    @property
    def beneficiaries(self) -> tuple[VitaleBeneficiary, ...]:
        return self.card.beneficiaries

    @property
    def adri_required(self) -> bool:
        # "Dans le cas d'une carte Vitale dématérialisée, l'appel ADRI est systématique, quel
        # que soit le choix effectué" (manuel eS-KAP+): never optional for an ApCV session.
        return True


# --------------------------------------------------------------------------- code porteur


class InvalidPinFormat(InvalidInput):
    code = "pin_format"


class InvalidUnblockCodeFormat(InvalidInput):
    code = "unblock_code_format"


class PinConfirmationMismatch(InvalidInput):
    code = "pin_confirmation_mismatch"


def check_pin_format(pin: str) -> str:
    """A code porteur is exactly 4 digits. Checked before the card sees it, so that a typing
    slip (a letter, a missing digit) never costs one of the 3 tries."""
    if not _digits(pin, PIN_LENGTH):
        raise InvalidPinFormat(
            f"Le code porteur doit comporter exactement {PIN_LENGTH} chiffres.", field="pin"
        )
    return pin


def check_unblock_code_format(code: str) -> str:
    """The code de déblocage has 8 characters (letters or digits, guide LOGOSw)."""
    if _UNBLOCK_SHAPE.fullmatch(code) is None:
        raise InvalidUnblockCodeFormat(
            f"Le code de déblocage doit comporter exactement {UNBLOCK_CODE_LENGTH} caractères "
            "(lettres ou chiffres).",
            field="unblock_code",
        )
    return code


def check_new_pin(new_pin: str, confirm: str) -> str:
    """The new code porteur is typed twice (guide LOGOSw: "saisir le code porteur … saisir à
    nouveau le code porteur"); both must match and be a valid code."""
    check_pin_format(new_pin)
    if new_pin != confirm:
        raise PinConfirmationMismatch(
            "Les deux saisies du nouveau code porteur sont différentes.", field="confirm"
        )
    return new_pin


# --------------------------------------------------------------------------- status colour


class StatusColour(StrEnum):
    """Guide LOGOSw "Les 3 couleurs": Vert enregistré et à jour, Jaune enregistré mais données non
    à jour, Gris non enregistré."""

    GREEN = "vert"
    YELLOW = "jaune"
    GREY = "gris"


@dataclass(frozen=True, slots=True)
class KnownPatient:
    """The card-derived data the patient base holds for one beneficiary.

    The caller (the store) builds it from its patient file; ``None`` in an optional field means
    "not recorded", which differs from any value on the card.
    """

    nir: str
    date_naissance: str
    rang: int
    nom: str
    prenom: str
    qualite: str
    nom_usage: str = ""
    nir_individuel: str | None = None
    regime: str | None = None
    caisse: str | None = None
    centre: str | None = None
    code_gestion: str | None = None
    amc_number: str | None = None


@dataclass(frozen=True, slots=True)
class FieldDifference:
    """One field where the card and the patient file disagree."""

    field: str
    label: str
    card_value: str
    file_value: str


@dataclass(frozen=True, slots=True)
class Status:
    colour: StatusColour
    differences: tuple[FieldDifference, ...] = ()


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _same_text(a: str, b: str) -> bool:
    return a == b


def _same_name(a: str, b: str) -> bool:
    # Cards hold names in capitals without accents: "Lefèvre" in the file is the same person.
    return normalize_name(a) == normalize_name(b)


def _same_amc(a: str, b: str) -> bool:
    # AMC numbers are written with or without leading zeros (manuel eS-KAP+
    # "0098532001"/"98532001").
    return a.lstrip("0") == b.lstrip("0")


# (field, French label, value on the card, value in the file, equality rule)
_Compared = tuple[str, str, Callable[[VitaleBeneficiary], object],
                  Callable[[KnownPatient], object], Callable[[str, str], bool]]
_COMPARED: tuple[_Compared, ...] = (
    ("nom", "nom", lambda b: b.nom, lambda p: p.nom, _same_name),
    ("prenom", "prénom", lambda b: b.prenom, lambda p: p.prenom, _same_name),
    ("nom_usage", "nom d'usage", lambda b: b.nom_usage, lambda p: p.nom_usage, _same_name),
    ("date_naissance", "date de naissance", lambda b: b.date_naissance,
     lambda p: p.date_naissance, _same_text),
    ("rang", "rang de naissance", lambda b: b.rang, lambda p: p.rang, _same_text),
    ("qualite", "qualité", lambda b: b.qualite, lambda p: p.qualite, _same_text),
    ("nir", "NIR de l'assuré", lambda b: b.nir, lambda p: p.nir, _same_text),
    ("nir_individuel", "NIR du bénéficiaire", lambda b: b.nir_individuel,
     lambda p: p.nir_individuel, _same_text),
    ("regime", "régime", lambda b: b.amo.organisme.regime, lambda p: p.regime, _same_text),
    ("caisse", "caisse", lambda b: b.amo.organisme.caisse, lambda p: p.caisse, _same_text),
    ("centre", "centre", lambda b: b.amo.organisme.centre, lambda p: p.centre, _same_text),
    ("code_gestion", "code gestion", lambda b: b.amo.code_gestion, lambda p: p.code_gestion,
     _same_text),
    ("amc_number", "complémentaire (n° AMC)",
     lambda b: b.amc.number if b.amc is not None else None, lambda p: p.amc_number, _same_amc),
)


def compare(beneficiary: VitaleBeneficiary, known: KnownPatient | None) -> Status:
    """Colour of a card beneficiary against the patient base (guide LOGOSw "Les 3 couleurs").

    Grey when the base does not know the beneficiary; green when every card field matches the
    file (names compared without accents nor case); yellow otherwise, listing the fields that
    differ so the desk can update the file from the card.
    """
    if known is None:
        return Status(StatusColour.GREY)
    differences = []
    for field, label, on_card, in_file, same in _COMPARED:
        card_value, file_value = _text(on_card(beneficiary)), _text(in_file(known))
        if not same(card_value, file_value):
            differences.append(FieldDifference(field, label, card_value, file_value))
    if differences:
        return Status(StatusColour.YELLOW, tuple(differences))
    return Status(StatusColour.GREEN)

