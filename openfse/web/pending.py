"""Teleservice answers kept between two clicks of the logged-in user, for every web screen and
the API alike (:mod:`openfse.services.pending_results`: in the database, so a restart or a
second worker loses none; a token from a page can be applied through the API and back).

Each call takes the request's desk: the answer belongs to its logged-in user, is read and
written through his unit of work, and expires on the cabinet's clock."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from openfse.services import pending_results
from openfse.services.pending_results import PendingKind
from openfse.services.session_login import SessionUser
from openfse.store.uow import UnitOfWork
from openfse.web.deps import Desk, app_context, clock_of
from openfse.web.session import current_user

__all__ = ["PendingKind", "keep", "kept"]


def keep(desk: Desk | Request, kind: PendingKind, value: Any,
         subject_id: int | None = None) -> str:
    """Keep a teleservice answer for the user's next click; its token."""
    user, uow, now = _bound(desk)
    return pending_results.put(uow, kind, value, user_id=user.user_id, subject_id=subject_id,
                               now=now)


def kept(desk: Desk | Request, token: str, kind: PendingKind,
         subject_id: int | None = None) -> Any:
    """The answer kept under ``token`` for this user (``NotFound`` once expired)."""
    user, uow, now = _bound(desk)
    return pending_results.get(uow, token, kind, user_id=user.user_id, subject_id=subject_id,
                               now=now)


def _bound(desk: Desk | Request) -> tuple[SessionUser, UnitOfWork, Any]:
    if isinstance(desk, Desk):
        user, now = desk.user, desk.now
        if user is None:  # the guard (web.security) lets only logged-in users reach these routes
            raise RuntimeError("a pending answer belongs to a logged-in user")
        return user, desk.uow(), now
    # Transitional (issue 11): a route not yet given its desk passes its request; the same
    # user-bound unit of work and cabinet clock, built here. Removed once every caller
    # (web/ui/invoice.py, web/api/patients.py) passes ``desk``.
    request_user = current_user(desk)
    if request_user is None:
        raise RuntimeError("a pending answer belongs to a logged-in user")
    uow = app_context(desk).unit_of_work(actor=request_user.login,
                                         actor_user_id=request_user.user_id)
    return request_user, uow, clock_of(desk).now()
