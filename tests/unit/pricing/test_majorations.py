"""NGAP majorations and travel indemnities: billing conditions (docs/rules.md §A.1, A.3, A.5)."""

from __future__ import annotations

from decimal import Decimal as D


def test_justified_visit_vg_plus_md_and_one_pf(priced, doc):
    # A.3: VG 30 + MD 10 = 40.00, AMO 70 % = 21.00 + 7.00 = 28.00; D.4: the PF is per act,
    # MD is not an act → one PF of 2 € → amo_net 26.00.
    result = priced(doc(acts=[{"code": "VG"}, {"code": "MD"}]))
    assert result["amo_brut"] == D("28.00")
    assert result["participation_forfaitaire_count"] == 1
    assert result["amo_net"] == D("26.00")
    assert result["warnings"] == []


def test_md_goes_with_a_visit_not_a_consultation(priced, doc, warning_codes):
    result = priced(doc(acts=[{"code": "G"}, {"code": "MD"}]))
    assert warning_codes(result) == ["majoration_acte_incompatible"]


def test_meg_is_for_children_under_6(priced, doc, warning_codes):
    # A.1: MEG « majoration enfant (< 6 ans) »: a 7-year-old is flagged; still priced.
    result = priced(doc(patient={"age": 7}, acts=[{"code": "G"}, {"code": "MEG"}]))
    assert warning_codes(result) == ["majoration_age"]
    assert result["total_br"] == D("35.00")


def test_night_and_sunday_majorations_do_not_cumulate(priced, doc, warning_codes):
    # NGAP art. 14: one time-slot majoration per act: MN + F on the same day is flagged.
    result = priced(doc(acts=[{"code": "G"}, {"code": "MN"}, {"code": "F"}]))
    assert warning_codes(result) == ["majorations_non_cumulables"]


def test_a_majoration_alone_is_flagged(priced, doc, warning_codes):
    result = priced(doc(acts=[{"code": "MN"}]))
    assert warning_codes(result) == ["majoration_sans_acte"]


def test_nurse_child_majoration_needs_the_age(priced, doc, warning_codes):
    # A.5: MIE (enfant < 7 ans) 3.15; AMI 1 + MIE = 6.30 for a 5-year-old, no warning.
    nurse = {"profession": "infirmier", "ps": {"specialite": None}}
    known = priced(doc(patient={"age": 5}, acts=[{"code": "AMI"}, {"code": "MIE"}], **nurse))
    assert known["total_br"] == D("6.30")
    assert known["warnings"] == []
    unknown = priced(doc(patient={"age": None}, acts=[{"code": "AMI"}, {"code": "MIE"}], **nurse))
    assert "age_inconnu" in warning_codes(unknown)


def test_majorations_take_the_rate_of_the_invoice(priced, doc):
    # docs/rules.md §A.4 (assumption M/L): MD/IK lines at the act's rate; ALD-related → 100 %.
    result = priced(
        doc(
            patient={"ald": True},
            soins_en_rapport_ald=True,
            acts=[{"code": "VG"}, {"code": "MD"}, {"code": "IK", "quantity": 10}],
        )
    )
    assert [a["taux_amo"] for a in result["per_act"]] == [100, 100, 100]
    assert result["amo_brut"] == D("46.10")  # 30 + 10 + 10 × 0.61
