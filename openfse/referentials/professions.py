"""Professions and médecin spécialités, with their official codes.

The eight professions openfse bills (ids of docs/formats/price.md ``profession``) carry the ANS/RPPS
*code profession* (10 médecin, 60 infirmier…) and, for non-physicians, the SESAM-Vitale *code
spécialité* of their activity (24 infirmier, 26 masseur-kinésithérapeute…, SNDS IR_ACT_V).
Physicians carry the code of their spécialité (01 médecine générale, 12 pédiatrie…, SNDS
IR_SPE_V) under the snake_case ids of docs/formats/price.md ``ps.specialite``.

These lists do not change with the date of care, so the lookups take no date.

>>> profession("infirmier").specialite_code
'24'
>>> specialite("pediatrie").code
'12'
>>> specialite("gynecologie").id  # an accepted alias
'gynecologie_obstetrique_et_medicale'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from openfse.errors import InvalidInput
from openfse.referentials._dated import ReferentialDataError, read_data_rows

__all__ = [
    "PROFESSION_IDS",
    "Profession",
    "Specialite",
    "is_profession",
    "profession",
    "professions",
    "specialite",
    "specialite_by_code",
    "specialites",
]

# The exact API ids (docs/formats/price.md); the data file must hold exactly these.
PROFESSION_IDS: tuple[str, ...] = (
    "medecin",
    "infirmier",
    "masseur_kinesitherapeute",
    "sage_femme",
    "chirurgien_dentiste",
    "orthophoniste",
    "orthoptiste",
    "pedicure_podologue",
)

SPECIALITE_CATEGORIES = frozenset({"generaliste", "specialiste", "psychiatre", "dentiste"})


@dataclass(frozen=True, slots=True)
class Profession:
    id: str
    label: str
    profession_code: str  # ANS/RPPS code profession (TRE_G15), e.g. "60"
    specialite_code: str | None  # SESAM-Vitale code spécialité; None for médecins
    source: str


@dataclass(frozen=True, slots=True)
class Specialite:
    id: str
    code: str  # 2 digits, SNDS IR_SPE_V
    label: str
    category: str  # generaliste | specialiste | psychiatre | dentiste
    aliases: tuple[str, ...]
    snds_label: str


@cache
def _professions() -> dict[str, Profession]:
    result: dict[str, Profession] = {}
    for row in read_data_rows("professions.csv"):
        item = Profession(
            id=row["id"],
            label=row["label"],
            profession_code=row["profession_code"],
            specialite_code=row["specialite_code"] or None,
            source=row["source"],
        )
        result[item.id] = item
    if tuple(sorted(result)) != tuple(sorted(PROFESSION_IDS)):
        raise ReferentialDataError(
            "professions.csv ne contient pas exactement les professions attendues "
            f"({', '.join(PROFESSION_IDS)})."
        )
    return result


@cache
def _specialites() -> tuple[dict[str, Specialite], dict[str, Specialite]]:
    """(by id and alias, by code)."""
    by_name: dict[str, Specialite] = {}
    by_code: dict[str, Specialite] = {}
    for row in read_data_rows("specialites.csv"):
        item = Specialite(
            id=row["id"],
            code=row["code"],
            label=row["label"],
            category=row["category"],
            aliases=tuple(alias for alias in row["aliases"].split("|") if alias),
            snds_label=row["snds_label"],
        )
        if item.category not in SPECIALITE_CATEGORIES:
            raise ReferentialDataError(
                f"specialites.csv : catégorie inconnue {item.category!r} pour {item.id}."
            )
        for name in (item.id, *item.aliases):
            if name in by_name:
                raise ReferentialDataError(f"specialites.csv : identifiant {name!r} en double.")
            by_name[name] = item
        if item.code in by_code:
            raise ReferentialDataError(f"specialites.csv : code {item.code} en double.")
        by_code[item.code] = item
    return by_name, by_code


def professions() -> list[Profession]:
    """The eight professions, in the order of docs/formats/price.md."""
    table = _professions()
    return [table[ident] for ident in PROFESSION_IDS]


def is_profession(profession_id: str) -> bool:
    return profession_id in _professions()


def profession(profession_id: str) -> Profession:
    """The profession with this API id.

    Raises:
        InvalidInput: unknown id (code ``unknown_profession``).
    """
    found = _professions().get(profession_id)
    if found is None:
        raise InvalidInput(
            f"Profession inconnue : « {profession_id} ». Valeurs possibles : "
            f"{', '.join(PROFESSION_IDS)}.",
            code="unknown_profession",
            field="profession",
        )
    return found


def specialites() -> list[Specialite]:
    """Every spécialité, by code."""
    return sorted(_specialites()[1].values(), key=lambda item: item.code)


def specialite(specialite_id: str) -> Specialite:
    """The spécialité with this snake_case id (or an accepted alias such as ``gynecologie``).

    Raises:
        InvalidInput: unknown id (code ``unknown_specialite``).
    """
    found = _specialites()[0].get(specialite_id)
    if found is None:
        raise InvalidInput(
            f"Spécialité inconnue : « {specialite_id} » (exemples : medecine_generale, "
            "pediatrie, psychiatrie, cardiologie).",
            code="unknown_specialite",
            field="ps.specialite",
        )
    return found


def specialite_by_code(code: str) -> Specialite:
    """The spécialité with this official code (``"1"`` and ``"01"`` are the same code).

    Raises:
        InvalidInput: not a known 2-digit code (code ``unknown_specialite``).
    """
    normalized = code.strip().zfill(2)
    found = _specialites()[1].get(normalized)
    if found is None:
        raise InvalidInput(
            f"Code spécialité inconnu : « {code} ».",
            code="unknown_specialite",
            field="ps.specialite",
        )
    return found
