"""What the simulated caisse checks in a lot it received.

Two levels, as in the real chain (PROTOCOLS §1.7–1.8):

- **lot** (``lot_problems``) — the reasons of a negative ARL: wrong professional number,
  destination, lot sent in advance, missing or unverifiable signatures, unacceptable scans;
- **invoice** (``invoice_reject``) — after a positive ARL, the reason to reject one invoice in
  the payment returns: NIR key, beneficiary and AMO rights on the date of care (from the ADRi
  simulator's data set: the caisse and ADRi know the same people), totals that do not add up,
  and, when the lot carries the pricing draft, amounts that differ from the pricing engine's.

A NIR the rights data set does not know is assumed affiliated (the simulated caisse only holds
its test population); one it knows is checked.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from hashlib import sha256

from openfse.adapters.transmission.signed_content import disagreements
from openfse.domain.cards import VitaleCard
from openfse.domain.pricing.contract import price_document
from openfse.domain.pricing.errors import DraftError
from openfse.domain.pricing.tariffs import TariffSource
from openfse.domain.transmission import (
    MIN_SCOR_DPI,
    DestinationKind,
    InvoiceRecord,
    LotContent,
    LotKind,
    Reason,
    ScorPiece,
)
from openfse.errors import OpenFSEError
from openfse.ids import facturation_ps, nir, organisme
from openfse.money import format_eur
from openfse.simulators.adri.engine import SimInsured, load_dataset
from openfse.simulators.caisse.reasons import reason
from openfse.simulators.cards.model import CardCatalog, vitale_key

__all__ = [
    "CheckContext",
    "RightsDirectory",
    "SignatureKeys",
    "invoice_reject",
    "lot_problems",
]

# Magic numbers of the formats SCOR accepts (PROTOCOLS §2: JPEG, PNG, PDF).
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
        provisional = invoice.nir[0] in "78"  # seed 000: provisional NIR → caisse + centre
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
        keys: dict[str, bytes] = {}
        vitale: dict[str, VitaleKey] = {}
        for card in CardCatalog().all():
            if isinstance(card.content, VitaleCard):
                serial = card.content.serial
                vitale[serial] = VitaleKey(vitale_key(serial), card.content.nir)
            situations = getattr(card.content, "situations", ())
            if card.secrets is None:
                continue
            for situation in situations:
                number = situation.numero_facturation + situation.cle_facturation
                keys[number] = card.secrets.signing_key
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


def _verify(key: bytes, data: bytes, signature: bytes) -> bool:
    expected = hmac.new(key, sha256(data).digest(), sha256).digest()
    return hmac.compare_digest(expected, signature)


@dataclass(frozen=True, slots=True)
class CheckContext:
    received_on: date
    rights: RightsDirectory
    signatures: SignatureKeys | None = None  # None: signatures are not verified
    tariffs: TariffSource | None = None  # None: the product's tariffs


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
    if invoice.draft:
        mispriced = _pricing_problem(invoice, kind, context)
        if mispriced:
            return reason("R05", mispriced, invoice.number)
    return None


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


def _pricing_problem(invoice: InvoiceRecord, kind: LotKind, context: CheckContext) -> str:
    """Price the joined draft again and compare (PRICE-CONTRACT output keys)."""
    try:
        document = json.loads(invoice.draft, parse_float=Decimal)
        priced = price_document(document, context.tariffs)
    except DraftError as problem:
        return f"brouillon refusé ({problem.message_fr})"
    except OpenFSEError as problem:
        return f"brouillon refusé ({problem.message})"
    except (ValueError, RecursionError):
        return "brouillon de tarification illisible"
    payments = priced["paiements"]
    assert isinstance(payments, dict)
    pf, franchise = priced["participation_forfaitaire"], priced["franchise"]
    assert isinstance(pf, Decimal) and isinstance(franchise, Decimal)
    expected_requested = payments["caisse" if kind is LotKind.FSE else "organisme_amc"]
    comparisons = (
        ("total des honoraires", priced["total_honoraires"], invoice.total),
        ("part AMO", priced["amo_brut"], invoice.amo),
        ("part AMC", priced["amc"], invoice.amc),
        ("participations", pf + franchise, invoice.participations),
        ("montant demandé", expected_requested, invoice.requested),
    )
    for label, expected, declared in comparisons:
        assert isinstance(expected, Decimal)
        if expected != declared:
            return f"{label} {format_eur(declared)}, tarif calculé {format_eur(expected)}"
    return ""
