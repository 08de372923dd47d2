"""CCAM catalogue: acts, per-grid tariffs with effective dates, modifiers, and search.

The CCAM (Classification commune des actes médicaux) is published by the Assurance Maladie as
one *version* applicable from a date (v81 → 01/01/2026). Each act code (``HBJD001``) has one
or more lines keyed by *activité* (1 = main operator, 4 = anaesthesia, 5 = CEC…) and *phase*
(0 = single-step act), each line priced on two grids (docs/rules.md §B.5, docs/formats/price.md
``acts[].grille``):

- ``secteur1_optam`` — "Tarif secteur 1 / adhérent OPTAM/OPTAM-ACO";
- ``hors_secteur1_hors_optam`` — "Tarif hors secteur 1 / hors adhérent OPTAM/OPTAM-ACO".

A tariff is valid from ``start`` to ``end`` **inclusive** (``end=None``: still in force). Merging
a newer version closes the older tariffs on the day before the new version applies, so a
lookup for an earlier date of care still finds the old price (:meth:`CcamCatalog.merge`).

Modifiers (chapter 19.03 of the CCAM) are either a fixed amount in euros (``U`` = 25.15 €) or a
percentage of the act's tariff (``E`` = +49 %), per grid (``K``: +30 % / +25 %).

Search (:meth:`CcamCatalog.search`) answers both "code prefix" queries (``HBJ``, ``hbjd0``) by
binary search on the sorted codes and keyword queries (``detart``, ``suture plaie``) through an
inverted index of label words, accent- and case-insensitive; both stay well under 2 ms per
query on the full CCAM (``bench/bench_ccam_search.py``).

Pure module: no I/O except reading the bundled subset shipped in the package.

>>> from decimal import Decimal
>>> catalog = CcamCatalog(
...     version="demo",
...     acts=(
...         CcamAct(
...             code="HBJD001", label="Détartrage et polissage des dents", chapter="07.02.02.04",
...             chapter_label="Prophylaxie buccodentaire", regroupement="AXI", exo_tm="5-7",
...             remb_sous_conditions=False, accord_prealable=False, modifiers=(),
...             associated_codes=(),
...             lines=(CcamLine(1, 0, "", (
...                 CcamTariff(GRID_S1, Decimal("28.92"), date(2026, 1, 1), None),
...                 CcamTariff(GRID_HORS, Decimal("28.92"), date(2026, 1, 1), None),
...             )),),
...         ),
...     ),
...     modifiers=(),
... )
>>> catalog.price("HBJD001", 1, 0, GRID_S1, date(2026, 3, 2))
Decimal('28.92')
>>> [act.code for act in catalog.search("detart")]
['HBJD001']
"""

from __future__ import annotations

import functools
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from types import MappingProxyType
from typing import Literal, TypeVar

from openfse.errors import InvalidInput
from openfse.periods import Period

__all__ = [
    "GRIDS",
    "GRID_HORS",
    "GRID_S1",
    "CcamAct",
    "CcamCatalog",
    "CcamDataError",
    "CcamLine",
    "CcamModifier",
    "CcamTariff",
    "CcamVersionOrderError",
    "ModifierValue",
    "ModifierVariant",
    "bundled_catalog",
    "fold_words",
]

# docs/formats/price.md, key `acts[].grille`: the two CCAM price columns of the official export.
GRID_S1 = "secteur1_optam"
GRID_HORS = "hors_secteur1_hors_optam"
GRIDS: tuple[str, ...] = (GRID_S1, GRID_HORS)

_BUNDLED_RESOURCE = ("referentials", "data", "ccam_subset.csv")


class CcamDataError(InvalidInput):
    """CCAM data that breaks an invariant of the catalogue (duplicate code, bad value…)."""

    code = "ccam_invalid_data"


class CcamVersionOrderError(CcamDataError):
    """A CCAM version older than the one in place cannot be merged on top of it."""

    code = "ccam_version_order"


