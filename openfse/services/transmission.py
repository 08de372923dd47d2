"""Télétransmission use cases: build lots, send them, fetch ARL and payment returns.

Every step is **idempotent**, so a sender, a fetcher or the insurer killed at any moment loses
nothing and duplicates nothing:

- ``build_lots`` stores the lots (the exact file bytes) in one transaction, then moves their
  invoices to « en lot » (``invoicing.put_in_lot``). ``_catch_up`` finishes that second step
  when a crash came in between, before anything else is built or sent.
- ``send_lots`` sends the lots not sent yet; after each acceptance by the SMTP server the lot is
  marked sent (and a ``SentMessage`` kept) before the next one. A lot killed mid-send is sent
  again with the same bytes and the same Message-ID: the insurer acknowledges it once
  (docs/formats/caisse-sim.md §3). « Renvoyer » (``resend_lot``) sends a sent lot again.
- ``fetch_returns`` applies each ARL / payment return, then records it by (Message-ID,
  reference) in the same transaction as the lot / return lines it stores. Invoice transitions
  are applied first and skipped when already done, so a document fetched again after a crash
  changes nothing twice. A corrupt file is quarantined by the POP3 receiver: nothing changes.

One signed invoice gives an FSE (its AMO part, to the patient's caisse), a DRE in gestion
séparée (its AMC part, to the AMC: dossier LOGOSw) and a SCOR piece per scanned ordonnance (to the
caisse, in their own lots); the returns are reconciled per share (docs/formats/returns.md §6).
The delays and the organisms' mailbox are the cabinet's preferences (``arl_wait_days``,
``payment_wait_days``, ``insurer_mailbox``).

Simultaneous clicks (issue 12 finding 10): building holds the cabinet's lot-building lock
(``LotRepository.lock_for_building``: never « database is locked » on SQLite, never the same
invoice in two lots); sending holds the cabinet's sending lock (``sending_lock``, released
when its holder dies): each lot goes out once, a second click says how many lots another
workstation is sending. Transitions another worker already made are not errors (``_advance``).

Servers: a ``Transport`` (``transport_of``): the settings' SMTP / POP3, or the simulated
caisse in the demo; a real installation without them is told which one is not configured.

The invoice state changes go through ``openfse.services.invoicing`` (journaled there); the
``uow_factory`` gives a fresh, not yet entered ``UnitOfWork`` each call (``desk.uow``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from hashlib import sha256
from pathlib import Path

from openfse.adapters.transmission.errors import TransmissionReceiveError
from openfse.adapters.transmission.lot_file import LotFile
from openfse.adapters.transmission.pop3_receiver import Pop3Config, Received, fetch
from openfse.adapters.transmission.scan_resolution import scan_dpi
from openfse.adapters.transmission.smtp_sender import OutgoingLot, SmtpConfig, send_lots
from openfse.adapters.transmission.transport import Transport, TransportNotConfigured
from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.domain.invoice import InvalidTransition, InvoiceStatus
from openfse.domain.payment import Payer, Payment, PaymentKind
from openfse.domain.pricing.codes import Nomenclature
from openfse.domain.transmission import (
    MIN_SCOR_DPI,
    ActLine,
    Arl,
    Destination,
    DestinationKind,
    InvoiceRecord,
    LotContent,
    LotKind,
    PaymentReturn,
    PendingItem,
    ReturnStatement,
    ScorPiece,
    insurer_mailbox,
    plan_lots,
    sending_deadline,
    working_days_left,
)
from openfse.errors import InvalidInput, NotFound, OpenFSEError
from openfse.money import format_eur
from openfse.services import invoicing, preferences
from openfse.services.numbering import run_writing
from openfse.services.returns import Reconciliation, SentInvoice, reconcile
from openfse.store.journal import JournalAction
from openfse.store.models import (
    AmcGestion,
    Invoice,
    Lot,
    LotInvoice,
    LotStatus,
    Patient,
    PaymentReturnLine,
    Professional,
    ReceivedDocument,
    ReturnLineStatus,
    SentMessage,
    ShareTransfer,
)
from openfse.store.models.types import utc_now
from openfse.store.uow import UnitOfWork

__all__ = [
    "BuildReport",
    "apply_document",
    "Dashboard",
    "FetchOutcome",
    "HandledReject",
    "ReadyInvoice",
    "SendOutcome",
    "UnpaidInvoice",
    "UowFactory",
    "Transport",
    "EndOfDay",
    "ScheduledRun",
    "build_lots",
    "end_of_day",
    "last_scheduled_run",
    "open_rejects",
    "patients_by_id",
    "run_scheduled",
    "transport_of",
    "dashboard",
    "fetch_returns",
    "handle_reject",
    "lots_overview",
    "patient_debts",
    "payments_csv",
    "ready_to_send",
    "record_of",
    "resend_lot",
    "send_lots_now",
    "unpaid_invoices",
]

UowFactory = Callable[[], UnitOfWork]

_WAITING_FOR_MONEY = (InvoiceStatus.SENT, InvoiceStatus.ACKNOWLEDGED)


class TransmissionProblem(InvalidInput):
    code = "transmission.problem"


# --------------------------------------------------------------------------------------------
# What is ready to send
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReadyInvoice:
    invoice_id: int
    number: int
    patient_id: int
    care_date: date
    tiers_payant: bool
    deadline: date  # R.161-47 CSS: 3 working days (patient paid) or 8 (tiers payant)
    days_left: int  # working days; negative once past
    amount: Decimal  # due by the AMO


def _ps_number(professional: Professional) -> str | None:
    if professional.billing_number is None or professional.billing_key is None:
        return None
    return f"{professional.billing_number}{professional.billing_key}"


def _signed_invoices(uow: UnitOfWork, professional_id: int | None) -> list[Invoice]:
    rows = uow.lots.invoices_to_send(professional_id)
    # A désynchronisée waits for the carte Vitale before it may go (invoice.put_in_lot).
    return [row for row in rows if not invoicing.state_of(row).awaits_vitale]


def ready_to_send(uow: UnitOfWork, today: date) -> list[ReadyInvoice]:
    """Signed invoices not in a lot yet, most urgent first."""
    ready = []
    for row in _signed_invoices(uow, None):
        assert row.number is not None
        tiers_payant = row.tiers_payant_amo or row.tiers_payant_amc
        deadline = sending_deadline(row.date_soins, tiers_payant=tiers_payant)
        ready.append(ReadyInvoice(row.id, row.number, row.patient_id, row.date_soins,
                                  tiers_payant, deadline, working_days_left(today, deadline),
                                  row.due_amo))
    return sorted(ready, key=lambda item: (item.deadline, item.number))


# --------------------------------------------------------------------------------------------
# Invoice → what the insurer receives
# --------------------------------------------------------------------------------------------


def _clock_of(uow: UnitOfWork) -> Clock:
    """The cabinet's clock (its time zone setting): the days its delays count are its own."""
    return Clock(uow.cabinets.get(uow.require_cabinet()).time_zone)


