"""Where each payer's share of an invoice stands, and the invoice's state derived from them
(pure). The vocabulary — French labels, meaning, transitions — is docs/money-states.md.

An invoice is owed by up to three payers (``Dues``: the caisse in tiers payant AMO, the
mutuelle in tiers payant AMC gestion séparée, the patient). Each share's state is computed
from facts already stored — what was sent (lots), acknowledged (ARL), answered (payment-return
lines), paid (payments), billed to the patient (share transfers) or written off by a person —
never stored itself, so it cannot drift from the money. The invoice's state is derived from its
three shares (``money_state``): « Payée » only when nobody owes anything, « Partiellement
payée » when some money came in and some is still owed, « Rejetée » only when the caisse
rejected the FSE (a mutuelle's reject is « Part AMC rejetée »).

>>> amo = share_of(ShareFacts(Payer.AMO, Decimal("21.00"), paid=Decimal("21.00")))
>>> patient = share_of(ShareFacts(Payer.PATIENT, Decimal("9.00"), paid=Decimal("4.50")))
>>> money_state(amo, share_of(ShareFacts(Payer.AMC, ZERO)), patient).label
'Partiellement payée'
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from openfse.domain.invoice import InvoiceKind, InvoiceNumber, InvoiceState, InvoiceStatus
from openfse.domain.payment import Payer
from openfse.money import ZERO

__all__ = [
    "Answer",
    "InvoiceMoney",
    "MoneyState",
    "Share",
    "ShareDecisionKind",
    "ShareFacts",
    "ShareState",
    "Shown",
    "invoice_money",
    "money_state",
    "share_of",
    "shown_state",
]


class Answer(StrEnum):
    """What an organism answered for its share (payment-return line, docs/formats/returns.md)."""

    PAID = "PAYE"
    PARTIAL = "PARTIEL"
    REJECTED = "REJETE"


class ShareDecisionKind(StrEnum):
    """What a person decided about a share nobody else will settle (docs/money-states.md §3)."""

    PAPER_CLAIM = "paper_claim"  # « Réclamée sur papier »
    WRITE_OFF = "write_off"  # « Abandonnée »


class ShareState(StrEnum):
    """The state of one payer's share (docs/money-states.md §1)."""

    NOTHING = "rien"  # nothing asked of this payer
    DUE = "due"  # owed, not claimed (organism) / not paid (patient)
    CLAIMED = "reclamee"  # sent to the organism (FSE / DRE lot) or claimed on paper
    ACKNOWLEDGED = "recue"  # the organism acknowledged it (ARL positive), no money yet
    PARTLY_PAID = "partielle"  # some received, some still owed
    PAID = "payee"  # all received
    REJECTED = "rejetee"  # the organism rejected it; still owed by nobody until handled
    BILLED_TO_PATIENT = "facturee_patient"  # the rest moved to the patient's share
    WRITTEN_OFF = "abandonnee"  # the rest given up by a person (journaled)
    REPLACED = "remplacee"  # the rest closed by a validated correction (owed on it instead)

    @property
    def label(self) -> str:
        return _SHARE_LABELS[self]


_SHARE_LABELS = {
    ShareState.NOTHING: "Rien à payer",
    ShareState.DUE: "Due",
    ShareState.CLAIMED: "Réclamée",
    ShareState.ACKNOWLEDGED: "Reçue par l'organisme",
    ShareState.PARTLY_PAID: "Partiellement payée",
    ShareState.PAID: "Payée",
    ShareState.REJECTED: "Rejetée",
    ShareState.BILLED_TO_PATIENT: "Facturée au patient",
    ShareState.WRITTEN_OFF: "Abandonnée",
    ShareState.REPLACED: "Remplacée",
}

PAYER_LABELS = {Payer.AMO: "Caisse (AMO)", Payer.AMC: "Mutuelle (AMC)", Payer.PATIENT: "Patient"}
_ORGANISMS = (Payer.AMO, Payer.AMC)


@dataclass(frozen=True, slots=True)
class ShareFacts:
    """What is stored about one payer's share. ``due``: what that payer owed at validation
    (for the patient: his own part plus what was billed to him); amounts are positive euros."""

    payer: Payer
    due: Decimal
    paid: Decimal = ZERO
    billed_to_patient: Decimal = ZERO  # organism shares only
    written_off: Decimal = ZERO
    claimed: bool = False  # in a sent lot (FSE: AMO; DRE: AMC) or claimed on paper
    acknowledged: bool = False  # ARL positive of that lot
    answer: Answer | None = None  # the organism's last answer
    reason: str = ""  # the reason of a reject or partial payment (code and label)
    # The invoice was cancelled and made again (« Corriger et refacturer »), the correction
    # validated: what is left is owed on the correction, not here (docs/money-states.md §1).
    replaced: bool = False


