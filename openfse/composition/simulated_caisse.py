"""The simulated caisse of the demo, run by ``openfse serve`` (and ``openfse transmit``) as a
child process on this machine's loopback, where the demo's transport sends and fetches.

Why a child process: the simulator is a separate program with its own event loop and state
(``$OPENFSE_HOME/simulators/caisse``, docs/formats/caisse-sim.md); run beside the app it is
what a real caisse is, a peer on the other end of SMTP and POP3, never a library call. It is
told the app's pid (``--parent-pid``) and stops when the app is gone, even after a SIGKILL.

Demo options: the answers come the same day (``--delay-days 0``, no late payments), so
« Envoyer » then « Relever les retours » shows the ARL and the payments a few seconds later.
"""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from openfse.adapters.transmission.transport import Transport

__all__ = ["SimulatedCaisse", "is_listening", "should_simulate", "start_simulated_caisse"]

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
DEMO_OPTIONS = ("--delay-days", "0", "--late-rate", "0", "--tick-seconds", "1")


@dataclass
class SimulatedCaisse:
    process: subprocess.Popen[str]
    ready_line: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def is_listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def should_simulate(transport: Transport, *, demo: bool) -> bool:
    """The demo, with both servers on this machine and nothing answering there yet."""
    smtp, pop3 = transport.smtp, transport.pop3
    if not demo or smtp is None or pop3 is None:
        return False
    if smtp.host not in _LOOPBACK or pop3.host not in _LOOPBACK:
        return False
    return not is_listening(smtp.host, smtp.port)


def start_simulated_caisse(transport: Transport, data_dir: Path, *,
                           timeout: float = 60.0) -> SimulatedCaisse:
    """Start the simulator on the transport's ports; raises ``OSError`` (French) when it does
    not announce itself in time (a port taken, a broken data directory)."""
    assert transport.smtp is not None and transport.pop3 is not None
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "openfse.simulators.caisse",
         "--smtp-port", str(transport.smtp.port), "--pop3-port", str(transport.pop3.port),
         "--data-dir", str(data_dir), "--password", transport.pop3.password or "",
         "--parent-pid", str(os.getpid()), *DEMO_OPTIONS],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=max(deadline - time.monotonic(), 0.0)):
                break
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
            if line.startswith("READY "):
                # Keep reading its output: a full pipe would block the simulator.
                threading.Thread(target=_drain, args=(process,), daemon=True,
                                 name="caisse-simulee-sortie").start()
                return SimulatedCaisse(process, line.strip())
    process.kill()
    process.wait(10)
    raise OSError("caisse simulée non démarrée : " + ("".join(seen).strip()[-500:]
                                                       or "aucune réponse"))


def _drain(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    for _line in process.stdout:
        pass
