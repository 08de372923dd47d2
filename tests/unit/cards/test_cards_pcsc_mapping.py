"""PC/SC transport error mapping, with pyscard's failures simulated (no daemon needed).

The end-to-end PC/SC path (pcscd + vpcd + our emulator) is in tests/integration/cards.
"""

from __future__ import annotations

import pytest

pytest.importorskip("smartcard", reason="pyscard (extra 'cards') is not installed")

from smartcard.Exceptions import CardConnectionException, NoCardException  # noqa: E402
from smartcard.pcsc.PCSCExceptions import EstablishContextException  # noqa: E402
from smartcard.scard import (  # noqa: E402  # noqa: E402
    SCARD_E_NO_SERVICE,
    SCARD_F_COMM_ERROR,
    SCARD_W_REMOVED_CARD,
    SCARD_W_RESET_CARD,
)

from openfse.adapters.cards import pcsc  # noqa: E402
from openfse.adapters.cards.apdu_reader import ChannelLost  # noqa: E402
from openfse.adapters.cards.errors import ReaderUnavailable  # noqa: E402


class FakeConnection:
    """Stands for pyscard's PCSCCardConnection."""

    def __init__(self, reader: str, *, connect_error: Exception | None = None,
                 transmit_error: Exception | None = None) -> None:
        self.reader = reader
        self.connect_error = connect_error
        self.transmit_error = transmit_error
        self.released = False
        self.disconnected = False

    def connect(self) -> None:
        if self.connect_error is not None:
            raise self.connect_error

    def transmit(self, apdu: list[int]) -> tuple[list[int], int, int]:
        if self.transmit_error is not None:
            raise self.transmit_error
        return [0xAB], 0x90, 0x00

    def getATR(self) -> list[int]:  # noqa: N802 - pyscard's name
        if self.transmit_error is not None:
            raise self.transmit_error
        return [0x3B]

    def disconnect(self) -> None:
        self.disconnected = True

    def release(self) -> None:
        self.released = True


def test_no_pcsc_service_is_reader_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_daemon() -> list[object]:
        raise EstablishContextException(SCARD_E_NO_SERVICE)

    monkeypatch.setattr(pcsc.PCSCReader, "readers", staticmethod(no_daemon))
    with pytest.raises(ReaderUnavailable) as caught:
        pcsc.PcscCardReader().slots()
    assert caught.value.code == "card_reader_unavailable"
    assert "service PC/SC" in caught.value.message


def test_reader_filter_keeps_matching_names(monkeypatch: pytest.MonkeyPatch) -> None:
    names = ["Gemalto PC Twin 00 00", "OpenFSE Test Reader 00 00", "OpenFSE Test Reader 00 01"]
    monkeypatch.setattr(pcsc.PCSCReader, "readers", staticmethod(lambda: names))
    assert pcsc.PcscSlots("OpenFSE").slot_names() == names[1:]
    assert pcsc.PcscSlots().slot_names() == names


def test_empty_slot_opens_nothing_and_releases_the_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[FakeConnection] = []

    def factory(reader: str) -> FakeConnection:
        made.append(FakeConnection(reader, connect_error=NoCardException("vide", 0x8010000C)))
        return made[-1]

    monkeypatch.setattr(pcsc, "PCSCCardConnection", factory)
    assert pcsc.PcscSlots().open("R 00 00") is None
    assert made[0].released


def test_a_failing_reader_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    error = CardConnectionException("comm", hresult=SCARD_F_COMM_ERROR)
    monkeypatch.setattr(
        pcsc, "PCSCCardConnection", lambda reader: FakeConnection(reader, connect_error=error)
    )
    with pytest.raises(ReaderUnavailable):
        pcsc.PcscSlots().open("R 00 00")


@pytest.mark.parametrize("code", [SCARD_W_REMOVED_CARD, SCARD_W_RESET_CARD])
def test_a_removed_or_reset_card_loses_the_channel(code: int) -> None:
    channel = pcsc._PcscChannel(
        FakeConnection("R", transmit_error=CardConnectionException("x", hresult=code))
    )
    with pytest.raises(ChannelLost):
        channel.transmit(b"\x00\xa4\x04\x00")
    assert channel.alive() is False


def test_other_transmit_failures_are_reader_errors() -> None:
    error = CardConnectionException("comm", hresult=SCARD_F_COMM_ERROR)
    channel = pcsc._PcscChannel(FakeConnection("R", transmit_error=error))
    with pytest.raises(ReaderUnavailable):
        channel.transmit(b"\x00\xa4\x04\x00")


def test_a_live_channel_returns_data_and_status_and_closes_cleanly() -> None:
    connection = FakeConnection("R")
    channel = pcsc._PcscChannel(connection)
    assert channel.transmit(b"\x00\xb0\x00\x00\x01") == b"\xab\x90\x00"
    assert channel.alive()
    channel.close()
    assert connection.disconnected and connection.released
