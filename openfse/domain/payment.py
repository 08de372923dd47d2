"""Payments of an invoice and its balance (pure).

The « Résumé de la facture » (manuel eS-KAP+) shows, for each payer, what is due and what
is left: « Montant AMO / Solde AMO », « Montant AMC / Solde AMC », « Montant patient / Solde
patient ». What is due comes from the priced invoice (who pays the professional what, given
the tiers payant: ``PricedInvoice.payments``); payments reduce the soldes. The patient side says
when « Le paiement est incomplet » and when « Le solde patient est négatif » (paid more than
due); several payments of several kinds (chèque, CB, espèces, autre — code list
``type_paiement``) may be recorded and edited later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from openfse.errors import InvalidInput
from openfse.money import CENT, ZERO

__all__ = [
    "Balance",
    "Dues",
    "InvalidPayment",
    "Payer",
    "Payment",
    "PaymentKind",
    "PaymentState",
    "balance",
]

MAX_PAYMENT = Decimal(100_000)


class InvalidPayment(InvalidInput):
    code = "invalid_payment"


class Payer(StrEnum):
    """Who paid: the patient at the desk (or the « Facturer à » recipient), or an insurer."""

    PATIENT = "patient"
    AMO = "amo"
    AMC = "amc"


class PaymentKind(StrEnum):
    """Type de paiement (manuel eS-KAP+; code list ``type_paiement``)."""

    CHEQUE = "cheque"
    CB = "cb"
    ESPECES = "especes"
    VIREMENT = "virement"
    AUTRE = "autre"

    @property
    def phrase(self) -> str:
        """How a sentence says it: « Paiement en espèces », « Paiement par chèque »."""
        return _PHRASES[self]


_PHRASES = {PaymentKind.CHEQUE: "par chèque", PaymentKind.CB: "par carte bancaire",
            PaymentKind.ESPECES: "en espèces", PaymentKind.VIREMENT: "par virement",
            PaymentKind.AUTRE: "(autre moyen)"}


@dataclass(frozen=True, slots=True)
class Payment:
    """One payment received for an invoice; the amount is positive, in euros to the cent."""

    kind: PaymentKind
    amount: Decimal
    paid_on: date
    payer: Payer = Payer.PATIENT
    reference: str = ""  # n° de chèque, référence du virement…
    payer_name: str = ""  # who paid when it is not the patient (« Facturer à »)

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise InvalidPayment("Montant du paiement invalide.", field="amount")
        if self.amount <= 0:
            raise InvalidPayment("Le montant d'un paiement doit être positif.", field="amount")
        if self.amount != self.amount.quantize(CENT):
            raise InvalidPayment("Montant du paiement au centime près (2 décimales).",
                                 field="amount")
        if self.amount > MAX_PAYMENT:
            raise InvalidPayment("Montant du paiement trop élevé.", field="amount")
        if len(self.reference) > 60:
            raise InvalidPayment("Référence du paiement trop longue (60 caractères au plus).",
                                 field="reference")


@dataclass(frozen=True, slots=True)
class Dues:
    """What each payer owes the professional for one invoice (sums to the invoice total)."""

    amo: Decimal = ZERO
    amc: Decimal = ZERO
    patient: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.amo + self.amc + self.patient


class PaymentState(StrEnum):
    """The patient's side of the balance (what each organism owes: ``openfse.domain.shares``)."""

    SOLDE = "solde"  # the patient owes nothing more
    INCOMPLET = "incomplet"  # « Le paiement est incomplet »
    NEGATIF = "negatif"  # « Le solde patient est négatif »

    @property
    def message(self) -> str:
        return _STATE_MESSAGES[self]


_STATE_MESSAGES = {
    # Said of the patient only: the organisms may still owe (docs/money-states.md §4).
    PaymentState.SOLDE: "Le patient ne doit plus rien.",
    PaymentState.INCOMPLET: "Le paiement est incomplet",
    PaymentState.NEGATIF: "Le solde patient est négatif",
}


@dataclass(frozen=True, slots=True)
class Balance:
    """Amounts due and paid per payer; ``solde_*`` = due − paid (negative: paid too much)."""

    dues: Dues
    paid_amo: Decimal = ZERO
    paid_amc: Decimal = ZERO
    paid_patient: Decimal = ZERO

    @property
    def solde_amo(self) -> Decimal:
        return self.dues.amo - self.paid_amo

    @property
    def solde_amc(self) -> Decimal:
        return self.dues.amc - self.paid_amc

    @property
    def solde_patient(self) -> Decimal:
        return self.dues.patient - self.paid_patient

    @property
    def patient_state(self) -> PaymentState:
        solde = self.solde_patient
        if solde > 0:
            return PaymentState.INCOMPLET
        if solde < 0:
            return PaymentState.NEGATIF
        return PaymentState.SOLDE

    @property
    def patient_unpaid(self) -> Decimal:
        """What the patient still owes (never negative: an overpayment owes nothing)."""
        return max(self.solde_patient, ZERO)


def balance(dues: Dues, payments: Iterable[Payment]) -> Balance:
    """Sum the payments per payer against the dues.

    >>> b = balance(Dues(amo=Decimal("10.00"), patient=Decimal("113.80")),
    ...             [Payment(PaymentKind.CB, Decimal("110.00"), date(2025, 1, 20)),
    ...              Payment(PaymentKind.CHEQUE, Decimal("4.00"), date(2025, 1, 20))])
    >>> b.solde_patient, b.patient_state.message
    (Decimal('-0.20'), 'Le solde patient est négatif')
    """
    paid = {Payer.AMO: ZERO, Payer.AMC: ZERO, Payer.PATIENT: ZERO}
    for payment in payments:
        paid[payment.payer] += payment.amount
    return Balance(dues, paid[Payer.AMO], paid[Payer.AMC], paid[Payer.PATIENT])
