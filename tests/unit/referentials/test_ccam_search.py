"""CCAM search: code prefixes, accent-insensitive keywords, ranking, against brute force."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from openfse.referentials.ccam import (
    GRID_HORS,
    GRID_S1,
    CcamAct,
    CcamCatalog,
    CcamLine,
    CcamTariff,
    bundled_catalog,
    fold_words,
)
from openfse.referentials.ccam_export import decode_export, parse_export

RAW = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "ccam" / "raw_rpps_api"
V81 = date(2026, 1, 1)


def make(code: str, label: str) -> CcamAct:
    tariffs = (CcamTariff(GRID_S1, Decimal("1.00"), V81), CcamTariff(GRID_HORS, None, V81))
    return CcamAct(code, label, "01", "", "ATM", "1", False, False, (), (),
                   (CcamLine(1, 0, "", tariffs),))  # fmt: skip


SMALL = CcamCatalog(
    "test",
    (
        make("HBJD001", "Détartrage et polissage des dents"),
        make(
            "HBJA003", "Assainissement parodontal [détartrage-surfaçage radiculaire] sur 1 sextant"
        ),
        make(
            "HBJA171", "Assainissement parodontal [détartrage-surfaçage radiculaire] sur 2 sextants"
        ),
        make("MDPA002", "Ostéotomie d'un os de la main"),
        make("NDFA007", "Exérèse d'un os sésamoïde du pied"),
        make("MZFA001", "Ostéosynthèse"),
        make("BGQP002", "Examen du fond d'œil par biomicroscopie avec verre de contact"),
        make("DELA001", "Implantation souscutanée d'un stimulateur cardiaque"),
    ),
    (),
)


def codes(results: list[CcamAct]) -> list[str]:
    return [act.code for act in results]


# --------------------------------------------------------------------------------------------
# Small catalogue: the rules one by one
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("HBJ", ["HBJA003", "HBJA171", "HBJD001"]),  # code order
        ("hbjd0", ["HBJD001"]),
        ("HBJD001", ["HBJD001"]),
        (" hbjd 001 ", ["HBJD001"]),
        ("HBJD002", []),
    ],
)
def test_code_prefix(query: str, expected: list[str]) -> None:
    assert codes(SMALL.search(query)) == expected


def test_keyword_matches_the_start_of_a_word_ignoring_accents_and_case() -> None:
    # "detart" starts "Détartrage" and "[détartrage-surfaçage…]"; shorter label first.
    assert codes(SMALL.search("detart")) == ["HBJD001", "HBJA003", "HBJA171"]
    assert codes(SMALL.search("DÉTARTRAGE")) == codes(SMALL.search("detartrage"))
    assert codes(SMALL.search("oeil")) == ["BGQP002"]  # "œil": the ligature is folded
    assert codes(SMALL.search("surfacage")) == ["HBJA003", "HBJA171"]
    assert codes(SMALL.search("artrage")) == []  # inside a word, not at its start


def test_every_query_word_must_match() -> None:
    assert codes(SMALL.search("détartrage sextants")) == ["HBJA171"]
    assert codes(SMALL.search("détartrage sextant")) == ["HBJA003", "HBJA171"]
    assert codes(SMALL.search("détartrage genou")) == []


def test_whole_word_matches_rank_before_prefix_matches() -> None:
    # "os" is a whole word of two labels, only the start of "Ostéosynthèse" (the shortest).
    assert codes(SMALL.search("os")) == ["MDPA002", "NDFA007", "MZFA001"]


def test_code_like_words_fall_back_to_keywords() -> None:
    # "dent" and "main" look like 4-letter code prefixes but no code starts with them.
    assert codes(SMALL.search("dent")) == ["HBJD001"]
    assert codes(SMALL.search("main")) == ["MDPA002"]
    # "de la" is two words, not the code prefix "DELA".
    assert "DELA001" not in codes(SMALL.search("de la"))


def test_limit_and_empty_queries() -> None:
    assert codes(SMALL.search("HBJ", limit=2)) == ["HBJA003", "HBJA171"]
    assert codes(SMALL.search("detart", limit=1)) == ["HBJD001"]
    assert SMALL.search("detart", limit=0) == []
    assert SMALL.search("") == []
    assert SMALL.search("  ,;  ") == []


def test_keyword_picker_lists_printed_words() -> None:
    assert SMALL.keywords("DÉTAR") == ["détartrage"]
    assert SMALL.keywords("os", limit=3) == ["os", "ostéosynthèse", "ostéotomie"]
    assert SMALL.keywords("deux mots") == []


def test_fold_words() -> None:
    assert fold_words("Cœur, l'œil ; Détartrage-surfaçage 12") == [
        "coeur", "l", "oeil", "detartrage", "surfacage", "12",
    ]  # fmt: skip


def test_bundled_subset_finds_the_seed_manual_searches() -> None:
    # eS-KAP+ manual: code "AFL" then keyword "Péridurale" list AFLB001.
    catalog = bundled_catalog()
    assert codes(catalog.search("AFL"))[:2] == ["AFLA003", "AFLB001"]
    assert "AFLB001" in codes(catalog.search("Péridurale"))
    assert "péridurale" in catalog.keywords("Péri")


# --------------------------------------------------------------------------------------------
# Full CCAM: realistic queries and a brute-force oracle
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full() -> CcamCatalog:
    raw = RAW / "ccam.csv"
    if not raw.exists():
        pytest.skip(f"public CCAM export not available at {raw}")
    catalog = parse_export(decode_export(raw.read_bytes()))
    catalog.build_search_index()
    return catalog


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("radiographie thorax", "ZBQK002"),  # "Radiographie du thorax"
        ("détartrage", "HBJD001"),
        ("electrocardiographie 12", "DEQP003"),
        ("dispositif intra utérin", "JKLD001"),
        ("prélèvement cervico", "JKHD001"),
        ("échographie abdomen", "ZCQM008"),
        ("fond oeil", "BGQP003"),
    ],
)
def test_realistic_keyword_queries(full: CcamCatalog, query: str, first: str) -> None:
    assert codes(full.search(query))[0] == first


@pytest.fixture(scope="module")
def label_words(full: CcamCatalog) -> dict[str, list[str]]:
    return {act.code: fold_words(act.label) for act in full.acts}


def brute_force(label_words: dict[str, list[str]], query: str) -> set[str]:
    """The rule stated plainly: every query word starts some word of the label."""
    words = fold_words(query)
    return {
        code
        for code, label in label_words.items()
        if words and all(any(w.startswith(q) for w in label) for q in words)
    }


@pytest.mark.parametrize(
    "query",
    ["suture plaie", "infiltration", "biopsie peau", "de la", "par", "a b", "os", "9 dents",
     "échographie-doppler", "anesthésie générale", "zz", "radio genou incidence"],
)  # fmt: skip
def test_keyword_results_are_exactly_the_brute_force_matches(
    full: CcamCatalog, label_words: dict[str, list[str]], query: str
) -> None:
    expected = brute_force(label_words, query)
    found = full.search(query, limit=10_000)
    if any(c.isdigit() for c in query) or len(query) > 4 or " " in query:
        assert set(codes(found)) == expected
    else:  # short code-like queries list matching codes first, then keywords
        keyword_part = [a for a in found if not a.code.startswith(query.strip().upper())]
        assert {a.code for a in keyword_part} <= expected
    assert len(set(codes(found))) == len(found)  # no duplicates


def test_ranking_is_whole_words_then_length(full: CcamCatalog) -> None:
    found = full.search("suture plaie", limit=50)
    whole = [sum(w in fold_words(a.label) for w in ("suture", "plaie")) for a in found]
    assert whole == sorted(whole, reverse=True)
    for tier in set(whole):
        lengths = [len(a.label) for a, t in zip(found, whole, strict=True) if t == tier]
        assert lengths == sorted(lengths)


def test_code_prefixes_on_the_full_ccam(full: CcamCatalog) -> None:
    assert codes(full.search("A", limit=3)) == ["AAFA001", "AAFA002", "AAFA003"]
    found = full.search("ZBQK", limit=100)
    assert found and all(a.code.startswith("ZBQK") for a in found)
    assert codes(found) == sorted(codes(found))
