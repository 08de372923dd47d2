"""Favourite care (soins favoris) and their act lines."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import selectinload

from openfse.store.models import Favourite
from openfse.store.models.search_text import search_key
from openfse.store.repositories.base import Repository, SortOrder

# Which favourites a list shows: every one (None), the cabinet-wide ones only ("cabinet"),
# or a professional's own plus the cabinet-wide ones (his id).
Owner = int | str | None
CABINET = "cabinet"


class FavouriteRepository(Repository[Favourite]):
    """Favourites; their ``acts`` are saved with them (cascade) and come back in order."""

    model = Favourite
    noun = "Favori"

    def search(self, text: str, *, professional_id: Owner = None,
               order: SortOrder = "asc", limit: int = 50) -> Sequence[Favourite]:
        """Favourites whose label starts with ``text``, their acts loaded.

        ``professional_id``: an id gives his own and the cabinet-wide ones (no owner),
        ``"cabinet"`` the cabinet-wide ones only, None every favourite."""
        conditions = [] if professional_id is None else [_owned_by(professional_id)]
        rows = self._prefix_search(Favourite.search_label, text, *conditions, order=order,
                                   limit=limit)
        if rows:  # one more query loads every list's acts (not one per favourite)
            ids = [row.id for row in rows]
            self.session.scalars(select(Favourite).where(Favourite.id.in_(ids))
                                 .options(selectinload(Favourite.acts))).all()
        return rows

    def get_with_acts(self, favourite_id: int) -> Favourite:
        """The favourite and its acts, readable after the unit of work is closed."""
        favourite = self.get(favourite_id)
        _ = list(favourite.acts)  # loads the lines now, while the session is open
        return favourite

    def same_label(self, label: str, professional_id: int | None) -> Sequence[Favourite]:
        """Favourites of the same owner whose label reads the same (case, accents ignored)."""
        owner: ColumnElement[bool] = (Favourite.professional_id.is_(None)
                                      if professional_id is None
                                      else Favourite.professional_id == professional_id)
        stmt = self._select().where(owner, Favourite.search_label == search_key(label))
        return self.session.scalars(stmt).all()


def _owned_by(owner: int | str) -> ColumnElement[bool]:
    if owner == CABINET:
        return Favourite.professional_id.is_(None)
    if isinstance(owner, int):
        return or_(Favourite.professional_id.is_(None), Favourite.professional_id == owner)
    raise ValueError(f"owner filter must be a professional id or {CABINET!r}, not {owner!r}")
