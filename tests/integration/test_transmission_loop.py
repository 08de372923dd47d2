"""The whole télétransmission loop against the simulated caisse as a real process:

200 invoices of several patients and organisms → lots → SMTP (the connection dropped once, the
caisse killed once mid-send, both resumed) → ARL → payment returns with ~5 % rejects and
~5 % partial payments → reconciled: every invoice paid, partly paid or rejected exactly once,
no lot or return lost or applied twice. Then a corrupt ARL is quarantined and changes nothing.
"""

from __future__ import annotations

import io
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import func, select
from uow_support import unit_of, uow_factory

from openfse.adapters.transmission.pop3_receiver import Received, fetch
from openfse.composition.demo import load_demo
from openfse.composition.simulated_cards import SimulatedReader
from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.domain.invoice import (
    AmcChoice,
    Attachment,
    InvoiceDraft,
    InvoiceStatus,
    Prescription,
    SecureMode,
)
from openfse.domain.pricing import parse_draft
from openfse.services import invoicing, transmission
from openfse.services.context import AppContext
from openfse.simulators.synthetic_lots import signer_of_test_cps
from openfse.store.models import (
    Invoice,
    InvoicePayment,
    LotStatus,
    PaymentReturnLine,
    ProfessionalKind,
    ReceivedDocument,
)

sys.path.insert(0, str(Path(__file__).resolve().parent / "transmission"))
from caisse_process import CABINET, PASSWORD, CaisseProcess  # noqa: E402

TODAY = Clock().today()  # the simulator dates receptions with the real clock
INVOICES = 200


def start_caisse(data_dir: Path) -> CaisseProcess:
    # --check-signatures: the caisse verifies every CPS signature over the contenu signé the
    # lot carries (docs/formats/lot.md §3 SIG), as a real frontal does.
    return CaisseProcess.start(
        data_dir, "--release", "manual", "--seed", "11", "--reject-rate", "0.05",
        "--partial-rate", "0.05", "--late-rate", "0", "--check-signatures")


def settings_for(home: Path, caisse: CaisseProcess) -> Settings:
    return Settings.from_env({
        "OPENFSE_HOME": str(home), "OPENFSE_SMTP": f"127.0.0.1:{caisse.smtp_port}",
        "OPENFSE_POP3": f"127.0.0.1:{caisse.pop3_port}", "OPENFSE_POP3_USER": CABINET,
        "OPENFSE_POP3_PASSWORD": PASSWORD, "OPENFSE_MAIL_FROM": CABINET})


def transport(settings: Settings) -> transmission.Transport:
    return transmission.transport_of(settings, demo=False)


def signed_invoices(ctx: AppContext, count: int, *,
                    content: Callable[[Invoice], bytes] = invoicing.signed_content) -> list[int]:
    """``count`` G consultations in tiers payant AMO, round the demo patients, signed with the
    test CPS (mode SESAM sans Vitale: the CPS alone signs) over ``content(invoice)``."""
    refs = invoicing.InvoiceReferentials.of(ctx)
    with unit_of(ctx) as uow:
        pro = next(p for p in uow.professionals.list() if p.kind is ProfessionalKind.TITULAIRE)
        patients = [p for p in uow.patients.list(limit=100) if p.nir]
    doc: dict[str, Any] = {
        "date_soins": TODAY.isoformat(), "profession": "medecin",
        "ps": {"specialite": "medecine_generale", "secteur": 1},
        "patient": {"age": 45, "parcours": "medecin_traitant"},
        "acts": [{"code": "G"}], "tiers_payant": {"amo": True}}
    ids: list[int] = []
    refused: set[int] = set()
    while len(ids) < count:
        for patient in patients:
            if len(ids) == count:
                break
            if patient.id in refused:
                continue
            draft = InvoiceDraft(professional_id=pro.id, patient_id=patient.id,
                                 pricing=parse_draft(doc),
                                 secure_mode=SecureMode.SESAM_SANS_VITALE)
            try:
                ids.append(invoicing.validate_invoice(unit_of(ctx), draft, refs=refs,
                                                      today=TODAY).invoice.id)
            except invoicing.ControlsFailed:
                refused.add(patient.id)  # companies, anonymous…: not this test's subject
    report = invoicing.sign_invoices(unit_of(ctx), ids, sign=signer_of_test_cps(), content=content)
    assert not report.refused
    return ids


