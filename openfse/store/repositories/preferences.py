"""Preferences: JSON values per cabinet, optionally overridden per user."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from openfse.store.models import Preference
from openfse.store.repositories.base import Repository


class PreferenceRepository(Repository[Preference]):
    model = Preference
    noun = "Préférence"

    @staticmethod
    def _owner(user_id: int | None) -> ColumnElement[bool]:
        return Preference.user_id.is_(None) if user_id is None else Preference.user_id == user_id

    def row(self, key: str, user_id: int | None = None) -> Preference | None:
        """The stored row of ``key`` at the cabinet level (or the user's, with user_id)."""
        stmt = self._select().where(Preference.key == key, self._owner(user_id))
        return self.session.scalars(stmt).first()

    def rows(self, user_id: int | None = None) -> dict[str, Preference]:
        """Every row of one level (the cabinet's, or one user's), by key."""
        stmt = self._select().where(self._owner(user_id))
        return {row.key: row for row in self.session.scalars(stmt)}

    def effective_values(self, user_id: int | None = None) -> dict[str, Any]:
        """The value of every stored key: the user's own if any, else the cabinet's."""
        values = {key: row.value for key, row in self.rows(None).items()}
        if user_id is not None:
            values.update({key: row.value for key, row in self.rows(user_id).items()})
        return values

    def value(self, key: str, *, user_id: int | None = None, default: Any = None) -> Any:
        """The user's own value if any, else the cabinet's, else ``default``."""
        for owner in ([user_id] if user_id is not None else []) + [None]:
            row = self.row(key, owner)
            if row is not None:
                return row.value
        return default

    def set(self, key: str, value: Any, *, user_id: int | None = None) -> Preference:
        """Create or replace the value at the cabinet level (or the user's, with user_id)."""
        row = self.row(key, user_id)
        if row is None:
            return self.add(Preference(key=key, value=value, user_id=user_id))
        row.value = value
        return row

    def unset(self, key: str, *, user_id: int | None = None) -> None:
        """Remove a value (a user's removal makes the cabinet value apply again)."""
        row = self.row(key, user_id)
        if row is not None:
            self.delete(row)
