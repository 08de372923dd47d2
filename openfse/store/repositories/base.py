"""The generic cabinet-scoped repository, and database errors turned into typed ones.

Repositories return **ORM objects** (not dataclasses): they are thin, the services decide
what to convert into domain values, and changes to a loaded object are saved by the unit of
work's commit without a second mapping layer. Objects stay readable after the unit of work
closes (``expire_on_commit=False``) but lazy relationships then can no longer load.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Generic, Literal, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openfse.errors import Conflict, NotFound
from openfse.store.base import Base
from openfse.store.models.search_text import prefix_upper_bound, search_key

SortOrder = Literal["asc", "desc"]
M = TypeVar("M", bound=Base)

MAX_LIMIT = 1000


class CabinetMismatch(Conflict):
    code = "cabinet_mismatch"


def conflict_from(error: IntegrityError) -> Conflict:
    """A user-facing error for a constraint the database refused (SQLite or PostgreSQL)."""
    origin = error.orig
    sqlstate = getattr(origin, "sqlstate", None)
    text = str(origin)
    if "append-only table" in text:
        return Conflict("Le journal ne peut être ni modifié ni effacé.", code="append_only")
    if sqlstate == "23505" or "UNIQUE constraint failed" in text:
        return Conflict("Un enregistrement identique existe déjà (doublon).", code="duplicate")
    if sqlstate == "23503" or "FOREIGN KEY constraint failed" in text:
        return Conflict("Référence invalide : l'élément lié n'existe pas dans ce cabinet, "
                        "ou il est encore utilisé ailleurs.", code="bad_reference")
    return Conflict("Données refusées par la base : une règle de cohérence n'est pas "
                    "respectée.", code="constraint_violation")


def guarded_write(session: Session, add: Sequence[Base] = (), *,
                  delete: Sequence[Base] = ()) -> None:
    """Add and delete rows, flushed inside a SAVEPOINT; a refusal raises ``Conflict``.

    Only these rows are undone on refusal: the surrounding unit of work stays usable.
    (Changes made *before* the call are flushed first, outside the savepoint.)
    """
    try:
        with session.begin_nested():
            session.add_all(add)
            for row in delete:
                session.delete(row)
    except IntegrityError as error:
        raise conflict_from(error) from error


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


class Repository(Generic[M]):
    """Add, get, list and delete rows of one model, always within one cabinet."""

    model: ClassVar[type[Any]]
    noun: ClassVar[str]  # French, for messages: "Patient", "Professionnel"…

    def __init__(self, session: Session, cabinet_id: int) -> None:
        self.session = session
        self.cabinet_id = cabinet_id

    # -- reading -------------------------------------------------------------------------
    def _cabinet_filter(self) -> ColumnElement[bool]:
        cabinet_id: ColumnElement[int] = self.model.cabinet_id
        return cabinet_id == self.cabinet_id

    def _select(self) -> Select[M]:
        return select(self.model).where(self._cabinet_filter())

    def find(self, row_id: int) -> M | None:
        """The row with this id in this cabinet, or None (another cabinet's row is None)."""
        row: M | None = self.session.get(self.model, row_id)
        if row is None or getattr(row, "cabinet_id", None) != self.cabinet_id:
            return None
        return row

    def get(self, row_id: int) -> M:
        """Like ``find`` but raises ``NotFound`` with a French message."""
        row = self.find(row_id)
        if row is None:
            raise NotFound(f"{self.noun} introuvable (n° {row_id}).")
        return row

    def list(self, *, limit: int = 100, offset: int = 0) -> Sequence[M]:
        """Rows in creation order."""
        stmt = self._select().order_by(self.model.id).limit(check_limit(limit)).offset(offset)
        return self.session.scalars(stmt).all()

    def count(self) -> int:
        stmt = select(func.count()).select_from(self.model).where(self._cabinet_filter())
        return int(self.session.scalar(stmt) or 0)

    def _prefix_search(self, column: Any, text: str, *conditions: ColumnElement[bool],
                       order: SortOrder, limit: int) -> Sequence[M]:
        """Rows whose search-key ``column`` starts with the key of ``text``, in key order."""
        stmt = self._select().where(*conditions)
        key = search_key(text)
        if key:
            stmt = stmt.where(column >= key, column < prefix_upper_bound(key))
        stmt = stmt.order_by(ordered(column, order), ordered(self.model.id, order))
        return self.session.scalars(stmt.limit(check_limit(limit))).all()

    # -- writing -------------------------------------------------------------------------
    def add(self, row: M) -> M:
        """Insert ``row`` into this cabinet and flush it (its id is then set).

        The insert runs in a SAVEPOINT: a refused row (duplicate, bad reference) raises
        ``Conflict`` and leaves the unit of work usable.
        """
        return self.add_all([row])[0]

    def add_all(self, rows: Iterable[M]) -> builtins.list[M]:
        rows = builtins.list(rows)
        for row in rows:
            self._claim(row)
        self.flush_guarded(rows)
        return rows

    def delete(self, row: M) -> None:
        self._check_owned(row)
        self.flush_guarded(delete=[row])

    def flush_guarded(self, add: Sequence[Base] = (), *, delete: Sequence[Base] = ()) -> None:
        guarded_write(self.session, add, delete=delete)

    def _claim(self, row: M) -> None:
        current = getattr(row, "cabinet_id", None)
        if current is None:
            row.cabinet_id = self.cabinet_id  # type: ignore[attr-defined]
        else:
            self._check_owned(row)

    def _check_owned(self, row: Base) -> None:
        if getattr(row, "cabinet_id", None) != self.cabinet_id:
            raise CabinetMismatch(f"{self.noun} d'un autre cabinet : opération refusée.")


def ordered(column: Any, order: SortOrder) -> Any:
    """``column ASC`` or ``column DESC``."""
    if order == "asc":
        return column.asc()
    if order == "desc":
        return column.desc()
    raise ValueError(f"sort order must be 'asc' or 'desc', not {order!r}")