# --------------------------------------------------------------------------------------------
# Value objects
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CcamTariff:
    """Unit price of one act line on one grid for a period (``end`` inclusive, None = open).

    ``price`` is None when the export says "Non pris en charge".
    """

    grid: str
    price: Decimal | None
    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.grid not in GRIDS:
            raise CcamDataError(f"Grille tarifaire CCAM inconnue : {self.grid!r}", field="grid")
        if self.price is not None and (not self.price.is_finite() or self.price < 0):
            raise CcamDataError(f"Tarif CCAM invalide : {self.price}", field="price")
        if self.end is not None and self.end < self.start:
            raise CcamDataError(
                f"Période de tarif CCAM invalide : fin {self.end} avant début {self.start}",
                field="end",
            )

    def covers(self, on: date) -> bool:
        return Period(self.start, self.end).covers(on)  # both days covered


@dataclass(frozen=True, slots=True)
class CcamLine:
    """One billable line of an act: activity × phase, with its tariffs on every grid."""

    activity: int
    phase: int
    label: str
    tariffs: tuple[CcamTariff, ...]
    regroupement: str = ""
    exo_tm: str = ""
    remb_sous_conditions: bool = False
    accord_prealable: bool = False

    def __post_init__(self) -> None:
        # One canonical order (grid, then start) so that equal lines compare equal.
        ordered = tuple(sorted(self.tariffs, key=lambda t: (GRIDS.index(t.grid), t.start)))
        object.__setattr__(self, "tariffs", ordered)

    def tariff(self, grid: str, on: date) -> CcamTariff | None:
        for tariff in self.tariffs:
            if tariff.grid == grid and tariff.covers(on):
                return tariff
        return None


@dataclass(frozen=True, slots=True)
class CcamAct:
    """A CCAM act code with its label, chapter, billing flags and lines."""

    code: str
    label: str
    chapter: str
    chapter_label: str
    regroupement: str
    exo_tm: str
    remb_sous_conditions: bool
    accord_prealable: bool
    modifiers: tuple[str, ...]
    associated_codes: tuple[str, ...]
    lines: tuple[CcamLine, ...]
    # "Facturation : …", "Indication : …", "Formation : …" notes printed under the act.
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Canonical order: phase by phase, each with its activities (1 main, 4 anaesthesia…).
        ordered = tuple(sorted(self.lines, key=lambda line: (line.phase, line.activity)))
        object.__setattr__(self, "lines", ordered)

    def line(self, activity: int, phase: int) -> CcamLine | None:
        for line in self.lines:
            if line.activity == activity and line.phase == phase:
                return line
        return None


@dataclass(frozen=True, slots=True)
class ModifierValue:
    """A modifier's effect: ``amount`` in euros added, or ``percent`` of the act's tariff.

    ``value`` is in euros for an amount and in percentage points for a percent (``20`` = +20 %).
    """

    kind: Literal["amount", "percent"]
    value: Decimal

    def __post_init__(self) -> None:
        if self.kind not in ("amount", "percent"):
            raise CcamDataError(f"Type de modificateur inconnu : {self.kind!r}", field="kind")
        if not self.value.is_finite():
            raise CcamDataError(f"Valeur de modificateur invalide : {self.value}", field="value")


@dataclass(frozen=True, slots=True)
class ModifierVariant:
    """A secondary rate of a modifier printed under it (e.g. ``U`` for surgeons: 50 €)."""

    label: str
    grid_values: Mapping[str, ModifierValue] = field(hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "grid_values", _read_only(self.grid_values))


@dataclass(frozen=True, slots=True)
class CcamModifier:
    """A CCAM modifier (chapter 19.03) valid from ``start`` to ``end`` inclusive."""

    code: str
    label: str
    grid_values: Mapping[str, ModifierValue] = field(hash=False)
    start: date
    end: date | None = None
    variants: tuple[ModifierVariant, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "grid_values", _read_only(self.grid_values))
        if self.end is not None and self.end < self.start:
            raise CcamDataError(
                f"Période du modificateur {self.code} invalide : fin {self.end} avant début "
                f"{self.start}",
                field="end",
            )

    def covers(self, on: date) -> bool:
        return Period(self.start, self.end).covers(on)  # both days covered


