"""The journal: written with the change it describes, and impossible to alter afterwards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from openfse.errors import Conflict
from openfse.store.journal import REDACTED, JournalAction, current_request_id
from openfse.store.models import Patient
from openfse.store.uow import UnitOfWork


def _one_entry(make_uow: Callable[..., UnitOfWork]) -> int:
    with make_uow() as uow:
        entry = uow.journal("read", "patient", 7, summary="Consultation du dossier")
        uow.commit()
        return entry.id


def test_an_entry_is_recorded_with_actor_time_and_request_id(
        make_uow: Callable[..., UnitOfWork], cabinet_id: int) -> None:
    token = current_request_id.set("req-42")
    try:
        entry_id = _one_entry(make_uow)
    finally:
        current_request_id.reset(token)

    with make_uow() as uow:
        entry = uow.journal_entries.get(entry_id)

    assert (entry.cabinet_id, entry.actor, entry.action, entry.entity, entry.entity_id,
            entry.summary, entry.request_id) == (
        cabinet_id, "secretaire.test", "read", "patient", "7", "Consultation du dossier",
        "req-42")
    assert entry.at.tzinfo == UTC
    assert abs((datetime.now(UTC) - entry.at).total_seconds()) < 60


@pytest.mark.parametrize("statement", [
    "UPDATE journal SET summary = 'falsifié'",
    "DELETE FROM journal",
])
def test_sql_update_and_delete_of_the_journal_are_refused_by_the_database(
        make_uow: Callable[..., UnitOfWork], engine: Engine, cabinet_id: int,
        statement: str) -> None:
    _one_entry(make_uow)

    with pytest.raises(DBAPIError, match="append-only table journal"), \
            engine.begin() as connection:
        connection.execute(text(statement + " WHERE cabinet_id = :c"), {"c": cabinet_id})

    with engine.connect() as connection:
        assert connection.execute(text("SELECT summary FROM journal WHERE cabinet_id = :c"),
                                  {"c": cabinet_id}).scalars().all() == [
            "Consultation du dossier"]


# SQLite has no TRUNCATE (its DELETE is guarded above).
@pytest.mark.parametrize(
    "backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_truncate_of_the_journal_is_refused_on_postgresql(
        make_uow: Callable[..., UnitOfWork], engine: Engine) -> None:
    _one_entry(make_uow)

    with pytest.raises(DBAPIError, match="append-only table journal"), \
            engine.begin() as connection:
        connection.execute(text("TRUNCATE journal"))


def test_deleting_an_entry_through_the_orm_is_a_conflict(
        make_uow: Callable[..., UnitOfWork]) -> None:
    entry_id = _one_entry(make_uow)

    with make_uow() as uow:
        entry = uow.journal_entries.get(entry_id)
        with pytest.raises(Conflict) as raised:
            uow.journal_entries.delete(entry)

    assert raised.value.code == "append_only"


def test_a_change_and_its_entry_are_committed_together(
        make_uow: Callable[..., UnitOfWork]) -> None:
    with make_uow() as uow:
        patient = Patient(last_name="Lefèvre", first_name="Élodie", birth_date_text="19900512",
                          notes="Allergie pénicilline")
        created = uow.journal_change(patient, JournalAction.CREATE)
        uow.commit()

    assert created.entity == "patient" and created.entity_id == str(patient.id)
    assert created.changes is not None
    assert created.changes["last_name"] == {"before": None, "after": "Lefèvre"}
    assert created.changes["birth_date"] == {"before": None, "after": "1990-05-12"}
    assert created.changes["notes"] == {"before": None, "after": REDACTED}
    assert created.changes["quality"] == {"before": None, "after": "00"}  # column default
    assert "search_name" not in created.changes and "cabinet_id" not in created.changes

    with make_uow() as uow:
        loaded = uow.patients.get(patient.id)
        loaded.first_name = "Elodie"
        loaded.notes = "Allergie pénicilline et iode"
        updated = uow.journal_change(loaded, JournalAction.UPDATE)
        uow.commit()

    assert updated.changes == {
        "first_name": {"before": "Élodie", "after": "Elodie"},
        "notes": {"before": REDACTED, "after": REDACTED},
    }

    with make_uow() as uow:
        history = [(e.action, e.entity_id) for e in uow.journal_entries.history(
            "patient", patient.id)]
    assert history == [("create", str(patient.id)), ("update", str(patient.id))]


def test_a_rolled_back_change_leaves_no_entry(make_uow: Callable[..., UnitOfWork]) -> None:
    with pytest.raises(RuntimeError), make_uow() as uow:
        uow.journal_change(Patient(last_name="Fantôme"), JournalAction.CREATE)
        raise RuntimeError("the invoice could not be signed")

    with make_uow() as uow:
        assert uow.journal_entries.count() == 0
        assert uow.patients.count() == 0


def test_deleting_records_the_last_values(make_uow: Callable[..., UnitOfWork]) -> None:
    with make_uow() as uow:
        patient = uow.patients.add(Patient(last_name="Martin", first_name="Paul"))
        uow.commit()

    with make_uow() as uow:
        entry = uow.journal_change(uow.patients.get(patient.id), JournalAction.DELETE)
        uow.commit()

    with make_uow() as uow:
        assert uow.patients.find(patient.id) is None
    assert entry.changes is not None
    assert entry.changes["last_name"] == {"before": "Martin", "after": None}
