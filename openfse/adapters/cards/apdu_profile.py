"""openfse's own APDU profile for its test CPS and Vitale cards (docs/formats/card-apdu.md).

The real CPS and Vitale command sets are not public (GIE SESAM-Vitale "diffusion restreinte",
docs/protocols.md §0), so openfse defines a small ISO 7816-4 profile of its own, spoken by the card
emulator (:mod:`openfse.simulators.cards.apdu`) and by the PC/SC reader
(:mod:`openfse.adapters.cards.pcsc`). Both sides import this module: the constants and the
encoders below are the single definition of the wire format.

Commands (short APDUs, CLA 00):

========================  ==================================  ================================
command                   C-APDU                              success / errors
========================  ==================================  ================================
SELECT application        ``00 A4 04 0C Lc AID``              9000 / 6A82 unknown AID
SELECT file               ``00 A4 02 0C 02 FID``              9000 / 6A82 / 6986 no app
READ BINARY               ``00 B0 offset(15 bits) Le``        data 9000 / 6282 end / 6B00
VERIFY (code porteur)     ``00 20 00 80 04 'dddd'``           9000 / 63Cx x tries / 6983
VERIFY status             ``00 20 00 80``                     9000 verified / 63Cx / 6983
RESET RETRY COUNTER       ``00 2C 00 80 0C code(8) pin(4)``   9000 / 63Cx / 6983 / 6A80
INTERNAL AUTHENTICATE     ``00 88 00 00 20 sha256 00``        HMAC(32) 9000 / 6982 / 6983
========================  ==================================  ================================

The content file of each application holds the card data as JSON (UTF-8) inside one BER-TLV
(tag ``53``, discretionary data), so a reader learns the file length from the first bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AID_CPS",
    "AID_VITALE",
    "ATR_CPS",
    "ATR_VITALE",
    "CLA",
    "EF_CONTENT",
    "Command",
    "MalformedApdu",
    "build_atr",
    "command",
    "parse_command",
    "read_binary",
    "select_aid",
    "select_file",
    "split_response",
    "tlv_length",
    "tlv_wrap",
    "tries_left",
]

CLA = 0x00

INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0
INS_VERIFY = 0x20
INS_RESET_RETRY_COUNTER = 0x2C
INS_INTERNAL_AUTHENTICATE = 0x88

P1_SELECT_AID = 0x04  # select by DF name (AID)
P1_SELECT_FILE = 0x02  # select EF under the current DF by file identifier
P2_SELECT_NO_DATA = 0x0C  # no FCI returned
P2_PIN_REFERENCE = 0x80  # specific (application) reference of the code porteur
P1_RESET_CODE_AND_PIN = 0x00  # data = resetting code followed by the new reference data

# Proprietary, unregistered AIDs (ISO 7816-5 category F): they can never be confused with the
# real CPS / Vitale applications (RID D2 50 …), so openfse never mistakes a real card for a
# test card nor sends test commands to a real one.
AID_CPS = b"\xf0OFSE-CPS"
AID_VITALE = b"\xf0OFSE-VITALE"
EF_CONTENT = 0xC001  # the content file (JSON-in-TLV) of both applications
TAG_CONTENT = 0x53  # BER-TLV "discretionary data"

SIGNATURE_LENGTH = 32  # HMAC-SHA256
DIGEST_LENGTH = 32  # SHA-256 of the data to sign, computed by the host

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282  # fewer bytes than Le: end of file reached
SW_TRIES_LEFT = 0x63C0  # | x: verification failed, x tries left
SW_WRONG_LENGTH = 0x6700
SW_SECURITY_NOT_SATISFIED = 0x6982  # code porteur not verified in this card session
SW_AUTH_BLOCKED = 0x6983  # counter at zero
SW_NO_CURRENT_EF = 0x6986
SW_WRONG_DATA = 0x6A80
SW_NOT_FOUND = 0x6A82
SW_INCORRECT_P1P2 = 0x6A86
SW_OFFSET_OUT_OF_FILE = 0x6B00
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00

SHORT_LE_MAX = 256  # Le = 00 means 256 in a short APDU


class MalformedApdu(ValueError):
    """Bytes that are not a short command APDU."""


@dataclass(frozen=True, slots=True)
class Command:
    """A decoded short command APDU (ISO 7816-4 cases 1 to 4)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None  # expected length, 1..256; None when absent


