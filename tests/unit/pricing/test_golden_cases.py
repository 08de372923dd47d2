"""Golden invoices: the worked examples every pricing change must keep (one rule each).

Numbers are worked by hand in the comments; each test names the rule and its source.
"""

from __future__ import annotations

from decimal import Decimal as D


def test_g_in_parcours_70_percent_then_pf_2_euros(priced, doc):
    # docs/rules.md §0, D.1, D.4: G 30.00 × 70 % = 21.00 gross AMO; PF 2 € (since 15/05/2024)
    # → amo_net 19.00; no AMC: patient 30 − 21 = 9.00 at the desk, 9 + 2 = 11.00 in the end.
    result = priced(doc())
    act = result["per_act"][0]
    assert (act["br"], act["taux_amo"], act["amo"], act["patient"]) == (
        D("30.00"),
        70,
        D("21.00"),
        D("9.00"),
    )
    assert result["participation_forfaitaire"] == D("2.00")
    assert result["amo_net"] == D("19.00")
    assert result["reste_a_charge_final"] == D("11.00")
    assert result["a_regler_par_patient_au_ps"] == D("30.00")


def test_g_with_amc_052_covers_the_tm_not_the_pf(priced, doc):
    # docs/rules.md §E (052 = 100 % TM = min(DR − MRO, TR − MRO)) = min(9, 9) = 9.00;
    # the PF is never paid by the AMC: final rest 30 − 19 − 9 = 2.00.
    result = priced(doc(amc={"formula": "052"}))
    assert result["per_act"][0]["amc"] == D("9.00")
    assert result["patient"] == D("0.00")
    assert result["reste_a_charge_final"] == D("2.00")


def test_seed_eskap_fse_c_plus_aflb001_with_formula_052(priced, doc):
    # manuel eS-KAP+ « Récapitulatif » 01/01/2025, secteur 2 non-OPTAM, TP AMO + AMC:
    # C 23.00 → AMO 16.10, AMC 6.90; AFLB001 50.56 → AMO 50.56 × 0.7 = 35.392 → 35.39,
    # AMC 15.17; Total Caisse 51.49, Total Mutuelle 22.07, Total Assuré 0, Total 73.56.
    result = priced(
        doc(
            date_soins="2025-01-01",
            ps={"specialite": "anesthesie_reanimation", "secteur": 2, "optam": False},
            acts=[{"code": "C"}, {"code": "AFLB001", "nomenclature": "CCAM"}],
            amc={"formula": "052", "gestion": "separee"},
            tiers_payant={"amo": True, "amc": True},
        )
    )
    assert [a["amo"] for a in result["per_act"]] == [D("16.10"), D("35.39")]
    assert [a["amc"] for a in result["per_act"]] == [D("6.90"), D("15.17")]
    assert result["amo_brut"] == D("51.49")
    assert result["amc"] == D("22.07")
    assert result["total_honoraires"] == D("73.56")
    assert result["a_regler_par_patient_au_ps"] == D("0.00")


def test_g_plus_meg_child_under_6_is_35_without_pf(priced, doc):
    # docs/rules.md §A.1: G 30 + MEG 5 = 35.00 for a child < 6; AMO 70 % = 21.00 + 3.50 = 24.50;
    # D.4: no PF under 18 → amo_net 24.50.
    result = priced(doc(patient={"age": 4}, acts=[{"code": "G"}, {"code": "MEG"}]))
    assert result["total_honoraires"] == D("35.00")
    assert result["amo_brut"] == D("24.50")
    assert result["participation_forfaitaire"] == D("0.00")
    assert result["amo_net"] == D("24.50")
    assert result["warnings"] == []


def test_hors_parcours_g_reimbursed_at_30_percent(priced, doc):
    # docs/rules.md §D.1/D.3: majoration of 40 points, 70 % → 30 %: 30 × 30 % = 9.00; PF 2.
    result = priced(doc(patient={"parcours": "hors_parcours"}))
    act = result["per_act"][0]
    assert (act["taux_amo"], act["amo"]) == (30, D("9.00"))
    assert result["amo_net"] == D("7.00")


def test_ald_exo_4_soins_en_rapport_100_percent_pf_still_due(priced, doc):
    # docs/rules.md §D.1 (ALD 100 %, exo 4) and D.4 (PF still due for ALD): AMO 30.00, net 28.00.
    result = priced(doc(patient={"ald": True}, soins_en_rapport_ald=True))
    act = result["per_act"][0]
    assert (act["taux_amo"], act["amo"], act["exo"]) == (100, D("30.00"), "4")
    assert result["amo_net"] == D("28.00")


def test_maternite_100_percent_and_pf_exempt(priced, doc):
    # docs/rules.md §D.1 (maternité 100 %) and D.4 (PF exempt): AMO 30.00 = amo_net.
    result = priced(doc(nature_assurance="maternite"))
    assert result["per_act"][0]["taux_amo"] == 100
    assert result["amo_net"] == D("30.00")
    assert result["participation_forfaitaire"] == D("0.00")


