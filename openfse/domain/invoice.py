"""Invoices (FSE and factures hors télétransmission): what the desk fills, and the life of a
validated invoice (pure: no database, no clock — every instant is an argument).

What the desk fills (manuel eS-KAP+ « Réaliser une facture », screens in order):

- ``InvoiceDraft``: who bills whom (professional, patient), and every part of the screens the
  pricing engine does not need: à domicile, prescription (date, prescripteur, photo of the
  ordonnance), nature d'assurance details (accident de droit commun, maternité date, accident du
  travail), « Forçage du code ALD », « déclaration de médecin traitant ? », the AMC chosen and
  its Inter-AMC convention, mode de sécurisation, entente préalable, prévention commune, santé
  sexuelle (anonymous minor), « Saisir l'exonération sur chaque acte », « Regrouper les actes
  identiques », « Forçage du service AMO », « Facturer à » / hors télétransmission.
  What the engine prices (date, profession, acts, patient situation, nature, exonération,
  AMC formula, tiers payant) is the engine's own draft, ``pricing`` — never duplicated here.
- ``ActDetails``: per act, what the act screens add to the engine's ``ActDraft``: code
  regroupement, acte en série, complément, indemnité forfaitaire, « Soumis à entente préalable ».

``InvoiceDraft.normalized()`` gives the lines that will be billed: identical acts grouped when
asked, the indemnité forfaitaire chosen on an act turned into its own line. The récapitulatif
(and its manual AMO/AMC amounts, ``with_override``) works on those lines.

The life of an invoice (``InvoiceState``): draft → validated (numbered) → signed → in lot →
sent → acknowledged → paid / rejected, plus the secure-mode states (sécurisée, dégradée,
désynchronisée until the carte Vitale or the appli signs it) and the two ways out: deletion of
an unsent invoice and cancellation, which makes a linked cancellation document. Every change is
a method returning a new state or raising ``InvalidTransition``; a validated invoice's content
never changes (``InvoiceImmutable``; the database refuses it too).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from stdnum.util import isdigits

from openfse.domain.file_types import check_content
from openfse.domain.pricing.codes import Exo, Nomenclature
from openfse.domain.pricing.draft import ActDraft, AmountOverride, TiersPayant
from openfse.domain.pricing.draft import InvoiceDraft as PricingDraft
from openfse.errors import Conflict, InvalidInput
from openfse.ids import nir as nir_id
from openfse.periods import Period

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "MAX_INVOICE_NUMBER",
    "ORDONNANCE_MEDIA_TYPES",
    "AccidentTravail",
    "ActDetails",
    "AmcChoice",
    "AmoServiceForcing",
    "Attachment",
    "BillTo",
    "Complement",
    "DisplayStatus",
    "EntentePrealable",
    "EntentePrealableCode",
    "InvalidInvoice",
    "InvalidTransition",
    "InvoiceAct",
    "InvoiceDraft",
    "InvoiceImmutable",
    "InvoiceKind",
    "InvoiceNumber",
    "InvoiceState",
    "InvoiceStatus",
    "MedecinTraitantDeclaration",
    "Prescription",
    "SecureMode",
    "VitaleRequired",
    "anonymous_minor_nir",
    "group_identical_acts",
]


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class InvalidInvoice(InvalidInput):
    """A value of the invoice that cannot exist (bad AT organisme, end before start…)."""

    code = "invalid_invoice"


class InvoiceImmutable(Conflict):
    """A validated invoice is never changed: cancel it (linked cancellation document)."""

    code = "invoice_immutable"


class InvalidTransition(Conflict):
    """A status change the invoice's current state does not allow."""

    code = "invalid_transition"


class VitaleRequired(Conflict):
    """Signing in mode sécurisé needs the patient's carte Vitale (or appli) at that moment."""

    code = "vitale_required"


def _require(condition: bool, message: str, field: str) -> None:
    if not condition:
        raise InvalidInvoice(message, field=field)


# --------------------------------------------------------------------------------------------
# Vocabularies (values = the codes stored and exchanged by the API)
# --------------------------------------------------------------------------------------------


