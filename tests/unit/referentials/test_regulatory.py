"""Dated regulatory parameters (openfse/referentials/regulatory.py, data/regulatory.csv)."""

from __future__ import annotations

import doctest
from datetime import date
from decimal import Decimal as D

import pytest

from openfse.errors import UnknownTariff
from openfse.referentials import regulatory
from openfse.referentials.regulatory import Confidence, parameter, parameters, snapshot, value


@pytest.mark.parametrize(
    ("key", "before", "after", "boundary"),
    [
        # docs/rules.md §0: PF 1 → 2 € on 15/05/2024; franchise 0.50 → 1 € on 31/03/2024;
        # D.6: forfait 18 → 24 € on 01/01/2019; D.1: dentists 70 → 60 % on 15/10/2023;
        # EBD co-financing 100 → 60 % AMO on 01/04/2025.
        ("participation_forfaitaire.amount", "1.00", "2.00", date(2024, 5, 15)),
        ("franchise.paramedical_act.amount", "0.50", "1.00", date(2024, 3, 31)),
        ("forfait_actes_lourds.amount", "18.00", "24.00", date(2019, 1, 1)),
        ("amo_rate.chirurgien_dentiste", "70", "60", date(2023, 10, 15)),
        ("amo_rate.ebd_with_amc", "100", "60", date(2025, 4, 1)),
    ],
)
def test_values_change_on_their_effective_date(key, before, after, boundary):
    assert value(key, date.fromordinal(boundary.toordinal() - 1)) == D(before)
    assert value(key, boundary) == D(after)


def test_every_parameter_has_a_source_and_a_confidence():
    rows = parameters()
    assert len(rows) >= 30
    for row in rows:
        assert row.source.startswith("http"), row.key
        assert isinstance(row.confidence, Confidence)
    # The hors-parcours cap is the digest's low-confidence reading (H.7): marked L.
    cap = parameter("hors_parcours.cap_ratio_of_g", date(2025, 1, 1))
    assert cap is not None and cap.confidence is Confidence.LOW


def test_unknown_before_the_first_period():
    with pytest.raises(UnknownTariff):
        value("participation_forfaitaire.amount", date(2000, 1, 1))
    with pytest.raises(UnknownTariff):
        snapshot(date(2001, 1, 1))


def test_snapshot_resolves_every_profession_rate_once_per_date():
    day = date(2025, 6, 2)
    resolved = snapshot(day)
    assert resolved is snapshot(day)  # cached
    assert resolved.amo_rates["medecin"] == D("70")
    assert resolved.amo_rates["infirmier"] == D("60")
    assert (resolved.ebd_exo_min_age, resolved.ebd_exo_max_age) == (3, 24)
    assert snapshot(date(2025, 3, 31)).ebd_exo_min_age is None
    assert resolved.ik_abattement_each_way["plaine"] == D("2")


def test_docstring_examples():
    result = doctest.testmod(regulatory)
    assert result.attempted > 0 and result.failed == 0
