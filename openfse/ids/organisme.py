"""Organisme d'assurance maladie obligatoire (AMO) destinataire: code régime, caisse, centre.

The AMO organism that pays for the patient is identified by 9 digits read from the carte
Vitale or from the attestation de droits, written ``01 841 5623``:

======  ========  ==========================================================================
chars   part      meaning
======  ========  ==========================================================================
1-2     regime    code (grand) régime: 01 régime général, 02 MSA… — see :data:`REGIMES`
3-5     caisse    code caisse (e.g. 841 = CPAM Avignon, 751 = CPAM Paris)
6-9     centre    code centre de paiement / de gestion
======  ========  ==========================================================================

Aide eS-KAP+ (the example « organisme 01 841 5623 : code caisse 841, code centre 5623 ») and manuel
eS-KAP+ (the screen « code regime / caisse / centre » with ``01 349 9881``) show the layout. The
régime must be one of :data:`REGIMES`; caisse and centre are only checked for being digits,
because the public caisse list (SNDS IR_CAI_V, 2020) is out of date and the SNDS codes
centre have 3 digits where SESAM-Vitale uses 4, so they cannot be checked against it.

>>> validate('01 841 5623')
'018415623'
>>> split('018415623').caisse
'841'
>>> regime_label('018415623')
'Régime général'
>>> validate('11 841 5623')  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
openfse.ids.exceptions.InvalidComponent: Code régime inconnu : 11 (attendu un grand régime, ...
>>> validate('01 841 56X3')  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
openfse.ids.exceptions.InvalidFormat: Caractère non admis dans le code centre ... « 56X3 » ...
>>> format('018415623')
'01 841 5623'
"""

from __future__ import annotations

from dataclasses import dataclass

from openfse.ids._common import Identifier, Part, passes, slices

_ORGANISME = Identifier(kind="organisme", name="Le code organisme", of="de l'organisme")

REGIME = Part("regime", 0, 2, "le code régime")
CAISSE = Part("caisse", 2, 5, "le code caisse")
CENTRE = Part("centre", 5, 9, "le code centre")
_PARTS = (REGIME, CAISSE, CENTRE)

# Grands régimes (GRG_COD), from the CNAM SNDS nomenclature IR_GRG_V (ORAVAL), as published in
# indsante/schema-snds @ fe17ef83 (2020-12-15), nomenclatures/ORAVAL/IR_GRG_V.csv, MPL-2.0;
# copy in shared/data/organismes/snds/. Code 99 (« valeur inconnue ») is left out. The 2020
# absorption of the indépendants (03) into the régime général is not reflected in the source;
# 03 is kept because cards and attestations issued before still carry it.
REGIMES: dict[str, str] = {
    "01": "Régime général",
    "02": "Mutualité sociale agricole (MSA)",
    "03": "Sécurité sociale des indépendants",
    "04": "SNCF (CPRP SNCF)",
    "05": "RATP",
    "06": "Établissement national des invalides de la marine (ENIM)",
    "07": "Mines (CANSSM)",
    "08": "Militaires (CNMSS)",
    "09": "Banque de France",
    "10": "Clercs et employés de notaires (CRPCEN)",
    "12": "Chambre de commerce et d'industrie de Paris",
    "14": "Assemblée nationale",
    "15": "Sénat",
    "16": "Port autonome de Bordeaux",
    "17": "Français de l'étranger (CFE)",
    "90": "Cultes (CAVIMAC)",
    "91": "MGEN",
    "92": "Mutuelle générale (MG)",
    "93": "Mutuelle générale de la police (MGP)",
    "94": "Mutuelle de la fonction publique (MFP)",
    "95": "Mutuelle nationale des hospitaliers (MNH)",
    "96": "Mutuelle de la marine",
}


@dataclass(frozen=True, slots=True)
class OrganismeParts:
    """The three codes of a valid AMO organism."""

    regime: str
    caisse: str
    centre: str


def compact(number: str) -> str:
    """Strip spaces, dots, dashes and slashes."""
    return _ORGANISME.clean(number)


def validate(number: str) -> str:
    """Check the code and return its 9 digits, or raise the error naming régime/caisse/centre."""
    number = compact(number)
    _ORGANISME.require_digits(number, _PARTS)
    _ORGANISME.require_length(number, 9, ", soit régime 2 + caisse 3 + centre 4")
    regime = REGIME.of(number)
    if regime not in REGIMES:
        raise _ORGANISME.component_error(
            "regime",
            f"Code régime inconnu : {regime} (attendu un grand régime, "
            "par exemple 01 régime général ou 02 MSA).",
        )
    return number


def is_valid(number: object) -> bool:
    """True when ``number`` is a valid AMO organism code; never raises."""
    return passes(validate, number)


def format(number: str) -> str:
    """Grouped as on the attestation: ``01 841 5623``."""
    return _ORGANISME.grouped(number, _PARTS)


def split(number: str) -> OrganismeParts:
    """Régime, caisse and centre of a valid code (raises on an invalid one)."""
    return OrganismeParts(*slices(validate(number), _PARTS))


def regime_label(number: str) -> str:
    """The name of the régime of a valid code."""
    return REGIMES[REGIME.of(validate(number))]