def fetch_until(ctx: AppContext, settings: Settings, documents: int, *, twice: bool = False,
                timeout: float = 20.0) -> transmission.FetchOutcome:
    """Fetch until ``documents`` (ARL, statements, quarantined files) came: the caisse writes
    its answers to the mailbox just after processing a lot."""
    total = transmission.FetchOutcome()
    deadline = time.monotonic() + timeout
    while True:
        got = fetch_twice(ctx, settings) if twice else transmission.fetch_returns(
            uow_factory(ctx), transport(settings))
        for name in ("arl_positive", "arl_negative", "statements", "lines", "unmatched",
                     "duplicates", "quarantined"):
            setattr(total, name, getattr(total, name) + getattr(got, name))
        total.quarantine_reasons += got.quarantine_reasons
        came = total.arl_positive + total.arl_negative + total.statements + total.quarantined
        if came >= documents or time.monotonic() > deadline:
            return total
        time.sleep(0.2)


def fetch_twice(ctx: AppContext, settings: Settings) -> transmission.FetchOutcome:
    outcome = transmission.FetchOutcome()

    def handle(received: Received) -> None:
        transmission.apply_document(uow_factory(ctx), received, outcome)
        transmission.apply_document(uow_factory(ctx), received, outcome)

    report = fetch(transport(settings).mailbox(), handle, transport(settings).quarantine())
    outcome.quarantined = report.quarantined
    return outcome


def statuses(ctx: AppContext, ids: list[int]) -> Counter[InvoiceStatus]:
    with unit_of(ctx) as uow:
        return Counter(row.status for row in uow.invoices.many(ids))


def count(ctx: AppContext, model: Any) -> int:
    with unit_of(ctx) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_two_hundred_invoices_go_round_the_loop(tmp_path: Path) -> None:
    running = [start_caisse(tmp_path / "caisse")]
    settings = settings_for(tmp_path / "home", running[0])
    load_demo(settings, today=TODAY)
    ctx = AppContext.open(settings)
    try:
        run_loop(ctx, settings, running)
    finally:
        ctx.engine.dispose()
        running[-1].stop()


