"""A tiny threaded JSON HTTP server for teleservice simulators, with latency and failures.

Shared by the ADRi and Inter-AMC simulators (stdlib only: ``http.server``). Always bound to
127.0.0.1. What it adds to the service's own routes:

* ``GET /health`` → ``{"status": "ok"}`` (readiness probe for tests and scripts);
* latency: every answer is delayed by ``latency_ms`` (+ up to ``jitter_ms``);
* failure injection, per request with the header ``X-Sim-Fault: <mode>`` or for all
  requests with ``POST /_admin/faults {"mode": …, "probability": 0..1, "count": n|null}``
  (``DELETE /_admin/faults`` clears it). Generic modes: ``down`` → 503, ``slow`` → sleep
  ``slow_seconds`` before answering, ``error`` → 500, ``invalid`` → 200 with a non-JSON body.
  Other modes (e.g. ADRi's ``mismatch``, ``unknown``) are passed to the route handler;
* ``GET /_admin/stats`` → requests received per route and per status (lets tests check that
  a client did, or did not, retry).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

HOST = "127.0.0.1"  # never another interface: simulators serve this machine only
MAX_BODY = 64 * 1024
GENERIC_FAULTS = frozenset({"down", "slow", "error", "invalid"})
FAULT_HEADER = "X-Sim-Fault"


@dataclass(frozen=True, slots=True)
class SimRequest:
    method: str
    path: str
    query: Mapping[str, str]
    body: object
    fault: str | None  # a service-specific fault to simulate, if any


Handler = Callable[[SimRequest], tuple[int, object]]


@dataclass
class FaultPlan:
    """Failures to inject into requests that carry no ``X-Sim-Fault`` header."""

    mode: str | None = None
    probability: float = 1.0
    count: int | None = None  # only the next `count` requests, then stop
    rng: random.Random = field(default_factory=random.Random)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def draw(self) -> str | None:
        with self.lock:
            if self.mode is None or (self.count is not None and self.count <= 0):
                return None
            if self.rng.random() >= self.probability:
                return None
            if self.count is not None:
                self.count -= 1
            return self.mode

    def set(self, mode: str | None, probability: float = 1.0, count: int | None = None) -> None:
        with self.lock:
            self.mode, self.probability, self.count = mode, probability, count


@dataclass
class SimConfig:
    faults_allowed: frozenset[str]
    latency_ms: int = 0
    jitter_ms: int = 0
    slow_seconds: float = 5.0
    faults: FaultPlan = field(default_factory=FaultPlan)
    stats: Counter[str] = field(default_factory=Counter)
    stats_lock: threading.Lock = field(default_factory=threading.Lock)


def _error(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"erreur": {"code": code, "message": message, **extra}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a workstation reuses its connection
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle + delayed ACK add
    # ~40 ms to every keep-alive answer.
    disable_nagle_algorithm = True
    server: SimServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            body = self._read_json()
        except ValueError as problem:
            self._send(400, _error("requete_invalide", str(problem)))
            return
        config = self.server.config
        if url.path == "/health":
            self._send(200, {"status": "ok"})
            return
        if url.path.startswith("/_admin/"):
            self._send(*self._admin(method, url.path, body))
            return
        route = self.server.routes.get((method, _route_key(url.path, self.server.routes)))
        if route is None:
            self._send(404, _error("route_inconnue", f"{method} {url.path}"))
            return
        fault = self.headers.get(FAULT_HEADER) or config.faults.draw()
        if fault is not None and fault not in config.faults_allowed:
            self._send(400, _error("panne_inconnue", f"mode de panne inconnu : {fault}"))
            return
        self._delay()
        if fault == "down":
            self._count(url.path, 503)
            self._send(503, _error("service_indisponible", "Service momentanément indisponible."))
            return
        if fault == "error":
            self._count(url.path, 500)
            self._send(500, _error("erreur_interne", "Erreur interne simulée."))
            return
        if fault == "slow":
            time.sleep(config.slow_seconds)
        if fault == "invalid":
            self._count(url.path, 200)
            self._send_raw(200, b"<html>proxy error</html>", "text/html")
            return
        request = SimRequest(
            method, url.path, query, body, None if fault in GENERIC_FAULTS else fault
        )
        try:
            status, answer = route(request)
        except Exception:  # a simulator bug must still answer, like a real server would
            log.exception("simulator route %s failed", url.path)
            status, answer = 500, _error("erreur_interne", "Erreur interne du simulateur.")
        self._count(url.path, status)
        self._send(status, answer)

    def _read_json(self) -> object:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("corps de requête trop grand")
        if length == 0:
            return None
        raw = self.rfile.read(length)
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise ValueError("corps de requête JSON illisible") from None

    def _admin(self, method: str, path: str, body: object) -> tuple[int, object]:
        config = self.server.config
        if path == "/_admin/stats" and method == "GET":
            with config.stats_lock:
                return 200, dict(config.stats)
        if path == "/_admin/faults" and method == "DELETE":
            config.faults.set(None)
            return 200, {"mode": None}
        if path == "/_admin/faults" and method == "POST" and isinstance(body, dict):
            mode = body.get("mode")
            probability = body.get("probability", 1.0)
            count = body.get("count")
            if (
                (mode is not None and mode not in config.faults_allowed)
                or not isinstance(probability, (int, float))
                or not 0 <= probability <= 1
                or (count is not None and (not isinstance(count, int) or count < 0))
            ):
                return 400, _error("panne_invalide", "mode, probability (0..1), count (>= 0)")
            config.faults.set(mode, float(probability), count)
            return 200, {"mode": mode, "probability": probability, "count": count}
        return 404, _error("route_inconnue", f"{method} {path}")

    def _delay(self) -> None:
        config = self.server.config
        if config.latency_ms or config.jitter_ms:
            jitter = config.faults.rng.uniform(0, config.jitter_ms) if config.jitter_ms else 0
            time.sleep((config.latency_ms + jitter) / 1000)

    def _count(self, path: str, status: int) -> None:
        with self.server.config.stats_lock:
            self.server.config.stats[f"{path} {status}"] += 1

    def _send(self, status: int, payload: object) -> None:
        self._send_raw(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json")

    def _send_raw(self, status: int, data: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (its timeout fired during a "slow" fault): nothing to answer.
            self.close_connection = True


def _route_key(path: str, routes: Mapping[tuple[str, str], Handler]) -> str:
    """Routes are registered by prefix ending in "/" or by exact path."""
    for _method, key in routes:
        if path == key or (key.endswith("/") and path.startswith(key)):
            return key
    return path


class SimServer(ThreadingHTTPServer):
    daemon_threads = True  # a sleeping "slow" request must not keep the process alive
    allow_reuse_address = True

    def __init__(
        self, port: int, routes: Mapping[tuple[str, str], Handler], config: SimConfig
    ) -> None:
        self.routes = routes
        self.config = config
        super().__init__((HOST, port), _Handler)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}"


def serve_forever_announcing(server: SimServer, name: str) -> None:
    """Print the bound URL on one line (``READY <url>``) so that a parent process started
    with ``--port 0`` knows where to connect, then serve until interrupted."""
    print(f"READY {server.url} {name}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Command-line options shared by the simulators."""
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = any free)")
    parser.add_argument("--data", type=Path, default=None, help="data set file (YAML)")
    parser.add_argument("--latency-ms", type=int, default=0, help="delay added to every answer")
    parser.add_argument("--jitter-ms", type=int, default=0, help="random extra delay, up to")
    parser.add_argument("--slow-seconds", type=float, default=5.0, help="sleep of the 'slow' fault")
    parser.add_argument("--fault", default=None, help="fault mode injected from start-up")
    parser.add_argument(
        "--fault-probability", type=float, default=1.0, help="share of requests failing (soak)"
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed (reproducible soak)")
    parser.add_argument("--verbose", action="store_true", help="log every request")


def configure(server: SimServer, args: argparse.Namespace) -> None:
    """Apply the start-up options of :func:`add_common_arguments` to a server."""
    if args.fault is not None and args.fault not in server.config.faults_allowed:
        raise SystemExit(
            f"unknown fault mode {args.fault!r}: {sorted(server.config.faults_allowed)}"
        )
    if not 0 <= args.fault_probability <= 1:
        raise SystemExit("--fault-probability must be within 0..1")
    if args.seed is not None:
        server.config.faults.rng.seed(args.seed)
    server.config.faults.set(args.fault, args.fault_probability)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