def test_accident_du_travail_100_percent_with_compulsory_tiers_payant(priced, doc, warning_codes):
    # docs/rules.md §D.1 (AT/MP 100 %), D.4 (PF still due, M), D.7 (tiers payant obligatoire).
    result = priced(doc(nature_assurance="at"))
    assert result["amo_brut"] == D("30.00")
    assert result["amo_net"] == D("28.00")
    assert result["tiers_payant"] == {"amo": True, "amc": False}
    assert result["a_regler_par_patient_au_ps"] == D("0.00")
    assert "tiers_payant_obligatoire" in warning_codes(result)


def test_ame_100_percent_pf_exempt_tiers_payant(priced, doc):
    # docs/rules.md §D.1: AME 100 % of the tarif de responsabilité, PF exempt, tiers payant.
    result = priced(doc(patient={"ame": True}))
    assert result["amo_net"] == D("30.00")
    assert result["a_regler_par_patient_au_ps"] == D("0.00")


def test_c2s_amc_covers_tm_tiers_payant_pf_exempt(priced, doc):
    # docs/rules.md §D.1: normal AMO rate 21.00, the C2S pays the TM 9.00 (formula 029),
    # PF exempt, tiers payant intégral (gestion unique by the caisse) → 0 at the desk.
    result = priced(doc(patient={"c2s": True}))
    act = result["per_act"][0]
    assert (act["amo"], act["amc"], act["patient"]) == (D("21.00"), D("9.00"), D("0.00"))
    assert result["participation_forfaitaire"] == D("0.00")
    assert result["tiers_payant"] == {"amo": True, "amc": True}
    assert result["paiements"]["caisse"] == D("30.00")
    assert result["a_regler_par_patient_au_ps"] == D("0.00")


def test_alsace_moselle_90_percent(priced, doc):
    # docs/rules.md §D.1: régime local 90 %: 30 × 0.9 = 27.00; PF 2 → 25.00.
    result = priced(doc(patient={"regime_local_alsace_moselle": True}))
    assert result["per_act"][0]["amo"] == D("27.00")
    assert result["amo_net"] == D("25.00")


def test_nurse_ami_ifd_ik_with_abattement_and_night(priced, doc):
    # A.5: AMI 4.5 × 3.15 = 14.175 → 14.18; IFD 2.75; A.4: 7 km one way in plaine →
    # 2 × 7 − 4 = 10 km × 0.35 = 3.50; N (nuit 20h–23h) 9.15. Total 29.58.
    # AMO 60 %: 8.508 → 8.51, 1.65, 2.10, 5.49 = 17.75; one franchise 1 € (one act) → 16.75.
    result = priced(
        doc(
            profession="infirmier",
            ps={"specialite": None},
            patient={"parcours": "non_concerne"},
            acts=[
                {"code": "AMI", "coefficient": D("4.5")},
                {"code": "IFD"},
                {"code": "IK", "distance_km": 7},
                {"code": "N"},
            ],
        )
    )
    assert [a["br"] for a in result["per_act"]] == [D("14.18"), D("2.75"), D("3.50"), D("9.15")]
    assert result["per_act"][2]["quantity"] == 10
    assert result["total_honoraires"] == D("29.58")
    assert result["amo_brut"] == D("17.75")
    assert result["franchise"] == D("1.00")
    assert result["amo_net"] == D("16.75")


def test_ams_9_5_rounds_half_up_to_21_00(priced, doc):
    # docs/rules.md §F, golden KC02: 9.5 × 2.21 = 20.995 → 21.00 (a float gives 20.99);
    # kiné 60 %: 12.60; franchise 1 € → 11.60.
    result = priced(
        doc(
            profession="masseur_kinesitherapeute",
            ps={"specialite": None},
            acts=[{"code": "AMS", "coefficient": D("9.5")}],
        )
    )
    act = result["per_act"][0]
    assert (act["br"], act["taux_amo"], act["amo"]) == (D("21.00"), 60, D("12.60"))
    assert result["franchise"] == D("1.00")
    assert result["amo_net"] == D("11.60")


def test_forfait_24_replaces_the_tm_of_an_act_of_120_euros_or_more(priced, doc):
    # docs/rules.md §D.6: an act of 150 € (≥ 120): AMO pays 150 − 24 = 126.00 (100 % minus the
    # forfait), the AMC 052 pays the remaining TM 24.00.
    result = priced(
        doc(
            acts=[{"code": "NFKA008", "nomenclature": "CCAM", "unit_price": 150}],
            amc={"formula": "052"},
        )
    )
    act = result["per_act"][0]
    assert (act["amo"], act["forfait_24"], act["amc"]) == (D("126.00"), D("24.00"), D("24.00"))
    assert result["forfait_acte_lourd_24"] == D("24.00")


def test_forfait_24_exempt_for_ald_related_care(priced, doc):
    # docs/rules.md §D.6: exempt for ALD-related care: 150 € at 100 % → AMO 150.00, no forfait.
    result = priced(
        doc(
            patient={"ald": True},
            soins_en_rapport_ald=True,
            acts=[{"code": "NFKA008", "nomenclature": "CCAM", "unit_price": 150}],
        )
    )
    assert result["amo_brut"] == D("150.00")
    assert result["forfait_acte_lourd_24"] == D("0.00")


