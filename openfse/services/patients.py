"""Patient files: create (carte Vitale, appli carte Vitale, ADRi, by hand from an attestation,
client professionnel), open, modify, delete, merge, family links and balance, notes and
alerts, and « Interroger l'ADRI » with the compare-and-choose screen.

Each use case takes a :class:`~openfse.store.uow.UnitOfWork` (not yet entered), opens it,
changes rows, journals every change in the same transaction (``uow.journal_change``) and
commits — or raises a typed error and saves nothing. ``today`` is always an argument (read
once at the edge). Sources: aide eS-KAP+ (création: carte Vitale, ADRI, manuel, client
professionnel), manuel eS-KAP+ « Patients » (création, ADRI « Choix informations AMO », recherche,
modification with identity greyed for card-created files, suppression), dossier LOGOSw (fiche
d'état civil: famille, notes « Afficher à l'ouverture du dossier », fusion, « Supprimer ce
dossier … uniquement si le dossier est vide de données. Sinon il est surement préférable de
le fusionner »).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, exists, or_, select

from openfse.adapters.cards.port import ApcvNfc, ApcvProvider, ApcvQr, ApcvSource, CardReader
from openfse.adapters.teleservices.port import AdriClient, AdriRequest
from openfse.domain import patient as patient_rules
from openfse.domain.cards import KnownPatient, VitaleBeneficiary
from openfse.domain.coverage import AME_NUMBER, RightsState, rights_state
from openfse.domain.rights import AdriAnswer, AmcCoverageKind
from openfse.errors import Conflict, InvalidInput, NotFound
from openfse.money import ZERO
from openfse.periods import Period
from openfse.services import invoicing, patient_forms
from openfse.services.cards import VitaleReading, read_apcv_with_status, read_vitale_with_status
from openfse.services.patient_forms import (
    AldData,
    AldInput,
    AmoData,
    PatientData,
    PatientInput,
    PeriodInput,
    RightsPeriod,
    birth_date_display,
)
from openfse.services.teleservices import AdriResult, query_adri
from openfse.store.journal import JournalAction
from openfse.store.models import (
    Ald,
    AmcCoverage,
    AmcGestion,
    AmoCoverage,
    AmoOrganism,
    DataSource,
    FamilyLink,
    FamilyRelation,
    Invoice,
    Patient,
)
from openfse.store.repositories.base import SortOrder
from openfse.store.repositories.patients import FamilyLinkRepository
from openfse.store.uow import UnitOfWork

__all__ = [
    "CARD_SOURCES",
    "IDENTITY_LOCKED_SOURCES",
    "AdriComparison",
    "ComparedField",
    "DuplicatePatient",
    "FamilyMember",
    "IdentityLocked",
    "ImportedBeneficiary",
    "PatientFile",
    "PatientHasInvoices",
    "RightsState",
    "adri_request_for",
    "apcv_payload_from_image",
    "apply_adri",
    "compare_with_adri",
    "create_from_adri",
    "create_patient",
    "delete_patient",
    "family_balance",
    "form_of",
    "import_beneficiary",
    "link_family",
    "merge_patients",
    "open_file",
    "patient_has_invoices",
    "query_patient_rights",
    "read_apcv",
    "read_apcv_at_desk",
    "read_vitale",
    "rights_state",
    "search_amo_organisms",
    "search_patients",
    "unlink_family",
    "unpaid_total",
    "update_patient",
]

# Card data are read, never typed: files created from them keep their identity as read
# (manuel eS-KAP+ « Les données d'identité personnelles du patient ne sont pas modifiables et sont
# grisées »), and the AMO block is refreshed by reading the card or asking ADRi again.
CARD_SOURCES = frozenset({DataSource.VITALE, DataSource.APCV})
IDENTITY_LOCKED_SOURCES = CARD_SOURCES | {DataSource.ADRI}

# Pièce justificative of rights read from a card or a teleservice (codes.PIECE_JUSTIFICATIVE;
# ADRi is a « consultation télématique », manuel eS-KAP+).
_PIECE_OF_SOURCE = {
    DataSource.VITALE: "carte_vitale",
    DataSource.APCV: "appli_carte_vitale",
    DataSource.ADRI: "carte_papier",
}
_SOURCE_LABELS = {
    DataSource.VITALE: "carte Vitale",
    DataSource.APCV: "appli carte Vitale",
    DataSource.ADRI: "ADRi",
    DataSource.ATTESTATION: "attestation",
    DataSource.MANUEL: "saisie manuelle",
}
_RELATIVES_LIMIT = 50  # a family larger than this is a data problem, not a family


# --------------------------------------------------------------------------- errors


class DuplicatePatient(Conflict):
    """The file already exists (same NIR, birth date and rang: the carte Vitale's key)."""

    code = "duplicate_patient"

    def __init__(self, existing: Patient) -> None:
        self.patient_id = existing.id
        super().__init__(
            f"Ce patient existe déjà : {display_name(existing)} (dossier n° {existing.id}).",
            field="nir")


class PatientHasInvoices(Conflict):
    code = "patient_has_invoices"

    def __init__(self, patient: Patient) -> None:
        self.patient_id = patient.id
        # Dossier LOGOSw: « Supprimer ce dossier » only for a file without data, « Sinon il est
        # surement préférable de le fusionner ».
        super().__init__(
            f"Le dossier de {display_name(patient)} a des factures : il ne peut pas être "
            "supprimé. Fusionnez-le plutôt avec le bon dossier (« Fusionner »).")


class IdentityLocked(Conflict):
    code = "identity_locked"


# --------------------------------------------------------------------------- small helpers


def display_name(patient: Patient) -> str:
    return patient_rules.display_name(
        patient.last_name, patient.first_name,
        company_name=(patient.company_name or patient.last_name) if patient.is_company else None)


def name_of(uow: UnitOfWork, patient_id: int) -> str:
    """The patient's name as lists show it (« » when the file is gone)."""
    with uow:
        patient = uow.patients.find(patient_id)
        return "" if patient is None else display_name(patient)


def _set(row: Any, values: dict[str, Any]) -> bool:
    """Assign the values that differ; True when the row changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _update(uow: UnitOfWork, row: Any, values: dict[str, Any], summary: str = "") -> bool:
    """Change a row and journal it at once (before any query autoflushes the history)."""
    if not _set(row, values):
        return False
    uow.journal_change(row, JournalAction.UPDATE, summary=summary)
    return True


def _families(uow: UnitOfWork) -> FamilyLinkRepository:
    return FamilyLinkRepository(uow.session, uow.require_cabinet())


# --------------------------------------------------------------------------- invoices


# An invoice names the patient cared for, and possibly a patient file billed instead
# (« Facturer à », aide eS-KAP+): both keep the file alive.
_INVOICE_PATIENT_COLUMNS = ("patient_id", "bill_to_patient_id")


def _names_patient(patient_id: int) -> ColumnElement[bool]:
    return or_(Invoice.patient_id == patient_id, Invoice.bill_to_patient_id == patient_id)


def _invoices_of(uow: UnitOfWork, patient_id: int) -> list[Invoice]:
    stmt = select(Invoice).where(Invoice.cabinet_id == uow.require_cabinet(),
                                 _names_patient(patient_id))
    return list(uow.session.scalars(stmt))


def patient_has_invoices(uow: UnitOfWork, patient_id: int) -> bool:
    """Does any invoice name this patient? (Call inside an entered unit of work.)"""
    stmt = select(exists().where(Invoice.cabinet_id == uow.require_cabinet(),
                                 _names_patient(patient_id)))
    return bool(uow.session.scalar(stmt))


def unpaid_total(uow: UnitOfWork, patient_id: int) -> Decimal:
    """What the patient still owes the cabinet (« solde patient », manuel eS-KAP+):
    billing's ``patient_unpaid_total``, which opens ``uow`` itself (call this outside a
    ``with uow`` block)."""
    return Decimal(invoicing.patient_unpaid_total(uow, patient_id))


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class FamilyMember:
    link_id: int
    patient: Patient
    relation: FamilyRelation  # what the member is to the file's patient
    unpaid: Decimal


@dataclass(frozen=True, slots=True)
class PatientFile:
    """Everything the fiche patient shows, loaded in one unit of work."""

    patient: Patient
    amo: Sequence[AmoCoverage]
    alds: Sequence[Ald]
    amc: Sequence[AmcCoverage]
    family: tuple[FamilyMember, ...]
    unpaid: Decimal
    family_balance: Decimal
    has_invoices: bool
    today: date

    @property
    def identity_locked(self) -> bool:
        return self.patient.source in IDENTITY_LOCKED_SOURCES

    @property
    def source_label(self) -> str:
        return _SOURCE_LABELS[self.patient.source]

    @property
    def rights_today(self) -> AmoCoverage | None:
        """The AMO rights in force today, else the most recent period."""
        for row in self.amo:
            if rights_state(row.rights_start, row.rights_end, self.today) is RightsState.OUVERTS:
                return row
        return self.amo[0] if self.amo else None

    @property
    def rights_closed(self) -> bool:
        """No AMO period covers today although the file has rights recorded."""
        return bool(self.amo) and not any(
            rights_state(r.rights_start, r.rights_end, self.today).usable for r in self.amo)

    @property
    def rights_end(self) -> date | None:
        ends = [r.rights_end for r in self.amo if r.rights_end is not None]
        return max(ends) if ends else None


def open_file(uow: UnitOfWork, patient_id: int, today: date) -> PatientFile:
    """The patient's file with coverage, family and balances. Raises ``NotFound``."""
    with uow:
        patient = uow.patients.get(patient_id)
        relatives = _relatives(uow, patient.id)
        amo = uow.amo_coverages.for_patient(patient.id)
        alds = uow.alds.for_patient(patient.id)
        amc = uow.amc_coverages.for_patient(patient.id)
        has_invoices = patient_has_invoices(uow, patient.id)
    owed = _unpaid_totals(uow, [patient.id, *(other.id for _, other, _ in relatives)])
    members = tuple(FamilyMember(link_id, other, relation, owed[other.id])
                    for link_id, other, relation in relatives)
    return PatientFile(
        patient=patient, amo=amo, alds=alds, amc=amc, family=members, unpaid=owed[patient.id],
        family_balance=sum(owed.values(), ZERO), has_invoices=has_invoices, today=today)


