"""Fuzzing the CCAM readers, and invariants of the catalogue (merge, search)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from importlib import resources

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
from openfse.referentials.ccam_export import (
    CcamFormatError,
    decode_export,
    parse_export_with_warnings,
)

# A seed in the CNAM export format (kinds of lines of SOURCE.md §1), mutated below.
EXPORT_SEED = """\
CNAM - CCAM version 81 applicable 01/01/2026,,,,,,,,,,
Code,,Texte,Activité,Phase,"Tarif
Secteur 1 / adhérent OPTAM/OPTAM-ACO
(en euro)","Tarif
Hors secteur 1 / hors adhérent OPTAM/OPTAM-ACO
(en euro)",Rembt. ss Cdtions,Accord Préalable,Exo. TM,Regroupement
01.01.01.01,,Électromyographie [EMG],,,,,,,,
AHQP001,,Électromyographie par électrode de surface,1,0,Non pris en charge,\
Non pris en charge,,,2,ATM
AHQB024,,Électromyographie de 3 à 6 muscles striés,1,0,67.05,60.66,,,2,ATM
"[F, P, S, U]",,Formation : spécifique à cet acte,,,,,,,,
AAFA001,,Exérèse de tumeur du cervelet,1,0,674.71,610.78,RC,AP,1,ADC
"[A, F, J, K, T, P, S, U, O]",,anesthésie,4,0,539.11,539.11,,,1,ADA
,,"(ACQP002, EAMA001, YYY603)",,,,,,,,
BDLA003,,Pose de kératoprothèse biocolonisable,,,,,,,,
,,Phase 1 : recouvrement,1,1,304.84,304.84,,,1,ADC
,,Phase 2 : pose,1,2,"248, 15","248, 15",,,5 -7,ADC
,,"Facturation : deux actes au plus
par période de 6 mois",,,,,,,,
19.03,,MODIFICATEURS,,,,,,,,
U,,Acte réalisé en urgence la nuit,,,25.15,25.15,,,,
,,Acte réalisé par les chirurgiens,,,50.00,50.00,,,,
N ,,Majoration enfant,,,"+15,7%","21,5%",,,,
B,,Radiographie au bloc,,,0.49,+49%,,,,
"""


def normalised_seed() -> str:
    """The head of the bundled subset (normalised format) and its modifiers block."""
    text = (
        resources.files("openfse")
        .joinpath("referentials/data/ccam_subset.csv")
        .read_text(encoding="utf-8")
    )
    lines = text.splitlines(keepends=True)
    modifiers = next(i for i, line in enumerate(lines) if line.startswith("code,libelle,"))
    return "".join(lines[:20] + lines[modifiers : modifiers + 6])


NORMALISED_SEED = normalised_seed()
ALPHABET = st.sampled_from(
    list(',;"\n\r\t []()%+-.0123456789ACDEFGHKPSTUZaéè²\x00\ufeff€')
    + ["Non pris en charge", "19.03", "01.01", "AHQB024", "anesthésie", "\u00a0"]
)


@st.composite
def mutated(draw: st.DrawFn, seed: str) -> str:
    """The seed after a few random edits: cut, insert, replace, duplicate or drop lines."""
    text = seed
    for _ in range(draw(st.integers(1, 6))):
        operation = draw(st.sampled_from(["cut", "insert", "replace", "dup", "drop", "truncate"]))
        position = draw(st.integers(0, max(len(text) - 1, 0)))
        if operation == "cut":
            text = text[:position] + text[position + draw(st.integers(1, 40)) :]
        elif operation == "insert":
            text = text[:position] + "".join(draw(st.lists(ALPHABET, max_size=8))) + text[position:]
        elif operation == "replace" and text:
            text = text[:position] + draw(ALPHABET) + text[position + 1 :]
        elif operation in ("dup", "drop"):
            lines = text.splitlines(keepends=True)
            if lines:
                index = draw(st.integers(0, len(lines) - 1))
                lines[index : index + 1] = [lines[index]] * (2 if operation == "dup" else 0)
                text = "".join(lines)
        elif operation == "truncate":
            text = text[:position]
    return text


def parses_or_refuses(text: str) -> None:
    try:
        parsed = parse_export_with_warnings(text)
    except CcamFormatError as error:
        assert error.line >= 1 and error.message.startswith("Fichier CCAM, ligne")
        return
    physical_lines = text.count("\n") + text.count("\r") + 1
    assert all(1 <= w.line <= physical_lines for w in parsed.warnings)
    assert parsed.catalog.applicable is not None


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(mutated(EXPORT_SEED))
def test_mutated_cnam_export_parses_or_raises_a_format_error(text: str) -> None:
    parses_or_refuses(text)


@FUZZ
@given(mutated(NORMALISED_SEED))
def test_mutated_normalised_file_parses_or_raises_a_format_error(text: str) -> None:
    parses_or_refuses(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | st.binary(max_size=40).map(lambda b: b"PK\x03\x04" + b))
def test_decode_export_returns_text_or_a_format_error(data: bytes) -> None:
    try:
        text = decode_export(data)
    except CcamFormatError as error:
        assert error.line >= 1
        return
    parses_or_refuses(text)


# --------------------------------------------------------------------------------------------
# Merge: a date always gets the price of the latest version applicable on that date
# --------------------------------------------------------------------------------------------

prices = st.none() | st.decimals(min_value=0, max_value=2000, places=2)


def one_act_version(start: date, s1: Decimal | None, hors: Decimal | None) -> CcamCatalog:
    line = CcamLine(1, 0, "", (CcamTariff(GRID_S1, s1, start), CcamTariff(GRID_HORS, hors, start)))
    act = CcamAct("HBJD001", "Détartrage", "07", "", "AXI", "5-7", False, False, (), (), (line,))
    return CcamCatalog(f"v{start.year}", (act,), ())


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 400), prices, prices), min_size=1, max_size=6),
    st.lists(st.integers(0, 3000), min_size=1, max_size=10),
)
def test_merge_gives_each_date_the_price_of_its_version(
    versions: list[tuple[int, Decimal | None, Decimal | None]], probes: list[int]
) -> None:
    origin = date(2020, 1, 1)
    starts: list[date] = []
    day = origin
    for gap, _, _ in versions:
        day += timedelta(days=gap)
        starts.append(day)
    catalogs = [one_act_version(s, s1, h) for s, (_, s1, h) in zip(starts, versions, strict=True)]
    merged = catalogs[0]
    for newer in catalogs[1:]:
        merged = merged.merge(newer)
    for offset in probes:
        on = origin + timedelta(days=offset)
        applicable = [i for i, s in enumerate(starts) if s <= on]
        expected = versions[applicable[-1]] if applicable else None
        assert merged.price("HBJD001", 1, 0, GRID_S1, on) == (expected[1] if expected else None)
        assert merged.price("HBJD001", 1, 0, GRID_HORS, on) == (expected[2] if expected else None)


# --------------------------------------------------------------------------------------------
# Search: every result obeys the rule, results are unique and within the limit
# --------------------------------------------------------------------------------------------

LABEL_WORDS = sorted({w for act in bundled_catalog().acts for w in fold_words(act.label)})


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(LABEL_WORDS).flatmap(lambda w: st.integers(1, len(w)).map(lambda n: w[:n])),
        min_size=1,
        max_size=3,
    ),
    st.integers(1, 30),
)
def test_search_results_match_every_query_word(words: list[str], limit: int) -> None:
    catalog = bundled_catalog()
    query = " ".join(words)
    found = catalog.search(query, limit=limit)
    assert len(found) <= limit
    assert len({act.code for act in found}) == len(found)
    code_prefix = "".join(query.split()).upper()
    for act in found:
        if act.code.startswith(code_prefix):
            continue  # listed as a code-prefix match
        label = fold_words(act.label)
        assert all(any(w.startswith(q) for w in label) for q in fold_words(query)), act.code
