"""Télétransmission: what travels to the insurers and what comes back (pure value types).

The invoice side maps its stored invoices into these values; the wire formats
(``openfse.adapters.transmission``) turn them into bytes and back; the simulated caisse
(``openfse.simulators.caisse``) reads and answers them. Nothing here knows about the database,
the network or the clock (every date is an argument).

- ``LotContent``: one **lot** — the invoices of one professional (numéro de facturation), of
  one type (FSE to the AMO, DRE to the AMC in gestion séparée, or SCOR scanned justificatifs),
  for one destination organism, numbered 001–999 per professional (docs/protocols.md §1.4 [K]). A
  resend reuses the same lot: same number, same content.
- ``InvoiceRecord`` / ``ActLine``: what the insurer needs of one FSE or DRE (docs/protocols.md
§1.2):
  invoice number, NIR of the ouvrant droit + birth date + rang, dates, acts with codes and
  amounts, AMO/AMC/patient parts, tiers payant flags, mode de sécurisation, the CPS (and Vitale)
  signature and, optionally, the pricing draft (docs/formats/price.md JSON) so the insurer can price
  the invoice again. ``ScorPiece``: one scanned justificatif (PDF/JPEG/PNG) joined to an invoice.
- ``Arl``: accusé de réception logique, positive or negative per lot, with the reasons
  (docs/protocols.md §1.7). ``ReturnStatement`` / ``PaymentReturn``: the payment returns (RSP:
  paid / partially paid / rejected with a reason, docs/protocols.md §1.8), keyed by lot and invoice
  number — the reconciliation key (numéro de facturation, numéro de facture).
- ``plan_lots``: group what is ready to send into lots and number them.
- ``sending_deadline``: the transmission deadline of R.161-47 CSS (3 working days when the
  patient paid, 8 with tiers payant, docs/protocols.md §1.9).

The constructors check shapes only (digits, lengths, two-decimal amounts…): an invoice whose
amounts do not add up or whose NIR key is wrong is still a valid *value*, because it is the
insurer's job to reject it — the simulator must be able to receive it.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache, lru_cache
from typing import TypeVar

from openfse.domain.pricing.codes import Exo, Nomenclature
from openfse.errors import InvalidInput
from openfse.money import CENT
from openfse.referentials.codes import MODE_SECURISATION

__all__ = [
    "DEFAULT_INSURER_MAILBOX",
    "MAX_ACTS_PER_INVOICE",
    "MAX_AMOUNT",
    "MAX_DRAFT_CHARS",
    "MAX_INVOICES_PER_LOT",
    "MAX_LABEL_CHARS",
    "MAX_LOT_NUMBER",
    "MAX_PIECES_PER_LOT",
    "MAX_PIECE_BYTES",
    "MAX_SCOR_LOT_BYTES",
    "MAX_SIGNATURE_BYTES",
    "MAX_SIGNED_CONTENT_BYTES",
    "MIN_SCOR_DPI",
    "ActLine",
    "Arl",
    "ArlStatus",
    "Destination",
    "DestinationKind",
    "InvalidTransmission",
    "InvoiceRecord",
    "LotContent",
    "LotKind",
    "LotRef",
    "PaymentReturn",
    "PaymentStatus",
    "PendingItem",
    "Reason",
    "ReturnStatement",
    "ScorPiece",
    "french_public_holidays",
    "insurer_mailbox",
    "mailbox_template_problem",
    "next_lot_number",
    "plan_lots",
    "sending_deadline",
    "working_days_left",
]

# A lot holds the invoices of one PS, one type, one destination; a common limit is 50
# invoices per lot (docs/protocols.md §1.4 [K] — to verify against the cahier des charges).
MAX_INVOICES_PER_LOT = 50
MAX_LOT_NUMBER = 999  # 3-digit lot number, 001–999 per professional (docs/protocols.md §1.4 [K])
MAX_ACTS_PER_INVOICE = 99  # the pricing contract's bound
MAX_PIECES_PER_LOT = 50
MAX_PIECE_BYTES = 10 * 1024 * 1024  # same bound as an ordonnance joined to an invoice
MAX_SCOR_LOT_BYTES = 40 * 1024 * 1024
MIN_SCOR_DPI = 150  # SCOR: scans at 150 dpi at least (docs/protocols.md §2, fiducial / manualzilla)
MAX_AMOUNT = Decimal("99999999.99")
MAX_SIGNATURE_BYTES = 4096
# The contenu signé (what the CPS signature covers) holds the pricing snapshot: room for it.
MAX_SIGNED_CONTENT_BYTES = 262_144
MAX_DRAFT_CHARS = 1_000_000
MAX_LABEL_CHARS = 200

_T = TypeVar("_T")


class InvalidTransmission(InvalidInput):
    """A transmission value that cannot exist (wrong shape of a number, amount, date…)."""

    code = "transmission.invalid"


# --------------------------------------------------------------------------------------------
# Shape checks
# --------------------------------------------------------------------------------------------

# ASCII digits only: str.isdigit() accepts "²" (Python's str.isdigit docs).
_DIGITS = re.compile(r"[0-9]+")
_NIR_SHAPE = re.compile(r"[0-9]{5}[0-9AB][0-9]{9}")  # 2A/2B Corsica (ids.nir)
_CODE = re.compile(r"[A-Z0-9]{1,8}")
_CCAM = re.compile(r"[A-Z]{4}[0-9]{3}")
_MODIFIERS = re.compile(r"[A-Z0-9]{0,4}")
_REFERENCE = re.compile(r"[A-Za-z0-9._-]{1,40}")
_REASON_CODE = re.compile(r"[A-Z0-9]{1,8}")
_MEDIA_TYPE = re.compile(r"[a-z]{1,20}/[a-z0-9.+-]{1,60}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_EXO_CODES = frozenset(exo.value for exo in Exo)
_QUANTUM = {places: Decimal(1).scaleb(-places) for places in range(4)}
# Characters a text field may not hold: controls, surrogates, line/paragraph separators.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def _fail(message: str, field: str) -> InvalidTransmission:
    return InvalidTransmission(message, field=field)


def _digits(value: object, field: str, label: str, low: int, high: int | None = None) -> None:
    """``value`` is a str of ``low`` (to ``high``) ASCII digits."""
    high = low if high is None else high
    if not isinstance(value, str) or not low <= len(value) <= high or not _DIGITS.fullmatch(value):
        size = f"{low}" if low == high else f"{low} à {high}"
        raise _fail(f"{label} : {size} chiffres attendus, reçu {value!r}.", field)


def _match(pattern: re.Pattern[str], value: object, field: str, message: str) -> None:
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise _fail(f"{message}, reçu {value!r}.", field)


def _integer(value: object, field: str, label: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(f"{label} : entier de {low} à {high} attendu, reçu {value!r}.", field)


def _flag(value: object, field: str, label: str) -> None:
    if not isinstance(value, bool):
        raise _fail(f"{label} : oui/non attendu, reçu {value!r}.", field)


def _day(value: object, field: str, label: str) -> None:
    if not isinstance(value, date) or value.year < 1900:
        raise _fail(f"{label} : date attendue (depuis 1900), reçu {value!r}.", field)


def _amount(value: object, field: str, label: str) -> None:
    """Euros: a finite ``Decimal`` with at most two decimals, from 0 to ``MAX_AMOUNT``."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise _fail(f"{label} : montant décimal attendu, reçu {value!r}.", field)
    if not 0 <= value <= MAX_AMOUNT:
        raise _fail(f"{label} : montant de 0 à {MAX_AMOUNT} € attendu, reçu {value}.", field)
    if value != value.quantize(CENT):
        raise _fail(f"{label} : montant au centime près attendu, reçu {value}.", field)


