"""Properties of the transmission formats: every value round-trips, and every parser of an
incoming file, fed anything (damaged files, files re-sealed around damaged records, random
bytes, random mails), returns a value or raises ``TransmissionFormatError`` — nothing else."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openfse.adapters.transmission import arl_file, lot_file, returns_file
from openfse.adapters.transmission.documents import read_document
from openfse.adapters.transmission.errors import TransmissionFormatError
from openfse.adapters.transmission.framing import seal
from openfse.adapters.transmission.lot_file import LotFile
from openfse.adapters.transmission.mail import LOT_SUBTYPE, MailAttachment, compose, read_mail
from openfse.domain.pricing.codes import Exo, Nomenclature
from openfse.domain.transmission import (
    MAX_INVOICES_PER_LOT,
    ActLine,
    Arl,
    ArlStatus,
    Destination,
    DestinationKind,
    InvoiceRecord,
    LotContent,
    LotKind,
    LotRef,
    PaymentReturn,
    PaymentStatus,
    PendingItem,
    Reason,
    ReturnStatement,
    ScorPiece,
    plan_lots,
)
from openfse.simulators.caisse.caisse import Caisse, CaisseConfig
from openfse.simulators.caisse.checks import RightsDirectory, SignatureKeys
from openfse.simulators.caisse.mailboxes import Mailboxes
from openfse.simulators.caisse.state import State

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------------- values


def digits(size: int, high: int | None = None) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=size, max_size=high or size)


def regex(pattern: str) -> st.SearchStrategy[str]:
    return st.from_regex(pattern, fullmatch=True)


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
cents = st.integers(0, 9_999_999_999).map(lambda c: Decimal(c).scaleb(-2))
small_cents = st.integers(0, 100_000).map(lambda c: Decimal(c).scaleb(-2))
rates = st.integers(0, 10_000).map(lambda c: Decimal(c).scaleb(-2))
coefficients = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(1000), places=3)
nirs = regex(r"[0-9]{5}[0-9AB][0-9]{9}")
# One-line human text: letters (accents included), digits, punctuation and the characters our
# escaping must protect; no control character, no blank at either end.
clean = (
    st.text(
        st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters="\x85\u2028\u2029")
        | st.sampled_from("|%"),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)
signatures = st.binary(max_size=64)
drafts = st.one_of(
    st.just(""),
    st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=12), max_size=4).map(
        lambda d: json.dumps(d, ensure_ascii=False)
    ),
)


@st.composite
def act_lines(draw: st.DrawFn) -> ActLine:
    nomenclature = draw(st.sampled_from(Nomenclature))
    code = draw(
        regex(r"[A-Z]{4}[0-9]{3}" if nomenclature is Nomenclature.CCAM else r"[A-Z0-9]{1,8}")
    )
    return ActLine(
        date=draw(days),
        nomenclature=nomenclature,
        code=code,
        quantity=draw(st.integers(1, 9999)),
        coefficient=draw(coefficients),
        honoraires=draw(small_cents),
        base=draw(small_cents),
        rate=draw(rates),
        amo=draw(small_cents),
        amc=draw(small_cents),
        modifiers=draw(regex(r"[A-Z0-9]{0,4}")),
        activity=draw(st.integers(1, 5)),
        phase=draw(st.integers(0, 9)),
        exo=draw(st.sampled_from(["", *(exo.value for exo in Exo)])),
    )


@st.composite
def invoices(draw: st.DrawFn, number: str | None = None) -> InvoiceRecord:
    return InvoiceRecord(
        number=number or draw(digits(9)),
        nir=draw(nirs),
        birth_date=draw(digits(8)),
        rang=draw(st.integers(1, 9)),
        organisme=draw(digits(9)),
        care_date=draw(days),
        invoiced_on=draw(days),
        secure_mode=draw(
            st.sampled_from(["securise", "desynchronise", "degrade", "sesam_sans_vitale"])
        ),
        tiers_payant_amo=draw(st.booleans()),
        tiers_payant_amc=draw(st.booleans()),
        acts=tuple(draw(st.lists(act_lines(), min_size=1, max_size=3))),
        total=draw(cents),
        amo=draw(cents),
        amc=draw(cents),
        patient=draw(cents),
        participations=draw(small_cents),
        requested=draw(cents),
        cps_signature=draw(signatures),
        vitale_signature=draw(signatures),
        qualite=draw(digits(2)),
        amc_number=draw(st.just("") | digits(7, 10)),
        draft=draw(drafts),
        signed_content=draw(st.binary(max_size=300)),  # the contenu signé travels as is
        vitale_serial=draw(st.just("") | digits(1, 20)),  # lot version 3: the signing card
    )


refs = st.builds(LotRef, digits(9), days, st.integers(1, 999))
pieces = st.builds(
    ScorPiece,
    digits(9),
    regex(r"[a-z]{1,10}/[a-z0-9.+-]{1,20}"),
    st.integers(1, 9999),
    st.binary(min_size=1, max_size=200),
)


@st.composite
def lots(draw: st.DrawFn) -> LotContent:
    kind = draw(st.sampled_from(LotKind))
    ref = draw(refs)
    if kind is LotKind.SCOR:
        return LotContent(
            ref,
            kind,
            Destination(DestinationKind.AMO, draw(digits(9))),
            pieces=tuple(draw(st.lists(pieces, min_size=1, max_size=3))),
        )
    numbers = draw(st.lists(digits(9), min_size=1, max_size=4, unique=True))
    destination = (
        Destination(DestinationKind.AMO, draw(digits(9)))
        if kind is LotKind.FSE
        else Destination(DestinationKind.AMC, draw(digits(7, 10)))
    )
    return LotContent(
        ref, kind, destination, invoices=tuple(draw(invoices(number)) for number in numbers)
    )


reasons = st.builds(Reason, regex(r"[A-Z0-9]{1,8}"), clean, st.just("") | digits(9))
line_reasons = st.builds(Reason, regex(r"[A-Z0-9]{1,8}"), clean)


@st.composite
def arls(draw: st.DrawFn) -> Arl:
    status = draw(st.sampled_from(ArlStatus))
    lot = draw(st.none() | refs)
    return Arl(
        reference=draw(regex(r"[A-Za-z0-9._-]{1,40}")),
        issuer=draw(digits(7, 10)),
        received_on=draw(days),
        status=status,
        lot=lot,
        lot_sha256=draw(st.just("") | regex(r"[0-9a-f]{64}")),
        message_ref=draw(clean if lot is None else st.just("") | clean),
        invoice_count=draw(st.integers(0, 50)),
        reasons=tuple(
            draw(st.lists(reasons, min_size=1, max_size=4)) if status is ArlStatus.NEGATIVE else ()
        ),
    )


@st.composite
def payment_lines(draw: st.DrawFn, ps: str) -> PaymentReturn:
    status = draw(st.sampled_from(PaymentStatus))
    requested = draw(st.integers(2, 1_000_000))
    paid = {
        PaymentStatus.PAID: requested,
        PaymentStatus.PARTIAL: draw(st.integers(1, requested - 1)),
        PaymentStatus.REJECTED: 0,
    }[status]
    return PaymentReturn(
        lot=LotRef(ps, draw(days), draw(st.integers(1, 999))),
        invoice_number=draw(digits(9)),
        nir=draw(nirs),
        care_date=draw(days),
        status=status,
        requested=Decimal(requested).scaleb(-2),
        paid=Decimal(paid).scaleb(-2),
        payment_date=None if status is PaymentStatus.REJECTED else draw(days),
        reason=None if status is PaymentStatus.PAID else draw(line_reasons),
    )


@st.composite
def statements(draw: st.DrawFn) -> ReturnStatement:
    ps = draw(digits(9))
    lines = tuple(draw(st.lists(payment_lines(ps), min_size=1, max_size=5)))
    paid = any(line.paid for line in lines)
    return ReturnStatement(
        reference=draw(regex(r"[A-Za-z0-9._-]{1,40}")),
        issuer=draw(digits(7, 10)),
        ps_number=ps,
        issued_on=draw(days),
        transfer_reference=draw(regex(r"[A-Za-z0-9._-]{1,40}")) if paid else "",
        lines=lines,
    )


# ------------------------------------------------------------------------------ round trips


@ROUND_TRIP
@given(lots())
def test_lot_files_round_trip(lot: LotContent) -> None:
    built = LotFile.build(lot)
    parsed = LotFile.parse(built.data)
    assert parsed.content == lot
    assert parsed.sha256 == built.sha256


@ROUND_TRIP
@given(arls())
def test_arl_files_round_trip(arl: Arl) -> None:
    assert arl_file.parse_arl(arl_file.serialise_arl(arl)) == arl


@ROUND_TRIP
@given(statements())
def test_return_files_round_trip(statement: ReturnStatement) -> None:
    assert returns_file.parse_returns(returns_file.serialise_returns(statement)) == statement


# ----------------------------------------------------------------------------------- fuzzing

PARSERS = (lot_file.parse_lot, arl_file.parse_arl, returns_file.parse_returns, read_document)


def parses_or_refuses(parser: object, data: bytes) -> object | None:
    """The parser's value, or None when it raised the typed error (anything else fails)."""
    try:
        return parser(data)  # type: ignore[operator]
    except TransmissionFormatError as problem:
        assert problem.message and problem.code.startswith("transmission.")
        return None


