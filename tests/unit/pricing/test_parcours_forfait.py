"""Parcours de soins (hors-parcours majoration, D.3) and the 24 € forfait actes lourds (D.6)."""

from __future__ import annotations

from decimal import Decimal as D


def heavy(price, **keys):
    return {"code": "NFKA008", "nomenclature": "CCAM", "unit_price": price, **keys}


# --- Parcours de soins ----------------------------------------------------------------------


def test_hors_parcours_majoration_is_capped_at_40_percent_of_g(priced, doc, warning_codes):
    # D.3 (L): APC 60: 70 % = 42.00; 40 points = 24.00 > cap 40 % × G 30 = 12.00 → AMO 30.00.
    result = priced(
        doc(
            ps={"specialite": "cardiologie"},
            patient={"parcours": "hors_parcours"},
            acts=[{"code": "APC"}],
        )
    )
    assert result["per_act"][0]["amo"] == D("30.00")
    assert "hors_parcours_plafond" in warning_codes(result)


def test_no_hors_parcours_majoration_under_16(priced, doc, warning_codes):
    result = priced(doc(patient={"age": 15, "parcours": "hors_parcours"}))
    assert result["per_act"][0]["amo"] == D("21.00")
    assert warning_codes(result) == ["hors_parcours_mineur"]


def test_missing_parcours_is_treated_as_in_parcours_with_a_warning(priced, doc, warning_codes):
    result = priced(doc(patient={"parcours": None}))
    assert result["per_act"][0]["amo"] == D("21.00")
    assert warning_codes(result) == ["parcours_non_renseigne"]


def test_acces_direct_is_checked_against_the_speciality(priced, doc, warning_codes):
    # docs/formats/price.md acces_direct: gynécologie, ophtalmologie, psychiatrie 16–25,
    # stomatologie.
    ok = priced(
        doc(
            ps={"specialite": "ophtalmologie"},
            patient={"parcours": "acces_direct"},
            acts=[{"code": "CS"}],
        )
    )
    odd = priced(
        doc(
            ps={"specialite": "cardiologie"},
            patient={"parcours": "acces_direct"},
            acts=[{"code": "CS"}],
        )
    )
    assert ok["warnings"] == [] and ok["per_act"][0]["taux_amo"] == 70
    assert warning_codes(odd) == ["acces_direct_specialite"]


def test_the_parcours_concerns_physicians_only(priced, doc):
    # A kiné is not concerned: AMS 8 × 2.21 = 17.68 × 60 % = 10.608 → 10.61.
    result = priced(
        doc(
            profession="masseur_kinesitherapeute",
            ps={"specialite": None},
            patient={"parcours": "hors_parcours"},
            acts=[{"code": "AMS", "coefficient": 8}],
        )
    )
    assert result["per_act"][0]["amo"] == D("10.61")


def test_contrat_responsable_does_not_cover_the_hors_parcours_majoration(priced, doc):
    # D.3 / docs/rules.md §H.9 (GC06): G hors parcours: AMO 9.00; a contrat responsable 052
    # pays the TM as in the parcours (30 − 21 = 9.00), the patient keeps the 12.00 majoration;
    # a non-responsable contract pays 30 − 9 = 21.00; the C2S covers it too.
    hors = {"parcours": "hors_parcours"}
    responsable = priced(doc(patient=hors, amc={"formula": "052"}))
    libre = priced(doc(patient=hors, amc={"formula": "052", "contrat_responsable": False}))
    c2s = priced(doc(patient={**hors, "c2s": True}))
    assert [r["per_act"][0]["amc"] for r in (responsable, libre, c2s)] == [
        D("9.00"),
        D("21.00"),
        D("21.00"),
    ]
    assert responsable["patient"] == D("12.00")


def test_contrat_responsable_does_not_cover_a_da_hors_parcours(priced, doc):
    # R871-2: CS 26.50 hors parcours + DA 4.00 (A) = DR 30.50. AMO: 26.50 × 70 % = 18.55
    # minus the majoration 26.50 × 40 % = 10.60 → 7.95. Formula 020 (100 % TR) in a contrat
    # responsable sees MRO as in parcours (18.55) and DR without the DA (26.50):
    # min(26.50 − 18.55, 26.50) = 7.95. Patient 30.50 − 7.95 − 7.95 = 14.60 (10.60 + 4.00).
    result = priced(
        doc(
            ps={"specialite": "rhumatologie"},
            patient={"parcours": "hors_parcours"},
            acts=[{"code": "CS", "qualificatif": "A", "depassement": 4}],
            amc={"formula": "020"},
        )
    )
    act = result["per_act"][0]
    assert (act["amo"], act["amc"], act["patient"]) == (D("7.95"), D("7.95"), D("14.60"))


# --- Forfait 24 € -----------------------------------------------------------------------------


def test_forfait_cumulates_the_acts_of_the_session(priced, doc):
    # D.6: 70 + 60 = 130 ≥ 120 → one forfait of 24 € taken on the highest act:
    # AMO 70 − 24 = 46.00 and 60.00; total AMO 106.00.
    result = priced(doc(acts=[heavy(70, association_code=1), heavy(60, association_code=4)]))
    assert [a["amo"] for a in result["per_act"]] == [D("46.00"), D("60.00")]
    assert result["forfait_acte_lourd_24"] == D("24.00")


def test_forfait_by_coefficient_60(priced, doc):
    # D.6: NGAP coefficient ≥ 60: K 60 × 1.92 = 115.20 < 120 but coefficient 60 → forfait:
    # AMO 115.20 − 24 = 91.20.
    result = priced(doc(acts=[{"code": "K", "unit_price": D("1.92"), "coefficient": 60}]))
    assert result["amo_brut"] == D("91.20")


def test_no_forfait_below_120(priced, doc):
    # 119.99 × 70 % = 83.993 → 83.99.
    result = priced(doc(acts=[heavy(D("119.99"))]))
    assert (result["amo_brut"], result["forfait_acte_lourd_24"]) == (D("83.99"), D("0.00"))


def test_forfait_sessions_are_per_day(priced, doc):
    # 70 on 03/03 and 60 on 04/03: two sessions under 120, no forfait: 49.00 + 42.00.
    result = priced(doc(acts=[heavy(70), heavy(60, date="2025-03-04")]))
    assert result["amo_brut"] == D("91.00")


def test_forfait_exemptions(priced, doc):
    # D.6: C2S, maternité, AT/MP, Alsace-Moselle (the régime local pays it, M).
    acts = [heavy(150)]
    c2s = priced(doc(patient={"c2s": True}, acts=acts))
    maternite = priced(doc(nature_assurance="maternite", acts=acts))
    at = priced(doc(nature_assurance="at", acts=acts))
    alsace = priced(doc(patient={"regime_local_alsace_moselle": True}, acts=acts))
    assert [r["forfait_acte_lourd_24"] for r in (c2s, maternite, at, alsace)] == [D("0.00")] * 4
    assert alsace["amo_brut"] == D("135.00")  # 150 × 90 %


def test_forfait_was_18_euros_before_2019(priced, doc):
    # D.6: 18 € until 31/12/2018: 150 − 18 = 132.00.
    result = priced(doc(date_soins="2018-06-01", acts=[heavy(150)]))
    assert result["amo_brut"] == D("132.00")
