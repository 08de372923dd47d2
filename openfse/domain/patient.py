"""The patient file's pure rules: identity (names, birth dates kept digit for digit, NIR shown
grouped), what a card vouches for, and the vocabulary of the file's AMO block.

No database, no clock. The services (``services/patients.py``, ``services/patient_forms.py``)
read and write the rows; the screens and the API show what these functions return. Coverage
(periods, rights states, the pricing situation) is ``domain/coverage.py``.
"""

from __future__ import annotations

import re

from openfse.domain.rights import BirthDate, InvalidBirthDate, normalize_name
from openfse.errors import InvalidInput
from openfse.ids import nir as ids_nir

__all__ = [
    "IDENTITY_FIELDS",
    "QUALITE_ASSURE",
    "SEXES",
    "TAUX_REMBOURSEMENT",
    "birth_date_display",
    "display_name",
    "is_provisional_nir",
    "nir_display",
    "parse_birth_date",
    "same_names",
]

QUALITE_ASSURE = "00"  # qualité du bénéficiaire: 00 = the assuré himself

SEXES: tuple[tuple[str, str], ...] = (("", "Non renseigné"), ("M", "Masculin"),
                                      ("F", "Féminin"), ("I", "Indéterminé"))

# « Taux de remboursement » offered once a pièce justificative is chosen (manuel eS-KAP+,
# and « Non exonéré »). Stored as the code; the label is what the attestation reads.
TAUX_REMBOURSEMENT: tuple[tuple[str, str], ...] = (
    ("non_exonere", "Non exonéré"),
    ("100_toutes", "100 % toutes prestations"),
    ("100_ald", "100 % si liés ALD"),
    ("100_sauf_vignettes", "100 % sauf vignettes orange, bleues et produits pharmaceutiques "
                           "assimilés"),
    ("100_sauf_vignettes_frontalier", "100 % sauf vignettes orange, bleues et produits "
                                      "pharmaceutiques assimilés taux rég. local frontalier"),
    ("frontalier", "Taux rég. local frontalier"),
    ("fsv", "Taux FSV"),
)

# What a carte Vitale (or ADRi) vouches for: not typed again by the desk, shown greyed.
IDENTITY_FIELDS: tuple[str, ...] = (
    "last_name", "usage_name", "first_name", "birth_date", "lunar", "birth_rank", "quality",
    "nir", "beneficiary_nir", "insured_last_name", "insured_first_name",
)

_DIGITS = re.compile(r"[0-9]+")


def display_name(last_name: str, first_name: str | None = "", *,
                 company_name: str | None = None) -> str:
    """« NOM Prénom », or the company's name for a client professionnel."""
    if company_name:
        return company_name
    return f"{last_name} {first_name or ''}".strip()


def same_names(nom: str, prenom: str, other_nom: str, other_prenom: str) -> bool:
    """Do two identities carry the same names? Cards write capitals without accents:
    « Lefèvre » names LEFEVRE."""
    return (normalize_name(nom) == normalize_name(other_nom)
            and normalize_name(prenom) == normalize_name(other_prenom))


def is_provisional_nir(nir: str | None) -> bool:
    """A NIR starting with 7 or 8 is provisional (often an AME beneficiary, born abroad):
    ADRi then needs the code caisse and code centre of the attestation."""
    return bool(nir) and nir is not None and nir[0] in "78"


def nir_display(nir: str | None) -> str:
    """The NIR grouped as printed on the card (« 1 85 03 75 112 004 42 »)."""
    if not nir:
        return ""
    try:
        return ids_nir.format(nir)
    except ValueError:
        return nir


def parse_birth_date(text: str, *, lunar: bool) -> str:
    """A typed birth date → ``AAAAMMJJ`` (the carte Vitale form).

    Accepts ``JJ/MM/AAAA``, ``AAAA-MM-JJ`` and 8 digits (``JJMMAAAA`` or ``AAAAMMJJ``: the
    form whose year is plausible, a calendar date preferred). A lunar date (day or month 00,
    or beyond the calendar, given to people whose civil record lacks them) is accepted only
    when ``lunar`` is ticked, so that a typing slip is not silently kept.

    >>> parse_birth_date("01/01/1983", lunar=False)
    '19830101'
    >>> parse_birth_date("15001980", lunar=True)
    '19800015'
    """
    cleaned = text.strip().replace(" ", "")
    if not cleaned:
        raise InvalidInput("La date de naissance est obligatoire.")
    try:
        if _DIGITS.fullmatch(cleaned) and len(cleaned) == 8:
            born = _eight_digits(cleaned)
        else:
            born = BirthDate.parse(cleaned)
    except InvalidBirthDate as error:
        raise InvalidInput(error.message) from None
    if born.is_lunar and not lunar:
        raise InvalidInput(f"Date de naissance {born} hors calendrier : corrigez-la, ou cochez "
                           "« Date lunaire » si l'état civil ne donne pas le jour ou le mois.")
    return born.compact()


def _eight_digits(digits: str) -> BirthDate:
    candidates = []
    for year, month, day in ((digits[:4], digits[4:6], digits[6:]),
                             (digits[4:], digits[2:4], digits[:2])):
        try:
            candidates.append(BirthDate(int(year), int(month), int(day)))
        except InvalidBirthDate:
            continue
    if not candidates:
        raise InvalidBirthDate(f"Date de naissance illisible : « {digits} » (attendu "
                               "JJ/MM/AAAA).", field="birth_date")
    # Prefer a calendar date; between two, the French habit JJMMAAAA (listed last).
    calendar = [c for c in candidates if not c.is_lunar]
    return (calendar or candidates)[-1]


def birth_date_display(text: str | None) -> str:
    """``AAAAMMJJ`` → ``JJ/MM/AAAA`` (lunar digits kept)."""
    if not text or len(text) != 8:
        return ""
    return f"{text[6:]}/{text[4:6]}/{text[:4]}"