@dataclass(frozen=True, slots=True)
class Share:
    """One payer's share as the screens show it."""

    payer: Payer
    state: ShareState
    due: Decimal
    paid: Decimal
    billed_to_patient: Decimal
    written_off: Decimal
    reason: str = ""
    replaced: Decimal = ZERO  # closed by the invoice's validated correction

    @property
    def left(self) -> Decimal:
        """What this payer still owes (never negative: an overpayment owes nothing)."""
        return max(self.due - self.paid - self.billed_to_patient - self.written_off
                   - self.replaced, ZERO)

    @property
    def label(self) -> str:
        return self.state.label

    @property
    def payer_label(self) -> str:
        return PAYER_LABELS[self.payer]

    @property
    def unclaimed(self) -> bool:
        """An organism's share nobody asked it for: a to-do until claimed (DRE or paper),
        billed to the patient or written off (docs/money-states.md §3)."""
        return self.payer in _ORGANISMS and self.state is ShareState.DUE

    @property
    def settleable(self) -> bool:
        """What the desk may still bill to the patient or write off: an organism's share
        unclaimed, rejected, or partly paid after its answer; the patient's unpaid rest."""
        if self.left <= 0:
            return False
        if self.payer is Payer.PATIENT:
            return self.state in (ShareState.DUE, ShareState.PARTLY_PAID)
        return self.state in (ShareState.DUE, ShareState.REJECTED, ShareState.PARTLY_PAID)


def share_of(facts: ShareFacts) -> Share:
    """The state of one share from its facts (docs/money-states.md §1, in this order):

    >>> share_of(ShareFacts(Payer.AMC, Decimal("9.00"))).state.label
    'Due'
    >>> share_of(ShareFacts(Payer.AMC, Decimal("9.00"), claimed=True,
    ...                     answer=Answer.REJECTED)).state.label
    'Rejetée'
    >>> share_of(ShareFacts(Payer.AMC, Decimal("9.00"), claimed=True, answer=Answer.REJECTED,
    ...                     billed_to_patient=Decimal("9.00"))).state.label
    'Facturée au patient'
    >>> share_of(ShareFacts(Payer.PATIENT, Decimal("30.00"), paid=Decimal("15.00"))).label
    'Partiellement payée'
    >>> share_of(ShareFacts(Payer.AMO, Decimal("30.00"), claimed=True, answer=Answer.REJECTED,
    ...                     replaced=True)).label
    'Remplacée'
    """
    left = facts.due - facts.paid - facts.billed_to_patient - facts.written_off
    replaced = max(left, ZERO) if facts.replaced else ZERO
    if facts.due <= 0 and facts.paid <= 0:
        state = ShareState.NOTHING
    elif left <= 0:
        # Nothing left: who took the rest says how it ended.
        if facts.written_off > 0:
            state = ShareState.WRITTEN_OFF
        elif facts.billed_to_patient > 0:
            state = ShareState.BILLED_TO_PATIENT
        else:
            state = ShareState.PAID
    elif replaced > 0:
        # Its correction is owed instead: counting the rest here too would count it twice.
        state = ShareState.REPLACED
    elif facts.answer is Answer.REJECTED and facts.paid <= 0:
        state = ShareState.REJECTED
    elif facts.paid > 0 or facts.answer is Answer.PARTIAL:
        state = ShareState.PARTLY_PAID
    elif facts.acknowledged:
        state = ShareState.ACKNOWLEDGED
    elif facts.claimed:
        state = ShareState.CLAIMED
    else:
        state = ShareState.DUE
    return Share(facts.payer, state, facts.due, facts.paid, facts.billed_to_patient,
                 facts.written_off, facts.reason, replaced)


