"""The whole loop over real sockets: lots by SMTP to the simulated caisse running as its own
process, ARL and payment returns fetched by POP3 — and the crashes: the simulator killed
mid-send, the fetcher killed mid-fetch, corrupt files, dropped connections."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from caisse_process import CAISSE, CaisseProcess

from openfse.adapters.transmission.errors import (
    TransmissionReceiveError,
)
from openfse.adapters.transmission.pop3_receiver import Received, fetch
from openfse.adapters.transmission.quarantine import Quarantine
from openfse.adapters.transmission.smtp_sender import OutgoingLot, send_lots
from openfse.domain.transmission import Arl, LotContent, LotRef, ReturnStatement, plan_lots
from openfse.simulators.synthetic_lots import signer_of_test_cps, synthetic_pending

HERE = Path(__file__).resolve().parent
CARE = date(2026, 3, 2)
SIGN = signer_of_test_cps()


def outgoing_lots(invoices: int, created: date, first_number: int) -> list[OutgoingLot]:
    """Lots of 50 synthetic FSE (4 templates in 5 under tiers payant) for the test CPS."""
    pending = synthetic_pending(invoices, care_date=CARE, first_number=first_number, signer=SIGN)
    lots = plan_lots(pending, created_on=created, last_numbers={})
    return [OutgoingLot.of(lot, CAISSE) for lot in lots]


def small_lots(count: int, per_lot: int, created: date, first_number: int) -> list[OutgoingLot]:
    """``count`` lots of ``per_lot`` invoices each (smaller than the 50 of ``plan_lots``)."""
    pending = synthetic_pending(
        count * per_lot, care_date=CARE, first_number=first_number, signer=SIGN
    )
    head = pending[0]
    return [
        OutgoingLot.of(
            LotContent(
                LotRef(head.ps_number, created, number + 1),
                head.kind,
                head.destination,
                invoices=tuple(
                    item.item  # type: ignore[misc]
                    for item in pending[number * per_lot : (number + 1) * per_lot]
                ),
            ),
            CAISSE,
        )
        for number in range(count)
    ]


def mailbox(name: str) -> str:
    return f"{name}@openfse.test"


class DeskRecorder:
    """The professional's side in the test process: documents applied once per Message-ID."""

    def __init__(self) -> None:
        self.applied: dict[str, Arl | ReturnStatement] = {}
        self.deliveries: Counter[str] = Counter()

    def __call__(self, received: Received) -> None:
        self.deliveries[received.message_id] += 1
        self.applied.setdefault(received.message_id, received.document)

    def arls(self) -> list[Arl]:
        return [d for d in self.applied.values() if isinstance(d, Arl)]

    def statements(self) -> list[ReturnStatement]:
        return [d for d in self.applied.values() if isinstance(d, ReturnStatement)]


