"""The simulated caisse's decisions, driven in-process (real SQLite state and Maildirs in a
temporary directory, no sockets): ARL per lot, rejects, payments, de-duplication, restart."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from openfse.adapters.transmission.documents import read_document
from openfse.adapters.transmission.errors import TransmissionFormatError
from openfse.adapters.transmission.mail import read_mail
from openfse.adapters.transmission.smtp_sender import OutgoingLot
from openfse.domain.pricing.codes import Nomenclature
from openfse.domain.transmission import (
    ActLine,
    Arl,
    ArlStatus,
    Destination,
    DestinationKind,
    InvoiceRecord,
    LotContent,
    LotKind,
    LotRef,
    PaymentStatus,
    ReturnStatement,
    ScorPiece,
)
from openfse.simulators.caisse.caisse import Caisse, CaisseConfig
from openfse.simulators.caisse.checks import RightsDirectory, SignatureKeys
from openfse.simulators.caisse.mailboxes import Mailboxes
from openfse.simulators.caisse.state import State
from openfse.simulators.synthetic_lots import (
    TEMPLATES,
    priced_record,
    secure_record,
    sign_record,
    signer_of_test_cps,
)

PS = "751000126"
ORGANISME = "017519881"
CABINET = "cabinet@openfse.test"
CAISSE = "cpam751@caisse.openfse.test"
CARE = date(2026, 3, 2)
CREATED = date(2026, 3, 3)
TODAY = date(2026, 3, 5)
MARTIN = {"nir": "178047511501217", "birth_date": date(1978, 4, 12)}  # ADRi data set, 2025–2027
SIGN = signer_of_test_cps()
D = Decimal


@pytest.fixture(scope="module")
def rights() -> RightsDirectory:
    return RightsDirectory.shipped()


@pytest.fixture(scope="module")
def keys() -> SignatureKeys:
    return SignatureKeys.of_test_cards()


class Desk:
    """The professional's side of the exchange, without the network."""

    def __init__(self, root: Path, rights: RightsDirectory, keys: SignatureKeys) -> None:
        self.root, self.rights, self.keys = root, rights, keys
        self.seen: set[str] = set()

    def caisse(self, **config: object) -> Caisse:
        settings = {"reject_rate": 0.0, "partial_rate": 0.0, "late_rate": 0.0, "today": TODAY}
        settings.update(config)
        return Caisse(
            State(self.root / "caisse.sqlite3"),
            Mailboxes(self.root / "mail"),
            CaisseConfig(**settings),  # type: ignore[arg-type]
            self.rights,
            self.keys,
        )

    def send(self, caisse: Caisse, *lots: LotContent) -> None:
        for item in lots:
            outgoing = OutgoingLot.of(item, CAISSE)
            caisse.receive(outgoing.message_id, CABINET, [CAISSE], outgoing.message(CABINET))
        caisse.process_pending()

    def mail(self) -> list[Arl | ReturnStatement]:
        """Documents delivered since the last call (the POP3 server serves these files)."""
        box = Mailboxes(self.root / "mail").open(CABINET)
        documents = []
        for key in sorted(box.keys()):
            if key in self.seen:
                continue
            self.seen.add(key)
            [attachment] = read_mail(box.get_bytes(key)).attachments
            documents.append(read_document(attachment.data))
        return documents

    def arls(self) -> list[Arl]:
        return [d for d in self.mail() if isinstance(d, Arl)]


@pytest.fixture
def desk(tmp_path: Path, rights: RightsDirectory, keys: SignatureKeys) -> Desk:
    return Desk(tmp_path, rights, keys)


def record(number: str = "000000001", template: int = 1, **changes: object) -> InvoiceRecord:
    """Template 1: consultation G under tiers payant AMO, 30.00 → AMO 21.00 requested."""
    base = priced_record(
        number,
        draft=TEMPLATES[template],
        care_date=CARE,
        **MARTIN,
        signer=SIGN,  # type: ignore[arg-type]
    )
    return sign_record(replace(base, **changes), SIGN) if changes else base


def fse(*invoices: InvoiceRecord, number: int = 1) -> LotContent:
    return LotContent(
        LotRef(PS, CREATED, number),
        LotKind.FSE,
        Destination(DestinationKind.AMO, ORGANISME),
        invoices=invoices or (record(),),
    )


def codes(arl: Arl) -> list[str]:
    return [reason.code for reason in arl.reasons]


