"""Qualificatifs de dépense, dépassements and the manual total (manuel eS-KAP+ « Spécificités »)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from openfse.domain.pricing import DraftError


def test_exigence_particuliere_depassement_is_not_reimbursed_by_the_amo(priced, doc):
    # Qualificatif E: G 30 + DE 15 = 45 billed; AMO on the BR only: 21.00; patient 24.00.
    result = priced(doc(acts=[{"code": "G", "qualificatif": "E", "depassement": 15}]))
    act = result["per_act"][0]
    assert (act["br"], act["honoraires"], act["amo"], act["patient"]) == (
        D("30.00"),
        D("45.00"),
        D("21.00"),
        D("24.00"),
    )


def test_non_remboursable_has_no_amo_share(priced, doc):
    # Qualificatif N: billed 30, BR 0, AMO 0; the AMC 012 at 100 % DR pays min(30 − 0, 30).
    result = priced(
        doc(
            acts=[{"code": "G", "qualificatif": "N"}],
            amc={"formula": "012", "parameter": 100},
        )
    )
    act = result["per_act"][0]
    assert (act["br"], act["honoraires"], act["taux_amo"], act["amo"], act["amc"]) == (
        D("0.00"),
        D("30.00"),
        0,
        D("0.00"),
        D("30.00"),
    )
    assert result["participation_forfaitaire"] == D("0.00")  # no AMO payment, no PF


def test_gratuit_sets_every_amount_to_zero(priced, doc, warning_codes):
    result = priced(doc(acts=[{"code": "G", "qualificatif": "G", "depassement": 5}]))
    act = result["per_act"][0]
    assert (act["honoraires"], act["br"], act["amo"], act["patient"]) == (
        D("0.00"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
    )
    assert warning_codes(result) == ["acte_gratuit"]


def test_manual_total_includes_the_depassement(priced, doc):
    # manuel eS-KAP+ « le total doit inclure la somme des actes et du dépassement »:
    # total 40 on a G 30 → dépassement 10; AMO 21.00.
    result = priced(doc(acts=[{"code": "G", "qualificatif": "E", "total_amount": 40}]))
    act = result["per_act"][0]
    assert (act["depassement"], act["honoraires"], act["amo"]) == (
        D("10.00"),
        D("40.00"),
        D("21.00"),
    )


def test_manual_total_below_the_tariff_lowers_the_br(priced, doc, warning_codes):
    # Total 25 < 30: BR = 25.00, AMO 70 % = 17.50.
    result = priced(doc(acts=[{"code": "G", "total_amount": 25}]))
    act = result["per_act"][0]
    assert (act["br"], act["amo"]) == (D("25.00"), D("17.50"))
    assert "montant_total_inferieur_tarif" in warning_codes(result)


def test_manual_total_contradicting_the_depassement_is_refused(priced, doc):
    with pytest.raises(DraftError) as raised:
        priced(doc(acts=[{"code": "G", "depassement": 5, "total_amount": 40}]))
    assert raised.value.field == "acts[0].total_amount"


def test_secteur_1_depassement_without_qualificatif_is_flagged(priced, doc, warning_codes):
    result = priced(doc(acts=[{"code": "G", "depassement": 5}]))
    assert warning_codes(result) == ["depassement_sans_qualificatif"]


def test_depassement_autorise_outside_hors_parcours_and_above_17_5_percent(
    priced, doc, warning_codes
):
    # D.3 (L): DA only hors parcours, ≤ 17.5 % of the tariff: 30 × 17.5 % = 5.25 < 8.
    result = priced(doc(acts=[{"code": "G", "qualificatif": "A", "depassement": 8}]))
    assert warning_codes(result) == [
        "depassement_autorise_hors_parcours",
        "depassement_autorise_plafond",
    ]


def test_depassement_for_a_c2s_patient_is_flagged(priced, doc, warning_codes):
    # B.5: tarifs opposables for C2S patients; the C2S pays up to the tarif only:
    # C 23 + D 10 → AMO 16.10, C2S 6.90 (029: TR − MRO), patient 10.00.
    result = priced(
        doc(
            ps={"secteur": 2},
            patient={"c2s": True},
            acts=[{"code": "C", "qualificatif": "D", "depassement": 10}],
        )
    )
    act = result["per_act"][0]
    assert (act["amo"], act["amc"], act["patient"]) == (D("16.10"), D("6.90"), D("10.00"))
    assert "depassement_tarif_opposable" in warning_codes(result)