def _relatives(uow: UnitOfWork, patient_id: int) -> list[tuple[int, Patient, FamilyRelation]]:
    """(link id, relative, what the relative is to the patient), inside an entered unit."""
    relatives = []
    for link in _families(uow).of_patient(patient_id)[:_RELATIVES_LIMIT]:
        mine = link.patient_id == patient_id
        other = uow.patients.get(link.relative_id if mine else link.patient_id)
        relatives.append((link.id, other, link.relation if mine else link.relation.inverse))
    return relatives


def _unpaid_totals(uow: UnitOfWork, patient_ids: Iterable[int]) -> dict[int, Decimal]:
    """What each patient owes; billing opens its own unit of work for each (call outside a
    ``with uow`` block)."""
    return {pid: Decimal(unpaid_total(uow, pid)) for pid in dict.fromkeys(patient_ids)}


def family_balance(uow: UnitOfWork, patient_id: int) -> Decimal:
    """The family balance: what the patient and his linked relatives owe, together (dossier LOGOSw
    shows each relative with his balance, « Le frère : -69,35 € »)."""
    with uow:
        uow.patients.get(patient_id)
        relatives = _relatives(uow, patient_id)
    owed = _unpaid_totals(uow, [patient_id, *(other.id for _, other, _ in relatives)])
    return sum(owed.values(), ZERO)


