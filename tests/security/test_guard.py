"""The guard's other duties: open routes, log-in redirects, CSRF, the journal of patient reads,
the journal's immutability through the app, and no patient identity in the logs (issue 8)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient
from uow_support import unit_of

from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.services import audit
from openfse.services.context import AppContext
from openfse.store.models import UserRole
from openfse.web.security import QueryStringRedactor

T = UserRole.TITULAIRE


@pytest.mark.parametrize("path", ["/api/health", "/api/session", "/openapi.json", "/connexion",
                                  "/static/css/openfse.css"])
def test_the_open_routes_need_no_log_in(anonymous: TestClient, path: str) -> None:
    assert anonymous.get(path).status_code == 200


def test_anonymous_pages_go_to_the_start_screen_and_the_api_answers_401(
    anonymous: TestClient,
) -> None:
    page = anonymous.get("/patients")
    assert (page.status_code, page.headers["location"]) == (303, "/connexion")
    htmx = anonymous.get("/patients", headers={"HX-Request": "true"})
    assert (htmx.status_code, htmx.headers["HX-Redirect"]) == (200, "/connexion")
    api = anonymous.get("/api/patients")
    assert api.status_code == 401
    assert api.json()["error"]["code"] == "login_required"
    assert anonymous.post("/api/invoices", json={}).status_code == 401


def test_ui_posts_need_the_session_csrf_token(
    client_for: Callable[[UserRole], TestClient],
) -> None:
    client = client_for(T)
    token = str(client.headers["X-CSRF-Token"])
    bare = {k: v for k, v in client.headers.items() if k.lower() not in ("x-csrf-token",)}
    url = "/prescripteurs/nouveau"
    without = client.post(url, data={"last_name": "X"}, headers={**bare, "X-CSRF-Token": ""})
    assert without.status_code == 403
    assert "Formulaire expiré" in without.text
    wrong = client.post(url, data={"csrf_token": "forged"}, headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403
    by_field = client.post(url, data={"csrf_token": token}, headers={"X-CSRF-Token": ""})
    assert by_field.status_code in (200, 303, 422)  # past the guard: the route answered
    by_header = client.post(url, data={}, headers={"X-CSRF-Token": token})
    assert by_header.status_code in (200, 303, 422)


def test_the_pages_carry_the_token_for_htmx_and_forms(
    client_for: Callable[[UserRole], TestClient],
) -> None:
    client = client_for(T)
    token = str(client.headers["X-CSRF-Token"])
    body = client.get("/patients").text
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in body
    assert f'data-csrf="{token}"' in body


def test_api_writes_need_a_custom_header(client_for: Callable[[UserRole], TestClient]) -> None:
    client = client_for(T)
    plain = {"X-CSRF-Token": "", "X-Requested-With": ""}
    refused = client.post("/api/invoices/preview", json={}, headers=plain)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    ok = client.post("/api/invoices/preview", json={},
                     headers={"X-CSRF-Token": "", "X-Requested-With": "fetch"})
    assert ok.status_code == 422  # past the guard


def _journal_reads(settings: Settings, patient_id: int) -> list[audit.JournalLine]:
    ctx = AppContext.open(settings)
    try:
        with unit_of(ctx) as uow:
            lines = audit.search_journal(uow, audit.JournalFilter(entity="patient"),
                                         reads_patients=True, clock=Clock())
    finally:
        ctx.engine.dispose()
    return [line for line in lines if line.action == "read" and line.entity_id == str(patient_id)]


def test_opening_a_patient_file_is_journaled_in_the_ui_and_the_api(
    client_for: Callable[[UserRole], TestClient], settings: Settings,
) -> None:
    client = client_for(T)
    patient_id = client.get("/api/patients").json()[0]["id"]
    before = len(_journal_reads(settings, patient_id))
    assert client.get(f"/api/patients/{patient_id}").status_code == 200
    assert client.get(f"/patients/{patient_id}").status_code == 200
    reads = _journal_reads(settings, patient_id)
    assert len(reads) == before + 2
    assert reads[0].actor.startswith("cps.")  # the reader, not « anonyme »
    assert client.get("/api/patients/99999999").status_code == 404
    assert _journal_reads(settings, 99999999) == []  # no read journaled for a missing file


def test_the_journal_screen_lists_and_filters(
    client_for: Callable[[UserRole], TestClient],
) -> None:
    client = client_for(T)
    page = client.get("/journal", params={"entite": "patient"})
    assert page.status_code == 200 and "Entrées du journal" in page.text
    bad = client.get("/journal", params={"jour": "31/02"})
    assert bad.status_code == 200 and "Date invalide" in bad.text


def test_no_route_can_change_the_journal(app: Any) -> None:
    unsafe = {"POST", "PUT", "PATCH", "DELETE"}

    def routes(node: Any) -> Iterator[Any]:
        for route in getattr(node, "routes", []):
            yield route
            yield from routes(route)

    for route in routes(app):
        path = str(getattr(route, "path", ""))
        if "journal" in path:
            assert not (set(getattr(route, "methods", None) or ()) & unsafe), path


def test_the_access_log_redactor_drops_query_strings() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/patients?q=DUPONT", "1.1", 200), None)
    assert QueryStringRedactor().filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "GET /patients HTTP/1.1" 200'


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_no_patient_identity_reaches_the_logs(app: Any, settings: Settings) -> None:
    import uvicorn

    from security.sessions import login_for

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="debug",
                                           access_log=True))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    collect = _Collect()
    watched = [logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.access",
                                                    "uvicorn.error", "openfse")]
    for logger in watched:
        logger.addHandler(collect)
    login = login_for(settings)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=login.headers,
                          cookies={login.cookie_name: login.cookie_value}) as http:
            patients = http.get("/api/patients", params={"limit": 3}).json()
            secrets_seen: list[str] = []
            for patient in patients:
                http.get("/api/patients", params={"q": patient["last_name"]})
                http.get("/patients", params={"q": patient["last_name"]})
                full = http.get(f"/api/patients/{patient['id']}").json()
                secrets_seen += [patient["last_name"], patient["first_name"]]
                secrets_seen += [v for k, v in full.items() if "nir" in k and isinstance(v, str)]
            http.post("/api/invoices/preview", json={"patient_id": patients[0]["id"]})
    finally:
        for logger in watched:
            logger.removeHandler(collect)
        server.should_exit = True
        thread.join(10)
    assert any("GET /api/patients" in line for line in collect.lines)  # the log was captured
    for secret in secrets_seen:
        assert not [line for line in collect.lines if secret in line], secret


def test_an_id_too_large_for_the_database_is_not_found(
    client_for: Callable[[UserRole], TestClient],
) -> None:
    # 2**63 = 9223372036854775808: beyond BIGINT, the driver would fail (schemathesis found it).
    answer = client_for(T).get("/api/invoices/1/attachments/9223372036854775808")
    assert answer.status_code == 404
    assert client_for(T).get("/api/invoices/9223372036854775807").status_code == 404  # in range
