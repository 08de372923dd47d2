"""« Corriger et refacturer »: the new invoice's screen starts from the rejected one, the
mutuelle and the Inter-AMC convention chosen the first time included."""

from __future__ import annotations

from datetime import date

from openfse.store.models import Invoice
from openfse.web.ui import invoice_prefill, pricing_form


def _rejected(**columns: object) -> Invoice:
    invoice = Invoice(id=41, professional_id=3, patient_id=7, date_soins=date(2026, 11, 30),
                      nature_assurance="maladie", parcours="medecin_traitant",
                      tiers_payant_amo=True, tiers_payant_amc=True, **columns)
    invoice.acts = []
    return invoice


def test_the_convention_chosen_for_the_mutuelle_is_offered_again() -> None:
    old = _rejected(amc_coverage_id=12, amc_number="98532001", amc_convention_type="AL",
                    amc_csr="001")
    form = invoice_prefill.form_of(old, pricing_form.default_form(date(2026, 12, 6)))
    assert form["amc_coverage"] == "12"
    assert (form["amc_convention"], form["amc_convention_amc"]) == ("AL|001", "98532001")
    assert form["date_soins"] == "30/11/2026" and form["replaces_id"] == "41"


def test_without_a_convention_none_is_chosen() -> None:
    old = _rejected(amc_coverage_id=12, amc_number="98532001")
    form = invoice_prefill.form_of(old, pricing_form.default_form(date(2026, 12, 6)))
    assert not form.get("amc_convention")