class SecureMode(StrEnum):
    """Mode de sécurisation (manuel eS-KAP+; docs/protocols.md §1.5; code list
    ``mode_securisation`` of ``openfse.referentials.codes``)."""

    SECURISE = "securise"  # synchronisé: CPS + carte Vitale signed together
    DESYNCHRONISE = "desynchronise"  # CPS now, carte Vitale (or appli) later
    DEGRADE = "degrade"  # CPS only + paper feuille de soins sent to the caisse
    SESAM_SANS_VITALE = "sesam_sans_vitale"  # CPS only, rights from ADRi/attestation


class MedecinTraitantDeclaration(StrEnum):
    """« déclaration d'un médecin traitant ? » (manuel eS-KAP+: Ne sait pas / Oui / Non)."""

    OUI = "oui"
    NON = "non"
    NE_SAIT_PAS = "ne_sait_pas"


class EntentePrealableCode(StrEnum):
    """Entente préalable (manuel eS-KAP+; code list ``entente_prealable``)."""

    PAS_DE_DEMANDE = "9"
    PAS_DE_REPONSE = "0"
    FAVORABLE = "4"
    URGENCE = "5"
    DEFAVORABLE = "D"


class Complement(StrEnum):
    """Complément d'acte carried by a prestation line (docs/protocols.md §1.2 « complément d'acte
    (nuit/férié/urgence) »; manuel eS-KAP+ « Complément : Aucun »)."""

    NUIT = "N"
    FERIE = "F"
    URGENCE = "U"


# Media types of a scanned ordonnance: the formats SCOR accepts (docs/protocols.md §2: JPEG, PNG,
# PDF).
ORDONNANCE_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf"})
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_INVOICE_NUMBER = 999_999_999  # 9 digits (docs/protocols.md §1.2, §7.2)
MAX_GROUPED_QUANTITY = 9999  # the pricing contract's bound on a quantity


# --------------------------------------------------------------------------------------------
# The parts of the screens
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file joined to the invoice: the photo or scan of the ordonnance (manuel eS-KAP+ « Photo
    Ordonnance »), kept with the invoice for SCOR."""

    media_type: str
    content: bytes = field(repr=False)
    filename: str = ""

    def __post_init__(self) -> None:
        _require(
            self.media_type in ORDONNANCE_MEDIA_TYPES,
            f"Format de fichier non accepté : {self.media_type} (JPEG, PNG ou PDF).",
            "prescription.ordonnance",
        )
        _require(bool(self.content), "Fichier de l'ordonnance vide.", "prescription.ordonnance")
        _require(
            len(self.content) <= MAX_ATTACHMENT_BYTES,
            "Fichier de l'ordonnance trop volumineux (10 Mo au plus).",
            "prescription.ordonnance",
        )
        # The content must be what the type says (issue 12: the one check of every upload).
        check_content(self.content, self.media_type, ORDONNANCE_MEDIA_TYPES,
                      field="prescription.ordonnance")


@dataclass(frozen=True, slots=True)
class Prescription:
    """« Nécessite une prescription » checked: date, prescripteur, photo of the ordonnance."""

    date: date | None = None
    prescriber_id: int | None = None
    ordonnance: Attachment | None = None


@dataclass(frozen=True, slots=True)
class AccidentTravail:
    """Accident du travail: chosen from the card's list or typed (manuel eS-KAP+:
    Identifiant « 020105342 », Code AT « 01 », Organisme AT « 013499881 », Date AT).

    An AT read from the card may have no identifiant (« AT du 03/09/2002 »: only code,
    organisme and date are shown), so it is optional; the organisme and the date are what the
    caisse needs to route the claim and are checked by the controls.
    """

    date: date | None = None
    organisme: str = ""
    code: str = ""
    identifiant: str = ""

    def __post_init__(self) -> None:
        _require(
            not self.identifiant or (isdigits(self.identifiant) and len(self.identifiant) <= 9),
            f"Identifiant d'accident du travail invalide : « {self.identifiant} » "
            "(9 chiffres au plus).",
            "accident_travail.identifiant",
        )
        _require(
            not self.organisme or (isdigits(self.organisme) and len(self.organisme) == 9),
            f"Organisme de l'accident du travail invalide : « {self.organisme} » (9 chiffres).",
            "accident_travail.organisme",
        )
        _require(
            not self.code or (self.code.isascii() and self.code.isalnum() and len(self.code) <= 2),
            f"Code AT invalide : « {self.code} » (2 caractères au plus).",
            "accident_travail.code",
        )


@dataclass(frozen=True, slots=True)
class AmcChoice:
    """The mutuelle chosen on « Règlement » and the convention chosen from the Inter-AMC
    answer (manuel eS-KAP+: « sélectionner la convention appropriée »). The formula and the
    gestion that price the invoice are in the engine's ``amc``."""

    coverage_id: int | None = None  # the patient's AmcCoverage row, when chosen from the file
    amc_number: str = ""
    convention_type: str = ""  # type de convention (Inter-AMC)
    csr: str = ""  # critère secondaire de routage


