"""The card side of openfse's APDU profile: a test chip answering command APDUs.

:class:`ApduCard` wraps a chip of :mod:`openfse.simulators.cards.model` and answers the
commands of :mod:`openfse.adapters.cards.apdu_profile` (docs/formats/card-apdu.md) with ISO
7816-4 status words. It is the card inside both transports: the in-process simulator calls
:meth:`ApduCard.process` directly, the vpcd emulator receives the same bytes from pcscd.
It never raises on bad input: every byte string gets a status word back.
"""

from __future__ import annotations

from collections.abc import Callable

from openfse.adapters.cards import apdu_profile as p
from openfse.adapters.cards.codec import card_to_json
from openfse.domain.cards import PIN_LENGTH, UNBLOCK_CODE_LENGTH, CardKind, InvalidPinFormat
from openfse.simulators.cards.model import (
    Chip,
    CpsChip,
    PinBlocked,
    PinNotVerified,
    Verdict,
    VitaleChip,
)

__all__ = ["ApduCard"]

_AID = {CardKind.CPS: p.AID_CPS, CardKind.VITALE: p.AID_VITALE}
_ATR = {CardKind.CPS: p.ATR_CPS, CardKind.VITALE: p.ATR_VITALE}


def _sw(sw: int, data: bytes = b"") -> bytes:
    return data + sw.to_bytes(2, "big")


