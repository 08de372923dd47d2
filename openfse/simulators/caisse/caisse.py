"""The simulated caisse's decisions: ARL per lot, then payment returns per invoice.

``Caisse`` is transport-free: the SMTP server hands it raw mails (``receive``, committed before
the 250 reply), the event loop calls ``process_pending`` (one transaction per mail: the ARL,
the invoices and their outcomes, the outgoing mails), ``release`` (statements of the returns
that are due) and ``deliver`` (outbox → Maildir). Every decision is deterministic: random
rejects, partial payments and late payments are drawn from a hash of (seed, professional,
invoice), so a restart makes the same choices.

Rules simulated:

- a lot received twice with the same content (a resend) is acknowledged once;
- an unreadable lot gets a negative ARL saying why (A01–A05); a readable one is checked
  (``checks.lot_problems``): any problem → negative ARL listing them, nothing else happens;
- after a positive ARL every invoice gets an outcome: rejected when ``checks.invoice_reject``
  finds a reason or when it was already accepted in another lot (R06 — never paid twice),
  otherwise randomly rejected (``reject_rate``), partially paid (``partial_rate``) or paid;
  an invoice without tiers payant that is accepted has nothing to pay and gets no line;
- returns are released ``delay_days`` after reception (``late_days`` more for a
  ``late_rate`` share — late payments), automatically or on the admin's trigger.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from hashlib import sha256
from zoneinfo import ZoneInfo

from openfse.simulators.caisse.checks import (
    CheckContext,
    RightsDirectory,
    SignatureKeys,
    invoice_reject,
    lot_problems,
)
from openfse.simulators.caisse.faults import Faults
from openfse.simulators.caisse.mail import (
    ARL_SUBTYPE,
    RSP_SUBTYPE,
    MailAttachment,
    UnreadableMail,
    compose,
    lot_attachments,
    lot_ref_of_message_id,
)
from openfse.simulators.caisse.mailboxes import Mailboxes, mailbox_name
from openfse.simulators.caisse.reasons import RANDOM_REJECTS, reason
from openfse.simulators.caisse.state import InboundMail, State, next_value
from openfse.simulators.caisse.wire import (
    Arl,
    ArlStatus,
    InvoiceRecord,
    LotContent,
    LotKind,
    LotRef,
    PaymentReturn,
    PaymentStatus,
    Reason,
    ReturnStatement,
    WireError,
    parse_lot,
    serialise_arl,
    serialise_returns,
)

__all__ = ["Caisse", "CaisseConfig"]

log = logging.getLogger(__name__)

CAISSE_ADDRESS = "noemie@caisse.openfse.test"
MAX_REASONS = 99
MAX_LINES_PER_STATEMENT = 9999


@dataclass(frozen=True, slots=True)
class CaisseConfig:
    reject_rate: float = 0.05
    partial_rate: float = 0.05
    late_rate: float = 0.10
    delay_days: int = 2  # returns typically ~48 h after sending (docs/protocols.md §1.8)
    late_days: int = 20
    seed: int = 0
    issuer: str = "019990000"  # who signs ARLs of lots that cannot be read
    today: date | None = None  # a fixed simulated date; None = today in ``time_zone``
    # The caisse's own wall clock: a French caisse works on French time, whatever the zone of
    # the machine it runs on (a server in UTC is still on the previous day until 01:00 Paris).
    time_zone: str = "Europe/Paris"
    check_signatures: bool = False

    def __post_init__(self) -> None:
        rates = (self.reject_rate, self.partial_rate, self.late_rate)
        if any(not 0 <= rate <= 1 for rate in rates) or self.reject_rate + self.partial_rate > 1:
            raise ValueError("rates must be within 0..1 and reject + partial <= 1")
        if self.delay_days < 0 or self.late_days < 0:
            raise ValueError("delays must be >= 0 days")


@dataclass(frozen=True, slots=True)
class _Outcome:
    outcome: str  # paid | partial | rejected | none (accepted, nothing to pay)
    paid: Decimal
    reason: Reason | None
    late: bool = False


@dataclass
class Caisse:
    state: State
    mailboxes: Mailboxes
    config: CaisseConfig
    rights: RightsDirectory
    signatures: SignatureKeys
    faults: Faults = field(default_factory=Faults)

    def today(self) -> date:
        return self.config.today or datetime.now(ZoneInfo(self.config.time_zone)).date()

    # ---------------------------------------------------------------- reception

    def receive(self, message_id: str, mail_from: str, recipients: list[str], raw: bytes) -> int:
        """Keep an accepted mail (committed: the SMTP server answers 250 after this)."""
        return self.state.add_inbound(message_id, mail_from, recipients, raw, self.today())

    def process_pending(self) -> int:
        """Process every kept mail not processed yet, then deliver what it produced."""
        pending = self.state.unprocessed()
        for inbound in pending:
            try:
                with self.state.transaction() as db:
                    self._process(db, inbound)
                    db.execute("UPDATE inbound SET processed = 1 WHERE id = ?", (inbound.id,))
            except Exception:  # a simulator bug must not block every mail behind this one
                log.exception("caisse: mail %s could not be processed", inbound.id)
                with self.state.transaction() as db:
                    message_ref = _printable(inbound.message_id) or f"<inbound.{inbound.id}>"
                    self._refuse_unreadable(db, inbound, message_ref, b"", reason("A98"))
                    db.execute("UPDATE inbound SET processed = 1 WHERE id = ?", (inbound.id,))
        self.deliver()
        return len(pending)

    def _process(self, db: sqlite3.Connection, inbound: InboundMail) -> None:
        message_ref = _printable(inbound.message_id) or f"<inbound.{inbound.id}@caisse>"
        try:
            lots = lot_attachments(inbound.raw)
        except UnreadableMail as problem:
            self._refuse_unreadable(db, inbound, message_ref, b"", reason("A01", problem.message))
            return
        if not lots:
            self._refuse_unreadable(db, inbound, message_ref, b"", reason("A05"))
            return
        for data in lots:
            self._process_lot(db, inbound, message_ref, data)

    def _process_lot(
        self, db: sqlite3.Connection, inbound: InboundMail, message_ref: str, data: bytes
    ) -> None:
        try:
            lot, digest = parse_lot(data)
        except WireError as problem:
            code = _FORMAT_REASONS.get(problem.kind, "A01")
            self._refuse_unreadable(db, inbound, message_ref, data, reason(code, problem.message))
            return
        if _lot_seen(db, lot.lot_id, digest):
            return  # the same lot again (a resend): acknowledged once already
        problems = []
        if db.execute(
            "SELECT 1 FROM lot WHERE lot_id = ? AND sha256 != ? AND status = ?",
            (lot.lot_id, digest, ArlStatus.POSITIVE.value),
        ).fetchone():
            problems.append(reason("A17", lot.lot_id))
        problems.extend(lot_problems(lot, self._context(inbound.received_on)))
        if self.faults.take("arl_negative"):
            problems.append(reason("A99"))
        status = ArlStatus.NEGATIVE if problems else ArlStatus.POSITIVE
        arl = self._arl(
            db,
            lot.destination.code,
            inbound,
            status,
            lot.ref,
            digest,
            message_ref,
            lot.size,
            problems,
        )
        _record_lot(db, lot.lot_id, digest, lot.kind.value, lot.destination.code, inbound, arl)
        if status is ArlStatus.POSITIVE and lot.kind is not LotKind.SCOR:
            for invoice in lot.invoices:
                self._schedule(db, lot, invoice, inbound)

    def _refuse_unreadable(
        self,
        db: sqlite3.Connection,
        inbound: InboundMail,
        message_ref: str,
        data: bytes,
        why: Reason,
    ) -> None:
        found = lot_ref_of_message_id(message_ref)
        ref = None
        if found is not None:
            try:
                ref = LotRef(found[0], date.fromisoformat(_iso(found[1])), found[2])
            except ValueError:
                ref = None
        key = ref.lot_id if ref is not None else f"message:{message_ref}"
        digest = sha256(data).hexdigest()
        if _lot_seen(db, key, digest):
            return
        arl = self._arl(
            db, self.config.issuer, inbound, ArlStatus.NEGATIVE, ref, "", message_ref, 0, [why]
        )
        _record_lot(db, key, digest, "?", self.config.issuer, inbound, arl)

    def _context(self, received_on: date) -> CheckContext:
        signatures = self.signatures if self.config.check_signatures else None
        return CheckContext(received_on, self.rights, signatures)

    # ---------------------------------------------------------------- ARL

    def _arl(
        self,
        db: sqlite3.Connection,
        issuer: str,
        inbound: InboundMail,
        status: ArlStatus,
        ref: LotRef | None,
        digest: str,
        message_ref: str,
        size: int,
        reasons: list[Reason],
    ) -> Arl:
        received = inbound.received_on
        arl = Arl(
            reference=f"ARL{received:%Y%m%d}{next_value(db, 'arl'):06d}",
            issuer=issuer,
            received_on=received,
            status=status,
            lot=ref,
            lot_sha256=digest,
            message_ref=message_ref,
            invoice_count=size,
            reasons=tuple(reasons[:MAX_REASONS]),
        )
        data = serialise_arl(arl)
        if self.faults.take("corrupt_arl"):
            data = _corrupt(data)
        subject = f"OPENFSE-ARL {ref.lot_id if ref else message_ref} {status.value}"
        raw = compose(
            sender=CAISSE_ADDRESS,
            recipient=_address(inbound.mail_from),
            subject=subject,
            message_id=f"<arl.{arl.reference}@caisse.openfse>",
            attachment=MailAttachment(f"{arl.reference}.arl", ARL_SUBTYPE, data),
            in_reply_to=message_ref,
        )
        _queue(db, inbound.mail_from, f"{arl.reference}.arl", raw)
        return arl

    # ---------------------------------------------------------------- invoices

    def _schedule(
        self, db: sqlite3.Connection, lot: LotContent, invoice: InvoiceRecord, inbound: InboundMail
    ) -> None:
        ps = lot.ref.ps_number
        earlier = db.execute(
            "SELECT lot_id FROM invoice WHERE ps_number = ? AND kind = ? AND number = ?"
            " AND outcome != 'rejected'",
            (ps, lot.kind.value, invoice.number),
        ).fetchone()
        if earlier is not None:
            # Already accepted in another lot: this copy is rejected, the first one stands.
            outcome = _Outcome("rejected", Decimal(0), reason("R06", f"lot {earlier[0]}"))
        else:
            why = invoice_reject(invoice, lot.kind, self._context(inbound.received_on))
            outcome = self._decide(ps, lot.kind, invoice, why)
        delay = self.config.delay_days + (self.config.late_days if outcome.late else 0)
        why = outcome.reason
        db.execute(
            "INSERT INTO invoice (ps_number, kind, number, lot_id, lot_created, lot_number, nir,"
            " care_date, issuer, mailbox, outcome, requested_cents, paid_cents, reason_code,"
            " reason_label, release_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ps,
                lot.kind.value,
                invoice.number,
                lot.lot_id,
                lot.ref.created_on.isoformat(),
                lot.ref.number,
                invoice.nir,
                invoice.care_date.isoformat(),
                lot.destination.code,
                inbound.mail_from,
                outcome.outcome,
                to_cents(invoice.requested),
                to_cents(outcome.paid),
                "" if why is None else why.code,
                "" if why is None else why.label,
                (inbound.received_on + timedelta(days=delay)).isoformat(),
            ),
        )

    def _decide(
        self, ps: str, kind: LotKind, invoice: InvoiceRecord, why: Reason | None
    ) -> _Outcome:
        requested = invoice.requested
        if why is not None:
            return _Outcome("rejected", Decimal(0), _for_line(why))
        config = self.config
        draw = self._draw(ps, kind.value, invoice.number, "issue")
        late = self._draw(ps, kind.value, invoice.number, "late") < config.late_rate
        if draw < config.reject_rate:
            pick = int(self._draw(ps, kind.value, invoice.number, "why") * len(RANDOM_REJECTS))
            return _Outcome("rejected", Decimal(0), reason(RANDOM_REJECTS[pick]))
        if requested == 0:
            return _Outcome("none", Decimal(0), None)
        if draw < config.reject_rate + config.partial_rate and requested >= Decimal("0.02"):
            deduction, why = _partial(invoice)
            return _Outcome("partial", requested - deduction, why, late)
        return _Outcome("paid", requested, None, late)

    def _draw(self, *parts: str) -> float:
        """A number in [0, 1) fixed by the seed and ``parts`` (same after a restart)."""
        text = "|".join((str(self.config.seed), *parts)).encode()
        return int.from_bytes(sha256(text).digest()[:7], "big") / 2**56

    # ---------------------------------------------------------------- returns

    def release(self, until: date | None = None) -> tuple[int, int]:
        """Issue the statements of every return due on ``until`` (all pending if None).
        Returns (statements, lines)."""
        today = self.today()
        statements = lines = 0
        with self.state.transaction() as db:
            rows = db.execute(
                "SELECT id, mailbox, ps_number, issuer, lot_created, lot_number, number, nir,"
                " care_date, outcome, requested_cents, paid_cents, reason_code, reason_label"
                " FROM invoice WHERE statement IS NULL AND outcome != 'none'"
                + (" AND release_on <= ?" if until is not None else "")
                + " ORDER BY id",
                (until.isoformat(),) if until is not None else (),
            ).fetchall()
            groups: dict[tuple[str, str, str], list[tuple[object, ...]]] = {}
            for row in rows:
                groups.setdefault((row[1], row[2], row[3]), []).append(tuple(row))
            for (mailbox, ps, issuer), members in groups.items():
                for start in range(0, len(members), MAX_LINES_PER_STATEMENT):
                    chunk = members[start : start + MAX_LINES_PER_STATEMENT]
                    self._statement(db, today, mailbox, ps, issuer, chunk)
                    statements += 1
                    lines += len(chunk)
        self.deliver()
        return statements, lines

    def _statement(
        self,
        db: sqlite3.Connection,
        today: date,
        mailbox: str,
        ps: str,
        issuer: str,
        rows: list[tuple[object, ...]],
    ) -> None:
        sequence = next_value(db, "statement")
        reference = f"RSP{today:%Y%m%d}{sequence:06d}"
        lines = tuple(_line(ps, row, today) for row in rows)
        paid = _money_sum(line.paid for line in lines)
        statement = ReturnStatement(
            reference=reference,
            issuer=issuer,
            ps_number=ps,
            issued_on=today,
            transfer_reference=f"VIR{today:%Y%m%d}{sequence:06d}" if paid else "",
            lines=lines,
        )
        data = serialise_returns(statement)
        if self.faults.take("corrupt_returns"):
            data = _corrupt(data)
        raw = compose(
            sender=CAISSE_ADDRESS,
            recipient=_address(mailbox),
            subject=f"OPENFSE-RSP {reference} {len(lines)} ligne(s)",
            message_id=f"<rsp.{reference}@caisse.openfse>",
            attachment=MailAttachment(f"{reference}.rsp", RSP_SUBTYPE, data),
        )
        _queue(db, mailbox, f"{reference}.rsp", raw)
        db.executemany(
            "UPDATE invoice SET statement = ? WHERE id = ?", [(reference, row[0]) for row in rows]
        )

    # ---------------------------------------------------------------- delivery

    def deliver(self) -> int:
        """Outbox → mailboxes. Each mail is marked delivered right after its file is in place
        (same thread as the POP3 server, so no fetch can slip in between)."""
        mails = self.state.undelivered()
        for mail in mails:
            self.mailboxes.deliver(mail.mailbox, mail.name, mail.raw)
            self.state.mark_delivered(mail.id)
        return len(mails)


_FORMAT_REASONS: dict[str, str] = {"checksum": "A02", "truncated": "A03", "version": "A04"}


def to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def round_cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _lot_seen(db: sqlite3.Connection, lot_id: str, digest: str) -> bool:
    found = db.execute("SELECT 1 FROM lot WHERE lot_id = ? AND sha256 = ?", (lot_id, digest))
    return found.fetchone() is not None


def _record_lot(
    db: sqlite3.Connection,
    lot_id: str,
    digest: str,
    kind: str,
    issuer: str,
    inbound: InboundMail,
    arl: Arl,
) -> None:
    db.execute(
        "INSERT INTO lot (lot_id, sha256, kind, issuer, mailbox, received_on, status,"
        " arl_reference, reasons) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            lot_id,
            digest,
            kind,
            issuer,
            inbound.mail_from,
            inbound.received_on.isoformat(),
            arl.status.value,
            arl.reference,
            json.dumps([[r.code, r.label, r.invoice_number] for r in arl.reasons]),
        ),
    )


def _queue(db: sqlite3.Connection, mailbox: str, name: str, raw: bytes) -> None:
    db.execute(
        "INSERT INTO outbox (mailbox, name, raw) VALUES (?, ?, ?)",
        (mailbox_name(mailbox), name, raw),
    )


def _line(ps: str, row: tuple[object, ...], today: date) -> PaymentReturn:
    (
        _,
        _,
        _,
        _,
        lot_created,
        lot_number,
        number,
        nir_text,
        care,
        outcome,
        requested,
        paid,
        code,
        label,
    ) = row
    status = _STATUSES[str(outcome)]
    return PaymentReturn(
        lot=LotRef(ps, date.fromisoformat(str(lot_created)), int(str(lot_number))),
        invoice_number=str(number),
        nir=str(nir_text),
        care_date=date.fromisoformat(str(care)),
        status=status,
        requested=from_cents(int(str(requested))),
        paid=from_cents(int(str(paid))),
        payment_date=None if status is PaymentStatus.REJECTED else today,
        reason=Reason(str(code), str(label)) if code else None,
    )


_STATUSES = {
    "paid": PaymentStatus.PAID,
    "partial": PaymentStatus.PARTIAL,
    "rejected": PaymentStatus.REJECTED,
}


def _partial(invoice: InvoiceRecord) -> tuple[Decimal, Reason]:
    """What is deducted: the last act's insured shares when there are several acts and that
    leaves something to pay, otherwise half (base plafonnée)."""
    requested = invoice.requested
    last = invoice.acts[-1]
    deduction = last.amo + last.amc
    if len(invoice.acts) > 1 and 0 < deduction < requested:
        return deduction, reason("P01", f"acte {last.code} du {last.date.isoformat()}")
    return round_cents(requested / 2), reason("P02")


def _for_line(why: Reason) -> Reason:
    """A payment line names its invoice itself: the reason does not repeat it."""
    return Reason(why.code, why.label)


def _corrupt(data: bytes) -> bytes:
    """Flip one bit in the middle of a file (the admin's corrupt_* faults)."""
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def _printable(text: str) -> str:
    cleaned = "".join(char for char in text if char.isprintable()).strip()
    return cleaned[:200]


def _address(text: str) -> str:
    return text.strip().strip("<>") or "postmaster@openfse.test"


def _iso(compact: str) -> str:
    return f"{compact[:4]}-{compact[4:6]}-{compact[6:]}"


def _money_sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, Decimal("0.00"))