@st.composite
def damaged(draw: st.DrawFn, files: st.SearchStrategy[bytes]) -> bytes:
    data = bytearray(draw(files))
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        if action == "flip" and data:
            data[position] ^= draw(st.integers(1, 255))
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=4))
        elif action == "delete":
            del data[position : position + draw(st.integers(1, 8))]
        else:
            del data[position:]
    return bytes(data)


@st.composite
def resealed(draw: st.DrawFn, files: st.SearchStrategy[bytes]) -> bytes:
    """A file whose records were damaged, then sealed again with a right count and SHA-256:
    this reaches the record and field checks behind the frame."""
    text = draw(files).decode("utf-8")
    header = text.split("\n")[0].split("|")
    records = [line.split("|") for line in text.split("\n")[1:-2]]
    for _ in range(draw(st.integers(1, 3))):
        if not records:
            break
        index = draw(st.sampled_from(range(len(records))))  # uniform, not biased to 0
        record = records[index]
        action = draw(st.sampled_from(["field", "drop_field", "add_field", "dup", "drop", "swap"]))
        if action == "field":
            position = draw(st.integers(0, len(record) - 1))
            record[position] = draw(
                st.text(max_size=12).map(lambda t: t.replace("\n", "").replace("|", ""))
                | st.sampled_from(["", "0", "-1", "999999999999", "00000000", "2A", "%", "%7C"])
            )
        elif action == "drop_field" and len(record) > 1:
            record.pop(draw(st.integers(0, len(record) - 1)))
        elif action == "add_field":
            record.append(draw(st.text("0123456789", max_size=3)))
        elif action == "dup":
            records.insert(index, list(record))
        elif action == "drop":
            records.pop(index)
        elif len(records) > 1:
            other = draw(st.integers(0, len(records) - 1))
            records[index], records[other] = records[other], records[index]
    return seal(header[0], int(header[1]), records)