def run_loop(ctx: AppContext, settings: Settings, running: list[CaisseProcess]) -> None:
    caisse = running[0]
    ids = signed_invoices(ctx, INVOICES)
    with unit_of(ctx) as uow:
        organisms = {uow.amo_coverages.on(r.patient_id, TODAY).caisse  # type: ignore[union-attr]
                     for r in uow.invoices.many(ids)}
    assert len(organisms) >= 2  # several destination caisses

    built = transmission.build_lots(uow_factory(ctx), TODAY)
    assert not built.refused and built.invoices == INVOICES
    assert len(built.lots) >= INVOICES // 50  # 50 invoices per lot at most
    assert statuses(ctx, ids) == {InvoiceStatus.IN_LOT: INVOICES}
    assert transmission.build_lots(uow_factory(ctx), TODAY).lots == ()  # nothing built twice

    # The connection drops after the first lot is kept: the batch stops, nothing is lost.
    caisse.arm("smtp_disconnect")
    first = transmission.send_lots_now(uow_factory(ctx), transport(settings))
    assert not first.complete and "interrompue" in first.error
    # The caisse dies after storing the next lot, before answering: the sender sees a failure.
    caisse.arm("crash_after_store")
    second = transmission.send_lots_now(uow_factory(ctx), transport(settings))
    assert not second.complete
    caisse = caisse.restart()
    running.append(caisse)
    settings = settings_for(settings.home, caisse)
    progress: list[tuple[int, int]] = []
    third = transmission.send_lots_now(uow_factory(ctx), transport(settings),
                                       progress=lambda done, total: progress.append((done, total)))
    assert third.complete and progress[-1][0] == progress[-1][1] == third.total
    sent = len(first.sent) + len(second.sent) + len(third.sent)
    assert sent >= len(built.lots)  # the dropped/crashed ones went again
    assert statuses(ctx, ids) == {InvoiceStatus.SENT: INVOICES}

    # The caisse holds every lot once (same lot id + SHA-256 acknowledged once).
    caisse.wait_processed(len(built.lots))
    lots_seen = caisse.admin("GET", "/caisse/lots")
    assert sorted(lot["lot_id"] for lot in lots_seen) == sorted(built.lots)

    arl = fetch_until(ctx, settings, len(built.lots))
    assert (arl.arl_positive, arl.arl_negative, arl.quarantined) == (len(built.lots), 0, 0)
    assert statuses(ctx, ids) == {InvoiceStatus.ACKNOWLEDGED: INVOICES}

    released = caisse.admin("POST", "/caisse/release", {})
    # Each statement is applied twice, as when a fetcher dies after applying it and before
    # the mailbox deleted it: the second time changes nothing.
    returns = fetch_until(ctx, settings, released["statements"], twice=True)
    assert returns.duplicates == returns.statements == released["statements"]
    assert returns.lines == INVOICES and returns.unmatched == 0
    final = statuses(ctx, ids)
    assert final[InvoiceStatus.PAID] + final[InvoiceStatus.REJECTED] == INVOICES
    assert 0 < final[InvoiceStatus.REJECTED] < INVOICES * 0.15  # ~5 % rejects

    # Compare with what the caisse decided, invoice by invoice, in cents.
    decided = {f"{inv['number']:09d}" if isinstance(inv["number"], int) else inv["number"]: inv
               for inv in caisse.admin("GET", "/caisse/invoices")}
    with unit_of(ctx) as uow:
        lines = uow.session.scalars(select(PaymentReturnLine)).all()
        assert len(lines) == INVOICES
        assert len({line.invoice_id for line in lines}) == INVOICES  # each invoice once
        for line in lines:
            assert decided[line.invoice_number]["paid_cents"] == int(line.paid * 100)
        paid_total = uow.session.scalar(select(func.sum(InvoicePayment.amount)))
        assert paid_total == sum(line.paid for line in lines)
        assert all(lot.status is LotStatus.ACKNOWLEDGED for lot in uow.lots.recent())

    # Fetching again changes nothing.
    documents = count(ctx, ReceivedDocument)
    again = transmission.fetch_returns(uow_factory(ctx), transport(settings))
    assert (again.lines, again.arl_positive) == (0, 0)
    assert count(ctx, ReceivedDocument) == documents

    check_a_refused_lot_goes_again_in_a_new_lot(ctx, settings, caisse)
    check_an_invoice_altered_after_signing_is_refused(ctx, settings, caisse)
    check_a_secured_invoice_carries_the_vitale_signature(ctx, settings, caisse)
    check_gestion_separee_is_paid_by_both_organisms(ctx, settings, caisse)
    check_a_scanned_ordonnance_goes_in_a_scor_lot(ctx, settings, caisse)
    check_corrupt_arl_is_quarantined(ctx, settings, caisse)


def send_and_wait(ctx: AppContext, settings: Settings, caisse: CaisseProcess,
                  lot_ids: tuple[str, ...]) -> None:
    known = len(caisse.admin("GET", "/caisse/lots"))
    assert transmission.send_lots_now(uow_factory(ctx), transport(settings)).complete
    caisse.wait_processed(known + len(lot_ids))


def check_a_refused_lot_goes_again_in_a_new_lot(ctx: AppContext, settings: Settings,
                                                caisse: CaisseProcess) -> None:
    ids = signed_invoices(ctx, 2)
    built = transmission.build_lots(uow_factory(ctx), TODAY)
    caisse.arm("arl_negative", count=len(built.lots))
    send_and_wait(ctx, settings, caisse, built.lots)
    refused = fetch_until(ctx, settings, len(built.lots))
    assert refused.arl_negative == len(built.lots)
    with unit_of(ctx) as uow:
        views = {view.lot_id: view for view in transmission.lots_overview(uow, TODAY)}
    lot_id = built.lots[0]
    assert views[lot_id].status is LotStatus.REJECTED and views[lot_id].resendable
    assert views[lot_id].reasons[0].startswith("A99")  # the reason, shown to the user

    known = len(caisse.admin("GET", "/caisse/lots"))
    for refused_id in built.lots:
        assert transmission.resend_lot(uow_factory(ctx), transport(settings), refused_id,
                                       today=TODAY).complete
    caisse.wait_processed(known + len(built.lots))
    accepted = fetch_until(ctx, settings, len(built.lots))

    assert accepted.arl_positive == len(built.lots)
    assert statuses(ctx, ids) == {InvoiceStatus.ACKNOWLEDGED: 2}
    with unit_of(ctx) as uow:
        old = uow.lots.by_lot_id(lot_id)
        assert old is not None and old.replaced_by is not None
        new = uow.lots.by_lot_id(old.replaced_by)
        assert new is not None and new.status is LotStatus.ACKNOWLEDGED
        assert new.number != old.number


