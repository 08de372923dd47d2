"""SESAM-Vitale code lists: one generic ``CodeList`` type, one instance per list.

Each list maps the code openfse stores (and the API exchanges) to a French label, a validity
period and optional extra fields (e.g. the FSE letter of a parcours situation). The content is
in ``data/code_lists.csv``; every row cites its source (vendor manual of docs/sources.md, SNDS
table, docs/rules.md or docs/formats/price.md) and a confidence H/M/L.

Lists (module attributes): ``NATURE_ASSURANCE`` (ids ``maladie|maternite|at|smg``, manuel eS-KAP+ +
docs/rules.md §D.2), ``EXONERATION`` (0, 3, 4, 5, 7, 9: manuel eS-KAP+; docs/rules.md
§D.2), ``PARCOURS`` (ids of docs/formats/price.md ``patient.parcours``; FSE letters of SNDS
IR_QPE_V),
``QUALIFICATIF_DEPENSE`` (A, E, N, G: manuel eS-KAP+; D: docs/formats/price.md),
``ENTENTE_PREALABLE``
(manuel eS-KAP+), ``PIECE_JUSTIFICATIVE`` (manuel eS-KAP+), ``QUALITE_BENEFICIAIRE`` (00:
vendor manuals; others docs/rules.md §G, low confidence), ``MODE_SECURISATION`` (manuel eS-KAP+,
docs/protocols.md §1.5), ``INDICATEUR_TRAITEMENT_AMC`` (open list, see below),
``GESTION_AMC`` (manuel eS-KAP+), ``TYPE_PAIEMENT`` (manuel eS-KAP+), ``MODE_ADRI`` (manuel
eS-KAP+).

A list is *closed* (an unknown code is refused with a precise French message) unless it has a
``pattern``: the AMC *indicateur de traitement* is printed on attestations from a list that is
not public, so any 2-character code is accepted there while the known ones get a label.

>>> from datetime import date
>>> EXONERATION.get("7", date(2025, 1, 1)).label
'Soins exonérés : dispositif de prévention'
>>> PARCOURS.get("adresse_par_mt", date(2025, 1, 1)).attribute("fse_code")
'O'
>>> MODE_ADRI.default(date(2025, 1, 1)).code
'automatique_cible'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from types import MappingProxyType

from openfse.errors import InvalidInput
from openfse.referentials._dated import (
    DatedTable,
    ReferentialDataError,
    format_date,
    parse_date,
    parse_optional_date,
    period_of,
    read_data_rows,
)

__all__ = [
    "ALL_LISTS",
    "CONFIDENCES",
    "ENTENTE_PREALABLE",
    "EXONERATION",
    "GESTION_AMC",
    "INDICATEUR_TRAITEMENT_AMC",
    "MODE_ADRI",
    "MODE_SECURISATION",
    "NATURE_ASSURANCE",
    "PARCOURS",
    "PIECE_JUSTIFICATIVE",
    "QUALIFICATIF_DEPENSE",
    "QUALITE_BENEFICIAIRE",
    "TYPE_PAIEMENT",
    "CodeItem",
    "CodeList",
]

CONFIDENCES = frozenset({"H", "M", "L"})
_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class CodeItem:
    """One code of a list, valid from ``start`` (inclusive) to ``end`` (exclusive or None)."""

    code: str
    label: str
    start: date
    end: date | None = None
    attributes: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    confidence: str = "H"
    source: str = ""

    def attribute(self, name: str, default: str = "") -> str:
        """An extra field (e.g. ``fse_code``), ``default`` when the row does not set it."""
        return self.attributes.get(name, default)


def _parse_attributes(text: str, where: str) -> Mapping[str, str]:
    if not text:
        return _EMPTY
    pairs: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ReferentialDataError(f"{where} : attribut mal formé {part!r}.")
        pairs[name.strip()] = value.strip()
    return MappingProxyType(pairs)


@cache
def _items_by_list() -> dict[str, tuple[CodeItem, ...]]:
    result: dict[str, list[CodeItem]] = {}
    for number, row in enumerate(read_data_rows("code_lists.csv"), start=1):
        where = f"code_lists.csv, enregistrement {number}"
        if not row["list"] or not row["code"] or not row["label"] or not row["source"]:
            raise ReferentialDataError(f"{where} : liste, code, libellé et source sont requis.")
        if row["confidence"] not in CONFIDENCES:
            raise ReferentialDataError(f"{where} : confiance invalide {row['confidence']!r}.")
        result.setdefault(row["list"], []).append(
            CodeItem(
                code=row["code"],
                label=row["label"],
                start=parse_date(row["start"], where=where),
                end=parse_optional_date(row["end"], where=where),
                attributes=_parse_attributes(row["attributes"], where),
                confidence=row["confidence"],
                source=row["source"],
            )
        )
    return {name: tuple(items) for name, items in result.items()}


class CodeList:
    """A named list of codes with validity periods, read from ``data/code_lists.csv``.

    Args:
        list_id: the list's name in the data file (``exoneration``…).
        label: what the list is, in French, for messages (« code d'exonération »).
        field: the API field the codes come from, reported in errors.
        pattern: for an open list, the regular expression any acceptable code matches.
    """

    __slots__ = ("_pattern", "field", "label", "list_id")

    def __init__(self, list_id: str, label: str, *, field: str, pattern: str | None = None) -> None:
        self.list_id = list_id
        self.label = label
        self.field = field
        self._pattern = re.compile(pattern) if pattern is not None else None

    @property
    def is_open(self) -> bool:
        return self._pattern is not None

    def _table(self) -> DatedTable[str, CodeItem]:
        return _tables()[self.list_id]

    def _rows(self) -> tuple[CodeItem, ...]:
        return _items_by_list().get(self.list_id, ())

    def get(self, code: str, on: date) -> CodeItem | None:
        """The item of ``code`` valid on ``on`` (code compared without surrounding blanks)."""
        return self._table().at(code.strip(), on)

    def items(self, on: date) -> list[CodeItem]:
        """The codes valid on ``on``, in the order of the data file (the pick-list order)."""
        return [item for item in self._rows() if period_of(item).covers(on)]

    def codes(self, on: date) -> list[str]:
        return [item.code for item in self.items(on)]

    def default(self, on: date) -> CodeItem | None:
        """The item flagged ``default=yes`` (e.g. the ADRI mode), if the list has one."""
        return next((item for item in self.items(on) if item.attribute("default") == "yes"), None)

    def validate(self, code: str, on: date) -> str:
        """``code`` without surrounding blanks, if acceptable on ``on``.

        Raises:
            InvalidInput: code ``invalid_<list>``, with a French message listing the valid codes.
        """
        normalized = code.strip()
        if self.get(normalized, on) is not None:
            return normalized
        if self._pattern is not None and self._pattern.fullmatch(normalized):
            return normalized
        raise InvalidInput(
            self._unknown_message(normalized, on), code=f"invalid_{self.list_id}", field=self.field
        )

    def require(self, code: str, on: date) -> CodeItem:
        """The listed item of ``code`` on ``on`` (even for an open list: its label is needed).

        Raises:
            InvalidInput: unknown code, as :meth:`validate`.
        """
        item = self.get(code, on)
        if item is None:
            raise InvalidInput(
                self._unknown_message(code.strip(), on),
                code=f"invalid_{self.list_id}",
                field=self.field,
            )
        return item

    def _unknown_message(self, code: str, on: date) -> str:
        shown = f"« {code} »" if code else "vide"
        choices = ", ".join(f"{item.code} ({item.label})" for item in self.items(on))
        problem = f"non valable le {format_date(on)}" if self._table().history(code) else "inconnue"
        title = self.label[:1].upper() + self.label[1:]
        return f"{title} : valeur {shown} {problem}. Valeurs possibles : {choices}."

    def __repr__(self) -> str:
        return f"CodeList({self.list_id!r})"


NATURE_ASSURANCE = CodeList("nature_assurance", "nature d'assurance", field="nature_assurance")
EXONERATION = CodeList("exoneration", "code d'exonération du ticket modérateur", field="exo")
PARCOURS = CodeList("parcours", "situation de parcours de soins", field="patient.parcours")
QUALIFICATIF_DEPENSE = CodeList(
    "qualificatif_depense", "qualificatif de dépense", field="acts.qualificatif"
)
ENTENTE_PREALABLE = CodeList(
    "entente_prealable", "code d'entente préalable", field="entente_prealable"
)
PIECE_JUSTIFICATIVE = CodeList(
    "piece_justificative", "pièce justificative des droits", field="piece_justificative"
)
QUALITE_BENEFICIAIRE = CodeList(
    "qualite_beneficiaire", "code qualité du bénéficiaire", field="qualite"
)
MODE_SECURISATION = CodeList("mode_securisation", "mode de sécurisation", field="mode_securisation")
INDICATEUR_TRAITEMENT_AMC = CodeList(
    "indicateur_traitement_amc",
    "indicateur de traitement AMC",
    field="amc.indicateur_traitement",
    pattern=r"[0-9A-Z]{2}",  # printed on the attestation; the full list is not public
)
GESTION_AMC = CodeList("gestion_amc", "mode de gestion AMC", field="amc.gestion")
TYPE_PAIEMENT = CodeList("type_paiement", "type de paiement", field="payment.type")
MODE_ADRI = CodeList("mode_adri", "mode d'appel ADRi", field="adri_mode")

ALL_LISTS: tuple[CodeList, ...] = (
    NATURE_ASSURANCE,
    EXONERATION,
    PARCOURS,
    QUALIFICATIF_DEPENSE,
    ENTENTE_PREALABLE,
    PIECE_JUSTIFICATIVE,
    QUALITE_BENEFICIAIRE,
    MODE_SECURISATION,
    INDICATEUR_TRAITEMENT_AMC,
    GESTION_AMC,
    TYPE_PAIEMENT,
    MODE_ADRI,
)


@cache
def _tables() -> dict[str, DatedTable[str, CodeItem]]:
    items = _items_by_list()
    declared = {code_list.list_id for code_list in ALL_LISTS}
    undeclared = set(items) - declared
    if undeclared:
        raise ReferentialDataError(
            "code_lists.csv : listes non déclarées dans codes.py : "
            f"{', '.join(sorted(undeclared))}."
        )
    return {
        list_id: DatedTable(
            items.get(list_id, ()), key=lambda item: item.code, name=f"code_lists.csv/{list_id}"
        )
        for list_id in declared
    }
