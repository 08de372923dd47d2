"""The ARL file (``OPENFSE-ARL`` version 1): ``Arl`` ↔ bytes.

One accusé de réception logique per received lot (docs/protocols.md §1.7), documented in
``docs/formats/arl.md``. Records::

    ARL  reference, issuer, reception date, status, lot (professional, date, number — empty
         when the lot could not be identified), lot SHA-256, Message-ID of the received mail,
         number of invoices, number of reasons
    MOT  one reason: code, invoice number (or empty), label
"""

from __future__ import annotations

from collections.abc import Iterator

from openfse.adapters.transmission.framing import (
    Cursor,
    Record,
    escape,
    fmt_date,
    seal,
    unseal,
)
from openfse.domain.transmission import Arl, ArlStatus, LotRef, Reason

__all__ = ["FORMAT_ID", "VERSION", "parse_arl", "serialise_arl"]

FORMAT_ID = "OPENFSE-ARL"
VERSION = 1
_VERSIONS = frozenset({VERSION})


def serialise_arl(arl: Arl) -> bytes:
    return seal(FORMAT_ID, VERSION, _records(arl))


def _records(arl: Arl) -> Iterator[list[str]]:
    lot = arl.lot
    yield [
        "ARL",
        arl.reference,
        arl.issuer,
        fmt_date(arl.received_on),
        arl.status.value,
        "" if lot is None else lot.ps_number,
        "" if lot is None else fmt_date(lot.created_on),
        "" if lot is None else f"{lot.number:03d}",
        arl.lot_sha256,
        escape(arl.message_ref),
        str(arl.invoice_count),
        str(len(arl.reasons)),
    ]
    for reason in arl.reasons:
        yield ["MOT", reason.code, reason.invoice_number, escape(reason.label)]


def parse_arl(data: bytes) -> Arl:
    """The ARL of an ARL file.

    Raises:
        TransmissionFormatError: the first problem found, with its line number.
    """
    cursor = Cursor(unseal(data, FORMAT_ID, _VERSIONS))
    head = cursor.take("ARL", 11)
    count = head.integer(10, "nombre de motifs", 0, 99)
    reasons = tuple(_reason(cursor.take("MOT", 3)) for _ in range(count))
    cursor.finish()
    with head.building():
        return Arl(
            reference=head.text(0, "référence", low=1, high=40),
            issuer=head.digits(1, "émetteur", 7, 10),
            received_on=head.day(2, "date de réception"),
            status=head.choice(3, "statut", ArlStatus),
            lot=_lot(head),
            lot_sha256=head.text(7, "empreinte du lot", high=64),
            message_ref=head.text(8, "référence du message", high=200),
            invoice_count=head.integer(9, "nombre de factures", 0, 999),
            reasons=reasons,
        )


def _lot(head: Record) -> LotRef | None:
    if head.fields[4:7] == ("", "", ""):
        return None
    return LotRef(
        head.digits(4, "numéro de facturation du PS", 9),
        head.day(5, "date du lot"),
        head.integer(6, "numéro de lot", 1, 999),
    )


def _reason(record: Record) -> Reason:
    with record.building():
        return Reason(
            code=record.text(0, "code motif", low=1, high=8),
            invoice_number=record.optional_digits(1, "numéro de facture", 9),
            label=record.text(2, "libellé", low=1, high=200),
        )
