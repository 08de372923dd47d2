"""Search keys: what the desk types must find what the card says."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfse.store.models.search_text import joined_key, prefix_upper_bound, search_key


@pytest.mark.parametrize(("text", "key"), [
    ("Élodie", "ELODIE"),
    ("  lefèvre  ", "LEFEVRE"),
    ("Jean-Pierre", "JEAN PIERRE"),
    ("d'Ormesson", "D ORMESSON"),
    ("Œuvray", "OEUVRAY"),
    ("Lætitia", "LAETITIA"),
    ("Straße", "STRASSE"),
    ("Müller", "MULLER"),
    ("Nguyễn", "NGUYEN"),
    ("Çelik", "CELIK"),
    ("Søren", "SOREN"),
    ("Łukasz", "LUKASZ"),
    ("LE  GALL", "LE GALL"),
    ("Louis XIV 2", "LOUIS XIV 2"),
    ("—", ""),
])
def test_search_key(text: str, key: str) -> None:
    assert search_key(text) == key


def test_joined_key_skips_missing_parts() -> None:
    assert joined_key("Lefèvre", None, "", "Élodie") == "LEFEVRE ELODIE"


@given(st.text())
def test_a_key_is_made_of_capitals_digits_and_single_spaces(text: str) -> None:
    key = search_key(text)
    assert set(key) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ")
    assert "  " not in key and key == key.strip()
    assert search_key(key) == key


@given(st.text(), st.integers(min_value=0, max_value=50))
def test_typing_the_start_of_a_name_gives_the_start_of_its_key(name: str, cut: int) -> None:
    # This is what makes a prefix search on keys equal to a prefix search on names.
    assert search_key(name).startswith(search_key(name[:cut]))


PRINTABLE_ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)


@given(st.text(PRINTABLE_ASCII, min_size=1), st.text(), st.text(PRINTABLE_ASCII, min_size=1))
def test_the_upper_bound_closes_exactly_the_strings_with_the_prefix(
        prefix: str, rest: str, other: str) -> None:
    upper = prefix_upper_bound(prefix)
    # Python compares code points, i.e. the byte order of UTF-8 (SQLite BINARY, PG "C").
    assert prefix <= prefix + rest < upper
    assert (prefix <= other < upper) == other.startswith(prefix)


@pytest.mark.parametrize("bad", ["", "ÉLO", "A\n"])
def test_the_upper_bound_of_elo_is_elp_and_only_keys_have_one(bad: str) -> None:
    assert prefix_upper_bound("ELO") == "ELP"
    with pytest.raises(ValueError):
        prefix_upper_bound(bad)
