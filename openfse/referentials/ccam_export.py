"""Readers of CCAM files: the CNAM export (Excel saved as CSV) and openfse's normalised CSV.

**CNAM export** ("CNAM - CCAM version 81 applicable 01/01/2026", ameli.fr, *Accueil de la CCAM
> téléchargement*; format described in ``shared/data/ccam/SOURCE.md``). One title line, a
header (``Code, , Texte, Activité, Phase, Tarif Secteur 1…, Tarif Hors secteur 1…, Rembt. ss
Cdtions, Accord Préalable, Exo. TM, Regroupement``), then, chapter by chapter:

- chapter lines: ``Code`` = ``1``, ``01.01``, ``01.01.01.01``… and ``Texte`` = the title;
- act lines: ``Code`` = the 7-character code, its first activity/phase and both tariffs
  (a number, ``Non pris en charge``, possibly with a French decimal comma ``248, 15``);
- the line under an act holds its allowed modifiers in ``Code`` (``[F, P, S, U]``), and may
  itself carry an extra line, a note or a code list in its other cells;
- lines with an empty ``Code`` and an ``Activité`` are further activities/phases of the act
  (``anesthésie`` = activity 4, ``Phase 1 : …``) with their own tariffs and regroupement;
- ``(CODE1, CODE2)`` lists the codes printed in parentheses under the act;
- other texts are notes (``Facturation : …``); notes before a chapter's first act are chapter
  notes and are not kept;
- chapter 19.03 lists the modifiers: a one-character code, its label and its value per grid,
  ``25.15`` (euros) or ``+20%`` (percent); unnamed valued lines under a modifier are variants
  (``U`` for surgeons: 50 €).

**Normalised CSV** (``shared/data/ccam/ccam_v81_actes.csv`` shape: one row per code × activity ×
phase; ``ccam_v81_modificateurs.csv`` shape for modifiers). A file may hold an acts block and a
modifiers block, each starting with its header row, after ``#`` comment lines; the bundled
subset is such a file. Its comments give the version (``CCAM version 81 applicable
01/01/2026``).

Both readers turn what they cannot interpret into :class:`CcamWarning` (line number and reason)
instead of dropping it silently; a file that is not a CCAM file raises :class:`CcamFormatError`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from openfse.errors import OpenFSEError
from openfse.referentials.ccam import (
    GRID_HORS,
    GRID_S1,
    GRIDS,
    CcamAct,
    CcamCatalog,
    CcamLine,
    CcamModifier,
    CcamTariff,
    ModifierValue,
    ModifierVariant,
    fold_words,
)

__all__ = [
    "ACT_COLUMNS",
    "MODIFIER_COLUMNS",
    "CcamFormatError",
    "CcamWarning",
    "ParsedExport",
    "decode_export",
    "format_normalised",
    "parse_export",
    "parse_export_with_warnings",
]

ACT_COLUMNS: tuple[str, ...] = (
    "code", "activite", "phase", "libelle", "libelle_activite",
    "tarif_s1_optam", "tarif_hors_optam", "tarif_s1_optam_brut", "tarif_hors_optam_brut",
    "remb_sous_conditions", "accord_prealable", "exo_tm", "regroupement",
    "modificateurs", "codes_associes", "chapitre", "chapitre_libelle",
)  # fmt: skip
MODIFIER_COLUMNS: tuple[str, ...] = (
    "code", "libelle", "valeur_s1_optam", "valeur_hors_optam", "section",
)  # fmt: skip
_ACT_REQUIRED = frozenset({"code", "activite", "phase", "libelle", "tarif_s1_optam",
                           "tarif_hors_optam"})  # fmt: skip
_MODIFIER_REQUIRED = frozenset({"code", "libelle", "valeur_s1_optam", "valeur_hors_optam"})
# Normalised price columns: the decimal column, else the raw cell ("Non pris en charge"…).
_PRICE_COLUMNS = {
    GRID_S1: ("tarif_s1_optam", "tarif_s1_optam_brut"),
    GRID_HORS: ("tarif_hors_optam", "tarif_hors_optam_brut"),
}
_MODIFIER_VALUE_COLUMNS = {GRID_S1: "valeur_s1_optam", GRID_HORS: "valeur_hors_optam"}

_TITLE = re.compile(
    r"CCAM\s+version\s+(?P<version>[0-9A-Za-z.]+)\s+applicable\s+(?:le\s+|au\s+)?"
    r"(?P<day>[0-9]{2})/(?P<month>[0-9]{2})/(?P<year>[0-9]{4})",
    re.IGNORECASE,
)
_ACT_CODE = re.compile(r"[A-Z]{4}[0-9]{3}")
_CHAPTER = re.compile(r"[0-9]{1,2}(?:\.[0-9]{1,2}){0,3}")
_MODIFIER_CODE = re.compile(r"[A-Z0-9]")
_SMALL_INT = re.compile(r"[0-9]{1,2}")
_CODE_LIKE = re.compile(r"[A-Z]{2,5}[0-9]{2,4}")
_PRICE = re.compile(r"[0-9]{1,7}(?:\.[0-9]{1,2})?")
_PERCENT = re.compile(r"[0-9]{1,4}(?:\.[0-9]{1,4})?")
_DELIMITERS = (",", ";", "\t")
# A header is looked for in the first records only: beyond, the file is not a CCAM export.
_HEADER_SEARCH = 12
_NOT_REIMBURSED = "non pris en charge"
_ZIP_MAGIC = b"PK\x03\x04"


class CcamFormatError(OpenFSEError):
    """The file is not a CCAM file this reader understands (``line`` = 1-based line)."""

    code = "ccam_format"

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"Fichier CCAM, ligne {line} : {reason}", field="file")
        self.line = line
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CcamWarning:
    """A line the reader could not fully interpret, and what it did with it."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"ligne {self.line} : {self.message}"


