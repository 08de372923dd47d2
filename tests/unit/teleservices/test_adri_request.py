"""AdriRequest: NIR, rang, régime, and caisse + centre for provisional NIR 7/8."""

from __future__ import annotations

from datetime import date

import pytest
from tele_helpers import KOUASSI, ROUSSEAU, make_request

from openfse.adapters.teleservices.port import AdriInvalidRequest, AdriRequest
from openfse.domain.rights import BirthDate


def test_request_is_normalised() -> None:
    request = make_request(ROUSSEAU, nir="2 85 03 75 056 123 06", birth_date=date(1985, 3, 12))
    assert request.nir == "285037505612306"
    assert request.birth_date == BirthDate(1985, 3, 12)
    assert request.rang == 1 and request.regime == "01"
    assert not request.is_provisional


def test_nir_key_is_checked() -> None:
    # Key = 97 − (2850375056123 mod 97) = 97 − 91 = 06; "07" is a typing error.
    with pytest.raises(AdriInvalidRequest) as error:
        make_request(ROUSSEAU, nir="285037505612307")
    assert error.value.field == "nir"
    assert "clé" in error.value.message.lower()


@pytest.mark.parametrize("nir", ["2850375056123", "28503750561230612", "2850375O5612306", ""])
def test_malformed_nir_is_refused_with_a_french_message(nir: str) -> None:
    with pytest.raises(AdriInvalidRequest) as error:
        make_request(ROUSSEAU, nir=nir)
    assert error.value.field == "nir"
    assert "NIR" in error.value.message


@pytest.mark.parametrize("missing", ["caisse", "centre"])
def test_provisional_nir_without_caisse_or_centre_is_a_precise_error(missing: str) -> None:
    # Aide eS-KAP+: NIR starting with 7 or 8 → code caisse and code centre are required.
    with pytest.raises(AdriInvalidRequest) as error:
        make_request(KOUASSI, **{missing: None})
    assert error.value.field == missing
    assert "NIR provisoire" in error.value.message
    assert "841" in error.value.message and "5623" in error.value.message  # the seed's example
    assert error.value.code == "adri_invalid_request"


def test_provisional_nir_with_caisse_and_centre_is_accepted() -> None:
    request = make_request(KOUASSI, caisse=" 841", centre="56 23")
    assert request.is_provisional and request.caisse == "841" and request.centre == "5623"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rang": 0}, "rang"),
        ({"rang": "x"}, "rang"),
        ({"rang": 10}, "rang"),
        ({"regime": "1"}, "regime"),
        ({"regime": "11"}, "regime"),  # not a grand régime
        ({"caisse": "84"}, "caisse"),
        ({"centre": "562"}, "centre"),
        ({"birth_date": "31-02-1985"}, "date_naissance"),
    ],
)
def test_each_bad_field_is_named(changes: dict[str, object], field: str) -> None:
    with pytest.raises(AdriInvalidRequest) as error:
        make_request(ROUSSEAU, **changes)
    assert error.value.field == field


def test_direct_construction_requires_a_compact_nir() -> None:
    with pytest.raises(AdriInvalidRequest):
        AdriRequest("2 85 03 75 056 123 06", BirthDate(1985, 3, 12), 1, "01")
