"""Patient search through the HTTP API on SQLite: p50/p95 per request on 100 000 patients.

    .venv/bin/python bench/bench_patient_search_api.py [--patients 100000] [--rounds 20]

Target (issue 5 « Patients »): p95 < 20 ms per request through the API.

Builds a throwaway data directory whose SQLite database (WAL, migrated to head) holds
``--patients`` patients of the cabinet the app serves — plus a neighbour cabinet of 10 % as
many — with the skewed, French-looking names of ``bench_patient_search.py`` (common surnames,
a long tail, accents, compound names, noms d'usage). The real application (``create_app``)
is then served by uvicorn on 127.0.0.1 and a keep-alive HTTP client sends the same mix of
desk searches as the repository bench (1 to 3 letters, surnames, « nom prénom », first
names, no match) to ``GET /api/patients?q=…&limit=50``. Each timing covers the whole request:
HTTP parsing, routing, a fresh unit of work, the indexed search, the ORM objects, pydantic
validation and the JSON body of up to 50 patients.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_patient_search import SEARCHES, percentile, populate  # noqa: E402

from openfse.config import Settings  # noqa: E402
from openfse.services.session_login import hash_password  # noqa: E402
from openfse.store.db import make_engine, session_factory  # noqa: E402
from openfse.store.journal import JournalAction  # noqa: E402
from openfse.store.migrations import upgrade  # noqa: E402
from openfse.store.models import AppUser, Cabinet, UserRole  # noqa: E402
from openfse.store.uow import UnitOfWork  # noqa: E402
from openfse.web.app import create_app  # noqa: E402

PASSWORD = "mesure-de-la-recherche"  # the desk's account (every page needs a log-in)


def build_database(settings: Settings, patients: int) -> None:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    # The first cabinet is the one the app serves (services.setup.ensure_cabinet).
    sessions = session_factory(engine)
    populate(sessions, patients)
    with sessions() as session:
        cabinet_id = session.query(Cabinet.id).order_by(Cabinet.id).first()[0]
    with UnitOfWork(sessions, cabinet_id=cabinet_id, actor="bench", actor_user_id=None) as uow:
        user = AppUser(login="bench", display_name="Secrétariat", role=UserRole.SECRETAIRE,
                       password_hash=hash_password(PASSWORD))
        uow.journal_change(user, JournalAction.CREATE, summary="compte de mesure")
        uow.commit()
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()


def serve(settings: Settings) -> tuple[uvicorn.Server, threading.Thread, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20, help="repetitions of the mix")
    parser.add_argument("--limit", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="openfse-bench-api-") as scratch:
        settings = Settings.from_env({"OPENFSE_HOME": scratch})
        started = time.perf_counter()
        build_database(settings, args.patients)
        print(f"inserted {args.patients} patients (+{args.patients // 10} in another cabinet) "
              f"in {time.perf_counter() - started:.1f} s")
        server, thread, url = serve(settings)
        timings: dict[str, list[float]] = {kind: [] for kind in SEARCHES}
        hits: dict[str, int] = {}
        try:
            with httpx.Client(base_url=url, timeout=10,
                              headers={"X-Requested-With": "bench"}) as client:
                login = client.post("/api/session", json={  # the API's log-in
                    "method": "password", "login": "bench", "password": PASSWORD})
                if login.status_code != 200:
                    raise SystemExit(f"log-in refused: {login.status_code}")
                for round_number in range(args.rounds + 1):
                    for kind, texts in SEARCHES.items():
                        for text in texts:
                            t0 = time.perf_counter()
                            response = client.get("/api/patients",
                                                  params={"q": text, "limit": args.limit})
                            elapsed_ms = (time.perf_counter() - t0) * 1000
                            response.raise_for_status()
                            if round_number:  # round 0 warms the caches
                                timings[kind].append(elapsed_ms)
                            hits[text] = len(response.json())
        finally:
            server.should_exit = True
            thread.join(10)

    print(f"{'search':<16}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}   rows returned")
    everything: list[float] = []
    for kind, samples in timings.items():
        everything += samples
        rows = ", ".join(f"{t}:{hits[t]}" for t in SEARCHES[kind])
        print(f"{kind:<16}{len(samples):>6}{statistics.median(samples):>9.2f}"
              f"{percentile(samples, 0.95):>9.2f}{max(samples):>9.2f}   {rows}")
    p95 = percentile(everything, 0.95)
    print(f"{'all':<16}{len(everything):>6}{statistics.median(everything):>9.2f}"
          f"{p95:>9.2f}{max(everything):>9.2f}")
    print(f"target p95 < 20 ms through the API: {'met' if p95 < 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
