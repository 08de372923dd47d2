"""Backups and restores on PostgreSQL: ``pg_dump`` on a synchronized snapshot, restore in one
transaction with ``pg_restore`` + ``psql``, compared row by row.

Needs a server at ``$OPENFSE_TEST_PG_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``, as in CI) and its client programs;
skipped with the reason otherwise. Each test gets its own databases (``CREATE DATABASE …
TEMPLATE`` of a demo database built once), all dropped at the end.
"""

from __future__ import annotations

import shutil
import stat
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic import command
from background_writer import BackgroundWriter  # tests/background_writer.py
from pg_support import PostgresDatabases, admin_or_skip  # tests/pg_support.py
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from openfse.adapters.backup import container, crypto, errors, postgres
from openfse.adapters.backup.fingerprint import TableFingerprint, fingerprint
from openfse.composition.demo import load_demo
from openfse.config import Settings
from openfse.services.backup import create_backup, read_backup, restore_backup
from openfse.services.setup import engine_for, session_factory_for
from openfse.store.db import make_engine
from openfse.store.journal import JournalAction
from openfse.store.migrations import MIGRATIONS_DIR, alembic_config, head_revision
from openfse.store.migrations.append_only import has_guard
from openfse.store.models import Cabinet, Patient
from openfse.store.uow import UnitOfWork

pytestmark = pytest.mark.postgres

FAST = crypto.ScryptParams(n=2**10)
PASSPHRASE = "quatre mots pris au hasard"
NOW = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)


# -- databases ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def databases() -> Iterator[PostgresDatabases]:
    """Uniquely named databases of this module, dropped at the end."""
    admin = admin_or_skip()
    if shutil.which("pg_dump") is None and not Path("/usr/lib/postgresql").is_dir():
        admin.dispose()
        pytest.skip("PostgreSQL client programs (pg_dump, pg_restore, psql) not installed")
    found = PostgresDatabases(admin, "openfse_backup")
    try:
        yield found
    finally:
        found.drop_all()
        admin.dispose()


def _settings(databases: PostgresDatabases, name: str, home: Path) -> Settings:
    return Settings(home=home, database_url=databases.url(name))


@pytest.fixture(scope="module")
def demo_template(databases: PostgresDatabases, tmp_path_factory: pytest.TempPathFactory) -> str:
    name = databases.create()
    settings = _settings(databases, name, tmp_path_factory.mktemp("pg-template"))
    load_demo(settings, today=date(2026, 3, 2))
    engine_for(settings).dispose()  # a template database must have no connection
    return name


@pytest.fixture
def settings(databases: PostgresDatabases, demo_template: str,
             tmp_path: Path) -> Iterator[Settings]:
    """A database holding the demo cabinet, and a home for its backups."""
    settings = _settings(databases, databases.create(template=demo_template), tmp_path / "home")
    yield settings
    engine_for(settings).dispose()


@pytest.fixture
def empty(databases: PostgresDatabases, tmp_path: Path) -> Iterator[Settings]:
    """A brand new, empty database (another server, a new install)."""
    settings = _settings(databases, databases.create(), tmp_path / "elsewhere")
    yield settings
    engine_for(settings).dispose()


def rows(settings: Settings) -> dict[str, TableFingerprint]:
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            return fingerprint(connection)
    finally:
        engine.dispose()


