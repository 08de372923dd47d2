"""CCAM modifiers (B.3) and association codes (B.2): the final tariff of each CCAM line."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from openfse.domain.pricing import DraftError


def ccam(code, **keys):
    return {"code": code, "nomenclature": "CCAM", **keys}


def test_percent_then_amount_then_association_rate_on_the_sum(priced, doc):
    # B.4: QZJA002 26.60 × (1 + 49 % [E]) + 25.15 [U] = 39.634 + 25.15 = 64.784,
    # association code 2 → × 50 % = 32.392 → 32.39. AHQB013 73.44 at code 1.
    result = priced(
        doc(
            acts=[
                ccam("AHQB013", association_code=1),
                ccam("QZJA002", association_code=2, modifiers=["E", "U"]),
            ]
        )
    )
    assert [a["br"] for a in result["per_act"]] == [D("73.44"), D("32.39")]
    assert result["per_act"][1]["modifiers"] == ["E", "U"]


def test_ranking_gives_code_1_to_the_highest_tariff_when_codes_are_absent(
    priced, doc, warning_codes
):
    # B.2: AHQB024 64.80 typed first, AHQB013 73.44 second → AHQB013 gets 1 (73.44),
    # AHQB024 gets 2: 64.80 × 50 % = 32.40.
    result = priced(doc(acts=[ccam("AHQB024"), ccam("AHQB013")]))
    assert [a["association_code"] for a in result["per_act"]] == [2, 1]
    assert [a["br"] for a in result["per_act"]] == [D("32.40"), D("73.44")]
    assert warning_codes(result).count("code_association_attribue") == 2


def test_ranking_counts_the_modifiers(priced, doc):
    # AHQB024 + U = 64.80 + 25.15 = 89.95 > AHQB013 73.44 → AHQB024 is code 1,
    # AHQB013 code 2: 73.44 / 2 = 36.72.
    result = priced(doc(acts=[ccam("AHQB024", modifiers=["U"]), ccam("AHQB013")]))
    assert [a["br"] for a in result["per_act"]] == [D("89.95"), D("36.72")]


def test_code_2_on_the_dearer_act_is_flagged(priced, doc, warning_codes):
    result = priced(
        doc(acts=[ccam("AHQB024", association_code=1), ccam("AHQB013", association_code=2)])
    )
    assert warning_codes(result) == ["code_association_ordre"]
    assert result["per_act"][1]["br"] == D("36.72")  # codes as typed: 73.44 × 50 %


def test_a_third_act_without_derogation_is_flagged_and_priced_at_50_percent(
    priced, doc, warning_codes
):
    # B.2: the standard rule bills two acts; DEQP003 14.77 × 50 % = 7.385 → 7.39.
    result = priced(
        doc(
            acts=[
                ccam("AHQB013", association_code=1),
                ccam("AHQB024", association_code=2),
                ccam("DEQP003", association_code=2),
            ]
        )
    )
    assert result["per_act"][2]["br"] == D("7.39")
    assert warning_codes(result) == ["troisieme_acte_sans_derogation"]


def test_derogation_codes_3_and_4(priced, doc, warning_codes):
    # manuel eS-KAP+: code 3 = 75 %: DEQP003 14.77 × 0.75 = 11.0775 → 11.08; code 4 = 100 %.
    result = priced(
        doc(
            acts=[
                ccam("AHQB013", association_code=1),
                ccam("AHQB024", association_code=4),
                ccam("DEQP003", association_code=3),
            ]
        )
    )
    assert [a["br"] for a in result["per_act"]] == [D("73.44"), D("64.80"), D("11.08")]
    assert warning_codes(result) == ["forfait_24"]  # 149.32 ≥ 120 € in the session (D.6)


def test_a_lone_ccam_act_needs_no_association_code(priced, doc):
    result = priced(doc(acts=[{"code": "G"}, ccam("DEQP003")]))
    assert result["per_act"][1]["association_code"] is None
    assert result["per_act"][1]["br"] == D("14.77")


def test_association_code_on_an_ngap_act_is_ignored(priced, doc, warning_codes):
    result = priced(doc(acts=[{"code": "G", "association_code": 2}]))
    assert result["total_br"] == D("30.00")
    assert warning_codes(result) == ["code_association_ignore"]


def test_urgence_modifier_is_billed_once_per_intervenant(priced, doc, warning_codes):
    # B.3 (H): F on two acts → kept on the first only: AHQB013 73.44 + 19.06 = 92.50,
    # AHQB024 64.80 × 50 % = 32.40 (its F dropped).
    result = priced(
        doc(
            acts=[
                ccam("AHQB013", association_code=1, modifiers=["F"]),
                ccam("AHQB024", association_code=2, modifiers=["F"]),
            ]
        )
    )
    assert [a["br"] for a in result["per_act"]] == [D("92.50"), D("32.40")]
    assert result["per_act"][1]["modifiers"] == []
    assert "modificateur_urgence_unique" in warning_codes(result)


def test_urgence_modifiers_exclude_each_other_on_one_act(priced, doc):
    with pytest.raises(DraftError) as raised:
        priced(doc(acts=[ccam("AHQB013", modifiers=["U", "F"])]))
    assert raised.value.field == "acts[0].modifiers"


def test_at_most_four_modifiers_per_act(priced, doc):
    with pytest.raises(DraftError) as raised:
        priced(doc(acts=[ccam("QZJA002", modifiers=["E", "U", "M", "K", "F"])]))
    assert "at most 4" in raised.value.message


def test_a_modifier_twice_is_refused(priced, doc):
    with pytest.raises(DraftError):
        priced(doc(acts=[ccam("QZJA002", modifiers=["E", "E"])]))


def test_modifier_not_listed_for_the_act_is_kept_with_a_warning(priced, doc, warning_codes):
    # AHQB024 does not list E in the fake catalogue: 64.80 × 1.49 = 96.552 → 96.55.
    result = priced(doc(acts=[ccam("AHQB024", modifiers=["E"])]))
    assert result["total_br"] == D("96.55")
    assert "modificateur_non_autorise" in warning_codes(result)


def test_unknown_modifier_needs_its_value(priced, doc):
    with pytest.raises(DraftError) as raised:
        priced(doc(acts=[ccam("QZJA002", modifiers=["E", "Z"])]))
    assert raised.value.field == "acts[0].modifiers[1]"
    # Given explicitly, it applies: 26.60 × 1.49 + 10.00 = 49.634 → 49.63.
    act = ccam("QZJA002", modifiers=["E", {"code": "Z", "amount": 10}])
    result = priced(doc(acts=[act]))
    assert result["total_br"] == D("49.63")


def test_modifiers_are_for_ccam_acts_only(priced, doc):
    with pytest.raises(DraftError) as raised:
        priced(doc(acts=[{"code": "G", "modifiers": ["F"]}]))
    assert raised.value.field == "acts[0].modifiers"