def search_patients(uow: UnitOfWork, text: str, *, order: SortOrder = "asc",
                    limit: int = 50) -> list[Patient]:
    """Patients whose first or last name (or nom d'usage) starts with ``text`` (manuel eS-KAP+
    « Recherche »), sorted A>Z or Z>A."""
    with uow:
        return uow.patients.search(text, order=order, limit=limit)


def search_amo_organisms(uow: UnitOfWork, text: str, *, limit: int = 30) -> list[AmoOrganism]:
    """The cabinet's AMO organisms (manuel eS-KAP+ « Sélectionner AMO »): by the start of the name,
    or by the start of the code when digits are typed (« 01 349 »)."""
    digits = "".join(text.split())
    with uow:
        if digits.isascii() and digits.isdigit():
            everything = uow.amo_organisms.list(limit=1000)  # a cabinet list: a few hundred
            found = [o for o in everything if (o.regime + o.caisse + o.centre).startswith(digits)]
            return sorted(found, key=lambda o: (o.regime, o.caisse, o.centre))[:limit]
        return list(uow.amo_organisms.search(text, limit=limit))


def form_of(file: PatientFile) -> PatientInput:
    """The form pre-filled with the file (for « Modifier dossier »)."""
    p = file.patient
    current = [r for r in file.amo if r.source not in CARD_SOURCES] or list(file.amo)
    head = current[0] if current else None

    def text(value: object) -> str:
        return "" if value is None else str(value)

    return PatientInput(
        is_company=p.is_company, company_name=text(p.company_name),
        company_siret=text(p.company_siret), last_name=p.last_name,
        usage_name=text(p.usage_name), first_name=p.first_name,
        sex=p.sex.value if p.sex else "", birth_date=birth_date_display(p.birth_date_text),
        lunar=p.birth_date_text is not None and p.birth_date is None,
        birth_rank=str(p.birth_rank), quality=p.quality,
        beneficiary_nir="" if p.beneficiary_nir == p.nir else text(p.beneficiary_nir),
        nir=text(p.nir), insured_last_name=text(p.insured_last_name),
        insured_first_name=text(p.insured_first_name), mobile_phone=text(p.mobile_phone),
        phone=text(p.phone), email=text(p.email), address_line1=text(p.address_line1),
        address_line2=text(p.address_line2), postal_code=text(p.postal_code),
        city=text(p.city), country=text(p.country),
        ik_plain_km=_km(p.ik_plain_km), ik_mountain_km=_km(p.ik_mountain_km),
        ik_ski_km=_km(p.ik_ski_km), notes=text(p.notes), notes_flagged=p.notes_flagged,
        alert=text(p.alert), alsace_moselle=p.alsace_moselle,
        amo_regime=head.regime if head else "", amo_caisse=head.caisse if head else "",
        amo_centre=head.centre if head else "",
        code_gestion=text(head.code_gestion) if head else "",
        piece_justificative=text(head.piece_justificative) if head else "",
        taux_remboursement=text(head.taux_remboursement) if head else "",
        periods=tuple(PeriodInput(text(r.rights_start), text(r.rights_end),
                                  text(r.exoneration))
                      for r in reversed(current)),  # oldest period first, as typed
        alds=tuple(AldInput(a.code, text(a.label), text(a.cim10), text(a.rights_start),
                            text(a.rights_end)) for a in reversed(file.alds)),
    )