@dataclass(frozen=True, slots=True)
class EntentePrealable:
    """Entente préalable of the invoice: code and date (manuel eS-KAP+ « Saisir le code de
    l'entente préalable… Indiquer la date de validation de l'accord »)."""

    code: EntentePrealableCode = EntentePrealableCode.PAS_DE_DEMANDE
    date: date | None = None


@dataclass(frozen=True, slots=True)
class AmoServiceForcing:
    """« Forçage du service AMO »: the patient's AMO rights typed by hand when the card's are
    incomplete (manuel eS-KAP+: code du service AMO, dates de début et de fin)."""

    code: str
    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        _require(
            1 <= len(self.code) <= 3 and self.code.isascii() and self.code.isalnum(),
            f"Code du service AMO invalide : « {self.code} ».",
            "amo_service.code",
        )
        _require(
            self.end is None or self.end >= self.start,
            "Service AMO : la date de fin précède la date de début.",
            "amo_service.end",
        )

    @property
    def period(self) -> Period:
        return Period(self.start, self.end)  # both days covered

    def covers(self, on: date) -> bool:
        return self.period.covers(on)


@dataclass(frozen=True, slots=True)
class BillTo:
    """« Facturer à »: who receives a hors-télétransmission invoice (an employer, an EHPAD…,
    aide eS-KAP+ « Créer un client professionnel »), or the company patient itself."""

    name: str
    address: str = ""
    siret: str = ""
    patient_id: int | None = None  # a « client professionnel » of the patient base

    def __post_init__(self) -> None:
        _require(bool(self.name.strip()), "« Facturer à » : nom du destinataire manquant.",
                 "bill_to.name")
        _require(
            not self.siret or (isdigits(self.siret) and len(self.siret) == 14),
            f"SIRET invalide : « {self.siret} » (14 chiffres).",
            "bill_to.siret",
        )


@dataclass(frozen=True, slots=True)
class ActDetails:
    """What the act screens add to the engine's act (manuel eS-KAP+ « Ajouter un soin » and
    « Ajouter un acte CCAM »)."""

    regroupement: str = ""  # CCAM code regroupement (ATM, ADC…)
    serie: bool = False  # « Acte en série »
    complement: Complement | None = None
    indemnite_forfaitaire: str = ""  # IFD, IFA… billed with the act (« Indemnité forfaitaire »)
    entente_prealable: bool = False  # « Soumis à entente préalable »

    def __post_init__(self) -> None:
        _require(
            not self.indemnite_forfaitaire
            or (self.indemnite_forfaitaire.isascii() and self.indemnite_forfaitaire.isalnum()
                and len(self.indemnite_forfaitaire) <= 4),
            f"Indemnité forfaitaire invalide : « {self.indemnite_forfaitaire} ».",
            "indemnite_forfaitaire",
        )
        _require(
            not self.regroupement
            or (self.regroupement.isascii() and self.regroupement.isalnum()
                and len(self.regroupement) <= 3),
            f"Code regroupement invalide : « {self.regroupement} ».",
            "regroupement",
        )


NO_DETAILS = ActDetails()


@dataclass(frozen=True, slots=True)
class InvoiceAct:
    """One line: the engine's act and the desk's details."""

    act: ActDraft
    details: ActDetails = NO_DETAILS