def execute(settings: Settings, *statements: str) -> None:
    engine = make_engine(settings.database_url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def add_patient(settings: Settings, last_name: str, actor: str = "secretaire") -> None:
    sessions = session_factory_for(settings)
    with sessions() as session:
        cabinet_id = session.scalars(select(Cabinet.id)).first()
    with UnitOfWork(sessions, cabinet_id=cabinet_id, actor=actor, actor_user_id=None) as uow:
        uow.journal_change(Patient(last_name=last_name), JournalAction.CREATE)
        uow.commit()


def later_migrations(tmp_path: Path) -> Path:
    """The shipped history plus a revision 9002 adding a table: a later openfse."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory, ignore=shutil.ignore_patterns("__pycache__"))
    (directory / "versions" / "9002_backup_test.py").write_text(
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"revision = '9002'\ndown_revision = {head_revision()!r}\n"
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade() -> None:\n"
        "    op.create_table('backup_test_note', sa.Column('id', sa.Integer, primary_key=True))"
        "\n\n\ndef downgrade() -> None:\n    pass\n", encoding="utf-8")
    return directory


# -- round trips --------------------------------------------------------------------------------
def test_backup_then_changes_then_restore_gives_back_every_row(settings: Settings) -> None:
    original = rows(settings)
    report = create_backup(settings, now=NOW)
    add_patient(settings, "NOUVEAU")
    execute(settings, "UPDATE patient SET mobile_phone = '0611223344'")
    changed = rows(settings)
    assert changed != original

    # Over existing data, --force is required; refused, nothing changes.
    with pytest.raises(errors.DatabaseNotEmpty, match="--force"):
        restore_backup(settings, report.path)
    assert rows(settings) == changed

    restored = restore_backup(settings, report.path, force=True)

    assert rows(settings) == original  # every table, row by row — the journal included
    assert restored.replaced["patient"] == original["patient"].rows + 1
    assert restored.safety_backup is not None and restored.safety_backup.is_file()
    assert stat.S_IMODE(report.path.stat().st_mode) == 0o600
    header = read_backup(report.path)
    major = int(header.snapshot.source_versions["server"].split(".")[0])
    assert int(header.snapshot.source_versions["pg_dump"].split(".")[0]) >= major
    assert (header.snapshot.database, header.snapshot.payload_format,
            header.snapshot.schema_revision) == ("postgresql", "pg_dump-custom", head_revision())
    # The journal is still append-only: the restore recreated its triggers.
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            assert has_guard(connection, "journal")
        for statement in ("UPDATE journal SET summary = 'falsifié'", "DELETE FROM journal",
                          "TRUNCATE journal"):
            with pytest.raises(DBAPIError, match="append-only table journal"), \
                    engine.begin() as connection:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def test_encrypted_backup_restored_into_an_empty_database(settings: Settings,
                                                          empty: Settings) -> None:
    # The new server shows instants in another time zone: the same rows must still match
    # the fingerprint (timestamps are compared in UTC).
    name = make_url(empty.database_url).database
    execute(empty, f"ALTER DATABASE {name} SET TimeZone TO 'Pacific/Auckland'")
    report = create_backup(settings, passphrase=PASSPHRASE, kdf=FAST, now=NOW)

    with pytest.raises(errors.WrongPassphrase):
        restore_backup(empty, report.path, passphrase="pas la bonne phrase")
    assert rows(empty) == {}

    restored = restore_backup(empty, report.path, passphrase=PASSPHRASE)  # empty: no --force

    assert rows(empty) == rows(settings)
    assert restored.safety_backup is None


def test_objects_the_backup_does_not_have_are_dropped(settings: Settings) -> None:
    # A restore gives back the database as it was: a table or a function created since
    # (by hand, by a newer openfse) does not survive it.
    report = create_backup(settings, now=NOW)
    execute(settings, "CREATE TABLE local_notes (id integer PRIMARY KEY, note text)",
            "INSERT INTO local_notes VALUES (1, 'à supprimer')",
            "CREATE FUNCTION local_answer() RETURNS integer LANGUAGE sql AS 'SELECT 42'",
            "CREATE VIEW local_view AS SELECT id FROM local_notes")
    original = report.header.snapshot.tables

    restore_backup(settings, report.path, force=True, safety_backup=False)

    assert rows(settings) == original
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql(
                "SELECT count(*) FROM pg_proc WHERE proname = 'local_answer'").scalar() == 0
            assert connection.exec_driver_sql(
                "SELECT count(*) FROM pg_views WHERE viewname = 'local_view'").scalar() == 0
    finally:
        engine.dispose()


def test_an_older_backup_goes_over_an_upgraded_database(settings: Settings,
                                                        tmp_path: Path) -> None:
    # Last week's backup (schema 0001), restored after openfse was upgraded (schema 0002 is
    # in place with its table): restored, then upgraded again.
    report = create_backup(settings, now=NOW)
    later = later_migrations(tmp_path)
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            command.upgrade(alembic_config(connection, directory=later), "head")
    finally:
        engine.dispose()
    execute(settings, "INSERT INTO backup_test_note (id) VALUES (1)")

    restored = restore_backup(settings, report.path, force=True, migrations_dir=later)

    assert restored.upgraded_to == "9002"
    after = rows(settings)
    assert after.pop("backup_test_note").rows == 0
    after.pop("alembic_version")
    expected = dict(report.header.snapshot.tables or {})
    expected.pop("alembic_version")
    assert after == expected


def test_a_failure_during_the_restore_leaves_the_database_untouched(
        settings: Settings, tmp_path: Path) -> None:
    # psql fails after running the whole restore script (a last statement divides by
    # zero): the single transaction rolls everything back, the clean-up included.
    real = postgres.find_tool("psql", 0)
    restore_tool = postgres.find_tool("pg_restore", 0)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pg_restore").symlink_to(restore_tool.path)
    wrapper = bin_dir / "psql"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'case " $* " in *" --version "*) exec "{real.path}" "$@";; esac\n'
        f'exec "{real.path}" "$@" --command="SELECT 1/0"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    report = create_backup(settings, now=NOW)
    add_patient(settings, "NOUVEAU")
    before = rows(settings)

    with pytest.raises(errors.ToolFailed, match="division by zero"):
        restore_backup(settings, report.path, force=True, safety_backup=False, pg_bin=bin_dir)

    assert rows(settings) == before


def test_rows_missing_after_the_restore_roll_it_back(settings: Settings,
                                                     tmp_path: Path) -> None:
    # A backup whose manifest says one more patient than its archive holds: the row count
    # check, last statement of the restoring transaction, refuses it before the commit.
    report = create_backup(settings, now=NOW)
    archive = tmp_path / "archive.dump"
    header = container.extract_payload(report.path, archive)
    tables = dict(header.snapshot.tables or {})
    tables["patient"] = TableFingerprint(rows=tables["patient"].rows + 1,
                                         sha256=tables["patient"].sha256)
    forged = tmp_path / "forged.ofsbak"
    container.write_backup(forged, replace(header.snapshot, tables=tables), archive)
    add_patient(settings, "NOUVEAU")
    before = rows(settings)

    with pytest.raises(errors.RestoreVerificationFailed,
                       match="table patient holds .* rows.*rien n'a été modifié"):
        restore_backup(settings, forged, force=True, safety_backup=False)

    assert rows(settings) == before


def test_a_backup_taken_while_the_application_writes_is_consistent(
        settings: Settings, empty: Settings) -> None:
    # Each write: one patient and its journal entry, or neither.
    with BackgroundWriter(lambda n: add_patient(settings, f"ECRITURE{n:05d}",
                                                actor="writer")) as writer:
        report, before, after = writer.around(lambda: create_backup(settings, now=NOW),
                                              margin=5)
    assert not writer.failures
    committed = writer.committed

    # The restore checks the rows against the fingerprint taken in the dump's snapshot:
    # had pg_dump seen another instant, it would refuse.
    restore_backup(empty, report.path)

    engine = make_engine(empty.database_url)
    try:
        with engine.connect() as connection:
            patients = set(connection.execute(text(
                "SELECT id FROM patient WHERE last_name LIKE 'ECRITURE%'")).scalars())
            journaled = {int(i) for i in connection.execute(text(
                "SELECT entity_id FROM journal WHERE actor = 'writer'")).scalars()}
    finally:
        engine.dispose()
    assert patients == journaled
    assert before <= len(patients) <= after + 1
    assert len(patients) < committed


# -- client programs ----------------------------------------------------------------------------
def test_client_programs_too_old_or_missing_are_precise_errors(databases: PostgresDatabases,
                                                               tmp_path: Path) -> None:
    with pytest.raises(errors.ToolTooOld, match="postgresql-client-99"):
        postgres.find_tool("pg_dump", 99)
    with pytest.raises(errors.ToolMissing, match="pg_dump introuvable"):
        postgres.find_tool("pg_dump", 15, bin_dir=tmp_path)


def test_an_unreachable_server_is_a_precise_error(tmp_path: Path) -> None:
    unreachable = Settings(home=tmp_path,
                           database_url="postgresql+psycopg://openfse:secret@127.0.0.1:1/x")

    with pytest.raises(errors.DatabaseMissing, match="injoignable") as refused:
        create_backup(unreachable, now=NOW)

    assert "secret" not in refused.value.message
