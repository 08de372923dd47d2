"""Liveness and version."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from openfse import __version__

router = APIRouter(tags=["système"])


class Health(BaseModel):
    status: str
    version: str
    database: str


@router.get("/health", response_model=Health)
def health(request: Request) -> Health:
    ctx = request.app.state.ctx
    return Health(status="ok", version=__version__, database=ctx.database_kind)