class MoneyState(StrEnum):
    """The invoice's state once its money is at stake (docs/money-states.md §2)."""

    REJETEE = "rejetee"
    PART_AMC_REJETEE = "part_amc_rejetee"
    PART_AMO_A_RECLAMER = "part_amo_a_reclamer"
    PART_AMC_A_RECLAMER = "part_amc_a_reclamer"
    PAYEE = "payee"
    SOLDEE_AVEC_ABANDON = "soldee_avec_abandon"
    PARTIELLEMENT_PAYEE = "partiellement_payee"
    RECUE = "recue"
    TRANSMISE = "transmise"
    NON_PAYEE = "non_payee"
    REMPLACEE = "remplacee"

    @property
    def label(self) -> str:
        return _MONEY_LABELS[self]

    @property
    def tone(self) -> str:
        """``rejected``, ``todo`` (someone must act), ``waiting``, ``done``."""
        return _MONEY_TONES[self]


_MONEY_LABELS = {
    MoneyState.REJETEE: "Rejetée",
    MoneyState.PART_AMC_REJETEE: "Part AMC rejetée",
    MoneyState.PART_AMO_A_RECLAMER: "Part AMO à réclamer",
    MoneyState.PART_AMC_A_RECLAMER: "Part AMC à réclamer",
    MoneyState.PAYEE: "Payée",
    MoneyState.SOLDEE_AVEC_ABANDON: "Soldée (part abandonnée)",
    MoneyState.PARTIELLEMENT_PAYEE: "Partiellement payée",
    MoneyState.RECUE: "Reçue par l'organisme",
    MoneyState.TRANSMISE: "Transmise",
    MoneyState.NON_PAYEE: "Non payée",
    MoneyState.REMPLACEE: "Remplacée",
}
_MONEY_TONES = {
    MoneyState.REJETEE: "rejected", MoneyState.PART_AMC_REJETEE: "rejected",
    MoneyState.PART_AMO_A_RECLAMER: "todo", MoneyState.PART_AMC_A_RECLAMER: "todo",
    MoneyState.PAYEE: "done", MoneyState.SOLDEE_AVEC_ABANDON: "done",
    MoneyState.PARTIELLEMENT_PAYEE: "todo", MoneyState.RECUE: "waiting",
    MoneyState.TRANSMISE: "waiting", MoneyState.NON_PAYEE: "todo",
    MoneyState.REMPLACEE: "closed",
}
_WAITING = (ShareState.CLAIMED, ShareState.ACKNOWLEDGED)


def money_state(amo: Share, amc: Share, patient: Share) -> MoneyState:
    """The invoice's state from its three shares (docs/money-states.md §2, first rule that
    applies):

    0. its rest is owed on its validated correction → « Remplacée »;
    1. the caisse rejected its share (the FSE) → « Rejetée »; only the mutuelle did →
       « Part AMC rejetée »;
    2. an organism's share nobody claimed → « Part AMO / AMC à réclamer »;
    3. nobody owes anything → « Payée », or « Soldée (part abandonnée) » if a share was
       written off;
    4. an organism still to answer its claim → « Reçue par l'organisme » (ARL) or
       « Transmise »;
    5. some money received → « Partiellement payée »; none → « Non payée ».

    >>> due = lambda payer, amount, **kw: share_of(ShareFacts(payer, Decimal(amount), **kw))
    >>> money_state(due(Payer.AMO, "21.00", paid=Decimal("21.00")),
    ...             due(Payer.AMC, "9.00", claimed=True, answer=Answer.REJECTED),
    ...             due(Payer.PATIENT, "0")).label
    'Part AMC rejetée'
    >>> money_state(due(Payer.AMO, "21.00", paid=Decimal("21.00")), due(Payer.AMC, "9.00"),
    ...             due(Payer.PATIENT, "0")).label
    'Part AMC à réclamer'
    """
    shares = (amo, amc, patient)
    if any(share.state is ShareState.REPLACED for share in shares):
        return MoneyState.REMPLACEE
    if amo.state is ShareState.REJECTED:
        return MoneyState.REJETEE
    if amc.state is ShareState.REJECTED:
        return MoneyState.PART_AMC_REJETEE
    if amo.unclaimed:
        return MoneyState.PART_AMO_A_RECLAMER
    if amc.unclaimed:
        return MoneyState.PART_AMC_A_RECLAMER
    if all(share.left <= 0 for share in shares):
        if any(share.state is ShareState.WRITTEN_OFF for share in shares):
            return MoneyState.SOLDEE_AVEC_ABANDON
        return MoneyState.PAYEE
    waiting = [share for share in (amo, amc) if share.state in _WAITING]
    if waiting:
        if any(share.state is ShareState.ACKNOWLEDGED for share in waiting):
            return MoneyState.RECUE
        return MoneyState.TRANSMISE
    if any(share.paid > 0 for share in shares):
        return MoneyState.PARTIELLEMENT_PAYEE
    return MoneyState.NON_PAYEE