def _decimal(value: object, field: str, label: str, places: int, high: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 < value <= high:
        raise _fail(f"{label} : nombre de 0 (exclu) à {high} attendu, reçu {value!r}.", field)
    try:
        exact = value == value.quantize(_QUANTUM[places])
    except InvalidOperation:
        exact = False
    if not exact:
        raise _fail(f"{label} : {places} décimales au plus, reçu {value}.", field)


def _bytes(value: object, field: str, label: str, low: int, high: int) -> None:
    if not isinstance(value, bytes) or not low <= len(value) <= high:
        raise _fail(f"{label} : de {low} à {high} octets attendus.", field)


def _clean_text(value: object, field: str, label: str, low: int, high: int) -> None:
    """A one-line human text: no control character, no surrounding blanks."""
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise _fail(f"{label} : texte de {low} à {high} caractères attendu.", field)
    if value != value.strip() or any(
        unicodedata.category(char) in _FORBIDDEN_CATEGORIES for char in value
    ):
        raise _fail(f"{label} : caractère de contrôle ou blanc en bordure interdit.", field)


def _tuple_of(value: object, kind: type, field: str, label: str) -> None:
    if not isinstance(value, tuple) or not all(isinstance(item, kind) for item in value):
        raise _fail(f"{label} : tuple de {kind.__name__} attendu.", field)


# --------------------------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------------------------


class LotKind(StrEnum):
    """What a lot carries (docs/protocols.md §1.4, §2)."""

    FSE = "FSE"  # feuilles de soins électroniques, to the AMO caisse
    DRE = "DRE"  # demandes de remboursement électroniques, to the AMC (gestion séparée)
    SCOR = "SCOR"  # scanned justificatifs, to the AMO only, in their own lots


class DestinationKind(StrEnum):
    AMO = "AMO"  # régime + caisse + centre destinataire (9 digits, ids.organisme)
    AMC = "AMC"  # numéro d'organisme complémentaire (7 to 10 digits, ids.amc)


class ArlStatus(StrEnum):
    POSITIVE = "POSITIF"  # the caisse takes responsibility for the lot (docs/protocols.md §1.7)
    NEGATIVE = "NEGATIF"  # the lot is refused as a whole: fix and send again


class PaymentStatus(StrEnum):
    """Outcome of one invoice in a payment return (RSP « Rejet / Signalement / Paiement »)."""

    PAID = "PAYE"
    PARTIAL = "PARTIEL"  # paid less than asked, with the reason
    REJECTED = "REJETE"  # nothing paid, with the reason


# The destination kind each lot kind goes to: FSE and SCOR to the AMO (SCOR is AMO-only,
# docs/protocols.md §2), DRE to the AMC in gestion séparée (dossier LOGOSw « La DRE est adressée
# directement à l'AMC »).
_DESTINATION_OF = {
    LotKind.FSE: DestinationKind.AMO,
    LotKind.SCOR: DestinationKind.AMO,
    LotKind.DRE: DestinationKind.AMC,
}


# --------------------------------------------------------------------------------------------
# Lot content
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Destination:
    """The organism a lot is addressed to."""

    kind: DestinationKind
    code: str

    def __post_init__(self) -> None:
        if not isinstance(self.kind, DestinationKind):
            raise _fail(f"Type de destinataire inconnu : {self.kind!r}.", "destination.kind")
        if self.kind is DestinationKind.AMO:
            _digits(self.code, "destination.code", "Organisme AMO destinataire", 9)
        else:
            _digits(self.code, "destination.code", "Numéro AMC destinataire", 7, 10)


# Where a lot is mailed (docs/formats/lot.md §5): a cabinet setting, the organism's kind
# (« amo » / « amc ») and number filled in; without placeholders, one address for every lot
# (a concentrateur technique, OCT, that routes them).
DEFAULT_INSURER_MAILBOX = "{type}{code}@teletransmission.openfse.localhost"
_MAILBOX_FIELDS = frozenset({"type", "code"})
_MAILBOX_SHAPE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def mailbox_template_problem(template: str) -> str | None:
    """Why ``template`` cannot give the organisms' addresses (French), or None."""
    try:
        fields = [(name, spec, conversion)
                  for _, name, spec, conversion in string.Formatter().parse(template)
                  if name is not None]
    except ValueError:
        return "Accolade « { » ou « } » sans son pendant."
    if any(name not in _MAILBOX_FIELDS or spec or conversion for name, spec, conversion in fields):
        return "Seuls {type} (amo ou amc) et {code} (numéro de l'organisme) sont remplacés."
    sample = template.format(type="amo", code="017519881")
    if len(sample) > 200 or not _MAILBOX_SHAPE.fullmatch(sample):
        return f"Adresse e-mail attendue, par exemple {DEFAULT_INSURER_MAILBOX}."
    return None


def insurer_mailbox(template: str, destination: Destination) -> str:
    """The address a lot for ``destination`` is mailed to (``template`` checked by
    ``mailbox_template_problem``)."""
    return template.format(type=destination.kind.value.lower(), code=destination.code)


@dataclass(frozen=True, slots=True)
class ActLine:
    """One prestation line of an invoice, as priced (amounts in euros, rate in percent)."""

    date: date
    nomenclature: Nomenclature
    code: str
    quantity: int
    coefficient: Decimal
    honoraires: Decimal  # amount billed for the line
    base: Decimal  # base de remboursement
    rate: Decimal  # taux AMO, percent (70.00)
    amo: Decimal
    amc: Decimal
    modifiers: str = ""  # CCAM modifier letters, in order (« FU »)
    activity: int = 1  # CCAM activité
    phase: int = 0  # CCAM phase
    exo: str = ""  # justificatif d'exonération of the line ("" = the invoice's)

    def __post_init__(self) -> None:
        _day(self.date, "act.date", "Date de l'acte")
        if not isinstance(self.nomenclature, Nomenclature):
            raise _fail(f"Nomenclature inconnue : {self.nomenclature!r}.", "act.nomenclature")
        pattern = _CCAM if self.nomenclature is Nomenclature.CCAM else _CODE
        _match(pattern, self.code, "act.code", "Code d'acte invalide pour sa nomenclature")
        _integer(self.quantity, "act.quantity", "Quantité", 1, 9999)
        _decimal(self.coefficient, "act.coefficient", "Coefficient", 3, Decimal(1000))
        _amount(self.honoraires, "act.honoraires", "Honoraires")
        _amount(self.base, "act.base", "Base de remboursement")
        _amount(self.amo, "act.amo", "Part AMO")
        _amount(self.amc, "act.amc", "Part AMC")
        _amount(self.rate, "act.rate", "Taux AMO")
        if self.rate > 100:
            raise _fail(f"Taux AMO : 100 % au plus, reçu {self.rate}.", "act.rate")
        _match(_MODIFIERS, self.modifiers, "act.modifiers", "Modificateurs : 4 au plus")
        _integer(self.activity, "act.activity", "Activité", 1, 5)
        _integer(self.phase, "act.phase", "Phase", 0, 9)
        if self.exo != "" and self.exo not in _EXO_CODES:
            raise _fail(f"Code d'exonération inconnu : {self.exo!r}.", "act.exo")


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    """One FSE or DRE as the insurer receives it.

    ``requested`` is what the destination organism is asked to pay the professional (tiers
    payant: the ``paiements.caisse`` or ``paiements.organisme_amc`` of the priced invoice;
    0 when the patient paid everything). ``participations`` is the participation forfaitaire
    plus the franchise deducted from the AMO share. ``draft`` is the pricing draft
    (docs/formats/price.md JSON object text) or "" when not joined.
    """

    number: str  # numéro de facture, 9 digits, never reused (docs/protocols.md §7.2)
    nir: str  # NIR of the ouvrant droit, 13 + key (shape only: the key is the insurer's check)
    birth_date: str  # AAAAMMJJ as on the carte Vitale, lunar dates allowed (day/month 00, 13…)
    rang: int  # rang de naissance, 1–9
    organisme: str  # AMO of the patient: régime + caisse + centre (9 digits)
    care_date: date  # date des soins
    invoiced_on: date  # date de facturation
    secure_mode: str  # code of the list mode_securisation (securise, desynchronise…)
    tiers_payant_amo: bool
    tiers_payant_amc: bool
    acts: tuple[ActLine, ...]
    total: Decimal  # total des honoraires
    amo: Decimal  # part AMO (brute, as on the FSE)
    amc: Decimal
    patient: Decimal
    participations: Decimal
    requested: Decimal
    cps_signature: bytes
    vitale_signature: bytes = b""
    qualite: str = "00"  # qualité du bénéficiaire (00 assuré)
    amc_number: str = ""  # numéro AMC (DRE; gestion unique), "" when none
    draft: str = ""
    # The bytes the CPS signed (adapters/transmission/signed_content.py), b"" when unsigned.
    signed_content: bytes = b""
    # Serial number of the carte Vitale whose signature ``vitale_signature`` is, "" when none.
    vitale_serial: str = ""

    def __post_init__(self) -> None:
        _digits(self.number, "invoice.number", "Numéro de facture", 9)
        _match(_NIR_SHAPE, self.nir, "invoice.nir", "NIR : 15 caractères attendus")
        _digits(self.birth_date, "invoice.birth_date", "Date de naissance (AAAAMMJJ)", 8)
        _integer(self.rang, "invoice.rang", "Rang de naissance", 1, 9)
        _digits(self.qualite, "invoice.qualite", "Qualité du bénéficiaire", 2)
        _digits(self.organisme, "invoice.organisme", "Organisme AMO", 9)
        if self.amc_number != "":
            _digits(self.amc_number, "invoice.amc_number", "Numéro AMC", 7, 10)
        _day(self.care_date, "invoice.care_date", "Date des soins")
        _day(self.invoiced_on, "invoice.invoiced_on", "Date de facturation")
        _secure_mode(self.secure_mode, self.care_date)
        _flag(self.tiers_payant_amo, "invoice.tiers_payant_amo", "Tiers payant AMO")
        _flag(self.tiers_payant_amc, "invoice.tiers_payant_amc", "Tiers payant AMC")
        _tuple_of(self.acts, ActLine, "invoice.acts", "Actes")
        if not 1 <= len(self.acts) <= MAX_ACTS_PER_INVOICE:
            raise _fail(
                f"Une facture porte de 1 à {MAX_ACTS_PER_INVOICE} actes ({len(self.acts)}).",
                "invoice.acts",
            )
        _amount(self.total, "invoice.total", "Total des honoraires")
        _amount(self.amo, "invoice.amo", "Part AMO")
        _amount(self.amc, "invoice.amc", "Part AMC")
        _amount(self.patient, "invoice.patient", "Part patient")
        _amount(self.participations, "invoice.participations", "Participations")
        _amount(self.requested, "invoice.requested", "Montant demandé")
        _bytes(self.cps_signature, "invoice.cps_signature", "Signature CPS", 0, MAX_SIGNATURE_BYTES)
        _bytes(
            self.vitale_signature,
            "invoice.vitale_signature",
            "Signature Vitale",
            0,
            MAX_SIGNATURE_BYTES,
        )
        _bytes(self.signed_content, "invoice.signed_content", "Contenu signé", 0,
               MAX_SIGNED_CONTENT_BYTES)
        if self.vitale_serial != "":
            _digits(self.vitale_serial, "invoice.vitale_serial", "Numéro de carte Vitale", 1, 20)
        if not isinstance(self.draft, str) or len(self.draft) > MAX_DRAFT_CHARS:
            raise _fail("Brouillon de tarification : texte JSON attendu.", "invoice.draft")
        # Shape only: whether the JSON reads and prices is the insurer's check (R05).
        if self.draft and not (self.draft.startswith("{") and self.draft.endswith("}")):
            raise _fail("Brouillon de tarification : objet JSON attendu.", "invoice.draft")


def _secure_mode(code: object, on: date) -> None:
    """A code of the list mode_securisation valid on the date of care."""
    if not isinstance(code, str):
        raise _fail("Mode de sécurisation : texte attendu.", "invoice.secure_mode")
    problem = _secure_mode_problem(code, on)
    if problem:
        raise _fail(problem, "invoice.secure_mode")


@lru_cache(maxsize=1024)  # few (code, date) pairs in a batch: the lookup is done once each
def _secure_mode_problem(code: str, on: date) -> str:
    try:
        MODE_SECURISATION.validate(code, on)
    except InvalidInput as problem:
        return problem.message
    return ""


@dataclass(frozen=True, slots=True)
class ScorPiece:
    """A scanned justificatif (ordonnance, feuille de soins dégradée…) joined to an invoice.

    The insurer accepts PDF, JPEG and PNG scanned at ``MIN_SCOR_DPI`` or more (docs/protocols.md
    §2); the value only checks shapes so that a wrong piece can still be sent and refused.
    """

    invoice_number: str
    media_type: str
    dpi: int
    content: bytes

    def __post_init__(self) -> None:
        _digits(self.invoice_number, "piece.invoice_number", "Numéro de facture", 9)
        _match(_MEDIA_TYPE, self.media_type, "piece.media_type", "Type de fichier invalide")
        _integer(self.dpi, "piece.dpi", "Résolution (dpi)", 1, 9999)
        _bytes(self.content, "piece.content", "Pièce justificative", 1, MAX_PIECE_BYTES)


@dataclass(frozen=True, slots=True)
class LotRef:
    """Identifies a lot: professional, creation date and 3-digit number.

    The number cycles 001–999 per professional, so the date makes the id unique.
    """

    ps_number: str  # numéro de facturation, 8 digits + key
    created_on: date
    number: int

    def __post_init__(self) -> None:
        _digits(self.ps_number, "lot.ps_number", "Numéro de facturation du PS", 9)
        _day(self.created_on, "lot.created_on", "Date de création du lot")
        _integer(self.number, "lot.number", "Numéro de lot", 1, MAX_LOT_NUMBER)

    @property
    def lot_id(self) -> str:
        """``751000126-20261122-007``: stable across resends."""
        return f"{self.ps_number}-{_compact_date(self.created_on)}-{self.number:03d}"


def _compact_date(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


@dataclass(frozen=True, slots=True)
class LotContent:
    """One lot: invoices (FSE/DRE) or scanned pieces (SCOR) for one destination."""

    ref: LotRef
    kind: LotKind
    destination: Destination
    invoices: tuple[InvoiceRecord, ...] = ()
    pieces: tuple[ScorPiece, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.ref, LotRef):
            raise _fail("Référence de lot attendue.", "lot.ref")
        if not isinstance(self.kind, LotKind):
            raise _fail(f"Type de lot inconnu : {self.kind!r}.", "lot.kind")
        if not isinstance(self.destination, Destination):
            raise _fail("Destinataire attendu.", "lot.destination")
        if self.destination.kind is not _DESTINATION_OF[self.kind]:
            raise _fail(
                f"Un lot {self.kind.value} va à un organisme "
                f"{_DESTINATION_OF[self.kind].value}, pas {self.destination.kind.value}.",
                "lot.destination",
            )
        _tuple_of(self.invoices, InvoiceRecord, "lot.invoices", "Factures")
        _tuple_of(self.pieces, ScorPiece, "lot.pieces", "Pièces")
        if self.kind is LotKind.SCOR:
            self._check_scor()
        else:
            self._check_invoices()

    def _check_invoices(self) -> None:
        if self.pieces:
            raise _fail("Les pièces SCOR voyagent dans leurs propres lots.", "lot.pieces")
        if not 1 <= len(self.invoices) <= MAX_INVOICES_PER_LOT:
            raise _fail(
                f"Un lot porte de 1 à {MAX_INVOICES_PER_LOT} factures ({len(self.invoices)}).",
                "lot.invoices",
            )
        numbers = [invoice.number for invoice in self.invoices]
        if len(set(numbers)) != len(numbers):
            raise _fail("Une facture figure deux fois dans le lot.", "lot.invoices")

    def _check_scor(self) -> None:
        if self.invoices:
            raise _fail("Un lot SCOR ne porte que des pièces justificatives.", "lot.invoices")
        if not 1 <= len(self.pieces) <= MAX_PIECES_PER_LOT:
            raise _fail(
                f"Un lot SCOR porte de 1 à {MAX_PIECES_PER_LOT} pièces ({len(self.pieces)}).",
                "lot.pieces",
            )
        if sum(len(piece.content) for piece in self.pieces) > MAX_SCOR_LOT_BYTES:
            raise _fail("Lot SCOR trop volumineux (40 Mo au plus).", "lot.pieces")

    @property
    def lot_id(self) -> str:
        return self.ref.lot_id

    @property
    def size(self) -> int:
        """Invoices or pieces in the lot."""
        return len(self.pieces) if self.kind is LotKind.SCOR else len(self.invoices)


# --------------------------------------------------------------------------------------------
# What comes back
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reason:
    """A reason code and its French label; ``invoice_number`` when it concerns one invoice."""

    code: str
    label: str
    invoice_number: str = ""

    def __post_init__(self) -> None:
        _match(_REASON_CODE, self.code, "reason.code", "Code motif : 1 à 8 lettres ou chiffres")
        _clean_text(self.label, "reason.label", "Libellé du motif", 1, MAX_LABEL_CHARS)
        if self.invoice_number != "":
            _digits(self.invoice_number, "reason.invoice_number", "Numéro de facture", 9)


@dataclass(frozen=True, slots=True)
class Arl:
    """Accusé de réception logique of one received lot (docs/protocols.md §1.7).

    ``lot`` is None when the caisse could not even identify the lot (unreadable file): the
    ``message_ref`` (Message-ID of the mail that carried it) then links the ARL to the send.
    """

    reference: str
    issuer: str  # the organism that answers (AMO code or AMC number)
    received_on: date
    status: ArlStatus
    lot: LotRef | None
    lot_sha256: str  # of the lot file received, "" when unknown
    message_ref: str
    invoice_count: int
    reasons: tuple[Reason, ...] = ()

    def __post_init__(self) -> None:
        _match(_REFERENCE, self.reference, "arl.reference", "Référence d'ARL invalide")
        _digits(self.issuer, "arl.issuer", "Organisme émetteur", 7, 10)
        _day(self.received_on, "arl.received_on", "Date de réception")
        if not isinstance(self.status, ArlStatus):
            raise _fail(f"Statut d'ARL inconnu : {self.status!r}.", "arl.status")
        if self.lot is not None and not isinstance(self.lot, LotRef):
            raise _fail("Référence de lot attendue.", "arl.lot")
        if self.lot_sha256 != "":
            _match(_SHA256, self.lot_sha256, "arl.lot_sha256", "Empreinte SHA-256 invalide")
        _clean_text(self.message_ref, "arl.message_ref", "Référence du message", 0, 200)
        if self.lot is None and not self.message_ref:
            raise _fail("Un ARL identifie le lot ou le message reçu.", "arl.lot")
        _integer(
            self.invoice_count,
            "arl.invoice_count",
            "Nombre de factures",
            0,
            max(MAX_INVOICES_PER_LOT, MAX_PIECES_PER_LOT),
        )
        _tuple_of(self.reasons, Reason, "arl.reasons", "Motifs")
        if self.status is ArlStatus.NEGATIVE and not self.reasons:
            raise _fail("Un ARL négatif donne au moins un motif.", "arl.reasons")
        if self.status is ArlStatus.POSITIVE and self.reasons:
            raise _fail("Un ARL positif ne porte pas de motif de rejet.", "arl.reasons")
        if len(self.reasons) > 99:
            raise _fail("99 motifs au plus.", "arl.reasons")

    @property
    def positive(self) -> bool:
        return self.status is ArlStatus.POSITIVE


@dataclass(frozen=True, slots=True)
class PaymentReturn:
    """The insurer's answer for one invoice: paid, partially paid or rejected."""

    lot: LotRef
    invoice_number: str
    nir: str
    care_date: date
    status: PaymentStatus
    requested: Decimal
    paid: Decimal
    payment_date: date | None  # None when rejected
    reason: Reason | None = None  # required when partial or rejected

    def __post_init__(self) -> None:
        if not isinstance(self.lot, LotRef):
            raise _fail("Référence de lot attendue.", "payment.lot")
        _digits(self.invoice_number, "payment.invoice_number", "Numéro de facture", 9)
        _match(_NIR_SHAPE, self.nir, "payment.nir", "NIR : 15 caractères attendus")
        _day(self.care_date, "payment.care_date", "Date des soins")
        if not isinstance(self.status, PaymentStatus):
            raise _fail(f"Statut de paiement inconnu : {self.status!r}.", "payment.status")
        _amount(self.requested, "payment.requested", "Montant demandé")
        _amount(self.paid, "payment.paid", "Montant payé")
        if self.reason is not None and not isinstance(self.reason, Reason):
            raise _fail("Motif attendu.", "payment.reason")
        if self.reason is not None and self.reason.invoice_number:
            # The line is itself about one invoice: its reason names none.
            raise _fail("Le motif d'une ligne ne porte pas de numéro de facture.", "payment.reason")
        if self.payment_date is not None:
            _day(self.payment_date, "payment.payment_date", "Date de paiement")
        self._check_status()

    def _check_status(self) -> None:
        if self.status is PaymentStatus.PAID:
            consistent = self.paid == self.requested and self.payment_date is not None
            message = "Payée : montant payé = montant demandé, avec une date de paiement."
        elif self.status is PaymentStatus.PARTIAL:
            consistent = (
                0 < self.paid < self.requested
                and self.payment_date is not None
                and self.reason is not None
            )
            message = "Payée partiellement : 0 < payé < demandé, avec une date et un motif."
        else:
            consistent = self.paid == 0 and self.payment_date is None and self.reason is not None
            message = "Rejetée : rien de payé, pas de date de paiement, un motif."
        if not consistent:
            raise _fail(message, "payment.status")


@dataclass(frozen=True, slots=True)
class ReturnStatement:
    """One payment return file (relevé): the lines of one organism for one professional,
    paid by one bank transfer (``transfer_reference``, "" when nothing is paid)."""

    reference: str
    issuer: str
    ps_number: str
    issued_on: date
    transfer_reference: str
    lines: tuple[PaymentReturn, ...]

    def __post_init__(self) -> None:
        _match(_REFERENCE, self.reference, "statement.reference", "Référence de relevé invalide")
        _digits(self.issuer, "statement.issuer", "Organisme émetteur", 7, 10)
        _digits(self.ps_number, "statement.ps_number", "Numéro de facturation du PS", 9)
        _day(self.issued_on, "statement.issued_on", "Date du relevé")
        if self.transfer_reference != "":
            _match(
                _REFERENCE,
                self.transfer_reference,
                "statement.transfer_reference",
                "Référence de virement invalide",
            )
        _tuple_of(self.lines, PaymentReturn, "statement.lines", "Lignes")
        if not 1 <= len(self.lines) <= 9999:
            raise _fail("Un relevé porte de 1 à 9999 lignes.", "statement.lines")
        if any(line.lot.ps_number != self.ps_number for line in self.lines):
            raise _fail("Toutes les lignes concernent le PS du relevé.", "statement.lines")
        if (self.total_paid > 0) != (self.transfer_reference != ""):
            raise _fail(
                "Une référence de virement si et seulement si un montant est payé.",
                "statement.transfer_reference",
            )

    @property
    def total_paid(self) -> Decimal:
        return sum((line.paid for line in self.lines), Decimal("0.00"))


# --------------------------------------------------------------------------------------------
# Building lots
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingItem:
    """Something ready to send: a secured invoice (FSE/DRE) or a scanned piece (SCOR)."""

    ps_number: str
    kind: LotKind
    destination: Destination
    item: InvoiceRecord | ScorPiece


def next_lot_number(last: int) -> int:
    """The lot number after ``last`` (0 = none yet): 001–999, then 001 again."""
    return last % MAX_LOT_NUMBER + 1


def plan_lots(
    pending: Iterable[PendingItem], *, created_on: date, last_numbers: Mapping[str, int]
) -> tuple[LotContent, ...]:
    """Group what is ready into lots: one professional, one kind, one destination, at most
    ``MAX_INVOICES_PER_LOT`` invoices (``MAX_PIECES_PER_LOT`` pieces, and ``MAX_SCOR_LOT_BYTES``)
    per lot; lots numbered per professional after ``last_numbers[ps]`` (docs/protocols.md §1.4,
    §7.3).

    Groups keep the order in which their first item came; items keep their order.
    """
    groups: dict[tuple[str, LotKind, Destination], list[InvoiceRecord | ScorPiece]] = {}
    for entry in pending:
        groups.setdefault((entry.ps_number, entry.kind, entry.destination), []).append(entry.item)
    numbers = dict(last_numbers)
    lots: list[LotContent] = []
    for (ps_number, kind, destination), items in groups.items():
        for chunk in _chunks(kind, items):
            number = next_lot_number(numbers.get(ps_number, 0))
            numbers[ps_number] = number
            ref = LotRef(ps_number, created_on, number)
            if kind is LotKind.SCOR:
                pieces = tuple(_only(ScorPiece, chunk))
                lots.append(LotContent(ref, kind, destination, pieces=pieces))
            else:
                invoices = tuple(_only(InvoiceRecord, chunk))
                lots.append(LotContent(ref, kind, destination, invoices=invoices))
    return tuple(lots)


def _chunks(
    kind: LotKind, items: list[InvoiceRecord | ScorPiece]
) -> Iterable[list[InvoiceRecord | ScorPiece]]:
    limit = MAX_PIECES_PER_LOT if kind is LotKind.SCOR else MAX_INVOICES_PER_LOT
    chunk: list[InvoiceRecord | ScorPiece] = []
    size = 0
    for item in items:
        weight = len(item.content) if isinstance(item, ScorPiece) else 0
        if chunk and (len(chunk) == limit or size + weight > MAX_SCOR_LOT_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += weight
    if chunk:
        yield chunk


def _only(kind: type[_T], items: list[InvoiceRecord | ScorPiece]) -> Iterable[_T]:
    for item in items:
        if not isinstance(item, kind):
            raise _fail(f"Élément inattendu dans un lot : {type(item).__name__}.", "lot")
        yield item


# --------------------------------------------------------------------------------------------
# Sending deadlines
# --------------------------------------------------------------------------------------------

# R.161-47 CSS: the FSE is sent within 3 jours ouvrés when the patient pays the professional,
# 8 with dispense d'avance de frais (tiers payant), counted from the date of care
# (docs/protocols.md §1.9,
# http://www.fmfpro.org/attention-aux-delais-de-transmission-des-factures-en-tiers-payant.html).
DEADLINE_WORKING_DAYS_PAID = 3
DEADLINE_WORKING_DAYS_TIERS_PAYANT = 8


@cache
def french_public_holidays(year: int) -> frozenset[date]:
    """The 11 national jours fériés (Code du travail L.3133-1): fixed days plus Easter Monday,
    Ascension (Easter + 39) and Whit Monday (Easter + 50). Alsace-Moselle's two extra days
    (Good Friday, 26 December) are not included."""
    easter = _easter(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    movable = [easter + timedelta(days=offset) for offset in (1, 39, 50)]
    return frozenset([date(year, month, day) for month, day in fixed] + movable)


def _easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _is_working_day(day: date, holidays: Collection[date] | None) -> bool:
    if day.weekday() >= 5:  # Saturday, Sunday
        return False
    if holidays is None:
        return day not in french_public_holidays(day.year)
    return day not in holidays


def sending_deadline(
    care_date: date, *, tiers_payant: bool, holidays: Collection[date] | None = None
) -> date:
    """Last day to send the invoice: care date + 3 working days (8 with tiers payant).

    Working days are Monday to Friday except public holidays (``holidays``, by default the
    French national ones). E.g. care on Friday 2026-05-01 (férié), patient paid: Mon 4,
    Tue 5, Wed 6 → deadline Wednesday 2026-05-06.
    """
    remaining = DEADLINE_WORKING_DAYS_TIERS_PAYANT if tiers_payant else DEADLINE_WORKING_DAYS_PAID
    day = care_date
    while remaining:
        day += timedelta(days=1)
        if _is_working_day(day, holidays):
            remaining -= 1
    return day


def working_days_left(
    today: date, deadline: date, *, holidays: Collection[date] | None = None
) -> int:
    """Working days from ``today`` (excluded) to ``deadline`` (included) — the countdown
    shown next to an unsent invoice; 0 on the deadline itself, negative once it is past
    (-1 the working day after the deadline)."""
    if deadline >= today:
        return _working_days_between(today, deadline, holidays)
    return -_working_days_between(deadline, today, holidays)


def _working_days_between(after: date, until: date, holidays: Collection[date] | None) -> int:
    """Working days in (after, until]."""
    count = 0
    day = after
    while day < until:
        day += timedelta(days=1)
        count += _is_working_day(day, holidays)
    return count