def command(
    ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None, cla: int = CLA
) -> bytes:
    """Encode a short command APDU."""
    if len(data) > 255:
        raise MalformedApdu(f"short APDU data limited to 255 bytes, got {len(data)}")
    if le is not None and not 1 <= le <= SHORT_LE_MAX:
        raise MalformedApdu(f"Le must be 1..256, got {le}")
    apdu = bytes((cla, ins, p1, p2))
    if data:
        apdu += bytes((len(data),)) + data
    if le is not None:
        apdu += bytes((le % SHORT_LE_MAX,))
    return apdu


def parse_command(apdu: bytes) -> Command:
    """Decode a short command APDU, or raise :class:`MalformedApdu`."""
    if len(apdu) < 4:
        raise MalformedApdu("an APDU has at least 4 bytes")
    cla, ins, p1, p2 = apdu[:4]
    body = apdu[4:]
    if not body:  # case 1
        return Command(cla, ins, p1, p2)
    if len(body) == 1:  # case 2: Le only
        return Command(cla, ins, p1, p2, le=body[0] or SHORT_LE_MAX)
    lc = body[0]
    if lc == 0:
        raise MalformedApdu("extended APDUs are not part of the profile")
    if len(body) == 1 + lc:  # case 3
        return Command(cla, ins, p1, p2, data=body[1:])
    if len(body) == 2 + lc:  # case 4
        return Command(cla, ins, p1, p2, data=body[1 : 1 + lc], le=body[-1] or SHORT_LE_MAX)
    raise MalformedApdu(f"Lc={lc} does not match the {len(body) - 1} bytes that follow")


def split_response(rapdu: bytes) -> tuple[bytes, int]:
    """``(data, SW1SW2)`` of a response APDU."""
    if len(rapdu) < 2:
        raise MalformedApdu("a response APDU ends with two status bytes")
    return rapdu[:-2], (rapdu[-2] << 8) | rapdu[-1]


def tries_left(sw: int) -> int | None:
    """``x`` of a ``63Cx`` status word, ``None`` for any other status."""
    return sw & 0x0F if sw & 0xFFF0 == SW_TRIES_LEFT else None


def select_aid(aid: bytes) -> bytes:
    return command(INS_SELECT, P1_SELECT_AID, P2_SELECT_NO_DATA, aid)


def select_file(fid: int) -> bytes:
    return command(INS_SELECT, P1_SELECT_FILE, P2_SELECT_NO_DATA, fid.to_bytes(2, "big"))


def read_binary(offset: int, length: int) -> bytes:
    """READ BINARY of ``length`` (1..256) bytes at a 15-bit ``offset`` of the current EF."""
    if not 0 <= offset <= 0x7FFF:
        raise MalformedApdu(f"offset {offset} does not fit in 15 bits")
    return command(INS_READ_BINARY, offset >> 8, offset & 0xFF, le=length)


# --------------------------------------------------------------------------- TLV


def tlv_wrap(value: bytes, tag: int = TAG_CONTENT) -> bytes:
    """One BER-TLV with a one-byte tag and a definite length (short or long form)."""
    n = len(value)
    if n < 0x80:
        length = bytes((n,))
    elif n <= 0xFF:
        length = bytes((0x81, n))
    elif n <= 0xFFFF:
        length = bytes((0x82,)) + n.to_bytes(2, "big")
    else:
        raise ValueError(f"TLV value too long for a card file: {n} bytes")
    return bytes((tag,)) + length + value


def tlv_length(head: bytes, tag: int = TAG_CONTENT) -> tuple[int, int]:
    """``(header length, value length)`` from the first bytes (at least 4) of a TLV."""
    if len(head) < 2 or head[0] != tag:
        raise MalformedApdu(f"expected tag {tag:02X}")
    first = head[1]
    if first < 0x80:
        return 2, first
    count = first & 0x7F
    if count not in (1, 2) or len(head) < 2 + count:
        raise MalformedApdu("unsupported TLV length encoding")
    return 2 + count, int.from_bytes(head[2 : 2 + count], "big")


# --------------------------------------------------------------------------- ATR


def build_atr(historical: bytes) -> bytes:
    """An ATR offering T=0 and T=1 (the ``3B 8x 80 01`` shape verified with
    pcscd + vpcd), with up to 15 historical bytes and the TCK checksum T=1 requires."""
    if len(historical) > 15:
        raise ValueError("an ATR holds at most 15 historical bytes")
    body = bytes((0x80 | len(historical), 0x80, 0x01)) + historical
    tck = 0
    for byte in body:
        tck ^= byte
    return bytes((0x3B,)) + body + bytes((tck,))


ATR_CPS = build_atr(b"OPENFSE-CPS")
ATR_VITALE = build_atr(b"OPENFSE-VITALE")
