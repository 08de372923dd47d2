"""The three wire formats: exact bytes of the documented examples, round trips, and the
precise error (with its line number) for every kind of damage."""

from __future__ import annotations

from dataclasses import replace

import pytest
from transmission_samples import arl, invoice, lot, paid_line, scor_lot, statement

from openfse.adapters.transmission import arl_file, returns_file
from openfse.adapters.transmission.documents import read_document
from openfse.adapters.transmission.errors import (
    ChecksumMismatch,
    TransmissionFormatError,
    TruncatedFile,
    UnknownFormat,
    UnsupportedVersion,
)
from openfse.adapters.transmission.framing import seal
from openfse.adapters.transmission.lot_file import (
    LotFile,
    parse_lot,
    serialise_lot,
)
from openfse.adapters.transmission.signed_content import disagreements, signed_document
from openfse.domain.transmission import ScorPiece

DRAFT = (
    '{"acts": [{"code": "G"}], "date_soins": "2026-03-02", "profession": "medecin", '
    '"tiers_payant": {"amo": true}}'
)

# The contenu signé of the example (docs/formats/lot.md §3 SIG): what the CPS signed.
SIGNED = (
    b'{"amc":"0.00","amo":"21.00","date":"2026-03-02","mode":"sesam_sans_vitale",'
    b'"nir":"178047511501217","numero":"000000123","total":"30.00"}'
)
SIGNED_B64 = (
    b"eyJhbWMiOiIwLjAwIiwiYW1vIjoiMjEuMDAiLCJkYXRlIjoiMjAyNi0wMy0wMiIsIm1vZGUiOiJzZX"
    b"NhbV9zYW5zX3ZpdGFsZSIsIm5pciI6IjE3ODA0NzUxMTUwMTIxNyIsIm51bWVybyI6IjAwMDAwMDEyMyIsInRvdG"
    b"FsIjoiMzAuMDAifQ=="
)
# Version 3: the 4th field names the carte Vitale that signed (empty: sesam sans Vitale).
SIG_LINE = b"SIG|AQID||" + SIGNED_B64 + b"|\n"
LOT_BODY = (
    b"LOT|751000126|20260303|007|FSE|AMO|017519881|1|0\n"
    b"FAC|000000123|178047511501217|19780412|1|00|017519881||20260302|20260302|sesam_sans_vitale"
    b"|1|0|1|30.00|21.00|0.00|9.00|2.00|21.00\n"
    b"ACT|20260302|NGAP|G|1|1||1|0||30.00|30.00|70.00|21.00|0.00\n"
    b"TAR|eyJhY3RzIjogW3siY29kZSI6ICJHIn1dLCAiZGF0ZV9zb2lucyI6ICIyMDI2LTAzLTAyIiwgInByb2Zlc3Npb24i"
    b"OiAibWVkZWNpbiIsICJ0aWVyc19wYXlhbnQiOiB7ImFtbyI6IHRydWV9fQ==\n"
)

# docs/formats/lot.md, « Example »: the sample consultation G with its draft.
LOT_EXAMPLE = (
    b"OPENFSE-LOT|3\n"
    + LOT_BODY
    + SIG_LINE
    + b"FIN|5|f4cdd56606e278350790867618e4539d97b144b11b5d94ec9586f5fdd8c7b9bf\n"
)
# The same lot as version 2 wrote it (3 SIG fields): still read, lots keep their bytes.
LOT_V2_EXAMPLE = (
    b"OPENFSE-LOT|2\n"
    + LOT_BODY
    + b"SIG|AQID||" + SIGNED_B64 + b"\n"
    + b"FIN|5|41af212b3224109625019eed8b030fc0dea6378e558a28921fecbc00a00d4417\n"
)

ARL_EXAMPLE = (
    "OPENFSE-ARL|1\n"
    "ARL|ARL20260305000001|017519881|20260305|NEGATIF|751000126|20260303|007|" + "ab" * 32 + "|"
    "<lot.751000126-20260303-007.abababababababab@openfse>|1|1\n"
    "MOT|A13|000000123|Lot transmis en avance %7C soins du 2026-03-09\n"
    "FIN|2|89e145ecc92d41320218836cbeb2713acc5108ee65cc7b8928b08a6b648a8bfe\n"
).encode()

RSP_EXAMPLE = (
    "OPENFSE-RSP|1\n"
    "REL|RSP20260307000001|017519881|751000126|20260307|VIR20260307000001|2|21.00\n"
    "PAI|20260303|007|000000123|178047511501217|20260302|PAYE|21.00|21.00|20260307||\n"
    "PAI|20260303|007|000000124|178047511501217|20260302|REJETE|21.00|0.00||R03|"
    "Droits AMO fermés à la date des soins\n"
    "FIN|3|f6681836f189e426ad345b3f62d6c28fb587f0965b2114ab470099a509900f46\n"
).encode()