lot_bytes = lots().map(lot_file.serialise_lot)
arl_bytes = arls().map(arl_file.serialise_arl)
rsp_bytes = statements().map(returns_file.serialise_returns)
any_file = lot_bytes | arl_bytes | rsp_bytes


@FUZZ
@given(damaged(any_file))
def test_damaged_files_parse_or_raise_the_typed_error(data: bytes) -> None:
    for parser in PARSERS:
        parses_or_refuses(parser, data)


@FUZZ
@given(resealed(any_file))
def test_resealed_damaged_records_parse_or_raise_the_typed_error(data: bytes) -> None:
    for parser in PARSERS:
        value = parses_or_refuses(parser, data)
        if isinstance(value, LotContent):  # what is accepted writes and reads back the same
            assert lot_file.parse_lot(lot_file.serialise_lot(value)) == value


@FUZZ
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_random_bytes_parse_or_raise_the_typed_error(data: bytes) -> None:
    for parser in PARSERS:
        assert parses_or_refuses(parser, data) is None or data.startswith(b"OPENFSE-")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_any_mail_reads_or_raises_the_typed_error(data: bytes) -> None:
    try:
        mail = read_mail(data)
    except TransmissionFormatError:
        return
    assert isinstance(mail.attachments, tuple)


# ------------------------------------------------------------------------------ lot planning

