"""View models of the printed documents: the paper feuille de soins and the note d'honoraires.

They hold exactly what is printed, already decided (amounts computed and rounded, codes
chosen), so that the templates only lay them out. They depend on nothing of the invoice
workflow: whoever prints maps its own objects into them (``openfse.printing.builders`` helps;
``docs/printing.md`` lists the mapping from the stored invoice). Every value is checked when
the object is built and a wrong one raises ``InvalidPrintData`` with a French message and the
field's dotted path — no PDF is ever made from data that does not hold together.

**CareSheet** — the paper feuille de soins given to the patient (or scanned for SCOR) when
the FSE is sent in mode dégradé (CPS only: « le professionnel transmet la feuille de soins
papier correspondante … comportant explicitement la notion de télétransmission en mode
« dégradé » », convention audioprothésistes 2020 art. 32, quoted in docs/protocols.md §1.5), or
when nothing is transmitted at all (``PaperMode.PAPIER``). Its sections follow the official
forms (cerfa n° 12541 for médecins; the other professions' forms have the same sections):
praticien, personne recevant les soins et assuré(e), conditions de prise en charge,
prescription, actes, montants and paiement, signatures.

**Receipt** — the note d'honoraires: what was billed, to whom (the patient or a company,
« Facturer à »), what the insurers pay directly (tiers payant), the payments received and
the balance.

>>> from datetime import date
>>> line = ActLine(date(2025, 1, 20), "G", Decimal("30.00"))
>>> line.amount
Decimal('30.00')
>>> ActLine(date(2025, 1, 20), "G", Decimal("30.005"))  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
openfse.printing.errors.InvalidPrintData: Montant de l'acte : montant au centime près ...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from openfse.domain.rights import BirthDate
from openfse.errors import OpenFSEError
from openfse.ids import amc as amc_id
from openfse.ids import facturation_ps, nir, organisme, rpps
from openfse.money import ZERO
from openfse.printing._checks import (
    checked,
    optional_text,
    require_amount,
    require_code,
    require_date,
    require_int,
    require_text,
)
from openfse.printing.errors import InvalidPrintData
from openfse.referentials import codes
from openfse.referentials.professions import profession as profession_of

__all__ = [
    "ActLine",
    "Address",
    "AmcOrganism",
    "AmoOrganism",
    "Cabinet",
    "CareSheet",
    "Company",
    "Insured",
    "PaperMode",
    "Patient",
    "Prescription",
    "Professional",
    "Receipt",
    "ReceiptPayment",
    "ReceiptShare",
    "Shares",
    "WorkAccident",
]

ONE = Decimal(1)
MAX_QUANTITY = 9999  # the pricing contract's bound on a quantity (km of IK included)


def _prefixed(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _check_invoice_number(value: object, field: str) -> None:
    # Numéro de facture: 9 digits, sequential per billing professional (docs/protocols.md §1.2,
    # §7.2).
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()
                                          and 1 <= len(value) <= 9 and int(value) > 0):
        raise InvalidPrintData(
            f"Numéro de facture invalide : « {str(value)[:12]} » (1 à 9 chiffres, non nul).",
            field=field,
        )


# --------------------------------------------------------------------------------------------
# Parties
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address as printed: street lines, postcode and city."""

    lines: tuple[str, ...] = ()
    postcode: str = ""
    city: str = ""

    def __post_init__(self) -> None:
        self.check("adresse")

    def check(self, prefix: str) -> None:
        if not isinstance(self.lines, tuple) or len(self.lines) > 4:
            raise InvalidPrintData("Adresse : 4 lignes au plus.", field=f"{prefix}.lines")
        for index, line in enumerate(self.lines):
            optional_text(line, f"{prefix}.lines[{index}]", "Ligne d'adresse", max_length=100)
        optional_text(self.postcode, f"{prefix}.postcode", "Code postal", max_length=10)
        optional_text(self.city, f"{prefix}.city", "Commune", max_length=100)

    @property
    def printed_lines(self) -> tuple[str, ...]:
        """The street lines then « code postal commune », blanks left out."""
        town = " ".join(part for part in (self.postcode, self.city) if part.strip())
        return tuple(line for line in (*self.lines, town) if line.strip())


NO_ADDRESS = Address()


