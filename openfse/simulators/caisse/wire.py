"""The simulated caisse's own reading of the files it receives and writing of its answers,
written from the format documents (docs/formats/lot.md, arl.md, returns.md), not from the
product's codec: a second implementation reads what the product wrote, so a slip in either
shows as a refused lot instead of passing silently (issue 11 point 6).

- ``parse_lot(data)`` → ``(LotContent, sha256)`` or ``WireError`` (``kind``: ``format``,
  ``checksum``, ``truncated``, ``version``: the ARL reasons A01–A04), message « Ligne N : … ».
- ``serialise_arl`` / ``serialise_returns``: the OPENFSE-ARL and OPENFSE-RSP files.

The values are the simulator's own small records; nothing here knows how an invoice is priced.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from hashlib import sha256
from typing import TypeVar

__all__ = [
    "ActLine",
    "Arl",
    "ArlStatus",
    "Destination",
    "DestinationKind",
    "InvoiceRecord",
    "LotContent",
    "LotKind",
    "LotRef",
    "PaymentReturn",
    "PaymentStatus",
    "Reason",
    "ReturnStatement",
    "ScorPiece",
    "WireError",
    "parse_lot",
    "serialise_arl",
    "serialise_returns",
]

MAX_LABEL_CHARS = 200  # arl.md §2: a reason's label
MIN_SCOR_DPI = 150  # lot.md §3 PJ: the insurer requires 150 dpi at least
_T = TypeVar("_T")


class WireError(Exception):
    """A file that does not follow its format; ``kind`` says how (lot.md §2)."""

    def __init__(self, message: str, *, line: int | None = None, kind: str = "format") -> None:
        self.message = (f"Ligne {line} : " if line is not None else "") + message
        self.kind = kind
        super().__init__(self.message)


class LotKind(StrEnum):
    FSE = "FSE"
    DRE = "DRE"
    SCOR = "SCOR"


class DestinationKind(StrEnum):
    AMO = "AMO"
    AMC = "AMC"


class ArlStatus(StrEnum):
    POSITIVE = "POSITIF"
    NEGATIVE = "NEGATIF"


class PaymentStatus(StrEnum):
    PAID = "PAYE"
    PARTIAL = "PARTIEL"
    REJECTED = "REJETE"


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    label: str
    invoice_number: str = ""


@dataclass(frozen=True, slots=True)
class Destination:
    kind: DestinationKind
    code: str


@dataclass(frozen=True, slots=True)
class LotRef:
    ps_number: str
    created_on: date
    number: int

    @property
    def lot_id(self) -> str:
        return f"{self.ps_number}-{self.created_on:%Y%m%d}-{self.number:03d}"


@dataclass(frozen=True, slots=True)
class ActLine:
    date: date
    nomenclature: str
    code: str
    quantity: int
    coefficient: Decimal
    modifiers: str
    exo: str
    honoraires: Decimal
    base: Decimal
    rate: Decimal
    amo: Decimal
    amc: Decimal


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    number: str
    nir: str
    birth_date: str
    rang: int
    organisme: str
    amc_number: str
    care_date: date
    secure_mode: str
    tiers_payant_amo: bool
    tiers_payant_amc: bool
    acts: tuple[ActLine, ...]
    total: Decimal
    amo: Decimal
    amc: Decimal
    patient: Decimal
    participations: Decimal
    requested: Decimal
    cps_signature: bytes = b""
    vitale_signature: bytes = b""
    signed_content: bytes = b""
    vitale_serial: str = ""
    has_draft: bool = False


@dataclass(frozen=True, slots=True)
class ScorPiece:
    invoice_number: str
    media_type: str
    dpi: int
    content: bytes


@dataclass(frozen=True, slots=True)
class LotContent:
    ref: LotRef
    kind: LotKind
    destination: Destination
    invoices: tuple[InvoiceRecord, ...] = ()
    pieces: tuple[ScorPiece, ...] = ()

    @property
    def lot_id(self) -> str:
        return self.ref.lot_id

    @property
    def size(self) -> int:
        return len(self.pieces) if self.kind is LotKind.SCOR else len(self.invoices)


@dataclass(frozen=True, slots=True)
class Arl:
    reference: str
    issuer: str
    received_on: date
    status: ArlStatus
    lot: LotRef | None
    lot_sha256: str
    message_ref: str
    invoice_count: int
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True, slots=True)
class PaymentReturn:
    lot: LotRef
    invoice_number: str
    nir: str
    care_date: date
    status: PaymentStatus
    requested: Decimal
    paid: Decimal
    payment_date: date | None
    reason: Reason | None = None


@dataclass(frozen=True, slots=True)
class ReturnStatement:
    reference: str
    issuer: str
    ps_number: str
    issued_on: date
    transfer_reference: str
    lines: tuple[PaymentReturn, ...]


# --------------------------------------------------------------------------------------------
# The frame (lot.md §2)
# --------------------------------------------------------------------------------------------

_ESCAPES = {"%": "%25", "|": "%7C", "\n": "%0A", "\r": "%0D"}
_UNESCAPES = {code: char for char, code in _ESCAPES.items()}
_AMOUNT = re.compile(r"[0-9]{1,8}\.[0-9]{2}")
_DECIMAL = re.compile(r"[0-9]{1,6}(\.[0-9]{1,3})?")
_B64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def _escape(text: str) -> str:
    return "".join(_ESCAPES.get(char, char) for char in text)


def _seal(header: str, records: Iterable[Sequence[str]]) -> bytes:
    lines = [header, *("|".join(record) for record in records)]
    body = ("\n".join(lines) + "\n").encode("utf-8")
    return body + f"FIN|{len(lines) - 1}|{sha256(body).hexdigest()}\n".encode("ascii")


def _unseal(data: bytes, format_id: str, versions: frozenset[int]) -> tuple[int, list[list[str]]]:
    """(version, records) of a sealed file, the frame checked."""
    if not data.endswith(b"\n"):
        raise WireError("fichier tronqué : pas de fin de ligne finale.", kind="truncated")
    cut = data.rfind(b"\n", 0, len(data) - 1) + 1
    body, trailer = data[:cut], data[cut:-1]
    try:
        text = body.decode("utf-8")
        trailer_text = trailer.decode("ascii")
    except UnicodeDecodeError:
        raise WireError("texte UTF-8 invalide.") from None
    lines = text.split("\n")[:-1]
    if not trailer_text.startswith("FIN|"):
        raise WireError("fichier tronqué : ligne FIN absente.", kind="truncated")
    parts = trailer_text.split("|")
    if len(parts) != 3 or not parts[1].isdigit() or int(parts[1]) != len(lines) - 1:
        raise WireError("fichier tronqué : nombre d'enregistrements incorrect.",
                        line=len(lines) + 1, kind="truncated")
    if parts[2] != sha256(body).hexdigest():
        raise WireError("somme de contrôle SHA-256 incorrecte : fichier altéré en route.",
                        line=len(lines) + 1, kind="checksum")
    if "\r" in text:
        raise WireError("retour chariot interdit.")
    head = lines[0].split("|") if lines else []
    if len(head) != 2 or head[0] != format_id:
        raise WireError(f"en-tête {format_id} attendu.", line=1)
    if not head[1].isdigit() or int(head[1]) not in versions:
        raise WireError(f"version {head[1]} non prise en charge.", line=1, kind="version")
    return int(head[1]), [line.split("|") for line in lines[1:]]


class _Fields:
    """One record's fields, read with their shape checked (the error names line and field)."""

    def __init__(self, line: int, fields: list[str], kind: str, count: int) -> None:
        if fields[0] != kind:
            raise WireError(f"enregistrement {kind} attendu, reçu « {fields[0][:20]} ».",
                            line=line)
        if len(fields) - 1 != count:
            raise WireError(f"{kind} : {count} champs attendus, {len(fields) - 1} reçus.",
                            line=line)
        self.line, self.fields, self.kind = line, fields, kind

    def _get(self, number: int, name: str, check: Callable[[str], _T]) -> _T:
        value = self.fields[number]
        try:
            return check(value)
        except (ValueError, binascii.Error):
            raise WireError(f"{self.kind}, champ {number} ({name}) : reçu « {value[:40]} ».",
                            line=self.line) from None

    def digits(self, number: int, name: str, low: int, high: int, *,
               empty: bool = False) -> str:
        def check(value: str) -> str:
            if (empty and not value) or (low <= len(value) <= high and value.isascii()
                                         and value.isdigit()):
                return value
            raise ValueError(value)
        return self._get(number, name, check)

    def integer(self, number: int, name: str, low: int, high: int) -> int:
        def check(value: str) -> int:
            if not (value.isascii() and value.isdigit() and len(value) <= 5
                    and low <= int(value) <= high):
                raise ValueError(value)
            return int(value)
        return self._get(number, name, check)

    def day(self, number: int, name: str) -> date:
        def check(value: str) -> date:
            if len(value) != 8 or not value.isascii() or not value.isdigit():
                raise ValueError(value)
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        return self._get(number, name, check)

    def amount(self, number: int, name: str) -> Decimal:
        def check(value: str) -> Decimal:
            if not _AMOUNT.fullmatch(value):
                raise ValueError(value)
            return Decimal(value)
        return self._get(number, name, check)

    def decimal(self, number: int, name: str) -> Decimal:
        def check(value: str) -> Decimal:
            if not _DECIMAL.fullmatch(value) or Decimal(value) <= 0:
                raise ValueError(value)
            return Decimal(value)
        return self._get(number, name, check)

    def flag(self, number: int, name: str) -> bool:
        def check(value: str) -> bool:
            if value not in ("0", "1"):
                raise ValueError(value)
            return value == "1"
        return self._get(number, name, check)

    def choice(self, number: int, name: str, choices: Sequence[str]) -> str:
        def check(value: str) -> str:
            if value not in choices:
                raise ValueError(value)
            return value
        return self._get(number, name, check)

    def text(self, number: int, name: str) -> str:
        def check(value: str) -> str:
            out, position = [], 0
            while position < len(value):
                char = value[position]
                if char == "%":
                    code = value[position:position + 3]
                    if code not in _UNESCAPES:
                        raise ValueError(value)
                    out.append(_UNESCAPES[code])
                    position += 3
                    continue
                out.append(char)
                position += 1
            return "".join(out)
        return self._get(number, name, check)

    def shape(self, number: int, name: str, pattern: str) -> str:
        def check(value: str) -> str:
            if not re.fullmatch(pattern, value):
                raise ValueError(value)
            return value
        return self._get(number, name, check)

    def b64(self, number: int, name: str) -> bytes:
        def check(value: str) -> bytes:
            if not _B64.fullmatch(value):
                raise ValueError(value)
            return base64.b64decode(value, validate=True)
        return self._get(number, name, check)


