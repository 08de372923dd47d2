"""Teleservice answers kept between two clicks of the logged-in user, for every web screen and
the API alike (:mod:`openfse.services.pending_results`: in the database, so a restart or a
second worker loses none; a token from a page can be applied through the API and back)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request

from openfse.services import pending_results
from openfse.services.pending_results import PendingKind
from openfse.web.session import current_user

__all__ = ["PendingKind", "keep", "kept"]


def keep(request: Request, kind: PendingKind, value: Any, subject_id: int | None = None) -> str:
    """Keep a teleservice answer for the user's next click; its token."""
    return pending_results.put(request.app.state.ctx.uow(), kind, value,
                               user_id=_user_id(request), subject_id=subject_id,
                               now=datetime.now(UTC))


def kept(request: Request, token: str, kind: PendingKind, subject_id: int | None = None) -> Any:
    """The answer kept under ``token`` for this user (``NotFound`` once expired)."""
    return pending_results.get(request.app.state.ctx.uow(), token, kind,
                               user_id=_user_id(request), subject_id=subject_id,
                               now=datetime.now(UTC))


def _user_id(request: Request) -> int:
    user = current_user(request)
    if user is None:  # the guard (web.security) lets only logged-in users reach these routes
        raise RuntimeError("a pending answer belongs to a logged-in user")
    return user.user_id
