"""The app started as a user starts it (``make run``): ``openfse init --demo-if-empty`` then
``openfse serve`` in a subprocess, on a fresh ``OPENFSE_HOME``, default settings.

Settings are the defaults but for the ports, free ones chosen here: the web port (``--port``)
and the simulated caisse's SMTP / POP3 (``OPENFSE_SMTP`` / ``OPENFSE_POP3`` on 127.0.0.1, where
the demo's ``openfse serve`` still starts its own simulated caisse). The caisse's default ports
2525 / 1110 are shared by every demo server of the machine: a server that finds 2525 answering
uses that caisse, and every demo fetches the same mailbox (``cabinet@openfse.localhost``); a
run on the defaults met « -ERR [IN-USE] boite deja ouverte » when another demo of this machine
had the mailbox open. The test checks that *this* server started its own simulated caisse (the
line ``openfse serve`` prints) and reads the caisse's admin address from that line
(docs/formats/caisse-sim.md §4).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

OPENFSE = Path(sys.executable).with_name("openfse")
_READY = re.compile(r"http://127\.0\.0\.1:(\d+)/")
_CAISSE = re.compile(r"caisse simulée démarrée \(READY smtp=(\S+) pop3=(\S+) admin=(\S+)\)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServedApp:
    url: str
    home: Path
    caisse_admin: str
    output: list[str] = field(default_factory=list)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENFSE_")}
    env["OPENFSE_HOME"] = str(home)
    return env


@contextmanager
def served_app(home: Path, *, timeout: float = 60.0) -> Iterator[ServedApp]:
    env = _env(home)
    init = subprocess.run([str(OPENFSE), "init", "--demo-if-empty"], env=env, text=True,
                          capture_output=True, timeout=120, check=False)
    assert init.returncode == 0, init.stdout + init.stderr
    smtp, pop3 = _free_port(), _free_port()
    env["OPENFSE_SMTP"], env["OPENFSE_POP3"] = f"127.0.0.1:{smtp}", f"127.0.0.1:{pop3}"
    port = _free_port()
    process = subprocess.Popen([str(OPENFSE), "serve", "--port", str(port)], env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    started = threading.Event()

    def drain() -> None:  # keeps the pipe empty for the server's whole life
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if _READY.search(line):
                started.set()
        started.set()

    threading.Thread(target=drain, daemon=True, name="openfse-serve-output").start()
    try:
        assert started.wait(timeout), "openfse serve did not start"
        assert process.poll() is None, "\n".join(lines)
        caisse = next((m for m in map(_CAISSE.search, lines) if m), None)
        assert caisse is not None, ("the demo's own simulated caisse did not start (issue 13 "
                                    "defect 6):\n" + "\n".join(lines))
        url = f"http://127.0.0.1:{port}"
        with httpx.Client() as client:  # uvicorn listens a moment after the banner
            for _ in range(400):
                try:
                    if client.get(f"{url}/api/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    threading.Event().wait(0.05)
        yield ServedApp(url, home, caisse.group(3), lines)
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