# --------------------------------------------------------------------------------------------
# The draft
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    """Everything the desk fills before « Valider » (see the module docstring).

    ``act_details`` is aligned with ``pricing.acts`` (empty: no details on any act).
    """

    professional_id: int
    patient_id: int
    pricing: PricingDraft
    act_details: tuple[ActDetails, ...] = ()
    a_domicile: bool = False
    prescription: Prescription | None = None
    accident_droit_commun: bool = False
    accident_date: date | None = None  # date of the accident de droit commun
    maternite_date: date | None = None
    accident_travail: AccidentTravail | None = None
    forcage_ald: bool = False  # « Forçage du code ALD »
    declaration_medecin_traitant: MedecinTraitantDeclaration | None = None
    amc_choice: AmcChoice | None = None
    secure_mode: SecureMode = SecureMode.SECURISE
    entente_prealable: EntentePrealable | None = None
    prevention_commune: bool = False
    sante_sexuelle: bool = False
    anonymous_minor: bool = False  # santé sexuelle: minor asking for anonymity
    exo_per_act: bool = False  # « Saisir l'exonération sur chaque acte »
    group_identical: bool = False  # « Regrouper les actes identiques dans la facture »
    amo_service: AmoServiceForcing | None = None
    hors_teletransmission: bool = False
    bill_to: BillTo | None = None
    # « Corriger et refacturer »: the cancelled invoice this one replaces (its id).
    replaces_id: int | None = None

    def __post_init__(self) -> None:
        if self.act_details and len(self.act_details) != len(self.pricing.acts):
            raise InvalidInvoice(
                f"{len(self.act_details)} détails d'actes pour {len(self.pricing.acts)} actes.",
                field="acts",
            )

    @property
    def date_soins(self) -> date:
        return self.pricing.date_soins

    @property
    def acts(self) -> tuple[InvoiceAct, ...]:
        details = self.act_details or (NO_DETAILS,) * len(self.pricing.acts)
        return tuple(InvoiceAct(act, d) for act, d in zip(self.pricing.acts, details, strict=True))

    def act_dates(self) -> tuple[date, ...]:
        """The date of every act (an act without its own date is done on ``date_soins``)."""
        return tuple(act.date or self.date_soins for act in self.pricing.acts)

    def with_acts(self, acts: Iterable[InvoiceAct]) -> InvoiceDraft:
        lines = tuple(acts)
        return replace(
            self,
            pricing=replace(self.pricing, acts=tuple(line.act for line in lines)),
            act_details=tuple(line.details for line in lines),
        )

    def normalized(self) -> InvoiceDraft:
        """The lines that will be billed (idempotent):

        - « Indemnité forfaitaire » chosen on an act → its own NGAP line right after the act,
          same date (the engine values it like any travel allowance);
        - « Regrouper les actes identiques » → identical acts merged, quantities summed
          (manuel eS-KAP+, ``group_identical_acts``);
        - santé sexuelle, anonymous minor → exo 7 and full tiers payant AMO, no AMC.
        """
        lines: list[InvoiceAct] = []
        for line in self.acts:
            code = line.details.indemnite_forfaitaire
            if not code:
                lines.append(line)
                continue
            lines.append(InvoiceAct(line.act, replace(line.details, indemnite_forfaitaire="")))
            allowance = ActDraft(code=code, nomenclature=Nomenclature.NGAP, date=line.act.date,
                                 exo=line.act.exo,
                                 soins_en_rapport_ald=line.act.soins_en_rapport_ald)
            lines.append(InvoiceAct(allowance))
        if self.group_identical:
            lines = list(group_identical_acts(lines))
        draft = self.with_acts(lines)
        return draft._anonymous_minor_cover() if self.anonymous_minor else draft

    def _anonymous_minor_cover(self) -> InvoiceDraft:
        """Santé sexuelle, anonymous minor: nothing may be asked of the patient (anonymity
        forbids any bill to the family, no mutuelle is told): the care is exonerated as
        prevention (exo 7 → AMO 100 %, docs/rules.md §D.2) and paid by the caisse to the PS in
        tiers payant AMO (D.7), with no AMC."""
        acts = tuple(replace(act, exo=Exo.PREVENTION) for act in self.pricing.acts)
        pricing = replace(self.pricing, acts=acts, exo=Exo.PREVENTION, amc=None,
                          tiers_payant=TiersPayant(amo=True, amc=False))
        return replace(self, pricing=pricing, amc_choice=None)

    def with_override(self, index: int, *, amo: Decimal | None,
                      amc: Decimal | None) -> InvoiceDraft:
        """The draft with the AMO / AMC amounts of act ``index`` typed by hand (manuel eS-KAP+
        « Détails de l'acte »: « Changer le montant AMO / AMC »); ``None`` keeps the computed
        amount. The engine applies them and shows the consequences (patient share)."""
        if not 0 <= index < len(self.pricing.acts):
            raise InvalidInvoice(f"Acte n° {index + 1} inexistant.", field=f"acts[{index}]")
        acts = list(self.pricing.acts)
        override = None if amo is None and amc is None else AmountOverride(amo=amo, amc=amc)
        acts[index] = replace(acts[index], override=override)
        return replace(self, pricing=replace(self.pricing, acts=tuple(acts)))

    def for_anonymous_minor(self) -> InvoiceDraft:
        """Santé sexuelle, minor asking for anonymity: the mode must be SESAM sans Vitale
        (manuel eS-KAP+: « le mode de sécurisation doit être SESAM sans Vitale »)."""
        return replace(self, sante_sexuelle=True, anonymous_minor=True,
                       secure_mode=SecureMode.SESAM_SANS_VITALE)


