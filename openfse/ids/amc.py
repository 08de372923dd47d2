"""Numéro d'organisme complémentaire (numéro AMC, « N° de télétransmission »).

The number that routes the complementary part (AMC) of an invoice: read from the attestation
de tiers payant or its datamatrix, or entered by hand with the « type de contrat » (89 = C2S,
see :data:`C2S_TYPE_CONTRAT`). It is a mutuelle's registration number (RNM — 9 digits, the
SIREN-like number of the mutuelle), an insurer's or institution's number, or a
« numéro préfectoral » (8 digits); SESAM-Vitale stores it on 10 characters, so a number may
arrive left-padded with zeros (``0780004099`` for ``780004099``, manuel eS-KAP+).

Seen in the vendor manuals: ``1400001`` (7 digits), ``00490003``, ``69906121``, ``98532001`` (8),
``779926294``, ``780004099`` (9), ``0780004099`` (10). Hence :func:`validate` accepts 7 to 10
digits and keeps leading zeros, which are part of the number as printed.

There is no mandatory key: 17 of the 18 numbers found in the vendor manuals pass the Luhn check
(as a SIREN does), but ``98532001`` — a real « N° de télétransmission/DRE » printed on an
attestation (manuel eS-KAP+) — does not. :func:`has_luhn_key` lets a form warn about a probable
typing error without blocking it.

Special values (dossier LOGOSw, LOGOSw manual, « Les sortants de CSS »; see :func:`is_special`):

* ``99999997`` — C2S gérée par le régime obligatoire (CPAM, CAMIEG, MSA…);
* ``88888888`` — C2S gérée par un organisme complémentaire;
* ``55555551`` — sortant de C2S au sens SESAM-Vitale: tiers payant on the AMO part only, no
  complementary cover.

>>> validate('780 004 099')
'780004099'
>>> validate('0780004099')
'0780004099'
>>> is_special('55555551')  # doctest: +ELLIPSIS
'Sortant de la C2S (au sens SESAM-Vitale) : tiers payant sur la part obligatoire ...'
>>> has_luhn_key('98532001')
False
>>> validate('12345')
Traceback (most recent call last):
    ...
openfse.ids.exceptions.InvalidLength: Le numéro AMC doit comporter de 7 à 10 chiffres (5 saisis).
"""

from __future__ import annotations

from stdnum import luhn

from openfse.ids._common import Identifier, Part, passes

_AMC = Identifier(kind="amc", name="Le numéro AMC", of="du numéro AMC")

_NUMBER = Part("numero", 0, 10, "le numéro")
MIN_LENGTH = 7
MAX_LENGTH = 10  # width of the SESAM-Vitale field

# « Type contrat (valeur 89 réservé C2S) » — manuel eS-KAP+ (eS-KAP+ manual, fiche organisme AMC).
C2S_TYPE_CONTRAT = "89"

SPECIAL_NUMBERS: dict[str, str] = {
    "99999997": "C2S gérée par le régime obligatoire (CPAM, CAMIEG, MSA…)",
    "88888888": "C2S gérée par un organisme complémentaire",
    "55555551": (
        "Sortant de la C2S (au sens SESAM-Vitale) : tiers payant sur la part obligatoire "
        "seulement, sans couverture complémentaire"
    ),
}


def compact(number: str) -> str:
    """Strip spaces, dots, dashes and slashes (leading zeros are kept)."""
    return _AMC.clean(number)


def validate(number: str) -> str:
    """Check the number (7 to 10 digits) and return its compact form, or raise."""
    number = compact(number)
    _AMC.require_digits(number, (_NUMBER,))
    _AMC.require_length_between(number, MIN_LENGTH, MAX_LENGTH)
    return number


def is_valid(number: object) -> bool:
    """True when ``number`` is a well-formed AMC number; never raises."""
    return passes(validate, number)


def format(number: str) -> str:
    """The digits as printed on attestations (no official grouping)."""
    return compact(number)


def is_special(number: str) -> str | None:
    """The meaning of a special AMC number (C2S cases), or None for an ordinary one."""
    return SPECIAL_NUMBERS.get(validate(number).lstrip("0").rjust(8, "0"))


def has_luhn_key(number: str) -> bool:
    """True when the valid number passes the Luhn check, as most AMC numbers do."""
    return luhn.is_valid(validate(number))
