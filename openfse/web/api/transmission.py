"""Télétransmission (JSON): lots, sending, fetching the returns, dashboard, payments export.

- ``GET /api/transmission/lots``: the latest lots with status, ARL reasons and countdown.
- ``POST /api/transmission/lots``: build lots from the signed invoices (``BuildReport``).
- ``POST /api/transmission/send``: send every prepared lot; ``POST
  /api/transmission/lots/{lot_id}/resend``: send one lot again (same Message-ID).
- ``POST /api/transmission/fetch``: fetch and apply the ARL and payment returns.
- ``GET /api/transmission/dashboard``: flows of the day and of the month.
- ``GET /api/transmission/payments.csv?start=&end=``: the accountant's export.

Transport failures are not errors of the request: they come back in ``error`` (French) with
what was done; sending or fetching again is safe.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response

from openfse.adapters.transmission.errors import TransmissionReceiveError
from openfse.services import transmission
from openfse.web.session import actor_uow

router = APIRouter(tags=["télétransmission"])


def _factory(request: Request) -> transmission.UowFactory:
    return lambda: actor_uow(request)


@router.get("/transmission/lots")
def lots(request: Request) -> list[dict[str, Any]]:
    with actor_uow(request) as uow:
        return [asdict(view) for view in transmission.lots_overview(uow, date.today())]


@router.post("/transmission/lots")
def build(request: Request) -> dict[str, Any]:
    return asdict(transmission.build_lots(_factory(request), date.today()))


@router.post("/transmission/send")
def send(request: Request) -> dict[str, Any]:
    ctx = request.app.state.ctx
    outcome = transmission.send_lots_now(_factory(request), ctx.settings)
    return {**asdict(outcome), "complete": outcome.complete}


@router.post("/transmission/lots/{lot_id}/resend")
def resend(request: Request, lot_id: str) -> dict[str, Any]:
    ctx = request.app.state.ctx
    outcome = transmission.resend_lot(_factory(request), ctx.settings, lot_id,
                                      today=date.today())
    return {**asdict(outcome), "complete": outcome.complete}


@router.post("/transmission/fetch")
def fetch(request: Request) -> dict[str, Any]:
    ctx = request.app.state.ctx
    try:
        return {**asdict(transmission.fetch_returns(_factory(request), ctx.settings)),
                "error": ""}
    except TransmissionReceiveError as problem:
        return {"error": problem.message, "code": problem.code}


@router.get("/transmission/dashboard")
def dashboard(request: Request) -> dict[str, Any]:
    with actor_uow(request) as uow:
        return asdict(transmission.dashboard(uow, date.today()))


@router.get("/transmission/payments.csv")
def payments_csv(request: Request, start: date, end: date) -> Response:
    with actor_uow(request) as uow:
        data = transmission.payments_csv(uow, start, end)
    return Response(data, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="paiements-{start}-{end}.csv"'})
