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
from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, Field

from openfse.adapters.transmission.errors import TransmissionReceiveError
from openfse.adapters.transmission.transport import Transport
from openfse.services import transmission
from openfse.web.api.errors import documented
from openfse.web.api.params import IsoDate
from openfse.web.deps import DeskDep, get_transport

router = APIRouter(tags=["télétransmission"])
TransportDep = Annotated[Transport, Depends(get_transport)]


class BuildOut(BaseModel):
    """The lots built (ids), how many invoices went in, those refused and why."""

    lots: list[str]
    invoices: int
    refused: list[list[int | str]] = Field(description="[invoice id, French reason] pairs")
    notes: list[str] = Field(description="French: what went without something")


class SendOut(BaseModel):
    """Lots sent (ids), lots that were to send, and the French ``error`` that stopped the
    batch (``complete`` when none)."""

    sent: list[str]
    total: int
    error: str
    elsewhere: int = Field(description="Prepared lots another workstation is sending")
    complete: bool

    @classmethod
    def of(cls, outcome: transmission.SendOutcome) -> SendOut:
        return cls(**asdict(outcome), complete=outcome.complete)


class FetchOut(BaseModel):
    """What the returns changed; on a transport failure, ``error`` (French) and ``code``."""

    arl_positive: int = 0
    arl_negative: int = 0
    statements: int = 0
    lines: int = 0
    unmatched: int = 0
    duplicates: int = 0
    quarantined: int = 0
    quarantine_reasons: list[str] = Field(default_factory=list)
    error: str = ""
    code: str | None = None


@router.get("/transmission/lots", response_model=list[transmission.LotView])
def lots(desk: DeskDep) -> list[transmission.LotView]:
    with desk.uow() as uow:
        return transmission.lots_overview(uow, desk.today)


@router.post("/transmission/lots", response_model=BuildOut)
def build(desk: DeskDep) -> BuildOut:
    report = transmission.build_lots(desk.uow, desk.today, now=desk.now.astimezone(UTC))
    return BuildOut(lots=list(report.lots), invoices=report.invoices,
                    refused=[[invoice_id, reason] for invoice_id, reason in report.refused],
                    notes=list(report.notes))


@router.post("/transmission/send", response_model=SendOut)
def send(desk: DeskDep, transport: TransportDep) -> SendOut:
    return SendOut.of(transmission.send_lots_now(desk.uow, transport,
                                                 now=desk.now.astimezone(UTC)))


@router.post("/transmission/lots/{lot_id}/resend", response_model=SendOut,
             responses=documented(404, 409))
def resend(desk: DeskDep, transport: TransportDep,
           lot_id: Annotated[str, Path(max_length=64)]) -> SendOut:
    return SendOut.of(transmission.resend_lot(desk.uow, transport, lot_id, today=desk.today,
                                              now=desk.now.astimezone(UTC)))


@router.post("/transmission/fetch", response_model=FetchOut)
def fetch(desk: DeskDep, transport: TransportDep) -> FetchOut:
    try:
        outcome = transmission.fetch_returns(desk.uow, transport, now=desk.now.astimezone(UTC))
    except TransmissionReceiveError as problem:
        return FetchOut(error=problem.message, code=problem.code)
    return FetchOut(**asdict(outcome))


@router.get("/transmission/dashboard", response_model=transmission.Dashboard)
def dashboard(desk: DeskDep) -> transmission.Dashboard:
    with desk.uow() as uow:
        return transmission.dashboard(uow, desk.today)


@router.get("/transmission/payments.csv", response_class=Response,
            responses={200: {"description": "The payment-return lines, `;`-separated, UTF-8",
                             "content": {"text/csv": {"schema": {"type": "string"}}}}})
def payments_csv(desk: DeskDep, start: IsoDate, end: IsoDate) -> Response:
    with desk.uow() as uow:
        data = transmission.payments_csv(uow, start, end)
    return Response(data, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="paiements-{start}-{end}.csv"'})
