"""The lot file (``OPENFSE-LOT`` version 3): ``LotContent`` ↔ bytes.

Our own format, documented with its field tables in ``docs/formats/lot.md`` (the official B2 /
SESAM-Vitale 1.40 layouts are restricted documents, docs/protocols.md §1.3). Records::

    LOT  header: professional, date, number, kind, destination, counts
    FAC  one invoice (FSE or DRE), followed by
      ACT  its acts (as many as FAC announces)
      TAR  optionally the pricing draft (base64 of the docs/formats/price.md JSON)
      SIG  the CPS signature, the Vitale signature, the contenu signé (base64) and the
           serial number of the carte Vitale that signed
    PJ   one scanned justificatif (SCOR lots only)

The lot's SHA-256 is the trailer's (``LotFile.sha256``): it identifies one exact content, so
the insurer can tell a resend of the same lot from a corrected one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from hashlib import sha256

from openfse.adapters.transmission.framing import (
    Cursor,
    Record,
    escape,
    fmt_amount,
    fmt_b64,
    fmt_date,
    fmt_decimal,
    fmt_flag,
    seal,
    unseal,
)
from openfse.domain.pricing.codes import Nomenclature
from openfse.domain.transmission import (
    MAX_ACTS_PER_INVOICE,
    MAX_DRAFT_CHARS,
    MAX_INVOICES_PER_LOT,
    MAX_PIECE_BYTES,
    MAX_PIECES_PER_LOT,
    MAX_SIGNATURE_BYTES,
    MAX_SIGNED_CONTENT_BYTES,
    ActLine,
    Destination,
    DestinationKind,
    InvoiceRecord,
    LotContent,
    LotKind,
    LotRef,
    ScorPiece,
)

__all__ = [
    "FORMAT_ID",
    "VERSION",
    "LotFile",
    "parse_lot",
    "serialise_lot",
]

FORMAT_ID = "OPENFSE-LOT"
# 2: SIG carries the contenu signé (what the CPS signature covers, signed_content.py).
# 3: SIG carries the serial number of the carte Vitale that signed (its key is per card).
# Version 2 is still read: lots built before keep their bytes when they are sent again.
VERSION = 3
_VERSIONS = frozenset({2, VERSION})
_SIG_FIELDS = {2: 3, 3: 4}


@dataclass(frozen=True, slots=True)
class LotFile:
    """A lot with its bytes and its SHA-256 (the trailer's)."""

    content: LotContent
    data: bytes
    sha256: str

    @classmethod
    def build(cls, lot: LotContent) -> LotFile:
        data = serialise_lot(lot)
        # The trailer is "FIN|<n>|<sha256>\n": the digest is its last 64 characters.
        return cls(lot, data, data[-65:-1].decode("ascii"))

    @classmethod
    def parse(cls, data: bytes) -> LotFile:
        sealed = unseal(data, FORMAT_ID, _VERSIONS)
        return cls(_read(Cursor(sealed), sealed.version), data, sealed.sha256)

    @property
    def lot_id(self) -> str:
        return self.content.lot_id


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def serialise_lot(lot: LotContent) -> bytes:
    """The bytes of the lot file."""
    return seal(FORMAT_ID, VERSION, _records(lot))


def _records(lot: LotContent) -> Iterator[list[str]]:
    ref = lot.ref
    yield [
        "LOT",
        ref.ps_number,
        fmt_date(ref.created_on),
        f"{ref.number:03d}",
        lot.kind.value,
        lot.destination.kind.value,
        lot.destination.code,
        str(len(lot.invoices)),
        str(len(lot.pieces)),
    ]
    for invoice in lot.invoices:
        yield from _invoice_records(invoice)
        yield ["SIG", fmt_b64(invoice.cps_signature), fmt_b64(invoice.vitale_signature),
               fmt_b64(invoice.signed_content), invoice.vitale_serial]
    for piece in lot.pieces:
        yield [
            "PJ",
            piece.invoice_number,
            piece.media_type,
            str(piece.dpi),
            str(len(piece.content)),
            sha256(piece.content).hexdigest(),
            fmt_b64(piece.content),
        ]


def _invoice_records(invoice: InvoiceRecord) -> Iterator[list[str]]:
    yield [
        "FAC",
        invoice.number,
        invoice.nir,
        invoice.birth_date,
        str(invoice.rang),
        invoice.qualite,
        invoice.organisme,
        invoice.amc_number,
        fmt_date(invoice.care_date),
        fmt_date(invoice.invoiced_on),
        escape(invoice.secure_mode),
        fmt_flag(invoice.tiers_payant_amo),
        fmt_flag(invoice.tiers_payant_amc),
        str(len(invoice.acts)),
        fmt_amount(invoice.total),
        fmt_amount(invoice.amo),
        fmt_amount(invoice.amc),
        fmt_amount(invoice.patient),
        fmt_amount(invoice.participations),
        fmt_amount(invoice.requested),
    ]
    for act in invoice.acts:
        yield [
            "ACT",
            fmt_date(act.date),
            act.nomenclature.value,
            act.code,
            str(act.quantity),
            fmt_decimal(act.coefficient),
            act.modifiers,
            str(act.activity),
            str(act.phase),
            act.exo,
            fmt_amount(act.honoraires),
            fmt_amount(act.base),
            fmt_amount(act.rate),
            fmt_amount(act.amo),
            fmt_amount(act.amc),
        ]
    if invoice.draft:
        yield ["TAR", fmt_b64(invoice.draft.encode("utf-8"))]


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def parse_lot(data: bytes) -> LotContent:
    """The lot of a lot file.

    Raises:
        TransmissionFormatError: the first problem found, with its line number.
    """
    return LotFile.parse(data).content


def _read(cursor: Cursor, version: int) -> LotContent:
    head = cursor.take("LOT", 8)
    with head.building():
        ref = LotRef(
            head.digits(0, "numéro de facturation du PS", 9),
            head.day(1, "date de création"),
            head.integer(2, "numéro de lot", 1, 999),
        )
        kind = head.choice(3, "type de lot", LotKind)
        destination = Destination(
            head.choice(4, "type de destinataire", DestinationKind),
            head.digits(5, "destinataire", 7, 10),
        )
    invoice_count = head.integer(6, "nombre de factures", 0, MAX_INVOICES_PER_LOT)
    piece_count = head.integer(7, "nombre de pièces", 0, MAX_PIECES_PER_LOT)
    invoices = tuple(_read_invoice(cursor, version) for _ in range(invoice_count))
    pieces = tuple(_read_piece(cursor.take("PJ", 6)) for _ in range(piece_count))
    cursor.finish()
    with head.building():
        return LotContent(ref, kind, destination, invoices=invoices, pieces=pieces)


def _read_invoice(cursor: Cursor, version: int) -> InvoiceRecord:
    head = cursor.take("FAC", 19)
    act_count = head.integer(12, "nombre d'actes", 1, MAX_ACTS_PER_INVOICE)
    acts = tuple(_read_act(cursor.take("ACT", 14)) for _ in range(act_count))
    draft = ""
    if cursor.peek_kind() == "TAR":
        tar = cursor.take("TAR", 1)
        raw = tar.b64(0, "brouillon de tarification", MAX_DRAFT_CHARS * 4)
        try:
            draft = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise tar.error("TAR : brouillon de tarification en UTF-8 attendu.") from None
        if not draft:
            raise tar.error("TAR : brouillon de tarification vide.")
    sig = cursor.take("SIG", _SIG_FIELDS[version])
    cps = sig.b64(0, "signature CPS", MAX_SIGNATURE_BYTES)
    vitale = sig.b64(1, "signature Vitale", MAX_SIGNATURE_BYTES)
    signed = sig.b64(2, "contenu signé", MAX_SIGNED_CONTENT_BYTES)
    serial = sig.optional_digits(3, "carte Vitale", 1, 20) if version >= 3 else ""
    with head.building():
        return InvoiceRecord(
            number=head.digits(0, "numéro de facture", 9),
            nir=head.text(1, "NIR", low=15, high=15),
            birth_date=head.digits(2, "date de naissance", 8),
            rang=head.integer(3, "rang de naissance", 1, 9),
            qualite=head.digits(4, "qualité", 2),
            organisme=head.digits(5, "organisme AMO", 9),
            amc_number=head.optional_digits(6, "numéro AMC", 7, 10),
            care_date=head.day(7, "date des soins"),
            invoiced_on=head.day(8, "date de facturation"),
            secure_mode=head.text(9, "mode de sécurisation", low=1, high=30),
            tiers_payant_amo=head.flag(10, "tiers payant AMO"),
            tiers_payant_amc=head.flag(11, "tiers payant AMC"),
            acts=acts,
            total=head.amount(13, "total"),
            amo=head.amount(14, "part AMO"),
            amc=head.amount(15, "part AMC"),
            patient=head.amount(16, "part patient"),
            participations=head.amount(17, "participations"),
            requested=head.amount(18, "montant demandé"),
            cps_signature=cps,
            vitale_signature=vitale,
            draft=draft,
            signed_content=signed,
            vitale_serial=serial,
        )


def _read_act(record: Record) -> ActLine:
    with record.building():
        return ActLine(
            date=record.day(0, "date de l'acte"),
            nomenclature=record.choice(1, "nomenclature", Nomenclature),
            code=record.text(2, "code", low=1, high=8),
            quantity=record.integer(3, "quantité", 1, 9999),
            coefficient=record.decimal(4, "coefficient", 3),
            modifiers=record.text(5, "modificateurs", high=4),
            activity=record.integer(6, "activité", 1, 5),
            phase=record.integer(7, "phase", 0, 9),
            exo=record.text(8, "exonération", high=1),
            honoraires=record.amount(9, "honoraires"),
            base=record.amount(10, "base de remboursement"),
            rate=record.amount(11, "taux AMO"),
            amo=record.amount(12, "part AMO"),
            amc=record.amount(13, "part AMC"),
        )


def _read_piece(record: Record) -> ScorPiece:
    size = record.integer(3, "taille", 1, MAX_PIECE_BYTES)
    digest = record.sha256(4, "empreinte")
    content = record.b64(5, "contenu", MAX_PIECE_BYTES)
    if len(content) != size:
        raise record.error(f"PJ : {size} octets annoncés, {len(content)} reçus.")
    if sha256(content).hexdigest() != digest:
        raise record.error("PJ : empreinte SHA-256 de la pièce incorrecte.")
    with record.building():
        return ScorPiece(
            invoice_number=record.digits(0, "numéro de facture", 9),
            media_type=record.text(1, "type de fichier", low=1, high=81),
            dpi=record.integer(2, "résolution", 1, 9999),
            content=content,
        )