def check_an_invoice_altered_after_signing_is_refused(ctx: AppContext, settings: Settings,
                                                      caisse: CaisseProcess) -> None:
    """A15 (arl.md §3): the CPS signed other amounts than the invoice now holds (the database
    freezes a validated invoice, so the alteration is made to what was signed); the caisse
    refuses the lot and names the invoice."""
    def altered(row: Invoice) -> bytes:
        signed = invoicing.signed_content(row)
        assert b'"total":"30.00"' in signed  # the G consultation
        return signed.replace(b'"total":"30.00"', b'"total":"300.00"')

    ids = signed_invoices(ctx, 1) + signed_invoices(ctx, 1, content=altered)
    with unit_of(ctx) as uow:
        number = f"{uow.invoices.get(ids[1]).number:09d}"
    built = transmission.build_lots(uow_factory(ctx), TODAY)
    assert len(built.lots) == 1  # the same patient's caisse: both in one lot
    send_and_wait(ctx, settings, caisse, built.lots)
    refused = fetch_until(ctx, settings, 1)
    assert (refused.arl_negative, refused.arl_positive) == (1, 0)
    with unit_of(ctx) as uow:
        [view] = [v for v in transmission.lots_overview(uow, TODAY) if v.lot_id == built.lots[0]]
    assert view.status is LotStatus.REJECTED
    assert view.reasons == (f"A15 Signature invérifiable : lot invérifiable : signature CPS "
                            f"incorrecte (facture n° {number})",)
    assert statuses(ctx, ids) == {InvoiceStatus.SENT: 2}  # nothing of a refused lot is paid


def check_a_secured_invoice_carries_the_vitale_signature(ctx: AppContext, settings: Settings,
                                                         caisse: CaisseProcess) -> None:
    """Mode sécurisé: the invoice is secured by both cards. The carte Vitale in the reader
    signs the contenu signé with the CPS; the lot carries its signature and serial (lot.md §3
    SIG) and the caisse, checking signatures, accepts it — and refuses with A16 an invoice
    whose Vitale signature is not that card's."""
    reader = SimulatedReader()
    reader.insert("vitale_famille")
    vitale = reader.read_vitale()
    assure = vitale.beneficiaries[0]
    with unit_of(ctx) as uow:
        pro = next(p for p in uow.professionals.list() if p.kind is ProfessionalKind.TITULAIRE)
        [patient] = [p for p in uow.patients.list(limit=100) if p.nir == vitale.nir
                     and p.birth_date_text == assure.date_naissance]
    doc: dict[str, Any] = {
        "date_soins": TODAY.isoformat(), "profession": "medecin",
        "ps": {"specialite": "medecine_generale", "secteur": 1},
        "patient": {"age": 45, "parcours": "medecin_traitant"}, "acts": [{"code": "G"}],
        "tiers_payant": {"amo": True}}
    draft = InvoiceDraft(professional_id=pro.id, patient_id=patient.id, pricing=parse_draft(doc),
                         secure_mode=SecureMode.SECURISE)
    refs = invoicing.InvoiceReferentials.of(ctx)

    def secured(certify: Callable[[bytes], bytes]) -> int:
        invoice_id = invoicing.validate_invoice(unit_of(ctx), draft, refs=refs,
                                                today=TODAY).invoice.id
        report = invoicing.sign_invoices(unit_of(ctx), [invoice_id], sign=signer_of_test_cps(),
                                         vitale=vitale, certify=certify)
        assert not report.refused
        return invoice_id

    good = secured(reader.certify_vitale)
    built = transmission.build_lots(uow_factory(ctx), TODAY)
    send_and_wait(ctx, settings, caisse, built.lots)
    assert fetch_until(ctx, settings, 1).arl_positive == 1
    assert statuses(ctx, [good]) == {InvoiceStatus.ACKNOWLEDGED: 1}

    forged = secured(lambda data: bytes(32))  # not the card's signature
    with unit_of(ctx) as uow:
        number = f"{uow.invoices.get(forged).number:09d}"
    built = transmission.build_lots(uow_factory(ctx), TODAY)
    send_and_wait(ctx, settings, caisse, built.lots)
    assert fetch_until(ctx, settings, 1).arl_negative == 1
    with unit_of(ctx) as uow:
        [view] = [v for v in transmission.lots_overview(uow, TODAY) if v.lot_id == built.lots[0]]
    assert view.reasons == ("A16 Signature de la carte Vitale absente ou incorrecte : signature "
                            f"Vitale incorrecte (facture n° {number})",)


