"""RPPS (numéro au répertoire partagé des professionnels intervenant dans le système de santé).

The RPPS number identifies a health professional for life, whatever the place or mode of
practice. It is given by the professional's Ordre (médecins, pharmaciens, chirurgiens-dentistes,
sages-femmes, masseurs-kinésithérapeutes, pédicures-podologues, infirmiers) or, since the end of
the ADELI directory (2024), by the ARS for the other professions. It is printed on prescriptions
(code de la santé publique, art. R. 4127-79) and carried by the CPS card.

Structure: 11 digits, the last one a Luhn key computed over the first 10 (so the 11 digits pass
the Luhn check). The number carries no meaning (« purement aléatoire » — GIP-CPS, quoted by Le
Quotidien du Médecin). In interoperability messages the national identifier of the
professional (idNat_PS / IDNPS) is ``8`` followed by the RPPS number (:func:`to_idnps`).

Sources and confidence (Luhn on the 11 digits: high): the real numbers ``10001347698``
(dossier LOGOSw, a dentist's correspondence) and ``99700557897`` (test CPS card, manuel eS-KAP+) and
the ANS example ``10000001916`` all pass it; OpenXtrem Mediboard declares the RPPS field
``numchar length|11 … control|luhn``. More information:

* https://esante.gouv.fr/securite/annuaire-sante (Annuaire Santé, ANS)
* https://www.lequotidiendumedecin.fr/archives/le-numero-adeli-en-sursis
* ANS « modèle d'exposition ROR » : idNat_PS = 8 + N° RPPS

>>> validate('100 013 476 98')
'10001347698'
>>> calc_check_digits('1000134769')
'8'
>>> validate('10001347699')
Traceback (most recent call last):
    ...
openfse.ids.exceptions.InvalidChecksum: Clé du numéro RPPS incorrecte : 9 saisie, 8 attendue.
>>> validate('1000134769')  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
openfse.ids.exceptions.InvalidLength: Le numéro RPPS doit comporter 11 caractères, ... (10 saisis).
>>> to_idnps('10001347698')
'810001347698'
"""

from __future__ import annotations

from openfse.ids._common import Identifier, Part, passes

_RPPS = Identifier(kind="rpps", name="Le numéro RPPS", of="du numéro RPPS")

NUMERO = Part("numero", 0, 10, "les dix premiers chiffres")
CLE = Part("cle", 10, 11, "la clé")


def compact(number: str) -> str:
    """Strip spaces, dots, dashes and slashes."""
    return _RPPS.clean(number)


def calc_check_digits(first10: str) -> str:
    """The Luhn key completing the first 10 digits."""
    return _RPPS.luhn_check_digit(first10, (NUMERO,), 10)


def validate(number: str) -> str:
    """Check the RPPS number and return its compact form, or raise a precise error."""
    number = compact(number)
    _RPPS.require_digits(number, (NUMERO, CLE))
    _RPPS.require_length(number, 11, ", clé comprise")
    _RPPS.require_luhn_key(number, CLE)
    return number


def is_valid(number: object) -> bool:
    """True when ``number`` is a valid RPPS number; never raises."""
    return passes(validate, number)


def format(number: str) -> str:
    """The 11 digits as printed on prescriptions and CPS cards (no official grouping)."""
    return compact(number)


def to_idnps(number: str) -> str:
    """The national professional identifier (IDNPS) used by the CPS and the ANS: ``8`` + RPPS."""
    return "8" + validate(number)
