"""AMC share: formulas (docs/rules.md §E), C2S and sortants, gestion unique/séparée."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from openfse.domain.pricing import DraftError


def amc_of(priced, doc, amc, **changes):
    return priced(doc(amc=amc, **changes))["per_act"][0]["amc"]


@pytest.mark.parametrize(
    ("amc", "expected"),
    [
        # G 30 + DE 10 (DR 40), AMO 21.00, TR 30, TM 9.
        ({"formula": "020"}, D("19.00")),  # min(40 − 21, 100 % × 30) = 19
        ({"formula": "029"}, D("9.00")),  # min(19, 30 − 21) = 9
        ({"formula": "012", "parameter": 25}, D("10.00")),  # min(19, 25 % × 40) = 10
        ({"formula": "021", "parameter": 50}, D("15.00")),  # min(19, 50 % × 30) = 15
        ({"formula": "050", "parameter": 50}, D("4.50")),  # min(19, 50 % × 9) = 4.50
        ({"formula": "052"}, D("9.00")),  # min(19, 9) = 9
        ({"formula": "02a", "parameter": 200}, D("19.00")),  # min(19, 60 − 21 = 39) = 19
    ],
)
def test_formulas_on_a_g_with_exigence_particuliere(priced, doc, amc, expected):
    act = [{"code": "G", "qualificatif": "E", "depassement": 10}]
    assert amc_of(priced, doc, amc, acts=act) == expected


def test_unknown_formula_is_refused(priced, doc):
    with pytest.raises(DraftError) as raised:
        priced(doc(amc={"formula": "999"}))
    assert raised.value.field == "amc.formula"


def test_formula_parameter_required_or_forbidden(priced, doc):
    with pytest.raises(DraftError) as missing:
        priced(doc(amc={"formula": "021"}))
    with pytest.raises(DraftError) as extra:
        priced(doc(amc={"formula": "052", "parameter": 50}))
    assert missing.value.field == extra.value.field == "amc.parameter"


def test_c2s_replaces_a_typed_amc_formula(priced, doc, warning_codes):
    # C2S (« type contrat 89 ») pays TR − MRO whatever formula was typed.
    result = priced(doc(patient={"c2s": True}, amc={"formula": "050", "parameter": 10}))
    assert result["per_act"][0]["amc"] == D("9.00")
    assert "c2s_remplace_amc" in warning_codes(result)


def test_sortant_c2s_55555551_has_only_amo_tiers_payant(priced, doc, warning_codes):
    # dossier LOGOSw « Sortants de CSS au sens SESAM-Vitale »: no AMC, tiers payant AMO only,
    # PF due: the patient pays 30 − 21 = 9.00 at the desk.
    result = priced(doc(patient={"sortant_c2s": "55555551"}))
    assert (result["amc"], result["participation_forfaitaire"]) == (D("0.00"), D("2.00"))
    assert result["tiers_payant"] == {"amo": True, "amc": False}
    assert result["a_regler_par_patient_au_ps"] == D("9.00")
    assert "tiers_payant_obligatoire" in warning_codes(result)


def test_sortant_c2s_with_a_paper_amc_uses_it(priced, doc):
    # dossier LOGOSw: the 55555551 patient presents a paper AMC attestation → evaluated normally.
    result = priced(doc(patient={"sortant_c2s": True}, amc={"formula": "052"}))
    assert result["amc"] == D("9.00")


def test_c2s_contrat_de_sortie_covers_the_tm_like_the_c2s(priced, doc):
    # dossier LOGOSw « contrat de sortie »: « fonctionnement identique à la CSS »: TM 9.00 covered.
    result = priced(doc(patient={"sortant_c2s": "contrat_sortie"}))
    assert (result["amc"], result["patient"]) == (D("9.00"), D("0.00"))


def test_amc_never_pays_more_than_what_the_amo_left(priced, doc):
    # 021 at 300 % TR = 90 but DR − MRO = 9.00.
    assert amc_of(priced, doc, {"formula": "021", "parameter": 300}) == D("9.00")


def test_optam_depassement_is_not_capped_by_the_responsable_rule(priced, doc):
    # R871-2 caps non-OPTAM dépassements only: OPTAM CS 26.50 + D 40 (DR 66.50), AMO 18.55,
    # 020 = min(47.95, 26.50) = 26.50 and 021 at 300 % = min(47.95, 79.50) = 47.95.
    acts = [{"code": "CS", "qualificatif": "D", "depassement": 40}]
    ps = {"specialite": "dermatologie", "secteur": 2, "optam": True}
    assert amc_of(priced, doc, {"formula": "021", "parameter": 300}, acts=acts, ps=ps) == D("47.95")
