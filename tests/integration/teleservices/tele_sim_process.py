"""Start a teleservice simulator as a real separate process and stop it (by its own pid)."""

from __future__ import annotations

import json
import selectors
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class SimProcess:
    process: subprocess.Popen[str]
    url: str

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.request(method, f"{self.url}{path}", json=body, timeout=2.0)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, int]:
        return dict(self.admin("GET", "/_admin/stats"))

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start(module: str, *args: str, ready_timeout: float = 10.0) -> SimProcess:
    """``python -m <module> --port 0 …``: read the ``READY <url>`` line, then poll /health."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + ready_timeout
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        line = ""
        while not line.startswith("READY") and time.monotonic() < deadline:
            if not selector.select(timeout=deadline - time.monotonic()):
                break
            line = process.stdout.readline()
            if not line:  # the process died before announcing itself
                break
    if not line.startswith("READY"):
        process.kill()
        output = process.communicate(timeout=5)[0]
        raise RuntimeError(f"{module} did not start: {line!r} {output[-2000:]!r}")
    sim = SimProcess(process, line.split()[1])
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{sim.url}/health", timeout=0.5).json() == {"status": "ok"}:
                return sim
        except (httpx.HTTPError, json.JSONDecodeError):
            time.sleep(0.05)
    sim.kill()
    raise RuntimeError(f"{module} never became healthy at {sim.url}")
