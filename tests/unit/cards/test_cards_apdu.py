"""The APDU profile (docs/formats/card-apdu.md) on the card side: status words, one by one.

Each test sends raw command APDUs to an emulated test card (no reader involved) and checks
the ISO 7816-4 status word the profile documents.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfse.adapters.cards import apdu_profile as p
from openfse.simulators.cards.apdu import ApduCard
from openfse.simulators.cards.model import CardStateStore

MakeCard = Callable[..., ApduCard]


def sw(response: bytes) -> int:
    return p.split_response(response)[1]


def verify(card: ApduCard, pin: bytes) -> int:
    return sw(card.process(p.command(p.INS_VERIFY, 0, 0x80, pin)))


def unblock(card: ApduCard, code: bytes, new_pin: bytes) -> int:
    return sw(card.process(p.command(p.INS_RESET_RETRY_COUNTER, 0, 0x80, code + new_pin)))


def authenticate(card: ApduCard, digest: bytes = b"\x01" * 32) -> bytes:
    return card.process(p.command(p.INS_INTERNAL_AUTHENTICATE, 0, 0, digest, 32))


@pytest.fixture
def cps(apdu_card: MakeCard) -> ApduCard:
    card = apdu_card("cps_titulaire")
    assert sw(card.process(p.select_aid(p.AID_CPS))) == 0x9000
    return card


# --------------------------------------------------------------------------- profile encoding


def test_atr_offers_t0_and_t1_and_carries_a_valid_tck() -> None:
    atr = p.ATR_CPS
    assert atr[:4] == bytes.fromhex("3B8B8001")
    assert atr[4:-1] == b"OPENFSE-CPS"
    check = 0
    for byte in atr[1:]:
        check ^= byte
    assert check == 0  # T0..TCK XOR to zero (ISO 7816-3)
    with pytest.raises(ValueError):
        p.build_atr(b"x" * 16)


@pytest.mark.parametrize(
    ("apdu", "expected"),
    [
        ("00A40400", p.Command(0, 0xA4, 4, 0)),
        ("00B0010000", p.Command(0, 0xB0, 1, 0, le=256)),
        ("00200080021234", p.Command(0, 0x20, 0, 0x80, b"\x12\x34")),
        ("0088000002AABB20", p.Command(0, 0x88, 0, 0, b"\xaa\xbb", 32)),
    ],
)
def test_the_four_apdu_cases_decode(apdu: str, expected: p.Command) -> None:
    assert p.parse_command(bytes.fromhex(apdu)) == expected


@pytest.mark.parametrize("apdu", ["", "00A404", "00A4040003AABB", "00A40400000102", "00A4040002AA"])
def test_malformed_apdus_are_refused(apdu: str) -> None:
    with pytest.raises(p.MalformedApdu):
        p.parse_command(bytes.fromhex(apdu))


@given(
    ins=st.integers(0, 255),
    p1=st.integers(0, 255),
    p2=st.integers(0, 255),
    data=st.binary(max_size=255),
    le=st.none() | st.integers(1, 256),
)
def test_command_encoding_round_trips(
    ins: int, p1: int, p2: int, data: bytes, le: int | None
) -> None:
    assert p.parse_command(p.command(ins, p1, p2, data, le)) == p.Command(0, ins, p1, p2, data, le)


@given(st.binary(max_size=70000))
def test_tlv_length_is_read_back_from_the_header(value: bytes) -> None:
    wrapped = p.tlv_wrap(value)
    header, length = p.tlv_length(wrapped[:4])
    assert length == len(value)
    assert wrapped[header:] == value


@given(st.binary(max_size=300))
def test_the_card_answers_any_bytes_with_a_status_word(apdu_bytes: bytes) -> None:
    # A fuzzed APDU never crashes the card: there is always a documented status word.
    from openfse.simulators.cards.model import CardCatalog, make_chip

    card = ApduCard(make_chip(CardCatalog().get("cps_titulaire"), CardStateStore()))
    response = card.process(apdu_bytes)
    assert len(response) >= 2
    assert response[-2] in (0x90, 0x62, 0x63, 0x67, 0x69, 0x6A, 0x6B, 0x6D, 0x6E)


def test_tries_left_reads_63cx_only() -> None:
    assert p.tries_left(0x63C2) == 2
    assert p.tries_left(0x63C0) == 0
    assert p.tries_left(0x9000) is None
    assert p.tries_left(0x6983) is None


# --------------------------------------------------------------------------- selection and files


def test_select_by_aid_answers_only_for_the_card_application(apdu_card: MakeCard) -> None:
    vitale = apdu_card("vitale_famille")
    assert sw(vitale.process(p.select_aid(p.AID_CPS))) == 0x6A82
    assert sw(vitale.process(p.select_aid(p.AID_VITALE))) == 0x9000
    assert sw(vitale.process(p.command(p.INS_SELECT, 0x01, 0x0C, b"\x3f\x00"))) == 0x6A86


def test_files_need_an_application_then_a_file(apdu_card: MakeCard) -> None:
    card = apdu_card("vitale_famille")
    assert sw(card.process(p.read_binary(0, 16))) == 0x6986  # nothing selected
    assert sw(card.process(p.select_file(p.EF_CONTENT))) == 0x6986  # no application yet
    card.process(p.select_aid(p.AID_VITALE))
    assert sw(card.process(p.select_file(0x2F00))) == 0x6A82
    assert sw(card.process(p.command(p.INS_SELECT, 2, 0x0C, b"\xc0"))) == 0x6700
    assert sw(card.process(p.select_file(p.EF_CONTENT))) == 0x9000


def test_read_binary_serves_the_content_tlv_in_chunks(apdu_card: MakeCard) -> None:
    card = apdu_card("vitale_famille")
    card.process(p.select_aid(p.AID_VITALE))
    card.process(p.select_file(p.EF_CONTENT))
    first = card.process(p.read_binary(0, 256))
    assert sw(first) == 0x9000 and len(first) == 258
    header, length = p.tlv_length(first[:4])
    total = header + length
    assert total > 256  # the family card needs several chunks
    last_offset = total - 10
    tail = card.process(p.read_binary(last_offset, 256))
    assert sw(tail) == 0x6282 and len(tail) == 12  # 10 bytes then "end of file reached"
    assert sw(card.process(p.read_binary(total, 16))) == 0x6B00
    assert sw(card.process(p.command(p.INS_READ_BINARY, 0x81, 0, le=16))) == 0x6A86  # SFI
    assert sw(card.process(p.command(p.INS_READ_BINARY, 0, 0))) == 0x6700  # no Le


def test_unknown_instruction_and_class(cps: ApduCard, apdu_card: MakeCard) -> None:
    assert sw(cps.process(bytes.fromhex("00CA9F7F00"))) == 0x6D00
    assert sw(cps.process(bytes.fromhex("00A4040C000102"))) == 0x6700  # extended APDU
    assert sw(cps.process(bytes.fromhex("80A40400"))) == 0x6E00
    assert sw(cps.process(b"\x00")) == 0x6700
    vitale = apdu_card("vitale_famille")
    assert sw(vitale.process(p.command(p.INS_VERIFY, 0, 0x80, b"1234"))) == 0x6D00


def test_the_vitale_signs_a_digest_without_a_code(apdu_card: MakeCard) -> None:
    vitale = apdu_card("vitale_famille")
    authenticate = p.command(p.INS_INTERNAL_AUTHENTICATE, 0, 0, b"\x01" * 32, 32)
    assert sw(vitale.process(authenticate)) == 0x6986  # no application selected
    assert sw(vitale.process(p.select_aid(p.AID_VITALE))) == 0x9000
    answer = vitale.process(authenticate)
    assert sw(answer) == 0x9000 and len(answer) == 34
    short = p.command(p.INS_INTERNAL_AUTHENTICATE, 0, 0, b"\x01" * 31, 32)
    assert sw(vitale.process(short)) == 0x6700


# --------------------------------------------------------------------------- code porteur


def test_three_wrong_codes_count_down_then_block(cps: ApduCard) -> None:
    assert verify(cps, b"0000") == 0x63C2
    assert verify(cps, b"0000") == 0x63C1
    assert verify(cps, b"0000") == 0x63C0  # this third wrong code blocks the card
    assert verify(cps, b"1234") == 0x6983  # then even the right code is refused
    assert sw(cps.process(p.command(p.INS_VERIFY, 0, 0x80))) == 0x6983


def test_the_right_code_resets_the_counter(cps: ApduCard) -> None:
    assert verify(cps, b"0000") == 0x63C2
    assert sw(cps.process(p.command(p.INS_VERIFY, 0, 0x80))) == 0x63C2  # status query
    assert verify(cps, b"1234") == 0x9000
    assert sw(cps.process(p.command(p.INS_VERIFY, 0, 0x80))) == 0x9000  # already verified
    cps.power_off()
    assert sw(cps.process(p.select_aid(p.AID_CPS))) == 0x9000
    assert sw(cps.process(p.command(p.INS_VERIFY, 0, 0x80))) == 0x63C3


def test_verify_checks_length_and_reference(cps: ApduCard, apdu_card: MakeCard) -> None:
    assert verify(cps, b"12345") == 0x6700  # no try consumed
    assert sw(cps.process(p.command(p.INS_VERIFY, 0, 0x81, b"1234"))) == 0x6A86
    assert sw(cps.process(p.command(p.INS_VERIFY, 0, 0x80))) == 0x63C3
    fresh = apdu_card("cps_titulaire")  # application not selected
    assert verify(fresh, b"1234") == 0x6986


def test_unblock_with_the_code_de_deblocage(apdu_card: MakeCard) -> None:
    card = apdu_card("cps_bloquee")
    card.process(p.select_aid(p.AID_CPS))
    assert verify(card, b"1111") == 0x6983
    assert unblock(card, b"00000000", b"2580") == 0x63C9  # 10 unblock tries, 9 left
    assert unblock(card, b"87654321", b"25a0") == 0x6A80  # new code not 4 digits
    assert unblock(card, b"8765432", b"2580") == 0x6700
    assert unblock(card, b"87654321", b"2580") == 0x9000
    assert verify(card, b"1111") == 0x63C2  # the old code is gone, counter back to 3
    assert verify(card, b"2580") == 0x9000


def test_ten_wrong_unblock_codes_make_the_card_unusable(apdu_card: MakeCard) -> None:
    card = apdu_card("cps_bloquee")
    card.process(p.select_aid(p.AID_CPS))
    statuses = [unblock(card, b"00000000", b"2580") for _ in range(10)]
    assert statuses[0] == 0x63C9 and statuses[-2] == 0x63C1 and statuses[-1] == 0x63C0
    assert unblock(card, b"87654321", b"2580") == 0x6983  # even the right code: too late


# --------------------------------------------------------------------------- signature


def test_signing_needs_the_code_porteur_in_this_power_session(cps: ApduCard) -> None:
    digest = hashlib.sha256(b"FSE 000000001").digest()
    assert sw(authenticate(cps, digest)) == 0x6982
    verify(cps, b"1234")
    response = authenticate(cps, digest)
    assert sw(response) == 0x9000
    key = bytes.fromhex("946faa8fc5316139e3e5e34002c672528c31bb528839ca28037849bf077d1c2d")
    assert response[:-2] == hmac.new(key, digest, hashlib.sha256).digest()
    assert sw(authenticate(cps, b"short")) == 0x6700
    assert sw(cps.process(p.command(p.INS_INTERNAL_AUTHENTICATE, 1, 0, digest, 32))) == 0x6A86
    cps.power_off()  # card pulled out and back in: RAM state lost
    cps.process(p.select_aid(p.AID_CPS))
    assert sw(authenticate(cps, digest)) == 0x6982


def test_a_wrong_code_also_locks_signing(cps: ApduCard) -> None:
    verify(cps, b"1234")
    assert sw(authenticate(cps)) == 0x9000
    verify(cps, b"9999")
    assert sw(authenticate(cps)) == 0x6982


def test_a_blocked_card_refuses_to_sign(apdu_card: MakeCard) -> None:
    card = apdu_card("cps_bloquee")
    card.process(p.select_aid(p.AID_CPS))
    assert sw(authenticate(card)) == 0x6983
