"""Reading the journal (writing goes through ``openfse.store.journal.record``)."""

from __future__ import annotations

from collections.abc import Sequence

from openfse.store.journal import JournalEntry
from openfse.store.repositories.base import Repository, check_limit


class JournalRepository(Repository[JournalEntry]):
    model = JournalEntry
    noun = "Entrée du journal"

    def history(self, entity: str, entity_id: int | str) -> Sequence[JournalEntry]:
        """Every entry about one record, oldest first."""
        stmt = (self._select()
                .where(JournalEntry.entity == entity, JournalEntry.entity_id == str(entity_id))
                .order_by(JournalEntry.at, JournalEntry.id))
        return self.session.scalars(stmt).all()

    def recent(self, *, limit: int = 100) -> Sequence[JournalEntry]:
        """The latest entries of the cabinet, newest first."""
        stmt = (self._select().order_by(JournalEntry.at.desc(), JournalEntry.id.desc())
                .limit(check_limit(limit)))
        return self.session.scalars(stmt).all()
