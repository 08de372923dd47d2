"""What the simulated caisse checks in a lot it received.

Two levels, as in the real chain (docs/protocols.md §1.7–1.8):

- **lot** (``lot_problems``) — the reasons of a negative ARL: wrong professional number,
  destination, lot sent in advance, missing or unverifiable signatures, unacceptable scans;
- **invoice** (``invoice_reject``) — after a positive ARL, the reason to reject one invoice in
  the payment returns: NIR key, beneficiary and AMO rights on the date of care (from the ADRi
  simulator's data set: the caisse and ADRi know the same people), totals that do not add up,
  and amounts that disagree with the caisse's own tariff tables (``tariffs.py``: R05).

Nothing here uses the product's pricing engine or codec (issue 11 point 6): the lot is read
by ``wire.py``, the amounts checked by ``tariffs.py``, the contenu signé compared below.

A NIR the rights data set does not know is assumed affiliated (the simulated caisse only holds
its test population); one it knows is checked.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from hashlib import sha256
from importlib import resources
from typing import Any

import yaml  # type: ignore[import-untyped]

from openfse.ids import facturation_ps, nir, organisme
from openfse.simulators.adri.engine import SimInsured, load_dataset
from openfse.simulators.caisse.reasons import reason
from openfse.simulators.caisse.tariffs import amounts_problem
from openfse.simulators.caisse.wire import (
    MIN_SCOR_DPI,
    DestinationKind,
    InvoiceRecord,
    LotContent,
    LotKind,
    Reason,
    ScorPiece,
)

__all__ = [
    "CheckContext",
    "RightsDirectory",
    "SignatureKeys",
    "invoice_reject",
    "lot_problems",
]

# Magic numbers of the formats SCOR accepts (docs/protocols.md §2: JPEG, PNG, PDF).
_SCAN_SIGNATURES = {
    "application/pdf": b"%PDF-",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}


class RightsDirectory:
    """AMO rights as the caisse knows them: the ADRi simulator's data set."""

    def __init__(self, dataset: Sequence[SimInsured]) -> None:
        self._by_nir: dict[str, list[SimInsured]] = {}
        for insured in dataset:
            self._by_nir.setdefault(insured.nir, []).append(insured)

    @classmethod
    def shipped(cls) -> RightsDirectory:
        return cls(load_dataset())

    def problem(self, invoice: InvoiceRecord, on: date) -> Reason | None:
        """R02 / R03 when the caisse knows this NIR and the beneficiary or rights do not fit."""
        code = invoice.organisme
        regime, caisse, centre = code[:2], code[2:5], code[5:]
        provisional = invoice.nir[0] in "78"  # aide eS-KAP+: provisional NIR → caisse + centre
        files = [
            insured
            for insured in self._by_nir.get(invoice.nir, [])
            if insured.regime == regime
            and (not provisional or (insured.caisse, insured.centre) == (caisse, centre))
        ]
        if not files:
            return None
        birth = f"{invoice.birth_date[:4]}-{invoice.birth_date[4:6]}-{invoice.birth_date[6:]}"
        person = next(
            (
                b
                for insured in files
                for b in insured.beneficiaries
                if b.birth == birth and b.rang == invoice.rang
            ),
            None,
        )
        if person is None:
            return reason("R02", f"né(e) le {birth}, rang {invoice.rang}", invoice.number)
        if not any(period.covers(on) for period in person.amo):
            return reason("R03", f"soins du {on.isoformat()}", invoice.number)
        return None


@dataclass(frozen=True, slots=True)
class VitaleKey:
    """What the caisse knows of one carte Vitale: its signing key and its assuré's NIR."""

    key: bytes
    nir: str