@dataclass(frozen=True, slots=True)
class Professional:
    """The professional who did the care (« identification du praticien »).

    ``profession`` is a profession id of ``openfse.referentials.professions`` (``medecin``,
    ``infirmier``…); ``specialite`` and ``conventionnement`` are the printed labels
    (``builders.specialite_label``, ``builders.conventionnement_label``). A remplaçant prints
    his own identity and the numéro de facturation he bills under.
    """

    last_name: str
    first_name: str
    profession: str
    billing_number: str = ""  # numéro de facturation (« numéro AM »), key included: 9 digits
    rpps: str = ""
    specialite: str = ""
    conventionnement: str = ""
    structure: str = ""  # raison sociale of the cabinet or centre, when printed
    address: Address = NO_ADDRESS
    phone: str = ""

    def __post_init__(self) -> None:
        require_text(self.last_name, "professional.last_name", "Nom du praticien")
        optional_text(self.first_name, "professional.first_name", "Prénom du praticien")
        checked(profession_of, self.profession, "professional.profession", "Profession",
                relabel=False)
        if self.billing_number:
            checked(facturation_ps.validate, self.billing_number,
                    "professional.billing_number", "Numéro de facturation du praticien")
        if self.rpps:
            checked(rpps.validate, self.rpps, "professional.rpps", "Numéro RPPS du praticien")
        if not self.billing_number and not self.rpps:
            raise InvalidPrintData(
                "Praticien : numéro de facturation ou numéro RPPS requis.",
                field="professional.billing_number",
            )
        for name, label in (("specialite", "Spécialité"), ("conventionnement",
                                                            "Conventionnement"),
                            ("structure", "Structure"), ("phone", "Téléphone")):
            optional_text(getattr(self, name), f"professional.{name}", label)
        self.address.check("professional.address")

    @property
    def profession_label(self) -> str:
        return profession_of(self.profession).label

    @property
    def billing_number_printed(self) -> str:
        return facturation_ps.format(self.billing_number) if self.billing_number else ""


@dataclass(frozen=True, slots=True)
class AmoOrganism:
    """Organisme d'assurance maladie obligatoire: code régime + caisse + centre (9 digits,
    ``01 751 9881``) and, optionally, its name (« CPAM de Paris »)."""

    code: str
    name: str = ""

    def __post_init__(self) -> None:
        checked(organisme.validate, self.code, "patient.amo.code", "Organisme AMO")
        optional_text(self.name, "patient.amo.name", "Nom de l'organisme AMO")

    @property
    def printed_code(self) -> str:
        return organisme.format(self.code)

    @property
    def regime_label(self) -> str:
        return organisme.regime_label(self.code)


@dataclass(frozen=True, slots=True)
class AmcOrganism:
    """Organisme complémentaire: its number (numéro AMC / de télétransmission), name and the
    patient's adherent number, as read from the attestation de tiers payant."""

    number: str
    name: str = ""
    adherent: str = ""

    def __post_init__(self) -> None:
        checked(amc_id.validate, self.number, "patient.amc.number", "Numéro AMC")
        optional_text(self.name, "patient.amc.name", "Nom de l'organisme complémentaire")
        optional_text(self.adherent, "patient.amc.adherent", "Numéro d'adhérent AMC",
                      max_length=30)


@dataclass(frozen=True, slots=True)
class Insured:
    """The assuré(e) (ouvrant droit) when the patient is a beneficiary of his rights (a
    child, a spouse): the cerfa's « assuré(e), si la personne recevant les soins n'est pas
    l'assuré(e) » block."""

    last_name: str
    first_name: str
    address: Address = NO_ADDRESS

    def __post_init__(self) -> None:
        require_text(self.last_name, "patient.insured.last_name", "Nom de l'assuré(e)")
        optional_text(self.first_name, "patient.insured.first_name", "Prénom de l'assuré(e)")
        self.address.check("patient.insured.address")


