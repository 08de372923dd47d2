"""The payment-return file (``OPENFSE-RSP`` version 1): ``ReturnStatement`` ↔ bytes.

Our stand-in for the NOEMIE RSP returns (« Rejet / Signalement / Paiement », docs/protocols.md
§1.8), documented in ``docs/formats/returns.md``. Records::

    REL  the statement: reference, issuer, professional, date, transfer reference, number of
         lines, total paid (checked against the lines, like NOEMIE's closing entity 990)
    PAI  one invoice: lot (date, number), invoice number, NIR, care date, status, amount
         requested, amount paid, payment date, reason code and label
"""

from __future__ import annotations

from collections.abc import Iterator

from openfse.adapters.transmission.framing import (
    Cursor,
    Record,
    escape,
    fmt_amount,
    fmt_date,
    seal,
    unseal,
)
from openfse.domain.transmission import (
    LotRef,
    PaymentReturn,
    PaymentStatus,
    Reason,
    ReturnStatement,
)
from openfse.money import format_eur

__all__ = ["FORMAT_ID", "VERSION", "parse_returns", "serialise_returns"]

FORMAT_ID = "OPENFSE-RSP"
VERSION = 1
_VERSIONS = frozenset({VERSION})
MAX_LINES = 9999


def serialise_returns(statement: ReturnStatement) -> bytes:
    return seal(FORMAT_ID, VERSION, _records(statement))


def _records(statement: ReturnStatement) -> Iterator[list[str]]:
    yield [
        "REL",
        statement.reference,
        statement.issuer,
        statement.ps_number,
        fmt_date(statement.issued_on),
        statement.transfer_reference,
        str(len(statement.lines)),
        fmt_amount(statement.total_paid),
    ]
    for line in statement.lines:
        reason = line.reason
        yield [
            "PAI",
            fmt_date(line.lot.created_on),
            f"{line.lot.number:03d}",
            line.invoice_number,
            line.nir,
            fmt_date(line.care_date),
            line.status.value,
            fmt_amount(line.requested),
            fmt_amount(line.paid),
            "" if line.payment_date is None else fmt_date(line.payment_date),
            "" if reason is None else reason.code,
            "" if reason is None else escape(reason.label),
        ]


def parse_returns(data: bytes) -> ReturnStatement:
    """The statement of a payment-return file.

    Raises:
        TransmissionFormatError: the first problem found, with its line number.
    """
    cursor = Cursor(unseal(data, FORMAT_ID, _VERSIONS))
    head = cursor.take("REL", 7)
    ps_number = head.digits(2, "numéro de facturation du PS", 9)
    count = head.integer(5, "nombre de lignes", 1, MAX_LINES)
    lines = tuple(_line(cursor.take("PAI", 11), ps_number) for _ in range(count))
    cursor.finish()
    declared = head.amount(6, "total payé")
    with head.building():
        statement = ReturnStatement(
            reference=head.text(0, "référence", low=1, high=40),
            issuer=head.digits(1, "émetteur", 7, 10),
            ps_number=ps_number,
            issued_on=head.day(3, "date du relevé"),
            transfer_reference=head.text(4, "référence du virement", high=40),
            lines=lines,
        )
    if statement.total_paid != declared:
        raise head.error(
            f"REL : total annoncé {format_eur(declared)}, somme des lignes "
            f"{format_eur(statement.total_paid)}."
        )
    return statement


def _line(record: Record, ps_number: str) -> PaymentReturn:
    code, label = record.fields[9], record.fields[10]
    with record.building():
        reason = None
        if code or label:
            reason = Reason(
                code=record.text(9, "code motif", low=1, high=8),
                label=record.text(10, "libellé du motif", low=1, high=200),
            )
        return PaymentReturn(
            lot=LotRef(
                ps_number,
                record.day(0, "date du lot"),
                record.integer(1, "numéro de lot", 1, 999),
            ),
            invoice_number=record.digits(2, "numéro de facture", 9),
            nir=record.text(3, "NIR", low=15, high=15),
            care_date=record.day(4, "date des soins"),
            status=record.choice(5, "statut", PaymentStatus),
            requested=record.amount(6, "montant demandé"),
            paid=record.amount(7, "montant payé"),
            payment_date=record.optional_day(8, "date de paiement"),
            reason=reason,
        )
