"""Issue 13 defect 16: a victim of terrorism is covered at 100 % (exonération du ticket
modérateur), in tiers payant, without participation forfaitaire nor franchise — Code de la
sécurité sociale, art. L169-1 to L169-11 (Légifrance)."""

from __future__ import annotations

from decimal import Decimal

from openfse.domain.pricing import price_document

GP = {"date_soins": "2026-03-02", "profession": "medecin",
      "ps": {"specialite": "medecine_generale", "secteur": 1},
      "acts": [{"code": "G"}]}


def test_a_victim_of_terrorism_is_covered_at_100_percent() -> None:
    # G 30.00 → AMO 30.00 (100 %), no PF (2 € otherwise), nothing to pay at the desk.
    priced = price_document({**GP, "patient": {"parcours": "medecin_traitant",
                                               "victime_attentat": True}})
    per_act = priced["per_act"]
    assert isinstance(per_act, list)
    assert [act["taux_amo"] for act in per_act] == [Decimal(100)]
    assert (priced["amo_brut"], priced["participation_forfaitaire"]) == (Decimal("30.00"),
                                                                        Decimal("0.00"))
    assert priced["a_regler_par_patient_au_ps"] == Decimal("0.00")


def test_a_nurse_act_for_a_victim_bears_no_franchise() -> None:
    # AMI 4.5 × 3.15 = 14.18 at 100 %, no franchise (1 € otherwise).
    priced = price_document({"date_soins": "2026-03-02", "profession": "infirmier",
                             "patient": {"victime_attentat": True},
                             "acts": [{"code": "AMI", "coefficient": 4.5}]})
    assert (priced["amo_brut"], priced["franchise"]) == (Decimal("14.18"), Decimal("0.00"))