def _grouping_key(line: InvoiceAct) -> tuple[object, ...] | None:
    """What must be equal for two lines to be « identiques »; None: never grouped.

    Not grouped: IK lines given by distance (the abattement applies per trip, NGAP art. 13 C),
    lines with a manual total or manual AMO/AMC amounts (their amounts are per line).
    """
    act = line.act
    if act.distance_km is not None or act.total_amount is not None or act.override is not None:
        return None
    return (replace(act, quantity=None), line.details)


def group_identical_acts(lines: Iterable[InvoiceAct]) -> tuple[InvoiceAct, ...]:
    """Merge identical lines (same act, same date, same details) into one with the summed
    quantity, in the order of first appearance.

    >>> g = ActDraft(code="G")
    >>> [(l.act.code, l.act.quantity) for l in group_identical_acts(
    ...     [InvoiceAct(g), InvoiceAct(ActDraft(code="MEG")), InvoiceAct(g)])]
    [('G', 2), ('MEG', None)]
    """
    merged: list[InvoiceAct] = []
    position: dict[tuple[object, ...], int] = {}
    for line in lines:
        key = _grouping_key(line)
        index = position.get(key) if key is not None else None
        if index is None:
            if key is not None:
                position[key] = len(merged)
            merged.append(line)
            continue
        kept = merged[index]
        quantity = (kept.act.quantity or 1) + (line.act.quantity or 1)
        if quantity > MAX_GROUPED_QUANTITY:
            merged.append(line)
            continue
        merged[index] = InvoiceAct(replace(kept.act, quantity=quantity), kept.details)
    return tuple(merged)


# Santé sexuelle, anonymous minor: the NIR anonyme « 2 55 55 55 CCC 042 » + key, CCC = code
# caisse (revue Prescrire, relayed by https://antiseche.wordpress.com/2016/10/06/
# acces-facilite-a-la-contraception-pour-les-mineures-de-plus-de-15-ans/ ; manuel eS-KAP+
# « le logiciel génère automatiquement un NIR fictif »). Confidence M.
_ANONYMOUS_NIR_PREFIX = "2555555"
_ANONYMOUS_NIR_ORDER = "042"


def anonymous_minor_nir(caisse: str) -> str:
    """The fictitious NIR billed for an anonymous minor (santé sexuelle), key included.

    >>> anonymous_minor_nir("751")
    '255555575104224'
    """
    if not (isdigits(caisse) and len(caisse) == 3):
        raise InvalidInvoice(f"Code caisse invalide pour le NIR anonyme : « {caisse} ».",
                             field="caisse")
    body = _ANONYMOUS_NIR_PREFIX + caisse + _ANONYMOUS_NIR_ORDER
    return body + nir_id.calc_check_digits(body)


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class InvoiceNumber:
    """Numéro de facture: 9 digits, sequential per professional, never reused
    (docs/protocols.md §1.2 and §7.2). Shown zero-padded, as the manual's « Référence facture :
    000001434 ».

    >>> str(InvoiceNumber(1434))
    '000001434'
    >>> InvoiceNumber.parse("000001434").value
    1434
    """

    value: int

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not 1 <= self.value <= MAX_INVOICE_NUMBER:
            raise InvalidInvoice(
                f"Numéro de facture hors limites : {self.value} (1 à 999 999 999).",
                field="number",
            )

    @classmethod
    def parse(cls, text: str) -> InvoiceNumber:
        cleaned = text.strip()
        if not (isdigits(cleaned) and 1 <= len(cleaned) <= 9):
            raise InvalidInvoice(f"Numéro de facture invalide : « {text[:12]} » (9 chiffres).",
                                 field="number")
        return cls(int(cleaned))

    def __str__(self) -> str:
        return f"{self.value:09d}"


