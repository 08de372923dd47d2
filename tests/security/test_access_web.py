"""Access control at the web edge: log-in required, the role policy for the UI and the API
alike, the remplaçant's calendar days, CSRF (issue 8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, select
from starlette.testclient import TestClient

from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.services.context import AppContext
from openfse.store.models import (
    Professional,
    ProfessionalKind,
    ReplacementDay,
    UserRole,
)

T, R, S, A = UserRole.TITULAIRE, UserRole.REMPLACANT, UserRole.SECRETAIRE, UserRole.ADMIN
ALL = frozenset(UserRole)
# The remplaçant is checked on a day that is NOT on his calendar here: no patient file, no
# payment, no billing (README « Sécurité », issue 12; see test_the_remplacant_bills_only_on_his_
# calendar_days for a day that is).
CARE = frozenset({T, S})

# (method, path, json body, roles allowed).
CASES: list[tuple[str, str, Any, frozenset[UserRole]]] = [
    ("GET", "/", None, ALL),
    ("GET", "/patients", None, CARE),
    ("GET", "/api/patients", None, CARE),
    ("GET", "/prescripteurs", None, CARE),
    ("POST", "/api/invoices/preview", {}, CARE),
    ("POST", "/api/invoices/999999/payments", {}, CARE),
    ("POST", "/api/invoices", {}, frozenset({T})),
    ("POST", "/api/invoices/999999/cancel", {}, frozenset({T})),
    ("POST", "/api/invoices/sign", {}, frozenset({T})),
    ("GET", "/parametres", None, frozenset({T, A})),
    ("PUT", "/api/organisms/amo/999999", {}, frozenset({T, A})),
    ("POST", "/professionnels/secretariat", None, frozenset({T, A})),
    ("GET", "/journal", None, frozenset({T, A})),
]


@pytest.fixture(scope="module", autouse=True)
def remplacant_not_on_duty_today(settings: Settings) -> None:
    ctx = AppContext.open(settings)
    with ctx.sessions() as session, session.begin():
        session.execute(delete(ReplacementDay).where(ReplacementDay.day == Clock().today()))
    ctx.engine.dispose()


def _send(client: TestClient, method: str, path: str, body: Any) -> Any:
    if body is None and method != "GET":
        return client.request(method, path, data={"csrf_token": _csrf(client)})
    return client.request(method, path, json=body)


def _csrf(client: TestClient) -> str:
    return str(client.headers.get("X-CSRF-Token", ""))


@pytest.mark.parametrize("role", list(UserRole), ids=lambda r: r.value)
@pytest.mark.parametrize(("method", "path", "body", "allowed"), CASES,
                         ids=[f"{m} {p}" for m, p, _, _ in CASES])
def test_each_role_reaches_only_what_the_policy_allows(
    client_for: Callable[[UserRole], TestClient], role: UserRole, method: str, path: str,
    body: Any, allowed: frozenset[UserRole],
) -> None:
    response = _send(client_for(role), method, path, body)
    if role in allowed:
        assert response.status_code not in (401, 403), response.text
    else:
        assert response.status_code == 403, response.text
        if path.startswith("/api/"):
            assert response.json()["error"]["code"] in ("forbidden", "not_a_replacement_day")
        else:
            assert "Accès refusé" in response.text


def test_a_refusal_says_why_in_french(client_for: Callable[[UserRole], TestClient]) -> None:
    answer = client_for(S).post("/api/invoices/sign", json={})
    assert answer.json()["error"]["message"] == (
        "La signature des factures demande un professionnel connecté avec sa CPS.")
    page = client_for(S).get("/parametres", headers={"HX-Request": "true"})
    assert page.status_code == 200  # htmx swaps only 2xx: the refusal is shown, not dropped
    assert "Seuls le titulaire et l&#39;administrateur" in page.text


def test_the_remplacant_bills_only_on_his_calendar_days(
    client_for: Callable[[UserRole], TestClient], settings: Settings
) -> None:
    client = client_for(R)
    refused = client.post("/api/invoices", json={})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_a_replacement_day"
    _put_on_duty_today(settings)
    allowed = client.post("/api/invoices", json={})
    assert allowed.status_code == 422  # past the guard: the empty draft is refused by its checks


def _put_on_duty_today(settings: Settings) -> None:
    ctx = AppContext.open(settings)
    try:
        with ctx.sessions() as session, session.begin():
            titulaire, remplacant = (
                session.scalars(select(Professional.id).where(Professional.kind == kind)).first()
                for kind in (ProfessionalKind.TITULAIRE, ProfessionalKind.REMPLACANT))
            session.add(ReplacementDay(cabinet_id=ctx.cabinet_id, remplacant_id=remplacant,
                                       titulaire_id=titulaire, day=Clock().today()))
    finally:
        ctx.engine.dispose()