# --------------------------------------------------------------------------------------------
# Reading a lot (lot.md §3)
# --------------------------------------------------------------------------------------------


def parse_lot(data: bytes) -> tuple[LotContent, str]:
    """The lot and its SHA-256 (the trailer's); ``WireError`` when it is not a valid lot."""
    if len(data) > 96 * 1024 * 1024:
        raise WireError("fichier trop volumineux.")
    version, records = _unseal(data, "OPENFSE-LOT", frozenset({2, 3}))
    digest = data[data.rfind(b"|") + 1:-1].decode("ascii")
    try:
        return _lot(version, records), digest
    except IndexError:
        raise WireError("enregistrement attendu absent : fichier incomplet.",
                        line=len(records) + 1) from None


def _lot(version: int, records: list[list[str]]) -> LotContent:
    line = 2
    head = _Fields(line, records[0], "LOT", 8)
    ref = LotRef(head.digits(1, "numéro de facturation", 9, 9),
                 head.day(2, "date de création"), head.integer(3, "numéro de lot", 1, 999))
    kind = LotKind(head.choice(4, "type de lot", ("FSE", "DRE", "SCOR")))
    destination = Destination(
        DestinationKind(head.choice(5, "type de destinataire", ("AMO", "AMC"))),
        head.digits(6, "destinataire", 7, 10))
    invoices_count = head.integer(7, "nombre de factures", 0, 50)
    pieces_count = head.integer(8, "nombre de pièces", 0, 50)
    position = 1
    invoices: list[InvoiceRecord] = []
    for _ in range(invoices_count):
        invoice, position = _invoice(version, records, position)
        invoices.append(invoice)
    pieces: list[ScorPiece] = []
    for _ in range(pieces_count):
        pieces.append(_piece(_Fields(position + 2, records[position], "PJ", 6)))
        position += 1
    if position != len(records):
        raise WireError("enregistrements en trop après le lot annoncé.", line=position + 2)
    return LotContent(ref, kind, destination, tuple(invoices), tuple(pieces))


