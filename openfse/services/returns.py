"""Reconciliation of payment returns with our invoices (in memory, no database).

A payment return line names the professional (numéro de facturation), the lot and the invoice
number (docs/protocols.md §1.8, docs/formats/returns.md): (lot id, invoice number) is the key — the
lot tells the share answered, since in gestion séparée one invoice travels twice, its AMO part in
an FSE lot to the caisse and its AMC part in a DRE lot to the complementary (dossier LOGOSw).
``reconcile`` looks every line up in a dict built once from the invoices sent, so 100,000 lines
take a fraction of a second (bench/bench_reconcile.py). A line whose key is unknown, or that
asks another amount than the share sent, is « non rapprochée »: kept and shown, never applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from openfse.domain.payment import Payer
from openfse.domain.transmission import PaymentReturn, PaymentStatus

__all__ = ["Match", "Reconciliation", "SentInvoice", "reconcile"]


@dataclass(frozen=True, slots=True)
class SentInvoice:
    """What we sent for one share of an invoice: enough to check a return line against it."""

    invoice_id: int
    ps_number: str
    number: str
    requested: Decimal
    lot_id: str
    share: Payer = Payer.AMO  # AMO: FSE lot; AMC: DRE lot (gestion séparée)

    @property
    def key(self) -> tuple[str, str]:
        return (self.lot_id, self.number)


@dataclass(frozen=True, slots=True)
class Match:
    line: PaymentReturn
    invoice: SentInvoice


@dataclass(frozen=True, slots=True)
class Reconciliation:
    paid: tuple[Match, ...]
    partial: tuple[Match, ...]
    rejected: tuple[Match, ...]
    unmatched: tuple[tuple[PaymentReturn, str], ...]  # (line, French reason)

    @property
    def matched(self) -> tuple[Match, ...]:
        return self.paid + self.partial + self.rejected

    @property
    def total_paid(self) -> Decimal:
        return sum((m.line.paid for m in self.paid + self.partial), Decimal("0.00"))


def reconcile(
    lines: Iterable[PaymentReturn], sent: Mapping[tuple[str, str], SentInvoice]
) -> Reconciliation:
    """Match each line to the invoice share sent under (lot id, invoice number)
    (``SentInvoice.key``).

    A line is left unmatched when the key is unknown, or when it asks another amount than the
    one we requested (the insurer answers about another invoice than ours: applying it would
    mark the wrong one paid).
    """
    buckets: dict[PaymentStatus, list[Match]] = {status: [] for status in PaymentStatus}
    unmatched: list[tuple[PaymentReturn, str]] = []
    for line in lines:
        invoice = sent.get((line.lot.lot_id, line.invoice_number))
        if invoice is None:
            unmatched.append((line, f"facture n° {line.invoice_number} inconnue"))
        elif invoice.requested != line.requested:
            unmatched.append(
                (line, f"montant demandé {line.requested} € au lieu de {invoice.requested} €")
            )
        else:
            buckets[line.status].append(Match(line, invoice))
    return Reconciliation(
        tuple(buckets[PaymentStatus.PAID]),
        tuple(buckets[PaymentStatus.PARTIAL]),
        tuple(buckets[PaymentStatus.REJECTED]),
        tuple(unmatched),
    )
