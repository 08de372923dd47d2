"""The simulated caisse's own table of common amounts (issue 11 point 6): it agrees with a
right FSE line and names what disagrees in a wrong one, without the product's engine.

Worked examples (ameli.fr tariffs, openfse/simulators/caisse/tariffs.py):
- G on 02/03/2026: 30,00 € (since 22/12/2024), AMO 70 % = 21,00 €, participation forfaitaire
  2,00 € (art. L.160-13 CSS);
- AMI 4.5 on 02/03/2026: 4.5 × 3,15 € = 14,175 → 14,18 €, AMO 60 % = 8,51 € (8,508);
  a second act of the same session at half (NGAP art. 11 B): 7,09 €.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from openfse.simulators.caisse.tariffs import amounts_problem
from openfse.simulators.caisse.wire import ActLine, InvoiceRecord

DAY = date(2026, 3, 2)


def act(code: str, coefficient: str, base: str, rate: str, amo: str, *,
        nomenclature: str = "NGAP") -> ActLine:
    return ActLine(date=DAY, nomenclature=nomenclature, code=code, quantity=1,
                   coefficient=Decimal(coefficient), modifiers="", exo="",
                   honoraires=Decimal(base), base=Decimal(base), rate=Decimal(rate),
                   amo=Decimal(amo), amc=Decimal("0.00"))


def invoice(*acts: ActLine, participations: str = "2.00",
            organisme: str = "017519881") -> InvoiceRecord:
    total = sum((a.honoraires for a in acts), Decimal("0.00"))
    amo = sum((a.amo for a in acts), Decimal("0.00"))
    return InvoiceRecord(
        number="000000001", nir="178047511501217", birth_date="19780412", rang=1,
        organisme=organisme, amc_number="", care_date=DAY, secure_mode="securise",
        tiers_payant_amo=True, tiers_payant_amc=False, acts=acts, total=total, amo=amo,
        amc=Decimal("0.00"), patient=total - amo, participations=Decimal(participations),
        requested=amo)


def test_a_right_consultation_and_a_right_nurse_round_pass() -> None:
    assert amounts_problem(invoice(act("G", "1", "30.00", "70.00", "21.00"))) == ""
    nurse = invoice(act("AMI", "4.5", "14.18", "60.00", "8.51"),
                    act("AMI", "4.5", "7.09", "60.00", "4.25"), participations="2.00")
    assert amounts_problem(nurse) == ""
    # Alsace-Moselle 90 %, ALD 100 %: rates the caisse pays.
    assert amounts_problem(invoice(act("G", "1", "30.00", "90.00", "27.00"))) == ""
    assert amounts_problem(invoice(act("G", "1", "30.00", "100.00", "30.00"),
                                   participations="0.00")) == ""


def test_a_wrong_tariff_rate_share_or_participation_is_named() -> None:
    assert amounts_problem(invoice(act("G", "1", "25.00", "70.00", "17.50"))) == (
        "acte G : base 25,00 €, tarif 30,00 € (1 × 30,00 €)")
    assert amounts_problem(invoice(act("G", "1", "30.00", "65.00", "19.50"))) == (
        "acte G : taux AMO 65.00 % inconnu de la caisse")
    assert amounts_problem(invoice(act("G", "1", "30.00", "70.00", "22.00"))) == (
        "acte G : part AMO 22,00 €, au plus 21,00 € (70.00 % de 30,00 €)")
    assert amounts_problem(invoice(act("G", "1", "30.00", "70.00", "21.00"),
                                   participations="3.00")) == (
        "participations 3,00 €, au plus 2,00 € pour ces actes")


def test_billing_under_the_tariff_is_accepted_but_not_an_old_tariff() -> None:
    under = act("G", "1", "28.00", "70.00", "19.60")  # honoraires 28,00 €, base = honoraires
    assert amounts_problem(invoice(under)) == ""
    old = act("G", "1", "26.50", "70.00", "18.55")  # the 2024 value on a 2026 consultation
    assert amounts_problem(invoice(old)) == "acte G : base 26,50 €, tarif 30,00 € (1 × 30,00 €)"


def test_what_the_table_does_not_know_is_not_priced_here() -> None:
    ccam = act("QZJA002", "1", "48.00", "100.00", "24.00", nomenclature="CCAM")  # forfait 24 €
    assert amounts_problem(invoice(ccam)) == ""
    overseas = invoice(act("G", "1", "32.00", "70.00", "22.40"), organisme="019711000")
    assert amounts_problem(overseas) == ""
    before = replace(act("G", "1", "26.50", "70.00", "18.55"), date=date(2024, 6, 3))
    assert amounts_problem(invoice(before)) == ""