def _invoice(version: int, records: list[list[str]], position: int) -> tuple[InvoiceRecord, int]:
    fac = _Fields(position + 2, records[position], "FAC", 19)
    acts_count = fac.integer(13, "nombre d'actes", 1, 99)
    acts = []
    for offset in range(1, acts_count + 1):
        acts.append(_act(_Fields(position + offset + 2, records[position + offset], "ACT", 14)))
    position += acts_count + 1
    has_draft = records[position][0] == "TAR"
    if has_draft:
        _Fields(position + 2, records[position], "TAR", 1).b64(1, "brouillon")
        position += 1
    sig = _Fields(position + 2, records[position], "SIG", 4 if version == 3 else 3)
    vitale_serial = sig.digits(4, "carte Vitale", 1, 20, empty=True) if version == 3 else ""
    record = InvoiceRecord(
        number=fac.digits(1, "numéro de facture", 9, 9),
        nir=fac.shape(2, "NIR", r"[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}"),
        birth_date=fac.digits(3, "date de naissance", 8, 8),
        rang=fac.integer(4, "rang", 1, 9),
        organisme=fac.digits(6, "organisme AMO", 9, 9),
        amc_number=fac.digits(7, "numéro AMC", 7, 10, empty=True),
        care_date=fac.day(8, "date des soins"),
        secure_mode=fac.text(10, "mode de sécurisation"),
        tiers_payant_amo=fac.flag(11, "tiers payant AMO"),
        tiers_payant_amc=fac.flag(12, "tiers payant AMC"),
        acts=tuple(acts),
        total=fac.amount(14, "total"), amo=fac.amount(15, "part AMO"),
        amc=fac.amount(16, "part AMC"), patient=fac.amount(17, "part patient"),
        participations=fac.amount(18, "participations"),
        requested=fac.amount(19, "montant demandé"),
        cps_signature=sig.b64(1, "signature CPS"), vitale_signature=sig.b64(2, "signature Vitale"),
        signed_content=sig.b64(3, "contenu signé"), vitale_serial=vitale_serial,
        has_draft=has_draft)
    fac.digits(5, "qualité", 2, 2)
    fac.day(9, "date de facturation")
    return record, position + 1