def _read_only(values: Mapping[str, ModifierValue]) -> Mapping[str, ModifierValue]:
    unknown = set(values) - set(GRIDS)
    if unknown:
        raise CcamDataError(f"Grille tarifaire CCAM inconnue : {', '.join(sorted(unknown))}")
    return MappingProxyType(dict(values))


# A dated period: a tariff or a modifier definition.
_Period = TypeVar("_Period", CcamTariff, CcamModifier)


# --------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CcamCatalog:
    """The CCAM acts and modifiers of one version (or of several merged versions).

    ``acts`` is kept sorted by code and ``modifiers`` by (code, start) whatever the input order.
    """

    version: str
    acts: tuple[CcamAct, ...]
    modifiers: tuple[CcamModifier, ...]
    _by_code: dict[str, CcamAct] = field(init=False, repr=False, compare=False)
    _modifiers_by_code: dict[str, tuple[CcamModifier, ...]] = field(
        init=False, repr=False, compare=False
    )
    _search_index: _SearchIndex | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        acts = tuple(sorted(self.acts, key=lambda act: act.code))
        by_code: dict[str, CcamAct] = {}
        for act in acts:
            if act.code in by_code:
                raise CcamDataError(f"Code CCAM en double dans le catalogue : {act.code}")
            by_code[act.code] = act
        modifiers = tuple(sorted(self.modifiers, key=lambda m: (m.code, m.start)))
        grouped: dict[str, list[CcamModifier]] = {}
        for modifier in modifiers:
            grouped.setdefault(modifier.code, []).append(modifier)
        object.__setattr__(self, "acts", acts)
        object.__setattr__(self, "modifiers", modifiers)
        object.__setattr__(self, "_by_code", by_code)
        object.__setattr__(
            self, "_modifiers_by_code", {code: tuple(ms) for code, ms in grouped.items()}
        )
        object.__setattr__(self, "_search_index", None)

    # -- lookups used by the pricing engine -------------------------------------------------

    def act(self, code: str) -> CcamAct | None:
        return self._by_code.get(code.strip().upper())

    def price(self, code: str, activity: int, phase: int, grid: str, on: date) -> Decimal | None:
        """Unit price of a line on a grid at a date; None if unknown or not reimbursed."""
        tariff = self._tariff(code, activity, phase, grid, on)
        return None if tariff is None else tariff.price

    def is_reimbursable(self, code: str, activity: int, phase: int, grid: str, on: date) -> bool:
        # "Non pris en charge" is stored as a tariff without price; a 0.00 price is a tariff.
        return self.price(code, activity, phase, grid, on) is not None

    def modifier(self, code: str, grid: str, on: date) -> ModifierValue | None:
        for modifier in self._modifiers_by_code.get(code.strip().upper(), ()):
            if modifier.covers(on):
                return modifier.grid_values.get(grid)
        return None

    def modifier_definition(self, code: str, on: date) -> CcamModifier | None:
        for modifier in self._modifiers_by_code.get(code.strip().upper(), ()):
            if modifier.covers(on):
                return modifier
        return None

    def allowed_modifiers(self, code: str) -> tuple[str, ...]:
        act = self.act(code)
        return () if act is None else act.modifiers

    def _tariff(
        self, code: str, activity: int, phase: int, grid: str, on: date
    ) -> CcamTariff | None:
        act = self.act(code)
        if act is None:
            return None
        line = act.line(activity, phase)
        return None if line is None else line.tariff(grid, on)

    # -- versions ---------------------------------------------------------------------------

    @property
    def applicable(self) -> date | None:
        """Date from which the latest version in this catalogue applies (None if no tariff)."""
        starts = [t.start for act in self.acts for line in act.lines for t in line.tariffs]
        starts.extend(modifier.start for modifier in self.modifiers)
        return max(starts, default=None)

    def merge(self, newer: CcamCatalog) -> CcamCatalog:
        """This catalogue updated by a newer version: older tariffs end the day before.

        For every code × activity × phase × grid (and every modifier × grid), the periods of
        this catalogue that start on or after the newer version's start are superseded, and the
        open ones are closed on the day before (CCAM versions replace each other at a date). Act
        data (label, modifiers, flags) come from the newer version; acts or lines missing from
        it keep their history, closed at the newer version's date.
        """
        cutoff = newer.applicable
        if cutoff is None:
            raise CcamDataError("La version CCAM importée ne contient aucun tarif")
        current = self.applicable
        if current is not None and cutoff < current:
            raise CcamVersionOrderError(
                f"La version CCAM importée ({newer.version}, applicable le "
                f"{cutoff:%d/%m/%Y}) est antérieure à la version en place ({self.version}, "
                f"applicable le {current:%d/%m/%Y})"
            )
        acts: list[CcamAct] = []
        for code in sorted(self._by_code.keys() | newer._by_code.keys()):
            old, new = self._by_code.get(code), newer._by_code.get(code)
            if new is None:
                assert old is not None
                acts.append(replace(old, lines=_merge_lines(old.lines, (), cutoff)))
            elif old is None:
                acts.append(new)
            else:
                acts.append(replace(new, lines=_merge_lines(old.lines, new.lines, cutoff)))
        modifiers: list[CcamModifier] = []
        for code in sorted(self._modifiers_by_code.keys() | newer._modifiers_by_code.keys()):
            news = newer._modifiers_by_code.get(code, ())
            code_cutoff = min((m.start for m in news), default=cutoff)
            modifiers.extend(_closed_periods(self._modifiers_by_code.get(code, ()), code_cutoff))
            modifiers.extend(news)
        return CcamCatalog(version=newer.version, acts=tuple(acts), modifiers=tuple(modifiers))

    # -- search -----------------------------------------------------------------------------

    def build_search_index(self) -> None:
        """Build the search indexes now (otherwise built on the first search)."""
        self._index()

    def search(self, query: str, limit: int = 20) -> list[CcamAct]:
        """Acts matching a code prefix or label keywords, best first, at most ``limit``.

        A query shaped like a code prefix (letters then optional digits: ``HBJ``, ``hbjd0``)
        lists the codes starting with it in code order; other queries (and code-like queries
        that do not fill ``limit``, such as ``dent``) search the labels: every query word must
        start a word of the label, ignoring accents and case (``detart`` finds "Détartrage…").
        Keyword results rank labels where more query words match a whole word first, then
        shorter labels.
        """
        if limit <= 0:
            return []
        index = self._index()
        results: list[CcamAct] = []
        code = _code_prefix(query)
        if code is not None:
            results = index.code_prefix(code, limit)
        if len(results) < limit:
            seen = {act.code for act in results}
            for act in index.keywords(fold_words(query), limit):
                if act.code not in seen:
                    results.append(act)
                    if len(results) == limit:
                        break
        return results

    def keywords(self, prefix: str, limit: int = 20) -> list[str]:
        """Label words starting with ``prefix`` (as printed, lower case), for a word picker."""
        words = fold_words(prefix)
        if len(words) != 1 or limit <= 0:
            return []
        return self._index().vocabulary(words[0], limit)

    def _index(self) -> _SearchIndex:
        index = self._search_index
        if index is None:
            index = _SearchIndex(self.acts)
            object.__setattr__(self, "_search_index", index)
        return index