def _km(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f").replace(".", ",")


# --------------------------------------------------------------------------- create / modify


def create_patient(uow: UnitOfWork, raw: PatientInput, today: date) -> Patient:
    """A file typed at the desk from an attestation (aide eS-KAP+ « mode Manuel ») or a client
    professionnel. Raises ``PatientFormErrors`` (every field to correct) or
    ``DuplicatePatient``."""
    data = patient_forms.check(raw, today)
    with uow:
        _refuse_duplicate(uow, data.columns)
        patient = Patient(source=DataSource.MANUEL, **data.columns)
        uow.journal_change(patient, JournalAction.CREATE, summary=_summary("création", data))
        if data.amo is not None:
            _ensure_organism(uow, data.amo)
            _sync_amo(uow, patient, data.amo, data.columns["alsace_moselle"])
        _sync_alds(uow, patient, data.alds)
        uow.commit()
        return patient


def _summary(action: str, data: PatientData) -> str:
    kind = "client professionnel" if data.is_company else "saisie manuelle"
    return f"{action} ({kind})"


def _refuse_duplicate(uow: UnitOfWork, columns: Any, *, but: int | None = None) -> None:
    nir, born, rank = columns.get("nir"), columns.get("birth_date_text"), columns.get(
        "birth_rank")
    if not (nir and born):
        return
    existing = uow.patients.find_beneficiary(nir, born, rank)
    if existing is not None and existing.id != but:
        raise DuplicatePatient(existing)


def update_patient(uow: UnitOfWork, patient_id: int, raw: PatientInput, today: date, *,
                   strict_identity: bool = False) -> Patient:
    """« Modifier dossier ». For a file read from a card or ADRi only the contact details,
    distances, notes and alert change: the identity, the AMO block and the ALD stay as read
    (refreshed by the card or ADRi). Their values in ``raw`` are ignored, or, with
    ``strict_identity`` (the API), a different identity is refused (``IdentityLocked``)."""
    with uow:
        patient = uow.patients.get(patient_id)
        if patient.source in IDENTITY_LOCKED_SOURCES:
            if strict_identity:
                stored = {name: getattr(patient, name) for name in (
                    "last_name", "usage_name", "first_name", "insured_last_name",
                    "insured_first_name", "nir", "beneficiary_nir", "birth_date_text",
                    "birth_rank", "quality")}
                changed = patient_forms.identity_differences(raw, stored)
                if changed:
                    raise IdentityLocked(
                        f"Identité lue sur la {_SOURCE_LABELS[patient.source]} : elle n'est pas "
                        f"modifiable ({', '.join(changed)}).", field=changed[0])
            columns = patient_forms.check_contact(raw, today)
            _update(uow, patient, columns, summary="modification du dossier")
            uow.commit()
            return patient
        data = patient_forms.check(raw, today)
        _refuse_duplicate(uow, data.columns, but=patient.id)
        _update(uow, patient, dict(data.columns), summary="modification du dossier")
        if data.amo is not None:
            _ensure_organism(uow, data.amo)
            _sync_amo(uow, patient, data.amo, data.columns["alsace_moselle"])
        else:
            _delete_rows(uow, [r for r in uow.amo_coverages.for_patient(patient.id)
                               if r.source not in CARD_SOURCES])
        _sync_alds(uow, patient, data.alds)
        uow.commit()
        return patient


def _ensure_organism(uow: UnitOfWork, amo: AmoData) -> None:
    """Add the organism to the cabinet's list when it is unknown and the desk named it (manuel
    eS-KAP+ « Sélectionner AMO … Ou sélectionner Ajouter un organisme AMO »)."""
    if amo.organism_name is None:
        return
    if uow.amo_organisms.by_code(amo.regime, amo.caisse, amo.centre) is not None:
        return
    organism = AmoOrganism(name=amo.organism_name, regime=amo.regime, caisse=amo.caisse,
                           centre=amo.centre, user_edited=True)
    uow.journal_change(organism, JournalAction.CREATE, summary="ajout depuis un dossier patient")


def _sync_amo(uow: UnitOfWork, patient: Patient, amo: AmoData, alsace_moselle: bool) -> None:
    """Make the typed AMO rows (one per period) match the form, row for row, journaled."""
    source = (DataSource.ATTESTATION if amo.piece_justificative not in (None, "aucune")
              else DataSource.MANUEL)
    periods = amo.periods or (RightsPeriod(Period(), None),)
    wanted = [dict(regime=amo.regime, caisse=amo.caisse, centre=amo.centre,
                   code_gestion=amo.code_gestion, piece_justificative=amo.piece_justificative,
                   taux_remboursement=amo.taux_remboursement, rights_start=p.start,
                   rights_end=p.end, exoneration=p.exoneration, alsace_moselle=alsace_moselle,
                   source=source) for p in periods]
    existing = [r for r in reversed(uow.amo_coverages.for_patient(patient.id))
                if r.source not in CARD_SOURCES]
    _sync_rows(uow, patient, existing, wanted, AmoCoverage)


def _sync_alds(uow: UnitOfWork, patient: Patient, alds: Iterable[AldData]) -> None:
    wanted = [dict(code=a.code, label=a.label, cim10=a.cim10, rights_start=a.start,
                   rights_end=a.end) for a in alds]
    existing = list(reversed(uow.alds.for_patient(patient.id)))
    _sync_rows(uow, patient, existing, wanted, Ald)


R = TypeVar("R", AmoCoverage, Ald, AmcCoverage)


def _sync_rows(uow: UnitOfWork, patient: Patient, existing: Sequence[R],
               wanted: Sequence[dict[str, Any]], model: type[R]) -> None:
    """Update rows in order, add the extra wanted ones, delete the rest — each journaled."""
    for row, values in zip(existing, wanted, strict=False):
        _update(uow, row, values)
    for values in wanted[len(existing):]:
        uow.journal_change(model(patient_id=patient.id, **values), JournalAction.CREATE)
    _delete_rows(uow, existing[len(wanted):])


def _delete_rows(uow: UnitOfWork, rows: Iterable[Any], summary: str = "") -> None:
    for row in rows:
        uow.journal_change(row, JournalAction.DELETE, summary=summary)


# --------------------------------------------------------------------------- delete / merge


def delete_patient(uow: UnitOfWork, patient_id: int) -> None:
    """« Supprimer dossier » after confirmation. Refused when the file has invoices
    (``PatientHasInvoices``: merge it instead). Its coverage and family links go with it,
    each deletion journaled."""
    with uow:
        patient = uow.patients.get(patient_id)
        if patient_has_invoices(uow, patient.id):
            raise PatientHasInvoices(patient)
        summary = f"suppression du dossier {display_name(patient)}"
        _delete_rows(uow, _families(uow).of_patient(patient.id), summary)
        _delete_rows(uow, uow.amc_coverages.for_patient(patient.id), summary)
        _delete_rows(uow, uow.alds.for_patient(patient.id), summary)
        _delete_rows(uow, uow.amo_coverages.for_patient(patient.id), summary)
        uow.journal_change(patient, JournalAction.DELETE, summary=summary)
        uow.commit()


# Contact fields a merge copies from the removed file when the kept one has none.
_MERGED_WHEN_EMPTY = ("usage_name", "sex", "mobile_phone", "phone", "email", "address_line1",
                      "address_line2", "postal_code", "city", "country", "ik_plain_km",
                      "ik_mountain_km", "ik_ski_km", "beneficiary_nir", "insured_last_name",
                      "insured_first_name")


def merge_patients(uow: UnitOfWork, keep_id: int, remove_id: int) -> Patient:
    """« Fusionner avec un autre patient » (dossier LOGOSw): the kept file receives the other's
    coverage (AMO, ALD, mutuelles), family links and invoices, its empty contact fields are
    filled from the other, notes and alerts are put together; then the other file is
    deleted. Every move is journaled on both files."""
    if keep_id == remove_id:
        raise InvalidInput("Choisissez deux dossiers différents à fusionner.", field="other_id")
    with uow:
        keep, gone = uow.patients.get(keep_id), uow.patients.get(remove_id)
        if keep.is_company != gone.is_company:
            raise Conflict("Un client professionnel ne peut pas être fusionné avec un patient.",
                           code="merge_mismatch")
        summary = f"fusion du dossier n° {gone.id} dans le dossier n° {keep.id}"
        values: dict[str, Any] = {name: getattr(gone, name) for name in _MERGED_WHEN_EMPTY
                                  if getattr(keep, name) in (None, "")
                                  and getattr(gone, name) not in (None, "")}
        for name in ("notes", "alert"):
            parts = [getattr(p, name) for p in (keep, gone) if getattr(p, name)]
            if len(parts) == 2 and parts[0] != parts[1]:
                values[name] = f"{parts[0]}\n{parts[1]}"
            elif parts:
                values[name] = parts[0]
        values["notes_flagged"] = keep.notes_flagged or gone.notes_flagged
        values["alsace_moselle"] = keep.alsace_moselle or gone.alsace_moselle
        _update(uow, keep, values, summary)
        for rows in (uow.amo_coverages.for_patient(gone.id), uow.alds.for_patient(gone.id),
                     uow.amc_coverages.for_patient(gone.id)):
            for row in rows:
                _update(uow, row, {"patient_id": keep.id}, summary)
        _move_invoices(uow, gone.id, keep.id, summary)
        _move_family_links(uow, gone.id, keep.id, summary)
        uow.journal_change(gone, JournalAction.DELETE, summary=summary)
        uow.commit()
        return keep


def _move_invoices(uow: UnitOfWork, from_id: int, to_id: int, summary: str) -> None:
    """Drafts follow the kept file; a validated invoice is frozen (its patient included, by
    database triggers): the file holding one must be the one kept."""
    rows = _invoices_of(uow, from_id)
    if any(getattr(row, "status", "draft") != "draft" for row in rows):
        raise Conflict(
            f"Le dossier n° {from_id} a des factures validées : elles ne peuvent pas changer de "
            "patient. Gardez ce dossier-là et fusionnez l'autre dans celui-ci.",
            code="merge_validated_invoices", field="keep_id")
    for row in rows:
        _update(uow, row, {name: to_id for name in _INVOICE_PATIENT_COLUMNS
                           if getattr(row, name, None) == from_id}, summary)


def _move_family_links(uow: UnitOfWork, from_id: int, to_id: int, summary: str) -> None:
    families = _families(uow)
    for link in families.of_patient(from_id):
        other = link.relative_id if link.patient_id == from_id else link.patient_id
        if other == to_id or families.between(to_id, other) is not None:
            # The two files were linked together, or both to the same relative: one link
            # is enough.
            uow.journal_change(link, JournalAction.DELETE, summary=summary)
            continue
        side = "patient_id" if link.patient_id == from_id else "relative_id"
        _update(uow, link, {side: to_id}, summary)


# --------------------------------------------------------------------------- family


def link_family(uow: UnitOfWork, patient_id: int, relative_id: int,
                relation: FamilyRelation | str) -> FamilyLink:
    """Link two files (dossier LOGOSw « Définition de liens familiaux »): ``relative`` is the
    ``relation`` of ``patient``. One link per pair of files."""
    try:
        kind = FamilyRelation(relation)
    except ValueError:
        choices = ", ".join(r.value for r in FamilyRelation)
        raise InvalidInput(f"Lien familial inconnu : « {relation} » ({choices}).",
                           field="relation") from None
    if patient_id == relative_id:
        raise InvalidInput("Un dossier ne peut pas être lié à lui-même.", field="relative_id")
    with uow:
        patient, relative = uow.patients.get(patient_id), uow.patients.get(relative_id)
        if _families(uow).between(patient.id, relative.id) is not None:
            raise Conflict(f"{display_name(relative)} est déjà lié(e) à ce dossier.",
                           code="family_link_exists", field="relative_id")
        link = FamilyLink(patient_id=patient.id, relative_id=relative.id, relation=kind)
        uow.journal_change(link, JournalAction.CREATE,
                           summary=f"lien familial : {display_name(relative)} "
                                   f"({kind.label.lower()}) de {display_name(patient)}")
        uow.commit()
        return link


def unlink_family(uow: UnitOfWork, patient_id: int, link_id: int) -> None:
    with uow:
        link = _families(uow).get(link_id)
        if patient_id not in (link.patient_id, link.relative_id):
            raise NotFound(f"Lien familial introuvable (n° {link_id}) pour ce dossier.")
        uow.journal_change(link, JournalAction.DELETE, summary="lien familial retiré")
        uow.commit()


# --------------------------------------------------------------------------- carte Vitale / ApCV


@dataclass(frozen=True, slots=True)
class ImportedBeneficiary:
    patient: Patient
    created: bool


def _known_patient(uow: UnitOfWork, patient: Patient) -> KnownPatient:
    """What the base holds for the status colour (guide LOGOSw « Les 3 couleurs »)."""
    amo = uow.amo_coverages.for_patient(patient.id)
    head = amo[0] if amo else None
    card_amc = next((a for a in uow.amc_coverages.for_patient(patient.id)
                     if a.source in CARD_SOURCES), None)
    return KnownPatient(
        nir=patient.nir or "", date_naissance=patient.birth_date_text or "",
        rang=patient.birth_rank, nom=patient.last_name, prenom=patient.first_name,
        qualite=patient.quality, nom_usage=patient.usage_name or "",
        nir_individuel=patient.beneficiary_nir,
        regime=head.regime if head else None, caisse=head.caisse if head else None,
        centre=head.centre if head else None,
        code_gestion=head.code_gestion if head else None,
        amc_number=card_amc.amc_number if card_amc else None)


def _finder(uow: UnitOfWork) -> Callable[[str, str, int], KnownPatient | None]:
    def find(nir: str, born: str, rank: int) -> KnownPatient | None:
        patient = uow.patients.find_beneficiary(nir, born, rank)
        return None if patient is None else _known_patient(uow, patient)
    return find


def read_vitale(uow: UnitOfWork, reader: CardReader) -> VitaleReading:
    """Read the carte Vitale (CPS in the reader, aide eS-KAP+) and colour each beneficiary:
    green known and up to date, yellow known but different, grey unknown."""
    with uow:
        return read_vitale_with_status(reader, _finder(uow))


def read_apcv(uow: UnitOfWork, provider: ApcvProvider, source: ApcvSource) -> VitaleReading:
    """Open an appli carte Vitale session (QR code or NFC, manuel eS-KAP+) and colour its
    beneficiaries; ADRi must then be asked (``reading.adri_required``)."""
    with uow:
        return read_apcv_with_status(provider, source, _finder(uow))


def read_apcv_at_desk(uow: UnitOfWork, provider: ApcvProvider, *, nfc: bool, payload: str,
                      image: bytes | None) -> VitaleReading:
    """:func:`read_apcv` as the desk asks it: the phone on the NFC reader, or the QR code typed
    by a 2D scanner (``payload``) or photographed (``image``, read first when given)."""
    if nfc:
        return read_apcv(uow, provider, ApcvNfc())
    if image:
        payload = apcv_payload_from_image(image)
    if not payload.strip():
        raise InvalidInput("Scannez le QR code affiché par l'application (ou "
                           "photographiez-le).", field="payload")
    return read_apcv(uow, provider, ApcvQr(payload.strip()))


def apcv_payload_from_image(image: bytes) -> str:
    """The text of the QR code the appli carte Vitale shows, from a photo of the phone's
    screen (a tablet's camera: manuel eS-KAP+ « En choisissant le mode QR-code, la caméra
    s'active »). Raises ``InvalidInput`` when the image holds no readable code."""
    from openfse.adapters.teleservices.attestation import read_codes
    from openfse.adapters.teleservices.attestation_format import AttestationError

    try:
        codes = read_codes(image)
    except AttestationError as error:  # not an image, truncated, too large
        raise InvalidInput(error.message, field="image") from None
    if not codes:
        raise InvalidInput("Aucun QR code lisible sur cette image : recadrez l'écran du "
                           "téléphone et réessayez.", field="image")
    return codes[0]


def find_beneficiary_id(uow: UnitOfWork, beneficiary: VitaleBeneficiary) -> int | None:
    with uow:
        found = uow.patients.find_beneficiary(*beneficiary.key)
        return None if found is None else found.id


def import_beneficiary(uow: UnitOfWork, beneficiary: VitaleBeneficiary, source: DataSource,
                       today: date) -> ImportedBeneficiary:
    """Create the file of a grey beneficiary, or update a yellow one from the card (identity,
    AMO attachment and periods, exonérations, complémentaire written on the card)."""
    if source not in CARD_SOURCES:
        raise ValueError(f"not a card source: {source}")
    b = beneficiary
    identity = dict(nir=b.nir, beneficiary_nir=b.nir_individuel, last_name=b.nom,
                    usage_name=b.nom_usage or None, first_name=b.prenom,
                    birth_date_text=b.date_naissance, birth_rank=b.rang, quality=b.qualite,
                    source=source)
    label = _SOURCE_LABELS[source]
    with uow:
        patient = uow.patients.find_beneficiary(*b.key)
        created = patient is None
        if patient is None:
            patient = Patient(**identity)
            uow.journal_change(patient, JournalAction.CREATE, summary=f"création ({label})")
        else:
            _update(uow, patient, identity, summary=f"mise à jour ({label})")
        _sync_card_amo(uow, patient, b, source, today)
        _sync_card_amc(uow, patient, b, source)
        uow.commit()
        return ImportedBeneficiary(patient, created)


def _sync_card_amo(uow: UnitOfWork, patient: Patient, b: VitaleBeneficiary,
                   source: DataSource, today: date) -> None:
    organisme = b.amo.organisme
    active = [e for e in b.exonerations if e.period.covers(today)] or list(b.exonerations)
    exoneration = active[0] if active else None
    wanted = [dict(regime=organisme.regime, caisse=organisme.caisse, centre=organisme.centre,
                   code_gestion=b.amo.code_gestion, piece_justificative=_PIECE_OF_SOURCE[source],
                   taux_remboursement=None, rights_start=p.start, rights_end=p.end,
                   exoneration=exoneration.code if exoneration else None,
                   alsace_moselle=patient.alsace_moselle, source=source)
              for p in b.amo.periods]
    existing = [r for r in reversed(uow.amo_coverages.for_patient(patient.id))
                if r.source in CARD_SOURCES]
    _sync_rows(uow, patient, existing, wanted, AmoCoverage)


def _sync_card_amc(uow: UnitOfWork, patient: Patient, b: VitaleBeneficiary,
                   source: DataSource) -> None:
    existing = [r for r in uow.amc_coverages.for_patient(patient.id) if r.source in CARD_SOURCES]
    wanted = []
    if b.amc is not None:
        # AMC written on the card (C2S, MGEN, CAMIEG…; dossier LOGOSw): gestion unique,
        # tiers payant.
        wanted.append(dict(amc_number=b.amc.number, amc_name=b.amc.label,
                           gestion=AmcGestion.UNIQUE, contract_type=b.amc.contract_type,
                           adherent_number=b.amc.member_number or None,
                           rights_start=b.amc.period.start, rights_end=b.amc.period.end,
                           tiers_payant=True, source=source))
    _sync_rows(uow, patient, existing, wanted, AmcCoverage)


# --------------------------------------------------------------------------- ADRi


def adri_request_for(file: PatientFile) -> AdriRequest:
    """The ADRi query for a file: NIR, birth date, rang, régime (+ caisse and centre for a
    provisional NIR, aide eS-KAP+), and its name to check the answer against (ADRUN dialog)."""
    p = file.patient
    if p.is_company or not p.nir or not p.birth_date_text:
        raise InvalidInput("ADRi : le dossier n'a pas de N° de sécurité sociale ou de date de "
                           "naissance.", field="nir")
    head = file.rights_today
    if head is None:
        raise InvalidInput("ADRi : renseignez d'abord l'organisme AMO (régime) du patient.",
                           field="amo_regime")
    provisional = patient_rules.is_provisional_nir(p.nir)
    return AdriRequest.create(
        nir=p.nir, birth_date=p.birth_date_text, rang=p.birth_rank, regime=head.regime,
        caisse=head.caisse if provisional else None,
        centre=head.centre if provisional else None,
        expected_nom=p.last_name, expected_prenom=p.first_name)


def query_patient_rights(uow: UnitOfWork, client: AdriClient, patient_id: int,
                         today: date) -> tuple[PatientFile, AdriResult]:
    """« Interroger l'ADRI » from the file: the rights of the day. Never raises for an
    unreachable service (the result says so); raises for a file that cannot be queried."""
    file = open_file(uow, patient_id, today)
    return file, query_adri(client, adri_request_for(file), today)


def create_from_adri(uow: UnitOfWork, answer: AdriAnswer, today: date) -> Patient:
    """Create the file of the beneficiary ADRi returned (aide eS-KAP+ « Créer un patient avec le
    télé-service ADRI »): identity, organism, rights, exonérations, ALD, C2S/AME."""
    b = answer.beneficiary
    born = b.birth_date.compact()
    with uow:
        existing = uow.patients.find_beneficiary(b.nir, born, b.rang)
        if existing is not None:
            raise DuplicatePatient(existing)
        patient = Patient(nir=b.nir, beneficiary_nir=b.nir_individuel, last_name=b.nom,
                          first_name=b.prenom, birth_date_text=born, birth_rank=b.rang,
                          quality=b.qualite, alsace_moselle=answer.regime_local,
                          source=DataSource.ADRI)
        uow.journal_change(patient, JournalAction.CREATE, summary="création (ADRi)")
        _apply(uow, patient, answer, set(ADRI_FIELDS), today)
        uow.commit()
        return patient


@dataclass(frozen=True, slots=True)
class ComparedField:
    key: str
    label: str
    file_value: str
    adri_value: str

    @property
    def differs(self) -> bool:
        return self.file_value != self.adri_value


@dataclass(frozen=True, slots=True)
class AdriComparison:
    """Manuel eS-KAP+ « Choix informations AMO »: the file's AMO data beside ADRi's, per field."""

    answer: AdriAnswer
    fields: tuple[ComparedField, ...]

    @property
    def differences(self) -> tuple[ComparedField, ...]:
        return tuple(f for f in self.fields if f.differs)


ADRI_FIELDS: dict[str, str] = {
    "organisme": "Organisme (régime, caisse, centre)",
    "code_gestion": "Code gestion",
    "droits": "Droits AMO",
    "exoneration": "Exonération (prise en charge)",
    "regime_local": "Régime local Alsace-Moselle",
    "ald": "Affections de longue durée (ALD)",
    "amc": "Complémentaire gérée par la caisse (C2S, AME)",
}


def _period_text(start: date | None, end: date | None) -> str:
    if start is None and end is None:
        return "—"
    begin = f"{start:%d/%m/%Y}" if start else "…"
    finish = f"{end:%d/%m/%Y}" if end else "…"
    return f"du {begin} au {finish}"


def _file_values(file: PatientFile) -> dict[str, str]:
    head = file.rights_today
    card_like = [a for a in file.amc if a.contract_type == "89" or a.source == DataSource.ADRI]
    amc = card_like[0] if card_like else None
    return {
        "organisme": f"{head.regime} {head.caisse} {head.centre}" if head else "—",
        "code_gestion": (head.code_gestion or "—") if head else "—",
        "droits": _period_text(head.rights_start, head.rights_end) if head else "—",
        "exoneration": _exoneration_text(head.exoneration if head else None),
        "regime_local": "oui" if file.patient.alsace_moselle else "non",
        "ald": "; ".join(sorted(_ald_text(a.code, a.label, a.rights_start, a.rights_end)
                                for a in file.alds)) or "aucune",
        "amc": (f"{amc.amc_name or amc.amc_number} "
                f"{_period_text(amc.rights_start, amc.rights_end)}") if amc else "aucune",
    }


def _adri_values(answer: AdriAnswer) -> dict[str, str]:
    active = answer.active_exonerations
    amc = answer.amc
    return {
        "organisme": str(answer.organisme),
        "code_gestion": answer.code_gestion or "—",
        "droits": _period_text(answer.amo.period.start, answer.amo.period.end),
        "exoneration": _exoneration_text(active[0].code if active else None),
        "regime_local": "oui" if answer.regime_local else "non",
        "ald": "; ".join(sorted(_ald_text(a.code, a.label, a.period.start, a.period.end)
                                for a in answer.ald)) or "aucune",
        "amc": f"{amc.label} {_period_text(amc.period.start, amc.period.end)}" if amc
        else "aucune",
    }


def _exoneration_text(code: str | None) -> str:
    return "Pas d'exonération" if code in (None, "0") else f"Exonération {code}"


def _ald_text(code: str, label: str | None, start: date | None, end: date | None) -> str:
    return f"ALD {code}{' ' + label if label else ''} ({_period_text(start, end)})"


def compare_with_adri(uow: UnitOfWork, patient_id: int, answer: AdriAnswer,
                      today: date) -> AdriComparison:
    file = open_file(uow, patient_id, today)
    mine, theirs = _file_values(file), _adri_values(answer)
    return AdriComparison(answer, tuple(ComparedField(key, label, mine[key], theirs[key])
                                        for key, label in ADRI_FIELDS.items()))


def apply_adri(uow: UnitOfWork, patient_id: int, answer: AdriAnswer,
               take_from_adri: Collection[str], today: date) -> Patient:
    """Save the fields the user chose from ADRi (the others stay as in the file)."""
    unknown = set(take_from_adri) - set(ADRI_FIELDS)
    if unknown:
        raise InvalidInput(f"Champ ADRi inconnu : {', '.join(sorted(unknown))}.", field="fields")
    with uow:
        patient = uow.patients.get(patient_id)
        _apply(uow, patient, answer, set(take_from_adri), today)
        uow.commit()
        return patient


def _apply(uow: UnitOfWork, patient: Patient, answer: AdriAnswer, chosen: set[str],
           today: date) -> None:
    summary = f"droits ADRi du {answer.queried_on:%d/%m/%Y}"
    if "regime_local" in chosen:
        _update(uow, patient, {"alsace_moselle": answer.regime_local}, summary)
    amo_fields = chosen & {"organisme", "code_gestion", "droits", "exoneration", "regime_local"}
    if amo_fields:
        _apply_amo(uow, patient, answer, amo_fields, today, summary)
    if "ald" in chosen:
        # The ALD list as the caisse knows it today (ended ones included, shown as such).
        _sync_rows(uow, patient, list(reversed(uow.alds.for_patient(patient.id))),
                   [dict(code=a.code, label=a.label, cim10=a.cim10, rights_start=a.period.start,
                         rights_end=a.period.end) for a in answer.ald], Ald)
    if "amc" in chosen and answer.amc is not None:
        _apply_amc(uow, patient, answer, summary)


def _apply_amo(uow: UnitOfWork, patient: Patient, answer: AdriAnswer, chosen: set[str],
               today: date, summary: str) -> None:
    """Put the chosen ADRi values on the AMO row in force (or on ADRi's own period when the
    rights are taken from ADRi); the other values stay those of the file."""
    rows = uow.amo_coverages.for_patient(patient.id)
    current = next((r for r in rows if rights_state(r.rights_start, r.rights_end, today)
                    is RightsState.OUVERTS), rows[0] if rows else None)
    active = answer.active_exonerations
    from_adri: dict[str, Any] = {
        "regime": answer.organisme.regime, "caisse": answer.organisme.caisse,
        "centre": answer.organisme.centre, "code_gestion": answer.code_gestion,
        "exoneration": active[0].code if active else None,
        "alsace_moselle": answer.regime_local,
    }
    taken = {"organisme": ("regime", "caisse", "centre"), "code_gestion": ("code_gestion",),
             "exoneration": ("exoneration",), "regime_local": ("alsace_moselle",)}
    values = {name: (value if current is None or any(
        name in taken[key] for key in chosen if key in taken) else getattr(current, name))
        for name, value in from_adri.items()}
    period = answer.amo.period
    target = current
    if "droits" in chosen or current is None:
        # ADRi's period is a period of its own: reuse the row holding it, else add one.
        target = next((r for r in rows if (r.rights_start, r.rights_end)
                       == (period.start, period.end)), None)
        values |= {"rights_start": period.start, "rights_end": period.end}
    if target is None or any(getattr(target, k) != v for k, v in values.items()):
        values |= {"source": DataSource.ADRI,
                   "piece_justificative": _PIECE_OF_SOURCE[DataSource.ADRI]}
    if target is None:
        uow.journal_change(AmoCoverage(patient_id=patient.id, **values), JournalAction.CREATE,
                           summary=summary)
    else:
        _update(uow, target, values, summary)


def _apply_amc(uow: UnitOfWork, patient: Patient, answer: AdriAnswer, summary: str) -> None:
    amc = answer.amc
    assert amc is not None
    # ADRi names the AME with a number of its own (the caisse's organisme code in the
    # simulator's data set): the file records it under the AME's number, so that every
    # screen and the pricing see an AME (domain/coverage.py), ADRi's number kept beside.
    ame = amc.kind is AmcCoverageKind.AME
    number = AME_NUMBER if ame else amc.number
    values = dict(amc_number=number, amc_name=amc.label, gestion=AmcGestion.UNIQUE,
                  contract_type=amc.contract_type, rights_start=amc.period.start,
                  rights_end=amc.period.end, tiers_payant=True, source=DataSource.ADRI,
                  complementary_number=amc.number if ame and amc.number.isdigit()
                  and len(amc.number) <= 10 else None)
    rows = uow.amc_coverages.for_patient(patient.id)
    same = next((r for r in rows if r.amc_number == number
                 and r.rights_start == amc.period.start), None)
    if same is None:
        uow.journal_change(AmcCoverage(patient_id=patient.id, **values), JournalAction.CREATE,
                           summary=summary)
    else:
        _update(uow, same, values, summary)


def same_person(file: PatientFile, answer: AdriAnswer) -> bool:
    """Does ADRi's beneficiary carry the file's name? (else the ADRUN dialog asks)."""
    b = answer.beneficiary
    return patient_rules.same_names(file.patient.last_name, file.patient.first_name,
                                    b.nom, b.prenom)


nir_display = patient_rules.nir_display


def rows_for_display(file: PatientFile) -> list[tuple[AmoCoverage, str]]:
    """The AMO periods with their state today, as the screens word it (« ouverts »,
    « fermés », « à venir », « non datés »)."""
    return [(r, rights_state(r.rights_start, r.rights_end, file.today).word) for r in file.amo]
