"""Teleservice answers kept for the user's next click (services.pending_results), in the
database: the ADRi compare-and-choose answer survives a restart of the server, and only its
user reads it back, for its patient file, until it expires — on the demo cabinet (SQLite)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.errors import NotFound
from openfse.services import patients, pending_results
from openfse.services.pending_results import PendingKind
from openfse.services.setup import session_factory_for
from openfse.services.teleservices import AdriFound
from openfse.store.models import AppUser, PendingResult, UserRole
from openfse.store.uow import UnitOfWork

MakeUow = Callable[[], UnitOfWork]
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _user(make_uow: MakeUow, login: str) -> int:
    with make_uow() as uow:
        user = uow.users.by_login(login)
        if user is None:
            user = uow.users.add(AppUser(login=login, display_name=login,
                                         role=UserRole.SECRETAIRE))
            uow.commit()
        return user.id


def _adri_answer(make_uow: MakeUow, settings: Settings) -> tuple[int, object]:
    """What ADRi (the simulator of the demo) says about Anne PETIT today."""
    from openfse.services.context import AppContext

    ctx = AppContext.open(settings)
    try:
        anne = next(p for p in patients.search_patients(make_uow(), "PETIT ANNE")
                    if p.first_name == "ANNE")
        _, result = patients.query_patient_rights(make_uow(), ctx.adri, anne.id, Clock().today())
    finally:
        ctx.engine.dispose()
    assert isinstance(result, AdriFound)
    return anne.id, result.answer


def test_an_adri_answer_comes_back_whole_to_its_user_for_its_patient(
        make_uow: MakeUow, settings: Settings) -> None:
    alice, bob = _user(make_uow, "alice"), _user(make_uow, "bob")
    anne, answer = _adri_answer(make_uow, settings)
    token = pending_results.put(make_uow(), PendingKind.ADRI, answer, user_id=alice,
                                subject_id=anne, now=NOW)
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", token)
    # Read back by another unit of work, on a new connection pool: as after a restart.
    sessions = session_factory_for(settings)
    with sessions() as session:
        cabinet_id = session.query(PendingResult.cabinet_id).scalar()
    restarted = UnitOfWork(sessions, cabinet_id=cabinet_id, actor="test", actor_user_id=None)
    assert pending_results.get(restarted, token, PendingKind.ADRI, user_id=alice,
                               subject_id=anne, now=NOW + timedelta(minutes=14)) == answer
    # Not for another user, another file, another kind, nor after 15 minutes.
    for user, subject, kind, at in (
            (bob, anne, PendingKind.ADRI, NOW),
            (alice, anne + 1, PendingKind.ADRI, NOW),
            (alice, anne, PendingKind.APCV, NOW),
            (alice, anne, PendingKind.ADRI, NOW + pending_results.TTL + timedelta(seconds=1))):
        with pytest.raises(NotFound) as refused:
            pending_results.get(make_uow(), token, kind, user_id=user, subject_id=subject,
                                now=at)
        assert refused.value.code == "pending_expired"
    with pytest.raises(NotFound, match="interrogez l'ADRi à nouveau"):
        pending_results.get(make_uow(), "inconnu", PendingKind.ADRI, user_id=alice,
                            subject_id=anne, now=NOW)


def test_expired_answers_are_removed_when_a_new_one_is_kept(
        make_uow: MakeUow, settings: Settings) -> None:
    alice = _user(make_uow, "alice")
    anne, answer = _adri_answer(make_uow, settings)
    old = pending_results.put(make_uow(), PendingKind.ADRI, answer, user_id=alice,
                              subject_id=anne, now=NOW)
    later = NOW + pending_results.TTL + timedelta(minutes=1)
    pending_results.put(make_uow(), PendingKind.ADRI, answer, user_id=alice, subject_id=anne,
                        now=later)
    with make_uow() as uow:
        assert uow.pending_results.by_token(old) is None  # the patient data do not linger


def test_a_value_of_the_wrong_type_is_refused(make_uow: MakeUow) -> None:
    with pytest.raises(TypeError):
        pending_results.put(make_uow(), PendingKind.APCV, {"nir": "1"}, user_id=1, now=NOW)


def test_the_adri_compare_screen_survives_a_restart_of_the_server(
        make_uow: MakeUow, settings: Settings) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient
    from security.sessions import logged_in  # tests/security: log-in for the guard

    from openfse.web.app import create_app

    anne = next(p for p in patients.search_patients(make_uow(), "PETIT ANNE")
                if p.first_name == "ANNE").id
    with logged_in(TestClient(create_app(settings)), settings) as first:
        asked = first.post(f"/patients/{anne}/adri", follow_redirects=False)
        assert asked.status_code == 303, asked.text
        compare_url = asked.headers["location"]
        assert re.fullmatch(rf"/patients/{anne}/adri/[A-Za-z0-9_-]{{24}}", compare_url)
    # A new application (a restart, or another worker): the answer is still there.
    with logged_in(TestClient(create_app(settings)), settings) as second:
        page = second.get(compare_url)
        assert page.status_code == 200 and "Choix informations AMO" in page.text
        applied = second.post(compare_url, data={"choix-droits": "adri"},
                              follow_redirects=False)
        assert applied.status_code == 303
        assert applied.headers["location"] == f"/patients/{anne}?fait=adri"
    with logged_in(TestClient(create_app(settings)), settings, UserRole.SECRETAIRE) as other:
        assert other.get(compare_url).status_code == 404  # another user's answer
