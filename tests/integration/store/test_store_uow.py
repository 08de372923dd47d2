"""Unit of work: all or nothing, one cabinet, usable after a refused row."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from openfse.errors import Conflict
from openfse.store.journal import JournalAction
from openfse.store.models import Patient, Professional, ProfessionalKind
from openfse.store.uow import CabinetRequired, UnitOfWork, UnitOfWorkClosed


def _professional(rpps: str, last_name: str = "Durand") -> Professional:
    return Professional(kind=ProfessionalKind.TITULAIRE, rpps=rpps, last_name=last_name,
                        first_name="Claire", billing_number=None)


def test_work_not_committed_leaves_nothing(make_uow: Callable[..., UnitOfWork]) -> None:
    with make_uow() as uow:
        uow.patients.add(Patient(last_name="Blanc"))  # flushed: has an id, not committed
        uow.journal("create", "patient", 1)

    with make_uow() as uow:
        assert (uow.patients.count(), uow.journal_entries.count()) == (0, 0)


def test_an_exception_rolls_back_even_after_an_earlier_commit(
        make_uow: Callable[..., UnitOfWork]) -> None:
    with pytest.raises(ValueError), make_uow() as uow:
        uow.patients.add(Patient(last_name="Saved"))
        uow.commit()
        uow.patients.add(Patient(last_name="Lost"))
        raise ValueError("boom")

    with make_uow() as uow:
        assert [p.last_name for p in uow.patients.search("")] == ["Saved"]


def test_objects_read_in_a_unit_of_work_stay_readable_after_it(
        make_uow: Callable[..., UnitOfWork]) -> None:
    with make_uow() as uow:
        uow.patients.add(Patient(last_name="Lecture", first_name="Seule"))
        uow.commit()
    with make_uow() as uow:
        found = uow.patients.search("lec")

    assert [(p.last_name, p.first_name) for p in found] == [("Lecture", "Seule")]


def test_a_duplicate_is_a_conflict_and_the_unit_of_work_goes_on(
        make_uow: Callable[..., UnitOfWork]) -> None:
    with make_uow() as uow:
        uow.professionals.add(_professional("10101010101"))
        with pytest.raises(Conflict) as raised:
            uow.professionals.add(_professional("10101010101", last_name="Doublon"))
        uow.professionals.add(_professional("20202020202", last_name="Autre"))
        uow.commit()

    assert raised.value.code == "duplicate"
    with make_uow() as uow:
        assert sorted(p.last_name for p in uow.professionals.active()) == ["Autre", "Durand"]


def test_a_conflict_at_commit_is_typed_and_nothing_is_saved(
        make_uow: Callable[..., UnitOfWork]) -> None:
    with make_uow() as uow:
        uow.professionals.add(_professional("30303030303"))
        uow.commit()

    with make_uow() as uow:
        uow.journal("create", "professional", 0)
        uow.session.add(Professional(cabinet_id=uow.cabinet_id, kind=ProfessionalKind.TITULAIRE,
                                     rpps="30303030303", last_name="Bis", first_name="X"))
        with pytest.raises(Conflict):
            uow.commit()

    with make_uow() as uow:
        assert (uow.professionals.count(), uow.journal_entries.count()) == (1, 0)


def test_the_same_rpps_may_exist_in_two_cabinets(
        make_uow: Callable[..., UnitOfWork], cabinets: tuple[int, int]) -> None:
    for cabinet in cabinets:
        with make_uow(cabinet) as uow:
            uow.professionals.add(_professional("40404040404"))
            uow.commit()

    for cabinet in cabinets:
        with make_uow(cabinet) as uow:
            assert uow.professionals.by_rpps("40404040404") is not None


def test_cabinet_repositories_need_a_cabinet(sessions: sessionmaker[Session]) -> None:
    with UnitOfWork(sessions, actor="test",
                    actor_user_id=None) as uow, pytest.raises(CabinetRequired):
        uow.patients.search("a")


def test_a_closed_unit_of_work_refuses_work(make_uow: Callable[..., UnitOfWork]) -> None:
    uow = make_uow()
    with uow:
        pass
    with pytest.raises(UnitOfWorkClosed):
        uow.commit()


def test_journal_change_claims_a_new_row_for_the_cabinet(
        make_uow: Callable[..., UnitOfWork], cabinet_id: int) -> None:
    with make_uow() as uow:
        patient = Patient(last_name="Neuf")
        uow.journal_change(patient, JournalAction.CREATE)
        uow.commit()

    assert patient.cabinet_id == cabinet_id


def test_a_refused_creation_is_neither_saved_nor_journaled(
        make_uow: Callable[..., UnitOfWork]) -> None:
    with make_uow() as uow:
        uow.journal_change(_professional("50505050505"), JournalAction.CREATE)
        with pytest.raises(Conflict):
            uow.journal_change(_professional("50505050505", "Bis"), JournalAction.CREATE)
        uow.commit()

    with make_uow() as uow:
        assert [p.last_name for p in uow.professionals.active()] == ["Durand"]
        assert [e.action for e in uow.journal_entries.recent()] == ["create"]
