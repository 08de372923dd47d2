"""Payments and balance, with the amounts of the seed's « Résumé de la facture »."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from openfse.domain.payment import (
    Dues,
    InvalidPayment,
    Payer,
    Payment,
    PaymentKind,
    PaymentState,
    balance,
)

DAY = date(2025, 1, 20)
# Manuel eS-KAP+: Montant AMO 10 €, AMC 0 €, patient 113.8 €, total 123.8 €.
DUES = Dues(amo=Decimal("10.00"), amc=Decimal("0.00"), patient=Decimal("113.80"))


def _pay(amount: str, kind: PaymentKind = PaymentKind.CB, payer: Payer = Payer.PATIENT
         ) -> Payment:
    return Payment(kind, Decimal(amount), DAY, payer=payer)


def test_no_payment_yet_the_patient_owes_everything() -> None:
    b = balance(DUES, [])
    assert (b.solde_amo, b.solde_patient, b.patient_state) == (
        Decimal("10.00"), Decimal("113.80"), PaymentState.INCOMPLET)
    assert DUES.total == Decimal("123.80")


def test_cb_110_leaves_3_80_incomplete() -> None:
    # 113.80 − 110.00 = 3.80 « Le paiement est incomplet » (manuel eS-KAP+).
    b = balance(DUES, [_pay("110.00")])
    assert (b.solde_patient, b.patient_state.message) == (
        Decimal("3.80"), "Le paiement est incomplet")


def test_cb_110_and_especes_3_80_settle_it() -> None:
    b = balance(DUES, [_pay("110.00"), _pay("3.80", PaymentKind.ESPECES)])
    assert (b.solde_patient, b.patient_state, b.patient_unpaid) == (
        Decimal("0.00"), PaymentState.SOLDE, Decimal("0.00"))


def test_cb_110_and_cheque_4_give_a_negative_balance() -> None:
    # 113.80 − 114.00 = −0.20 « Le solde patient est négatif » (manuel eS-KAP+).
    b = balance(DUES, [_pay("110.00"), _pay("4.00", PaymentKind.CHEQUE)])
    assert (b.solde_patient, b.patient_state.message) == (
        Decimal("-0.20"), "Le solde patient est négatif")
    assert b.patient_unpaid == Decimal("0.00")


def test_insurer_payments_reduce_their_own_balance() -> None:
    b = balance(DUES, [_pay("10.00", PaymentKind.VIREMENT, Payer.AMO)])
    assert (b.solde_amo, b.solde_patient) == (Decimal("0.00"), Decimal("113.80"))


@pytest.mark.parametrize("amount", ["0", "-5.00", "1.005", "100001"])
def test_impossible_amounts_are_refused(amount: str) -> None:
    with pytest.raises(InvalidPayment):
        _pay(amount)


def test_a_reference_is_bounded() -> None:
    with pytest.raises(InvalidPayment):
        Payment(PaymentKind.CHEQUE, Decimal("1.00"), DAY, reference="x" * 61)