AMO = [Destination(DestinationKind.AMO, code) for code in ("017519881", "018415623")]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["751000126", "921000345"]), st.sampled_from(AMO)), max_size=130
    ),
    st.integers(0, 999),
)
def test_planned_lots_hold_everything_once_and_number_per_professional(
    keys: list[tuple[str, Destination]], last: int
) -> None:
    template = InvoiceRecord(
        number="000000001", nir="178047511501217", birth_date="19780412", rang=1,
        organisme="017519881", care_date=date(2026, 3, 2), invoiced_on=date(2026, 3, 2),
        secure_mode="degrade", tiers_payant_amo=False, tiers_payant_amc=False,
        acts=(ActLine(date(2026, 3, 2), Nomenclature.NGAP, "G", 1, Decimal(1), Decimal("30.00"),
                      Decimal("30.00"), Decimal("70.00"), Decimal("21.00"), Decimal("0.00")),),
        total=Decimal("30.00"), amo=Decimal("21.00"), amc=Decimal("0.00"),
        patient=Decimal("9.00"), participations=Decimal("0.00"), requested=Decimal("0.00"),
        cps_signature=b"s",
    )  # fmt: skip
    pending = [
        PendingItem(ps, LotKind.FSE, destination, _numbered(template, index))
        for index, (ps, destination) in enumerate(keys)
    ]
    lots = plan_lots(pending, created_on=date(2026, 3, 3), last_numbers={"751000126": last})
    placed = [invoice.number for lot in lots for invoice in lot.invoices]
    assert sorted(placed) == sorted(item.item.number for item in pending)  # type: ignore[union-attr]
    assert all(1 <= len(lot.invoices) <= MAX_INVOICES_PER_LOT for lot in lots)
    for ps, start in (("751000126", last), ("921000345", 0)):
        numbers = [lot.ref.number for lot in lots if lot.ref.ps_number == ps]
        expected = [(start + offset) % 999 + 1 for offset in range(len(numbers))]
        assert numbers == expected
    for lot in lots:  # one professional, one destination per lot, invoices in sending order
        group = [
            item.item.number  # type: ignore[union-attr]
            for item in pending
            if (item.ps_number, item.destination) == (lot.ref.ps_number, lot.destination)
        ]
        numbers = [invoice.number for invoice in lot.invoices]
        assert numbers == group[group.index(numbers[0]) : group.index(numbers[0]) + len(numbers)]


def _numbered(template: InvoiceRecord, index: int) -> InvoiceRecord:
    from dataclasses import replace

    return replace(template, number=f"{index + 1:09d}")


# --------------------------------------------------------------------- the caisse's side


def _caisse(directory: Path) -> Caisse:
    return Caisse(
        State(directory / "caisse.sqlite3"),
        Mailboxes(directory / "mail"),
        CaisseConfig(reject_rate=0.2, partial_rate=0.2, today=date(2026, 3, 5)),
        _RIGHTS,
        SignatureKeys({}),
    )


_RIGHTS = RightsDirectory.shipped()
MAIL_HEAD = b"From: desk@openfse.test\r\nMessage-ID: <fuzz@openfse>\r\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lot_bytes | damaged(lot_bytes) | resealed(lot_bytes), min_size=1, max_size=3))
def test_the_caisse_answers_whatever_arrives_with_one_arl_per_mail(files: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        caisse = _caisse(Path(directory))
        for data in files:
            outgoing = compose(
                sender="desk@openfse.test",
                recipient="cpam@caisse.test",
                subject="lot",
                message_id="<fuzz@openfse>",
                attachment=MailAttachment("x.lot", LOT_SUBTYPE, data),
            )
            caisse.receive("<fuzz@openfse>", "desk@openfse.test", ["cpam@caisse.test"], outgoing)
        caisse.receive("", "desk@openfse.test", ["c@d.test"], MAIL_HEAD + files[0][:50])
        assert caisse.process_pending() == len(files) + 1
        caisse.release()
        box = caisse.mailboxes.open("desk@openfse.test")
        mails = [read_mail(box.get_bytes(key)) for key in box.iterkeys()]
        documents = [read_document(mail.attachments[0].data) for mail in mails]
        arls = [d for d in documents if isinstance(d, Arl)]
        assert 1 <= len(arls) <= len(files) + 1  # the same lot twice is acknowledged once
        assert not any(r.code == "A98" for arl in arls for r in arl.reasons)  # no internal error
        paid = Counter(
            (line.lot.ps_number, line.invoice_number)
            for d in documents
            if isinstance(d, ReturnStatement)
            for line in d.lines
            if line.paid
        )
        assert all(count == 1 for count in paid.values())  # never paid twice
        caisse.state.close()