# --------------------------------------------------------------------------------------------
# Life of an invoice
# --------------------------------------------------------------------------------------------


class InvoiceKind(StrEnum):
    INVOICE = "invoice"  # an FSE, or a facture hors télétransmission
    CANCELLATION = "cancellation"  # the document that cancels a validated invoice


class InvoiceStatus(StrEnum):
    """Where the invoice is in its life (stored; the list shows ``DisplayStatus``)."""

    DRAFT = "draft"
    VALIDATED = "validated"  # numbered; « à signer » (FSE) — final for hors télétransmission
    SIGNED = "signed"  # signed with the CPS (and the carte Vitale in mode sécurisé)
    IN_LOT = "in_lot"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"  # ARL positive
    PAID = "paid"  # the caisse's payment received (NOEMIE)
    REJECTED = "rejected"
    CANCELLED = "cancelled"  # a cancellation document exists
    DELETED = "deleted"  # deleted before sending; the row and its number stay


class DisplayStatus(StrEnum):
    """The status shown in the lists (manuel eS-KAP+ « Factures », guide LOGOSw « sécurisée,
    dégradée ou désynchronisée »); ``label`` is the French text."""

    BROUILLON = "brouillon"
    A_SIGNER = "a_signer"
    SECURISEE = "securisee"
    DESYNCHRONISEE = "desynchronisee"  # signed with the CPS, carte Vitale still to come
    DEGRADEE = "degradee"
    SESAM_SANS_VITALE = "sesam_sans_vitale"
    EN_LOT = "en_lot"
    TRANSMISE = "transmise"
    ACQUITTEE = "acquittee"
    PAYEE = "payee"
    REJETEE = "rejetee"
    HORS_TELETRANSMISSION = "hors_teletransmission"
    ANNULEE = "annulee"
    SUPPRIMEE = "supprimee"
    ANNULATION = "annulation"  # a cancellation document

    @property
    def label(self) -> str:
        return _DISPLAY_LABELS[self]


_DISPLAY_LABELS = {
    DisplayStatus.BROUILLON: "Brouillon",
    DisplayStatus.A_SIGNER: "À signer",
    DisplayStatus.SECURISEE: "Sécurisée",
    DisplayStatus.DESYNCHRONISEE: "Désynchronisée",
    DisplayStatus.DEGRADEE: "Dégradée",
    DisplayStatus.SESAM_SANS_VITALE: "SESAM sans Vitale",
    DisplayStatus.EN_LOT: "En lot",
    DisplayStatus.TRANSMISE: "Transmise",
    # ARL positive: received, not paid (« Acquittée » would say paid, docs/money-states.md).
    DisplayStatus.ACQUITTEE: "Reçue par l'organisme",
    DisplayStatus.PAYEE: "Payée",
    DisplayStatus.REJETEE: "Rejetée",
    DisplayStatus.HORS_TELETRANSMISSION: "Hors télétransmission",
    DisplayStatus.ANNULEE: "Annulée",
    DisplayStatus.SUPPRIMEE: "Supprimée",
    DisplayStatus.ANNULATION: "Annulation",
}

_SIGNED_DISPLAY = {
    SecureMode.SECURISE: DisplayStatus.SECURISEE,
    SecureMode.DESYNCHRONISE: DisplayStatus.DESYNCHRONISEE,
    SecureMode.DEGRADE: DisplayStatus.DEGRADEE,
    SecureMode.SESAM_SANS_VITALE: DisplayStatus.SESAM_SANS_VITALE,
}
_STATUS_DISPLAY = {
    InvoiceStatus.DRAFT: DisplayStatus.BROUILLON,
    InvoiceStatus.VALIDATED: DisplayStatus.A_SIGNER,
    InvoiceStatus.IN_LOT: DisplayStatus.EN_LOT,
    InvoiceStatus.SENT: DisplayStatus.TRANSMISE,
    InvoiceStatus.ACKNOWLEDGED: DisplayStatus.ACQUITTEE,
    InvoiceStatus.PAID: DisplayStatus.PAYEE,
    InvoiceStatus.REJECTED: DisplayStatus.REJETEE,
    InvoiceStatus.CANCELLED: DisplayStatus.ANNULEE,
    InvoiceStatus.DELETED: DisplayStatus.SUPPRIMEE,
}
_ACTION_FR = {
    "validate": "valider",
    "sign": "signer",
    "secure": "sécuriser avec la carte Vitale",
    "put_in_lot": "mettre en lot",
    "mark_sent": "marquer transmise",
    "acknowledge": "acquitter",
    "mark_paid": "marquer payée",
    "reject": "marquer rejetée",
    "cancel": "annuler",
    "delete": "supprimer",
}
# Unsent: never left the office (no lot yet): may be signed, deleted, cancelled.
_UNSENT = frozenset({InvoiceStatus.VALIDATED, InvoiceStatus.SIGNED})
_CANCELLABLE = frozenset({InvoiceStatus.VALIDATED, InvoiceStatus.SIGNED, InvoiceStatus.REJECTED})


