"""NGAP letter keys and COx codes: their value in euros on a date, per profession and zone.

The NGAP (nomenclature générale des actes professionnels) prices an act as *coefficient ×
value of the letter key* (``AMI 2`` = 2 × 3.15 €); majorations, travel allowances and IK have a
fixed value. The values change by convention or avenant on precise dates, so every lookup
takes the date of care: ``G`` is 26.50 € on 21/12/2024 and 30.00 € from 22/12/2024.

The table ``data/ngap.csv`` is curated by hand from docs/rules.md §0, A.1–A.9 and C (each row
cites its public source and a confidence H/M/L). Rows of zone ``dom`` exist only where a
different DOM value is published; elsewhere the métropole value applies in the DOM too.

Codes chosen by openfse where no public code was found (documented in SOURCES.md):
- infirmier and masseur-kinésithérapeute night/Sunday majorations are coded with the NGAP
  art. 14 complément keys ``N`` (nuit) and ``F`` (dimanche/férié), as on the feuille de soins;
- the infirmier 23 h–5 h night majoration (18.30 €) is coded ``NP``.

Rules (which majoration applies when, abattements, cumuls) belong to the pricing engine; this
module only answers tariffs.

>>> from datetime import date
>>> value("medecin", "G", date(2024, 12, 21))
Decimal('26.50')
>>> value("medecin", "G", date(2024, 12, 22))
Decimal('30.00')
>>> lookup("infirmier", "IFA", date(2024, 6, 1)).code  # IFA is another name of IFD
'IFD'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from openfse.errors import InvalidInput, UnknownTariff
from openfse.referentials import professions
from openfse.referentials._dated import (
    DatedTable,
    ReferentialDataError,
    fold,
    format_date,
    parse_date,
    parse_optional_date,
    read_data_rows,
)

__all__ = [
    "CONFIDENCES",
    "KINDS",
    "NOMENCLATURES",
    "ZONES",
    "NgapKey",
    "NgapLabel",
    "catalogue",
    "catalogue_label",
    "catalogue_search",
    "history",
    "keys",
    "lookup",
    "search",
    "value",
]

NOMENCLATURES = frozenset({"NGAP", "COX"})
KINDS = frozenset({"acte", "majoration", "deplacement", "ik", "forfait"})
ZONES = ("metropole", "dom")
CONFIDENCES = frozenset({"H", "M", "L"})

_AMOUNT = re.compile(r"^\d+\.\d{2}$")
_CODE = re.compile(r"^[A-Z][A-Z0-9]{0,5}$")


@dataclass(frozen=True, slots=True)
class NgapKey:
    """One tariff period of a letter key (or COx code) for a profession and a zone."""

    profession: str
    nomenclature: str  # NGAP | COX
    code: str
    label: str  # French
    kind: str  # acte | majoration | deplacement | ik | forfait
    value: Decimal  # euros, 2 decimals
    start: date  # inclusive
    end: date | None  # exclusive; None = still in force
    zone: str  # metropole | dom
    confidence: str  # H | M | L (see docs/rules.md)
    source: str  # URL
    note: str = ""


@dataclass(frozen=True, slots=True)
class NgapLabel:
    """A code of the NGAP catalogue, known by its label only (no tariff)."""

    code: str
    label: str


@dataclass(frozen=True, slots=True)
class _Tables:
    tariffs: DatedTable[tuple[str, str, str], NgapKey]  # (profession, code, zone)
    codes_by_profession: dict[str, tuple[str, ...]]
    aliases: dict[tuple[str, str], str]  # (profession, alias) -> code
    labels: dict[str, str]  # catalogue: code -> label


def _parse_tariff(row: dict[str, str], number: int) -> NgapKey:
    where = f"ngap.csv, enregistrement {number}"
    checks = {
        "profession": professions.is_profession(row["profession"]),
        "nomenclature": row["nomenclature"] in NOMENCLATURES,
        "code": bool(_CODE.match(row["code"])),
        "label": bool(row["label"]),
        "kind": row["kind"] in KINDS,
        "value": bool(_AMOUNT.match(row["value"])),
        "zone": row["zone"] in ZONES,
        "confidence": row["confidence"] in CONFIDENCES,
        "source": bool(row["source"]),
    }
    for column, ok in checks.items():
        if not ok:
            raise ReferentialDataError(f"{where} : valeur invalide {row[column]!r} ({column}).")
    return NgapKey(
        profession=row["profession"],
        nomenclature=row["nomenclature"],
        code=row["code"],
        label=row["label"],
        kind=row["kind"],
        value=Decimal(row["value"]),
        start=parse_date(row["start"], where=where),
        end=parse_optional_date(row["end"], where=where),
        zone=row["zone"],
        confidence=row["confidence"],
        source=row["source"],
        note=row.get("note", ""),
    )


@cache
def _tables() -> _Tables:
    rows = [_parse_tariff(row, n) for n, row in enumerate(read_data_rows("ngap.csv"), start=1)]
    tariffs = DatedTable(rows, key=lambda k: (k.profession, k.code, k.zone), name="ngap.csv")
    codes: dict[str, set[str]] = {}
    nomenclature_of: dict[tuple[str, str], str] = {}
    for key in rows:
        codes.setdefault(key.profession, set()).add(key.code)
        if nomenclature_of.setdefault((key.profession, key.code), key.nomenclature) != (
            key.nomenclature
        ):
            raise ReferentialDataError(
                f"ngap.csv : le code {key.code} ({key.profession}) figure dans deux nomenclatures."
            )
    aliases: dict[tuple[str, str], str] = {}
    for number, row in enumerate(read_data_rows("ngap_aliases.csv"), start=1):
        target = (row["profession"], row["code"])
        if target not in nomenclature_of or (row["profession"], row["alias"]) in nomenclature_of:
            raise ReferentialDataError(
                f"ngap_aliases.csv, enregistrement {number} : l'alias {row['alias']} doit "
                f"désigner un code tarifé de ngap.csv sans en être un lui-même."
            )
        aliases[(row["profession"], row["alias"])] = row["code"]
    labels = {row["code"]: row["label"] for row in read_data_rows("ngap_labels.csv")}
    return _Tables(
        tariffs=tariffs,
        codes_by_profession={p: tuple(sorted(c)) for p, c in codes.items()},
        aliases=aliases,
        labels=labels,
    )


def _check_zone(zone: str) -> None:
    if zone not in ZONES:
        raise InvalidInput(
            f"Zone tarifaire inconnue : « {zone} » (metropole ou dom).",
            code="unknown_zone",
            field="zone",
        )


def _canonical_code(profession: str, code: str) -> str:
    normalized = code.strip().upper()
    return _tables().aliases.get((profession, normalized), normalized)


def lookup(profession: str, code: str, on: date, zone: str = "metropole") -> NgapKey | None:
    """The tariff of ``code`` for ``profession`` in force on ``on``, or ``None``.

    ``code`` is case-insensitive and may be an alias (``IFA`` → ``IFD``). In zone ``dom`` the
    DOM value is returned where one is published, the métropole value otherwise.

    Raises:
        InvalidInput: unknown profession or zone (a caller's mistake, not a missing tariff).
    """
    professions.profession(profession)
    _check_zone(zone)
    canonical = _canonical_code(profession, code)
    tariffs = _tables().tariffs
    if zone == "dom":
        dom = tariffs.at((profession, canonical, "dom"), on)
        if dom is not None:
            return dom
    return tariffs.at((profession, canonical, "metropole"), on)


def value(profession: str, code: str, on: date, zone: str = "metropole") -> Decimal:
    """The value in euros of ``code`` for ``profession`` on ``on``.

    Raises:
        UnknownTariff: no tariff in force; the French message names the code, the profession
            and the date, and says what openfse knows about the code.
        InvalidInput: unknown profession or zone.
    """
    found = lookup(profession, code, on, zone)
    if found is None:
        raise UnknownTariff(_unknown_message(profession, code, on, zone), field="code")
    return found.value


def _unknown_message(profession: str, code: str, on: date, zone: str) -> str:
    who = professions.profession(profession).label.lower()
    canonical = _canonical_code(profession, code)
    shown = code.strip().upper() or "(vide)"
    periods = history(profession, canonical, "metropole") or history(profession, canonical, zone)
    if periods:
        known = ", ".join(
            f"du {format_date(k.start)}" + (f" au {format_date(k.end)} (exclu)" if k.end else "")
            for k in periods
        )
        return (
            f"Le code NGAP « {shown} » ({who}) n'a pas de tarif en vigueur le "
            f"{format_date(on)} : tarifs connus {known}. Saisissez le prix unitaire."
        )
    label = catalogue_label(canonical)
    if label is not None:
        return (
            f"Le code NGAP « {shown} » ({label}) existe mais openfse n'en connaît pas le tarif "
            f"pour la profession {who} au {format_date(on)} : saisissez le prix unitaire."
        )
    return (
        f"Code NGAP inconnu : « {shown} » pour la profession {who} au {format_date(on)}. "
        "Vérifiez le code ou saisissez le prix unitaire."
    )


def history(profession: str, code: str, zone: str = "metropole") -> tuple[NgapKey, ...]:
    """Every tariff period of ``code`` for ``profession`` in ``zone``, oldest first."""
    _check_zone(zone)
    canonical = _canonical_code(profession, code)
    return _tables().tariffs.history((profession, canonical, zone))


def keys(profession: str, on: date, zone: str = "metropole") -> list[NgapKey]:
    """Every code of ``profession`` with a tariff on ``on`` (a pick-list), sorted by code."""
    professions.profession(profession)
    found = (
        lookup(profession, code, on, zone)
        for code in _tables().codes_by_profession.get(profession, ())
    )
    return [key for key in found if key is not None]


def search(prefix: str, profession: str, on: date, zone: str = "metropole") -> list[NgapKey]:
    """Tariffs of ``profession`` on ``on`` whose code, alias or a label word starts with ``prefix``.

    Case and accents are ignored. Code matches come first (the exact code before longer
    codes), then label matches, each group sorted by code. An empty prefix gives ``keys()``.
    """
    wanted = fold(prefix.strip())
    candidates = keys(profession, on, zone)
    if not wanted:
        return candidates
    alias_targets = {
        code
        for (owner, alias), code in _tables().aliases.items()
        if owner == profession and fold(alias).startswith(wanted)
    }

    def rank(key: NgapKey) -> int | None:
        code = fold(key.code)
        if code == wanted:
            return 0
        if code.startswith(wanted) or key.code in alias_targets:
            return 1
        label = fold(key.label)
        if label.startswith(wanted) or any(w.startswith(wanted) for w in _words(label)):
            return 2
        return None

    ranked = [(r, key.code, key) for key in candidates if (r := rank(key)) is not None]
    return [key for _, _, key in sorted(ranked, key=lambda item: (item[0], item[1]))]


def _words(text: str) -> list[str]:
    return re.split(r"[^0-9a-z]+", text)


def catalogue_label(code: str) -> str | None:
    """The label of an NGAP code from the catalogue (known codes, with or without tariff)."""
    return _tables().labels.get(code.strip().upper())


def catalogue() -> list[NgapLabel]:
    """The whole NGAP code catalogue (422 codes), sorted by code."""
    return [NgapLabel(code, label) for code, label in sorted(_tables().labels.items())]


def catalogue_search(prefix: str) -> list[NgapLabel]:
    """Catalogue codes whose code or a label word starts with ``prefix`` (case/accents ignored).

    For codes without a tariff in openfse: the user picks the code and types the price.
    """
    wanted = fold(prefix.strip())
    if not wanted:
        return catalogue()
    code_hits = []
    label_hits = []
    for item in catalogue():
        if fold(item.code).startswith(wanted):
            code_hits.append(item)
        elif any(word.startswith(wanted) for word in _words(fold(item.label))):
            label_hits.append(item)
    return code_hits + label_hits
