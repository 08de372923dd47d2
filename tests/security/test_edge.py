"""Issue 12, findings 9, 15 and 16: what every request and every answer goes through first
(:mod:`openfse.web.edge`).

* 9 — « No request-body limit: four anonymous 300 MB posts to /api/session took the server to
  2.3 GB. » A body over the limit is answered 413 having held at most the limit in memory.
* 15 — security headers on every answer; uploaded files checked against what they claim.
* 16 — « 500s on a lone surrogate in JSON, JSON nested 1,000+ deep, CR/LF/NUL in retour,
  /journal?acteur=\\ and NUL in patient fields on PostgreSQL. » Each is a 422 (a French page on
  the screens, the JSON error on the API), and nothing is written. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from uow_support import unit_of

from openfse.config import Settings
from openfse.domain.file_types import IMAGE_TYPES, check_content
from openfse.domain.invoice import Attachment
from openfse.errors import InvalidInput
from openfse.store.models import Patient, UserRole
from openfse.web.edge import Edge, EdgeLimits, json_depth
from security.sessions import logged_in, page_token

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

PDF, PNG = b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"


@pytest.fixture()
def app(demo_settings: Settings) -> Iterator[Any]:
    from openfse.web.app import create_app

    app = create_app(demo_settings)
    yield app
    app.state.ctx.engine.dispose()


@pytest.fixture()
def titulaire(app: Any, demo_settings: Settings) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield logged_in(client, demo_settings, UserRole.TITULAIRE)


def _patients(app: Any) -> int:
    with unit_of(app.state.ctx) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Patient)) or 0)


# --------------------------------------------------------------------------- 9: body limit


def test_an_announced_oversized_body_is_refused_before_it_is_read(app: Any) -> None:
    with TestClient(app) as anonymous:
        answer = anonymous.post("/api/session", content=b"{}", headers={
            "Content-Type": "application/json", "Content-Length": str(300 * 1024 * 1024)})
    assert answer.status_code == 413
    assert answer.json()["error"] == {"code": "body_too_large", "field": None,
                                      "message": "Envoi trop volumineux : 1 Mo au plus."}


def test_a_streamed_body_is_counted_and_cut_at_the_limit() -> None:
    """No Content-Length (chunked): the edge reads chunk after chunk and stops at the limit —
    it never holds more than the limit plus one chunk, and the app never runs."""
    reached: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(True)

    chunk = b"x" * 65536
    sent = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        sent += 1
        return {"type": "http.request", "body": chunk, "more_body": sent < 300 * 16}  # 300 MB

    answers: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        answers.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/session", "query_string": b"",
             "headers": [(b"content-type", b"application/json")]}
    edge = Edge(app, EdgeLimits(max_body_bytes=1024 * 1024))
    # In a thread of its own: the browser tests' driver may hold this thread's event loop.
    worker = threading.Thread(target=lambda: asyncio.run(edge(scope, receive, send)))
    worker.start()
    worker.join()
    assert answers[0]["status"] == 413 and not reached
    assert sent == 1024 * 1024 // len(chunk) + 1  # 1 MB read, then the 17th chunk: refused


def test_a_file_upload_may_be_larger_than_a_form_but_not_without_bound(
    titulaire: TestClient, app: Any,
) -> None:
    token = page_token(titulaire, "/")
    two_mb = b"\x89PNG\r\n\x1a\n" + b"0" * (2 * 1024 * 1024)
    form = titulaire.post("/facture/apcv", data={"csrf_token": token, "payload": "x" * 10},
                          files={"image": ("qr.png", two_mb, "image/png")})
    assert form.status_code != 413  # 2 MB of file: under the upload limit (20 MB)
    big = titulaire.post("/facture/apcv", data={"csrf_token": token},
                         files={"image": ("qr.png", two_mb * 11, "image/png")})
    assert big.status_code == 413 and "20 Mo au plus" in big.text
    plain = titulaire.post("/api/patients", json={"last_name": "x" * (2 * 1024 * 1024)})
    assert plain.status_code == 413  # not a file: the smaller limit


# --------------------------------------------------------------------------- 16: edge text


def test_json_nested_deeper_than_the_limit_is_a_422(titulaire: TestClient) -> None:
    deep = "[" * 1000 + "]" * 1000
    answer = titulaire.post("/api/patients", content=deep,
                            headers={"Content-Type": "application/json"})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "json_too_deep"
    assert json_depth(b'{"a": "[[[[", "b": [1, {"c": []}]}') == 4  # strings skipped


def test_a_lone_surrogate_in_json_is_a_422(titulaire: TestClient, app: Any) -> None:
    before = _patients(app)
    answer = titulaire.post("/api/patients", content=b'{"last_name": "DUPONT\\ud800"}',
                            headers={"Content-Type": "application/json"})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_text"
    assert _patients(app) == before


def test_a_nul_in_a_patient_field_is_a_422_on_either_database(
    titulaire: TestClient, app: Any,
) -> None:
    before = _patients(app)
    api = titulaire.post("/api/patients", json={
        "last_name": "DUPONT", "first_name": "JEAN\u0000", "birth_date": "1980-01-01"})
    assert api.status_code == 422 and api.json()["error"]["code"] == "invalid_text"
    page = titulaire.post("/patients/nouveau", data={
        "csrf_token": page_token(titulaire, "/"), "last_name": "DUPONT\x00", "first_name": "J"})
    assert page.status_code == 422
    assert "Demande refusée" in page.text and "Caractère de contrôle" in page.text
    assert _patients(app) == before


@pytest.mark.parametrize("retour", ["/x\r\nSet-Cookie: a=b", "/x\x00", "/x\n"])
def test_a_control_character_in_retour_is_never_a_500(
    app: Any, retour: str,
) -> None:
    with TestClient(app, follow_redirects=False) as desk:
        answer = desk.post("/connexion/lecteur", data={"action": "inserer", "card": "x",
                                                       "retour": retour})
    assert answer.status_code in (303, 422), answer.text
    assert "set-cookie: a=b" not in str(answer.headers).lower()
    if answer.status_code == 303:  # CR/LF: a form field may hold them, never a redirect
        assert answer.headers["location"] == "/connexion"


@pytest.mark.parametrize("query", ["acteur=%5C", "acteur=%25", "acteur=a%00", "acteur=%0d%0a"])
def test_the_journal_filter_takes_any_text_without_a_500(
    titulaire: TestClient, query: str,
) -> None:
    answer = titulaire.get(f"/journal?{query}")
    assert answer.status_code in (200, 422), answer.text


# --------------------------------------------------------------------------- 15: headers


@pytest.mark.parametrize("path", ["/connexion", "/", "/api/health", "/api/patients",
                                  "/nulle-part"])
def test_every_answer_carries_the_security_headers(titulaire: TestClient, path: str) -> None:
    headers = titulaire.get(path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["content-security-policy"] == "frame-ancestors 'none'"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cache-control"] == "no-store"


def test_refusals_carry_them_too_and_static_files_keep_their_caching(app: Any) -> None:
    with TestClient(app, follow_redirects=False) as anonymous:
        refused = anonymous.get("/api/patients")
        assert refused.status_code == 401 and refused.headers["cache-control"] == "no-store"
        assert refused.headers["x-frame-options"] == "DENY"
        style = anonymous.get("/static/css/openfse.css")
        assert style.status_code == 200 and style.headers["x-content-type-options"] == "nosniff"
        assert style.headers.get("cache-control") != "no-store"


def test_an_upload_whose_content_is_not_what_it_claims_is_refused() -> None:
    assert check_content(PNG, "image/png", IMAGE_TYPES, field="f") == "image/png"
    assert check_content(JPEG, "image/jpg", IMAGE_TYPES, field="f") == "image/jpeg"
    for content, declared in ((PDF, "image/png"), (b"<html>", "image/png"), (PNG, "image/jpeg")):
        with pytest.raises(InvalidInput) as refused:
            check_content(content, declared, IMAGE_TYPES, field="image")
        assert refused.value.field == "image" and refused.value.code == "file_type_mismatch"
    # The ordonnance of an invoice (screen and API): a script named .pdf is not a PDF.
    with pytest.raises(InvalidInput, match="Fichier illisible comme JPEG, PDF ou PNG"):
        Attachment("application/pdf", b"#!/bin/sh\nrm -rf /", "ordonnance.pdf")
    with pytest.raises(InvalidInput, match="se dit PDF mais son contenu est un PNG"):
        Attachment("application/pdf", PNG, "ordonnance.pdf")
    assert Attachment("application/pdf", PDF, "ordonnance.pdf").media_type == "application/pdf"


def test_the_apcv_photo_is_checked_on_the_screen(titulaire: TestClient) -> None:
    answer = titulaire.post("/facture/apcv", data={"csrf_token": page_token(titulaire, "/")},
                            files={"image": ("qr.png", PDF, "image/png")})
    assert answer.status_code == 422
    assert "Fichier illisible comme image PNG ou JPEG" in answer.text