# ----------------------------------------------------------------------------------- ARL


def test_a_good_lot_gets_a_positive_arl_then_is_paid_after_the_delay(desk: Desk) -> None:
    caisse = desk.caisse(delay_days=2)
    desk.send(caisse, fse())
    [arl] = desk.arls()
    assert arl.status is ArlStatus.POSITIVE
    assert arl.lot == LotRef(PS, CREATED, 1) and arl.invoice_count == 1
    assert arl.received_on == TODAY and arl.issuer == ORGANISME
    # Returns are due 2 days after reception (5 March + 2 = 7 March), not before.
    assert caisse.release(until=TODAY + timedelta(days=1)) == (0, 0)
    assert caisse.release(until=TODAY + timedelta(days=2)) == (1, 1)
    [statement] = desk.mail()
    assert isinstance(statement, ReturnStatement)
    [line] = statement.lines
    assert (line.status, line.requested, line.paid) == (PaymentStatus.PAID, D("21.00"), D("21.00"))
    assert line.lot == arl.lot and line.invoice_number == "000000001"
    assert statement.transfer_reference.startswith("VIR") and statement.total_paid == D("21.00")


def test_an_invoice_secured_by_both_cards_is_accepted_when_signatures_are_checked(
    desk: Desk,
) -> None:
    # SESAM-Vitale: a secured FSE carries the CPS's and the carte Vitale's signatures of the
    # contenu signé (lot.md §3 SIG); the caisse verifies both, the Vitale's under the key of
    # the card the lot names (vitale_famille is Martin's card).
    caisse = desk.caisse(check_signatures=True)
    desk.send(caisse, fse(secure_record(record(secure_mode="securise"))))
    [arl] = desk.arls()
    assert arl.status is ArlStatus.POSITIVE and not arl.reasons


def test_a_resent_lot_is_acknowledged_once_and_never_paid_twice(desk: Desk) -> None:
    caisse = desk.caisse()
    desk.send(caisse, fse(), fse(), fse())
    assert len(desk.arls()) == 1
    caisse.release()
    caisse.release()
    [statement] = desk.mail()
    assert [line.paid for line in statement.lines] == [D("21.00")]


def test_a_lot_without_tiers_payant_gets_no_payment_line(desk: Desk) -> None:
    caisse = desk.caisse()
    desk.send(caisse, fse(record(template=0)))  # G paid by the patient: nothing to pay the PS
    assert desk.arls()[0].positive
    assert caisse.release() == (0, 0)


@pytest.mark.parametrize(
    ("invoice", "code"),
    [
        (lambda: record(care_date=date(2026, 3, 9)), "A13"),  # after reception (5 March)
        (lambda: replace(record(), cps_signature=b""), "A14"),
        (lambda: replace(record(), cps_signature=b"\x00" * 32), "A15"),
        # Signed, then altered: the signed content no longer says what the FAC says.
        (lambda: replace(record(), total=D("31.00"), patient=D("10.00")), "A15"),
        (lambda: replace(record(), signed_content=b""), "A15"),  # nothing to verify over
        (lambda: record(secure_mode="securise"), "A16"),  # no Vitale signature
        # Secured, but the Vitale's signature is not its card's over the contenu signé…
        (lambda: replace(secure_record(record(secure_mode="securise")),
                         vitale_signature=b"\x00" * 32), "A16"),
        # … or it is the card of another assuré (vitale_ald: Jacques MOREAU).
        (lambda: secure_record(record(secure_mode="securise"), "vitale_ald"), "A16"),
        # … or the lot does not say which card signed.
        (lambda: replace(secure_record(record(secure_mode="securise")), vitale_serial=""),
         "A16"),
        (lambda: record(organisme="018415623"), "A12"),  # patient of the Vaucluse CPAM
    ],
)
def test_lot_problems_give_a_negative_arl_that_says_why(
    desk: Desk, invoice: object, code: str
) -> None:
    caisse = desk.caisse(check_signatures=True)
    desk.send(caisse, fse(invoice()))  # type: ignore[operator]
    [arl] = desk.arls()
    assert arl.status is ArlStatus.NEGATIVE
    assert code in codes(arl)
    assert all(reason.label for reason in arl.reasons)
    assert caisse.release() == (0, 0)  # nothing of a refused lot is processed


