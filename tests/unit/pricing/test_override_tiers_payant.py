"""Manual AMO/AMC amounts (manuel eS-KAP+ « Détails de l'acte ») and tiers payant (D.7)."""

from __future__ import annotations

from decimal import Decimal as D

SEED = {
    "date_soins": "2025-01-01",
    "ps": {"specialite": "anesthesie_reanimation", "secteur": 2, "optam": False},
    "amc": {"formula": "052"},
    "tiers_payant": {"amo": True, "amc": True},
}


def seed_acts(c_keys):
    return [{"code": "C", **c_keys}, {"code": "AFLB001", "nomenclature": "CCAM"}]


# --- Overrides --------------------------------------------------------------------------------


def test_raising_the_amo_by_hand_gives_a_negative_patient_share(priced, doc, warning_codes):
    # manuel eS-KAP+: AMO of the C changed 16.10 → 19: Total Caisse 19 + 35.39 = 54.39, Total
    # Mutuelle 22.07 unchanged, Total Assuré −2.90: reported, not hidden.
    result = priced(doc(acts=seed_acts({"amo_override": 19}), **SEED))
    assert result["amo_brut"] == D("54.39")
    assert result["amc"] == D("22.07")
    assert result["per_act"][0]["patient"] == D("-2.90")
    assert result["patient"] == D("-2.90")
    assert warning_codes(result) == ["part_patient_negative"]


def test_then_lowering_the_amc_settles_the_patient_share(priced, doc):
    # manuel eS-KAP+: AMC of the C lowered to 4.00 → Total Mutuelle 4 + 15.17 = 19.17, Assuré 0.
    result = priced(doc(acts=seed_acts({"override": {"amo": 19, "amc": 4}}), **SEED))
    assert (result["amo_brut"], result["amc"], result["patient"]) == (
        D("54.39"),
        D("19.17"),
        D("0.00"),
    )
    assert result["warnings"] == []
    act = result["per_act"][0]
    assert act["amo"] + act["amc"] + act["patient"] == act["honoraires"]


def test_an_amo_above_the_br_is_flagged(priced, doc, warning_codes):
    result = priced(doc(acts=[{"code": "G", "amo_override": 31}]))
    assert warning_codes(result) == ["amo_superieure_base", "part_patient_negative"]
    assert result["per_act"][0]["patient"] == D("-1.00")


# --- Tiers payant -----------------------------------------------------------------------------


def test_without_tiers_payant_the_patient_pays_everything(priced, doc):
    result = priced(doc(amc={"formula": "052"}))
    assert result["a_regler_par_patient_au_ps"] == D("30.00")
    assert result["paiements"] == {
        "caisse": D("0.00"),
        "organisme_amc": D("0.00"),
        "patient": D("30.00"),
    }


def test_tiers_payant_amo_only(priced, doc):
    # The caisse pays the gross AMO 21.00 (PF recovered later, D.4): 30 − 21 = 9.00 at the desk.
    result = priced(doc(amc={"formula": "052"}, tiers_payant={"amo": True, "amc": False}))
    assert result["a_regler_par_patient_au_ps"] == D("9.00")


def test_tiers_payant_amo_and_amc_gestion_separee(priced, doc):
    result = priced(
        doc(amc={"formula": "052", "gestion": "separee"}, tiers_payant={"amo": True, "amc": True})
    )
    assert result["paiements"] == {
        "caisse": D("21.00"),
        "organisme_amc": D("9.00"),
        "patient": D("0.00"),
    }


def test_gestion_unique_the_caisse_pays_both_shares(priced, doc):
    result = priced(
        doc(amc={"formula": "052", "gestion": "unique"}, tiers_payant={"amo": True, "amc": True})
    )
    assert result["paiements"] == {
        "caisse": D("30.00"),
        "organisme_amc": D("0.00"),
        "patient": D("0.00"),
    }


def test_gestion_unique_amc_tiers_payant_without_amo_is_flagged(priced, doc, warning_codes):
    result = priced(
        doc(amc={"formula": "052", "gestion": "unique"}, tiers_payant={"amo": False, "amc": True})
    )
    assert warning_codes(result) == ["gestion_unique_sans_tp_amo"]
    assert result["a_regler_par_patient_au_ps"] == D("21.00")


def test_amc_tiers_payant_without_amc_is_ignored(priced, doc, warning_codes):
    result = priced(doc(tiers_payant={"amo": True, "amc": True}))
    assert result["tiers_payant"] == {"amo": True, "amc": False}
    assert warning_codes(result) == ["tiers_payant_amc_sans_amc"]


def test_ald_related_invoice_gets_compulsory_amo_tiers_payant(priced, doc):
    # D.7: ALD-related care → tiers payant AMO; an invoice mixing unrelated care is not forced.
    related = priced(doc(patient={"ald": True}, soins_en_rapport_ald=True))
    mixed = priced(
        doc(
            patient={"ald": True}, acts=[{"code": "G", "soins_en_rapport_ald": True}, {"code": "G"}]
        )
    )
    assert related["tiers_payant"]["amo"] is True
    assert mixed["tiers_payant"]["amo"] is False


def test_maternite_gets_compulsory_amo_tiers_payant(priced, doc):
    result = priced(doc(nature_assurance="maternite"))
    assert result["a_regler_par_patient_au_ps"] == D("0.00")