@dataclass(frozen=True, slots=True)
class InvoiceMoney:
    """The three shares of one invoice and the state derived from them."""

    amo: Share
    amc: Share
    patient: Share
    replaced_by: int | None = None  # the number of its validated correction, if any

    @property
    def shares(self) -> tuple[Share, Share, Share]:
        return (self.amo, self.amc, self.patient)

    @property
    def state(self) -> MoneyState:
        return money_state(self.amo, self.amc, self.patient)

    @property
    def patient_owes_nothing(self) -> bool:
        """What the note d'honoraires « Acquittée » means: the patient owes nothing."""
        return self.patient.left <= 0

    def share(self, payer: Payer) -> Share:
        return {Payer.AMO: self.amo, Payer.AMC: self.amc, Payer.PATIENT: self.patient}[payer]


def invoice_money(amo: ShareFacts, amc: ShareFacts, patient: ShareFacts, *,
                  replaced_by: int | None = None) -> InvoiceMoney:
    """The shares of an invoice. The patient's facts carry his own part only: what the
    organisms' shares billed to him is added to his due here. ``replaced_by``: the number of
    the validated invoice made to replace this one, whose shares close what is left here."""
    moved = amo.billed_to_patient + amc.billed_to_patient
    patient_facts = ShareFacts(Payer.PATIENT, patient.due + moved, paid=patient.paid,
                               written_off=patient.written_off)
    closed = replaced_by is not None
    amo_share, amc_share, patient_share = (share_of(replace(facts, replaced=closed))
                                           for facts in (amo, amc, patient_facts))
    return InvoiceMoney(amo_share, amc_share, patient_share, replaced_by=replaced_by)


@dataclass(frozen=True, slots=True)
class Shown:
    """The one state a list or page shows for an invoice: its label and tone (``rejected``,
    ``todo``, ``waiting``, ``done``; ``step``: a step of its life before the money;
    ``closed``: cancelled or deleted) and what the patient owes now (« Dû par le patient »:
    what he still owes, the shares billed to him included, docs/money-states.md §4)."""

    label: str
    tone: str
    patient_owes: Decimal = ZERO


# Before transmission the invoice's step is what matters (signing, sending); after, its money.
_MONEY_STAGE = frozenset({InvoiceStatus.SENT, InvoiceStatus.ACKNOWLEDGED, InvoiceStatus.PAID,
                          InvoiceStatus.REJECTED})


def shown_state(state: InvoiceState, money: InvoiceMoney) -> Shown:
    """The state shown for an invoice (docs/money-states.md §2): its step of life until it is
    transmitted (« À signer », « Sécurisée », « En lot »…) or when withdrawn (« Annulée »,
    « Supprimée »), its money state after — and for a facture hors télétransmission as soon as
    it is validated (the paper is the claim).

    >>> from openfse.domain.invoice import InvoiceStatus as S
    >>> m = invoice_money(ShareFacts(Payer.AMO, ZERO), ShareFacts(Payer.AMC, ZERO),
    ...                   ShareFacts(Payer.PATIENT, Decimal("30.00"), paid=Decimal("15.00")))
    >>> shown_state(InvoiceState(status=S.ACKNOWLEDGED), m).label
    'Partiellement payée'
    >>> shown_state(InvoiceState(status=S.IN_LOT), m).label
    'En lot'
    >>> shown_state(InvoiceState(status=S.IN_LOT), m).patient_owes
    Decimal('15.00')
    >>> shown_state(InvoiceState(status=S.CANCELLED), replace(m, replaced_by=42)).label
    'Remplacée par n° 000000042'
    """
    display = state.display_status
    owes = money.patient.left
    if state.kind is InvoiceKind.INVOICE and money.replaced_by is not None:
        return Shown(f"{MoneyState.REMPLACEE.label} par n° {InvoiceNumber(money.replaced_by)}",
                     "closed", owes)
    if state.kind is not InvoiceKind.INVOICE or state.status in (
            InvoiceStatus.CANCELLED, InvoiceStatus.DELETED):
        return Shown(display.label, "closed", owes)
    money_stage = state.status in _MONEY_STAGE or (
        state.hors_teletransmission and state.status is InvoiceStatus.VALIDATED)
    if not money_stage:
        return Shown(display.label, "step", owes)
    current = money.state
    return Shown(current.label, current.tone, owes)
