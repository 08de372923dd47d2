"""Liveness and version."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from openfse import __version__
from openfse.web.deps import DeskDep

router = APIRouter(tags=["système"])


class Health(BaseModel):
    status: str
    version: str
    database: str


@router.get("/health", response_model=Health)
def health(desk: DeskDep) -> Health:
    return Health(status="ok", version=__version__, database=desk.context.database_kind)
