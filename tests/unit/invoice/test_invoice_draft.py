"""The invoice draft: lines billed (indemnité forfaitaire, grouping), manual amounts, anonymous
minor, and the values the screens accept."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from openfse.domain.invoice import (
    AccidentTravail,
    ActDetails,
    AmoServiceForcing,
    Attachment,
    BillTo,
    InvalidInvoice,
    InvoiceAct,
    InvoiceDraft,
    SecureMode,
    anonymous_minor_nir,
    group_identical_acts,
)
from openfse.domain.pricing import ActDraft, AmountOverride, ReferentialTariffs, price
from openfse.domain.pricing import InvoiceDraft as PricingDraft
from openfse.domain.pricing.codes import Nomenclature, Profession
from openfse.ids import nir

DAY = date(2026, 3, 2)


def _draft(*acts: ActDraft, details: tuple[ActDetails, ...] = (), **kwargs: object
           ) -> InvoiceDraft:
    pricing = PricingDraft(date_soins=DAY, profession=Profession.INFIRMIER, acts=acts)
    return InvoiceDraft(professional_id=1, patient_id=2, pricing=pricing, act_details=details,
                        **kwargs)  # type: ignore[arg-type]


def test_act_details_must_match_the_acts() -> None:
    with pytest.raises(InvalidInvoice):
        _draft(ActDraft("AMI"), details=(ActDetails(), ActDetails()))


def test_indemnite_forfaitaire_on_an_act_becomes_its_own_line_right_after_it() -> None:
    draft = _draft(ActDraft("AMI", coefficient=Decimal("4.5")), ActDraft("AIS", coefficient=3),
                   details=(ActDetails(indemnite_forfaitaire="IFD"), ActDetails()))

    lines = draft.normalized().acts

    assert [line.act.code for line in lines] == ["AMI", "IFD", "AIS"]
    assert lines[0].details.indemnite_forfaitaire == ""  # consumed: normalizing is idempotent
    assert draft.normalized().normalized() == draft.normalized()


def test_the_allowance_line_is_priced_by_the_engine() -> None:
    # AMI 4.5 × 3.15 = 14.175 → 14.18 ; IFD 2.75 (docs/rules.md §A.5) ; total 16.93.
    draft = _draft(ActDraft("AMI", coefficient=Decimal("4.5")),
                   details=(ActDetails(indemnite_forfaitaire="IFD"),)).normalized()

    priced = price(draft.pricing, ReferentialTariffs())

    assert [a.honoraires for a in priced.acts] == [Decimal("14.18"), Decimal("2.75")]
    assert priced.total_honoraires == Decimal("16.93")


def test_identical_acts_are_grouped_only_when_asked() -> None:
    ami = ActDraft("AMI", coefficient=Decimal("2"))
    draft = _draft(ami, ActDraft("AIS", coefficient=3), ami)

    assert len(draft.normalized().acts) == 3
    grouped = replace(draft, group_identical=True).normalized().acts
    assert [(line.act.code, line.act.quantity) for line in grouped] == [("AMI", 2), ("AIS", None)]


def test_acts_differing_in_anything_but_quantity_are_not_identical() -> None:
    lines = [InvoiceAct(ActDraft("AMI", coefficient=Decimal("2"), quantity=2)),
             InvoiceAct(ActDraft("AMI", coefficient=Decimal("3"))),
             InvoiceAct(ActDraft("AMI", coefficient=Decimal("2"), date=date(2026, 3, 1))),
             InvoiceAct(ActDraft("AMI", coefficient=Decimal("2")), ActDetails(serie=True)),
             InvoiceAct(ActDraft("AMI", coefficient=Decimal("2")))]

    grouped = group_identical_acts(lines)

    # Only the first and the last are identical: 2 + 1 = 3.
    assert [line.act.quantity for line in grouped] == [3, None, None, None]


def test_ik_by_distance_and_manual_amounts_are_never_grouped() -> None:
    # Two trips of 7 km: 2 × (2 × 7 − 4) = 20 km, not 2 × 14 − 4 = 24 (NGAP art. 13 C).
    ik = ActDraft("IK", distance_km=Decimal(7))
    manual = ActDraft("AMI", override=AmountOverride(amo=Decimal("5.00")))

    grouped = group_identical_acts([InvoiceAct(ik), InvoiceAct(ik), InvoiceAct(manual),
                                    InvoiceAct(manual)])

    assert len(grouped) == 4


def test_an_override_replaces_the_amo_and_the_patient_share_follows() -> None:
    # Manuel eS-KAP+ « Détails de l'acte »: C 23 €, AMO 16.10 typed as 19 → assuré 23 − 19 − 0 < 0
    # is shown (-2.90 € with the AMC 052 6.90 of the seed; here without AMC: 23 − 19 = 4.00).
    pricing = PricingDraft(date_soins=DAY, profession=Profession.MEDECIN, acts=(ActDraft("C"),))
    draft = InvoiceDraft(1, 2, pricing).with_override(0, amo=Decimal("19.00"), amc=None)

    priced = price(draft.pricing, ReferentialTariffs())

    assert (priced.acts[0].amo, priced.acts[0].patient) == (Decimal("19.00"), Decimal("4.00"))
    assert draft.with_override(0, amo=None, amc=None).pricing.acts[0].override is None
    with pytest.raises(InvalidInvoice):
        draft.with_override(3, amo=Decimal(1), amc=None)


def test_anonymous_minor_forces_sesam_sans_vitale_and_gets_a_valid_nir_anonyme() -> None:
    draft = _draft(ActDraft("AMI")).for_anonymous_minor()

    assert (draft.secure_mode, draft.sante_sexuelle) == (SecureMode.SESAM_SANS_VITALE, True)
    # « 2 55 55 55 CCC 042 » + clé: 97 − (2555555751042 mod 97) = 24.
    assert anonymous_minor_nir("751") == "255555575104224"
    assert nir.is_valid(anonymous_minor_nir("921"))
    with pytest.raises(InvalidInvoice):
        anonymous_minor_nir("75")


@pytest.mark.parametrize("build", [
    lambda: AccidentTravail(organisme="01349988"),  # 8 digits
    lambda: AccidentTravail(identifiant="12345678901"),
    lambda: AccidentTravail(code="ABC"),
    lambda: AmoServiceForcing("10", date(2026, 3, 2), date(2026, 3, 1)),
    lambda: AmoServiceForcing("", date(2026, 3, 2)),
    lambda: BillTo(name=" "),
    lambda: BillTo(name="SARL", siret="123"),
    lambda: Attachment("image/gif", b"GIF89a"),
    lambda: Attachment("image/png", b""),
    lambda: ActDetails(indemnite_forfaitaire="IF-D"),
])
def test_impossible_values_are_refused_with_a_french_message(build: object) -> None:
    with pytest.raises(InvalidInvoice) as error:
        build()  # type: ignore[operator]
    assert error.value.message and error.value.field


def test_values_of_the_seed_screens_are_accepted() -> None:
    # Manuel eS-KAP+: Identifiant 020105342, Code AT 01, Organisme AT 013499881, 07/03/2023.
    at = AccidentTravail(date=date(2023, 3, 7), organisme="013499881", code="01",
                         identifiant="020105342")
    forcing = AmoServiceForcing("10", date(2026, 1, 1), date(2026, 12, 31))
    assert at.organisme == "013499881"
    assert forcing.covers(DAY) and not forcing.covers(date(2027, 1, 1))
    assert Attachment("application/pdf", b"%PDF-1.4").media_type == "application/pdf"
    assert _draft(ActDraft("AMI", nomenclature=Nomenclature.NGAP)).date_soins == DAY