def _act(act: _Fields) -> ActLine:
    nomenclature = act.choice(2, "nomenclature", ("NGAP", "CCAM", "COX"))
    return ActLine(
        date=act.day(1, "date"), nomenclature=nomenclature,
        code=act.shape(3, "code", r"[A-Z0-9]{1,8}"), quantity=act.integer(4, "quantité", 1, 9999),
        coefficient=act.decimal(5, "coefficient"),
        modifiers=act.shape(6, "modificateurs", r"[A-Z0-9]{0,4}"),
        exo=act.choice(9, "exonération", ("", "0", "3", "4", "5", "7", "9")),
        honoraires=act.amount(10, "honoraires"), base=act.amount(11, "base de remboursement"),
        rate=act.amount(12, "taux AMO"), amo=act.amount(13, "part AMO"),
        amc=act.amount(14, "part AMC"))


def _piece(pj: _Fields) -> ScorPiece:
    content = pj.b64(6, "contenu")
    size = int(pj.digits(4, "taille", 1, 8))
    if size != len(content) or pj.fields[5] != sha256(content).hexdigest():
        raise WireError("PJ : taille ou empreinte différente du contenu.", line=pj.line)
    return ScorPiece(pj.digits(1, "numéro de facture", 9, 9),
                     pj.shape(2, "type", r"[a-z]+/[a-z0-9.+-]+"),
                     pj.integer(3, "résolution", 1, 9999), content)


# --------------------------------------------------------------------------------------------
# Writing the answers (arl.md §2, returns.md §2)
# --------------------------------------------------------------------------------------------


def _day(day: date) -> str:
    return f"{day:%Y%m%d}"


def _eur(value: Decimal) -> str:
    return f"{value:.2f}"


def serialise_arl(arl: Arl) -> bytes:
    lot = arl.lot
    records = [["ARL", arl.reference, arl.issuer, _day(arl.received_on), arl.status.value,
                "" if lot is None else lot.ps_number,
                "" if lot is None else _day(lot.created_on),
                "" if lot is None else f"{lot.number:03d}", arl.lot_sha256,
                _escape(arl.message_ref), str(arl.invoice_count), str(len(arl.reasons))]]
    records += [["MOT", r.code, r.invoice_number, _escape(r.label[:MAX_LABEL_CHARS])]
                for r in arl.reasons]
    return _seal("OPENFSE-ARL|1", records)


def serialise_returns(statement: ReturnStatement) -> bytes:
    paid = sum((line.paid for line in statement.lines), Decimal("0.00"))
    records = [["REL", statement.reference, statement.issuer, statement.ps_number,
                _day(statement.issued_on), statement.transfer_reference,
                str(len(statement.lines)), _eur(paid)]]
    for line in statement.lines:
        why = line.reason
        records.append([
            "PAI", _day(line.lot.created_on), f"{line.lot.number:03d}", line.invoice_number,
            line.nir, _day(line.care_date), line.status.value, _eur(line.requested),
            _eur(line.paid), "" if line.payment_date is None else _day(line.payment_date),
            "" if why is None else why.code,
            "" if why is None else _escape(why.label[:MAX_LABEL_CHARS])])
    return _seal("OPENFSE-RSP|1", records)