def reseal(data: bytes, edit: dict[int, str | None]) -> bytes:
    """The file with some record lines replaced (None: removed), checksum made right again, so
    that the field-level checks are reached. Keys are line numbers (the header is line 1)."""
    lines = data.decode().split("\n")[1:-2]
    kept = []
    for number, line in enumerate(lines, start=2):
        new = edit.get(number, line)
        if new is not None:
            kept.append([new])
    header = data.decode().split("\n")[0].split("|")
    return seal(header[0], int(header[1]), kept)


def error_of(parse: object, data: bytes) -> TransmissionFormatError:
    with pytest.raises(TransmissionFormatError) as caught:
        parse(data)  # type: ignore[operator]
    return caught.value


# ------------------------------------------------------------------------------------- lots


def test_the_documented_lot_example_is_exactly_what_is_written() -> None:
    sample = lot(invoice(draft=DRAFT, signed_content=SIGNED))
    assert serialise_lot(sample) == LOT_EXAMPLE
    assert parse_lot(LOT_EXAMPLE) == sample
    assert LotFile.build(sample).sha256 == (
        "f4cdd56606e278350790867618e4539d97b144b11b5d94ec9586f5fdd8c7b9bf"
    )


def test_a_version_2_lot_is_still_read() -> None:
    # A lot built before version 3 is resent with its own bytes (lot.md §1): same invoice.
    assert parse_lot(LOT_V2_EXAMPLE) == lot(invoice(draft=DRAFT, signed_content=SIGNED))


def test_a_secured_invoice_carries_the_vitale_signature_and_its_card() -> None:
    # lot.md §3 SIG, version 3: the carte Vitale's signature and the serial of that card.
    secured = invoice(secure_mode="securise", signed_content=SIGNED,
                      vitale_signature=b"\x07" * 32, vitale_serial="0100000001")
    data = serialise_lot(lot(secured))
    assert b"|0100000001\n" in data
    assert parse_lot(data) == lot(secured)


def test_scor_lots_round_trip_with_their_pieces() -> None:
    sample = scor_lot(
        ScorPiece("000000123", "application/pdf", 300, b"%PDF-1.4\n"),
        ScorPiece("000000124", "image/jpeg", 150, b"\xff\xd8\xff\xe0 scan"),
    )
    assert parse_lot(serialise_lot(sample)) == sample


def test_the_signed_content_must_say_what_the_fac_line_says() -> None:
    # lot.md §3 SIG: the insurer compares the contenu signé with the FAC line; the example's
    # content is the sample's own, and an invoice altered after signing shows where.
    sample = invoice(draft=DRAFT)
    assert signed_document(sample) == SIGNED
    assert disagreements(SIGNED, sample) == []
    altered = replace(sample, total=invoice().total + 1, amo=invoice().amo + 1)
    assert disagreements(SIGNED, altered) == ["total", "part AMO"]
    assert disagreements(SIGNED, replace(sample, number="000000124")) == ["numéro de facture"]
    assert disagreements(b"\xff not json", sample) == ["contenu signé illisible"]
    assert disagreements(b'["a list"]', sample) == ["contenu signé illisible"]
    assert disagreements(SIGNED.replace(b'"30.00"', b'"sNaN"'), sample) == ["total"]


@pytest.mark.parametrize(
    ("damage", "kind", "line", "words"),
    [
        (lambda d: d[:-1], TruncatedFile, 7, "pas terminée"),
        (lambda d: d[: d.index(b"FIN|")], TruncatedFile, 6, "FIN absente"),
        (lambda d: d.replace(SIG_LINE, b""), TruncatedFile, 6, "5 enregistrements"),
        (
            lambda d: d.replace(b"30.00|21.00|0.00|9", b"30.00|22.00|0.00|9"),
            ChecksumMismatch,
            7,
            "altéré",
        ),
        (
            lambda d: d.replace(b"OPENFSE-LOT|3", b"OPENFSE-LOT|1"),
            UnsupportedVersion,
            1,
            "version 1",
        ),
        (lambda d: ARL_EXAMPLE, UnknownFormat, 1, "OPENFSE-ARL"),
        (lambda d: b"", TruncatedFile, 1, "vide"),
        (lambda d: d.replace(b"\n", b"\r\n"), TransmissionFormatError, 1, "retour chariot"),
        (lambda d: d.replace(b"19780412", b"1978\xff412"), ChecksumMismatch, 7, "altéré"),
    ],
)
def test_damaged_lot_files_are_refused_saying_where(
    damage: object, kind: type[Exception], line: int, words: str
) -> None:
    problem = error_of(parse_lot, damage(LOT_EXAMPLE))  # type: ignore[operator]
    assert type(problem) is kind
    assert problem.line == line
    assert words in problem.message
    assert problem.message.startswith(f"Ligne {line} : ")


