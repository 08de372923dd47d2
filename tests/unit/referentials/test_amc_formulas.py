"""AMC formulas, worked on the vendor FSE of manuel eS-KAP+ (docs/rules.md §E).

The seed FSE: C 23.00 + AFLB001 50.56, AMO 70 %: 16.10 + 35.39 (50.56 × 0.7 = 35.392 → 35.39),
AMC formula 052: 6.90 + 15.17. Each case below is worked by hand in its comment.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfse.errors import InvalidInput
from openfse.referentials import amc_formulas
from openfse.referentials.amc_formulas import evaluate

D = Decimal
# The two lines of the seed FSE: (DR, TR, MRO); no dépassement so DR = TR.
C_LINE = {"dr": D("23.00"), "tr": D("23.00"), "mro": D("16.10")}  # TM = 6.90
CCAM_LINE = {"dr": D("50.56"), "tr": D("50.56"), "mro": D("35.39")}  # TM = 15.17
# Same C with a 7.00 € dépassement (qualificatif E): DR 30.00, DR − MRO = 13.90.
C_DEPASSEMENT = {"dr": D("30.00"), "tr": D("23.00"), "mro": D("16.10")}


def test_052_on_the_seed_fse_gives_6_90_and_15_17() -> None:
    # 052 = min(DR − MRO, 100 % TM): min(6.90, 6.90) = 6.90; min(15.17, 15.17) = 15.17.
    assert evaluate("052", **C_LINE, parameter=None) == D("6.90")
    assert evaluate("052", **CCAM_LINE, parameter=None) == D("15.17")
    # Total AMC 22.07, AMO 51.49, total 73.56 as printed by the vendor.
    assert D("6.90") + D("15.17") == D("22.07")


def test_052_does_not_pay_the_depassement() -> None:
    # min(13.90, TM 6.90) = 6.90: the 7.00 € dépassement stays with the patient.
    assert evaluate("052", **C_DEPASSEMENT, parameter=None) == D("6.90")


def test_050_pays_a_percentage_of_the_ticket_moderateur() -> None:
    # 050 p=50: min(6.90, 50 % × 6.90 = 3.45) = 3.45; min(15.17, 7.585) = 7.585 → 7.59 half-up.
    assert evaluate("050", **C_LINE, parameter=50) == D("3.45")
    assert evaluate("050", **CCAM_LINE, parameter=D("50")) == D("7.59")


def test_029_pays_the_tarif_minus_the_amo() -> None:
    # 029 = min(DR − MRO, 100 % TR − MRO): 23.00 − 16.10 = 6.90 → 6.90, dépassement not paid.
    assert evaluate("029", **C_LINE, parameter=None) == D("6.90")
    assert evaluate("029", **C_DEPASSEMENT, parameter=None) == D("6.90")


def test_02a_pays_a_percentage_of_the_tarif_minus_the_amo() -> None:
    # 02A p=150: min(13.90, 150 % × 23.00 − 16.10 = 34.50 − 16.10 = 18.40) = 13.90.
    assert evaluate("02A", **C_DEPASSEMENT, parameter=150) == D("13.90")
    # 02A p=120: min(13.90, 27.60 − 16.10 = 11.50) = 11.50: part of the dépassement is paid.
    assert evaluate("02A", **C_DEPASSEMENT, parameter=120) == D("11.50")
    # 02A p=100 on the seed lines equals 052: 6.90 and 15.17.
    assert evaluate("02a", **C_LINE, parameter=100) == D("6.90")
    assert evaluate("02A", **CCAM_LINE, parameter=100) == D("15.17")


def test_02a_below_the_amo_share_pays_nothing() -> None:
    # 02A p=30 (card of manuel eS-KAP+: "30% / 15%"): 30 % × 23.00 − 16.10 = 6.90 − 16.10 = −9.20 →
    # 0.
    assert evaluate("02A", **C_LINE, parameter=30) == D("0.00")


def test_020_pays_up_to_the_whole_tarif_without_deducting_the_amo() -> None:
    # 020 = min(DR − MRO, 100 % TR): min(13.90, 23.00) = 13.90 (dépassement paid).
    assert evaluate("020", **C_DEPASSEMENT, parameter=None) == D("13.90")
    assert evaluate("020", **C_LINE, parameter=None) == D("6.90")  # min(6.90, 23.00)


def test_021_pays_a_percentage_of_the_tarif() -> None:
    # 021 p=10: min(13.90, 10 % × 23.00 = 2.30) = 2.30; p=100: min(13.90, 23.00) = 13.90.
    assert evaluate("021", **C_DEPASSEMENT, parameter=10) == D("2.30")
    assert evaluate("021", **C_DEPASSEMENT, parameter=100) == D("13.90")


def test_012_pays_a_percentage_of_the_real_expense() -> None:
    # 012 p=10: min(13.90, 10 % × 30.00 = 3.00) = 3.00; p=100: min(13.90, 30.00) = 13.90.
    assert evaluate("012", **C_DEPASSEMENT, parameter=10) == D("3.00")
    assert evaluate("012", **C_DEPASSEMENT, parameter=100) == D("13.90")


def test_the_amc_never_owes_money_when_the_amo_paid_more_than_the_expense() -> None:
    # DR 10.00 < MRO 16.10: DR − MRO = −6.10 → floored at 0.
    for code, parameter in (("052", None), ("020", None), ("012", 100)):
        assert (
            evaluate(code, dr=D("10.00"), tr=D("23.00"), mro=D("16.10"), parameter=parameter) == 0
        )


def test_the_formula_list_and_expressions() -> None:
    listed = {f.code: f for f in amc_formulas.formulas()}
    assert list(listed) == ["012", "020", "021", "029", "02A", "050", "052"]
    assert listed["02A"].expression == "min(DR - MRO, p% × TR - MRO)"
    assert listed["052"].expression == "min(DR - MRO, 100% × TM)"
    assert listed["02A"].takes_parameter and not listed["052"].takes_parameter
    assert "TR" in listed["021"].parameter_meaning
    assert listed["052"].parameter_meaning == ""


def test_unknown_formula_is_refused_with_the_known_list() -> None:
    with pytest.raises(InvalidInput) as error:
        evaluate("030", **C_LINE, parameter=None)
    assert error.value.code == "unknown_amc_formula"
    assert "030" in error.value.message and "052" in error.value.message


def test_a_percentage_formula_requires_its_parameter() -> None:
    with pytest.raises(InvalidInput) as error:
        evaluate("021", **C_LINE, parameter=None)
    assert error.value.code == "missing_amc_parameter"
    assert error.value.field == "amc.parameter"


def test_a_fixed_formula_accepts_100_and_refuses_another_parameter() -> None:
    assert evaluate("052", **C_LINE, parameter=100) == D("6.90")
    with pytest.raises(InvalidInput) as error:
        evaluate("052", **C_LINE, parameter=50)
    assert error.value.code == "invalid_amc_parameter"


@pytest.mark.parametrize("parameter", [-1, 1001, True, 1.5])
def test_out_of_range_or_badly_typed_parameters_are_refused(parameter: object) -> None:
    with pytest.raises(InvalidInput):
        evaluate("021", **C_LINE, parameter=parameter)  # type: ignore[arg-type]


def test_amounts_must_be_non_negative_decimals() -> None:
    with pytest.raises(InvalidInput) as error:
        evaluate("052", dr=23.0, tr=D("23"), mro=D("16.10"), parameter=None)  # type: ignore[arg-type]
    assert error.value.field == "amc.dr"
    with pytest.raises(InvalidInput):
        evaluate("052", dr=D("23"), tr=D("23"), mro=D("-1"), parameter=None)


amounts = st.decimals(min_value=0, max_value=10_000, places=2)


@given(
    st.sampled_from([f.code for f in amc_formulas.formulas()]),
    amounts,
    amounts,
    amounts,
    st.integers(min_value=0, max_value=1000),
)
def test_amc_is_between_zero_and_what_the_amo_left(
    code: str, dr: Decimal, tr: Decimal, mro: Decimal, percent: int
) -> None:
    parameter = percent if amc_formulas.formula(code).takes_parameter else None
    amc = evaluate(code, dr=dr, tr=tr, mro=mro, parameter=parameter)
    assert amc == amc.quantize(D("0.01"))
    assert D(0) <= amc <= max(D(0), dr - mro)