def _closed_periods(periods: Iterable[_Period], cutoff: date) -> list[_Period]:
    """Periods that started before ``cutoff``, ended at the latest the day before it."""
    last_day = cutoff - timedelta(days=1)
    kept: list[_Period] = []
    for period in periods:
        if period.start >= cutoff:
            continue  # superseded by the newer version
        if period.end is None or period.end > last_day:
            period = replace(period, end=last_day)
        kept.append(period)
    return kept


def _merge_lines(
    old_lines: tuple[CcamLine, ...], new_lines: tuple[CcamLine, ...], cutoff: date
) -> tuple[CcamLine, ...]:
    old_by_key = {(line.activity, line.phase): line for line in old_lines}
    new_by_key = {(line.activity, line.phase): line for line in new_lines}
    merged: list[CcamLine] = []
    for key in sorted(old_by_key.keys() | new_by_key.keys()):
        old, new = old_by_key.get(key), new_by_key.get(key)
        base = new if new is not None else old
        assert base is not None
        tariffs: list[CcamTariff] = []
        for grid in GRIDS:
            news = [t for t in new.tariffs if t.grid == grid] if new is not None else []
            olds = [t for t in old.tariffs if t.grid == grid] if old is not None else []
            grid_cutoff = min((t.start for t in news), default=cutoff)
            tariffs.extend(_closed_periods(olds, grid_cutoff))
            tariffs.extend(news)
        merged.append(replace(base, tariffs=tuple(tariffs)))
    return tuple(merged)


