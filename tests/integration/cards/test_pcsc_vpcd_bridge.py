"""The vpcd emulator over a real TCP socket, against a stand-in for pcscd's vpcd driver.

No pcscd needed: a loopback server plays the driver's side of the protocol,
so these tests run everywhere and pin down the wire format the PC/SC tests rely on.
"""

from __future__ import annotations

import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from cards_pcsc_harness import card_file

from openfse.adapters.cards import apdu_profile as p
from openfse.simulators.cards.apdu import ApduCard
from openfse.simulators.cards.model import CardCatalog, CardStateStore, make_chip
from openfse.simulators.cards.vpcd import VpcdBridge


class FakeVpcdDriver:
    """The driver side: listens, accepts the card, sends framed messages."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.client: socket.socket | None = None

    def accept(self, timeout: float = 10.0) -> None:
        self.server.settimeout(timeout)
        self.client, _ = self.server.accept()
        self.client.settimeout(timeout)

    def send(self, payload: bytes) -> None:
        assert self.client is not None
        self.client.sendall(struct.pack(">H", len(payload)) + payload)

    def receive(self) -> bytes:
        header = self._exactly(2)
        return self._exactly(struct.unpack(">H", header)[0])

    def exchange(self, payload: bytes) -> bytes:
        self.send(payload)
        return self.receive()

    def card_gone(self) -> bool:
        assert self.client is not None
        return self.client.recv(1) == b""

    def _exactly(self, count: int) -> bytes:
        assert self.client is not None
        data = b""
        while len(data) < count:
            chunk = self.client.recv(count - len(data))
            if not chunk:
                raise ConnectionError("card left")
            data += chunk
        return data

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        self.server.close()


@pytest.fixture
def driver() -> Iterator[FakeVpcdDriver]:
    fake = FakeVpcdDriver()
    try:
        yield fake
    finally:
        fake.close()


def test_bridge_answers_atr_controls_and_apdus(driver: FakeVpcdDriver) -> None:
    card = ApduCard(make_chip(CardCatalog().get("cps_titulaire"), CardStateStore()))
    bridge = VpcdBridge(card, "127.0.0.1", driver.port)
    bridge.connect(timeout=5)
    serving = threading.Thread(target=bridge.serve, daemon=True)
    serving.start()
    try:
        driver.accept()
        assert driver.exchange(b"\x04") == p.ATR_CPS
        driver.send(b"\x01")  # power on: no reply expected
        assert driver.exchange(p.select_aid(p.AID_CPS)) == b"\x90\x00"
        assert driver.exchange(p.command(p.INS_VERIFY, 0, 0x80, b"1234")) == b"\x90\x00"
        driver.send(b"\x00")  # power off clears the code porteur
        driver.send(b"\x01")
        driver.exchange(p.select_aid(p.AID_CPS))
        assert driver.exchange(p.command(p.INS_VERIFY, 0, 0x80)) == b"\x63\xc3"
    finally:
        bridge.close()
        serving.join(5)
    assert not serving.is_alive()


def test_bridge_stops_when_the_driver_hangs_up(driver: FakeVpcdDriver) -> None:
    card = ApduCard(make_chip(CardCatalog().get("vitale_c2s"), CardStateStore()))
    bridge = VpcdBridge(card, "127.0.0.1", driver.port)
    bridge.connect(timeout=5)
    serving = threading.Thread(target=bridge.serve, daemon=True)
    serving.start()
    driver.accept()
    assert driver.exchange(b"\x04") == p.ATR_VITALE
    assert driver.client is not None
    driver.client.close()
    driver.client = None
    serving.join(5)
    assert not serving.is_alive()


def test_emulator_process_inserts_then_sigterm_pulls_the_card_out(
    driver: FakeVpcdDriver,
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "openfse.simulators.cards.vpcd", "--card",
         str(card_file("vitale_famille")), "--port", str(driver.port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        driver.accept()
        assert driver.exchange(b"\x04") == p.ATR_VITALE
        assert driver.exchange(p.select_aid(p.AID_VITALE)) == b"\x90\x00"
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
        assert driver.card_gone()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
    assert process.stdout is not None
    assert "carte vitale_famille insérée" in process.stdout.read().decode()


def test_emulator_reports_an_unreachable_reader() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = subprocess.run(
        [sys.executable, "-m", "openfse.simulators.cards.vpcd", "--card",
         str(card_file("cps_titulaire")), "--port", str(port), "--connect-timeout", "0.3"],
        capture_output=True, text=True, timeout=20,
    )
    assert result.returncode == 1
    assert "lecteur vpcd injoignable" in result.stderr