def test_a_wrong_professional_number_or_destination_refuses_the_lot(desk: Desk) -> None:
    caisse = desk.caisse()
    wrong_key = replace(fse(), ref=LotRef("751000127", CREATED, 1))
    wrong_regime = replace(fse(number=2), destination=Destination(DestinationKind.AMO, "117519881"))
    desk.send(caisse, wrong_key, wrong_regime)
    assert [codes(arl) for arl in desk.arls()] == [["A10"], ["A11", "A12"]]


def test_a_corrected_lot_is_accepted_after_a_negative_arl_but_not_after_a_positive(
    desk: Desk,
) -> None:
    caisse = desk.caisse()
    desk.send(caisse, fse(record(care_date=date(2026, 3, 9))))
    desk.send(caisse, fse(record()))  # same lot number, fixed content
    first, second = desk.arls()
    assert (first.status, second.status) == (ArlStatus.NEGATIVE, ArlStatus.POSITIVE)
    desk.send(caisse, fse(record(), record("000000002")))  # same number, other content
    [conflict] = desk.arls()
    assert codes(conflict) == ["A17"]


def test_an_unreadable_lot_is_refused_and_identified_by_its_message(desk: Desk) -> None:
    caisse = desk.caisse()
    outgoing = OutgoingLot.of(fse(), CAISSE)
    raw = outgoing.message(CABINET)
    # Alter the lot inside the mail (base64 of the attachment): the SHA-256 no longer matches.
    lines = raw.split(b"\r\n")
    index = max(i for i, line in enumerate(lines) if len(line) == 76)
    lines[index] = (
        lines[index][:10] + (b"A" if lines[index][10:11] != b"A" else b"B") + lines[index][11:]
    )
    corrupt = b"\r\n".join(lines)
    caisse.receive(outgoing.message_id, CABINET, [CAISSE], corrupt)
    caisse.receive(outgoing.message_id, CABINET, [CAISSE], corrupt)  # same again: once
    caisse.receive("<other@x>", CABINET, [CAISSE], b"Subject: hello\r\n\r\nno lot\r\n")
    caisse.process_pending()
    altered, empty = desk.arls()
    assert altered.lot == LotRef(PS, CREATED, 1) and altered.status is ArlStatus.NEGATIVE
    assert codes(altered) in (["A01"], ["A02"])
    assert empty.lot is None and codes(empty) == ["A05"] and empty.message_ref == "<other@x>"


def test_scor_lots_check_format_and_resolution(desk: Desk) -> None:
    caisse = desk.caisse()
    scan = ScorPiece("000000001", "image/jpeg", 300, b"\xff\xd8\xff\xe0 jpeg")
    low = ScorPiece("000000002", "image/jpeg", 100, b"\xff\xd8\xff\xe0 jpeg")
    fake = ScorPiece("000000003", "application/pdf", 300, b"GIF89a")
    amo = Destination(DestinationKind.AMO, ORGANISME)
    good = LotContent(LotRef(PS, CREATED, 5), LotKind.SCOR, amo, pieces=(scan,))
    bad = LotContent(LotRef(PS, CREATED, 6), LotKind.SCOR, amo, pieces=(low, fake))
    desk.send(caisse, good, bad)
    accepted, refused = desk.arls()
    assert accepted.positive and accepted.invoice_count == 1
    assert codes(refused) == ["A21", "A20"]
    assert [r.invoice_number for r in refused.reasons] == ["000000002", "000000003"]


# ------------------------------------------------------------------------------ returns


def released_lines(desk: Desk, caisse: Caisse) -> dict[str, tuple[PaymentStatus, Decimal, str]]:
    caisse.release()
    return {
        line.invoice_number: (line.status, line.paid, line.reason.code if line.reason else "")
        for document in desk.mail()
        if isinstance(document, ReturnStatement)
        for line in document.lines
    }


