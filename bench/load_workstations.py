"""Load: N simulated workstations against a real ``openfse serve`` on PostgreSQL (issue 8).

Each workstation logs in (password account « bench », role titulaire, made here), then loops
for ``--seconds``: validate an invoice (POST /api/invoices), search patients by the start of a
name (GET /api/patients?q=…). Prints throughput and p50/p95 latency per kind and the error
count (expected: zero). Not part of the test run.

    .venv/bin/python bench/load_workstations.py [--workstations 20] [--seconds 60]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from openfse.composition.demo import load_demo
from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.services.context import AppContext
from openfse.services.session_login import hash_password
from openfse.store.journal import JournalAction
from openfse.store.models import AppUser, ProfessionalKind, UserRole

PASSWORD = "bench-password-0123"
SEARCHES = ["MAR", "DUB", "BER", "LEG", "PET", "ROU", "MOR", "LAU"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(settings: Settings) -> None:
    load_demo(settings, today=Clock().today())
    ctx = AppContext.open(settings)
    with ctx.unit_of_work(actor="bench", actor_user_id=None) as uow:
        # The titulaire's own account (an invoice is validated only by its professional).
        titulaire = next(p for p in uow.professionals.list()
                         if p.kind is ProfessionalKind.TITULAIRE)
        user = AppUser(login="bench", display_name="Bench", role=UserRole.TITULAIRE,
                       password_hash=hash_password(PASSWORD), professional_id=titulaire.id)
        uow.journal_change(user, JournalAction.CREATE, summary="compte de mesure")
        uow.commit()
    ctx.engine.dispose()


def serve(home: Path, url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OPENFSE_HOME": str(home), "OPENFSE_DATABASE_URL": url}
    process = subprocess.Popen(
        [sys.executable, "-c", "from openfse.cli import app; app()", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("openfse serve did not start")


def workstation(base: str, seconds: float, timings: dict[str, list[float]],
                errors: list[str], lock: threading.Lock) -> None:
    with httpx.Client(base_url=base, timeout=30, headers={"X-Requested-With": "bench"}) as http:
        # The API's log-in (custom header, JSON): the screen's form needs its page's token.
        # One workstation at a time, as a cabinet opens its day: the log-in throttle counts a
        # try in flight until it is judged, so 20 simultaneous tries of one login are refused.
        with lock:
            login = http.post("/api/session", json={"method": "password", "login": "bench",
                                                    "password": PASSWORD})
        if login.status_code != 200:
            errors.append(f"login {login.status_code}")
            return
        pros = http.get("/api/professionals").json()
        patients = http.get("/api/patients", params={"limit": 30}).json()
        titulaire = next(p["id"] for p in pros if p["kind"] == "titulaire")
        end, n = time.monotonic() + seconds, 0
        while time.monotonic() < end:
            n += 1
            draft = {"professional_id": titulaire, "patient_id": patients[n % len(patients)]["id"],
                     "date_soins": Clock().today().isoformat(), "acts": [{"code": "G"}],
                     "parcours": "medecin_traitant", "secure_mode": "desynchronise"}
            requests = (
                ("validate", http.build_request("POST", "/api/invoices", json=draft)),
                ("search", http.build_request("GET", "/api/patients",
                                              params={"q": SEARCHES[n % len(SEARCHES)]})),
            )
            for kind, request in requests:
                start = time.perf_counter()
                answer = http.send(request)
                elapsed = time.perf_counter() - start
                with lock:
                    timings[kind].append(elapsed)
                    if answer.status_code >= 400 and not (
                            kind == "validate" and answer.status_code == 422):
                        errors.append(f"{kind} {answer.status_code} {answer.text[:200]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workstations", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--pg", default=os.environ.get(
        "OPENFSE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    name = f"openfse_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    url = make_url(args.pg).set(database=name).render_as_string(hide_password=False)
    try:
        with TemporaryDirectory(prefix="openfse-load-") as tmp:
            home = Path(tmp)
            prepare(Settings.from_env({"OPENFSE_HOME": str(home), "OPENFSE_DATABASE_URL": url}))
            port = free_port()
            server = serve(home, url, port)
            timings: dict[str, list[float]] = {"validate": [], "search": []}
            errors: list[str] = []
            lock = threading.Lock()
            threads = [threading.Thread(target=workstation, args=(
                f"http://127.0.0.1:{port}", args.seconds, timings, errors, lock))
                for _ in range(args.workstations)]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.monotonic() - started
            server.terminate()
            server.wait(10)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()
    print(f"{args.workstations} workstations × {args.seconds:.0f} s on PostgreSQL "
          f"(one uvicorn process), wall {wall:.1f} s")
    for kind, values in timings.items():
        if not values:
            print(f"{kind:9s} no request")
            continue
        ordered = sorted(values)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(f"{kind:9s} {len(values):6d} requests  {len(values) / wall:7.1f}/s  "
              f"p50 {statistics.median(values) * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms")
    print(f"errors    {len(errors)}")
    for error in errors[:10]:
        print("  ", error)
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
