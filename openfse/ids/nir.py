"""NIR (numéro d'inscription au répertoire national d'identification des personnes physiques).

The NIR — the "numéro de sécurité sociale" printed on the carte Vitale — identifies the insured
person (assuré) and each beneficiary. It has 13 characters followed by a 2-digit key (clé):

======  ==========  =========================================================================
chars   part        meaning
======  ==========  =========================================================================
1       sexe        1 man, 2 woman; 7 / 8 = provisional number (NIA, « immatriculation en
                    attente », frequent for AME) — see :func:`is_provisional`
2-3     annee       last two digits of the year of birth
4-5     mois        01-12; 20-42 or 50-99 when the civil record is incomplete
6-7     departement 01-95, 2A / 2B (Corsica); 97 / 98 (overseas: the département takes 3
                    characters and the commune 2); 99 = born abroad (commune = country code)
8-10    commune     INSEE commune code (or country code when born abroad)
11-13   ordre       order number of the birth record in that commune and month
14-15   cle         97 - (first 13 characters read as a number, mod 97), Corsica counted with
                    2A as 19 and 2B as 18
======  ==========  =========================================================================

The key is computed by python-stdnum (``stdnum.fr.nir``); this module adds the checks of each
part and French messages saying which part is wrong.

More information:

* https://www.insee.fr/fr/metadonnees/definition/c1409 (INSEE, NIR)
* https://www.comptavoo.com/Verifier-et-decomposer-un-numero-de-securite-sociale,1070.html
* https://wp.publimath.fr/nu010 (key, Corsica)
* `docs/rules.md` §G; aide eS-KAP+ « Créer un patient ou un client » (provisional 7/8
  numbers)

>>> validate('1 83 01 75 111 001 49')
'183017511100149'
>>> calc_check_digits('1 83 01 75 111 001')
'49'
>>> calc_check_digits('2 06 12 75 111 005')
'64'
>>> validate('1 83 01 75 111 001 12')
Traceback (most recent call last):
    ...
openfse.ids.exceptions.InvalidChecksum: Clé du NIR incorrecte : 12 saisie, 49 attendue.
>>> validate('253072B07300470')  # born in Haute-Corse
'253072B07300470'
>>> validate('1 83 13 75 111 001 47')  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
openfse.ids.exceptions.InvalidComponent: Le mois de naissance du NIR est incorrect : 13 (attendu ...
>>> is_provisional('7 83 01 75 111 001 40')
True
>>> split('1 83 01 971 11 001 37').departement
'971'
>>> format('183017511100149')
'1 83 01 75 111 001 49'
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum.fr import nir as stdnum_nir

from openfse.ids._common import Identifier, Part, isdigits, passes

_NIR = Identifier(kind="nir", name="Le NIR", of="du NIR")

SEXE = Part("sexe", 0, 1, "le chiffre du sexe")
ANNEE = Part("annee", 1, 3, "l'année de naissance")
MOIS = Part("mois", 3, 5, "le mois de naissance")
DEPARTEMENT = Part("departement", 5, 7, "le département de naissance")
COMMUNE = Part("commune", 7, 10, "la commune de naissance")
ORDRE = Part("ordre", 10, 13, "le numéro d'ordre")
CLE = Part("cle", 13, 15, "la clé")
_BODY = (SEXE, ANNEE, MOIS, DEPARTEMENT, COMMUNE, ORDRE)

# 1 man, 2 woman; 7 and 8 are provisional numbers (NIA) given while the person waits for a
# definitive NIR — aide eS-KAP+: « numéro de Sécurité Sociale Provisoire commençant par 7 ou 8 ».
_SEXES = frozenset("1278")
_PROVISIONAL_SEXES = frozenset("78")
_CORSICA = frozenset({"2A", "2B"})


@dataclass(frozen=True, slots=True)
class NIRParts:
    """The parts of a valid NIR. Overseas (97x, 98x) the département has 3 characters and the
    commune 2; born abroad (99) the commune holds the INSEE country code."""

    sexe: str
    annee: str
    mois: str
    departement: str
    commune: str
    ordre: str
    cle: str


def compact(number: str) -> str:
    """Strip spaces, dots, dashes and slashes; upper-case (``2a`` → ``2A``)."""
    return _NIR.clean(number)


def calc_check_digits(first13: str) -> str:
    """The 2-digit key of the first 13 characters (spaces allowed): 97 - (N mod 97)."""
    number = compact(first13)
    _check_characters(number)
    _NIR.require_length(number, 13, ", sans la clé")
    # stdnum counts 2A as 19 and 2B as 18 (i.e. subtracts 1 000 000 / 2 000 000 from "20").
    return stdnum_nir.calc_check_digits(number)


def validate(number: str) -> str:
    """Check the NIR and return its compact form, or raise the error naming the wrong part."""
    number = compact(number)
    _check_characters(number)
    _NIR.require_length(number, 15, ", clé comprise")
    _check_sexe(SEXE.of(number))
    _check_mois(MOIS.of(number))
    _check_departement(number)
    _NIR.require_key(CLE.of(number), stdnum_nir.calc_check_digits(number))
    return number


def is_valid(number: object) -> bool:
    """True when ``number`` is a valid NIR; never raises."""
    return passes(validate, number)


def format(number: str) -> str:
    """The presentation printed on the carte Vitale: ``1 83 01 75 111 001 49``."""
    return _NIR.grouped(number, (SEXE, ANNEE, MOIS, DEPARTEMENT, COMMUNE, ORDRE, CLE))


def is_provisional(number: str) -> bool:
    """True for a provisional number (sexe digit 7 or 8). Raises on an invalid NIR.

    With a provisional number, the AMO organism (code caisse and code centre) must also be
    entered from the patient's attestation (aide eS-KAP+).
    """
    return validate(number)[0] in _PROVISIONAL_SEXES


def split(number: str) -> NIRParts:
    """The parts of a valid NIR (raises on an invalid one)."""
    number = validate(number)
    overseas = number[5:7] in ("97", "98")
    dept_end = 8 if overseas else 7
    return NIRParts(
        sexe=SEXE.of(number),
        annee=ANNEE.of(number),
        mois=MOIS.of(number),
        departement=number[5:dept_end],
        commune=number[dept_end:10],
        ordre=ORDRE.of(number),
        cle=CLE.of(number),
    )


def _check_characters(number: str) -> None:
    _NIR.require_digits(number, [part for part in (*_BODY, CLE) if part is not DEPARTEMENT])
    departement = DEPARTEMENT.of(number)
    if departement and departement not in _CORSICA and not isdigits(departement):
        raise _NIR.format_error(
            "departement",
            f"Caractère non admis dans le département de naissance du NIR : « {departement} » "
            "(chiffres attendus, ou 2A / 2B pour la Corse).",
        )


def _check_sexe(sexe: str) -> None:
    if sexe not in _SEXES:
        raise _NIR.component_error(
            "sexe",
            f"Le premier chiffre du NIR est incorrect : {sexe} (attendu 1 ou 2, "
            "ou 7 ou 8 pour un numéro provisoire).",
        )


def _check_mois(mois: str) -> None:
    # INSEE: 01-12; 20-42 and 50-99 are given when the civil record lacks the month.
    value = int(mois)
    if not (1 <= value <= 12 or 20 <= value <= 42 or 50 <= value <= 99):
        raise _NIR.component_error(
            "mois",
            f"Le mois de naissance du NIR est incorrect : {mois} (attendu 01 à 12, "
            "ou 20 à 42 et 50 à 99 pour un état civil incomplet).",
        )


def _check_departement(number: str) -> None:
    departement = DEPARTEMENT.of(number)
    if departement in _CORSICA:
        return
    # 01-95 (20 for Corsica before its 1976 split), 96 (historic: former protectorates),
    # 971-978 overseas départements and collectivités, 984-989 other overseas collectivités,
    # 99 born abroad.
    third = number[7]
    valid = (
        "01" <= departement <= "96"
        or (departement == "97" and "1" <= third <= "8")
        or (departement == "98" and "4" <= third <= "9")
        or departement == "99"
    )
    if not valid:
        shown = departement + third if departement in ("97", "98") else departement
        raise _NIR.component_error(
            "departement",
            f"Le département de naissance du NIR est incorrect : {shown} (attendu 01 à 95, "
            "2A, 2B, 971 à 978, 984 à 989, ou 99 pour une naissance à l'étranger).",
        )