@pytest.mark.parametrize(
    ("edit", "line", "words"),
    [
        (
            {
                3: LOT_EXAMPLE.decode()
                .split("\n")[2]
                .replace("20260302|20260302", "20260231|20260302")
            },
            3,
            "champ 8 (date des soins) : date AAAAMMJJ, reçu « 20260231 »",
        ),
        (
            {3: LOT_EXAMPLE.decode().split("\n")[2].replace("sesam_sans_vitale", "papier")},
            3,
            "Mode de sécurisation : valeur « papier » inconnue",
        ),
        (
            {4: "ACT|20260302|NGAP|G|1|1||1|0||30.00|30.00|70.00|21.00"},
            4,
            "ACT : 14 champs attendus, 13 trouvés",
        ),
        (
            {4: "ACT|20260302|NGAP|G|1|1||1|0||30|30.00|70.00|21.00|0.00"},
            4,
            "champ 10 (honoraires) : montant 0.00",
        ),
        ({6: None}, 6, "« SIG » manquant avant FIN"),
        ({5: "SIG|AQID|||"}, 6, "« SIG » en trop"),
        ({6: "SIG|AQJ=|||"}, 6, "base64 canonique"),
        ({6: "SIG|AQID|"}, 6, "SIG : 4 champs attendus, 2 trouvés"),
        ({6: "SIG|AQID||e30|"}, 6, "champ 3 (contenu signé)"),
        ({6: "SIG|AQID|||01A"}, 6, "champ 4 (carte Vitale)"),
        ({2: "LOT|751000126|20260303|007|DRE|AMO|017519881|1|0"}, 2, "DRE va à un organisme AMC"),
        ({2: "LOT|751000126|20260303|007|FSE|AMO|017519881|2|0"}, 7, "« FAC » manquant"),
        ({5: "TAR|bm90IGpzb24="}, 3, "objet JSON attendu"),
    ],
)
def test_field_errors_name_the_line_and_the_field(
    edit: dict[int, str | None], line: int, words: str
) -> None:
    problem = error_of(parse_lot, reseal(LOT_EXAMPLE, edit))
    assert problem.line == line
    assert words in problem.message, problem.message


def test_a_piece_must_match_its_size_and_digest() -> None:
    data = serialise_lot(scor_lot())
    piece = data.decode().split("\n")[2]
    fields = piece.split("|")
    wrong_size = "|".join([*fields[:4], "31", *fields[5:]])
    wrong_digest = "|".join([*fields[:5], "0" * 64, fields[6]])
    assert "31 octets annoncés" in error_of(parse_lot, reseal(data, {3: wrong_size})).message
    assert "empreinte" in error_of(parse_lot, reseal(data, {3: wrong_digest})).message


# -------------------------------------------------------------------------------------- ARL


def test_the_documented_arl_example_round_trips_with_escaped_text() -> None:
    assert arl_file.serialise_arl(arl()) == ARL_EXAMPLE
    assert arl_file.parse_arl(ARL_EXAMPLE) == arl()
    assert read_document(ARL_EXAMPLE) == arl()


def test_an_arl_may_identify_only_the_message() -> None:
    unreadable = arl(lot=None, lot_sha256="", invoice_count=0)
    assert arl_file.parse_arl(arl_file.serialise_arl(unreadable)) == unreadable


def test_arl_text_escapes_are_strict() -> None:
    line = ARL_EXAMPLE.decode().split("\n")[2]
    problem = error_of(arl_file.parse_arl, reseal(ARL_EXAMPLE, {3: line.replace("%7C", "%7c")}))
    assert problem.line == 3 and "échappement" in problem.message


# ------------------------------------------------------------------------------- returns


def test_the_documented_returns_example_round_trips() -> None:
    assert returns_file.serialise_returns(statement()) == RSP_EXAMPLE
    assert returns_file.parse_returns(RSP_EXAMPLE) == statement()
    assert read_document(RSP_EXAMPLE) == statement()


def test_the_statement_total_is_checked_against_its_lines() -> None:
    head = RSP_EXAMPLE.decode().split("\n")[1].replace("|21.00", "|42.00")
    problem = error_of(returns_file.parse_returns, reseal(RSP_EXAMPLE, {2: head}))
    assert problem.line == 2
    assert "total annoncé 42,00 €, somme des lignes 21,00 €" in problem.message


def test_a_payment_line_inconsistent_with_its_status_is_refused_at_its_line() -> None:
    line = RSP_EXAMPLE.decode().split("\n")[2].replace("PAYE|21.00|21.00", "PAYE|21.00|20.00")
    head = RSP_EXAMPLE.decode().split("\n")[1].replace("|21.00", "|20.00")
    problem = error_of(returns_file.parse_returns, reseal(RSP_EXAMPLE, {2: head, 3: line}))
    assert problem.line == 3 and "Payée" in problem.message


def test_partial_lines_round_trip() -> None:
    from decimal import Decimal

    from openfse.domain.transmission import PaymentStatus, Reason

    partial = paid_line(
        status=PaymentStatus.PARTIAL, paid=Decimal("10.50"), reason=Reason("P02", "Base | 50 %")
    )
    sample = statement(partial)
    assert returns_file.parse_returns(returns_file.serialise_returns(sample)) == sample


def test_unknown_incoming_files_are_refused() -> None:
    problem = error_of(read_document, LOT_EXAMPLE)
    assert isinstance(problem, UnknownFormat) and "OPENFSE-ARL ou OPENFSE-RSP" in problem.message
    assert error_of(read_document, b"\x00\xff garbage").line == 1