def test_ebd_bda_60_40_with_amc(priced, doc):
    # docs/rules.md §A.8/D.1, dossier LOGOSw: from 01/04/2025 BDA 40 € → AMO 60 % = 24.00, AMC
    # 40 % = 16.00 (052: TM), tiers payant AMO + AMC compulsory → 0 at the desk.
    result = priced(
        doc(
            date_soins="2025-06-02",
            profession="chirurgien_dentiste",
            ps={"specialite": None},
            patient={"age": 10, "parcours": "non_concerne"},
            acts=[{"code": "BDA"}],
            amc={"formula": "052"},
        )
    )
    act = result["per_act"][0]
    assert (act["taux_amo"], act["amo"], act["amc"]) == (60, D("24.00"), D("16.00"))
    assert result["tiers_payant"] == {"amo": True, "amc": True}
    assert result["a_regler_par_patient_au_ps"] == D("0.00")


def test_ebd_without_amc_is_100_percent_amo_with_exo_7(priced, doc):
    # dossier LOGOSw: no complementary cover, 3–24 years → exonération prévention (exo 7): 40.00.
    result = priced(
        doc(
            date_soins="2025-06-02",
            profession="chirurgien_dentiste",
            ps={"specialite": None},
            patient={"age": 10, "parcours": "non_concerne"},
            acts=[{"code": "BDA"}],
        )
    )
    act = result["per_act"][0]
    assert (act["taux_amo"], act["amo"], act["exo"]) == (100, D("40.00"), "7")


def test_coe_54_before_and_60_from_2026(priced, doc):
    # docs/rules.md §A.2/C: COE 54 € (22/12/2024–31/12/2025), 60 € from 01/01/2026; 100 %.
    before = priced(doc(date_soins="2025-12-31", acts=[{"code": "COE", "nomenclature": "COX"}]))
    after = priced(doc(date_soins="2026-01-01", acts=[{"code": "COE", "nomenclature": "COX"}]))
    assert before["per_act"][0]["amo"] == D("54.00")
    assert after["per_act"][0]["amo"] == D("60.00")
    assert after["per_act"][0]["taux_amo"] == 100


def test_g_26_50_before_and_30_from_22_december_2024(priced, doc):
    # docs/rules.md §0: G 26.50 until 21/12/2024, 30.00 from 22/12/2024.
    assert priced(doc(date_soins="2024-12-21"))["total_br"] == D("26.50")
    assert priced(doc(date_soins="2024-12-22"))["total_br"] == D("30.00")


def test_soins_medicaux_gratuits_100_percent_pf_exempt(priced, doc):
    # docs/rules.md §D.1: soins médicaux gratuits (L212-1) 100 %, exempt PF; manuel eS-KAP+
    # « Montant de la prise en charge SMG » 200 → not reached by a 30 € G.
    result = priced(doc(nature_assurance="smg", smg_amount=200))
    assert result["amo_net"] == D("30.00")
    assert result["tiers_payant"]["amo"] is True


def test_secteur_2_non_optam_c_plus_depassement_capped_by_contrat_responsable(priced, doc):
    # C 23 + dépassement 30 (DR 53); AMO 16.10. Formula 021 at 300 % TR = 69.00.
    # Contrat responsable (R871-2): non-OPTAM dépassement covered ≤ 100 % BR = 23 →
    # AMC = min(23 + 23 − 16.10, 69) = 29.90; patient 53 − 16.10 − 29.90 = 7.00.
    draft = doc(
        ps={"specialite": "cardiologie", "secteur": 2, "optam": False},
        acts=[{"code": "C", "qualificatif": "D", "depassement": 30}],
        amc={"formula": "021", "parameter": 300, "contrat_responsable": True},
    )
    act = priced(draft)["per_act"][0]
    assert (act["honoraires"], act["amo"], act["amc"], act["patient"]) == (
        D("53.00"),
        D("16.10"),
        D("29.90"),
        D("7.00"),
    )
    # Not responsable: min(53 − 16.10, 69) = 36.90, nothing left to the patient.
    draft["amc"] = {"formula": "021", "parameter": 300, "contrat_responsable": False}
    assert priced(draft)["per_act"][0]["amc"] == D("36.90")


def test_formula_02a_with_parameter_150_percent_tr(priced, doc):
    # docs/rules.md §E: 02A = min(DR − MRO, p % × TR − MRO): C 23 + dépassement 20 (DR 43),
    # MRO 16.10: min(26.90, 1.5 × 23 − 16.10 = 18.40) = 18.40; patient 43 − 34.50 = 8.50.
    result = priced(
        doc(
            ps={"secteur": 2, "optam": True},
            acts=[{"code": "C", "qualificatif": "D", "depassement": 20}],
            amc={"formula": "02A", "parameter": 150},
        )
    )
    act = result["per_act"][0]
    assert (act["amc"], act["patient"]) == (D("18.40"), D("8.50"))