def wait_for_lots(caisse: CaisseProcess, lot_ids: set[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = {row["lot_id"] for row in caisse.admin("GET", "/caisse/lots")}
        if lot_ids <= seen and caisse.summary()["inbound_pending"] == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"lots {sorted(lot_ids)} not all processed")


def fetch_all(caisse: CaisseProcess, user: str, desk: DeskRecorder, quarantine: Path) -> int:
    return fetch(caisse.pop3(user=user), desk, Quarantine(quarantine)).handled


# ------------------------------------------------------------------------------ the loop


def test_lots_go_out_by_smtp_and_come_back_as_arl_then_payments(
    caisse: CaisseProcess, tmp_path: Path
) -> None:
    user = mailbox("loop")
    lots = outgoing_lots(120, date(2026, 3, 3), 1)  # 50 + 50 + 20 invoices
    progress: list[str] = []
    report = send_lots(caisse.smtp(sender=user), lots, lambda lot, _: progress.append(lot.lot_id))
    assert report.complete and list(report.sent) == progress == [lot.lot_id for lot in lots]
    wait_for_lots(caisse, set(progress))

    desk = DeskRecorder()
    assert fetch_all(caisse, user, desk, tmp_path / "q") == 3
    assert sorted(arl.lot.lot_id for arl in desk.arls() if arl.lot) == sorted(progress)
    assert all(arl.positive for arl in desk.arls())
    assert [arl.invoice_count for arl in desk.arls()] == [50, 50, 20]

    caisse.admin("POST", "/caisse/release", {})
    assert fetch_all(caisse, user, desk, tmp_path / "q") >= 1
    lines = [line for statement in desk.statements() for line in statement.lines]
    # 96 of the 120 invoices are under tiers payant (4 templates in 5): one paid line each.
    assert len(lines) == 96 and len({line.invoice_number for line in lines}) == 96
    requested = {
        invoice.number: invoice.requested
        for lot in lots
        for invoice in lot.lot_file.content.invoices
    }
    assert all(line.paid == requested[line.invoice_number] for line in lines)
    assert fetch_all(caisse, user, desk, tmp_path / "q") == 0  # the mailbox is empty now


# ------------------------------------------------------------------------ kill mid-send


def test_killing_the_simulator_mid_send_loses_nothing_and_pays_nothing_twice(
    fresh_dir: Path, tmp_path: Path
) -> None:
    options = (
        "--release",
        "manual",
        "--reject-rate",
        "0.1",
        "--partial-rate",
        "0.1",
        "--late-rate",
        "0",
        "--seed",
        "11",
    )
    sim = CaisseProcess.start(fresh_dir, *options)
    user = mailbox("crash")
    lots = small_lots(6, 10, date(2026, 3, 4), 1)
    try:
        assert send_lots(sim.smtp(sender=user), lots[:2]).complete

        # 1. The worst moment: the 3rd lot is kept, then the process dies before its 250.
        sim.arm("crash_after_store")
        report = send_lots(sim.smtp(sender=user), lots[2:4])
        assert report.sent == () and report.failed == lots[2].lot_id
        assert report.error is not None and report.error.temporary
        assert sim.process.wait(timeout=30) != 0
        sim = sim.restart()

        # 2. A real SIGKILL while a batch is going out: right after the 4th lot was accepted.
        def kill_after_fourth(lot: OutgoingLot, _: str) -> None:
            if lot.lot_id == lots[3].lot_id:
                sim.kill()

        report = send_lots(sim.smtp(sender=user), lots[3:], kill_after_fourth)
        assert report.sent == (lots[3].lot_id,) and report.failed == lots[4].lot_id
        sim = sim.restart()

        # 3. The desk sends again every lot it has no ARL for (here, all: resending is safe).
        assert send_lots(sim.smtp(sender=user), lots).complete
        wait_for_lots(sim, {lot.lot_id for lot in lots})
        desk = DeskRecorder()
        fetch_all(sim, user, desk, tmp_path / "q")
        arls = Counter(arl.lot.lot_id for arl in desk.arls() if arl.lot)
        assert arls == Counter({lot.lot_id: 1 for lot in lots})  # one ARL per lot, no more

        sim.admin("POST", "/caisse/release", {})
        fetch_all(sim, user, desk, tmp_path / "q")
        lines = [line for statement in desk.statements() for line in statement.lines]
        per_invoice = Counter(line.invoice_number for line in lines)
        assert max(per_invoice.values()) == 1  # never paid (or rejected) twice
        tiers_payant = {
            invoice.number
            for lot in lots
            for invoice in lot.lot_file.content.invoices
            if invoice.requested > 0
        }
        assert tiers_payant <= set(per_invoice)  # nothing lost
        statuses = Counter(line.status.value for line in lines)
        assert statuses["PAYE"] and statuses["REJETE"] and statuses["PARTIEL"]
        paid_rows = Counter(
            row["number"]
            for row in sim.admin("GET", "/caisse/invoices")
            if row["outcome"] != "rejected"
        )
        assert max(paid_rows.values()) == 1
    finally:
        sim.kill()


# ------------------------------------------------------------------------ kill mid-fetch


def run_fetcher(sim: CaisseProcess, user: str, desk_db: Path, delay: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            str(HERE / "caisse_fetcher.py"),
            str(desk_db),
            str(sim.pop3_port),
            user,
            sim.pop3(user=user).password,
            str(desk_db.parent / "quarantaine"),
            delay,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def desk_counts(desk_db: Path) -> tuple[int, int]:
    if not desk_db.exists():
        return 0, 0
    with sqlite3.connect(desk_db) as db:
        try:
            applied = db.execute("SELECT count(*) FROM applied").fetchone()[0]
            delivered = db.execute("SELECT count(*) FROM deliveries").fetchone()[0]
        except sqlite3.OperationalError:
            return 0, 0
    return applied, delivered


def test_killing_the_fetcher_mid_fetch_neither_loses_nor_doubles(
    caisse: CaisseProcess, tmp_path: Path
) -> None:
    user = mailbox("fetcher")
    lots = small_lots(6, 1, date(2026, 3, 5), 1001)  # 6 lots → 6 ARL messages
    assert send_lots(caisse.smtp(sender=user), lots).complete
    wait_for_lots(caisse, {lot.lot_id for lot in lots})
    desk_db = tmp_path / "desk.sqlite3"

    fetcher = run_fetcher(caisse, user, desk_db, "3.0")  # 3 s after each document
    deadline = time.monotonic() + 60
    while desk_counts(desk_db)[1] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    fetcher.kill()  # SIGKILL in the middle: handled messages whose DELE no QUIT confirmed
    fetcher.communicate(timeout=10)
    before, delivered_before = desk_counts(desk_db)
    assert before == delivered_before and 2 <= before < 6

    for _ in range(20):  # the server notices the dead session; then the mailbox opens again
        again = run_fetcher(caisse, user, desk_db, "0")
        output = again.communicate(timeout=60)[0]
        if again.returncode == 0:
            break
        time.sleep(0.3)
    assert output.startswith("FETCHED 6 0"), output  # every message was still there
    applied, delivered = desk_counts(desk_db)
    assert applied == 6  # each ARL applied once…
    assert delivered == 6 + before  # …although those handled before the kill came twice
    assert fetch_all(caisse, user, DeskRecorder(), tmp_path / "q") == 0


# ------------------------------------------------------------------ corrupt and dropped


def test_a_corrupt_return_is_quarantined_and_nothing_is_applied(
    caisse: CaisseProcess, tmp_path: Path
) -> None:
    user = mailbox("corrupt")
    caisse.admin("POST", "/caisse/release", {})  # flush the returns of earlier tests
    lots = outgoing_lots(10, date(2026, 3, 6), 2001)
    assert send_lots(caisse.smtp(sender=user), lots).complete
    wait_for_lots(caisse, {lot.lot_id for lot in lots})
    desk = DeskRecorder()
    assert fetch_all(caisse, user, desk, tmp_path / "q") == 1  # the ARL

    caisse.arm("corrupt_returns")
    caisse.admin("POST", "/caisse/release", {})
    report = fetch(caisse.pop3(user=user), desk, Quarantine(tmp_path / "q"))
    assert (report.handled, report.quarantined) == (0, 1)
    assert desk.statements() == [] and len(desk.applied) == 1  # only the ARL, as before
    [entry] = Quarantine(tmp_path / "q").entries()
    assert entry.reason.startswith("Ligne ") and entry.source.startswith(f"POP3 {user}")
    assert b"OPENFSE-RSP" in entry.content_path.read_bytes()
    assert fetch_all(caisse, user, desk, tmp_path / "q") == 0  # taken out of the mailbox


def test_refused_or_dropped_sends_are_safe_to_retry(caisse: CaisseProcess, tmp_path: Path) -> None:
    user = mailbox("retry")
    first, second = outgoing_lots(60, date(2026, 3, 7), 3001)

    caisse.arm("smtp_tempfail")
    report = send_lots(caisse.smtp(sender=user), [first])
    assert report.error is not None and report.error.code == "transmission.smtp_temporary"
    assert report.error.temporary and report.failed == first.lot_id
    assert send_lots(caisse.smtp(sender=user), [first]).complete

    caisse.arm("smtp_disconnect")  # kept, but the 250 never arrives
    report = send_lots(caisse.smtp(sender=user), [second])
    assert report.error is not None and report.error.code == "transmission.smtp_disconnected"
    assert send_lots(caisse.smtp(sender=user), [second]).complete  # the desk sends it again

    wait_for_lots(caisse, {first.lot_id, second.lot_id})
    desk = DeskRecorder()
    fetch_all(caisse, user, desk, tmp_path / "q")
    assert Counter(arl.lot.lot_id for arl in desk.arls() if arl.lot) == Counter(
        {first.lot_id: 1, second.lot_id: 1}
    )


def test_a_dropped_pop3_connection_keeps_the_messages(
    caisse: CaisseProcess, tmp_path: Path
) -> None:
    user = mailbox("pop3drop")
    lots = outgoing_lots(60, date(2026, 3, 8), 4001)
    assert send_lots(caisse.smtp(sender=user), lots).complete
    wait_for_lots(caisse, {lot.lot_id for lot in lots})
    desk = DeskRecorder()
    caisse.arm("pop3_disconnect")
    with pytest.raises(TransmissionReceiveError):
        fetch(caisse.pop3(user=user), desk, Quarantine(tmp_path / "q"))
    assert len(desk.applied) == 1  # the first ARL was handled, its DELE never happened
    assert fetch_all(caisse, user, desk, tmp_path / "q") == 2
    assert len(desk.applied) == 2 and sum(desk.deliveries.values()) == 3


def test_wrong_credentials_and_closed_ports_are_told_in_french(
    caisse: CaisseProcess, tmp_path: Path
) -> None:
    with pytest.raises(TransmissionReceiveError) as caught:
        fetch(caisse.pop3(password="wrong"), DeskRecorder(), Quarantine(tmp_path / "q"))
    assert caught.value.code == "transmission.pop3_auth"
    assert "Identifiants" in caught.value.message

    closed = caisse.smtp(port=1)
    report = send_lots(closed, outgoing_lots(1, date(2026, 3, 9), 5001))
    assert report.error is not None and report.error.code == "transmission.smtp_unreachable"
    assert "injoignable" in report.error.message


# ------------------------------------------------------------------------------ STARTTLS


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its own authority) and its key, made with cryptography."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "caisse simulée openfse")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "caisse.pem", directory / "caisse.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_starttls_protects_sending_and_fetching(fresh_dir: Path, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    sim = CaisseProcess.start(fresh_dir, "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        lots = outgoing_lots(1, date(2026, 3, 10), 6001)
        report = send_lots(sim.smtp(starttls=True, cafile=str(cert)), lots)
        assert report.complete
        untrusted = send_lots(sim.smtp(starttls=True), lots)  # system authorities only
        assert untrusted.error is not None and untrusted.error.code == "transmission.smtp_tls"
        wait_for_lots(sim, {lots[0].lot_id})
        assert sim.summary()["lots"] == 1
        desk = DeskRecorder()
        fetched = fetch(sim.pop3(starttls=True, cafile=str(cert)), desk, Quarantine(tmp_path))
        assert fetched.handled == 1 and desk.arls()[0].positive
        with pytest.raises(TransmissionReceiveError) as caught:
            fetch(sim.pop3(starttls=True), desk, Quarantine(tmp_path))
        assert caught.value.code == "transmission.pop3_tls"
    finally:
        sim.kill()
