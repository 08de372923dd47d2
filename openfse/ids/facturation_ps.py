"""Numéro de facturation du professionnel de santé (« numéro AM », numéro d'assurance maladie).

The number under which the Assurance Maladie pays a practitioner (one per place of practice —
« situation d'exercice »). It is printed on the CPS card (« N° facturation ») and heads every
FSE and every lot; a remplaçant bills under his own number. Structure (8 digits + key), e.g.
``06 4 01823 7``:

======  ===========  ====================================================
chars   part         meaning
======  ===========  ====================================================
1-2     departement  département of the caisse that registered the PS
3       categorie    category of professional
4-8     ordre        order number
9       cle          key: Luhn digit of the first 8 (the 9 digits pass Luhn)
======  ===========  ====================================================

Sources and confidence. Structure: `docs/protocols.md` (« numéro de facturation,
AM number, 8 digits + key »), guide LOGOSw (CPS window « N°facturation : 06401823 »). Key —
**medium confidence**: the same dentist's « N°AM » with its key, ``06401823`` + ``7`` (guide LOGOSw
and 004), passes Luhn, and OpenXtrem Mediboard checks its 9-character « adeli » field, masked
``99 9 99999 9`` exactly like this number, with Luhn. Against it: the test CPS card shown in
manuel eS-KAP+ (« N° facturation 99700557, Clé 8 ») does not pass Luhn (Luhn gives 4); test cards
are fictitious and no public text states the key algorithm, so this choice should be checked
against a real CPS or the SESAM-Vitale specifications when available.

Corsica: the number is handled as digits only. Whether Corsican numbers print 2A / 2B was
not found in any source; the SESAM-Vitale data element is believed to be numeric (low
confidence), so a letter is rejected with a message naming the département part.

>>> validate('06 4 01823 7')
'064018237'
>>> calc_check_digits('06401823')
'7'
>>> validate('064018239')  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
openfse.ids.exceptions.InvalidChecksum: Clé du numéro de facturation incorrecte : 9 saisie, ...
>>> validate('2A4018237')  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
openfse.ids.exceptions.InvalidFormat: Caractère non admis dans le département ... « 2A » ...
>>> format('064018237')
'06 4 01823 7'
"""

from __future__ import annotations

from dataclasses import dataclass

from openfse.ids._common import Identifier, Part, passes, slices

_FACTURATION = Identifier(
    kind="facturation_ps", name="Le numéro de facturation", of="du numéro de facturation"
)

DEPARTEMENT = Part("departement", 0, 2, "le département")
CATEGORIE = Part("categorie", 2, 3, "la catégorie")
ORDRE = Part("ordre", 3, 8, "le numéro d'ordre")
CLE = Part("cle", 8, 9, "la clé")
_PARTS = (DEPARTEMENT, CATEGORIE, ORDRE, CLE)


@dataclass(frozen=True, slots=True)
class FacturationParts:
    """The parts of a valid numéro de facturation."""

    departement: str
    categorie: str
    ordre: str
    cle: str


def compact(number: str) -> str:
    """Strip spaces, dots, dashes and slashes."""
    return _FACTURATION.clean(number)


def calc_check_digits(first8: str) -> str:
    """The Luhn key completing the first 8 digits."""
    return _FACTURATION.luhn_check_digit(first8, _PARTS, 8)


def validate(number: str) -> str:
    """Check the number and return its compact form, or raise the error naming the wrong part."""
    number = compact(number)
    _FACTURATION.require_digits(number, _PARTS)
    _FACTURATION.require_length(number, 9, ", clé comprise")
    _FACTURATION.require_luhn_key(number, CLE)
    return number


def is_valid(number: object) -> bool:
    """True when ``number`` is a valid numéro de facturation; never raises."""
    return passes(validate, number)


def format(number: str) -> str:
    """Grouped by part: ``06 4 01823 7``."""
    return _FACTURATION.grouped(number, _PARTS)


def split(number: str) -> FacturationParts:
    """The parts of a valid number (raises on an invalid one)."""
    return FacturationParts(*slices(validate(number), _PARTS))
