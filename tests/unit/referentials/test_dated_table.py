"""The shared date-effective table: periods, lookups on both sides of a boundary, overlaps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfse.periods import Period
from openfse.referentials import _dated
from openfse.referentials._dated import (
    DatedTable,
    ReferentialDataError,
    fold,
    parse_date,
    parse_optional_date,
    read_data_rows,
)


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    value: str
    start: date
    end: date | None = None


def table(*rows: Row) -> DatedTable[str, Row]:
    return DatedTable(rows, key=lambda row: row.key, name="test")


def test_a_row_is_valid_from_its_start_included_to_its_end_excluded() -> None:
    period = _dated.period_of(Row("AMK", "2.21", date(2024, 2, 22), date(2025, 1, 1)))
    assert period == Period.half_open(date(2024, 2, 22), date(2025, 1, 1))
    assert period.covers(date(2024, 2, 22))
    assert period.covers(date(2024, 12, 31))
    assert not period.covers(date(2025, 1, 1))
    assert not period.covers(date(2024, 2, 21))


def test_an_open_period_contains_every_later_date() -> None:
    assert _dated.period_of(Row("G", "30.00", date(2024, 12, 22))).covers(date(2099, 1, 1))


def test_an_empty_or_reversed_period_is_a_data_error_naming_the_table() -> None:
    with pytest.raises(ReferentialDataError, match="Table test : .*postérieure"):
        table(Row("G", "1", date(2024, 1, 1), date(2024, 1, 1)))
    with pytest.raises(ReferentialDataError, match="postérieure"):
        table(Row("G", "1", date(2024, 1, 2), date(2024, 1, 1)))


def test_lookup_answers_the_value_in_force_on_each_side_of_a_boundary() -> None:
    # G: 26.50 € until 21/12/2024 included, 30.00 € from 22/12/2024 (docs/rules.md §0).
    tariffs = table(
        Row("G", "26.50", date(2023, 11, 1), date(2024, 12, 22)),
        Row("G", "30.00", date(2024, 12, 22)),
    )
    assert tariffs.at("G", date(2024, 12, 21)).value == "26.50"  # type: ignore[union-attr]
    assert tariffs.at("G", date(2024, 12, 22)).value == "30.00"  # type: ignore[union-attr]
    assert tariffs.at("G", date(2023, 10, 31)) is None  # before the first known period
    assert tariffs.at("VG", date(2024, 12, 22)) is None  # unknown key


def test_a_gap_between_periods_answers_none() -> None:
    tariffs = table(
        Row("X", "1", date(2020, 1, 1), date(2021, 1, 1)),
        Row("X", "2", date(2022, 1, 1)),
    )
    assert tariffs.at("X", date(2021, 6, 1)) is None
    assert tariffs.at("X", date(2022, 1, 1)).value == "2"  # type: ignore[union-attr]


def test_overlapping_periods_of_one_key_are_refused_with_both_periods_named() -> None:
    with pytest.raises(ReferentialDataError) as error:
        table(
            Row("AMK", "2.15", date(2024, 1, 1), date(2024, 3, 1)),
            Row("AMK", "2.21", date(2024, 2, 22)),
        )
    assert "AMK" in error.value.message
    assert "01/01/2024 → 01/03/2024" in error.value.message
    assert error.value.code == "referential_data_error"


def test_two_open_ended_periods_of_one_key_overlap() -> None:
    with pytest.raises(ReferentialDataError):
        table(Row("A", "1", date(2020, 1, 1)), Row("A", "2", date(2021, 1, 1)))


def test_adjacent_periods_and_other_keys_do_not_overlap() -> None:
    tariffs = table(
        Row("A", "1", date(2020, 1, 1), date(2021, 1, 1)),
        Row("A", "2", date(2021, 1, 1)),
        Row("B", "3", date(2020, 6, 1)),
    )
    assert [row.value for row in tariffs.history("A")] == ["1", "2"]
    assert sorted(tariffs.keys()) == ["A", "B"]
    assert len(tariffs) == 2 and "B" in tariffs
    assert sorted(row.value for row in tariffs.valid_on(date(2020, 7, 1))) == ["1", "3"]


def test_history_is_sorted_whatever_the_row_order() -> None:
    tariffs = table(
        Row("A", "new", date(2021, 1, 1)), Row("A", "old", date(2020, 1, 1), date(2021, 1, 1))
    )
    assert [row.value for row in tariffs.history("A")] == ["old", "new"]


boundaries = st.lists(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)),
    min_size=1,
    max_size=6,
    unique=True,
)


@given(boundaries, st.booleans(), st.dates(min_value=date(1999, 1, 1), max_value=date(2041, 1, 1)))
def test_lookup_agrees_with_a_linear_scan(
    cut_dates: list[date], open_ended: bool, on: date
) -> None:
    cuts = sorted(cut_dates)
    ends: list[date | None] = [*cuts[1:], None if open_ended else cuts[-1] + timedelta(days=30)]
    rows = [
        Row("K", str(i), start, end) for i, (start, end) in enumerate(zip(cuts, ends, strict=True))
    ]
    expected = [row for row in rows if row.start <= on and (row.end is None or on < row.end)]
    assert len(expected) <= 1
    assert table(*rows).at("K", on) == (expected[0] if expected else None)


def test_dates_of_data_files_are_iso_and_errors_name_the_place() -> None:
    assert parse_date("2024-12-22", where="x") == date(2024, 12, 22)
    assert parse_optional_date("  ", where="x") is None
    with pytest.raises(ReferentialDataError, match="ngap.csv, enregistrement 3"):
        parse_date("22/12/2024", where="ngap.csv, enregistrement 3")


def test_data_rows_skip_comments_and_refuse_surplus_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = {
        "good.csv": "# provenance, with a comma\ncode,label\n A , Alpha \nB,\n",
        "bad.csv": "code,label\nA,Alpha,surplus\n",
    }
    monkeypatch.setattr(_dated, "_read_text", texts.__getitem__)
    assert read_data_rows("good.csv") == [
        {"code": "A", "label": "Alpha"},
        {"code": "B", "label": ""},
    ]
    with pytest.raises(ReferentialDataError, match="bad.csv, enregistrement 1"):
        read_data_rows("bad.csv")


def test_a_missing_data_file_is_a_data_error() -> None:
    with pytest.raises(ReferentialDataError, match="absent"):
        read_data_rows("no_such_file.csv")


def test_fold_ignores_case_and_accents() -> None:
    assert fold("Indemnité Forfaitaire DÉPLACEMENT") == "indemnite forfaitaire deplacement"