@dataclass(frozen=True, slots=True)
class Patient:
    """The person who received the care, and the rights billed.

    ``nir`` is the NIR of the ouvrant droit (15 characters, key included) as on the carte
    Vitale. ``birth_date`` is kept verbatim (``AAAAMMJJ``, ``JJ/MM/AAAA`` or a ``date``):
    lunar dates such as ``19841300`` are printed digit for digit (docs/rules.md §G). ``rank``
    is the rang de naissance (twins: 1, 2). ``insured`` is set only when the patient is not
    the assuré(e).
    """

    last_name: str
    first_name: str
    nir: str
    birth_date: str | date
    amo: AmoOrganism
    rank: int = 1
    amc: AmcOrganism | None = None
    insured: Insured | None = None
    address: Address = NO_ADDRESS

    def __post_init__(self) -> None:
        require_text(self.last_name, "patient.last_name", "Nom du patient")
        optional_text(self.first_name, "patient.first_name", "Prénom du patient")
        checked(nir.validate, self.nir, "patient.nir", "NIR de l'assuré(e)")
        self._birth()
        require_int(self.rank, "patient.rank", "Rang de naissance", 1, 9)
        if not isinstance(self.amo, AmoOrganism):
            raise InvalidPrintData("Organisme AMO manquant.", field="patient.amo")
        self.address.check("patient.address")

    def _birth(self) -> BirthDate:
        if isinstance(self.birth_date, date):
            require_date(self.birth_date, "patient.birth_date", "Date de naissance")
            return BirthDate.of(self.birth_date)
        if not isinstance(self.birth_date, str):
            raise InvalidPrintData("Date de naissance : texte ou date attendu.",
                                   field="patient.birth_date")
        try:
            return BirthDate.parse(self.birth_date)
        except OpenFSEError as error:
            raise InvalidPrintData(error.message, field="patient.birth_date") from error

    @property
    def birth_date_printed(self) -> str:
        """``JJ/MM/AAAA``, lunar digits kept (``00/13/1984``)."""
        return str(self._birth())

    @property
    def nir_body(self) -> str:
        """The 13 characters before the key, grouped as on the card (``1 78 04 75 115 012``)."""
        return nir.format(nir.compact(self.nir)[:13])

    @property
    def nir_key(self) -> str:
        return nir.compact(self.nir)[13:]


@dataclass(frozen=True, slots=True)
class Prescription:
    """The prescription the care was done on: prescripteur (name, identifier — RPPS or
    numéro AM —, spécialité) and date."""

    prescriber_name: str
    date: date
    prescriber_id: str = ""
    specialite: str = ""

    def __post_init__(self) -> None:
        require_text(self.prescriber_name, "prescription.prescriber_name", "Prescripteur")
        require_date(self.date, "prescription.date", "Date de prescription")
        optional_text(self.specialite, "prescription.specialite", "Spécialité du prescripteur")
        if self.prescriber_id:
            # RPPS (11 digits) or the prescriber's numéro AM (8 digits + key).
            compact = self.prescriber_id.replace(" ", "")
            validate = rpps.validate if len(compact) == 11 else facturation_ps.validate
            checked(validate, self.prescriber_id, "prescription.prescriber_id",
                    "Identifiant du prescripteur")


@dataclass(frozen=True, slots=True)
class WorkAccident:
    """Accident du travail / maladie professionnelle: date, and number when known (an AT
    read from the card may have no identifiant, see ``openfse.domain.invoice``)."""

    date: date
    number: str = ""

    def __post_init__(self) -> None:
        require_date(self.date, "accident_travail.date", "Date de l'accident du travail")
        if self.number and not (self.number.isascii() and self.number.isdigit()
                                and len(self.number) <= 9):
            raise InvalidPrintData(
                f"Numéro d'accident du travail invalide : « {self.number[:12]} » "
                "(9 chiffres au plus).",
                field="accident_travail.number",
            )


