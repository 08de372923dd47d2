"""A test card in a virtual PC/SC reader: our APDU card behind pcscd's vpcd driver.

Debian's ``vsmartcard-vpcd`` is a pcscd driver exposing virtual readers that listen on TCP
(two slots per configured port: P and P+1). A "virtual card" connects to that port; pcscd then
sees a card in the slot until the connection closes. Debian's own card emulator (``vicc``) is
broken on bookworm, so this module is openfse's.

Wire protocol: every message is a 2-byte big-endian length then a payload.
A 1-byte payload is a control message — ``00`` power off, ``01`` power on, ``02`` reset (no
reply), ``04`` get ATR (reply: the ATR); anything longer is a command APDU, answered with the
response APDU.

Run it as::

    python -m openfse.simulators.cards.vpcd \\
        --card openfse/simulators/data/cards/cps_titulaire.yaml \\
        --port 35963 [--host 127.0.0.1] [--state cards-state.json]

Stopping the process (SIGTERM/SIGINT) pulls the card out of the reader.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import struct
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from openfse.errors import OpenFSEError
from openfse.simulators.cards.apdu import ApduCard
from openfse.simulators.cards.model import CardStateStore, load_card_file, make_chip

__all__ = ["VpcdBridge", "main"]

CTRL_POWER_OFF = 0x00
CTRL_POWER_ON = 0x01
CTRL_RESET = 0x02
CTRL_GET_ATR = 0x04


class VpcdBridge:
    """Connects one :class:`ApduCard` to a vpcd slot and serves pcscd's requests."""

    def __init__(self, card: ApduCard, host: str = "127.0.0.1", port: int = 35963) -> None:
        self.card = card
        self.host = host
        self.port = port
        self._socket: socket.socket | None = None

    def connect(self, timeout: float = 10.0) -> None:
        """Insert the card: connect to the vpcd port, retrying while pcscd starts."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._socket = socket.create_connection((self.host, self.port), timeout=2.0)
                self._socket.settimeout(None)
                # Our replies are small single writes: send them without waiting (Nagle).
                self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return
            except OSError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    def serve(self) -> None:
        """Answer pcscd until it closes the connection or :meth:`close` is called."""
        while self._socket is not None:
            message = self._receive()
            if message is None:
                return
            reply = self.handle(message)
            if reply is not None:
                self._send(reply)

    def handle(self, message: bytes) -> bytes | None:
        """The reply to one vpcd message (``None``: control messages that expect none)."""
        if len(message) == 1:
            control = message[0]
            if control == CTRL_GET_ATR:
                return self.card.atr
            if control in (CTRL_POWER_OFF, CTRL_POWER_ON, CTRL_RESET):
                # Any power transition clears the chip's RAM (code porteur state).
                self.card.power_off()
            return None
        return self.card.process(message)

    def close(self) -> None:
        """Pull the card out."""
        sock, self._socket = self._socket, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _receive(self) -> bytes | None:
        header = self._receive_exactly(2)
        if header is None:
            return None
        (length,) = struct.unpack(">H", header)
        return self._receive_exactly(length)

    def _receive_exactly(self, count: int) -> bytes | None:
        buffer = b""
        while len(buffer) < count:
            sock = self._socket
            if sock is None:
                return None
            try:
                _ack_at_once(sock)
                chunk = sock.recv(count - len(buffer))
            except OSError:
                return None
            if not chunk:
                return None
            buffer += chunk
        return buffer

    def _send(self, payload: bytes) -> None:
        if self._socket is not None:
            self._socket.sendall(struct.pack(">H", len(payload)) + payload)


def _ack_at_once(sock: socket.socket) -> None:
    """Acknowledge received bytes immediately (Linux TCP_QUICKACK, reset by the kernel after
    each receive, hence set before each one).

    Without it every APDU took ~43 ms inside Debian's vpcd 3.3 (family card read: 396 ms, 3 ms
    with it): Nagle on vpcd's side waiting for our delayed ACK — inferred from the 40 ms
    signature, see docs/formats/card-apdu.md §5.
    """
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m openfse.simulators.cards.vpcd",
        description="Insère une carte de test openfse dans un lecteur virtuel vpcd (pcscd).",
    )
    parser.add_argument("--card", type=Path, required=True, help="fichier YAML de la carte")
    parser.add_argument("--port", type=int, default=35963, help="port TCP du lecteur vpcd")
    parser.add_argument("--host", default="127.0.0.1", help="adresse de pcscd (vpcd)")
    parser.add_argument("--state", type=Path, help="fichier d'état des compteurs (persistant)")
    parser.add_argument("--connect-timeout", type=float, default=10.0)
    args = parser.parse_args(argv)
    try:
        card_file = load_card_file(args.card)
    except OpenFSEError as exc:
        print(f"erreur : {exc.message}", file=sys.stderr)
        return 2
    bridge = VpcdBridge(
        ApduCard(make_chip(card_file, CardStateStore(args.state))), args.host, args.port
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        bridge.close()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        bridge.connect(args.connect_timeout)
    except OSError as exc:
        print(f"erreur : lecteur vpcd injoignable sur {args.host}:{args.port} ({exc})",
              file=sys.stderr)
        return 1
    print(f"carte {card_file.name} insérée ({args.host}:{args.port})", flush=True)
    bridge.serve()
    bridge.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
