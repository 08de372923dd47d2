"""NGAP / COx tariffs on both sides of each effective date (values from docs/rules.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from openfse.errors import InvalidInput, UnknownTariff
from openfse.referentials import ngap

D = Decimal


@pytest.mark.parametrize(
    ("profession", "code", "before_day", "before", "from_day", "after"),
    [
        # §0/A.1: G 26.50 until 21/12/2024, 30.00 from 22/12/2024 (ameli, Dec. 2024).
        ("medecin", "G", date(2024, 12, 21), "26.50", date(2024, 12, 22), "30.00"),
        # A.1: G 25.00 before 01/11/2023, 26.50 from 01/11/2023.
        ("medecin", "G", date(2023, 10, 31), "25.00", date(2023, 11, 1), "26.50"),
        ("medecin", "GS", date(2024, 12, 21), "26.50", date(2024, 12, 22), "30.00"),
        ("medecin", "VG", date(2024, 12, 21), "26.50", date(2024, 12, 22), "30.00"),
        # A.1: APC 56.50 → 60.00 on 22/12/2024.
        ("medecin", "APC", date(2024, 12, 21), "56.50", date(2024, 12, 22), "60.00"),
        # A.1: CNPSY 50 → 52 and MP 12 → 18 on 01/01/2026.
        ("medecin", "CNPSY", date(2025, 12, 31), "50.00", date(2026, 1, 1), "52.00"),
        ("medecin", "MP", date(2025, 12, 31), "12.00", date(2026, 1, 1), "18.00"),
        # A.2/C: COE 47.50 → 54.00 on 22/12/2024 → 60.00 on 01/01/2026 (postponed from 07/2025).
        ("medecin", "COE", date(2024, 12, 21), "47.50", date(2024, 12, 22), "54.00"),
        ("medecin", "COE", date(2025, 12, 31), "54.00", date(2026, 1, 1), "60.00"),
        ("medecin", "COH", date(2025, 12, 31), "45.00", date(2026, 1, 1), "50.00"),
        # A.6: AMK 2.15 → 2.21 on 22/02/2024 (avenant 7).
        ("masseur_kinesitherapeute", "AMK", date(2024, 2, 21), "2.15", date(2024, 2, 22), "2.21"),
        ("masseur_kinesitherapeute", "AMS", date(2024, 2, 21), "2.15", date(2024, 2, 22), "2.21"),
        # A.5: IFD infirmier 2.50 → 2.75 on 28/01/2024 (avenant 10).
        ("infirmier", "IFD", date(2024, 1, 27), "2.50", date(2024, 1, 28), "2.75"),
        # A.7: SF 3.10 (avenant 7) → 3.20 in January 2025.
        ("sage_femme", "SF", date(2024, 12, 31), "3.10", date(2025, 1, 1), "3.20"),
        # A.8: EBD reform 01/04/2025, BDC 30 replaced by BDA 40.
        ("chirurgien_dentiste", "BDC", date(2025, 3, 31), "30.00", date(2025, 4, 1), None),
        ("chirurgien_dentiste", "BDA", date(2025, 3, 31), None, date(2025, 4, 1), "40.00"),
        # A.1: GL1-GL3 exist from 01/01/2026 only.
        ("medecin", "GL2", date(2025, 12, 31), None, date(2026, 1, 1), "60.00"),
    ],
)
def test_the_tariff_changes_exactly_on_its_effective_date(
    profession: str,
    code: str,
    before_day: date,
    before: str | None,
    from_day: date,
    after: str | None,
) -> None:
    for day, expected in ((before_day, before), (from_day, after)):
        found = ngap.lookup(profession, code, day)
        assert (found.value if found else None) == (D(expected) if expected else None), day


@pytest.mark.parametrize(
    ("profession", "code", "on", "expected"),
    [
        ("medecin", "MEG", date(2025, 3, 1), "5.00"),  # G + MEG = 35 € (A.1)
        ("medecin", "MCS", date(2025, 3, 1), "5.00"),  # CS + MCS = 31.50 € (A.1)
        ("medecin", "CS", date(2025, 3, 1), "26.50"),
        ("medecin", "TCG", date(2025, 3, 1), "25.00"),
        ("medecin", "MD", date(2025, 3, 1), "10.00"),
        ("medecin", "MDN", date(2025, 3, 1), "38.50"),
        ("medecin", "F", date(2025, 3, 1), "19.06"),
        ("medecin", "IK", date(2025, 3, 1), "0.61"),
        ("medecin", "IKM", date(2025, 3, 1), "0.91"),
        ("medecin", "IKS", date(2025, 3, 1), "4.57"),
        ("infirmier", "AMI", date(2026, 2, 1), "3.15"),  # frozen since 2009 (A.5)
        ("infirmier", "AIS", date(2026, 2, 1), "2.65"),
        ("infirmier", "MAU", date(2026, 2, 1), "1.35"),
        ("infirmier", "MCI", date(2026, 2, 1), "5.00"),
        ("infirmier", "N", date(2026, 2, 1), "9.15"),
        ("infirmier", "NP", date(2026, 2, 1), "18.30"),
        ("infirmier", "IK", date(2026, 2, 1), "0.35"),
        ("infirmier", "IKM", date(2026, 2, 1), "0.50"),
        ("infirmier", "IKS", date(2026, 2, 1), "3.40"),
        ("masseur_kinesitherapeute", "IK", date(2026, 2, 1), "0.38"),
        ("masseur_kinesitherapeute", "IKM", date(2026, 2, 1), "0.61"),
        ("masseur_kinesitherapeute", "IKS", date(2026, 2, 1), "3.35"),
        ("masseur_kinesitherapeute", "IFO", date(2026, 2, 1), "4.00"),
        ("sage_femme", "C", date(2025, 3, 1), "23.00"),
        ("sage_femme", "MSF", date(2025, 3, 1), "3.50"),
        ("sage_femme", "CCP", date(2025, 3, 1), "47.50"),
        ("sage_femme", "IK", date(2025, 3, 1), "0.61"),
        ("chirurgien_dentiste", "BDB", date(2025, 6, 1), "52.00"),
        ("chirurgien_dentiste", "BDD", date(2025, 6, 1), "64.00"),
        ("chirurgien_dentiste", "BDP", date(2025, 6, 1), "64.00"),
        ("chirurgien_dentiste", "BDH", date(2025, 6, 1), "23.00"),
        ("chirurgien_dentiste", "BDE", date(2025, 6, 1), "40.00"),
        ("orthophoniste", "AMO", date(2025, 6, 1), "2.60"),
        ("orthoptiste", "AMY", date(2025, 6, 1), "2.60"),
    ],
)
def test_values_of_rules_digest(profession: str, code: str, on: date, expected: str) -> None:
    assert ngap.value(profession, code, on) == D(expected)


def test_value_is_a_two_decimal_decimal_that_prices_an_act_exactly() -> None:
    # docs/rules.md §F worked case KC02: AMS 9.5 × 2.21 = 20.995 → 21.00 (half-up, never float).
    from openfse.money import round_cents

    ams = ngap.value("masseur_kinesitherapeute", "AMS", date(2025, 1, 15))
    assert isinstance(ams, Decimal) and ams == D("2.21")
    assert round_cents(D("9.5") * ams) == D("21.00")


def test_dom_values_apply_where_published_and_metropole_values_elsewhere() -> None:
    # A.6: AMK DOM 2.43 from 22/02/2024 (2.36 before, ordremk); A.5: AMI DOM 3.30.
    assert ngap.value("masseur_kinesitherapeute", "AMK", date(2024, 2, 21), "dom") == D("2.36")
    assert ngap.value("masseur_kinesitherapeute", "AMK", date(2024, 2, 22), "dom") == D("2.43")
    assert ngap.value("infirmier", "AMI", date(2025, 1, 1), "dom") == D("3.30")
    assert ngap.value("infirmier", "IKS", date(2025, 1, 1), "dom") == D("3.66")
    # No DOM-specific G is published: the national value applies.
    assert ngap.value("medecin", "G", date(2025, 1, 1), "dom") == D("30.00")
    dom = ngap.lookup("infirmier", "AMI", date(2025, 1, 1), "dom")
    assert dom is not None and dom.zone == "dom"


def test_aliases_resolve_to_the_canonical_code() -> None:
    # docs/rules.md §A.5: IFD is coded IFA (or IFI) in the recent NGAP; CNP is the B2 code of CNPSY.
    day = date(2024, 6, 1)
    assert ngap.lookup("infirmier", "IFA", day) == ngap.lookup("infirmier", "IFD", day)
    assert ngap.lookup("infirmier", "ifi", day).code == "IFD"  # type: ignore[union-attr]
    assert ngap.value("medecin", "CNP", date(2025, 1, 1)) == D("50.00")


def test_codes_are_case_insensitive_and_trimmed() -> None:
    assert ngap.value("medecin", " g ", date(2025, 1, 1)) == D("30.00")


def test_the_same_letter_has_a_value_per_profession() -> None:
    day = date(2025, 6, 1)
    assert ngap.value("medecin", "IK", day) == D("0.61")
    assert ngap.value("infirmier", "IK", day) == D("0.35")
    assert ngap.value("masseur_kinesitherapeute", "IK", day) == D("0.38")
    assert ngap.value("medecin", "F", day) == D("19.06")
    assert ngap.value("infirmier", "F", day) == D("8.00")


def test_an_unknown_code_raises_unknown_tariff_naming_code_profession_and_date() -> None:
    with pytest.raises(UnknownTariff) as error:
        ngap.value("infirmier", "ZZZ", date(2025, 3, 4))
    message = error.value.message
    assert "ZZZ" in message and "infirmier" in message and "04/03/2025" in message
    assert error.value.code == "unknown_tariff"
    assert error.value.field == "code"


def test_a_catalogued_code_without_tariff_says_the_price_must_be_typed() -> None:
    # AMP (pédicures) is in the NGAP catalogue but docs/rules.md §A.9 has no value for it.
    with pytest.raises(UnknownTariff) as error:
        ngap.value("pedicure_podologue", "AMP", date(2025, 3, 4))
    assert "Soin de pédicurie" in error.value.message
    assert "saisissez le prix" in error.value.message


def test_a_code_outside_its_periods_names_the_known_periods() -> None:
    with pytest.raises(UnknownTariff) as error:
        ngap.value("medecin", "GL1", date(2025, 12, 31))
    assert "31/12/2025" in error.value.message and "01/01/2026" in error.value.message


def test_unknown_profession_or_zone_is_invalid_input_not_a_missing_tariff() -> None:
    with pytest.raises(InvalidInput) as error:
        ngap.lookup("veterinaire", "G", date(2025, 1, 1))
    assert error.value.code == "unknown_profession"
    with pytest.raises(InvalidInput) as error:
        ngap.lookup("medecin", "G", date(2025, 1, 1), zone="mars")
    assert error.value.code == "unknown_zone"


def test_keys_is_the_pick_list_of_the_day() -> None:
    before = {key.code for key in ngap.keys("medecin", date(2025, 12, 31))}
    after = {key.code for key in ngap.keys("medecin", date(2026, 1, 1))}
    assert {"G", "VG", "COE", "MD", "IK"} <= before
    assert "GL1" not in before and {"GL1", "GL2", "GL3"} <= after
    codes = [key.code for key in ngap.keys("infirmier", date(2026, 1, 1))]
    assert codes == sorted(codes) and "AMI" in codes and "G" not in codes
    assert ngap.keys("pedicure_podologue", date(2026, 1, 1)) == []


def test_keys_in_the_dom_mix_dom_and_national_values() -> None:
    keys = {key.code: key for key in ngap.keys("infirmier", date(2025, 1, 1), zone="dom")}
    assert keys["AMI"].value == D("3.30") and keys["AMI"].zone == "dom"
    assert keys["MAU"].zone == "metropole"


def test_search_matches_codes_first_then_label_words() -> None:
    day = date(2025, 1, 1)
    found = [key.code for key in ngap.search("IF", "masseur_kinesitherapeute", day)]
    assert found == ["IFD", "IFN", "IFO", "IFP", "IFR", "IFS"]
    exact_first = [key.code for key in ngap.search("g", "medecin", day)]
    assert exact_first[0] == "G" and "GS" in exact_first
    by_label = [key.code for key in ngap.search("kilometrique", "infirmier", day)]
    assert by_label == ["IK", "IKM", "IKS"]
    assert [key.code for key in ngap.search("ifa", "infirmier", day)] == ["IFD"]  # alias
    assert ngap.search("", "orthoptiste", day) == ngap.keys("orthoptiste", day)


def test_the_catalogue_holds_codes_without_tariffs() -> None:
    assert ngap.catalogue_label("amp") == "Soin de pédicurie"
    assert ngap.catalogue_label("NOPE") is None
    hits = ngap.catalogue_search("pedicur")
    assert any(item.code == "AMP" for item in hits)
    assert [item.code for item in ngap.catalogue_search("AMK")][:1] == ["AMK"]
    assert len(ngap.catalogue()) >= 400