# --------------------------------------------------------------------------------------------
# Lines and amounts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActLine:
    """One billed line: date, code (NGAP key letter, CCAM code, IK…), coefficient, quantity,
    the amount billed (honoraires, dépassement included), the dépassement and its qualificatif
    (code list ``qualificatif_depense``), the kilometres of an IK line, the CCAM details
    (``detail``: activité, phase, modificateurs, association) and a label for the receipt."""

    date: date
    code: str
    amount: Decimal
    coefficient: Decimal = ONE
    quantity: int = 1
    depassement: Decimal = ZERO
    qualificatif: str = ""
    ik_km: Decimal | None = None
    detail: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        self.check("")

    def check(self, prefix: str) -> None:
        def at(name: str) -> str:
            return _prefixed(prefix, name)

        require_date(self.date, at("date"), "Date de l'acte")
        require_text(self.code, at("code"), "Code de l'acte", max_length=16)
        require_amount(self.amount, at("amount"), "Montant de l'acte")
        require_amount(self.depassement, at("depassement"), "Dépassement")
        if self.depassement > self.amount:
            raise InvalidPrintData(
                f"Dépassement ({self.depassement}) supérieur au montant de l'acte "
                f"({self.amount}).",
                field=at("depassement"),
            )
        if (isinstance(self.coefficient, bool) or not isinstance(self.coefficient, Decimal)
                or not self.coefficient.is_finite() or not 0 < self.coefficient <= 1000):
            raise InvalidPrintData("Coefficient de l'acte : nombre positif attendu.",
                                   field=at("coefficient"))
        require_int(self.quantity, at("quantity"), "Quantité", 1, MAX_QUANTITY)
        if self.qualificatif:
            require_code(codes.QUALIFICATIF_DEPENSE, self.qualificatif, self.date,
                         at("qualificatif"), "Qualificatif de dépense")
        if self.ik_km is not None and (
            not isinstance(self.ik_km, Decimal) or not self.ik_km.is_finite()
            or not 0 <= self.ik_km <= MAX_QUANTITY
        ):
            raise InvalidPrintData("Kilomètres d'IK : nombre positif attendu.",
                                   field=at("ik_km"))
        optional_text(self.detail, at("detail"), "Détail de l'acte", max_length=60)
        optional_text(self.label, at("label"), "Libellé de l'acte")

    @property
    def qualificatif_label(self) -> str:
        """« Non remboursable »… for the qualificatif de dépense; empty without one."""
        item = codes.QUALIFICATIF_DEPENSE.get(self.qualificatif, self.date) if (
            self.qualificatif) else None
        return item.label if item is not None else ""


@dataclass(frozen=True, slots=True)
class Shares:
    """Who pays what of the total: part AMO (gross), part AMC, part de l'assuré.

    Invariant of the pricing engine (``openfse.domain.pricing.result``): AMO + AMC + patient
    = total, to the cent — a sheet that does not add up is refused.
    """

    total: Decimal
    amo: Decimal = ZERO
    amc: Decimal = ZERO
    patient: Decimal = ZERO

    def __post_init__(self) -> None:
        for name, label in (("total", "Montant total"), ("amo", "Part AMO"),
                            ("amc", "Part AMC"), ("patient", "Part de l'assuré(e)")):
            require_amount(getattr(self, name), f"shares.{name}", label)
        if self.amo + self.amc + self.patient != self.total:
            raise InvalidPrintData(
                f"Parts AMO ({self.amo}) + AMC ({self.amc}) + assuré(e) ({self.patient}) "
                f"différentes du montant total ({self.total}).",
                field="shares",
            )


def _check_lines(lines: object, issued_on: date) -> Decimal:
    """Check every line (dated on or before the document) and return their total."""
    if not isinstance(lines, tuple) or not lines:
        raise InvalidPrintData("Aucun acte à imprimer.", field="lines")
    total = ZERO
    for index, line in enumerate(lines):
        if not isinstance(line, ActLine):
            raise InvalidPrintData("Ligne d'acte invalide.", field=f"lines[{index}]")
        line.check(f"lines[{index}]")
        if line.date > issued_on:
            raise InvalidPrintData(
                f"Acte du {line.date:%d/%m/%Y} postérieur à la date du document "
                f"({issued_on:%d/%m/%Y}).",
                field=f"lines[{index}].date",
            )
        total += line.amount
    return total


# --------------------------------------------------------------------------------------------
# The paper feuille de soins
# --------------------------------------------------------------------------------------------


class PaperMode(StrEnum):
    """Why a paper sheet is printed."""

    DEGRADE = "degrade"  # FSE sent in mode dégradé (CPS only); the paper goes to the caisse
    PAPIER = "papier"  # no FSE at all: the paper sheet is the claim

    @property
    def heading(self) -> str:
        """What follows « Feuille de soins — » in the title."""
        return "mode dégradé" if self is PaperMode.DEGRADE else "papier"


