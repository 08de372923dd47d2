"""Each payer's share and the invoice's state derived from them (docs/money-states.md), with
the worked examples of issue 13 defect 5."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from openfse.domain.invoice import InvoiceKind, InvoiceState, InvoiceStatus
from openfse.domain.payment import Balance, Dues, Payer, PaymentState
from openfse.domain.shares import (
    Answer,
    InvoiceMoney,
    MoneyState,
    ShareFacts,
    ShareState,
    invoice_money,
    share_of,
    shown_state,
)

ZERO = Decimal("0.00")
AT = datetime(2026, 3, 2, 18, tzinfo=UTC)


def d(text: str) -> Decimal:
    return Decimal(text)


def money(amo: ShareFacts | None = None, amc: ShareFacts | None = None,
          patient: ShareFacts | None = None) -> InvoiceMoney:
    return invoice_money(amo or ShareFacts(Payer.AMO, ZERO), amc or ShareFacts(Payer.AMC, ZERO),
                         patient or ShareFacts(Payer.PATIENT, ZERO))


# A G consultation (30.00 €, NGAP; 70 % AMO = 21.00, TM 9.00) in tiers payant AMO and AMC,
# the mutuelle in gestion séparée (dossier LOGOSw: FSE to the caisse, DRE to the mutuelle).
AMO_CLAIMED = ShareFacts(Payer.AMO, d("21.00"), claimed=True)
AMO_PAID = ShareFacts(Payer.AMO, d("21.00"), paid=d("21.00"), claimed=True, answer=Answer.PAID)
AMC_CLAIMED = ShareFacts(Payer.AMC, d("9.00"), claimed=True)


@pytest.mark.parametrize(("facts", "state"), [
    (ShareFacts(Payer.AMC, ZERO), ShareState.NOTHING),
    (ShareFacts(Payer.AMC, d("9.00")), ShareState.DUE),
    (AMC_CLAIMED, ShareState.CLAIMED),
    (ShareFacts(Payer.AMO, d("21.00"), claimed=True, acknowledged=True),
     ShareState.ACKNOWLEDGED),
    (AMO_PAID, ShareState.PAID),
    (ShareFacts(Payer.AMO, d("21.00"), paid=d("10.50"), claimed=True, answer=Answer.PARTIAL),
     ShareState.PARTLY_PAID),
    (ShareFacts(Payer.AMC, d("9.00"), claimed=True, answer=Answer.REJECTED),
     ShareState.REJECTED),
    (ShareFacts(Payer.AMC, d("9.00"), claimed=True, answer=Answer.REJECTED,
                billed_to_patient=d("9.00")), ShareState.BILLED_TO_PATIENT),
    (ShareFacts(Payer.AMC, d("9.00"), written_off=d("9.00")), ShareState.WRITTEN_OFF),
    # Paid in part, the rest written off: the rest's fate names the state.
    (ShareFacts(Payer.AMO, d("21.00"), paid=d("10.50"), answer=Answer.PARTIAL,
                written_off=d("10.50")), ShareState.WRITTEN_OFF),
    (ShareFacts(Payer.PATIENT, d("30.00"), paid=d("15.00")), ShareState.PARTLY_PAID),
    (ShareFacts(Payer.PATIENT, d("30.00"), paid=d("40.00")), ShareState.PAID),  # overpaid
])
def test_each_share_has_its_state(facts: ShareFacts, state: ShareState) -> None:
    assert share_of(facts).state is state


def test_15_of_30_euros_received_is_partly_paid_never_paid() -> None:
    # No tiers payant: the patient owes the 30.00 € and paid 15.00 € (issue 13 defect 5).
    got = money(patient=ShareFacts(Payer.PATIENT, d("30.00"), paid=d("15.00")))
    assert got.patient.left == d("15.00")
    assert got.state is MoneyState.PARTIELLEMENT_PAYEE
    assert got.state.label == "Partiellement payée"
    assert not got.patient_owes_nothing


def test_acknowledged_with_the_patient_owing_everything_is_not_acquittee() -> None:
    # The ARL came (status « acknowledged »), the patient owes 30.00 €: « Non payée ».
    got = money(patient=ShareFacts(Payer.PATIENT, d("30.00")))
    shown = shown_state(InvoiceState(status=InvoiceStatus.ACKNOWLEDGED), got)
    assert shown.label == "Non payée" and "Acquitt" not in shown.label


def test_a_mutuelle_reject_alone_is_part_amc_rejetee_not_rejetee() -> None:
    rejected_amc = ShareFacts(Payer.AMC, d("9.00"), claimed=True, answer=Answer.REJECTED)
    assert money(AMO_PAID, rejected_amc).state.label == "Part AMC rejetée"
    rejected_amo = ShareFacts(Payer.AMO, d("21.00"), claimed=True, answer=Answer.REJECTED)
    assert money(rejected_amo, AMC_CLAIMED).state.label == "Rejetée"


def test_an_unclaimed_mutuelle_share_is_a_todo_not_paid() -> None:
    # Gestion séparée with no convention: no DRE, the caisse paid its 21.00 € (defect 4).
    got = money(AMO_PAID, ShareFacts(Payer.AMC, d("9.00")))
    assert got.amc.unclaimed and got.amc.settleable
    assert got.state.label == "Part AMC à réclamer"
    # Claimed on paper: waiting for the mutuelle.
    assert money(AMO_PAID, AMC_CLAIMED).state is MoneyState.TRANSMISE


def test_billed_to_the_patient_moves_the_rest_to_his_share() -> None:
    billed = ShareFacts(Payer.AMC, d("9.00"), claimed=True, answer=Answer.REJECTED,
                        billed_to_patient=d("9.00"))
    got = money(AMO_PAID, billed)
    assert (got.amc.label, got.patient.due, got.patient.left) == (
        "Facturée au patient", d("9.00"), d("9.00"))
    assert got.state.label == "Partiellement payée"
    paid = money(AMO_PAID, billed, ShareFacts(Payer.PATIENT, ZERO, paid=d("9.00")))
    assert paid.state.label == "Payée" and paid.patient_owes_nothing


def test_nothing_owed_with_a_share_written_off_is_not_simply_paid() -> None:
    got = money(AMO_PAID, ShareFacts(Payer.AMC, d("9.00"), written_off=d("9.00")))
    assert got.state.label == "Soldée (part abandonnée)"


def test_waiting_for_the_organisms() -> None:
    patient_paid = ShareFacts(Payer.PATIENT, d("9.00"), paid=d("9.00"))
    assert money(AMO_CLAIMED, patient=patient_paid).state.label == "Transmise"
    acknowledged = ShareFacts(Payer.AMO, d("21.00"), claimed=True, acknowledged=True)
    assert money(acknowledged, patient=patient_paid).state.label == "Reçue par l'organisme"


def test_the_step_of_life_shows_until_transmission_then_the_money() -> None:
    owed = money(AMO_CLAIMED)
    assert shown_state(InvoiceState(status=InvoiceStatus.IN_LOT), owed).label == "En lot"
    assert shown_state(InvoiceState(status=InvoiceStatus.SENT), owed).label == "Transmise"
    assert shown_state(InvoiceState(status=InvoiceStatus.CANCELLED), owed).label == "Annulée"
    document = InvoiceState(status=InvoiceStatus.VALIDATED, kind=InvoiceKind.CANCELLATION)
    assert shown_state(document, owed).label == "Annulation"
    # Hors télétransmission: the paper is the claim, the money shows at once.
    paper = InvoiceState(status=InvoiceStatus.VALIDATED, hors_teletransmission=True,
                         validated_at=AT)
    unpaid = money(patient=ShareFacts(Payer.PATIENT, d("30.00")))
    assert shown_state(paper, unpaid).label == "Non payée"
    assert shown_state(paper, money(ShareFacts(Payer.AMO, d("21.00")))).label == \
        "Part AMO à réclamer"


def test_the_patient_side_never_says_the_invoice_is_settled() -> None:
    # The patient paid his 9.00 €, the caisse still owes 21.00 €: nothing says « réglée ».
    paid = Balance(Dues(amo=d("21.00"), patient=d("9.00")), paid_patient=d("9.00"))
    assert paid.patient_state is PaymentState.SOLDE
    assert paid.patient_state.message == "Le patient ne doit plus rien."
    assert "réglée" not in paid.patient_state.message


def test_a_rejected_invoice_replaced_by_its_correction_owes_nothing_more() -> None:
    # docs/money-states.md §1-2: a G (30.00 €) whose FSE the caisse rejected (21.00 € AMO,
    # the patient's 9.00 € unpaid), cancelled and made again (« Corriger et refacturer »):
    # once the correction n° 42 is validated, what was left is owed on it, not here too.
    rejected = ShareFacts(Payer.AMO, d("21.00"), claimed=True, answer=Answer.REJECTED)
    patient = ShareFacts(Payer.PATIENT, d("9.00"))
    before = invoice_money(rejected, ShareFacts(Payer.AMC, ZERO), patient)
    assert (before.amo.state, before.amo.left) == (ShareState.REJECTED, d("21.00"))

    after = invoice_money(rejected, ShareFacts(Payer.AMC, ZERO), patient, replaced_by=42)
    assert [(s.state, s.left, s.replaced) for s in after.shares] == [
        (ShareState.REPLACED, ZERO, d("21.00")), (ShareState.NOTHING, ZERO, ZERO),
        (ShareState.REPLACED, ZERO, d("9.00"))]
    assert after.state is MoneyState.REMPLACEE
    cancelled = InvoiceState(status=InvoiceStatus.CANCELLED)
    assert shown_state(cancelled, after).label == "Remplacée par n° 000000042"
    assert shown_state(cancelled, before).label == "Annulée"


def test_what_the_patient_owes_now_is_shown_with_the_state() -> None:
    # 13.12: the caisse's rejected 21.00 € billed to the patient is his debt (9.00 + 21.00);
    # once he paid it all, « Payée » sits beside 0, never beside 30.00.
    billed = ShareFacts(Payer.AMO, d("21.00"), claimed=True, answer=Answer.REJECTED,
                        billed_to_patient=d("21.00"))
    sent = InvoiceState(status=InvoiceStatus.REJECTED)
    owing = invoice_money(billed, ShareFacts(Payer.AMC, ZERO), ShareFacts(Payer.PATIENT, d("9.00")))
    assert shown_state(sent, owing).patient_owes == d("30.00")
    paid = invoice_money(billed, ShareFacts(Payer.AMC, ZERO),
                         ShareFacts(Payer.PATIENT, d("9.00"), paid=d("30.00")))
    assert (shown_state(sent, paid).label, shown_state(sent, paid).patient_owes) == (
        "Payée", ZERO)
