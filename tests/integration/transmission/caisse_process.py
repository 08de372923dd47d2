"""The simulated caisse as a real separate process, started and stopped by its own pid.

``CaisseProcess.start(data_dir, *options)`` runs ``python -m openfse.simulators.caisse`` on free
loopback ports, waits for its ``READY smtp=… pop3=… admin=…`` line, and offers the admin
routes; ``kill()`` is a SIGKILL (the crash the tests simulate), ``stop()`` a SIGTERM.
"""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from openfse.adapters.transmission.pop3_receiver import Pop3Config
from openfse.adapters.transmission.smtp_sender import SmtpConfig

READY = re.compile(r"READY smtp=127\.0\.0\.1:(\d+) pop3=127\.0\.0\.1:(\d+) admin=(http://\S+)")
CABINET = "cabinet@openfse.test"
CAISSE = "cpam751@caisse.openfse.test"
PASSWORD = "secret-pop3"


@dataclass
class CaisseProcess:
    process: subprocess.Popen[str]
    data_dir: Path
    options: tuple[str, ...]
    smtp_port: int
    pop3_port: int
    admin_url: str
    log: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    @classmethod
    def start(cls, data_dir: Path, *options: str, timeout: float = 60.0) -> CaisseProcess:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "openfse.simulators.caisse",
                "--data-dir",
                str(data_dir),
                "--password",
                PASSWORD,
                "--tick-seconds",
                "0.2",
                *options,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if not selector.select(timeout=deadline - time.monotonic()):
                    break
                line = process.stdout.readline()
                if not line:
                    break
                lines.append(line)
                match = READY.search(line)
                if match:
                    started = cls(
                        process, data_dir, options, int(match[1]), int(match[2]), match[3], lines
                    )
                    # Keep reading its output so a full pipe never blocks the simulator.
                    started.reader = threading.Thread(target=started._drain, daemon=True)
                    started.reader.start()
                    return started
        process.kill()
        output = process.communicate(timeout=10)[0]
        raise RuntimeError(f"caisse simulator did not start: {''.join(lines)}{output[-3000:]}")

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.log.append(line)

    def restart(self) -> CaisseProcess:
        """A new process on the same data directory (new ports)."""
        self.kill()
        return CaisseProcess.start(self.data_dir, *self.options)

    # ---------------------------------------------------------------- admin

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.request(method, f"{self.admin_url}{path}", json=body, timeout=30.0)
        response.raise_for_status()
        return response.json()

    def summary(self) -> dict[str, int]:
        return dict(self.admin("GET", "/caisse/state")["summary"])

    def wait_processed(self, lots: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            summary = self.summary()
            if summary["inbound_pending"] == 0 and summary["lots"] >= lots:
                return
            time.sleep(0.1)
        raise AssertionError(f"lots not processed in time: {self.summary()}")

    def arm(self, mode: str, count: int = 1) -> None:
        self.admin("POST", "/caisse/faults", {"mode": mode, "count": count})

    # ---------------------------------------------------------------- transport configs

    def smtp(self, **changes: Any) -> SmtpConfig:
        settings: dict[str, Any] = {"sender": CABINET, "port": self.smtp_port, "timeout": 20.0}
        settings.update(changes)
        return SmtpConfig(**settings)

    def pop3(self, **changes: Any) -> Pop3Config:
        settings: dict[str, Any] = {
            "user": CABINET,
            "password": PASSWORD,
            "port": self.pop3_port,
            "timeout": 20.0,
        }
        settings.update(changes)
        return Pop3Config(**settings)

    # ---------------------------------------------------------------- stopping

    def kill(self) -> None:
        """SIGKILL: the process dies at once, like a crash or a power cut."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self._reap()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self._reap()

    def _reap(self) -> None:
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        if self.reader is not None:
            self.reader.join(timeout=5)  # reads to the end of the dead process's output
        if self.process.stdout is not None:
            self.process.stdout.close()