# --------------------------------------------------------------------------------------------
# Search index
# --------------------------------------------------------------------------------------------

# Code prefix: 1-3 letters, or 4 letters then 0-3 digits (CCAM codes are 4 letters + 3 digits);
# a space is allowed before the digits ("HBJD 001"), not between letters ("de la" is two words).
_CODE_PREFIX = re.compile(r"[A-Z]{1,3}|[A-Z]{4}(?:\s*[0-9]{1,3})?")
_PIECE = re.compile(r"[^\W_]+")
_WORD = re.compile(r"[a-z0-9]+")
# Ligatures that NFKD does not decompose (cœur, cæcum).
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
# Above every character a folded word can hold: bisect upper bound of a prefix range.
_AFTER_WORDS = "\x7f"
# Below this many candidates, checking each act's words beats a set union over the index.
_VERIFY_MAX = 256


def _code_prefix(query: str) -> str | None:
    candidate = query.strip().upper()
    if _CODE_PREFIX.fullmatch(candidate):
        return "".join(candidate.split())
    return None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _display_words(text: str) -> list[tuple[str, str]]:
    """(folded word, printed form) pairs of a text, in order."""
    pairs: list[tuple[str, str]] = []
    for piece in _PIECE.findall(text.lower()):
        folded = _WORD.findall(_fold(piece))
        if len(folded) == 1:
            pairs.append((folded[0], piece))
        else:
            pairs.extend((word, word) for word in folded)
    return pairs


def fold_words(text: str) -> list[str]:
    """Words of a text folded for search: lower case, no accents, ``[a-z0-9]`` only.

    >>> fold_words("Détartrage et polissage des dents, cœur")
    ['detartrage', 'et', 'polissage', 'des', 'dents', 'coeur']
    """
    return [word for word, _ in _display_words(text)]


def _starts_a_word(sorted_words: tuple[str, ...], prefix: str) -> bool:
    i = bisect_left(sorted_words, prefix)
    return i < len(sorted_words) and sorted_words[i].startswith(prefix)