@dataclass(frozen=True, slots=True)
class CareSheet:
    """The paper feuille de soins (see the module docstring).

    Codes are those of ``openfse.referentials.codes``, checked on the first date of care:
    ``nature`` (``nature_assurance``: maladie, maternite, at, smg), ``exoneration``
    (``exoneration``: 0, 3, 4, 5, 7, 9), ``parcours`` (``parcours``: medecin_traitant,
    urgence…). ``amount_received`` is what the professional received at the desk (« paiement
    reçu »); with tiers payant the patient owes nothing of the parts paid by the insurers.
    """

    mode: PaperMode
    invoice_number: str
    issued_on: date
    professional: Professional
    patient: Patient
    lines: tuple[ActLine, ...]
    shares: Shares
    nature: str = "maladie"
    accident_travail: WorkAccident | None = None
    exoneration: str = ""
    parcours: str = ""
    medecin_traitant: str = ""  # name of the médecin traitant, when the patient is sent by him
    prescription: Prescription | None = None
    tiers_payant_amo: bool = False
    tiers_payant_amc: bool = False
    amount_received: Decimal = ZERO
    with_qr: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.mode, PaperMode):
            raise InvalidPrintData("Mode de la feuille de soins : dégradé ou papier.",
                                   field="mode")
        _check_invoice_number(self.invoice_number, "invoice_number")
        require_date(self.issued_on, "issued_on", "Date de la feuille de soins")
        if not self.professional.billing_number:
            # The caisse pays the professional under this number (docs/protocols.md §1.2).
            raise InvalidPrintData("Feuille de soins : numéro de facturation du praticien "
                                   "requis.", field="professional.billing_number")
        lines_total = _check_lines(self.lines, self.issued_on)
        if lines_total != self.shares.total:
            raise InvalidPrintData(
                f"Montant total ({self.shares.total}) différent de la somme des actes "
                f"({lines_total}).",
                field="shares.total",
            )
        self._check_conditions()
        require_amount(self.amount_received, "amount_received", "Paiement reçu")
        if self.amount_received > self.due_at_desk:
            raise InvalidPrintData(
                f"Paiement reçu ({self.amount_received}) supérieur à ce que le patient doit "
                f"régler ({self.due_at_desk}).",
                field="amount_received",
            )

    def _check_conditions(self) -> None:
        on = self.care_date
        require_code(codes.NATURE_ASSURANCE, self.nature, on, "nature", "Nature d'assurance")
        if self.exoneration:
            require_code(codes.EXONERATION, self.exoneration, on, "exoneration", "Exonération")
        if self.parcours:
            require_code(codes.PARCOURS, self.parcours, on, "parcours", "Parcours de soins")
        optional_text(self.medecin_traitant, "medecin_traitant", "Médecin traitant")
        # Nature AT: the caisse routes the claim on the accident's date and number
        # (code list nature_assurance, « date de l'accident et numéro d'AT »).
        if self.nature == "at" and self.accident_travail is None:
            raise InvalidPrintData("Accident du travail : date de l'accident requise.",
                                   field="accident_travail")
        if self.nature != "at" and self.accident_travail is not None:
            raise InvalidPrintData(
                "Accident du travail renseigné alors que la nature d'assurance n'est pas "
                "« accident du travail ».",
                field="accident_travail",
            )

    @property
    def care_date(self) -> date:
        """The first date of care (code lists are read on it)."""
        return min(line.date for line in self.lines)

    @property
    def due_at_desk(self) -> Decimal:
        """What the patient owes the professional: the total less the parts paid directly
        by the insurers in tiers payant (« dispense d'avance de frais »)."""
        due = self.shares.total
        if self.tiers_payant_amo:
            due -= self.shares.amo
        if self.tiers_payant_amc:
            due -= self.shares.amc
        return due

    @property
    def number_printed(self) -> str:
        """The invoice number on 9 digits, as the FSE carries it (``000001434``)."""
        return f"{int(self.invoice_number):09d}"

    @property
    def reference(self) -> str:
        """What the 2D code carries: who bills, which invoice (no health data)."""
        return f"OPENFSE FSP {self.professional.billing_number} {self.number_printed}"

    def label_of(self, code_list: codes.CodeList, code: str) -> str:
        item = code_list.get(code, self.care_date) if code else None
        return item.label if item is not None else ""