def check_gestion_separee_is_paid_by_both_organisms(ctx: AppContext, settings: Settings,
                                                    caisse: CaisseProcess) -> None:
    """Dossier LOGOSw: in gestion séparée the FSE (AMO part) goes to the caisse and the DRE (AMC
    part) to the AMC, each in its own lot; each organism answers and pays its own share, and
    the invoice is « payée » once both have (or « rejetée » if one refuses)."""
    with unit_of(ctx) as uow:
        pro = next(p for p in uow.professionals.list() if p.kind is ProfessionalKind.TITULAIRE)
        [patient] = [p for p in uow.patients.search("BONNET", limit=50)
                     if p.first_name == "NATHALIE"]
    doc: dict[str, Any] = {
        "date_soins": TODAY.isoformat(), "profession": "medecin",
        "ps": {"specialite": "medecine_generale", "secteur": 1},
        "patient": {"age": 45, "parcours": "medecin_traitant"}, "acts": [{"code": "G"}],
        "tiers_payant": {"amo": True, "amc": True},
        "amc": {"formula": "02A", "parameter": "100", "gestion": "separee"}}
    draft = InvoiceDraft(professional_id=pro.id, patient_id=patient.id, pricing=parse_draft(doc),
                         secure_mode=SecureMode.SESAM_SANS_VITALE,
                         amc_choice=AmcChoice(amc_number="98532001"))
    invoice_id = invoicing.validate_invoice(
        unit_of(ctx), draft, refs=invoicing.InvoiceReferentials.of(ctx), today=TODAY).invoice.id
    assert not invoicing.sign_invoices(unit_of(ctx), [invoice_id],
                                       sign=signer_of_test_cps()).refused
    built = transmission.build_lots(uow_factory(ctx), TODAY)
    assert len(built.lots) == 2  # one FSE lot to the caisse, one DRE lot to the AMC
    send_and_wait(ctx, settings, caisse, built.lots)
    assert fetch_until(ctx, settings, 2).arl_positive == 2
    released = caisse.admin("POST", "/caisse/release", {})
    # One answer per share (and those of the lot resent above, still pending).
    assert released["lines"] >= 2
    fetch_until(ctx, settings, released["statements"])

    with unit_of(ctx) as uow:
        row = uow.invoices.get(invoice_id)
        number = f"{row.number:09d}"
        balance = invoicing.balance_of(row)
        status = row.status
    decided = {inv["kind"]: inv for inv in caisse.admin("GET", "/caisse/invoices")
               if inv["number"] in (number, int(number))}
    assert set(decided) == {"FSE", "DRE"}
    # G 30.00: 21.00 asked of the caisse, the ticket modérateur 9.00 of the AMC.
    assert (decided["FSE"]["requested_cents"], decided["DRE"]["requested_cents"]) == (2100, 900)
    # Each organism's payment recorded as its own share, to the cent.
    assert int(balance.paid_amo * 100) == decided["FSE"]["paid_cents"]
    assert int(balance.paid_amc * 100) == decided["DRE"]["paid_cents"]
    outcomes = {inv["outcome"] for inv in decided.values()}
    assert status is (InvoiceStatus.REJECTED if "rejected" in outcomes else InvoiceStatus.PAID)


