"""Each payer's share of the stored invoices, read in one unit of work, and what a person may
decide about a share nobody else will settle (docs/money-states.md).

The states are derived (``openfse.domain.shares``) from the facts stored elsewhere: payments,
share transfers (« Facturer au patient »), lots and their ARL, payment-return lines, and the
decisions recorded here (``ShareDecision``: claimed on paper, written off). Every function
reads inside the unit of work it is given and returns values (never rows), so a screen can
show them after the work is closed.

    with uow:
        money = money_of(uow, rows)                    # {invoice id: InvoiceMoney}
    message = claim_on_paper(uow, invoice_id, Payer.AMC, today=desk.today)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, exists, or_, select

from openfse.domain.invoice import InvoiceKind, InvoiceNumber, InvoiceStatus
from openfse.domain.payment import Payer
from openfse.domain.shares import (
    Answer,
    InvoiceMoney,
    Share,
    ShareDecisionKind,
    ShareFacts,
    ShareState,
    Shown,
    invoice_money,
    shown_state,
)
from openfse.errors import InvalidInput
from openfse.money import ZERO, format_eur
from openfse.services import invoicing
from openfse.services.numbering import run_writing
from openfse.store.journal import JournalAction
from openfse.store.models import (
    Invoice,
    Lot,
    LotInvoice,
    LotStatus,
    PaymentReturnLine,
    ReturnLineStatus,
    ShareDecision,
    ShareTransfer,
)
from openfse.store.uow import UnitOfWork

__all__ = [
    "OpenShare",
    "bill_to_patient",
    "claim_on_paper",
    "claimed_on_paper",
    "invoice_money_of",
    "invoice_shown_of",
    "money_of",
    "partly_paid_shares",
    "settleable_shares",
    "shown_for",
    "shown_of",
    "unclaimed_shares",
    "write_off",
]

Decide = Callable[[Payer], str]  # a decision about one payer's share → French confirmation

# The share each kind of lot claims (dossier LOGOSw: FSE → the caisse, DRE → the mutuelle).
_SHARE_OF_LOT = {"FSE": Payer.AMO, "DRE": Payer.AMC}
_WHO = {Payer.AMO: "la caisse (AMO)", Payer.AMC: "la mutuelle (AMC)",
        Payer.PATIENT: "le patient"}
_MONEY_STAGE = (InvoiceStatus.SENT, InvoiceStatus.ACKNOWLEDGED, InvoiceStatus.PAID,
                InvoiceStatus.REJECTED)


@dataclass
class _Facts:
    claimed: bool = False
    acknowledged: bool = False
    answer: Answer | None = None
    reason: str = ""
    paid: Decimal = ZERO
    billed: Decimal = ZERO
    written_off: Decimal = ZERO


def _lot_facts(uow: UnitOfWork, ids: list[int],
               facts: dict[tuple[int, Payer], _Facts]) -> None:
    """Sent (claimed) and acknowledged, per share, from the FSE and DRE lots."""
    rows = uow.session.execute(
        select(LotInvoice.invoice_id, Lot.kind, Lot.status, Lot.sent_at)
        .join(Lot, Lot.id == LotInvoice.lot_row_id)
        .where(Lot.cabinet_id == uow.require_cabinet(), LotInvoice.invoice_id.in_(ids),
               Lot.kind.in_(tuple(_SHARE_OF_LOT)))).all()
    for invoice_id, kind, status, sent_at in rows:
        share = facts[(invoice_id, _SHARE_OF_LOT[kind])]
        if sent_at is not None and status is not LotStatus.REJECTED:
            share.claimed = True
        if status is LotStatus.ACKNOWLEDGED:
            share.acknowledged = True


def _answers(uow: UnitOfWork, ids: list[int], facts: dict[tuple[int, Payer], _Facts]) -> None:
    """The organisms' last answer per share (payment-return lines, by the kind of their lot)."""
    rows = uow.session.execute(
        select(PaymentReturnLine.invoice_id, PaymentReturnLine.status,
               PaymentReturnLine.reason_code, PaymentReturnLine.reason_label, Lot.kind)
        .join(Lot, (Lot.lot_id == PaymentReturnLine.lot_id)
              & (Lot.cabinet_id == PaymentReturnLine.cabinet_id))
        .where(PaymentReturnLine.cabinet_id == uow.require_cabinet(),
               PaymentReturnLine.invoice_id.in_(ids), Lot.kind.in_(tuple(_SHARE_OF_LOT)))
        .order_by(PaymentReturnLine.id)).all()
    for invoice_id, status, code, label, kind in rows:
        assert invoice_id is not None  # matched to one of ``ids``
        share = facts[(invoice_id, _SHARE_OF_LOT[kind])]
        share.claimed = True  # answered: it was asked
        share.answer = Answer(status.value)
        share.reason = f"{code or ''} {label or ''}".strip()


