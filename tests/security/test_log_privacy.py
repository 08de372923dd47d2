"""Issue 12, finding 6: no patient data in any log line, on SQLite and PostgreSQL.

An unhandled database error reaches uvicorn's error log with its traceback. SQLAlchemy writes
the statement's parameters into the error text unless the engine hides them
(``hide_parameters``, https://docs.sqlalchemy.org/en/20/core/engines.html), and PostgreSQL
repeats row values in the DETAIL of its errors (« Failing row contains (…) »,
https://www.postgresql.org/docs/current/protocol-error-fields.html): neither may reach a log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from stdnum.fr import nir as stdnum_nir
from web_server import serving  # tests/web_server.py

from openfse.composition.demo import load_demo
from openfse.config import Settings
from openfse.store.db import make_engine, session_factory
from openfse.store.models import Cabinet, Patient
from security.databases import backend, execute, fresh_settings, pg, release  # noqa: F401
from security.sessions import login_for

NIR_BASE = "2870675123456"  # a woman born in June 1987 in Paris (département 75)
NIR = NIR_BASE + stdnum_nir.calc_check_digits(NIR_BASE)
LAST_NAME = "CONFIDENTIELLE"
NOTES = "Allergie pénicilline XYZZY"
SECRETS = (NIR, NIR_BASE, LAST_NAME, "XYZZY")


@pytest.fixture(scope="module")
def settings(backend: str, pg: Any, tmp_path_factory: pytest.TempPathFactory,  # noqa: F811
             ) -> Iterator[Settings]:
    settings = fresh_settings(backend, tmp_path_factory.mktemp("log-privacy"), pg)
    load_demo(settings, today=date(2026, 3, 2))
    yield settings
    release(settings)


class _RecordSeen(logging.Handler):
    """Sets ``seen`` when a record whose message contains ``text`` is logged."""

    def __init__(self, text: str) -> None:
        super().__init__(level=logging.DEBUG)
        self.text = text
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def test_a_database_error_in_a_request_logs_no_patient_data(
        settings: Settings, caplog: pytest.LogCaptureFixture,
        capfd: pytest.CaptureFixture[str]) -> None:
    from openfse.web.app import create_app

    app = create_app(settings)
    login = login_for(settings)
    # The database fails under the request (a column gone): an error nobody handles.
    execute(settings, "ALTER TABLE patient RENAME COLUMN notes TO notes_moved")
    try:
        with serving(app) as url, httpx.Client(base_url=url, headers=login.headers,
                                               cookies={login.cookie_name: login.cookie_value},
                                               timeout=30) as client:
            # uvicorn configured its loggers when it started (not propagating to the root):
            # listen to its error log from now on.
            error_log = logging.getLogger("uvicorn.error")
            error_log.addHandler(caplog.handler)
            # uvicorn logs the exception after the 500 has gone out: wait for that record
            # (a state), not for time, before the handler is taken off.
            reported = _RecordSeen("Exception in ASGI application")
            error_log.addHandler(reported)
            try:
                with caplog.at_level(logging.DEBUG):
                    response = client.post("/api/patients", json={
                        "last_name": LAST_NAME, "first_name": "Jeanne", "sex": "F",
                        "birth_date": "12/06/1987", "quality": "00", "nir": NIR,
                        "notes": NOTES})
                    assert reported.seen.wait(30), "uvicorn never logged the error"
            finally:
                error_log.removeHandler(reported)
                error_log.removeHandler(caplog.handler)
    finally:
        execute(settings, "ALTER TABLE patient RENAME COLUMN notes_moved TO notes")

    assert response.status_code == 500
    logged = caplog.text
    assert "Exception in ASGI application" in logged  # the error log path was exercised
    assert "SQL" in logged  # with the database error in it
    out, err = capfd.readouterr()
    assert _leaks(logged) == [] and _leaks(out) == [] and _leaks(err) == []


def test_an_integrity_error_text_carries_no_row_values(
        settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    # birth_rank 10 breaks a CHECK constraint: PostgreSQL's DETAIL would list the whole row.
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session:
            cabinet_id = session.scalars(select(Cabinet.id)).first()
            session.add(Patient(cabinet_id=cabinet_id, last_name=LAST_NAME, first_name="Jeanne",
                                nir=NIR, notes=NOTES, birth_rank=10))
            with pytest.raises(IntegrityError) as raised:
                session.flush()
            logging.getLogger("openfse.tests").error("refused", exc_info=raised.value)
    finally:
        engine.dispose()

    assert "birth_rank" in str(raised.value)  # the constraint is still named
    assert _leaks(caplog.text) == []
    diag = getattr(raised.value.orig, "diag", None)
    if diag is not None:  # PostgreSQL: the details stay available to code, not to logs
        assert NIR in (diag.message_detail or "")