def check_a_scanned_ordonnance_goes_in_a_scor_lot(ctx: AppContext, settings: Settings,
                                                  caisse: CaisseProcess) -> None:
    """SCOR (docs/protocols.md §2): the photographed ordonnance, 200 dpi, goes in its own lot to the
    patient's caisse, which checks its format and resolution and acknowledges it."""
    scan = io.BytesIO()
    Image.new("L", (40, 60), 255).save(scan, "JPEG", dpi=(200, 200))
    with unit_of(ctx) as uow:
        pro = next(p for p in uow.professionals.list() if p.kind is ProfessionalKind.TITULAIRE)
        [patient] = [p for p in uow.patients.search("BONNET", limit=50)
                     if p.first_name == "NATHALIE"]
        prescriber_id = uow.prescribers.list()[0].id
    doc: dict[str, Any] = {
        "date_soins": TODAY.isoformat(), "profession": "medecin",
        "ps": {"specialite": "medecine_generale", "secteur": 1},
        "patient": {"age": 45, "parcours": "medecin_traitant"}, "acts": [{"code": "G"}],
        "tiers_payant": {"amo": True}}
    ordonnance = Attachment("image/jpeg", scan.getvalue(), "ordonnance.jpg")
    draft = InvoiceDraft(professional_id=pro.id, patient_id=patient.id, pricing=parse_draft(doc),
                         secure_mode=SecureMode.SESAM_SANS_VITALE,
                         prescription=Prescription(date=TODAY, prescriber_id=prescriber_id,
                                                   ordonnance=ordonnance))
    invoice_id = invoicing.validate_invoice(
        unit_of(ctx), draft, refs=invoicing.InvoiceReferentials.of(ctx), today=TODAY).invoice.id
    assert not invoicing.sign_invoices(unit_of(ctx), [invoice_id],
                                       sign=signer_of_test_cps()).refused
    built = transmission.build_lots(uow_factory(ctx), TODAY)
    send_and_wait(ctx, settings, caisse, built.lots)
    assert fetch_until(ctx, settings, 2).arl_positive == 2
    with unit_of(ctx) as uow:
        kinds = {uow.lots.by_lot_id(i).kind: uow.lots.by_lot_id(i).status  # type: ignore[union-attr]
                 for i in built.lots}
    assert kinds == {"FSE": LotStatus.ACKNOWLEDGED, "SCOR": LotStatus.ACKNOWLEDGED}
    seen = {lot["lot_id"]: lot for lot in caisse.admin("GET", "/caisse/lots")}
    assert {seen[i]["kind"] for i in built.lots} == {"FSE", "SCOR"}


def check_corrupt_arl_is_quarantined(ctx: AppContext, settings: Settings,
                                     caisse: CaisseProcess) -> None:
    ids = signed_invoices(ctx, 3)
    built = transmission.build_lots(uow_factory(ctx), TODAY)
    caisse.arm("corrupt_arl", count=len(built.lots))
    send_and_wait(ctx, settings, caisse, built.lots)
    before = (count(ctx, ReceivedDocument), count(ctx, PaymentReturnLine),
              count(ctx, InvoicePayment))

    outcome = fetch_until(ctx, settings, len(built.lots))

    assert outcome.quarantined == len(built.lots) and outcome.arl_positive == 0
    assert outcome.quarantine_reasons  # the French reason, kept beside the file
    assert (count(ctx, ReceivedDocument), count(ctx, PaymentReturnLine),
            count(ctx, InvoicePayment)) == before
    assert statuses(ctx, ids) == {InvoiceStatus.SENT: 3}
    with unit_of(ctx) as uow:
        assert {uow.lots.by_lot_id(lot_id).status  # type: ignore[union-attr]
                for lot_id in built.lots} == {LotStatus.SENT}
    entries = transport(settings).quarantine().entries()
    assert entries and all(entry.content_path.exists() for entry in entries)