def record_of(row: Invoice, organisme: str, kind: LotKind = LotKind.FSE, *,
              clock: Clock) -> InvoiceRecord:
    """The ``InvoiceRecord`` of a stored, signed invoice (acts loaded); ``clock``: the
    cabinet's, whose day of validation the invoice is dated."""
    if row.number is None or row.assure_nir is None or row.beneficiary_birth_date_text is None:
        raise TransmissionProblem(
            f"Facture {row.id} : numéro, NIR ou date de naissance manquant : non transmissible.")
    acts = tuple(
        ActLine(date=act.act_date, nomenclature=Nomenclature(act.nomenclature), code=act.code,
                quantity=act.quantity, coefficient=act.coefficient, honoraires=act.honoraires,
                base=act.br, rate=act.taux_amo, amo=act.amo, amc=act.amc,
                modifiers="".join(str(m) for m in act.applied_modifiers),
                activity=act.activity, phase=act.phase, exo=act.applied_exo or "")
        for act in row.acts)
    # FSE: the AMO pays its part in tiers payant; DRE: the AMC in gestion séparée.
    requested = row.due_amo if kind is LotKind.FSE else row.due_amc
    invoiced_on = clock.day_of(row.validated_at or utc_now())
    return InvoiceRecord(
        number=f"{row.number:09d}", nir=row.assure_nir, birth_date=row.beneficiary_birth_date_text,
        rang=row.beneficiary_rank or 1, organisme=organisme, care_date=row.date_soins,
        invoiced_on=invoiced_on, secure_mode=row.secure_mode.value,
        tiers_payant_amo=row.tiers_payant_amo, tiers_payant_amc=row.tiers_payant_amc,
        acts=acts, total=row.total, amo=row.amo, amc=row.amc, patient=row.patient_share,
        participations=row.participation_forfaitaire + row.franchise, requested=requested,
        cps_signature=bytes.fromhex(row.cps_signature or ""),
        # What the CPS signed at the desk travels with the signature, so the insurer can
        # verify it (lot.md §3 SIG); validated invoices never change, so it is rebuilt as is.
        signed_content=invoicing.signed_content(row) if row.cps_signature else b"",
        # The carte Vitale's part (mode sécurisé, or a désynchronisée secured later).
        vitale_signature=bytes.fromhex(row.vitale_signature or ""),
        vitale_serial=(row.vitale_serial or "") if row.vitale_signature else "",
        amc_number=row.amc_number or "")


def _organisme_of(uow: UnitOfWork, row: Invoice, professional: Professional) -> str | None:
    """The patient's AMO on the date of care (régime + caisse + centre); the professional's
    caisse de rattachement when the patient's is unknown."""
    coverage = uow.amo_coverages.on(row.patient_id, row.date_soins)
    if coverage is not None:
        return f"{coverage.regime}{coverage.caisse}{coverage.centre}"
    if professional.regime and professional.caisse and professional.centre:
        return f"{professional.regime}{professional.caisse}{professional.centre}"
    return None


def _pending_of(uow: UnitOfWork, row: Invoice, professional: Professional, ps_number: str,
                notes: list[str] | None = None) -> list[PendingItem]:
    """What goes out for one signed invoice: its FSE, its DRE in gestion séparée, its scans
    (SCOR); why a scan cannot go is added to ``notes``."""
    organisme = _organisme_of(uow, row, professional)
    if organisme is None:
        raise TransmissionProblem(f"Facture n° {row.number} : caisse du patient inconnue.")
    items = [PendingItem(ps_number, LotKind.FSE, Destination(DestinationKind.AMO, organisme),
                         record_of(row, organisme, clock=_clock_of(uow)))]
    # Gestion séparée in tiers payant AMC: a DRE goes to the AMC itself (dossier LOGOSw).
    if (row.amc_gestion == AmcGestion.SEPAREE.value and row.tiers_payant_amc
            and row.amc_number and row.due_amc > 0):
        items.append(PendingItem(ps_number, LotKind.DRE,
                                 Destination(DestinationKind.AMC, row.amc_number),
                                 record_of(row, organisme, LotKind.DRE,
                                           clock=_clock_of(uow))))
    pieces, problems = _scans_of(row)
    # SCOR: the scanned ordonnances go to the patient's caisse in their own lots.
    items += [PendingItem(ps_number, LotKind.SCOR, Destination(DestinationKind.AMO, organisme),
                          piece) for piece in pieces]
    if notes is not None:
        notes += problems
    return items


def _scans_of(row: Invoice) -> tuple[list[ScorPiece], list[str]]:
    """The invoice's scanned ordonnances fit for SCOR (PDF, JPEG or PNG at ``MIN_SCOR_DPI``
    or more, docs/protocols.md §2), and why the others are not sent (French)."""
    pieces: list[ScorPiece] = []
    problems: list[str] = []
    number = f"{row.number:09d}"
    for attachment in row.attachments:
        if attachment.kind != "ordonnance":
            continue
        dpi = scan_dpi(attachment.media_type, attachment.content)
        if dpi is None or dpi < MIN_SCOR_DPI:
            found = "illisible" if dpi is None else f"{dpi} dpi"
            problems.append(f"Ordonnance numérisée de la facture n° {number} non transmise "
                            f"(SCOR) : résolution {found}, {MIN_SCOR_DPI} dpi au moins : "
                            "numérisez-la à nouveau.")
            continue
        pieces.append(ScorPiece(number, attachment.media_type, dpi, attachment.content))
    return pieces, problems


# --------------------------------------------------------------------------------------------
# Building lots
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BuildReport:
    lots: tuple[str, ...]  # lot ids built
    invoices: int
    refused: tuple[tuple[int, str], ...] = ()  # (invoice id, French reason)
    notes: tuple[str, ...] = ()  # French: what went without something (a scan not sent)


def build_lots(uow_factory: UowFactory, today: date, *, professional_id: int | None = None,
               now: datetime | None = None) -> BuildReport:
    """Group the signed invoices (of one professional, or all) into numbered lots and store
    them; their invoices become « en lot »."""
    _catch_up(uow_factory, now)
    refused: list[tuple[int, str]] = []
    notes: list[str] = []
    with uow_factory() as uow:
        # First statement: another workstation building now finishes before we read.
        uow.lots.lock_for_building()
        pending: list[PendingItem] = []
        invoice_ids: dict[str, int] = {}
        professionals = {p.id: p for p in uow.professionals.list(limit=1000)}
        for row in _signed_invoices(uow, professional_id):
            professional = professionals[row.billing_professional_id]
            ps_number = _ps_number(professional)
            if ps_number is None:
                refused.append((row.id, "Numéro de facturation du professionnel manquant."))
                continue
            if not row.cps_signature:  # the caisse refuses an unsigned FSE (lot.md §3 SIG)
                refused.append((row.id, "Signature CPS absente : signez la facture."))
                continue
            try:
                pending.extend(_pending_of(uow, row, professional, ps_number, notes))
            except OpenFSEError as problem:
                refused.append((row.id, problem.message))
                continue
            invoice_ids[f"{ps_number}/{row.number:09d}"] = row.id
        by_ps = {_ps_number(p): p.id for p in professionals.values()}
        lots = plan_lots(pending, created_on=today, last_numbers=uow.lots.last_numbers())
        for content in lots:
            _store_lot(uow, content, by_ps[content.ref.ps_number], invoice_ids)
        uow.commit()
    _catch_up(uow_factory, now)
    return BuildReport(tuple(lot.lot_id for lot in lots),
                       sum(lot.size for lot in lots if lot.kind is LotKind.FSE), tuple(refused),
                       tuple(notes))


