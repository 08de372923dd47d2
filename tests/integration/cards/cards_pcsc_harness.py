"""Helpers of the PC/SC card tests: the pcscd daemon and the card emulator processes."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from openfse.domain.cards import CardKind
from openfse.simulators.cards.model import shipped_cards_dir

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
SYSTEM_VPCD_CONF = Path("/etc/reader.conf.d/vpcd")
READER_NAME = "OpenFSE Test Reader"
DAEMON_READY_TIMEOUT = 10.0
CARD_TIMEOUT = 8.0
# vpcd has no hotplug events: pcscd polls card presence every 400 ms. A card put back into
# the slot before pcscd's next poll after a removal is never seen as a new card (pcscd keeps
# the slot "unpowered"), so a slot rests this long between a removal and the next insertion.
# A human hand is slower than that; a test is not.
REINSERT_GRACE = 1.0


@dataclass
class PcscRig:
    """Where the test cards go: vpcd slot ``i`` listens on ``port + i``."""

    port: int
    reader_filter: str
    workdir: Path
    log: Path | None = None
    emptied_at: dict[int, float] = field(default_factory=dict)  # slot → monotonic time

    def card_left(self, slot: int) -> None:
        self.emptied_at[slot] = time.monotonic()

    def let_pcscd_notice_removal(self, slot: int) -> None:
        delay = self.emptied_at.get(slot, 0.0) + REINSERT_GRACE - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def slot_names(self) -> list[str]:
        from openfse.adapters.cards.pcsc import PcscSlots

        return PcscSlots(self.reader_filter).slot_names()


def pcscd_running() -> bool:
    """Is a live (non-zombie) pcscd process on the machine?"""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, _, rest = text.partition("(")[2].rpartition(")")
        if name == "pcscd" and rest.split()[:1] != ["Z"]:
            return True
    return False


def free_port_pair() -> int:
    """A port P such that P and P+1 are both free on this machine (vpcd uses both)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port >= 65535:
            continue
        try:
            with socket.socket() as first, socket.socket() as second:
                first.bind(("0.0.0.0", port))
                second.bind(("0.0.0.0", port + 1))
        except OSError:
            continue
        return port
    raise RuntimeError("no free TCP port pair for vpcd")


LAST_PROBE: list[str] = []  # what the last unsuccessful wait() saw, for failure messages


def wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
            LAST_PROBE[:] = ["condition false"]
        except Exception as exc:  # the daemon or the card may still be coming up
            LAST_PROBE[:] = [repr(exc)]
        time.sleep(0.1)
    return False


def stop(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


def reuse_running_daemon(workdir: Path) -> PcscRig:
    """Reuse a pcscd already running with Debian's default vpcd reader ("Virtual PCD")."""
    from openfse.adapters.cards.errors import ReaderUnavailable
    from openfse.adapters.cards.pcsc import PcscSlots

    try:
        if PcscSlots(READER_NAME).slot_names():
            pytest.skip("another test session's pcscd is running: PC/SC tests need it alone")
        names = PcscSlots("Virtual PCD").slot_names()
    except ReaderUnavailable as exc:
        pytest.skip(f"a pcscd is already running but does not answer ({exc.detail})")
    match = re.search(r"DEVICENAME\s+\S*:0x([0-9A-Fa-f]+)", _read(SYSTEM_VPCD_CONF))
    if not names or match is None:
        pytest.skip(
            "a pcscd is already running without a vpcd reader; only one pcscd per machine "
            "(STACK-NOTES §10) — stop it to run the PC/SC card tests"
        )
    rig = PcscRig(int(match.group(1), 16), "Virtual PCD", workdir)
    if any(slot_has_card(rig, i) for i in (0, 1)):
        pytest.skip("the running pcscd's vpcd slots already hold cards")
    return rig


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _slot_kind(rig: PcscRig, index: int) -> CardKind | None:
    from openfse.adapters.cards.pcsc import PcscCardReader

    reader = PcscCardReader(rig.reader_filter)
    try:
        return reader.slots()[index].card
    finally:
        reader.close()


def slot_has_card(rig: PcscRig, index: int) -> bool:
    return _slot_kind(rig, index) is not None


def card_file(name: str) -> Path:
    """Path of a shipped test card (editable install: a real file)."""
    path = shipped_cards_dir().joinpath(f"{name}.yaml")
    assert isinstance(path, Path) and path.exists(), path
    return path


@dataclass
class InsertedCard:
    """A test card held by an emulator process in one vpcd slot."""

    name: str
    slot: int
    process: subprocess.Popen[bytes]
    rig: PcscRig

    def pull_out(self) -> None:
        """Stop the emulator: pcscd sees the card leave the slot."""
        stop(self.process)
        self.rig.card_left(self.slot)
        if not wait(lambda: not slot_has_card(self.rig, self.slot), CARD_TIMEOUT):
            pytest.fail(f"pcscd still sees {self.name} in slot {self.slot}")


@dataclass
class CardHands:
    rig: PcscRig
    state_file: Path
    inserted: list[InsertedCard] = field(default_factory=list)

    def insert(self, name: str, slot: int = 0) -> InsertedCard:
        kind = CardKind.CPS if name.startswith("cps") else CardKind.VITALE
        self.rig.let_pcscd_notice_removal(slot)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        process = subprocess.Popen(
            [sys.executable, "-m", "openfse.simulators.cards.vpcd", "--card",
             str(card_file(name)), "--port", str(self.rig.port + slot),
             "--state", str(self.state_file)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
        )
        card = InsertedCard(name, slot, process, self.rig)
        self.inserted.append(card)
        seen: list[CardKind | None] = []

        def present() -> bool:
            seen[:] = [_slot_kind(self.rig, slot)]
            return seen[0] is kind

        if not wait(present, CARD_TIMEOUT):
            stop(process)
            out = process.stdout.read().decode() if process.stdout else ""
            log = self.rig.log.read_text()[-1500:] if self.rig.log else ""
            pytest.fail(
                f"pcscd did not see {name} in slot {slot} (saw {seen}); last probe: {LAST_PROBE}; "
                f"emulator: {out!r}\npcscd log:\n{log}"
            )
        return card