# --------------------------------------------------------------------------------------------
# The note d'honoraires
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cabinet:
    """The practice issuing the note: name, address, contact, SIRET."""

    name: str
    address: Address = NO_ADDRESS
    phone: str = ""
    email: str = ""
    siret: str = ""

    def __post_init__(self) -> None:
        require_text(self.name, "cabinet.name", "Nom du cabinet")
        self.address.check("cabinet.address")
        optional_text(self.phone, "cabinet.phone", "Téléphone du cabinet", max_length=30)
        optional_text(self.email, "cabinet.email", "Courriel du cabinet", max_length=100)
        _check_siret(self.siret, "cabinet.siret")


def _check_siret(value: str, field_name: str) -> None:
    if value and not (value.isascii() and value.isdigit() and len(value) == 14):
        raise InvalidPrintData(f"SIRET invalide : « {value[:20]} » (14 chiffres).",
                               field=field_name)


@dataclass(frozen=True, slots=True)
class Company:
    """« Facturer à »: a company or institution billed instead of the patient (an employer,
    an EHPAD…, aide eS-KAP+ « Créer un client professionnel »)."""

    name: str
    address: Address = NO_ADDRESS
    siret: str = ""

    def __post_init__(self) -> None:
        require_text(self.name, "bill_to.name", "« Facturer à » : nom du destinataire")
        self.address.check("bill_to.address")
        _check_siret(self.siret, "bill_to.siret")


@dataclass(frozen=True, slots=True)
class ReceiptPayment:
    """A payment received: date, type (code list ``type_paiement``: cheque, cb, especes,
    virement, autre), amount, reference (cheque number…) and payer when not the addressee."""

    paid_on: date
    kind: str
    amount: Decimal
    reference: str = ""
    payer: str = ""

    def check(self, prefix: str) -> None:
        require_date(self.paid_on, f"{prefix}.paid_on", "Date du paiement")
        require_code(codes.TYPE_PAIEMENT, self.kind, self.paid_on, f"{prefix}.kind",
                     "Type de paiement")
        require_amount(self.amount, f"{prefix}.amount", "Montant du paiement")
        if self.amount == 0:
            raise InvalidPrintData("Montant du paiement nul.", field=f"{prefix}.amount")
        optional_text(self.reference, f"{prefix}.reference", "Référence du paiement",
                      max_length=60)
        optional_text(self.payer, f"{prefix}.payer", "Payeur")

    def __post_init__(self) -> None:
        self.check("payment")

    @property
    def kind_label(self) -> str:
        item = codes.TYPE_PAIEMENT.get(self.kind, self.paid_on)
        return item.label if item is not None else self.kind


@dataclass(frozen=True, slots=True)
class ReceiptShare:
    """Where an insurer's tiers-payant part stands when the note is printed (the state's
    label, docs/money-states.md §1) and what of it was billed to the addressee after the
    insurer refused or did not pay it: the note never says an insurer paid what it did not."""

    payer: str  # "amo" / "amc"
    state: str  # « Payée », « Rejetée », « Facturée au patient »…
    billed_to_patient: Decimal = ZERO

    def check(self, prefix: str) -> None:
        if self.payer not in ("amo", "amc"):
            raise InvalidPrintData("Part d'organisme inconnue.", field=f"{prefix}.payer")
        require_text(self.state, f"{prefix}.state", "État de la part")
        require_amount(self.billed_to_patient, f"{prefix}.billed_to_patient",
                       "Part facturée au patient")

    def __post_init__(self) -> None:
        self.check("share")