@dataclass(frozen=True, slots=True)
class InvoiceState:
    """The lifecycle part of an invoice; each method returns the next state or raises."""

    status: InvoiceStatus = InvoiceStatus.DRAFT
    secure_mode: SecureMode = SecureMode.SECURISE
    kind: InvoiceKind = InvoiceKind.INVOICE
    hors_teletransmission: bool = False
    number: InvoiceNumber | None = None
    validated_at: datetime | None = None
    signed_at: datetime | None = None
    vitale_secured_at: datetime | None = None
    lot_ref: str | None = None
    sent_at: datetime | None = None
    acknowledged_at: datetime | None = None
    paid_at: datetime | None = None
    rejected_at: datetime | None = None
    rejection_reason: str | None = None
    cancelled_at: datetime | None = None
    deleted_at: datetime | None = None

    # -- questions -------------------------------------------------------------------------
    @property
    def display_status(self) -> DisplayStatus:
        if self.kind is InvoiceKind.CANCELLATION:
            return DisplayStatus.ANNULATION
        if self.status is InvoiceStatus.VALIDATED and self.hors_teletransmission:
            return DisplayStatus.HORS_TELETRANSMISSION
        if self.status is InvoiceStatus.SIGNED:
            if self.secure_mode is SecureMode.DESYNCHRONISE and self.vitale_secured_at:
                return DisplayStatus.SECURISEE
            return _SIGNED_DISPLAY[self.secure_mode]
        return _STATUS_DISPLAY[self.status]

    @property
    def is_unsent(self) -> bool:
        """Validated or signed, not yet in a lot: may still be deleted (manuel eS-KAP+ « Factures
        eS-KAP+ » supprimer) or signed."""
        return self.kind is InvoiceKind.INVOICE and self.status in _UNSENT

    @property
    def awaits_vitale(self) -> bool:
        """Désynchronisée: the carte Vitale (or the appli) must still sign it (manuel eS-KAP+
        « Factures poste de travail »)."""
        return (self.kind is InvoiceKind.INVOICE and self.status in _UNSENT
                and self.secure_mode is SecureMode.DESYNCHRONISE
                and self.vitale_secured_at is None)

    @property
    def counts_for_balance(self) -> bool:
        """An invoice whose amounts are still owed (not a draft, cancelled or deleted one)."""
        return self.kind is InvoiceKind.INVOICE and self.status not in (
            InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED, InvoiceStatus.DELETED)

    def require_editable(self) -> None:
        """Raise unless the invoice is still a draft (its content may then change)."""
        if self.status is not InvoiceStatus.DRAFT or self.kind is not InvoiceKind.INVOICE:
            raise InvoiceImmutable(
                f"La facture n° {self._shown_number()} est validée : elle ne peut plus être "
                "modifiée. Annulez-la pour la refaire.")

    # -- transitions -------------------------------------------------------------------------
    def validate(self, number: InvoiceNumber, at: datetime) -> InvoiceState:
        self._require("validate", {InvoiceStatus.DRAFT})
        return replace(self, status=InvoiceStatus.VALIDATED, number=number, validated_at=at)

    def sign(self, at: datetime, *, vitale_present: bool) -> InvoiceState:
        """Signature with the CPS. Mode sécurisé: the carte Vitale (or appli) signs at the same
        time, so it must be there; désynchronisé with the card present is secured at once."""
        self._require("sign", {InvoiceStatus.VALIDATED})
        if self.hors_teletransmission:
            raise InvalidTransition(
                f"La facture n° {self._shown_number()} est hors télétransmission : elle ne se "
                "signe pas.")
        if self.secure_mode is SecureMode.SECURISE and not vitale_present:
            raise VitaleRequired(
                f"Facture n° {self._shown_number()} en mode sécurisé : la carte Vitale (ou "
                "l'appli carte Vitale) du patient est nécessaire pour la signer.")
        secured = self.vitale_secured_at
        if vitale_present and self.secure_mode in (SecureMode.SECURISE,
                                                   SecureMode.DESYNCHRONISE):
            secured = at
        return replace(self, status=InvoiceStatus.SIGNED, signed_at=at,
                       vitale_secured_at=secured)

    def secure(self, at: datetime) -> InvoiceState:
        """The carte Vitale or the appli signs a désynchronisée invoice (« factures à
        sécuriser », manuel eS-KAP+ « Factures poste de travail »)."""
        if not self.awaits_vitale:
            raise InvalidTransition(
                f"La facture n° {self._shown_number()} n'attend pas de sécurisation par la "
                "carte Vitale.")
        return replace(self, vitale_secured_at=at)

    def put_in_lot(self, lot_ref: str) -> InvoiceState:
        self._require("put_in_lot", {InvoiceStatus.SIGNED})
        if self.awaits_vitale:
            raise InvalidTransition(
                f"La facture n° {self._shown_number()} est désynchronisée : elle doit être "
                "sécurisée avec la carte Vitale avant d'être mise en lot.")
        if not lot_ref.strip():
            raise InvalidInvoice("Référence de lot manquante.", field="lot_ref")
        return replace(self, status=InvoiceStatus.IN_LOT, lot_ref=lot_ref)

    def mark_sent(self, at: datetime) -> InvoiceState:
        self._require("mark_sent", {InvoiceStatus.IN_LOT})
        return replace(self, status=InvoiceStatus.SENT, sent_at=at)

    def acknowledge(self, at: datetime) -> InvoiceState:
        self._require("acknowledge", {InvoiceStatus.SENT})
        return replace(self, status=InvoiceStatus.ACKNOWLEDGED, acknowledged_at=at)

    def mark_paid(self, at: datetime) -> InvoiceState:
        self._require("mark_paid", {InvoiceStatus.SENT, InvoiceStatus.ACKNOWLEDGED})
        return replace(self, status=InvoiceStatus.PAID, paid_at=at)

    def reject(self, at: datetime, reason: str) -> InvoiceState:
        self._require("reject", {InvoiceStatus.SENT, InvoiceStatus.ACKNOWLEDGED})
        return replace(self, status=InvoiceStatus.REJECTED, rejected_at=at,
                       rejection_reason=reason.strip() or None)

    def cancel(self, at: datetime) -> InvoiceState:
        """Cancelled: allowed while the caisse is not processing it (unsent, or rejected).
        The caller makes the linked cancellation document (``cancellation_document``)."""
        self._require("cancel", _CANCELLABLE)
        return replace(self, status=InvoiceStatus.CANCELLED, cancelled_at=at)

    def delete(self, at: datetime) -> InvoiceState:
        """Deleted before leaving the office; the number stays used (never reused, §7.2)."""
        self._require("delete", _UNSENT)
        return replace(self, status=InvoiceStatus.DELETED, deleted_at=at)

    def cancellation_document(self, number: InvoiceNumber, at: datetime) -> InvoiceState:
        """The state of the document that cancels this (now cancelled) invoice: numbered in the
        same sequence, validated at once, never transmitted."""
        if self.status is not InvoiceStatus.CANCELLED:
            raise InvalidTransition("Seule une facture annulée reçoit un document d'annulation.")
        return InvoiceState(status=InvoiceStatus.VALIDATED, secure_mode=self.secure_mode,
                            kind=InvoiceKind.CANCELLATION, hors_teletransmission=True,
                            number=number, validated_at=at)

    # -- helpers -----------------------------------------------------------------------------
    def _require(self, action: str, allowed: set[InvoiceStatus] | frozenset[InvoiceStatus]
                 ) -> None:
        if self.kind is not InvoiceKind.INVOICE:
            raise InvalidTransition(
                f"Le document d'annulation n° {self._shown_number()} est définitif : "
                f"impossible de le {_ACTION_FR[action]}.")
        if self.status not in allowed:
            raise InvalidTransition(
                f"Impossible de {_ACTION_FR[action]} la facture n° {self._shown_number()} : "
                f"elle est « {self.display_status.label} ».")

    def _shown_number(self) -> str:
        return str(self.number) if self.number is not None else "(non numérotée)"