def test_invoice_checks_reject_in_the_payment_returns(desk: Desk) -> None:
    caisse = desk.caisse()
    mispriced = record("000000005")
    # Totals that add up (25 = 17.50 + 7.50) but the draft prices a G at 30.00.
    act = replace(mispriced.acts[0], honoraires=D("25.00"), base=D("25.00"), amo=D("17.50"))
    mispriced = sign_record(
        replace(
            mispriced,
            acts=(act,),
            total=D("25.00"),
            amo=D("17.50"),
            patient=D("7.50"),
            requested=D("17.50"),
        ),
        SIGN,
    )
    invoices = (
        record("000000001", nir="178047511501218"),  # key 17 expected
        record("000000002", birth_date="19780413"),  # MARTIN exists, not born that day
        record("000000003", care_date=date(2024, 6, 3)),  # rights start 2025-01-01
        record("000000004", amo=D("22.00")),  # acts say 21.00
        mispriced,
        record("000000006"),
    )
    desk.send(caisse, fse(*invoices))
    assert desk.arls()[0].positive
    lines = released_lines(desk, caisse)
    assert {number: code for number, (_, _, code) in lines.items()} == {
        "000000001": "R01",
        "000000002": "R02",
        "000000003": "R03",
        "000000004": "R04",
        "000000005": "R05",
        "000000006": "",
    }
    assert lines["000000006"][:2] == (PaymentStatus.PAID, D("21.00"))
    assert all(status is PaymentStatus.REJECTED for status, _, code in lines.values() if code)


def test_an_invoice_already_accepted_is_rejected_in_any_other_lot(desk: Desk) -> None:
    caisse = desk.caisse()
    desk.send(caisse, fse(record("000000001"), number=1))
    desk.send(caisse, fse(record("000000001"), record("000000002"), number=2))
    lines = {}
    caisse.release()
    for document in desk.mail():
        if isinstance(document, ReturnStatement):
            for line in document.lines:
                lines.setdefault(line.invoice_number, []).append((line.status, line.paid))
    assert lines["000000001"] == [(PaymentStatus.PAID, D("21.00")), (PaymentStatus.REJECTED, 0)]
    assert lines["000000002"] == [(PaymentStatus.PAID, D("21.00"))]


def test_a_rejected_invoice_may_be_sent_again_and_paid_once(desk: Desk) -> None:
    caisse = desk.caisse()
    desk.send(caisse, fse(record("000000001", amo=D("22.00")), number=1))
    desk.send(caisse, fse(record("000000001"), number=2))
    desk.send(caisse, fse(record("000000001"), number=3))
    paid = [row for row in caisse.state.invoices() if row["outcome"] == "paid"]
    assert [(row["number"], row["lot_id"]) for row in paid] == [
        ("000000001", "751000126-20260303-002")
    ]


def test_random_rejects_and_partial_payments_follow_the_rates(desk: Desk) -> None:
    rejecting = desk.caisse(reject_rate=1.0)
    desk.send(rejecting, fse(record()))
    [(status, paid, code)] = released_lines(desk, rejecting).values()
    assert status is PaymentStatus.REJECTED and code in {"R10", "R11", "R12", "R13"}


def test_partial_payment_deducts_the_last_act_or_half(desk: Desk) -> None:
    caisse = desk.caisse(partial_rate=1.0)
    # Template 2: AMI 4.5 (base 14.18, 60 % → 8.51) + IFD (2.75, 60 % → 1.65): 10.16 requested;
    # the last act's 1.65 is deducted → 8.51 paid (P01).
    nurse = record("000000001", template=2)
    # Template 1: one act G, 21.00 requested → half deducted → 10.50 paid (P02).
    gp = record("000000002", template=1)
    desk.send(caisse, fse(nurse, gp))
    lines = released_lines(desk, caisse)
    assert lines["000000001"] == (PaymentStatus.PARTIAL, D("8.51"), "P01")
    assert lines["000000002"] == (PaymentStatus.PARTIAL, D("10.50"), "P02")


def test_late_payments_come_after_the_extra_delay(desk: Desk) -> None:
    caisse = desk.caisse(late_rate=1.0, delay_days=2, late_days=20)
    desk.send(caisse, fse())
    assert caisse.release(until=TODAY + timedelta(days=21)) == (0, 0)
    assert caisse.release(until=TODAY + timedelta(days=22)) == (1, 1)


def test_draws_are_the_same_after_a_restart(desk: Desk, tmp_path: Path) -> None:
    invoices = tuple(record(f"{n:09d}") for n in range(1, 41))
    first = desk.caisse(reject_rate=0.3, partial_rate=0.3, seed=7)
    desk.send(first, fse(*invoices))
    outcomes = [(row["number"], row["outcome"]) for row in first.state.invoices()]
    other = Desk(tmp_path / "other", desk.rights, desk.keys)
    second = other.caisse(reject_rate=0.3, partial_rate=0.3, seed=7)
    other.send(second, fse(*invoices))
    assert [(row["number"], row["outcome"]) for row in second.state.invoices()] == outcomes
    assert {outcome for _, outcome in outcomes} == {"paid", "partial", "rejected"}


