"""Act valuation: NGAP/COx key × coefficient × quantity, IK abattement, CCAM grid and PU."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from openfse.domain.pricing import DraftError


def nurse(doc, acts, **changes):
    return doc(
        profession="infirmier",
        ps={"specialite": None},
        patient={"parcours": "non_concerne"},
        acts=acts,
        **changes,
    )


def test_ngap_pu_is_rounded_before_the_quantity(priced, doc):
    # docs/rules.md §F: PU = round(4.5 × 3.15 = 14.175) = 14.18, then × 2 = 28.36 (not 28.35).
    result = priced(nurse(doc, [{"code": "AMI", "coefficient": D("4.5"), "quantity": 2}]))
    act = result["per_act"][0]
    assert (act["unit_price"], act["quantity"], act["br"]) == (D("14.18"), 2, D("28.36"))


def test_explicit_unit_price_wins_with_a_warning(priced, doc, warning_codes):
    # manuel eS-KAP+ « Prix unitaire »: the typed value of the key letter is used (G at 25.00).
    result = priced(doc(acts=[{"code": "G", "unit_price": 25}]))
    assert result["per_act"][0]["br"] == D("25.00")
    assert warning_codes(result) == ["prix_unitaire_modifie"]


def test_unknown_ngap_code_needs_a_unit_price(priced, doc):
    with pytest.raises(DraftError) as raised:
        priced(doc(acts=[{"code": "ZZZ"}]))
    assert raised.value.field == "acts[0].code"
    assert raised.value.code == "unknown_tariff"
    # docs/formats/price.md: an unknown code is accepted when unit_price is given (2 × 12.50 =
    # 25.00).
    result = priced(doc(acts=[{"code": "ZZZ", "unit_price": D("12.50"), "coefficient": 2}]))
    assert result["total_br"] == D("25.00")


def test_the_act_date_selects_the_tariff(priced, doc):
    # Tariffs are date-effective (docs/rules.md §0): an act of 21/12/2024 in a later invoice
    # keeps G at 26.50; the next day's G is 30.00.
    result = priced(
        doc(
            date_soins="2024-12-22",
            acts=[{"code": "G", "date": "2024-12-21"}, {"code": "G"}],
        )
    )
    assert [a["br"] for a in result["per_act"]] == [D("26.50"), D("30.00")]


def test_ik_montagne_abattement_is_one_km_each_way(priced, doc):
    # NGAP art. 13 C: montagne 1 km each way: 2 × 7 − 2 = 12 km × 0.50 (IKM infirmier) = 6.00.
    result = priced(nurse(doc, [{"code": "AMI"}, {"code": "IKM", "distance_km": 7}]))
    ik = result["per_act"][1]
    assert (ik["quantity"], ik["br"]) == (12, D("6.00"))


def test_ik_within_the_abattement_is_not_due(priced, doc, warning_codes):
    # NGAP art. 13 C: 2 km one way in plaine → 2 × 2 − 4 = 0 km.
    result = priced(nurse(doc, [{"code": "AMI"}, {"code": "IK", "distance_km": 2}]))
    assert result["per_act"][1]["br"] == D("0.00")
    assert "ik_non_due" in warning_codes(result)


def test_ik_fractional_distance_rounds_the_km_half_up(priced, doc):
    # 7.3 km one way: 14.6 − 4 = 10.6 → 11 km × 0.61 (IK médecin) = 6.71.
    result = priced(doc(acts=[{"code": "VG"}, {"code": "IK", "distance_km": D("7.3")}]))
    assert result["per_act"][1]["br"] == D("6.71")


def test_ik_quantity_contradicting_the_distance_is_refused(priced, doc):
    with pytest.raises(DraftError) as raised:
        priced(nurse(doc, [{"code": "AMI"}, {"code": "IK", "distance_km": 7, "quantity": 14}]))
    assert raised.value.field == "acts[1].quantity"


def test_distance_on_a_non_ik_line_is_refused(priced, doc):
    with pytest.raises(DraftError) as raised:
        priced(nurse(doc, [{"code": "AMI", "distance_km": 3}]))
    assert raised.value.field == "acts[0].distance_km"


def test_infirmier_ik_beyond_the_daily_full_rate_band_is_flagged(priced, doc, warning_codes):
    # Avenant 6 (docs/rules.md §A.4): km 1–299 of the day at 100 %: 320 km on one invoice warns.
    result = priced(nurse(doc, [{"code": "AMI"}, {"code": "IK", "quantity": 320}]))
    assert result["per_act"][1]["br"] == D("112.00")  # 320 × 0.35, not reduced by the engine
    assert "ik_plafond_journalier" in warning_codes(result)


def test_ccam_grid_follows_secteur_and_optam(priced, doc):
    # docs/rules.md §B.5: AHQB024 64.80 (secteur 1 / OPTAM) vs 59.36 (hors secteur 1 hors OPTAM).
    act = [{"code": "AHQB024", "nomenclature": "CCAM"}]
    s1 = priced(doc(acts=act))
    s2 = priced(doc(ps={"secteur": 2, "optam": False}, acts=act))
    s2_optam = priced(doc(ps={"secteur": 2, "optam": True}, acts=act))
    assert [r["total_br"] for r in (s1, s2, s2_optam)] == [D("64.80"), D("59.36"), D("64.80")]


def test_ccam_grille_key_overrides_the_professional_grid(priced, doc):
    act = {"code": "AHQB024", "nomenclature": "CCAM", "grille": "hors_secteur1_hors_optam"}
    assert priced(doc(acts=[act]))["total_br"] == D("59.36")


def test_unknown_ccam_code_needs_a_unit_price(priced, doc):
    with pytest.raises(DraftError) as raised:
        priced(doc(acts=[{"code": "G"}, {"code": "ZZZZ999", "nomenclature": "CCAM"}]))
    assert raised.value.field == "acts[1].code"


def test_ccam_activity_other_than_the_priced_one_needs_a_price(priced, doc):
    # B.1: the PU depends on the activity (4 = anaesthesia): no fake tariff for AFLB001/4.
    with pytest.raises(DraftError):
        priced(doc(acts=[{"code": "AFLB001", "nomenclature": "CCAM", "activity": 4}]))


def test_supplement_de_charge_is_added_after_the_association_rate(priced, doc):
    # B.4: AHQB013 73.44 (code 1) + AHQB024 64.80 × 50 % = 32.40, + supplément 5.00 on it.
    result = priced(
        doc(
            acts=[
                {"code": "AHQB013", "nomenclature": "CCAM", "association_code": 1},
                {
                    "code": "AHQB024",
                    "nomenclature": "CCAM",
                    "association_code": 2,
                    "supplement_charge": 5,
                },
            ]
        )
    )
    assert result["per_act"][1]["br"] == D("37.40")


def test_remboursement_exceptionnel_contradicts_non_remboursable(priced, doc):
    act = {
        "code": "QZJA002",
        "nomenclature": "CCAM",
        "qualificatif": "N",
        "remboursement_exceptionnel": "O",
    }
    with pytest.raises(DraftError) as raised:
        priced(doc(acts=[act]))
    assert raised.value.field == "acts[0].remboursement_exceptionnel"


def test_a_date_before_the_regulatory_tables_is_refused(priced, doc):
    with pytest.raises(DraftError) as raised:
        priced(doc(date_soins="1999-01-04", acts=[{"code": "G", "unit_price": 20}]))
    assert raised.value.field == "date_soins"
