"""PC/SC card reader (pyscard), speaking openfse's APDU profile.

:class:`PcscCardReader` is the reader logic of :class:`ApduCardReader` over the PC/SC slots the
``pcscd`` daemon exposes, through pyscard 2.3 (LGPL-2.1, the ``cards`` extra; it needs
``libpcsclite-dev`` to build and a running ``pcscd``). It reads and signs
with cards that implement the profile of docs/formats/card-apdu.md: openfse's test cards run by
the vpcd emulator (:mod:`openfse.simulators.cards.vpcd`). Real CPS and Vitale cards answer
"unknown application" to that profile and are reported as :class:`WrongCard`; talking to them
needs the GIE SESAM-Vitale libraries (docs/protocols.md §4).

Each slot keeps one shared connection open: the code porteur state of a CPS lives as long as
the card stays powered, and pcscd powers an idle card down. A removed card makes pcscd fail the
connection with ``SCARD_W_REMOVED_CARD``, which the reader turns into :class:`CardRemoved`.
"""

from __future__ import annotations

import contextlib

from smartcard.Exceptions import (  # type: ignore[import-untyped]
    CardConnectionException,
    NoCardException,
    SmartcardException,
)
from smartcard.pcsc.PCSCCardConnection import PCSCCardConnection  # type: ignore[import-untyped]
from smartcard.pcsc.PCSCExceptions import BaseSCardException  # type: ignore[import-untyped]
from smartcard.pcsc.PCSCReader import PCSCReader  # type: ignore[import-untyped]
from smartcard.scard import (  # type: ignore[import-untyped]
    SCARD_E_NO_SMARTCARD,
    SCARD_W_REMOVED_CARD,
    SCARD_W_RESET_CARD,
    SCARD_W_UNPOWERED_CARD,
)

from openfse.adapters.cards.apdu_reader import ApduCardReader, Channel, ChannelLost
from openfse.adapters.cards.errors import ReaderUnavailable

__all__ = ["PcscCardReader", "PcscSlots"]

# The card is no longer the one (powered) we talked to: it was pulled out, reset or powered
# down — its code porteur state is gone.
_CARD_GONE = frozenset(
    code & 0xFFFFFFFF
    for code in (
        SCARD_W_REMOVED_CARD,
        SCARD_W_RESET_CARD,
        SCARD_W_UNPOWERED_CARD,
        SCARD_E_NO_SMARTCARD,
    )
)


def _hresult(exc: SmartcardException | BaseSCardException) -> int:
    return int(getattr(exc, "hresult", -1)) & 0xFFFFFFFF


class _PcscChannel:
    """A shared PC/SC connection to the card of one slot."""

    def __init__(self, connection: PCSCCardConnection) -> None:
        self._connection = connection

    def transmit(self, apdu: bytes) -> bytes:
        try:
            data, sw1, sw2 = self._connection.transmit(list(apdu))
        except CardConnectionException as exc:
            if _hresult(exc) in _CARD_GONE:
                raise ChannelLost() from None
            raise ReaderUnavailable(str(exc)) from None
        return bytes(data) + bytes((sw1, sw2))

    def alive(self) -> bool:
        try:
            self._connection.getATR()  # SCardStatus: fails once the card was removed or reset
        except SmartcardException:
            return False
        return True

    def close(self) -> None:
        # Disconnecting powers the card down (pyscard's default SCARD_UNPOWER_CARD), so a
        # verified code porteur does not outlive the application.
        for step in (self._connection.disconnect, self._connection.release):
            with contextlib.suppress(SmartcardException):
                step()


class PcscSlots:
    """The PC/SC readers of the machine (optionally only those whose name contains
    ``name_filter``) as a slot bus."""

    def __init__(self, name_filter: str | None = None) -> None:
        self._name_filter = name_filter

    def slot_names(self) -> list[str]:
        try:
            names = [str(reader) for reader in PCSCReader.readers()]
        except (BaseSCardException, SmartcardException) as exc:
            raise ReaderUnavailable(str(exc)) from None
        if self._name_filter:
            names = [name for name in names if self._name_filter in name]
        return names

    def open(self, slot: str) -> Channel | None:
        try:
            connection = PCSCCardConnection(slot)
        except SmartcardException as exc:
            raise ReaderUnavailable(str(exc)) from None
        try:
            connection.connect()
        except NoCardException:
            connection.release()
            return None
        except SmartcardException as exc:
            connection.release()
            if _hresult(exc) in _CARD_GONE:  # a card being pulled out: the slot is empty
                return None
            raise ReaderUnavailable(f"{slot} : {exc}") from None
        return _PcscChannel(connection)


class PcscCardReader(ApduCardReader):
    """Card reader over pcscd. ``reader_filter`` keeps only the readers whose name contains
    it (e.g. ``"OpenFSE Test Reader"`` in the integration tests)."""

    def __init__(self, reader_filter: str | None = None) -> None:
        super().__init__(PcscSlots(reader_filter))
