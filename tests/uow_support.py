"""Units of work for test set-up and checks: always with a named actor (issue 11: the journal
never names a default), never through a removed ``AppContext.uow()``."""

from __future__ import annotations

from collections.abc import Callable

from openfse.services.context import AppContext
from openfse.store.uow import UnitOfWork


def unit_of(ctx: AppContext, actor: str = "test") -> UnitOfWork:
    """A unit of work of ``ctx``'s cabinet, journaled as ``actor`` (a test fixture, no user)."""
    return ctx.unit_of_work(actor=actor, actor_user_id=None)


def uow_factory(ctx: AppContext, actor: str = "test") -> Callable[[], UnitOfWork]:
    """What long workflows (sending, fetching returns) take: a fresh unit of work each call."""
    return lambda: unit_of(ctx, actor)
