"""Pricing invariants on random realistic drafts (hypothesis).

For every act and for the invoice: AMO + AMC + patient = honoraires, exactly; every amount has
two decimals; the computed AMO never exceeds the BR; no computed share is negative; the totals
are the sums of the lines; the desk amount lies between 0 and the total.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from openfse.domain.pricing import ReferentialTariffs, price_document
from openfse.referentials.ccam import bundled_catalog

sys.path.insert(0, str(Path(__file__).parent))
from test_pricing_strategies import drafts  # noqa: E402

TARIFFS = ReferentialTariffs(bundled_catalog())
AMOUNT_KEYS = (
    "br",
    "depassement",
    "honoraires",
    "amo",
    "amc",
    "patient",
    "forfait_24",
    "participation_forfaitaire",
    "franchise",
)
TOTAL_KEYS = (
    "total_honoraires",
    "total_br",
    "forfait_acte_lourd_24",
    "amo_brut",
    "participation_forfaitaire",
    "franchise",
    "amo_net",
    "amc",
    "patient",
    "reste_a_charge_final",
    "a_regler_par_patient_au_ps",
)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def two_decimals(value: object) -> bool:
    return isinstance(value, Decimal) and value.as_tuple().exponent == -2


def check_sums(result: dict) -> None:
    acts = result["per_act"]
    for act in acts:
        assert act["amo"] + act["amc"] + act["patient"] == act["honoraires"], act
        assert all(two_decimals(act[key]) for key in AMOUNT_KEYS), act
    assert all(two_decimals(result[key]) for key in TOTAL_KEYS)
    for total_key, act_key in (
        ("total_honoraires", "honoraires"),
        ("total_br", "br"),
        ("amo_brut", "amo"),
        ("amc", "amc"),
        ("patient", "patient"),
    ):
        assert result[total_key] == sum((act[act_key] for act in acts), Decimal("0.00"))
    assert result["amo_brut"] + result["amc"] + result["patient"] == result["total_honoraires"]
    assert result["amo_net"] == (
        result["amo_brut"] - result["participation_forfaitaire"] - result["franchise"]
    )
    paid = result["paiements"]
    assert paid["caisse"] + paid["organisme_amc"] + paid["patient"] == result["total_honoraires"]


@SETTINGS
@given(drafts())
def test_shares_add_up_and_stay_within_bounds(doc):
    result = price_document(doc, TARIFFS)
    check_sums(result)
    for act in result["per_act"]:
        assert Decimal(0) <= act["amo"] <= act["br"] <= act["honoraires"], act
        assert act["amc"] >= 0 and act["patient"] >= 0, act
        assert act["participation_forfaitaire"] + act["franchise"] <= act["amo"]
    assert result["amo_net"] >= 0
    assert 0 <= result["a_regler_par_patient_au_ps"] <= result["total_honoraires"]
    assert result["reste_a_charge_final"] >= result["patient"]


@SETTINGS
@given(drafts(overrides=True))
def test_shares_add_up_exactly_with_manual_overrides(doc):
    result = price_document(doc, TARIFFS)
    check_sums(result)
    codes = {warning["code"] for warning in result["warnings"]}
    if any(act["patient"] < 0 for act in result["per_act"]):
        assert "part_patient_negative" in codes  # never silently hidden


@pytest.mark.parametrize("scale", [1, 3])
def test_invoice_totals_scale_with_repeated_days(scale):
    # The same G on `scale` different days: totals are exactly scale × one day.
    acts = [{"code": "G", "date": f"2026-03-0{day}"} for day in range(1, scale + 1)]
    doc = {
        "date_soins": "2026-03-01",
        "profession": "medecin",
        "acts": acts,
        "patient": {"age": 50, "parcours": "medecin_traitant"},
    }
    result = price_document(doc, TARIFFS)
    assert result["amo_brut"] == Decimal("21.00") * scale
    assert result["participation_forfaitaire"] == Decimal("2.00") * scale
