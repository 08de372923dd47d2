"""A real PC/SC stack for the card tests: pcscd + vsmartcard-vpcd + openfse's card emulator.

``pcsc_rig`` (session) starts ``pcscd --foreground`` with a private ``reader.conf.d`` holding
one vpcd reader ("OpenFSE Test Reader <P>", two slots on a free port pair P / P+1) of
vsmartcard's vpcd. Only one pcscd can run per machine (it ignores ``PCSCLITE_CSOCK_NAME``): if one
already runs with Debian's default vpcd reader it is reused; if it belongs to another test
session (or has no vpcd reader) the tests are skipped with the reason.
``hands`` (function) starts ``python -m openfse.simulators.cards.vpcd`` processes and
stops them at teardown. Every process started here is stopped by its own PID, also on failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cards_pcsc_harness import (
    CARD_TIMEOUT,
    DAEMON_READY_TIMEOUT,
    READER_NAME,
    VPCD_DRIVER,
    CardHands,
    PcscRig,
    free_port_pair,
    pcscd_running,
    reuse_running_daemon,
    slot_has_card,
    stop,
    wait,
)


@pytest.fixture(scope="session")
def pcsc_rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscRig]:
    pytest.importorskip("smartcard", reason="pyscard (extra 'cards') is not installed")
    # /usr/sbin is not always on a non-root PATH.
    pcscd = shutil.which("pcscd") or shutil.which("pcscd", path="/usr/sbin:/sbin")
    if pcscd is None:
        pytest.skip("pcscd is not installed (apt-get install pcscd)")
    if not VPCD_DRIVER.exists():
        pytest.skip(f"vpcd driver missing: {VPCD_DRIVER} (apt-get install vsmartcard-vpcd)")
    workdir = tmp_path_factory.mktemp("pcsc")

    if pcscd_running():
        yield reuse_running_daemon(workdir)
        return

    port = free_port_pair()
    confdir = workdir / "reader.conf.d"
    confdir.mkdir()
    # The port in the reader name tells this session's reader from any other one.
    reader_name = f"{READER_NAME} {port}"
    (confdir / "openfse-vpcd").write_text(
        f'FRIENDLYNAME "{reader_name}"\n'
        f"DEVICENAME   /dev/null:0x{port:04X}\n"
        f"LIBPATH      {VPCD_DRIVER}\n"
    )
    try:
        Path("/run/pcscd").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        pytest.skip(f"cannot create /run/pcscd for pcscd ({exc.strerror}); run as root")
    log = workdir / "pcscd.log"
    with open(log, "wb") as out:
        daemon = subprocess.Popen(
            # OPENFSE_PCSCD_DEBUG=1 logs every APDU and IFD call into pcscd.log.
            [pcscd, "--foreground", "-c", str(confdir),
             *(["--debug", "--apdu"] if os.environ.get("OPENFSE_PCSCD_DEBUG") else [])],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    rig = PcscRig(port, reader_name, workdir, log)
    try:
        ready = wait(
            lambda: daemon.poll() is not None or len(rig.slot_names()) == 2, DAEMON_READY_TIMEOUT
        )
        if daemon.poll() is not None:  # lost the race against a pcscd started meanwhile
            pytest.skip(f"pcscd exited (only one per machine): {log.read_text()[-300:]}")
        if not ready:
            pytest.fail(f"pcscd did not expose the vpcd reader:\n{log.read_text()[-2000:]}")
        yield rig
    finally:
        stop(daemon)


@pytest.fixture
def hands(pcsc_rig: PcscRig, tmp_path: Path) -> Iterator[CardHands]:
    """Insert / pull out test cards; PIN counters persist in a per-test state file."""
    cards = CardHands(pcsc_rig, tmp_path / "cards-state.json")
    try:
        yield cards
    finally:
        for card in cards.inserted:
            if card.process.poll() is None:
                stop(card.process)
                pcsc_rig.card_left(card.slot)
        wait(lambda: not any(slot_has_card(pcsc_rig, i) for i in (0, 1)), CARD_TIMEOUT)