class ApduCard:
    """A test chip behind an APDU interface."""

    def __init__(self, chip: Chip) -> None:
        self.chip = chip
        self._content_file = p.tlv_wrap(card_to_json(chip.content))
        self._application_selected = False
        self._current_ef: bytes | None = None
        self._handlers: dict[int, Callable[[p.Command], bytes]] = {
            p.INS_SELECT: self._select,
            p.INS_READ_BINARY: self._read_binary,
        }
        if isinstance(chip, CpsChip):
            self._handlers |= {
                p.INS_VERIFY: self._verify,
                p.INS_RESET_RETRY_COUNTER: self._reset_retry_counter,
                p.INS_INTERNAL_AUTHENTICATE: self._internal_authenticate,
            }
        else:  # the carte Vitale signs the invoices it secures, without a code
            self._handlers[p.INS_INTERNAL_AUTHENTICATE] = self._vitale_authenticate

    @property
    def atr(self) -> bytes:
        return _ATR[self.chip.kind]

    def power_off(self) -> None:
        """Removal, power down or reset: RAM state (code porteur, selection) is lost."""
        self.chip.power_cycle()
        self._application_selected = False
        self._current_ef = None

    power_on = reset = power_off

    def process(self, apdu: bytes) -> bytes:
        try:
            command = p.parse_command(apdu)
        except p.MalformedApdu:
            return _sw(p.SW_WRONG_LENGTH)
        if command.cla != p.CLA:
            return _sw(p.SW_CLA_NOT_SUPPORTED)
        handler = self._handlers.get(command.ins)
        if handler is None:
            return _sw(p.SW_INS_NOT_SUPPORTED)
        return handler(command)

    # ------------------------------------------------------------------ files

    def _select(self, c: p.Command) -> bytes:
        if c.p1 == p.P1_SELECT_AID:
            if c.data != _AID[self.chip.kind]:
                return _sw(p.SW_NOT_FOUND)  # selection unchanged on failure (ISO 7816-4)
            self._application_selected = True
            self._current_ef = None
            return _sw(p.SW_OK)
        if c.p1 == p.P1_SELECT_FILE:
            if len(c.data) != 2:
                return _sw(p.SW_WRONG_LENGTH)
            if not self._application_selected:
                return _sw(p.SW_NO_CURRENT_EF)
            if int.from_bytes(c.data, "big") != p.EF_CONTENT:
                return _sw(p.SW_NOT_FOUND)
            self._current_ef = self._content_file
            return _sw(p.SW_OK)
        return _sw(p.SW_INCORRECT_P1P2)

    def _read_binary(self, c: p.Command) -> bytes:
        if self._current_ef is None:
            return _sw(p.SW_NO_CURRENT_EF)
        if c.p1 & 0x80:  # short EF identifiers are not part of the profile
            return _sw(p.SW_INCORRECT_P1P2)
        if c.le is None or c.data:
            return _sw(p.SW_WRONG_LENGTH)
        offset = (c.p1 << 8) | c.p2
        if offset >= len(self._current_ef):
            return _sw(p.SW_OFFSET_OUT_OF_FILE)
        chunk = self._current_ef[offset : offset + c.le]
        return _sw(p.SW_OK if len(chunk) == c.le else p.SW_END_OF_FILE, chunk)

    # ------------------------------------------------------------------ CPS security

    def _cps(self, c: p.Command, p1: int, p2: int) -> CpsChip | bytes:
        """The CPS chip when the command may run, else the status word refusing it."""
        if (c.p1, c.p2) != (p1, p2):
            return _sw(p.SW_INCORRECT_P1P2)
        if not self._application_selected:
            return _sw(p.SW_NO_CURRENT_EF)
        assert isinstance(self.chip, CpsChip)
        return self.chip

    def _verify(self, c: p.Command) -> bytes:
        chip = self._cps(c, 0x00, p.P2_PIN_REFERENCE)
        if isinstance(chip, bytes):
            return chip
        left = chip.pin_tries_left()
        if left <= 0:
            return _sw(p.SW_AUTH_BLOCKED)
        if not c.data:  # status query: ISO 7816-4 answers 9000 when already verified
            return _sw(p.SW_OK if chip.verified else p.SW_TRIES_LEFT | left)
        if len(c.data) != PIN_LENGTH:
            return _sw(p.SW_WRONG_LENGTH)
        check = chip.verify_pin(c.data.decode("latin-1"))
        if check.verdict is Verdict.ACCEPTED:
            return _sw(p.SW_OK)
        return _sw(p.SW_TRIES_LEFT | check.tries_left)  # 63C0: this code just blocked it

    def _reset_retry_counter(self, c: p.Command) -> bytes:
        chip = self._cps(c, p.P1_RESET_CODE_AND_PIN, p.P2_PIN_REFERENCE)
        if isinstance(chip, bytes):
            return chip
        if chip.unblock_tries_left() <= 0:
            return _sw(p.SW_AUTH_BLOCKED)
        if len(c.data) != UNBLOCK_CODE_LENGTH + PIN_LENGTH:
            return _sw(p.SW_WRONG_LENGTH)
        code = c.data[:UNBLOCK_CODE_LENGTH].decode("latin-1")
        new_pin = c.data[UNBLOCK_CODE_LENGTH:].decode("latin-1")
        try:
            check = chip.unblock(code, new_pin)
        except InvalidPinFormat:
            return _sw(p.SW_WRONG_DATA)
        if check.verdict is Verdict.ACCEPTED:
            return _sw(p.SW_OK)
        return _sw(p.SW_TRIES_LEFT | check.tries_left)

    def _internal_authenticate(self, c: p.Command) -> bytes:
        chip = self._cps(c, 0x00, 0x00)
        if isinstance(chip, bytes):
            return chip
        if len(c.data) != p.DIGEST_LENGTH:
            return _sw(p.SW_WRONG_LENGTH)
        try:
            return _sw(p.SW_OK, chip.sign(c.data))
        except PinBlocked:
            return _sw(p.SW_AUTH_BLOCKED)
        except PinNotVerified:
            return _sw(p.SW_SECURITY_NOT_SATISFIED)

    # ------------------------------------------------------------------ Vitale

    def _vitale_authenticate(self, c: p.Command) -> bytes:
        if (c.p1, c.p2) != (0x00, 0x00):
            return _sw(p.SW_INCORRECT_P1P2)
        if not self._application_selected:
            return _sw(p.SW_NO_CURRENT_EF)
        if len(c.data) != p.DIGEST_LENGTH:
            return _sw(p.SW_WRONG_LENGTH)
        assert isinstance(self.chip, VitaleChip)
        return _sw(p.SW_OK, self.chip.sign(c.data))