def _store_lot(uow: UnitOfWork, content: LotContent, professional_id: int,
               invoice_ids: dict[str, int]) -> Lot:
    lot_file = LotFile.build(content)
    # The address is kept with the lot: a resend goes where the lot went (lot.md §5).
    template = preferences.get_all(uow).insurer_mailbox
    outgoing = OutgoingLot(lot_file, insurer_mailbox(template, content.destination))
    # The invoices the lot carries (or justifies: SCOR), each once.
    numbers = list(dict.fromkeys([invoice.number for invoice in content.invoices]
                                 + [piece.invoice_number for piece in content.pieces]))
    ids = {number: invoice_ids[f"{content.ref.ps_number}/{number}"] for number in numbers}
    deadline = min(sending_deadline(invoice.date_soins,
                                    tiers_payant=invoice.tiers_payant_amo
                                    or invoice.tiers_payant_amc)
                   for invoice in uow.invoices.many(ids.values()))
    row = Lot(lot_id=content.lot_id, professional_id=professional_id,
              ps_number=content.ref.ps_number, number=content.ref.number,
              created_on=content.ref.created_on, kind=content.kind.value,
              destination_kind=content.destination.kind.value,
              destination_code=content.destination.code, recipient=outgoing.recipient,
              status=LotStatus.PREPARED, invoice_count=content.size,
              amount=sum((invoice.requested for invoice in content.invoices), Decimal("0.00")),
              deadline=deadline, sha256=lot_file.sha256, message_id=outgoing.message_id,
              data=lot_file.data, send_count=0, arl_reasons=[])
    row.invoices = [LotInvoice(invoice_id=invoice_id, invoice_number=number,
                               cabinet_id=uow.require_cabinet())
                    for number, invoice_id in ids.items()]
    uow.lots.add(row)
    # Journaled without its file bytes (the journal holds text values; the SHA-256 names them).
    uow.journal(JournalAction.CREATE, Lot.__tablename__, row.id,
                changes={"sha256": {"before": None, "after": row.sha256},
                         "status": {"before": None, "after": row.status.value}},
                summary=f"Lot {content.lot_id} ({content.kind.value}, {content.size} factures) "
                        "préparé")
    return row


def _catch_up(uow_factory: UowFactory, now: datetime | None) -> None:
    """Finish invoice transitions a crash left behind: invoices of a stored FSE lot still
    « signée » go « en lot », those of a sent lot still « en lot » go « transmise »."""
    with uow_factory() as uow:
        to_lot: dict[str, list[int]] = {}
        to_send: list[int] = []
        for lot_id, lot_status, invoice_id, invoice_status in uow.lots.invoices_left_behind():
            if invoice_status is InvoiceStatus.SIGNED:
                to_lot.setdefault(lot_id, []).append(invoice_id)
            elif lot_status is not LotStatus.PREPARED:
                to_send.append(invoice_id)
    for lot_id, ids in to_lot.items():
        _advance(uow_factory, ids, InvoiceStatus.SIGNED, _put_in_lot(lot_id))
    if to_send:
        _advance(uow_factory, to_send, InvoiceStatus.IN_LOT, _mark_sent(now))


def _put_in_lot(lot_id: str) -> Callable[[UnitOfWork, list[int]], object]:
    return lambda uow, todo: invoicing.put_in_lot(uow, todo, lot_id)


def _mark_sent(now: datetime | None) -> Callable[[UnitOfWork, list[int]], object]:
    return lambda uow, todo: invoicing.mark_sent(uow, todo, now=now)


def _advance(uow_factory: UowFactory, invoice_ids: Sequence[int], state: InvoiceStatus,
             move: Callable[[UnitOfWork, list[int]], object]) -> None:
    """Move the invoices still in ``state``; one another workstation moved meanwhile is
    not an error (re-read, the others moved: simultaneous clicks, issue 12 finding 10)."""
    for _attempt in range(3):
        with uow_factory() as uow:
            todo = [row.id for row in uow.invoices.many(invoice_ids) if row.status is state]
        if not todo:
            return
        try:
            move(uow_factory(), todo)
            return
        except InvalidTransition:
            continue


# --------------------------------------------------------------------------------------------
# Sending
# --------------------------------------------------------------------------------------------


# Where the simulated caisse of the demo listens when the settings name no server
# (docs/formats/caisse-sim.md; ``openfse serve`` starts it there).
DEMO_SMTP = "127.0.0.1:2525"
DEMO_POP3 = "127.0.0.1:1110"
_NOT_CONFIGURED = {
    "smtp": "Serveur d'envoi des lots (SMTP) non configuré : indiquez son adresse "
            "« hôte:port » dans OPENFSE_SMTP (celle de votre concentrateur technique ou de "
            "votre messagerie), puis redémarrez openfse. Aucun lot n'est parti.",
    "pop3": "Boîte de réception des retours (POP3) non configurée : indiquez son adresse "
            "« hôte:port » dans OPENFSE_POP3 (et OPENFSE_POP3_USER, OPENFSE_POP3_PASSWORD), "
            "puis redémarrez openfse. Rien n'a été relevé.",
}


def transport_of(settings: Settings, *, demo: bool) -> Transport:
    """The servers of ``settings``; unset ones are the simulated caisse in the demo
    cabinet, and « not configured » (with the French sentence) in a real one."""
    smtp_address = settings.smtp or (DEMO_SMTP if demo else "")
    pop3_address = settings.pop3 or (DEMO_POP3 if demo else "")
    return Transport(
        smtp=_smtp_config(settings, smtp_address) if smtp_address else None,
        pop3=_pop3_config(settings, pop3_address) if pop3_address else None,
        quarantine_dir=Path(settings.home) / "transmission" / "quarantine",
        smtp_missing="" if smtp_address else _NOT_CONFIGURED["smtp"],
        pop3_missing="" if pop3_address else _NOT_CONFIGURED["pop3"],
        simulated=demo and not (settings.smtp or settings.pop3))


def smtp_config(settings: Settings) -> SmtpConfig:
    return _smtp_config(settings, settings.smtp)


def pop3_config(settings: Settings) -> Pop3Config:
    return _pop3_config(settings, settings.pop3)


