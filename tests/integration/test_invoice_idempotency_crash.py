"""Issue 12, finding 18: an invoice committed just before a crash was lost to the client, and
its retry made a duplicate. ``POST /api/invoices`` takes an ``Idempotency-Key``: the client
that lost the answer sends the same key again and gets the first invoice.

A real ``openfse serve`` process (SQLite file, or a fresh PostgreSQL database) receives the
request on a raw socket whose answer the client never reads; as soon as the invoice is
committed (its key is in the database) the server is killed with SIGKILL. The client has no
answer. After the restart it retries with the same key: the answer is the invoice that was
committed — same id, same number — and exactly one invoice exists for that key.
"""

from __future__ import annotations

import json
import signal
import socket
import time
from typing import Any

import httpx
from integration.test_crash_safety import _free_port, _start, settings  # noqa: F401 (fixture)
from sqlalchemy import func, select

from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.services.context import AppContext
from openfse.store.models import Invoice, InvoiceIdempotencyKey

KEY = "b3f0c1de-7a52-4d0e-9e11-lost-answer"


def _keys(ctx: AppContext) -> list[int]:
    with ctx.sessions() as session:
        return list(session.scalars(select(InvoiceIdempotencyKey.invoice_id).where(
            InvoiceIdempotencyKey.key == KEY)))


def _send_without_reading(port: int, headers: dict[str, str], body: bytes) -> socket.socket:
    """POST /api/invoices on a raw socket; the answer is never read (the client 'crashes')."""
    lines = ["POST /api/invoices HTTP/1.1", f"Host: 127.0.0.1:{port}",
             "Content-Type: application/json", f"Content-Length: {len(body)}",
             *(f"{name}: {value}" for name, value in headers.items()), "", ""]
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    connection.sendall("\r\n".join(lines).encode("latin-1") + body)
    return connection


def test_a_retry_after_a_crash_returns_the_committed_invoice_never_a_second_one(
        settings: Settings) -> None:  # noqa: F811 (the fixture imported above)
    from security.sessions import login_for

    login = login_for(settings)
    headers = {**login.headers, "Idempotency-Key": KEY,
               "Cookie": f"{login.cookie_name}={login.cookie_value}"}
    port = _free_port()
    server = _start(settings, port)
    ctx = AppContext.open(settings)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=login.headers,
                          cookies={login.cookie_name: login.cookie_value}) as http:
            pros = http.get("/api/professionals").json()
            patient = http.get("/api/patients", params={"q": "BERNARD JEAN"}).json()[0]
        draft: dict[str, Any] = {
            "professional_id": next(p["id"] for p in pros if p["kind"] == "titulaire"),
            "patient_id": patient["id"], "date_soins": Clock().today().isoformat(),
            "acts": [{"code": "G"}], "parcours": "medecin_traitant",
            "secure_mode": "desynchronise"}
        body = json.dumps(draft).encode()
        lost = _send_without_reading(port, headers, body)
        deadline = time.monotonic() + 20
        while not _keys(ctx) and time.monotonic() < deadline:
            time.sleep(0.01)  # polls the database: the commit is the event waited for
        committed = _keys(ctx)
        assert len(committed) == 1, "the invoice was not committed"
        server.send_signal(signal.SIGKILL)  # right after the commit: the answer is lost
        server.wait(10)
        lost.close()

        server = _start(settings, port)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers,
                          timeout=10) as http:
            retried = http.post("/api/invoices", content=body,
                                headers={"Content-Type": "application/json"})
            again = http.post("/api/invoices", content=body,
                              headers={"Content-Type": "application/json"})
    finally:
        server.kill()
        server.wait(10)

    try:
        assert retried.status_code == 201, retried.text
        assert retried.json()["id"] == committed[0]
        assert retried.headers["Idempotent-Replayed"] == "true"
        assert again.json() == retried.json()
        with ctx.sessions() as session:
            made = session.scalar(select(func.count()).select_from(Invoice).where(
                Invoice.patient_id == draft["patient_id"],
                Invoice.professional_id == draft["professional_id"]))
        assert made == 1, f"{made} invoices for one validation retried after a crash"
        assert _keys(ctx) == committed
    finally:
        ctx.engine.dispose()