def _replacements(uow: UnitOfWork, rows: Sequence[Invoice]) -> dict[int, int]:
    """{cancelled invoice id: number of the validated invoice made to replace it} (« Corriger
    et refacturer »): what the cancelled one still asked is owed on its correction instead
    (docs/money-states.md §1). A correction still a draft, or deleted, replaces nothing."""
    cancelled = [row.id for row in rows if row.status is InvoiceStatus.CANCELLED]
    if not cancelled:
        return {}
    found = uow.session.execute(
        select(Invoice.replaces_id, Invoice.number)
        .where(Invoice.cabinet_id == uow.require_cabinet(), Invoice.replaces_id.in_(cancelled),
               Invoice.number.is_not(None),
               Invoice.status.not_in((InvoiceStatus.DRAFT, InvoiceStatus.DELETED)))).all()
    return {old: number for old, number in found if old is not None and number is not None}


def money_of(uow: UnitOfWork, rows: Sequence[Invoice]) -> dict[int, InvoiceMoney]:
    """The shares of each invoice (rows read in ``uow``, which must be entered)."""
    ids = [row.id for row in rows]
    facts = {(i, payer): _Facts() for i in ids for payer in Payer}
    replaced_by = _replacements(uow, rows)
    if ids:
        _lot_facts(uow, ids, facts)
        _answers(uow, ids, facts)
    for row in rows:
        for payment in row.payments:
            facts[(row.id, payment.payer)].paid += payment.amount
        for transfer in row.share_transfers:
            facts[(row.id, transfer.payer)].billed += transfer.amount
        for decision in row.share_decisions:
            share = facts[(row.id, decision.payer)]
            if decision.kind is ShareDecisionKind.PAPER_CLAIM:
                share.claimed = True
            else:
                share.written_off += decision.amount
        amo = facts[(row.id, Payer.AMO)]
        # An FSE marked sent or acknowledged claims the AMO part even before its lot says so.
        amo.claimed = amo.claimed or row.sent_at is not None
        amo.acknowledged = amo.acknowledged or row.acknowledged_at is not None
    return {row.id: invoice_money(*(_share_facts(row, payer, facts[(row.id, payer)])
                                    for payer in (Payer.AMO, Payer.AMC, Payer.PATIENT)),
                                  replaced_by=replaced_by.get(row.id))
            for row in rows}


def _share_facts(row: Invoice, payer: Payer, found: _Facts) -> ShareFacts:
    due = {Payer.AMO: row.due_amo, Payer.AMC: row.due_amc, Payer.PATIENT: row.due_patient}
    return ShareFacts(payer, due[payer], paid=found.paid, billed_to_patient=found.billed,
                      written_off=found.written_off, claimed=found.claimed,
                      acknowledged=found.acknowledged, answer=found.answer,
                      reason=found.reason)


def shown_of(uow: UnitOfWork, rows: Sequence[Invoice]) -> dict[int, Shown]:
    """The state each list shows for these invoices (``domain.shares.shown_state``)."""
    money = money_of(uow, rows)
    return {row.id: shown_state(invoicing.state_of(row), money[row.id]) for row in rows}


def invoice_money_of(uow: UnitOfWork, invoice_id: int) -> InvoiceMoney:
    """The shares of one invoice (opens and closes ``uow``)."""
    with uow:
        row = uow.invoices.get_full(invoice_id)
        return money_of(uow, [row])[row.id]


def invoice_shown_of(uow: UnitOfWork, invoice_id: int) -> tuple[InvoiceMoney, Shown]:
    """The shares of one invoice and the state every screen shows for it — the same
    ``shown_state`` as the lists (opens and closes ``uow``)."""
    with uow:
        row = uow.invoices.get_full(invoice_id)
        money = money_of(uow, [row])[row.id]
        return money, shown_state(invoicing.state_of(row), money)


# --------------------------------------------------------------------------------------------
# The to-do: shares nobody claimed
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenShare:
    """An organism's share still open on the Télétransmission screen: one nobody claimed (no
    DRE, no paper), one paid in part, or one claimed on paper and not paid yet."""

    invoice_id: int
    number: int
    patient_id: int
    care_date: date
    share: Share


def _no_decision_on(payer: Payer) -> ColumnElement[bool]:
    return and_(
        ~exists().where(ShareDecision.invoice_id == Invoice.id, ShareDecision.payer == payer),
        ~exists().where(ShareTransfer.invoice_id == Invoice.id, ShareTransfer.payer == payer))