class SignatureKeys:
    """The simulated card keys (HMAC-SHA256 over the SHA-256 of the signed data, as the test
    cards sign: docs/formats/card-apdu.md §4): the CPS's by numéro de facturation with its
    key, the cartes Vitale's by serial number."""

    def __init__(self, keys: Mapping[str, bytes],
                 vitale: Mapping[str, VitaleKey] | None = None) -> None:
        self._keys = dict(keys)
        self._vitale = dict(vitale or {})

    @classmethod
    def of_test_cards(cls) -> SignatureKeys:
        """The keys of the shipped test cards, read from their files (the caisse knows the
        cards' issuer data, not the product's card model)."""
        keys: dict[str, bytes] = {}
        vitale: dict[str, VitaleKey] = {}
        for data in _test_card_files():
            card = data.get("card") or {}
            if data.get("kind") == "vitale":
                serial = str(card.get("serial", ""))
                people = card.get("beneficiaries") or [{}]
                vitale[serial] = VitaleKey(vitale_key(serial), str(people[0].get("nir", "")))
                continue
            secrets = data.get("secrets") or {}
            if not secrets.get("signing_key"):
                continue
            for situation in card.get("situations") or ():
                number = f"{situation['numero_facturation']}{situation['cle_facturation']}"
                keys[number] = bytes.fromhex(str(secrets["signing_key"]))
        return cls(keys, vitale)

    def verify(self, ps_number: str, data: bytes, signature: bytes) -> bool | None:
        """True/False when the professional's key is known, None otherwise."""
        key = self._keys.get(ps_number)
        if key is None:
            return None
        return _verify(key, data, signature)

    def vitale_problem(self, invoice: InvoiceRecord) -> str:
        """Why the carte Vitale's signature does not secure this invoice ("" when it does, or
        when the card is unknown here): it must be the assuré's card, signing the contenu
        signé the lot carries."""
        if not invoice.vitale_serial:
            return "carte Vitale non indiquée"
        card = self._vitale.get(invoice.vitale_serial)
        if card is None:
            return ""
        if card.nir != invoice.nir:
            return f"carte Vitale n° {invoice.vitale_serial} d'un autre assuré"
        if not _verify(card.key, invoice.signed_content, invoice.vitale_signature):
            return "signature Vitale incorrecte"
        return ""


# The test cartes Vitale's issuer key: each card's key is HMAC-SHA256(this, serial number)
# (docs/formats/card-apdu.md §4). Test cards only: no secret, no legal value.
VITALE_ISSUER_TEST_KEY = b"openfse test Vitale issuer key, no legal value"


def vitale_key(serial: str) -> bytes:
    return hmac.new(VITALE_ISSUER_TEST_KEY, serial.encode("ascii"), sha256).digest()