def _smtp_config(settings: Settings, address: str) -> SmtpConfig:
    host, port = _host_port(address, "OPENFSE_SMTP")
    return SmtpConfig(sender=settings.mail_from, host=host, port=port, timeout=20.0)


def _pop3_config(settings: Settings, address: str) -> Pop3Config:
    host, port = _host_port(address, "OPENFSE_POP3")
    # The simulated caisse (and a real OCT) delivers the answers to the address that sent
    # the lots: that is the mailbox to read unless told otherwise.
    return Pop3Config(user=settings.pop3_user or settings.mail_from,
                      password=settings.pop3_password, host=host, port=port, timeout=20.0)


def _host_port(value: str, name: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isascii() or not port.isdigit():
        raise InvalidInput(f"{name} : « hôte:port » attendu, reçu « {value} ».", field=name)
    return host, int(port)


@dataclass(frozen=True, slots=True)
class SendOutcome:
    sent: tuple[str, ...]
    total: int
    error: str = ""  # French message when the batch stopped; sending again is safe
    elsewhere: int = 0  # prepared lots another workstation is sending right now

    @property
    def complete(self) -> bool:
        return not self.error


def send_lots_now(uow_factory: UowFactory, transport: Transport, *,
                  lot_ids: Sequence[str] | None = None, now: datetime | None = None,
                  progress: Callable[[int, int], None] | None = None) -> SendOutcome:
    """Send every prepared lot (or the prepared/sent/rejected ``lot_ids`` — a resend) over one
    SMTP connection; ``progress(done, total)`` after each lot accepted. One sender at a time
    per cabinet: while another workstation sends, nothing is sent twice and its lots are
    counted in ``elsewhere`` (simultaneous « Envoyer », issue 12 finding 10)."""
    _catch_up(uow_factory, now)
    try:
        smtp = transport.sender()
    except TransportNotConfigured as problem:
        return SendOutcome((), _prepared_count(uow_factory), problem.message)
    with uow_factory() as holder, holder.lots.sending_lock() as mine:
        if not mine:
            if lot_ids is not None:
                raise TransmissionProblem("Un envoi est en cours depuis un autre poste : "
                                          "renvoyez ce lot quand il sera terminé.")
            return SendOutcome((), 0, "", _prepared_count(uow_factory))
        # Read under the lock: what the previous sender sent is no longer « préparé ».
        with uow_factory() as uow:
            if lot_ids is None:
                rows = list(uow.lots.with_status(LotStatus.PREPARED))
            else:
                rows = [_lot(uow, lot_id) for lot_id in lot_ids]
            outgoing = [OutgoingLot(LotFile(_content_of(row), row.data, row.sha256),
                                    row.recipient) for row in rows]
        total = len(outgoing)
        done = 0

        def on_sent(lot: OutgoingLot, message_id: str) -> None:
            nonlocal done
            _record_sent(uow_factory, lot, message_id, now)
            done += 1
            if progress is not None:
                progress(done, total)

        report = send_lots(smtp, outgoing, on_sent)
    _catch_up(uow_factory, now)
    return SendOutcome(report.sent, total, "" if report.error is None else report.error.message)


def _prepared_count(uow_factory: UowFactory) -> int:
    with uow_factory() as uow:
        return len(uow.lots.with_status(LotStatus.PREPARED))


def resend_lot(uow_factory: UowFactory, transport: Transport, lot_id: str, *, today: date,
               now: datetime | None = None) -> SendOutcome:
    """« Renvoyer »: a lot without ARL goes again as it was (same Message-ID: the caisse
    acknowledges it once). A lot refused by a negative ARL is dead for the caisse: its invoices
    go in a new lot (next number), built from them as they are now — after the user fixed what
    the ARL said (the patient's caisse, the professional's number…) — and that one is sent."""
    with uow_factory() as uow:
        row = _lot(uow, lot_id)
        if row.replaced_by is not None:
            raise TransmissionProblem(f"Lot {lot_id} déjà remplacé par le lot {row.replaced_by}.")
        lot_ids = [lot_id]
        if row.status is LotStatus.REJECTED:
            lot_ids = [new.lot_id for new in _replace(uow, row, today)]
            uow.commit()
    return send_lots_now(uow_factory, transport, lot_ids=lot_ids, now=now)


def _replace(uow: UnitOfWork, row: Lot, today: date) -> list[Lot]:
    professional = uow.professionals.get(row.professional_id)
    invoices = uow.invoices.many(link.invoice_id for link in row.invoices)
    pending = [item for invoice in invoices
               for item in _pending_of(uow, invoice, professional, row.ps_number)
               if item.kind.value == row.kind]
    numbers = {f"{row.ps_number}/{invoice.number:09d}": invoice.id for invoice in invoices}
    # One new lot, or several when the fix sent invoices to different caisses.
    new = [_store_lot(uow, content, row.professional_id, numbers)
           for content in plan_lots(pending, created_on=today,
                                    last_numbers=uow.lots.last_numbers())]
    row.replaced_by = new[0].lot_id
    uow.journal_change(row, JournalAction.UPDATE,
                       summary=f"Lot {row.lot_id} refusé, remplacé par le(s) lot(s) "
                               + ", ".join(lot.lot_id for lot in new))
    return new


def _content_of(row: Lot) -> LotContent:
    # The stored bytes are what goes out; parsing checks they are intact (SHA-256 trailer).
    return LotFile.parse(row.data).content


def _lot(uow: UnitOfWork, lot_id: str) -> Lot:
    row = uow.lots.by_lot_id(lot_id)
    if row is None:
        raise NotFound(f"Lot {lot_id} introuvable.")
    return row


def _record_sent(uow_factory: UowFactory, lot: OutgoingLot, message_id: str,
                 now: datetime | None) -> None:
    moment = now or utc_now()
    with uow_factory() as uow:
        lot_row_id = _lot(uow, lot.lot_id).id
    uow = uow_factory()

    def record() -> list[int]:
        # The write comes first (as in services.numbering): on SQLite it takes the database
        # write lock, waiting behind another workstation's write (busy_timeout); a read first
        # would make SQLite refuse at once, failing a lot the caisse had already accepted.
        uow.sent_messages.add(SentMessage(lot_row_id=lot_row_id, message_id=message_id,
                                          recipient=lot.recipient, sent_at=moment))
        uow.flush()
        row = _lot(uow, lot.lot_id)
        if row.status is LotStatus.PREPARED or row.status is LotStatus.REJECTED:
            row.status = LotStatus.SENT
        row.sent_at = moment
        row.send_count += 1
        uow.journal_change(row, JournalAction.UPDATE,
                           summary=f"Lot {row.lot_id} envoyé ({row.send_count}e envoi)")
        uow.commit()
        return [link.invoice_id for link in row.invoices] if row.kind == LotKind.FSE else []

    with uow:
        ids = run_writing(uow, record)
    # Invoices « en lot » → « transmise »; already done on a resend.
    _advance(uow_factory, ids, InvoiceStatus.IN_LOT, _mark_sent(moment))


# --------------------------------------------------------------------------------------------
# Receiving ARL and payment returns
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class FetchOutcome:
    arl_positive: int = 0
    arl_negative: int = 0
    statements: int = 0
    lines: int = 0
    unmatched: int = 0
    duplicates: int = 0
    quarantined: int = 0
    quarantine_reasons: list[str] = field(default_factory=list)


def fetch_returns(uow_factory: UowFactory, transport: Transport, *,
                  now: datetime | None = None) -> FetchOutcome:
    """Fetch the mailbox and apply every ARL and payment return (see the module docstring).
    Raises ``TransmissionReceiveError`` (``TransportNotConfigured`` without a mailbox)."""
    outcome = FetchOutcome()
    mailbox = transport.mailbox()
    quarantine = transport.quarantine()
    before = {entry.name for entry in quarantine.entries()}

    def handle(received: Received) -> None:
        apply_document(uow_factory, received, outcome, now=now)

    report = fetch(mailbox, handle, quarantine)
    outcome.quarantined = report.quarantined
    outcome.quarantine_reasons = [entry.reason for entry in quarantine.entries()
                                  if entry.name not in before]
    return outcome


def apply_document(uow_factory: UowFactory, received: Received, outcome: FetchOutcome, *,
                   now: datetime | None = None) -> None:
    """Apply one fetched ARL or payment return, once: a document already recorded under the
    same (Message-ID, reference) — fetched again after a crash — only counts as a duplicate."""
    document = received.document
    with uow_factory() as uow:
        if uow.received_documents.exists(received.message_id[:250], document.reference):
            outcome.duplicates += 1
            return
    if isinstance(document, Arl):
        _apply_arl(uow_factory, received, document, outcome, now)
    else:
        _apply_statement(uow_factory, received, document, outcome, now)


def _document_row(received: Received, kind: str, issuer: str, summary: str,
                  moment: datetime) -> ReceivedDocument:
    return ReceivedDocument(message_id=received.message_id[:250],
                            reference=received.document.reference, kind=kind, issuer=issuer,
                            received_at=moment, sha256=sha256(received.data).hexdigest(),
                            summary=summary[:500])


def _find_lot(uow: UnitOfWork, arl: Arl) -> Lot | None:
    if arl.lot is not None:
        return uow.lots.by_lot_id(arl.lot.lot_id)
    return uow.lots.by_message_id(arl.message_ref)


def _apply_arl(uow_factory: UowFactory, received: Received, arl: Arl, outcome: FetchOutcome,
               now: datetime | None) -> None:
    moment = now or utc_now()
    with uow_factory() as uow:
        lot = _find_lot(uow, arl)
        ids = ([] if lot is None or lot.kind != LotKind.FSE.value
               else [link.invoice_id for link in lot.invoices])
        waiting = [r.id for r in uow.invoices.many(ids) if r.status is InvoiceStatus.SENT]
    if arl.positive and waiting:
        invoicing.acknowledge(uow_factory(), waiting, now=moment)
    with uow_factory() as uow:
        lot = _find_lot(uow, arl)
        if lot is None:
            summary = f"ARL {arl.status.value} pour un lot inconnu ({arl.message_ref})"
        else:
            lot.status = LotStatus.ACKNOWLEDGED if arl.positive else LotStatus.REJECTED
            lot.arl_at = moment
            lot.arl_reference = arl.reference
            lot.arl_reasons = [{"code": r.code, "label": r.label, "invoice": r.invoice_number}
                               for r in arl.reasons]
            uow.journal_change(lot, JournalAction.UPDATE,
                               summary=f"ARL {arl.status.value.lower()} du lot {lot.lot_id}")
            summary = f"ARL {arl.status.value.lower()} du lot {lot.lot_id}"
        uow.received_documents.add(_document_row(received, "ARL", arl.issuer, summary, moment))
        uow.commit()
    if arl.positive:
        outcome.arl_positive += 1
    else:
        outcome.arl_negative += 1


# The share of an invoice each kind of lot carries (dossier LOGOSw: in gestion séparée the FSE goes
# to the AMO with its part, the DRE to the AMC with its part).
_SHARE_OF_KIND = {LotKind.FSE.value: Payer.AMO, LotKind.DRE.value: Payer.AMC}


def _sent_index(uow: UnitOfWork, ps_number: str) -> dict[tuple[str, str], SentInvoice]:
    """Every invoice share sent by ``ps_number`` (FSE lot: AMO part; DRE lot: AMC part), by
    (lot id, invoice number)."""
    index: dict[tuple[str, str], SentInvoice] = {}
    for invoice_id, number, lot_id, kind, due_amo, due_amc in uow.lots.shares_sent(ps_number):
        share = _SHARE_OF_KIND[kind]
        due = due_amo if share is Payer.AMO else due_amc
        assert isinstance(due, Decimal)
        sent = SentInvoice(invoice_id, ps_number, number, due, lot_id, share)
        index[sent.key] = sent
    return index


@dataclass(frozen=True, slots=True)
class _Shares:
    """What the returns said so far of each share of one invoice, and the shares it waits
    for (those asked of an organism, ``requested`` > 0)."""

    expected: frozenset[Payer]
    answers: dict[Payer, PaymentReturn | PaymentReturnLine]

    @property
    def rejected(self) -> tuple[Payer, PaymentReturn | PaymentReturnLine] | None:
        for share in (Payer.AMO, Payer.AMC):
            answer = self.answers.get(share)
            if answer is not None and answer.status.value == ReturnLineStatus.REJECTED.value:
                return share, answer
        return None

    @property
    def settled(self) -> bool:
        """Every share asked is paid (fully or partly): the invoice is « payée »."""
        return all(share in self.answers for share in self.expected)


def _shares_of(uow: UnitOfWork, result: Reconciliation,
               index: dict[tuple[str, str], SentInvoice]) -> dict[int, _Shares]:
    """Per matched invoice: the answers stored from earlier statements, then this one's."""
    ids = {m.invoice.invoice_id for m in result.matched}
    expected: dict[int, set[Payer]] = {i: set() for i in ids}
    for sent in index.values():
        if sent.invoice_id in ids and sent.requested > 0:
            expected[sent.invoice_id].add(sent.share)
    answers: dict[int, dict[Payer, PaymentReturn | PaymentReturnLine]] = {i: {} for i in ids}
    for line, kind in uow.return_lines.answers_for(ids):
        assert line.invoice_id is not None
        answers[line.invoice_id][_SHARE_OF_KIND[kind]] = line
    for match in result.matched:
        answers[match.invoice.invoice_id][match.invoice.share] = match.line
    return {i: _Shares(frozenset(expected[i]), answers[i]) for i in ids}


def _apply_statement(uow_factory: UowFactory, received: Received, statement: ReturnStatement,
                     outcome: FetchOutcome, now: datetime | None) -> None:
    moment = now or utc_now()
    with uow_factory() as uow:
        index = _sent_index(uow, statement.ps_number)
        result = reconcile(statement.lines, index)
        matched_ids = [m.invoice.invoice_id for m in result.matched]
        invoices = {r.id: r for r in uow.invoices.many(matched_ids)}
        states = {i: r.status for i, r in invoices.items()}
        # A cancelled invoice (its reject re-invoiced) takes no payment: the line stays stored.
        payable = {i for i, r in invoices.items() if invoicing.state_of(r).counts_for_balance}
        paid_refs = uow.lots.payment_references(matched_ids)
        shares = _shares_of(uow, result, index)
    _apply_payments(uow_factory, statement, result, states, paid_refs, payable, moment)
    _move_invoices(uow_factory, shares, states, moment)
    with uow_factory() as uow:
        document = uow.received_documents.add(_document_row(
            received, "RSP", statement.issuer,
            f"Relevé {statement.reference} : {len(statement.lines)} lignes, "
            f"{format_eur(statement.total_paid)} payés", moment))
        invoice_of = {(m.line.lot.ps_number, m.line.invoice_number): m.invoice.invoice_id
                      for m in result.matched}
        uow.return_lines.add_all(
            _line_row(statement, line, document.id,
                      invoice_of.get((line.lot.ps_number, line.invoice_number)))
            for line in statement.lines)
        uow.journal("receive_returns", ReceivedDocument.__tablename__, document.id,
                    summary=document.summary)
        uow.commit()
    outcome.statements += 1
    outcome.lines += len(statement.lines)
    outcome.unmatched += len(result.unmatched)


def _payment_reference(statement: ReturnStatement, invoice_number: str) -> str:
    return f"{statement.reference}/{invoice_number}"[:60]


def _apply_payments(uow_factory: UowFactory, statement: ReturnStatement,
                    result: Reconciliation, states: dict[int, InvoiceStatus],
                    paid_refs: set[str], payable: set[int], moment: datetime) -> None:
    """Record what the organism paid, as a payment of the share it answers (AMO: FSE lot;
    AMC: DRE lot); each payment skipped when already recorded."""
    for match in result.paid + result.partial:
        reference = _payment_reference(statement, match.line.invoice_number)
        if (reference not in paid_refs and match.line.paid > 0
                and match.invoice.invoice_id in payable):
            assert match.line.payment_date is not None
            invoicing.record_payment(uow_factory(), match.invoice.invoice_id, Payment(
                kind=PaymentKind.VIREMENT, amount=match.line.paid,
                paid_on=match.line.payment_date, payer=match.invoice.share,
                reference=reference, payer_name=f"Organisme {statement.issuer}"))


def _move_invoices(uow_factory: UowFactory, shares: dict[int, _Shares],
                   states: dict[int, InvoiceStatus], moment: datetime) -> None:
    """An invoice waiting for money is « rejetée » as soon as one share is rejected, « payée »
    once every share asked (AMO, and AMC in gestion séparée) is paid, fully or partly;
    otherwise it waits for the other share. Skipped when already done."""
    to_pay = []
    for invoice_id, invoice_shares in shares.items():
        if states.get(invoice_id) not in _WAITING_FOR_MONEY:
            continue
        rejected = invoice_shares.rejected
        if rejected is not None:
            share, answer = rejected
            code, label = _reason_of(answer)
            prefix = "" if share is Payer.AMO else "part AMC : "
            invoicing.reject(uow_factory(), invoice_id, f"{prefix}{code} {label}".strip(),
                             now=moment)
        elif invoice_shares.settled:
            to_pay.append(invoice_id)
    if to_pay:
        invoicing.mark_paid(uow_factory(), to_pay, now=moment)


def _reason_of(answer: PaymentReturn | PaymentReturnLine) -> tuple[str, str]:
    if isinstance(answer, PaymentReturnLine):
        return answer.reason_code or "", answer.reason_label or ""
    return ("", "") if answer.reason is None else (answer.reason.code, answer.reason.label)


def _line_row(statement: ReturnStatement, line: PaymentReturn, document_id: int,
              invoice_id: int | None) -> PaymentReturnLine:
    return PaymentReturnLine(
        document_id=document_id, statement_reference=statement.reference,
        transfer_reference=statement.transfer_reference or None, issuer=statement.issuer,
        ps_number=statement.ps_number, lot_id=line.lot.lot_id,
        invoice_number=line.invoice_number, invoice_id=invoice_id,
        status=ReturnLineStatus(line.status.value), requested=line.requested, paid=line.paid,
        payment_date=line.payment_date, issued_on=statement.issued_on,
        reason_code=None if line.reason is None else line.reason.code,
        reason_label=None if line.reason is None else line.reason.label[:200])


# --------------------------------------------------------------------------------------------
# Rejects
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HandledReject:
    invoice_id: int | None  # None: the line matched none of our invoices
    patient_id: int | None
    professional_id: int | None


def handle_reject(uow_factory: UowFactory, line_id: int, resolution: str, *,
                  now: datetime | None = None) -> HandledReject:
    """Deal with a rejected invoice (one return line), once:

    - ``reinvoice`` (« Corriger et refacturer »): the rejected invoice is cancelled — its
      cancellation document is made, both journaled — and the user makes the corrected one
      (the screen opens a new invoice for the same patient and professional);
    - ``patient`` (« Facturer au patient »): the share the organism rejected (AMO for an FSE
      lot, AMC for a DRE lot) becomes due by the patient: a ``ShareTransfer``, journaled, that
      the invoice's balance, the patient's balance and ``patient_debts`` show.
    """
    if resolution not in ("reinvoice", "patient"):
        raise InvalidInput("Choisissez « refacturer » ou « facturer au patient ».",
                           field="resolution")
    with uow_factory() as uow:
        line = uow.return_lines.get(line_id)
        if line.status is not ReturnLineStatus.REJECTED or line.handled:
            raise InvalidInput("Ce rejet est déjà traité.", field="line")
        invoice_id, label = line.invoice_id, f"{line.reason_code} {line.reason_label}"
    if resolution == "reinvoice" and invoice_id is not None:
        with uow_factory() as uow:
            status = uow.invoices.get(invoice_id).status
        if status is InvoiceStatus.REJECTED:
            invoicing.cancel_invoice(uow_factory(), invoice_id,
                                     f"Rejet de la caisse {label} : à refacturer", now=now)
    with uow_factory() as uow:
        line = uow.return_lines.get(line_id)
        if line.handled:  # another workstation was quicker
            raise InvalidInput("Ce rejet est déjà traité.", field="line")
        if resolution == "patient":
            _bill_patient(uow, line, label)
        line.handled = True
        uow.journal_change(line, JournalAction.UPDATE,
                           summary=f"Rejet de la facture n° {line.invoice_number} traité : "
                                   + ("refacturée" if resolution == "reinvoice"
                                      else "facturée au patient"))
        uow.commit()
        if invoice_id is None:
            return HandledReject(None, None, None)
        invoice = uow.invoices.get(invoice_id)
        return HandledReject(invoice_id, invoice.patient_id, invoice.professional_id)


def _bill_patient(uow: UnitOfWork, line: PaymentReturnLine, label: str) -> None:
    """The rejected share, still unpaid by its organism, moved to the patient."""
    if line.invoice_id is None:
        raise InvalidInput(f"Le rejet de la facture n° {line.invoice_number} ne correspond à "
                           "aucune de nos factures : rien à facturer au patient.", field="line")
    row = uow.invoices.get(line.invoice_id)
    if row.status is not InvoiceStatus.REJECTED:
        raise InvalidInput(f"La facture n° {line.invoice_number} n'est pas rejetée "
                           f"({invoicing.state_of(row).display_status.label.lower()}) : rien "
                           "à facturer au patient.", field="line")
    lot = uow.lots.by_lot_id(line.lot_id)
    share = Payer.AMO if lot is None else _SHARE_OF_KIND.get(lot.kind, Payer.AMO)
    left = invoicing.balance_of(row)
    amount = left.solde_amo if share is Payer.AMO else left.solde_amc
    if amount <= 0:
        raise InvalidInput(f"Facture n° {line.invoice_number} : la part {share.value.upper()} "
                           "ne reste pas due, rien à facturer au patient.", field="line")
    uow.journal_change(
        ShareTransfer(invoice_id=row.id, payer=share, amount=amount, reason=label[:250],
                      return_line_id=line.id),
        JournalAction.CREATE,
        summary=f"Facture n° {line.invoice_number} : part {share.value.upper()} rejetée "
                f"({label}), {format_eur(amount)} facturés au patient")


def patients_by_id(uow: UnitOfWork, patient_ids: Iterable[int]) -> dict[int, Patient]:
    """The patients the screen names (debts, to-dos), by id."""
    return {patient_id: uow.patients.get(patient_id) for patient_id in set(patient_ids)}


def open_rejects(uow: UnitOfWork, *, limit: int = 500) -> Sequence[PaymentReturnLine]:
    """The rejected return lines nobody handled yet (« Rejets à traiter »)."""
    return uow.return_lines.open_rejects(limit=limit)


@dataclass(frozen=True, slots=True)
class PatientDebt:
    """A rejected invoice whose organism share was billed to the patient, not paid yet."""

    invoice_id: int
    number: int
    patient_id: int
    care_date: date
    owed: Decimal  # what the patient still owes on the invoice
    reasons: tuple[str, ...]


def patient_debts(uow: UnitOfWork, *, limit: int = 200) -> list[PatientDebt]:
    """Rejects billed to the patient (« Facturer au patient ») that the patient still owes."""
    debts = []
    for row in uow.lots.rejected_billed_to_patient(limit=limit):
        owed = invoicing.balance_of(row).patient_unpaid
        if owed > 0:
            assert row.number is not None
            debts.append(PatientDebt(row.id, row.number, row.patient_id, row.date_soins, owed,
                                     tuple(t.reason for t in row.share_transfers)))
    return debts


# --------------------------------------------------------------------------------------------
# Screens: lots, unpaid invoices, dashboard, export
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LotView:
    lot_id: str
    kind: str
    destination: str
    status: LotStatus
    invoice_count: int
    amount: Decimal
    deadline: date
    days_left: int
    sent_at: datetime | None
    send_count: int
    reasons: tuple[str, ...]
    without_arl: bool  # sent, no ARL after the preference arl_wait_days: may be resent
    replaced_by: str | None  # a refused lot whose invoices went in a new lot

    @property
    def resendable(self) -> bool:
        return self.status is LotStatus.SENT or (
            self.status is LotStatus.REJECTED and self.replaced_by is None)


def lots_overview(uow: UnitOfWork, today: date, *, limit: int = 100) -> list[LotView]:
    arl_wait_days = preferences.get_all(uow).arl_wait_days
    clock = _clock_of(uow)  # « sent on » is the cabinet's day of sending, not the server's
    views = []
    for row in uow.lots.recent(limit=limit):
        sent_on = None if row.sent_at is None else clock.day_of(row.sent_at)
        views.append(LotView(
            row.lot_id, row.kind, f"{row.destination_kind} {row.destination_code}", row.status,
            row.invoice_count, row.amount, row.deadline, working_days_left(today, row.deadline),
            row.sent_at, row.send_count,
            tuple(f"{r['code']} {r['label']}"
                  + (f" (facture n° {r['invoice']})" if r.get("invoice") else "")
                  for r in row.arl_reasons),
            row.status is LotStatus.SENT and sent_on is not None
            and (today - sent_on).days >= arl_wait_days, row.replaced_by))
    return views


@dataclass(frozen=True, slots=True)
class UnpaidInvoice:
    invoice_id: int
    number: int
    care_date: date
    status: InvoiceStatus
    due_amo: Decimal  # still expected from the caisse (FSE)
    due_amc: Decimal  # still expected from the AMC (DRE, gestion séparée)
    sent_on: date | None
    overdue: bool  # the preference payment_wait_days passed since sending

    @property
    def due(self) -> Decimal:
        return self.due_amo + self.due_amc


def unpaid_invoices(uow: UnitOfWork, today: date, *, limit: int = 500) -> list[UnpaidInvoice]:
    """Invoices sent in tiers payant (AMO, or AMC in gestion séparée) not paid yet, with what
    each organism still owes (a share paid already shows 0)."""
    wait = timedelta(days=preferences.get_all(uow).payment_wait_days)
    zero = Decimal("0.00")
    clock = _clock_of(uow)
    views = []
    for row in uow.lots.invoices_waiting_for_money(limit=limit):
        assert row.number is not None
        sent_on = None if row.sent_at is None else clock.day_of(row.sent_at)
        overdue = sent_on is not None and today - sent_on > wait
        left = invoicing.balance_of(row)
        views.append(UnpaidInvoice(row.id, row.number, row.date_soins, row.status,
                                   max(left.solde_amo, zero), max(left.solde_amc, zero),
                                   sent_on, overdue))
    return views


@dataclass(frozen=True, slots=True)
class Flows:
    lots_sent: int
    invoices_sent: int
    amount_requested: Decimal
    amount_paid: Decimal
    rejects: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    day: Flows
    month: Flows
    ready: int
    open_rejects: int


def _flows(uow: UnitOfWork, clock: Clock, first: date, last: date) -> Flows:
    """Lots sent and returns issued from the cabinet's day ``first`` to ``last`` included."""
    start, _ = clock.day_bounds(first)
    _, end = clock.day_bounds(last)
    lots = uow.lots.sent_between(start, end)
    lines = uow.return_lines.issued_between(first, last, end_inclusive=True)
    return Flows(
        len(lots), sum(lot.invoice_count for lot in lots if lot.kind == LotKind.FSE.value),
        sum((lot.amount for lot in lots), Decimal("0.00")),
        sum((line.paid for line in lines), Decimal("0.00")),
        sum(1 for line in lines if line.status is ReturnLineStatus.REJECTED))


def dashboard(uow: UnitOfWork, today: date) -> Dashboard:
    """Flows of the day and of the month (the cabinet's day and month, midnight on its clock):
    lots and invoices sent, amounts asked and paid."""
    clock = _clock_of(uow)
    return Dashboard(_flows(uow, clock, today, today),
                     _flows(uow, clock, today.replace(day=1), today),
                     len(_signed_invoices(uow, None)), len(uow.return_lines.open_rejects()))


_STATUS_LABELS = {ReturnLineStatus.PAID: "Payée", ReturnLineStatus.PARTIAL: "Payée en partie",
                  ReturnLineStatus.REJECTED: "Rejetée"}
CSV_HEADER = ("Date de paiement", "Organisme", "Relevé", "Virement", "N° facturation PS",
              "Lot", "N° facture", "Statut", "Montant demandé", "Montant payé", "Motif")


def _french(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")


def payments_csv(uow: UnitOfWork, start: date, end: date) -> bytes:
    """The payment-return lines of [start, end] for the accountant: ``;``-separated, decimal
    comma, UTF-8 with a BOM (what a French spreadsheet opens as is)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for line in _lines_issued(uow, start, end):
        writer.writerow((
            "" if line.payment_date is None else line.payment_date.strftime("%d/%m/%Y"),
            line.issuer, line.statement_reference, line.transfer_reference or "",
            line.ps_number, line.lot_id, line.invoice_number, _STATUS_LABELS[line.status],
            _french(line.requested), _french(line.paid),
            "" if line.reason_code is None else f"{line.reason_code} {line.reason_label}"))
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _lines_issued(uow: UnitOfWork, start: date, end: date) -> Iterable[PaymentReturnLine]:
    return uow.return_lines.issued_between(start, end)



# --------------------------------------------------------------------------------------------
# The end of day, unattended: « openfse transmit », the in-app schedule
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EndOfDay:
    """What one end of day did: lots prepared, invoices waiting for a signature, lots sent,
    returns fetched and reconciled."""

    built: BuildReport
    unsigned: int  # validated, not signed yet: they wait for the professional's CPS
    awaiting_vitale: int  # désynchronisées waiting for the patient's carte Vitale
    sent: SendOutcome
    fetched: FetchOutcome | None
    fetch_error: str = ""

    @property
    def succeeded(self) -> bool:
        return not self.sent.error and not self.fetch_error and not self.built.refused

    def describe(self) -> str:
        """The summary, in French, one line per step."""
        lines = [f"Lots préparés : {len(self.built.lots)} ({self.built.invoices} facture(s))."]
        lines += [f"  Facture {invoice_id} non transmise : {reason}"
                  for invoice_id, reason in self.built.refused]
        lines += [f"  {note}" for note in self.built.notes]
        if self.unsigned or self.awaiting_vitale:
            lines.append(f"Signatures : {self.unsigned} facture(s) à signer avec la CPS, "
                         f"{self.awaiting_vitale} en attente de la carte Vitale (non envoyées).")
        else:
            lines.append("Signatures : toutes les factures validées sont signées.")
        lines.append(f"Lots envoyés : {len(self.sent.sent)} sur {self.sent.total}."
                     + (f" {self.sent.elsewhere} en cours d'envoi depuis un autre poste."
                        if self.sent.elsewhere else ""))
        if self.sent.error:
            lines.append(f"  Envoi interrompu : {self.sent.error}")
        if self.fetched is not None:
            got = self.fetched
            lines.append(f"Retours relevés : {got.arl_positive} ARL positif(s), "
                         f"{got.arl_negative} négatif(s), {got.statements} relevé(s) de "
                         f"paiement ({got.lines} ligne(s), {got.unmatched} non rapprochée(s)).")
            lines += [f"  Quarantaine : {reason}" for reason in got.quarantine_reasons]
        if self.fetch_error:
            lines.append(f"Relève impossible : {self.fetch_error}")
        lines.append("Terminé sans erreur." if self.succeeded else "Terminé avec des erreurs.")
        return "\n".join(lines)


def _signature_check(uow_factory: UowFactory) -> tuple[int, int]:
    """(validated invoices waiting for the CPS, signed ones waiting for the carte Vitale)."""
    with uow_factory() as uow:
        unsigned = uow.lots.count_waiting_for_signature()
        waiting = sum(1 for row in uow.lots.invoices_to_send()
                      if invoicing.state_of(row).awaits_vitale)
    return unsigned, waiting


def end_of_day(uow_factory: UowFactory, transport: Transport, *, today: date,
               now: datetime | None = None) -> EndOfDay:
    """Prepare the lots, check the signatures, send, fetch the returns and reconcile them:
    what the user does with « Préparer les lots et envoyer tout » then « Relever les
    retours ». Each step is idempotent, so a run after a failed one finishes its work."""
    unsigned, awaiting_vitale = _signature_check(uow_factory)
    built = build_lots(uow_factory, today, now=now)
    sent = send_lots_now(uow_factory, transport, now=now)
    try:
        fetched: FetchOutcome | None = fetch_returns(uow_factory, transport, now=now)
        problem = ""
    except TransmissionReceiveError as error:
        fetched, problem = None, error.message
    return EndOfDay(built, unsigned, awaiting_vitale, sent, fetched, problem)


@dataclass(frozen=True, slots=True)
class ScheduledRun:
    ran: bool  # False: this day's run was already done (or started) elsewhere
    report: EndOfDay | None = None


def run_scheduled(uow_factory: UowFactory, transport: Transport, *, today: date,
                  now: datetime | None = None) -> ScheduledRun:
    """The unattended end of day of ``today``, once: the day is recorded before the run
    (``transmission_run``, unique per cabinet and day), so a second worker, a restart or
    the timer and the in-app schedule together never run it twice."""
    moment = now or utc_now()
    with uow_factory() as uow:
        run = uow.transmission_runs.claim_day(today, moment)
        if run is None:
            return ScheduledRun(False)
        uow.journal("scheduled_transmission", "transmission_run", run.id,
                    summary=f"Télétransmission programmée du {today:%d/%m/%Y} commencée")
        uow.commit()
        run_id = run.id
    report: EndOfDay | None = None
    try:
        report = end_of_day(uow_factory, transport, today=today, now=now)
    finally:
        with uow_factory() as uow:
            row = uow.transmission_runs.get(run_id)
            row.finished_at = now or utc_now()
            row.succeeded = report is not None and report.succeeded
            row.summary = ("Interrompue par une erreur inattendue." if report is None
                           else report.describe())[:1000]
            uow.commit()
    return ScheduledRun(True, report)


def last_scheduled_run(uow: UnitOfWork) -> tuple[date, bool | None, str] | None:
    """(day, succeeded — None while running, summary) of the latest scheduled run."""
    row = uow.transmission_runs.latest()
    return None if row is None else (row.day, row.succeeded, row.summary or "")
