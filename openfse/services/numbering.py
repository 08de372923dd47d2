"""Invoice numbers: 9 digits, per billing professional, unique and without gaps — even with
several workstations validating at once (docs/protocols.md §1.2 and §7.2; manuel eS-KAP+ «
Attribution automatique d'une référence de facture unique »).

How: one counter row per (cabinet, professional) holds the last number given. The validating
transaction increments it with one statement, ``INSERT … ON CONFLICT DO UPDATE SET
last_number = last_number + 1 RETURNING last_number`` (an upsert: the first invoice creates
the row), and that statement is **the first of the transaction**:

- PostgreSQL: the upsert locks the counter row until the transaction ends; a second
  workstation's upsert waits, then reads the committed value (READ COMMITTED re-evaluates the
  conflicting row), so two validations never get the same number.
- SQLite: a write is the only way to take the database write lock, and taking it first means
  no read snapshot older than the last commit exists in this transaction (a deferred
  transaction that read before writing fails with SQLITE_BUSY_SNAPSHOT whatever the
  busy timeout); waiting writers queue on ``busy_timeout`` (``openfse.store.db``).

Gapless: the number is consumed only if the validating transaction commits; a rollback (a
refused validation, a crash) gives it back with everything else. Numbers survive deletion and
cancellation of their invoice (the rows stay).

``run_writing(uow, work)`` runs ``work`` in a fresh write transaction and retries it when the
database reports a transient lock conflict (SQLite "database is locked" after the busy
timeout; PostgreSQL serialization failure or deadlock), so such errors never reach the user.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from openfse.domain.invoice import MAX_INVOICE_NUMBER, InvoiceNumber
from openfse.errors import Conflict, OpenFSEError
from openfse.store.models import InvoiceNumberCounter
from openfse.store.uow import UnitOfWork

T = TypeVar("T")

MAX_ATTEMPTS = 5
RETRY_PAUSE_S = 0.05
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock


class NumbersExhausted(Conflict):
    code = "invoice_numbers_exhausted"


class NumberingOrderError(OpenFSEError):
    """A programming error: the number must be the first statement of its transaction."""

    code = "numbering_order"


def _counter_table() -> Table:
    table = InvoiceNumberCounter.__table__
    assert isinstance(table, Table)
    return table


def allocate_number(uow: UnitOfWork, professional_id: int) -> InvoiceNumber:
    """The next invoice number of ``professional_id``, taken in the current unit of work.

    Must be the first statement of its transaction (see the module docstring): call it right
    after ``uow.commit()``/``rollback()`` or at the start of the unit of work.

    Raises:
        NumberingOrderError: the session already has a transaction in progress.
        NumbersExhausted: the professional reached 999 999 999.
    """
    session = uow.session
    if session.in_transaction():
        raise NumberingOrderError(
            "Le numéro de facture doit être pris en premier dans sa transaction.")
    table = _counter_table()
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    stmt = (insert(table)
            .values(cabinet_id=uow.require_cabinet(), professional_id=professional_id,
                    last_number=1)
            .on_conflict_do_update(index_elements=[table.c.cabinet_id, table.c.professional_id],
                                   set_={"last_number": table.c.last_number + 1})
            .returning(table.c.last_number))
    try:
        number = int(session.execute(stmt).scalar_one())
    except IntegrityError as error:
        session.rollback()
        if "last_number" in str(error.orig):
            raise NumbersExhausted(
                f"Plus de numéro de facture disponible (maximum {MAX_INVOICE_NUMBER}).") from None
        raise
    return InvoiceNumber(number)


def last_number(uow: UnitOfWork, professional_id: int) -> int:
    """The last number given to ``professional_id`` (0 before the first invoice)."""
    row = uow.session.get(InvoiceNumberCounter, (uow.require_cabinet(), professional_id))
    return 0 if row is None else row.last_number


def is_transient(error: BaseException) -> bool:
    """A lock conflict worth retrying (nothing was written: the transaction rolled back)."""
    if isinstance(error, OperationalError) and "database is locked" in str(error.orig):
        return True
    if isinstance(error, DBAPIError):
        return getattr(error.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES
    return False


def run_writing(uow: UnitOfWork, work: Callable[[], T]) -> T:
    """Run ``work`` (which writes and commits) in a fresh transaction of ``uow``, retrying
    transient lock conflicts; any transaction in progress is committed first (``work`` must
    start with ``allocate_number`` when it numbers)."""
    uow.commit()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return work()
        except DBAPIError as error:
            uow.rollback()
            if not is_transient(error) or attempt == MAX_ATTEMPTS:
                raise
            time.sleep(RETRY_PAUSE_S * attempt)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
