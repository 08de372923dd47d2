"""ADELI number (numéro au répertoire « Automatisation DEs LIstes »).

ADELI was the departmental register of the health professions not (yet) in the RPPS —
auxiliaires médicaux, psychologues, ostéopathes… — kept by the ARS; it was closed in 2024 when
the last professions moved to the RPPS (DREES), but ADELI numbers remain on CPS cards, on
older prescriptions and in patient files, so they still have to be read and checked.

Structure (9 characters), e.g. ``78 93 1059 6``:

======  ===========  ======================================================================
chars   part         meaning
======  ===========  ======================================================================
1-2     departement  département of registration: 01-95, 2A / 2B (Corsica), 9A (971
                     Guadeloupe), 9B (972 Martinique), 9C (973 Guyane), 9D (974 La
                     Réunion), 9F (976 Mayotte)
3-4     profession   profession code (TRE_G15 nomenclature), e.g. 93 psychologue — see
                     :func:`profession`
5-8     ordre        order number
9       cle          key
======  ===========  ======================================================================

The key: the 9 digits pass the Luhn check (key = Luhn digit of the first 8). Confidence
medium-high: the real numbers ``789310596`` (a psychologue's published number,
caroleblancot.com) and ``879101558`` (an orthophoniste returned by the ANS FHIR API,
ansforge/annuaire-sante-fhir-documentation issue #164) pass it, and OpenXtrem Mediboard
declares its ADELI field ``numchar length|9 … control|luhn``. **Numbers whose département is
written with a letter (2A, 2B, 9A…) are not key-checked**: no public source says how the
letter enters the key, so only their format is verified.

Sources for the départements with letters: beta.gouv « Santé Psy Étudiant »
(``isAdeliIdValidDepartment``); for the profession codes: ANS nomenclature TRE_G15
(https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante), psychologue 93 confirmed by
https://psy-skype.fr/psychologue-ligne-adeli.html.

>>> validate('78 93 1059 6')
'789310596'
>>> profession('789310596')
'Psychologue'
>>> calc_check_digits('87910155')
'8'
>>> validate('789310597')
Traceback (most recent call last):
    ...
openfse.ids.exceptions.InvalidChecksum: Clé du numéro ADELI incorrecte : 7 saisie, 6 attendue.
>>> validate('7X9310596')  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
openfse.ids.exceptions.InvalidComponent: Le département du numéro ADELI est incorrect : 7X ...
>>> format('789310596')
'78 93 1059 6'
"""

from __future__ import annotations

from openfse.ids._common import Identifier, Part, isdigits, passes

_ADELI = Identifier(kind="adeli", name="Le numéro ADELI", of="du numéro ADELI")

DEPARTEMENT = Part("departement", 0, 2, "le département")
PROFESSION = Part("profession", 2, 4, "le code profession")
ORDRE = Part("ordre", 4, 8, "le numéro d'ordre")
CLE = Part("cle", 8, 9, "la clé")
_PARTS = (DEPARTEMENT, PROFESSION, ORDRE, CLE)

# Département codes written with a letter (Corsica; overseas as coded by ADELI).
_LETTER_DEPARTEMENTS = frozenset({"2A", "2B", "9A", "9B", "9C", "9D", "9F"})

# TRE_G15 « profession de santé » codes that appear as characters 3-4 of an ADELI number.
# Only codes confirmed by a public source are listed (10, 21, 60 and 93 in ANS FHIR examples
# and documentation; 91 in the ANS API example above; 93 psychologue also on psy-skype.fr);
# an absent code is not an error, profession() then answers None.
PROFESSIONS: dict[str, str] = {
    "10": "Médecin",
    "21": "Pharmacien",
    "40": "Chirurgien-dentiste",
    "50": "Sage-femme",
    "60": "Infirmier",
    "70": "Masseur-kinésithérapeute",
    "80": "Pédicure-podologue",
    "91": "Orthophoniste",
    "92": "Orthoptiste",
    "93": "Psychologue",
}


def compact(number: str) -> str:
    """Strip spaces, dots, dashes and slashes; upper-case (``2a`` → ``2A``)."""
    return _ADELI.clean(number)


def calc_check_digits(first8: str) -> str:
    """The Luhn key completing the first 8 digits (département written in digits)."""
    return _ADELI.luhn_check_digit(first8, _PARTS, 8)


def validate(number: str) -> str:
    """Check the ADELI number and return its compact form, or raise a precise error."""
    number = compact(number)
    _check_departement(DEPARTEMENT.of(number))
    _ADELI.require_digits(number, _PARTS[1:])
    _ADELI.require_length(number, 9, ", clé comprise")
    if isdigits(DEPARTEMENT.of(number)):
        _ADELI.require_luhn_key(number, CLE)
    return number


def is_valid(number: object) -> bool:
    """True when ``number`` is a valid ADELI number; never raises."""
    return passes(validate, number)


def format(number: str) -> str:
    """The usual presentation: ``78 93 1059 6``."""
    return _ADELI.grouped(number, _PARTS)


def profession(number: str) -> str | None:
    """The profession named by a valid ADELI number, or None when its code is not listed."""
    return PROFESSIONS.get(PROFESSION.of(validate(number)))


def _check_departement(departement: str) -> None:
    if len(departement) < 2 or departement in _LETTER_DEPARTEMENTS:
        return  # too short: the length check reports it
    if not (isdigits(departement) and "01" <= departement <= "95"):
        raise _ADELI.component_error(
            "departement",
            f"Le département du numéro ADELI est incorrect : {departement} "
            "(attendu 01 à 95, 2A, 2B, 9A à 9D ou 9F).",
        )
