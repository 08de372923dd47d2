"""The convention of the mutuelle chosen on the invoice (issue 6, manuel eS-KAP+ « sélectionner la
convention appropriée »): how it is named in the form and which one is preselected."""

from __future__ import annotations

from datetime import date

import pytest

from openfse.domain.rights import Convention
from openfse.periods import Period
from openfse.services.amc_conventions import convention_key, matching_key, split_key
from openfse.web.ui.pricing_form import to_document


def _almerys(csr: str) -> Convention:
    return Convention(amc_number="98532001", amc_name="ALMERYS", convention_type="AL", csr=csr,
                      routage="AL", hote="almerys", domaine="almerys.example",
                      period=Period(date(2020, 1, 1), None))


OFFERED = (_almerys("001"), _almerys("002"))


@pytest.mark.parametrize(("stored", "expected"), [
    (("AL", "002"), "AL|002"),  # the attestation's type and CSR: that one
    (("AL", ""), "AL|001"),  # only the type on the mutuelle: the first of that type
    (("AL", "009"), ""),  # a CSR the answer does not hold: nothing preselected
    (("", ""), ""),  # nothing stored
])
def test_the_mutuelle_s_convention_is_preselected_when_offered(
        stored: tuple[str, str], expected: str) -> None:
    assert matching_key(OFFERED, stored) == expected


def test_a_convention_key_round_trips_and_rejects_anything_else() -> None:
    assert split_key(convention_key("AL", "001")) == ("AL", "001")
    assert split_key("") is None
    assert split_key("|001") is None


def test_the_chosen_convention_goes_in_the_draft_only_with_tiers_payant_amc() -> None:
    form = {"patient_id": "1", "professional_id": "1", "date_soins": "07/01/2026",
            "acts-0-code": "G", "amc_coverage": "5", "amc_convention": "AL|001",
            "amc_convention_amc": "98532001"}
    assert to_document({**form, "tp_amc": "on"})["amc_choice"] == {
        "coverage_id": "5", "amc_number": "98532001", "convention_type": "AL", "csr": "001"}
    # Without tiers payant AMC the convention routes nothing: the mutuelle alone is kept.
    assert to_document(form)["amc_choice"] == {"coverage_id": "5"}