def _open(uow: UnitOfWork, candidates: ColumnElement[bool], keep: Callable[[Share], bool],
          limit: int) -> list[OpenShare]:
    """The organism shares of the invoices matching ``candidates`` that ``keep`` retains,
    oldest care first."""
    stage = or_(Invoice.status.in_(_MONEY_STAGE),
                and_(Invoice.status == InvoiceStatus.VALIDATED,
                     Invoice.hors_teletransmission.is_(True)))
    stmt = (select(Invoice.id).where(Invoice.cabinet_id == uow.require_cabinet(),
                                     Invoice.kind == InvoiceKind.INVOICE, stage, candidates)
            .order_by(Invoice.date_soins, Invoice.id).limit(limit))
    rows = uow.invoices.many(uow.session.scalars(stmt).all())
    money = money_of(uow, rows)
    found = []
    for row in rows:
        assert row.number is not None
        found += [OpenShare(row.id, row.number, row.patient_id, row.date_soins, share)
                  for share in (money[row.id].amo, money[row.id].amc) if keep(share)]
    return found


def unclaimed_shares(uow: UnitOfWork, *, limit: int = 200) -> list[OpenShare]:
    """Shares of transmitted invoices (or factures hors télétransmission) that no lot and
    no person claimed: a to-do until claimed, billed to the patient or written off
    (docs/money-states.md §3; ``uow`` entered)."""
    in_dre = exists().where(LotInvoice.invoice_id == Invoice.id, Lot.id == LotInvoice.lot_row_id,
                            Lot.kind == "DRE")
    amc = and_(Invoice.due_amc > 0, ~in_dre, _no_decision_on(Payer.AMC))
    amo = and_(Invoice.hors_teletransmission.is_(True), Invoice.due_amo > 0,
               _no_decision_on(Payer.AMO))
    return _open(uow, or_(amc, amo), lambda share: share.unclaimed, limit)


def partly_paid_shares(uow: UnitOfWork, *, limit: int = 200) -> list[OpenShare]:
    """Shares an organism answered with less than asked (``PARTIEL``) whose rest nobody billed
    to the patient or wrote off yet: a to-do too (``uow`` entered)."""
    partial = Invoice.id.in_(select(PaymentReturnLine.invoice_id).where(
        PaymentReturnLine.cabinet_id == uow.require_cabinet(),
        PaymentReturnLine.status == ReturnLineStatus.PARTIAL))
    return _open(uow, partial, lambda share: share.settleable
                 and share.state is ShareState.PARTLY_PAID, limit)


def claimed_on_paper(uow: UnitOfWork, *, limit: int = 200) -> list[OpenShare]:
    """Shares claimed on paper that their organism has not paid yet: they wait, as the
    invoices sent do (``uow`` entered)."""
    on_paper = Invoice.id.in_(select(ShareDecision.invoice_id).where(
        ShareDecision.cabinet_id == uow.require_cabinet(),
        ShareDecision.kind == ShareDecisionKind.PAPER_CLAIM))
    return _open(uow, on_paper, lambda share: share.state in (
        ShareState.CLAIMED, ShareState.ACKNOWLEDGED), limit)


# --------------------------------------------------------------------------------------------
# Decisions of a person: claim on paper, bill to the patient, write off (journaled)
# --------------------------------------------------------------------------------------------


def _number(row: Invoice) -> str:
    return "(brouillon)" if row.number is None else str(InvoiceNumber(row.number))


def _locked_share(uow: UnitOfWork, invoice_id: int, payer: Payer) -> tuple[Invoice, Share]:
    row = uow.invoices.for_update(invoice_id)
    if row.kind is not InvoiceKind.INVOICE or not invoicing.state_of(row).counts_for_balance:
        raise InvalidInput(f"Facture n° {_number(row)} "
                           f"{invoicing.state_of(row).display_status.label.lower()} : rien à "
                           "régler sur ses parts.", field="payer")
    return row, money_of(uow, [row])[row.id].share(payer)


def _decide(uow: UnitOfWork, work: Callable[[], str]) -> str:
    with uow:
        return run_writing(uow, work)


def claim_on_paper(uow: UnitOfWork, invoice_id: int, payer: Payer, *, today: date) -> str:
    """An unclaimed organism share sent on paper (bordereau, feuille de soins): it is then
    « Réclamée ». Returns the French confirmation."""
    def work() -> str:
        row, share = _locked_share(uow, invoice_id, payer)
        if not share.unclaimed:
            raise InvalidInput(f"La part {share.payer_label} de la facture n° {_number(row)} "
                               f"n'est pas à réclamer ({share.label.lower()}).", field="payer")
        said = (f"Facture n° {_number(row)} : part de {_WHO[payer]} "
                f"({format_eur(share.left)}) réclamée sur papier")
        uow.journal_change(ShareDecision(invoice_id=row.id, payer=payer,
                                         kind=ShareDecisionKind.PAPER_CLAIM, amount=share.left,
                                         note="réclamée sur papier", decided_on=today),
                           JournalAction.CREATE, summary=said)
        uow.commit()
        return said + "."

    return _decide(uow, work)


