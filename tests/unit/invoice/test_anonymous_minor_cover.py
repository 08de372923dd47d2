"""Santé sexuelle, anonymous minor: the invoice is in full tiers payant (``normalized``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from openfse.domain.invoice import InvoiceDraft, SecureMode
from openfse.domain.pricing import ActDraft, AmcContract, PatientContext, ReferentialTariffs, price
from openfse.domain.pricing import InvoiceDraft as PricingDraft
from openfse.domain.pricing.codes import Exo, Profession
from openfse.domain.pricing.draft import TiersPayant

DAY = date(2026, 3, 2)


def _g_for_a_minor(**kwargs: object) -> InvoiceDraft:
    pricing = PricingDraft(date_soins=DAY, profession=Profession.MEDECIN,
                           acts=(ActDraft("G"),), patient=PatientContext(age=15),
                           amc=AmcContract("02A", Decimal("100")),
                           tiers_payant=TiersPayant(amo=False, amc=True))
    return InvoiceDraft(professional_id=1, patient_id=2, pricing=pricing,
                        **kwargs)  # type: ignore[arg-type]


def test_anonymous_minor_pays_nothing_the_caisse_pays_everything_to_the_ps() -> None:
    # Rule « mineur anonyme en santé sexuelle » (manuel eS-KAP+; docs/rules.md §D.2 exo 7
    # prévention → 100 %, D.7 tiers payant): G 30,00 → AMO 100 % = 30,00 paid to the PS in
    # tiers payant AMO; no mutuelle is told (AMC 0,00); the minor pays 0,00.
    draft = _g_for_a_minor(sante_sexuelle=True, anonymous_minor=True,
                           secure_mode=SecureMode.SESAM_SANS_VITALE).normalized()

    assert draft.pricing.exo is Exo.PREVENTION and draft.pricing.amc is None
    assert draft.pricing.tiers_payant == TiersPayant(amo=True, amc=False)
    priced = price(draft.pricing, ReferentialTariffs())
    assert (priced.amo_brut, priced.amc, priced.patient) == (
        Decimal("30.00"), Decimal("0.00"), Decimal("0.00"))
    assert draft.normalized() == draft  # idempotent


def test_without_anonymity_the_draft_is_unchanged() -> None:
    draft = _g_for_a_minor(sante_sexuelle=True)

    assert draft.normalized().pricing == draft.pricing