class _SearchIndex:
    """Sorted codes for prefix search; inverted index of label words for keyword search.

    Acts are numbered by *rank* (shorter label first, then code) so that the smallest numbers
    of a candidate set are its best results: sorting integers replaces a ranking function.
    """

    __slots__ = (
        "_by_code_order",
        "_by_rank",
        "_codes",
        "_cumulative",
        "_display",
        "_postings",
        "_rank_words",
        "_vocabulary",
        "_word_number",
    )

    def __init__(self, acts: tuple[CcamAct, ...]) -> None:
        self._by_code_order = acts  # already sorted by code
        self._codes = [act.code for act in acts]
        self._by_rank = sorted(acts, key=lambda act: (len(act.label), act.code))
        postings: dict[str, set[int]] = {}
        display: dict[str, str] = {}
        rank_words: list[tuple[str, ...]] = []
        for rank, act in enumerate(self._by_rank):
            pairs = _display_words(act.label)
            for word, printed in pairs:
                postings.setdefault(word, set()).add(rank)
                display.setdefault(word, printed)
            rank_words.append(tuple(sorted({word for word, _ in pairs})))
        self._rank_words = rank_words
        self._vocabulary = sorted(postings)
        self._word_number = {word: i for i, word in enumerate(self._vocabulary)}
        self._postings = [frozenset(postings[word]) for word in self._vocabulary]
        self._display = [display[word] for word in self._vocabulary]
        # _cumulative[i] = total postings of words before i: a prefix range's size in O(1).
        cumulative = [0]
        for posting in self._postings:
            cumulative.append(cumulative[-1] + len(posting))
        self._cumulative = cumulative

    def code_prefix(self, prefix: str, limit: int) -> list[CcamAct]:
        start = bisect_left(self._codes, prefix)
        found: list[CcamAct] = []
        for act in self._by_code_order[start : start + limit]:
            if not act.code.startswith(prefix):
                break
            found.append(act)
        return found

    def vocabulary(self, prefix: str, limit: int) -> list[str]:
        low, high = self._word_range(prefix)
        return self._display[low : min(high, low + limit)]

    def keywords(self, words: list[str], limit: int) -> list[CcamAct]:
        tokens = list(dict.fromkeys(words))
        if not tokens:
            return []
        ranges: list[tuple[int, str, int, int]] = []
        for token in tokens:
            low, high = self._word_range(token)
            if low == high:
                return []  # a word no label has: nothing can match every word
            ranges.append((self._cumulative[high] - self._cumulative[low], token, low, high))
        ranges.sort()  # most selective word first: the candidate set starts small
        _, _, low, high = ranges[0]
        candidates = self._union(low, high)
        for _, token, low, high in ranges[1:]:
            if len(candidates) <= _VERIFY_MAX:
                candidates = {r for r in candidates if _starts_a_word(self._rank_words[r], token)}
            else:
                candidates &= self._union(low, high)
            if not candidates:
                return []
        return [self._by_rank[rank] for rank in self._best(candidates, tokens, limit)]

    def _word_range(self, prefix: str) -> tuple[int, int]:
        low = bisect_left(self._vocabulary, prefix)
        high = bisect_left(self._vocabulary, prefix + _AFTER_WORDS, low)
        return low, high

    def _union(self, low: int, high: int) -> set[int]:
        return set().union(*self._postings[low:high])

    def _best(self, candidates: set[int], tokens: list[str], limit: int) -> list[int]:
        # Tier = how many query words are whole words of the label; inside a tier, rank order.
        whole_words: dict[int, int] = {}
        for token in tokens:
            number = self._word_number.get(token)
            if number is not None:
                for rank in self._postings[number] & candidates:
                    whole_words[rank] = whole_words.get(rank, 0) + 1
        tiers: dict[int, list[int]] = {}
        for rank, count in whole_words.items():
            tiers.setdefault(count, []).append(rank)
        best: list[int] = []
        for count in sorted(tiers, reverse=True):
            best.extend(sorted(tiers[count])[: limit - len(best)])
            if len(best) >= limit:
                return best
        rest = candidates.difference(whole_words) if whole_words else candidates
        best.extend(sorted(rest)[: limit - len(best)])
        return best


# --------------------------------------------------------------------------------------------
# Bundled subset
# --------------------------------------------------------------------------------------------


@functools.cache
def bundled_catalog() -> CcamCatalog:
    """The small CCAM subset shipped in the package, used until a full CCAM is imported.

    Generated from the CNAM export (CCAM v81) by ``tools/update/ccam_subset.py``; see the
    provenance comment at the top of ``openfse/referentials/data/ccam_subset.csv``.
    """
    # Imported here: the parser depends on this module's types.
    from openfse.referentials.ccam_export import parse_export

    resource = resources.files("openfse").joinpath(*_BUNDLED_RESOURCE)
    catalog = parse_export(resource.read_text(encoding="utf-8"))
    catalog.build_search_index()
    return catalog