def write_off(uow: UnitOfWork, invoice_id: int, payer: Payer, reason: str, *,
              today: date) -> str:
    """What is left of a share nobody will pay, given up by a person (with a reason): the
    share is « Abandonnée » and nobody owes it any more."""
    cleaned = " ".join(reason.split())
    if not cleaned:
        raise InvalidInput("Indiquez pourquoi cette somme est abandonnée.", field="reason")
    if len(cleaned) > 200:
        raise InvalidInput("Motif : 200 caractères au plus.", field="reason")

    def work() -> str:
        row, share = _locked_share(uow, invoice_id, payer)
        if not share.settleable:
            raise InvalidInput(f"La part {share.payer_label} de la facture n° {_number(row)} "
                               f"ne peut pas être abandonnée ({share.label.lower()}).",
                               field="payer")
        said = (f"Facture n° {_number(row)} : {format_eur(share.left)} dus par "
                f"{_WHO[payer]} abandonnés ({cleaned})")
        uow.journal_change(ShareDecision(invoice_id=row.id, payer=payer,
                                         kind=ShareDecisionKind.WRITE_OFF, amount=share.left,
                                         note=cleaned, decided_on=today),
                           JournalAction.CREATE, summary=said)
        if share.state is ShareState.REJECTED:
            _close_rejects(uow, row, payer, cleaned)
        uow.commit()
        return said + "."

    return _decide(uow, work)


def _close_rejects(uow: UnitOfWork, row: Invoice, payer: Payer, reason: str) -> None:
    """A rejected share written off: its reject is dealt with, it leaves « Rejets à traiter »
    (as after « Facturer au patient », ``transmission.handle_reject``)."""
    kinds = [kind for kind, share in _SHARE_OF_LOT.items() if share is payer]
    lines = uow.session.scalars(
        select(PaymentReturnLine)
        .join(Lot, (Lot.lot_id == PaymentReturnLine.lot_id)
              & (Lot.cabinet_id == PaymentReturnLine.cabinet_id))
        .where(PaymentReturnLine.cabinet_id == uow.require_cabinet(),
               PaymentReturnLine.invoice_id == row.id,
               PaymentReturnLine.status == ReturnLineStatus.REJECTED,
               PaymentReturnLine.handled.is_(False), Lot.kind.in_(kinds))).all()
    for line in lines:
        line.handled = True
        uow.journal_change(line, JournalAction.UPDATE,
                           summary=f"Rejet de la facture n° {line.invoice_number} traité : "
                                   f"part abandonnée ({reason})")


def bill_to_patient(uow: UnitOfWork, invoice_id: int, payer: Payer) -> str:
    """What is left of an organism's share that it will not pay (never claimed, or paid in
    part) moved to the patient (a ``ShareTransfer``, as « Facturer au patient » after a
    reject). A rejected share is billed from its reject on the Télétransmission screen (the
    reject is then handled too: ``transmission.handle_reject``)."""
    if payer is Payer.PATIENT:
        raise InvalidInput("Seule la part d'un organisme se facture au patient.", field="payer")

    def work() -> str:
        row, share = _locked_share(uow, invoice_id, payer)
        if not share.settleable:
            raise InvalidInput(f"La part {share.payer_label} de la facture n° {_number(row)} "
                               f"ne se facture pas au patient ({share.label.lower()}).",
                               field="payer")
        if share.state is ShareState.REJECTED:
            raise InvalidInput("Part rejetée : facturez-la au patient depuis son rejet, écran "
                               "Télétransmission (le rejet est alors traité).", field="payer")
        why = ("non réclamée" if share.unclaimed
               else f"payée en partie{f' ({share.reason})' if share.reason else ''}")
        said = (f"Facture n° {_number(row)} : part de {_WHO[payer]} {why}, "
                f"{format_eur(share.left)} facturés au patient")
        uow.journal_change(ShareTransfer(invoice_id=row.id, payer=payer, amount=share.left,
                                         reason=f"Part {payer.value.upper()} {why}"[:250]),
                           JournalAction.CREATE, summary=said)
        uow.commit()
        return said + "."

    return _decide(uow, work)


def settleable_shares(money: InvoiceMoney) -> Iterable[Share]:
    """The shares a person may still act on (the invoice page's buttons)."""
    return [share for share in money.shares if share.settleable]


def shown_for(uow: UnitOfWork, invoice_ids: Iterable[int]) -> dict[int, Shown]:
    """The shown state of these invoices (a list's page), read in one unit of work."""
    with uow:
        return shown_of(uow, uow.invoices.many(invoice_ids))
