"""Pending teleservice answers (``PendingResult``): read by token, expired ones removed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete

from openfse.store.models.pending import PendingResult
from openfse.store.repositories.base import Repository


class PendingResultRepository(Repository[PendingResult]):
    model = PendingResult
    noun = "Résultat en attente"

    def by_token(self, token: str) -> PendingResult | None:
        stmt = self._select().where(PendingResult.token == token)
        return self.session.scalars(stmt).first()

    def purge_expired(self, now: datetime) -> None:
        """Remove the cabinet's answers whose time is over (nobody can read them any more)."""
        self.session.execute(delete(PendingResult).where(
            self._cabinet_filter(), PendingResult.expires_at < now))