def _test_card_files() -> list[dict[str, Any]]:
    folder = resources.files("openfse.simulators.data").joinpath("cards")
    cards = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".yaml"):
            loaded = yaml.safe_load(entry.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                cards.append(loaded)
    return cards


def _verify(key: bytes, data: bytes, signature: bytes) -> bool:
    expected = hmac.new(key, sha256(data).digest(), sha256).digest()
    return hmac.compare_digest(expected, signature)


@dataclass(frozen=True, slots=True)
class CheckContext:
    received_on: date
    rights: RightsDirectory
    signatures: SignatureKeys | None = None  # None: signatures are not verified


# --------------------------------------------------------------------------------------------
# Lot level (negative ARL)
# --------------------------------------------------------------------------------------------


def lot_problems(lot: LotContent, context: CheckContext) -> list[Reason]:
    problems: list[Reason] = []
    if not facturation_ps.is_valid(lot.ref.ps_number):
        problems.append(reason("A10", lot.ref.ps_number))
    if lot.destination.kind is DestinationKind.AMO and not organisme.is_valid(lot.destination.code):
        problems.append(reason("A11", lot.destination.code))
    if lot.kind is LotKind.SCOR:
        problems.extend(p for p in map(_piece_problem, lot.pieces) if p is not None)
        return problems
    for invoice in lot.invoices:
        problems.extend(_invoice_lot_problems(lot, invoice, context))
    return problems


def _invoice_lot_problems(
    lot: LotContent, invoice: InvoiceRecord, context: CheckContext
) -> list[Reason]:
    problems: list[Reason] = []
    number = invoice.number
    if lot.kind is LotKind.FSE and invoice.organisme[:5] != lot.destination.code[:5]:
        # Régime + caisse of the patient's organism must be the lot's destination.
        problems.append(reason("A12", f"organisme {organisme.format(invoice.organisme)}", number))
    if lot.kind is LotKind.DRE and invoice.amc_number.lstrip("0") != lot.destination.code.lstrip(
        "0"
    ):
        problems.append(reason("A12", f"AMC {invoice.amc_number or 'absente'}", number))
    latest = max([invoice.care_date, *(act.date for act in invoice.acts)])
    if latest > context.received_on:
        problems.append(reason("A13", f"soins du {latest.isoformat()}", number))
    if not invoice.cps_signature:
        problems.append(reason("A14", "", number))
    elif context.signatures is not None:
        problem = _signature_problem(lot.ref.ps_number, invoice, context.signatures)
        if problem:
            problems.append(reason("A15", problem, number))
    if invoice.secure_mode == "securise" and not invoice.vitale_signature:
        problems.append(reason("A16", "", number))
    elif invoice.vitale_signature and context.signatures is not None:
        # Secured by the assuré's card (mode sécurisé, or a désynchronisée secured later).
        problem = context.signatures.vitale_problem(invoice)
        if problem:
            problems.append(reason("A16", problem, number))
    return problems


def _signature_problem(ps_number: str, invoice: InvoiceRecord, keys: SignatureKeys) -> str:
    """Why the CPS signature does not vouch for this FAC ("" when it does, or when the
    professional's key is unknown): the signature must verify over the contenu signé the lot
    carries, and that content must say what the FAC line says (lot.md §3, SIG)."""
    if not invoice.signed_content:
        return "contenu signé absent"
    if keys.verify(ps_number, invoice.signed_content, invoice.cps_signature) is False:
        return "signature CPS incorrecte"
    changed = disagreements(invoice.signed_content, invoice)
    if changed:
        return "facture modifiée après signature : " + ", ".join(changed)
    return ""


def _piece_problem(piece: ScorPiece) -> Reason | None:
    magic = _SCAN_SIGNATURES.get(piece.media_type)
    if magic is None or not piece.content.startswith(magic):
        return reason("A20", piece.media_type, piece.invoice_number)
    if piece.dpi < MIN_SCOR_DPI:
        return reason("A21", f"{piece.dpi} dpi", piece.invoice_number)
    return None


# --------------------------------------------------------------------------------------------
# Invoice level (rejects in the payment returns)
# --------------------------------------------------------------------------------------------


def invoice_reject(invoice: InvoiceRecord, kind: LotKind, context: CheckContext) -> Reason | None:
    """The first reason to reject this invoice, or None when it is payable."""
    if not nir.is_valid(invoice.nir):
        return reason("R01", invoice.nir, invoice.number)
    rights = context.rights.problem(invoice, invoice.care_date)
    if rights is not None:
        return rights
    inconsistent = _totals_problem(invoice)
    if inconsistent:
        return reason("R04", inconsistent, invoice.number)
    mispriced = amounts_problem(invoice)
    if mispriced:
        return reason("R05", mispriced, invoice.number)
    return None


def format_eur(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",") + " €"


# The contenu signé's keys and the FAC field each must equal (lot.md §3 SIG).
_SIGNED_FIELDS: tuple[tuple[str, str], ...] = (
    ("numero", "numéro de facture"), ("nir", "NIR"), ("date", "date des soins"),
    ("mode", "mode de sécurisation"), ("total", "total"), ("amo", "part AMO"),
    ("amc", "part AMC"),
)


def disagreements(content: bytes, invoice: InvoiceRecord) -> list[str]:
    """The fields where the signed bytes and the ``FAC`` line differ, in French."""
    try:
        document = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return ["contenu signé illisible"]
    if not isinstance(document, dict):
        return ["contenu signé illisible"]
    sent: dict[str, object] = {
        "numero": invoice.number, "nir": invoice.nir, "date": invoice.care_date.isoformat(),
        "mode": invoice.secure_mode, "total": invoice.total, "amo": invoice.amo,
        "amc": invoice.amc}
    return [name for key, name in _SIGNED_FIELDS if not _same(document.get(key), sent[key])]


def _same(signed: object, sent: object) -> bool:
    if not isinstance(signed, str):
        return False
    if isinstance(sent, Decimal):
        try:
            return Decimal(signed) == sent
        except InvalidOperation:
            return False
    return signed == sent


def _sum(values: Sequence[Decimal]) -> Decimal:
    return sum(values, Decimal("0.00"))


def _totals_problem(invoice: InvoiceRecord) -> str:
    acts = invoice.acts
    checks = (
        ("total des honoraires", _sum([a.honoraires for a in acts]), invoice.total),
        ("part AMO", _sum([a.amo for a in acts]), invoice.amo),
        ("part AMC", _sum([a.amc for a in acts]), invoice.amc),
        ("total", invoice.amo + invoice.amc + invoice.patient, invoice.total),
    )
    for label, expected, declared in checks:
        if expected != declared:
            return f"{label} {format_eur(declared)} au lieu de {format_eur(expected)}"
    if invoice.participations > invoice.amo:
        return "participations supérieures à la part AMO"
    if not (invoice.tiers_payant_amo or invoice.tiers_payant_amc) and invoice.requested:
        return f"{format_eur(invoice.requested)} demandés sans tiers payant"
    if invoice.requested > invoice.amo + invoice.amc:
        return f"{format_eur(invoice.requested)} demandés, plus que les parts AMO et AMC"
    return ""
