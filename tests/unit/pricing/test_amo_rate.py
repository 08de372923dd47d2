"""AMO rate by profession, nature d'assurance, exonération and prevention (docs/rules.md
§D.1/D.2)."""

from __future__ import annotations

from decimal import Decimal as D


def dentist(doc, **changes):
    return doc(profession="chirurgien_dentiste", ps={"specialite": None}, **changes)


def test_dentist_rate_70_then_60_percent_from_15_october_2023(priced, doc):
    # D.1: soins dentaires 60 % since 15/10/2023: C 23 → 16.10 the day before, 13.80 on it.
    before = priced(dentist(doc, date_soins="2023-10-14", acts=[{"code": "C"}]))
    after = priced(dentist(doc, date_soins="2023-10-15", acts=[{"code": "C"}]))
    assert (before["amo_brut"], after["amo_brut"]) == (D("16.10"), D("13.80"))
    assert after["participation_forfaitaire"] == D("0.00")  # D.4: no PF for dentists


def test_sage_femme_70_percent_and_no_pf(priced, doc):
    # D.1: sages-femmes 70 %: C 23 + MSF 3.50 = 26.50 → 18.55; D.4: no PF for sages-femmes.
    result = priced(
        doc(profession="sage_femme", ps={"specialite": None}, acts=[{"code": "C"}, {"code": "MSF"}])
    )
    assert result["amo_brut"] == D("18.55")
    assert result["amo_net"] == D("18.55")


def test_orthophoniste_60_percent_with_franchise(priced, doc):
    # D.1 auxiliaires 60 %: AMO 10 × 2.60 = 26.00 → 15.60; D.5 franchise 1 € → 14.60.
    result = priced(
        doc(
            profession="orthophoniste",
            ps={"specialite": None},
            acts=[{"code": "AMO", "coefficient": 10}],
        )
    )
    assert (result["amo_brut"], result["amo_net"]) == (D("15.60"), D("14.60"))


def test_exoneration_codes_per_invoice_and_per_act(priced, doc):
    # D.2 (manuel eS-KAP+ « Saisir l'exonération sur chaque acte »): invoice exo 3 → 100 %; an act
    # typed exo "0" (pas d'exonération) stays at 70 %.
    result = priced(doc(exo="3", acts=[{"code": "G"}, {"code": "G", "exo": "0"}]))
    assert [a["taux_amo"] for a in result["per_act"]] == [100, 70]
    assert [a["exo"] for a in result["per_act"]] == ["3", "0"]


def test_exo_5_assure_exonere_keeps_the_pf(priced, doc):
    # D.2 exo 5 (invalidité…) → 100 %; D.4: PF still due for invalidité.
    result = priced(doc(acts=[{"code": "G", "exo": 5}]))
    assert (result["amo_brut"], result["amo_net"]) == (D("30.00"), D("28.00"))


def test_ald_patient_care_not_related_is_at_the_normal_rate(priced, doc):
    # D.1: 100 % only for « soins en rapport avec l'ALD »: unrelated G → 21.00.
    result = priced(doc(patient={"ald": True}))
    assert result["per_act"][0]["amo"] == D("21.00")


def test_ald_per_act_answer(priced, doc):
    # manuel eS-KAP+ « Les soins sont-ils en rapport avec l'ALD ? » answered per act.
    result = priced(
        doc(
            patient={"ald": True}, acts=[{"code": "G", "soins_en_rapport_ald": True}, {"code": "G"}]
        )
    )
    assert [a["amo"] for a in result["per_act"]] == [D("30.00"), D("21.00")]


def test_exo_4_without_ald_is_applied_but_flagged(priced, doc, warning_codes):
    result = priced(doc(acts=[{"code": "G", "exo": "4"}]))
    assert result["per_act"][0]["taux_amo"] == 100
    # D.7: care all at 100 % for an ALD → the AMO tiers payant is compulsory too.
    assert warning_codes(result) == ["exoneration_ald_sans_ald", "tiers_payant_obligatoire"]


def test_soins_ald_without_ald_stay_at_the_normal_rate(priced, doc, warning_codes):
    result = priced(doc(soins_en_rapport_ald=True))
    assert result["per_act"][0]["taux_amo"] == 70
    assert warning_codes(result) == ["soins_ald_sans_ald"]


def test_patient_flags_maternite_and_at_mp_mean_100_percent(priced, doc):
    maternite = priced(doc(patient={"maternite": True}))
    at_mp = priced(doc(patient={"at_mp": True}))
    assert maternite["amo_net"] == D("30.00")  # maternité: PF exempt
    assert at_mp["amo_net"] == D("28.00")  # AT: PF due (D.4, M)


def test_ebd_before_the_cofinancing_is_100_percent(priced, doc):
    # M'T dents before 01/04/2025: BDC 30 at 100 % even with an AMC.
    result = priced(
        dentist(
            doc,
            date_soins="2025-03-31",
            patient={"age": 12},
            acts=[{"code": "BDC"}],
            amc={"formula": "052"},
        )
    )
    assert (result["amo_brut"], result["amc"]) == (D("30.00"), D("0.00"))


def test_ebd_without_amc_outside_3_to_24_years_is_at_the_normal_rate(priced, doc):
    # dossier LOGOSw: the exo 7 without AMC is for 3–24 years; at 30, BDA 40 × 60 % = 24.00.
    result = priced(
        dentist(doc, date_soins="2025-06-02", patient={"age": 30}, acts=[{"code": "BDA"}])
    )
    assert result["per_act"][0]["amo"] == D("24.00")


def test_ebd_without_amc_and_unknown_age_is_assumed_eligible(priced, doc, warning_codes):
    result = priced(
        dentist(doc, date_soins="2025-06-02", patient={"age": None}, acts=[{"code": "BDA"}])
    )
    assert result["per_act"][0]["amo"] == D("40.00")
    assert "age_inconnu" in warning_codes(result)


def test_care_consecutive_to_an_ebd_is_cofinanced_too(priced, doc):
    # dossier LOGOSw: « soins consécutifs dans les six mois » co-financed: HBJD001 28.92 without
    # AMC at 12 → exo 7, 100 %; with AMC 052 → 60 % = 17.352 → 17.35 + AMC 11.57.
    act = [{"code": "HBJD001", "nomenclature": "CCAM", "prevention_ebd": True}]
    alone = priced(dentist(doc, date_soins="2025-06-02", patient={"age": 12}, acts=act))
    covered = priced(
        dentist(
            doc,
            date_soins="2025-06-02",
            patient={"age": 12},
            acts=act,
            amc={"formula": "052"},
        )
    )
    assert alone["per_act"][0]["amo"] == D("28.92")
    assert (covered["amo_brut"], covered["amc"]) == (D("17.35"), D("11.57"))


def test_cox_is_100_percent_without_pf(priced, doc):
    # A.2: examens obligatoires de l'enfant at 100 %; a child has no PF.
    result = priced(
        doc(
            date_soins="2025-05-05",
            patient={"age": 8},
            acts=[{"code": "COB", "nomenclature": "COX"}],
        )
    )
    assert (result["amo_brut"], result["amo_net"]) == (D("30.00"), D("30.00"))


def test_alsace_moselle_hors_parcours_is_50_percent(priced, doc):
    # D.1 (L): 90 − 40 = 50 %: 30 × 50 % = 15.00.
    result = priced(doc(patient={"regime_local_alsace_moselle": True, "parcours": "hors_parcours"}))
    assert (result["per_act"][0]["taux_amo"], result["amo_brut"]) == (50, D("15.00"))
