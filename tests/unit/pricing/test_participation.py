"""Participation forfaitaire (D.4) and franchise médicale (D.5): amounts, ceilings, exemptions."""

from __future__ import annotations

from decimal import Decimal as D


def nurse(doc, acts, **changes):
    return doc(profession="infirmier", ps={"specialite": None}, acts=acts, **changes)


def test_at_most_four_pf_per_day(priced, doc):
    # D.4: 5 acts the same day → 4 PF × 2 € = 8.00.
    result = priced(doc(acts=[{"code": "G"}] * 5))
    assert result["participation_forfaitaire_count"] == 4
    assert result["participation_forfaitaire"] == D("8.00")


def test_the_pf_limit_is_per_day(priced, doc):
    # 4 acts on 03/03 and 1 on 04/03 → 4 + 1 = 5 PF = 10.00.
    acts = [{"code": "G"}] * 4 + [{"code": "G", "date": "2025-03-04"}]
    assert priced(doc(acts=acts))["participation_forfaitaire"] == D("10.00")


def test_pf_was_1_euro_until_14_may_2024(priced, doc):
    # §0: PF 1 € → 2 € on 15/05/2024 (G 26.50 then).
    assert priced(doc(date_soins="2024-05-14"))["participation_forfaitaire"] == D("1.00")
    assert priced(doc(date_soins="2024-05-15"))["participation_forfaitaire"] == D("2.00")


def test_pf_exemption_uses_the_age_on_1_january(priced, doc):
    # D.4: « moins de 18 ans au 1er janvier »: born 10/02/2007 → 18 on 03/03/2025 but 17 on
    # 01/01/2025 → exempt.
    result = priced(doc(patient={"age": None, "birth_date": "2007-02-10"}))
    assert result["participation_forfaitaire"] == D("0.00")
    adult = priced(doc(patient={"age": None, "birth_date": "2006-12-31"}))
    assert adult["participation_forfaitaire"] == D("2.00")


def test_pf_never_exceeds_the_amo_share(priced, doc):
    # An AMO typed at 1.50 leaves a PF of 1.50 (never a negative net AMO).
    result = priced(doc(acts=[{"code": "G", "amo_override": D("1.50")}]))
    assert (result["participation_forfaitaire"], result["amo_net"]) == (D("1.50"), D("0.00"))


def test_franchise_daily_ceiling_4_euros(priced, doc):
    # D.5: 1 € per paramedical act, 4 € per day and professional: 5 × AMI → 4.00.
    result = priced(nurse(doc, [{"code": "AMI"}] * 5))
    assert result["franchise"] == D("4.00")


def test_franchise_was_50_cents_until_30_march_2024(priced, doc):
    # D.5: 0.50 → 1 € on 31/03/2024; ceiling 2 € before: 5 acts → 2.00.
    result = priced(nurse(doc, [{"code": "AMI"}] * 5, date_soins="2024-03-30"))
    assert result["franchise"] == D("2.00")
    one = priced(nurse(doc, [{"code": "AMI"}], date_soins="2024-03-30"))
    assert one["franchise"] == D("0.50")


def test_franchise_is_not_charged_on_travel_lines(priced, doc):
    # AMI + IFD + IK: one act → one franchise.
    result = priced(nurse(doc, [{"code": "AMI"}, {"code": "IFD"}, {"code": "IK", "quantity": 6}]))
    assert result["franchise"] == D("1.00")


def test_franchise_exemptions(priced, doc):
    # D.5: exempt under 18, C2S, AME, maternité, victims of terrorism.
    acts = [{"code": "AMI"}]
    cases = [
        {"patient": {"age": 12}},
        {"patient": {"c2s": True}},
        {"patient": {"ame": True}},
        {"nature_assurance": "maternite"},
        {"patient": {"victime_attentat": True}},
    ]
    assert [priced(nurse(doc, acts, **case))["franchise"] for case in cases] == [D("0.00")] * 5


def test_victims_of_terrorism_get_tiers_payant(priced, doc):
    result = priced(doc(patient={"victime_attentat": True}))
    assert result["participation_forfaitaire"] == D("0.00")
    assert result["tiers_payant"]["amo"] is True