@dataclass(frozen=True, slots=True)
class ParsedExport:
    catalog: CcamCatalog
    warnings: tuple[CcamWarning, ...]
    source_format: Literal["cnam_export", "normalised"]


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def decode_export(data: bytes) -> str:
    """Text of a CCAM file: UTF-8 (with or without BOM), else Windows-1252 (Excel's CSV)."""
    if data.startswith(_ZIP_MAGIC):
        raise CcamFormatError(
            1,
            "fichier Excel (.xlsx) ou archive ZIP : enregistrez l'export CCAM au format CSV "
            "avant de l'importer",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CcamFormatError(line, "encodage inconnu (ni UTF-8 ni Windows-1252)") from None


def parse_export(text: str, *, applicable: date | None = None) -> CcamCatalog:
    """The catalogue of a CCAM file (CNAM export or normalised CSV); warnings are dropped.

    ``applicable`` overrides the date read from the title line (``applicable 01/01/2026``).
    """
    return parse_export_with_warnings(text, applicable=applicable).catalog


def parse_export_with_warnings(text: str, *, applicable: date | None = None) -> ParsedExport:
    """Parse a CCAM file and list the lines that could not be fully interpreted."""
    text = text.removeprefix("\ufeff")
    comments, body, offset = _split_leading_comments(text)
    if not body.strip():
        raise CcamFormatError(offset + 1, "fichier vide : aucune donnée CCAM")
    detected = _detect(body, offset)
    if detected is None:
        raise CcamFormatError(
            offset + 1,
            "ce fichier n'est pas un export CCAM : en-tête « Code, Texte, Activité, Phase, "
            "Tarif… » (export CNAM) ou « code, activite, phase, libelle… » (CSV normalisé) "
            "introuvable",
        )
    delimiter, kind = detected
    records = _records(body, delimiter, offset)
    if kind == "cnam_export":
        parsed = _ExportReader(applicable).read(records)
    else:
        parsed = _NormalisedReader(_title(comments, applicable, offset + 1)).read(records)
    if parsed.catalog.applicable is None:
        raise CcamFormatError(offset + 1, "aucun tarif ni modificateur lisible dans le fichier")
    return parsed


# --------------------------------------------------------------------------------------------
# Shared helpers: records, title, cells
# --------------------------------------------------------------------------------------------


def _split_leading_comments(text: str) -> tuple[list[str], str, int]:
    """``#`` lines at the top of a normalised file, the rest, and how many lines were cut."""
    comments: list[str] = []
    position = 0
    while text.startswith("#", position):
        end = text.find("\n", position)
        end = len(text) if end < 0 else end + 1
        comments.append(text[position:end].strip().lstrip("#").strip())
        position = end
    return comments, text[position:], len(comments)


def _records(text: str, delimiter: str, offset: int) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the (1-based) physical line each starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_end = 0
    try:
        for cells in reader:
            yield offset + previous_end + 1, cells
            previous_end = reader.line_num
    except csv.Error as exc:
        raise CcamFormatError(offset + previous_end + 1, f"CSV illisible ({exc})") from None


def _detect(body: str, offset: int) -> tuple[str, Literal["cnam_export", "normalised"]] | None:
    for delimiter in _DELIMITERS:
        try:
            for count, (_, cells) in enumerate(_records(body, delimiter, offset)):
                if count >= _HEADER_SEARCH:
                    break
                if _normalised_header(cells) is not None:
                    return delimiter, "normalised"
                if _ExportColumns.from_header(cells) is not None:
                    return delimiter, "cnam_export"
        except CcamFormatError:
            continue
    return None


def _normalised_header(cells: Sequence[str]) -> Literal["acts", "modifiers"] | None:
    names = {cell.strip().lower() for cell in cells}
    if not cells or cells[0].strip().lower() != "code":
        return None
    if names >= _ACT_REQUIRED:
        return "acts"
    if names >= _MODIFIER_REQUIRED:
        return "modifiers"
    return None


def _title(texts: Iterable[str], applicable: date | None, line: int) -> tuple[str, date]:
    """Version label and applicable date from a title text (the date given at import wins)."""
    version = "non précisée"
    title_date: date | None = None
    for text in texts:
        match = _TITLE.search(text)
        if match:
            version = match["version"]
            try:
                title_date = date(int(match["year"]), int(match["month"]), int(match["day"]))
            except ValueError:
                raise CcamFormatError(line, f"date d'application invalide : {match[0]!r}") from None
            break
    start = applicable or title_date
    if start is None:
        raise CcamFormatError(
            line,
            "date d'application inconnue (titre « CCAM version … applicable JJ/MM/AAAA » "
            "absent) : précisez-la à l'import (openfse import-ccam --applicable AAAA-MM-JJ)",
        )
    return version, start


def _cell(cells: Sequence[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def _one_line(text: str) -> str:
    """A label on one line: the export wraps long labels and doubles some spaces."""
    return " ".join(text.split())


def _folded_name(text: str) -> str:
    return " ".join(fold_words(text))


def _parse_price(raw: str) -> tuple[bool, Decimal | None]:
    """A tariff cell → (readable, price): ``25.15``, ``248, 15``; None = "Non pris en charge"."""
    if " ".join(raw.lower().split()) == _NOT_REIMBURSED:
        return True, None
    compact = "".join(raw.split()).removesuffix("€").replace(",", ".")
    if _PRICE.fullmatch(compact):
        return True, Decimal(compact)
    return False, None


def _parse_modifier_value(raw: str) -> ModifierValue | None:
    """``25.15`` → 25.15 €; ``+20%``, ``21,5%``, ``+15,7%`` → percentage points."""
    compact = "".join(raw.split()).replace(",", ".").removeprefix("+")
    if compact.endswith("%"):
        number = compact[:-1]
        if _PERCENT.fullmatch(number):
            return ModifierValue("percent", Decimal(number))
        return None
    if _PRICE.fullmatch(compact.removesuffix("€")):
        return ModifierValue("amount", Decimal(compact.removesuffix("€")))
    return None


def _reconcile_grids(
    values: dict[str, ModifierValue], code: str, line: int, warnings: list[CcamWarning]
) -> dict[str, ModifierValue]:
    """Fix a fraction typed instead of a percent when the other grid shows the percent.

    The v81 export prints modifier ``B`` as ``0.49`` (secteur 1) and ``+49%`` (hors secteur 1):
    0.49 × 100 = 49, so the first is read as +49 % too, and said so in a warning.
    """
    percents = [v.value for v in values.values() if v.kind == "percent"]
    if not percents:
        return values
    fixed = dict(values)
    for grid, value in values.items():
        if value.kind == "amount" and value.value < 1 and value.value * 100 in percents:
            fixed[grid] = ModifierValue("percent", value.value * 100)
            warnings.append(
                CcamWarning(
                    line,
                    f"modificateur {code} : valeur « {value.value} » ({grid}) lue comme "
                    f"+{value.value * 100:f} % comme l'autre grille",
                )
            )
        elif value.kind == "amount":
            message = f"modificateur {code} : montant en € sur une grille, pourcentage sur l'autre"
            warnings.append(CcamWarning(line, message))
    return fixed


def _split_codes(text: str) -> tuple[list[str], list[str]] | None:
    """``(GELE001, YYYY189)`` → (valid codes, malformed items); None if not a code list."""
    if not (text.startswith("(") and text.endswith(")")):
        return None
    items = [item.strip() for item in text[1:-1].split(",")]
    if not items or not all(_CODE_LIKE.fullmatch(item) for item in items):
        return None  # a note in parentheses, e.g. "(Forfait Sécurité Dermatologie)"
    valid = [item for item in items if _ACT_CODE.fullmatch(item)]
    return valid, [item for item in items if not _ACT_CODE.fullmatch(item)]


def _flag(raw: str, expected: str, what: str, line: int, warnings: list[CcamWarning]) -> bool:
    if not raw:
        return False
    if raw.upper() == expected:
        return True
    warnings.append(CcamWarning(line, f"{what} : valeur « {raw} » inconnue, lue comme absente"))
    return False


@dataclass
class _ActDraft:
    """An act being read: mutable until the next act or chapter closes it."""

    code: str
    label: str
    chapter: str
    chapter_label: str
    line: int
    modifiers: tuple[str, ...] | None = None
    associated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lines: list[CcamLine] = field(default_factory=list)

    def add_line(self, line: CcamLine, at: int, warnings: list[CcamWarning]) -> None:
        if any((x.activity, x.phase) == (line.activity, line.phase) for x in self.lines):
            warnings.append(
                CcamWarning(
                    at,
                    f"{self.code} : activité {line.activity} phase {line.phase} en double "
                    f"(« {line.label} ») : ligne ignorée, la première est gardée",
                )
            )
            return
        self.lines.append(line)

    def build(self) -> CcamAct:
        # The act's flags are those of its first line (the act line, or its first phase).
        first = self.lines[0] if self.lines else None
        return CcamAct(
            code=self.code,
            label=self.label,
            chapter=self.chapter,
            chapter_label=self.chapter_label,
            regroupement=first.regroupement if first else "",
            exo_tm=first.exo_tm if first else "",
            remb_sous_conditions=first.remb_sous_conditions if first else False,
            accord_prealable=first.accord_prealable if first else False,
            modifiers=self.modifiers or (),
            associated_codes=tuple(dict.fromkeys(self.associated)),
            lines=tuple(self.lines),
            notes=tuple(self.notes),
        )


# --------------------------------------------------------------------------------------------
# CNAM export
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ExportColumns:
    code: int
    text: int
    activity: int
    phase: int
    tariffs: dict[str, int]
    remb_sous_conditions: int | None
    accord_prealable: int | None
    exo_tm: int | None
    regroupement: int | None

    @classmethod
    def from_header(cls, cells: Sequence[str]) -> _ExportColumns | None:
        """Column positions from the export's header row, None if it is not that header."""
        found: dict[str, int] = {}
        for index, cell in enumerate(cells):
            name = _folded_name(cell)
            if not name:
                continue
            if name.startswith("tarif"):
                key = "hors" if "hors" in name.split() else "s1"
            elif name.startswith(("rembt", "remb")):
                key = "rc"
            else:
                key = {"code": "code", "texte": "text", "activite": "activity", "phase": "phase",
                       "accord prealable": "ap", "exo tm": "exo",
                       "regroupement": "regroupement"}.get(name, "")  # fmt: skip
            if key and key not in found:
                found[key] = index
        if not {"code", "text", "activity", "phase", "s1", "hors"} <= found.keys():
            return None
        return cls(
            code=found["code"],
            text=found["text"],
            activity=found["activity"],
            phase=found["phase"],
            tariffs={GRID_S1: found["s1"], GRID_HORS: found["hors"]},
            remb_sous_conditions=found.get("rc"),
            accord_prealable=found.get("ap"),
            exo_tm=found.get("exo"),
            regroupement=found.get("regroupement"),
        )


# A modifier being read: code, label, values per grid, variants.
_ModifierDraft = tuple[str, str, dict[str, ModifierValue], list[ModifierVariant]]


class _ExportReader:
    """State machine over the export's records (chapter → act → its lines and notes)."""

    def __init__(self, applicable: date | None) -> None:
        self._applicable = applicable
        self._start = date.min
        self._columns: _ExportColumns | None = None
        self._version = ""
        self._warnings: list[CcamWarning] = []
        self._chapter = ""
        self._chapter_label = ""
        self._in_modifiers = False
        self._act: _ActDraft | None = None
        self._acts: dict[str, CcamAct] = {}
        self._modifier: _ModifierDraft | None = None
        self._modifiers: list[CcamModifier] = []

    def read(self, records: Iterator[tuple[int, list[str]]]) -> ParsedExport:
        titles: list[str] = []
        last_line = 1
        for line, cells in records:
            last_line = line
            if self._columns is None:
                self._columns = _ExportColumns.from_header(cells)
                if self._columns is None:
                    titles.extend(cells)
                else:
                    self._version, self._start = _title(titles, self._applicable, line)
                continue
            self._record(line, cells, self._columns)
        self._close_act()
        self._close_modifier()
        if not self._acts:
            raise CcamFormatError(last_line, "aucun acte CCAM trouvé dans le fichier")
        catalog = CcamCatalog(
            version=self._version, acts=tuple(self._acts.values()), modifiers=tuple(self._modifiers)
        )
        return ParsedExport(catalog, tuple(self._warnings), "cnam_export")

    def _record(self, line: int, cells: list[str], columns: _ExportColumns) -> None:
        if not any(cell.strip() for cell in cells):
            return
        code = _cell(cells, columns.code)
        text = _cell(cells, columns.text)
        if self._in_modifiers and _MODIFIER_CODE.fullmatch(code):
            self._open_modifier(line, code, text, cells, columns)
        elif _CHAPTER.fullmatch(code):
            self._open_chapter(code, text)
        elif self._in_modifiers:
            self._modifier_content(line, code, text, cells, columns)
        elif _ACT_CODE.fullmatch(code):
            self._open_act(line, code, text, cells, columns)
        elif code.startswith("[") and code.endswith("]"):
            self._modifier_list(line, code)
            if any(cell.strip() for i, cell in enumerate(cells) if i != columns.code):
                self._content(line, text, cells, columns)
        elif code:
            self._warn(line, f"code « {code} » non reconnu : ligne ignorée")
        else:
            self._content(line, text, cells, columns)

    def _warn(self, line: int, message: str) -> None:
        self._warnings.append(CcamWarning(line, message))

    # -- chapters and acts -------------------------------------------------------------------

    def _open_chapter(self, number: str, label: str) -> None:
        self._close_act()
        self._close_modifier()
        head, _, rest = number.partition(".")
        self._chapter = head.zfill(2) + ("." + rest if rest else "")
        self._chapter_label = _one_line(label)
        self._in_modifiers = self._chapter.startswith("19.03")

    def _open_act(
        self, line: int, code: str, label: str, cells: list[str], columns: _ExportColumns
    ) -> None:
        self._close_act()
        if code in self._acts:
            self._warn(line, f"code {code} déjà lu plus haut : cet acte et ses lignes sont ignorés")
            return
        self._act = _ActDraft(code, _one_line(label), self._chapter, self._chapter_label, line)
        if _cell(cells, columns.activity):
            self._add_line(line, "", cells, columns)
        elif any(_cell(cells, index) for index in columns.tariffs.values()):
            self._warn(line, f"{code} : tarif sans activité ignoré")

    def _close_act(self) -> None:
        if self._act is not None:
            self._acts[self._act.code] = self._act.build()
            self._act = None

    def _modifier_list(self, line: int, cell: str) -> None:
        if self._act is None:
            self._warn(line, f"liste de modificateurs {cell} hors d'un acte : ignorée")
            return
        codes: list[str] = []
        for item in cell[1:-1].split(","):
            item = item.strip()
            if _MODIFIER_CODE.fullmatch(item):
                codes.append(item)
            elif item:
                self._warn(line, f"{self._act.code} : modificateur « {item} » invalide, ignoré")
        if self._act.modifiers is not None:
            self._warn(line, f"{self._act.code} : seconde liste de modificateurs ignorée")
            return
        self._act.modifiers = tuple(dict.fromkeys(codes))

    def _content(self, line: int, text: str, cells: list[str], columns: _ExportColumns) -> None:
        """A line with an empty Code: extra activity/phase, code list or note."""
        if _cell(cells, columns.activity):
            if self._act is None:
                self._warn(line, f"ligne d'activité hors d'un acte (« {text} ») : ignorée")
            else:
                self._add_line(line, _one_line(text), cells, columns)
            return
        # A 0.00 left in the price cells of a note is spreadsheet residue, not a tariff.
        priced = any(
            _cell(cells, index) not in ("", "0.00", "0,00") for index in columns.tariffs.values()
        )
        where = f"{self._act.code} : " if self._act else ""
        if priced:
            self._warn(line, f"{where}tarif sans activité ignoré (« {text[:60]} »)")
        if not text:
            if not priced:
                self._warn(line, "ligne sans texte ni activité : ignorée")
            return
        codes = _split_codes(text)
        if self._act is None:
            if codes is not None:
                self._warn(line, f"liste de codes {text} hors d'un acte : ignorée")
            return  # a chapter note
        if codes is None:
            self._act.notes.append(text)
            return
        valid, malformed = codes
        self._act.associated.extend(valid)
        for item in malformed:
            self._warn(line, f"{self._act.code} : code associé « {item} » invalide, ignoré")

    def _add_line(self, line: int, label: str, cells: list[str], columns: _ExportColumns) -> None:
        assert self._act is not None
        activity_raw = _cell(cells, columns.activity)
        phase_raw = _cell(cells, columns.phase) or "0"
        if not (_SMALL_INT.fullmatch(activity_raw) and _SMALL_INT.fullmatch(phase_raw)):
            self._warn(
                line,
                f"{self._act.code} : activité « {activity_raw} » / phase « {phase_raw} » "
                "invalides : ligne ignorée",
            )
            return
        tariffs: list[CcamTariff] = []
        for grid, index in columns.tariffs.items():
            tariff = self._tariff(line, grid, _cell(cells, index))
            if tariff is not None:
                tariffs.append(tariff)
        code = self._act.code
        ccam_line = CcamLine(
            activity=int(activity_raw),
            phase=int(phase_raw),
            label=label,
            tariffs=tuple(tariffs),
            regroupement=_cell(cells, columns.regroupement),
            exo_tm="".join(_cell(cells, columns.exo_tm).split()),
            remb_sous_conditions=_flag(
                _cell(cells, columns.remb_sous_conditions), "RC", f"{code} : Rembt. ss Cdtions",
                line, self._warnings,
            ),
            accord_prealable=_flag(
                _cell(cells, columns.accord_prealable), "AP", f"{code} : Accord préalable",
                line, self._warnings,
            ),
        )  # fmt: skip
        self._act.add_line(ccam_line, line, self._warnings)

    def _tariff(self, line: int, grid: str, raw: str) -> CcamTariff | None:
        assert self._act is not None
        if not raw:
            self._warn(line, f"{self._act.code} : tarif {grid} absent")
            return None
        readable, price = _parse_price(raw)
        if not readable:
            self._warn(line, f"{self._act.code} : tarif {grid} « {raw} » illisible, ignoré")
            return None
        return CcamTariff(grid, price, self._start, None)

    # -- modifiers (chapter 19.03) ------------------------------------------------------------

    def _modifier_values(
        self, line: int, code: str, cells: list[str], columns: _ExportColumns
    ) -> dict[str, ModifierValue]:
        values: dict[str, ModifierValue] = {}
        for grid, index in columns.tariffs.items():
            raw = _cell(cells, index)
            if not raw:
                continue
            value = _parse_modifier_value(raw)
            if value is None:
                self._warn(line, f"modificateur {code} : valeur {grid} « {raw} » illisible")
            else:
                values[grid] = value
        return _reconcile_grids(values, code, line, self._warnings)

    def _open_modifier(
        self, line: int, code: str, label: str, cells: list[str], columns: _ExportColumns
    ) -> None:
        self._close_modifier()
        if any(modifier.code == code for modifier in self._modifiers):
            self._warn(line, f"modificateur {code} déjà lu plus haut : ignoré")
            return
        values = self._modifier_values(line, code, cells, columns)
        if not values:
            self._warn(line, f"modificateur {code} sans valeur")
        self._modifier = (code, _one_line(label), values, [])

    def _modifier_content(
        self, line: int, code: str, text: str, cells: list[str], columns: _ExportColumns
    ) -> None:
        if code:
            self._warn(line, f"code « {code} » non reconnu parmi les modificateurs : ignoré")
            return
        if not any(_cell(cells, index) for index in columns.tariffs.values()):
            return  # a note on the modifier ("A l'exclusion de…"): not kept
        if self._modifier is None:
            self._warn(line, f"valeur de modificateur hors d'un modificateur (« {text[:60]} »)")
            return
        values = self._modifier_values(line, self._modifier[0], cells, columns)
        if values:
            self._modifier[3].append(ModifierVariant(_one_line(text), values))

    def _close_modifier(self) -> None:
        if self._modifier is not None:
            code, label, values, variants = self._modifier
            self._modifiers.append(
                CcamModifier(code, label, values, self._start, None, tuple(variants))
            )
            self._modifier = None


# --------------------------------------------------------------------------------------------
# Normalised CSV
# --------------------------------------------------------------------------------------------


class _NormalisedReader:
    def __init__(self, title: tuple[str, date]) -> None:
        self._version, self._start = title
        self._warnings: list[CcamWarning] = []
        self._acts: dict[str, _ActDraft] = {}
        self._modifiers: dict[str, CcamModifier] = {}

    def read(self, records: Iterator[tuple[int, list[str]]]) -> ParsedExport:
        columns: dict[str, int] | None = None
        block: Literal["acts", "modifiers"] | None = None
        for line, cells in records:
            if not any(cell.strip() for cell in cells):
                continue
            header = _normalised_header(cells)
            if header is not None:
                block = header
                columns = {cell.strip().lower(): i for i, cell in enumerate(cells)}
            elif columns is None:
                self._warnings.append(CcamWarning(line, "ligne avant l'en-tête : ignorée"))
            elif block == "acts":
                self._act_row(line, cells, columns)
            else:
                self._modifier_row(line, cells, columns)
        acts = tuple(draft.build() for draft in self._acts.values())
        catalog = CcamCatalog(self._version, acts, tuple(self._modifiers.values()))
        return ParsedExport(catalog, tuple(self._warnings), "normalised")

    def _act_row(self, line: int, cells: list[str], columns: dict[str, int]) -> None:
        def get(name: str) -> str:
            return _cell(cells, columns.get(name))

        code = get("code").upper()
        if not _ACT_CODE.fullmatch(code):
            self._warnings.append(CcamWarning(line, f"code CCAM « {code} » invalide : ignoré"))
            return
        draft = self._acts.get(code)
        if draft is None:
            draft = _ActDraft(
                code, _one_line(get("libelle")), get("chapitre"),
                _one_line(get("chapitre_libelle")), line,
            )  # fmt: skip
            draft.modifiers = tuple(m for m in get("modificateurs").split("|") if m.strip())
            draft.associated = [c for c in get("codes_associes").split("|") if c.strip()]
            self._acts[code] = draft
        activity, phase = get("activite"), get("phase") or "0"
        if not activity:
            return  # heading row of an act whose lines are its phases
        if not (_SMALL_INT.fullmatch(activity) and _SMALL_INT.fullmatch(phase)):
            self._warnings.append(
                CcamWarning(line, f"{code} : activité/phase « {activity}/{phase} » invalides")
            )
            return
        tariffs: list[CcamTariff] = []
        for grid, names in _PRICE_COLUMNS.items():
            raw = next((get(name) for name in names if get(name)), "")
            readable, price = _parse_price(raw) if raw else (False, None)
            if not readable:
                self._warnings.append(
                    CcamWarning(line, f"{code} : tarif {grid} « {raw} » absent ou illisible")
                )
                continue
            tariffs.append(CcamTariff(grid, price, self._start, None))
        ccam_line = CcamLine(
            activity=int(activity),
            phase=int(phase),
            label=_one_line(get("libelle_activite")),
            tariffs=tuple(tariffs),
            regroupement=get("regroupement"),
            exo_tm="".join(get("exo_tm").split()),
            remb_sous_conditions=_flag(
                get("remb_sous_conditions"), "RC", f"{code} : remb_sous_conditions", line,
                self._warnings,
            ),
            accord_prealable=_flag(
                get("accord_prealable"), "AP", f"{code} : accord_prealable", line, self._warnings
            ),
        )  # fmt: skip
        draft.add_line(ccam_line, line, self._warnings)

    def _modifier_row(self, line: int, cells: list[str], columns: dict[str, int]) -> None:
        code = _cell(cells, columns.get("code")).upper()
        if not _MODIFIER_CODE.fullmatch(code):
            self._warnings.append(CcamWarning(line, f"modificateur « {code} » invalide : ignoré"))
            return
        if code in self._modifiers:
            self._warnings.append(CcamWarning(line, f"modificateur {code} en double : ignoré"))
            return
        values: dict[str, ModifierValue] = {}
        for grid, name in _MODIFIER_VALUE_COLUMNS.items():
            raw = _cell(cells, columns.get(name))
            value = _parse_modifier_value(raw) if raw else None
            if value is None:
                self._warnings.append(
                    CcamWarning(line, f"modificateur {code} : valeur {grid} « {raw} » illisible")
                )
            else:
                values[grid] = value
        values = _reconcile_grids(values, code, line, self._warnings)
        label = _one_line(_cell(cells, columns.get("libelle")))
        self._modifiers[code] = CcamModifier(code, label, values, self._start, None)


def _format_price(tariff: CcamTariff | None) -> tuple[str, str]:
    if tariff is None:
        return "", ""
    if tariff.price is None:
        return "", "Non pris en charge"
    text = f"{tariff.price:f}"
    return text, text


def _format_modifier_value(value: ModifierValue | None) -> str:
    if value is None:
        return ""
    if value.kind == "percent":
        return f"+{value.value:f}%"
    return f"{value.value:f}"


def format_normalised(
    catalog: CcamCatalog,
    on: date,
    *,
    codes: Iterable[str] | None = None,
    comments: Sequence[str] = (),
) -> str:
    """The catalogue as a normalised CSV (acts block, then modifiers block), prices at ``on``.

    Notes and modifier variants are not part of the normalised format and are left out.
    """
    out = io.StringIO()
    for comment in comments:
        out.write(f"# {comment}\n" if comment else "#\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ACT_COLUMNS)
    acts = catalog.acts if codes is None else [a for c in codes if (a := catalog.act(c))]
    for act in acts:
        if not act.lines:  # keep an act without lines: a heading row, activity left empty
            writer.writerow(
                (act.code, "", "", act.label, "", "", "", "", "", "", "", act.exo_tm,
                 act.regroupement, "|".join(act.modifiers), "|".join(act.associated_codes),
                 act.chapter, act.chapter_label)
            )  # fmt: skip
        for line in act.lines:
            s1, s1_raw = _format_price(line.tariff(GRID_S1, on))
            hors, hors_raw = _format_price(line.tariff(GRID_HORS, on))
            writer.writerow(
                (act.code, line.activity, line.phase, act.label, line.label, s1, hors, s1_raw,
                 hors_raw, "RC" if line.remb_sous_conditions else "",
                 "AP" if line.accord_prealable else "", line.exo_tm, line.regroupement,
                 "|".join(act.modifiers), "|".join(act.associated_codes), act.chapter,
                 act.chapter_label)
            )  # fmt: skip
    writer.writerow(())
    writer.writerow(MODIFIER_COLUMNS)
    for modifier in catalog.modifiers:
        if modifier.covers(on):
            writer.writerow(
                (modifier.code, modifier.label,
                 *(_format_modifier_value(modifier.grid_values.get(grid)) for grid in GRIDS), "")
            )  # fmt: skip
    return out.getvalue()