# ----------------------------------------------------------------------- crash and faults


def test_a_mail_kept_before_a_crash_is_processed_at_restart(desk: Desk) -> None:
    caisse = desk.caisse()
    outgoing = OutgoingLot.of(fse(), CAISSE)
    caisse.receive(outgoing.message_id, CABINET, [CAISSE], outgoing.message(CABINET))
    caisse.state.close()  # killed here: kept (250 sent or not), not processed
    restarted = desk.caisse()
    assert restarted.process_pending() == 1
    assert [arl.status for arl in desk.arls()] == [ArlStatus.POSITIVE]
    assert restarted.process_pending() == 0


def test_undelivered_mail_is_delivered_at_restart_without_copies(desk: Desk) -> None:
    caisse = desk.caisse()
    outgoing = OutgoingLot.of(fse(), CAISSE)
    caisse.receive(outgoing.message_id, CABINET, [CAISSE], outgoing.message(CABINET))
    [inbound] = caisse.state.unprocessed()
    with caisse.state.transaction() as db:  # processed, but killed before delivery
        caisse._process(db, inbound)  # noqa: SLF001
        db.execute("UPDATE inbound SET processed = 1 WHERE id = ?", (inbound.id,))
    [pending] = caisse.state.undelivered()
    caisse.mailboxes.deliver(pending.mailbox, pending.name, pending.raw)  # file written…
    restarted = desk.caisse()  # …killed before it was marked delivered
    assert restarted.deliver() == 1
    assert len(desk.arls()) == 1  # the same file name: replaced, not doubled


def test_faults_refuse_a_lot_and_corrupt_the_next_files(desk: Desk) -> None:
    caisse = desk.caisse()
    caisse.faults.arm("arl_negative")
    desk.send(caisse, fse(number=1))
    assert codes(desk.arls()[0]) == ["A99"]
    caisse.faults.arm("corrupt_arl")
    desk.send(caisse, fse(number=2))
    box = Mailboxes(desk.root / "mail").open(CABINET)
    newest = max(box.keys())
    [attachment] = read_mail(box.get_bytes(newest)).attachments
    with pytest.raises(TransmissionFormatError):
        read_document(attachment.data)


def test_invoices_are_stored_with_their_draft_priced_again(desk: Desk) -> None:
    # The synthetic invoice carries its docs/formats/price.md draft; the caisse agrees with it.
    invoice = record()
    assert json.loads(invoice.draft)["date_soins"] == "2026-03-02"
    caisse = desk.caisse()
    desk.send(caisse, fse(invoice))
    assert released_lines(desk, caisse)["000000001"][2] == ""


def test_act_lines_keep_ccam_codes(desk: Desk) -> None:
    ccam = ActLine(
        date=CARE,
        nomenclature=Nomenclature.CCAM,
        code="DEQP003",
        quantity=1,
        coefficient=D("1"),
        honoraires=D("14.52"),
        base=D("14.52"),
        rate=D("70.00"),
        amo=D("10.16"),
        amc=D("0.00"),
        modifiers="F",
    )
    invoice = sign_record(
        replace(
            record(),
            acts=(ccam,),
            total=D("14.52"),
            amo=D("10.16"),
            patient=D("4.36"),
            participations=D("0.00"),
            requested=D("10.16"),
            draft="",
        ),
        SIGN,
    )
    caisse = desk.caisse()
    desk.send(caisse, fse(invoice))
    assert desk.arls()[0].positive
    assert released_lines(desk, caisse)["000000001"] == (PaymentStatus.PAID, D("10.16"), "")


def test_a_simulator_bug_on_one_mail_does_not_block_the_others(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openfse.simulators.caisse.caisse as module

    real = module.lot_problems

    def broken_for_lot_1(lot: LotContent, context: object) -> object:
        if lot.ref.number == 1:
            raise RuntimeError("bug")
        return real(lot, context)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "lot_problems", broken_for_lot_1)
    caisse = desk.caisse()
    desk.send(caisse, fse(record("000000001"), number=1), fse(record("000000002"), number=2))
    broken, fine = desk.arls()
    assert codes(broken) == ["A98"] and broken.lot == LotRef(PS, CREATED, 1)
    assert fine.positive and caisse.state.unprocessed() == []