@dataclass(frozen=True, slots=True)
class Receipt:
    """The note d'honoraires (see the module docstring).

    ``tiers_payant_amo`` / ``tiers_payant_amc`` are the parts the insurers were asked to pay
    the professional directly; ``insurer_shares`` says where each stands and what of it was
    billed to the addressee: the addressee owes ``due`` = total − those parts + what was
    billed to him; ``balance`` = due − payments received (negative: paid too much).
    """

    invoice_number: str
    issued_on: date
    cabinet: Cabinet
    professional: Professional
    patient_last_name: str
    patient_first_name: str
    lines: tuple[ActLine, ...]
    total: Decimal
    patient_address: Address = NO_ADDRESS
    bill_to: Company | None = None
    tiers_payant_amo: Decimal = ZERO
    tiers_payant_amc: Decimal = ZERO
    payments: tuple[ReceiptPayment, ...] = field(default=())
    insurer_shares: tuple[ReceiptShare, ...] = field(default=())
    vat_mention: str = "TVA non applicable, article 261-4-1° du code général des impôts."
    with_qr: bool = True

    def __post_init__(self) -> None:
        _check_invoice_number(self.invoice_number, "invoice_number")
        require_date(self.issued_on, "issued_on", "Date de la note d'honoraires")
        require_text(self.patient_last_name, "patient_last_name", "Nom du patient")
        optional_text(self.patient_first_name, "patient_first_name", "Prénom du patient")
        self.patient_address.check("patient_address")
        require_amount(self.total, "total", "Total des honoraires")
        lines_total = _check_lines(self.lines, self.issued_on)
        if lines_total != self.total:
            raise InvalidPrintData(
                f"Total des honoraires ({self.total}) différent de la somme des actes "
                f"({lines_total}).",
                field="total",
            )
        require_amount(self.tiers_payant_amo, "tiers_payant_amo", "Part AMO en tiers payant")
        require_amount(self.tiers_payant_amc, "tiers_payant_amc", "Part AMC en tiers payant")
        if self.tiers_payant_amo + self.tiers_payant_amc > self.total:
            raise InvalidPrintData(
                "Parts prises en charge en tiers payant supérieures au total des honoraires.",
                field="tiers_payant_amo",
            )
        self._check_payments(self.payments)
        self._check_shares()
        optional_text(self.vat_mention, "vat_mention", "Mention de TVA")

    def _check_shares(self) -> None:
        if not isinstance(self.insurer_shares, tuple):
            raise InvalidPrintData("Parts des organismes : liste attendue.",
                                   field="insurer_shares")
        asked = {"amo": self.tiers_payant_amo, "amc": self.tiers_payant_amc}
        for index, share in enumerate(self.insurer_shares):
            if not isinstance(share, ReceiptShare):
                raise InvalidPrintData("Part d'organisme invalide.",
                                       field=f"insurer_shares[{index}]")
            share.check(f"insurer_shares[{index}]")
            if share.billed_to_patient > asked[share.payer]:
                raise InvalidPrintData("Part facturée au patient supérieure à la part de "
                                       "l'organisme.", field=f"insurer_shares[{index}]")

    def insurer_share(self, payer: str) -> ReceiptShare | None:
        """The state of the ``amo`` / ``amc`` part, when the caller gave it."""
        return next((share for share in self.insurer_shares if share.payer == payer), None)

    @property
    def billed_to_patient(self) -> Decimal:
        return sum((share.billed_to_patient for share in self.insurer_shares), ZERO)

    @staticmethod
    def _check_payments(payments: Sequence[ReceiptPayment]) -> None:
        if not isinstance(payments, tuple):
            raise InvalidPrintData("Paiements : liste attendue.", field="payments")
        for index, payment in enumerate(payments):
            if not isinstance(payment, ReceiptPayment):
                raise InvalidPrintData("Paiement invalide.", field=f"payments[{index}]")
            payment.check(f"payments[{index}]")

    @property
    def due(self) -> Decimal:
        return (self.total - self.tiers_payant_amo - self.tiers_payant_amc
                + self.billed_to_patient)

    @property
    def paid(self) -> Decimal:
        return sum((payment.amount for payment in self.payments), ZERO)

    @property
    def balance(self) -> Decimal:
        return self.due - self.paid

    @property
    def settled(self) -> bool:
        """« Acquittée »: payments were received and they cover exactly what the addressee
        owes, the insurers' parts billed to him included (docs/money-states.md §4)."""
        return bool(self.payments) and self.balance == 0

    @property
    def addressee_name(self) -> str:
        if self.bill_to is not None:
            return self.bill_to.name
        return " ".join(p for p in (self.patient_first_name, self.patient_last_name) if p)

    @property
    def addressee_address(self) -> Address:
        return self.bill_to.address if self.bill_to is not None else self.patient_address

    @property
    def number_printed(self) -> str:
        return f"{int(self.invoice_number):09d}"

    @property
    def reference(self) -> str:
        """What the 2D code carries: who bills, which invoice (no health data)."""
        issuer = self.professional.billing_number or self.professional.rpps
        return f"OPENFSE NH {issuer} {self.number_printed}"
