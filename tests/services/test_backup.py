"""Backups and restores on SQLite: round trips compared row by row, every way a file can be
wrong, schema revisions, encryption, rotation, and a backup taken while the application writes.

Each test works on its own copy of a demo database (2 professionals, 30 patients, their
journal). Encryption uses a cheap scrypt cost (N=2^10) to keep the tests fast; the product
default is N=2^17 (``crypto.DEFAULT_SCRYPT``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from background_writer import BackgroundWriter  # tests/background_writer.py
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from openfse import __version__
from openfse.adapters.backup import container, crypto, errors, sqlite
from openfse.adapters.backup.fingerprint import TableFingerprint, fingerprint
from openfse.composition.demo import load_demo
from openfse.config import Settings
from openfse.errors import InvalidInput
from openfse.services.backup import (
    DEFAULT_KEEP,
    create_backup,
    read_backup,
    restore_backup,
    rotate_backups,
)
from openfse.services.setup import engine_for, ensure_cabinet, initialise, session_factory_for
from openfse.store.db import make_engine
from openfse.store.journal import JournalAction
from openfse.store.migrations import MIGRATIONS_DIR, alembic_config, head_revision
from openfse.store.models import Cabinet, Patient
from openfse.store.uow import UnitOfWork

FAST = crypto.ScryptParams(n=2**10)
PASSPHRASE = "quatre mots pris au hasard"
NOW = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
NO_DATABASE_URL = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # never connected to


# -- fixtures and helpers -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo-template")
    template = Settings.from_env({"OPENFSE_HOME": str(home)})
    load_demo(template, today=date(2026, 3, 2))
    engine_for(template).dispose()  # last connection closed: the WAL is folded into the file
    return home / "openfse.db"


def _home(tmp_path: Path, name: str, demo_db: Path | None) -> Settings:
    home = tmp_path / name
    home.mkdir()
    if demo_db is not None:
        shutil.copyfile(demo_db, home / "openfse.db")
    return Settings.from_env({"OPENFSE_HOME": str(home)})


@pytest.fixture
def settings(tmp_path: Path, demo_db: Path) -> Iterator[Settings]:
    """A home whose database holds the demo cabinet."""
    settings = _home(tmp_path, "home", demo_db)
    yield settings
    engine_for(settings).dispose()


@pytest.fixture
def elsewhere(tmp_path: Path) -> Iterator[Settings]:
    """Another home, with no database yet (a new machine)."""
    settings = _home(tmp_path, "elsewhere", None)
    yield settings
    engine_for(settings).dispose()


def rows(settings: Settings) -> dict[str, TableFingerprint]:
    """Row count and digest of every table of the database of ``settings``."""
    with sqlite.reading(sqlite.database_path(settings.database_url)) as connection:
        return fingerprint(connection)


def change_data(settings: Settings) -> None:
    """What a day at the desk does: a patient's phone changes, a patient is added, both are
    journaled."""
    sessions = session_factory_for(settings)
    with sessions() as session:
        cabinet_id = session.scalars(select(Cabinet.id)).first()
    with UnitOfWork(sessions, cabinet_id=cabinet_id, actor="secretaire", actor_user_id=None) as uow:
        patient = uow.patients.list(limit=1)[0]
        patient.mobile_phone = "0611223344"
        uow.journal_change(patient, JournalAction.UPDATE)
        uow.journal_change(Patient(last_name="NOUVEAU", first_name="Patient"),
                           JournalAction.CREATE)
        uow.commit()


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def scratch_files(directory: Path) -> list[str]:
    """Temporary files or directories of a backup/restore left in ``directory``."""
    return [name for name in files_in(directory) if name.startswith(".")]


def extended_migrations(tmp_path: Path, upgrade_body: str) -> Path:
    """The shipped migration history plus a revision 9002 running ``upgrade_body``: a later
    openfse, as seen by a backup made today."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory, ignore=shutil.ignore_patterns("__pycache__"))
    (directory / "versions" / "9002_backup_test.py").write_text(
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"revision = '9002'\ndown_revision = {head_revision()!r}\n"
        "branch_labels = None\ndepends_on = None\n\n\n"
        f"def upgrade() -> None:\n    {upgrade_body}\n\n\n"
        "def downgrade() -> None:\n    pass\n", encoding="utf-8")
    return directory


ADD_TABLE = 'op.create_table("backup_test_note", sa.Column("id", sa.Integer, primary_key=True))'


# -- round trips --------------------------------------------------------------------------------
def test_backup_then_changes_then_restore_gives_back_every_row(settings: Settings) -> None:
    original = rows(settings)
    report = create_backup(settings, now=NOW)
    change_data(settings)
    changed = rows(settings)
    assert changed != original

    restored = restore_backup(settings, report.path, force=True, now=NOW + timedelta(hours=1))

    assert rows(settings) == original  # every table, row by row (digest in key order)
    assert restored.replaced["patient"] == original["patient"].rows + 1  # the one added
    assert restored.upgraded_to is None
    # The data it replaced was saved first, and can be restored in turn.
    assert restored.safety_backup is not None
    assert restored.safety_backup.name == "openfse-20260302-103015-avant-restauration.ofsbak"
    restore_backup(settings, restored.safety_backup, force=True, safety_backup=False)
    assert rows(settings) == changed


def test_journal_entries_and_their_append_only_triggers_survive_a_restore(
        settings: Settings) -> None:
    journal_before = rows(settings)["journal"]
    report = create_backup(settings, now=NOW)
    change_data(settings)  # 2 more journal entries

    restore_backup(settings, report.path, force=True, safety_backup=False)

    assert rows(settings)["journal"] == journal_before
    assert journal_before.rows > 0  # the demo journals every row it creates
    engine = make_engine(settings.database_url)
    try:
        for statement in ("UPDATE journal SET summary = 'falsifié'", "DELETE FROM journal"):
            with pytest.raises(DBAPIError, match="append-only table journal"), \
                    engine.begin() as connection:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def test_restore_on_a_new_machine_needs_no_force(settings: Settings,
                                                 elsewhere: Settings) -> None:
    report = create_backup(settings, now=NOW)
    target = sqlite.database_path(elsewhere.database_url)
    Path(f"{target}-wal").write_bytes(b"left over by a crash, belongs to no database")

    restored = restore_backup(elsewhere, report.path)

    assert not Path(f"{target}-wal").exists()  # an orphan would be replayed into the new file
    original = rows(settings)
    assert rows(elsewhere) == original
    assert restored.safety_backup is None and dict(restored.replaced) == {}
    assert (f"{original['patient'].rows} patients, {original['journal'].rows} entrées du "
            "journal") in restored.describe()


def test_restore_into_a_freshly_set_up_database_needs_no_force(settings: Settings,
                                                               elsewhere: Settings) -> None:
    # `openfse serve` on a new install creates the cabinet and its organism lists by itself:
    # that is not anyone's work, a restore may replace it without --force.
    initialise(elsewhere)
    ensure_cabinet(session_factory_for(elsewhere))
    engine_for(elsewhere).dispose()
    report = create_backup(settings, now=NOW)

    restored = restore_backup(elsewhere, report.path)

    assert rows(elsewhere) == rows(settings)
    assert restored.safety_backup is None


def test_restore_over_existing_data_without_force_is_refused(settings: Settings) -> None:
    report = create_backup(settings, now=NOW)
    change_data(settings)
    before = rows(settings)

    with pytest.raises(errors.DatabaseNotEmpty) as refused:
        restore_backup(settings, report.path)

    assert refused.value.code == "backup_database_not_empty"
    assert f"patient : {before['patient'].rows}" in refused.value.message
    assert "--force" in refused.value.message
    assert rows(settings) == before


def test_restore_adopts_the_page_size_of_the_live_database(settings: Settings,
                                                           elsewhere: Settings,
                                                           demo_db: Path) -> None:
    # A backup from a database with 8 KiB pages, restored over one with 4 KiB pages in WAL
    # mode: the SQLite backup API cannot change a WAL database's page size, so the restore
    # rebuilds its copy first.
    source = sqlite.database_path(elsewhere.database_url)
    shutil.copyfile(demo_db, source)
    with sqlite3.connect(source, isolation_level=None) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
        connection.execute("PRAGMA page_size=8192")
        connection.execute("VACUUM")
    connection.close()
    report = create_backup(elsewhere, now=NOW)

    restore_backup(settings, report.path, force=True, safety_backup=False)

    assert rows(settings) == rows(elsewhere)
    with sqlite3.connect(sqlite.database_path(settings.database_url)) as live:
        assert live.execute("PRAGMA page_size").fetchone()[0] == 4096
    live.close()


# -- the backup file ----------------------------------------------------------------------------
def test_the_backup_file_is_private_and_describes_itself(settings: Settings) -> None:
    report = create_backup(settings, now=NOW)

    directory = settings.home / "backups"
    assert report.path == directory / "openfse-20260302-093015.ofsbak"
    assert stat.S_IMODE(report.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert files_in(directory) == [report.path.name]  # no scratch file left behind
    header = read_backup(report.path)
    snapshot = header.snapshot
    assert (snapshot.database, snapshot.payload_format, snapshot.schema_revision,
            snapshot.created_at, snapshot.openfse_version) == (
        "sqlite", "sqlite3", head_revision(), NOW, __version__)
    assert snapshot.source_versions == {"sqlite": sqlite3.sqlite_version}
    assert not header.encrypted
    assert snapshot.tables is None  # the fingerprint travels in the payload
    assert report.header.snapshot.tables == rows(settings)
    assert "NON chiffrée" in report.describe()
    assert f"{rows(settings)['patient'].rows} patients" in report.describe()


def test_output_option_writes_there_and_never_overwrites(settings: Settings,
                                                         tmp_path: Path) -> None:
    output = tmp_path / "usb" / "cabinet.ofsbak"
    report = create_backup(settings, output=output, now=NOW)
    assert report.path == output and output.is_file()

    with pytest.raises(errors.BackupFileExists):
        create_backup(settings, output=output, now=NOW)
    assert read_backup(output).snapshot.created_at == NOW


def test_nothing_to_back_up_is_a_precise_error(elsewhere: Settings) -> None:
    with pytest.raises(errors.DatabaseMissing, match="openfse init"):
        create_backup(elsewhere, now=NOW)


def test_a_damaged_live_database_is_not_backed_up(settings: Settings) -> None:
    database = sqlite.database_path(settings.database_url)
    with database.open("r+b") as file:  # scribble over a b-tree page in the middle
        file.seek(40 * 4096 + 8)
        file.write(b"\xff" * 64)

    with pytest.raises(errors.DatabaseDamaged):
        create_backup(settings, now=NOW)
    assert files_in(settings.home / "backups") == []


# -- rotation -----------------------------------------------------------------------------------
def test_rotation_keeps_the_most_recent_default_backups_only(settings: Settings) -> None:
    # 5 daily backups with keep=3: after the 4th the 1st goes, after the 5th the 2nd goes.
    directory = settings.home / "backups"
    directory.mkdir(mode=0o700)
    (directory / "avant-migration.ofsbak").write_bytes(b"named by hand: never rotated")
    removed: list[Path] = []
    for day in range(5):
        removed += create_backup(settings, keep=3, now=NOW + timedelta(days=day)).removed

    assert [p.name for p in removed] == ["openfse-20260302-093015.ofsbak",
                                         "openfse-20260303-093015.ofsbak"]
    assert files_in(directory) == ["avant-migration.ofsbak",
                                   "openfse-20260304-093015.ofsbak",
                                   "openfse-20260305-093015.ofsbak",
                                   "openfse-20260306-093015.ofsbak"]


def test_two_backups_in_the_same_second_get_distinct_names_in_order(
        settings: Settings) -> None:
    first = create_backup(settings, now=NOW).path
    second = create_backup(settings, now=NOW).path
    third = create_backup(settings, now=NOW, keep=2).path

    assert second.name == "openfse-20260302-093015-2.ofsbak"
    assert third.name == "openfse-20260302-093015-3.ofsbak"
    assert not first.exists() and second.exists() and third.exists()
    assert rotate_backups(settings.home / "backups", keep=1) == (second,)


def test_keep_must_be_at_least_one(settings: Settings) -> None:
    with pytest.raises(InvalidInput):
        create_backup(settings, keep=0)
    assert DEFAULT_KEEP == 30


# -- encryption ---------------------------------------------------------------------------------
def test_encrypted_round_trip(settings: Settings, elsewhere: Settings) -> None:
    change_data(settings)  # adds patient NOUVEAU
    report = create_backup(settings, passphrase=PASSPHRASE, kdf=FAST, now=NOW)
    plain = create_backup(settings, output=settings.home / "plain.ofsbak", now=NOW)

    # A patient's name is readable in a plain backup, not in an encrypted one.
    assert b"NOUVEAU" in plain.path.read_bytes()
    assert b"NOUVEAU" not in report.path.read_bytes()
    header = read_backup(report.path)
    assert header.encrypted and header.encryption is not None
    assert header.encryption.kdf == FAST
    assert "chiffrée" in report.describe()

    restore_backup(elsewhere, report.path, passphrase=PASSPHRASE)

    assert rows(elsewhere) == rows(settings)


def test_the_passphrase_is_compared_after_unicode_normalisation(settings: Settings,
                                                                elsewhere: Settings) -> None:
    composed = "phrase de passe très sûre"  # é and û typed as one character each (NFC)
    decomposed = "phrase de passe tre\u0300s su\u0302re"  # as a macOS keyboard sends it
    report = create_backup(settings, passphrase=composed, kdf=FAST, now=NOW)

    restore_backup(elsewhere, report.path, passphrase=decomposed)

    assert rows(elsewhere) == rows(settings)


def test_a_wrong_passphrase_restores_nothing(settings: Settings) -> None:
    report = create_backup(settings, passphrase=PASSPHRASE, kdf=FAST, now=NOW)
    change_data(settings)
    before = rows(settings)

    with pytest.raises(errors.WrongPassphrase) as refused:
        restore_backup(settings, report.path, passphrase="pas la bonne phrase", force=True)

    assert refused.value.code == "backup_wrong_passphrase"
    assert "Phrase de passe incorrecte" in refused.value.message
    assert rows(settings) == before
    # Nothing was written: no safety backup, no scratch copy beside the database.
    assert files_in(settings.home / "backups") == [report.path.name]
    assert scratch_files(settings.home) == []


def test_an_encrypted_backup_without_passphrase_asks_for_it(settings: Settings,
                                                            elsewhere: Settings) -> None:
    report = create_backup(settings, passphrase=PASSPHRASE, kdf=FAST, now=NOW)

    with pytest.raises(errors.PassphraseRequired):
        restore_backup(elsewhere, report.path)


def test_a_short_passphrase_is_refused_before_anything_is_written(settings: Settings) -> None:
    with pytest.raises(errors.WeakPassphrase, match="12 caractères"):
        create_backup(settings, passphrase="azerty123", kdf=FAST, now=NOW)
    assert not (settings.home / "backups").exists()


def test_the_safety_backup_of_an_encrypted_restore_is_encrypted_too(settings: Settings) -> None:
    report = create_backup(settings, passphrase=PASSPHRASE, kdf=FAST, now=NOW)
    change_data(settings)

    restored = restore_backup(settings, report.path, passphrase=PASSPHRASE, force=True,
                              kdf=FAST)

    assert restored.safety_backup is not None
    assert read_backup(restored.safety_backup).encrypted


# -- damaged files ------------------------------------------------------------------------------
def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _payload_offset(path: Path) -> int:
    data = path.read_bytes()
    length = int.from_bytes(data[len(container.MAGIC):len(container.MAGIC) + 4], "big")
    return len(container.MAGIC) + 4 + length + 32


@pytest.mark.parametrize(("encrypted", "where"), [
    (False, "header"), (False, "payload"), (True, "header"), (True, "payload"),
    (True, "tag"),
])
def test_a_flipped_byte_is_refused_and_nothing_is_restored(
        settings: Settings, encrypted: bool, where: str) -> None:
    report = create_backup(settings, passphrase=PASSPHRASE if encrypted else None, kdf=FAST,
                           now=NOW)
    size = report.path.stat().st_size
    offset = {"header": len(container.MAGIC) + 10,  # inside the JSON header
              "payload": (_payload_offset(report.path) + size) // 2,
              "tag": size - 3}[where]
    _flip(report.path, offset)
    change_data(settings)
    before = rows(settings)

    with pytest.raises(errors.BackupCorrupted, match="altér"):
        restore_backup(settings, report.path, passphrase=PASSPHRASE, force=True, kdf=FAST)

    assert rows(settings) == before
    assert files_in(settings.home / "backups") == [report.path.name]


@pytest.mark.parametrize("keep_fraction", [0.0002, 0.002, 0.5, 0.9999])
def test_a_truncated_file_is_refused(settings: Settings, elsewhere: Settings,
                                     keep_fraction: float) -> None:
    # Cut after the magic, in the header, in the middle of the data, one byte short.
    report = create_backup(settings, now=NOW)
    data = report.path.read_bytes()
    report.path.write_bytes(data[: max(len(container.MAGIC) + 2, int(len(data) * keep_fraction))])

    with pytest.raises(errors.BackupTruncated, match="tronqué"):
        restore_backup(elsewhere, report.path)

    assert not sqlite.database_path(elsewhere.database_url).exists()


def test_extra_bytes_after_the_backup_are_refused(settings: Settings, elsewhere: Settings) -> None:
    report = create_backup(settings, now=NOW)
    with report.path.open("ab") as file:
        file.write(b"\n")

    with pytest.raises(errors.BackupCorrupted, match="en trop"):
        restore_backup(elsewhere, report.path)


@pytest.mark.parametrize(("content", "error"), [
    (b"", errors.NotABackup),
    (b"SQLite format 3\x00" + bytes(100), errors.NotABackup),
    (container.MAGIC + (2**31).to_bytes(4, "big"), errors.BackupCorrupted),
])
def test_files_that_are_not_backups_are_refused(elsewhere: Settings, tmp_path: Path,
                                               content: bytes, error: type[Exception]) -> None:
    path = tmp_path / "mystery.ofsbak"
    path.write_bytes(content)

    with pytest.raises(error):
        restore_backup(elsewhere, path)


def test_a_missing_file_is_a_precise_error(elsewhere: Settings, tmp_path: Path) -> None:
    with pytest.raises(errors.BackupFileMissing, match="introuvable"):
        restore_backup(elsewhere, tmp_path / "nowhere.ofsbak")


def test_a_backup_from_a_newer_file_format_is_refused(settings: Settings,
                                                      elsewhere: Settings) -> None:
    report = create_backup(settings, now=NOW)
    data = report.path.read_bytes()
    start = _payload_offset(report.path) - 32
    header = data[len(container.MAGIC) + 4:start].replace(b'"format": 1', b'"format": 2')
    report.path.write_bytes(container.MAGIC + len(header).to_bytes(4, "big") + header
                            + hashlib.sha256(header).digest() + data[start + 32:])

    with pytest.raises(errors.BackupFormatUnsupported, match="plus récente"):
        restore_backup(elsewhere, report.path)


def test_a_damaged_database_inside_a_whole_file_is_refused(settings: Settings,
                                                           demo_db: Path,
                                                           tmp_path: Path) -> None:
    # The file's checksums are right, but the database it carries is damaged (it was
    # written so): PRAGMA integrity_check refuses it before the live database is touched.
    damaged = tmp_path / "damaged.db"
    shutil.copyfile(demo_db, damaged)
    with damaged.open("r+b") as file:
        file.seek(40 * 4096 + 8)
        file.write(b"\xff" * 64)
    path = tmp_path / "damaged.ofsbak"
    container.write_backup(path, container.Snapshot(
        database="sqlite", payload_format="sqlite3", schema_revision=head_revision(),
        created_at=NOW, openfse_version=__version__, tables={}), damaged)
    before = rows(settings)

    with pytest.raises(errors.DatabaseDamaged):
        restore_backup(settings, path, force=True)

    assert rows(settings) == before


def test_rows_that_differ_from_the_fingerprint_are_refused(settings: Settings,
                                                           demo_db: Path,
                                                           tmp_path: Path) -> None:
    # The fingerprint says 31 patients, the database holds 30: refused, nothing restored.
    with sqlite.reading(demo_db) as connection:
        tables = fingerprint(connection)
    tables["patient"] = TableFingerprint(rows=31, sha256=tables["patient"].sha256)
    path = tmp_path / "mismatch.ofsbak"
    container.write_backup(path, container.Snapshot(
        database="sqlite", payload_format="sqlite3", schema_revision=head_revision(),
        created_at=NOW, openfse_version=__version__, tables=tables), demo_db)
    change_data(settings)
    before = rows(settings)

    with pytest.raises(errors.RestoreVerificationFailed,
                       match="patient : 30 lignes au lieu de 31.*Rien n'a été restauré"):
        restore_backup(settings, path, force=True)

    assert rows(settings) == before


def test_a_postgresql_backup_cannot_go_into_sqlite(settings: Settings) -> None:
    report = create_backup(settings, now=NOW)
    postgres_settings = Settings(home=settings.home, database_url=NO_DATABASE_URL)

    with pytest.raises(errors.DatabaseKindMismatch, match="SQLite"):
        restore_backup(postgres_settings, report.path)


# -- schema revisions ---------------------------------------------------------------------------
def test_an_older_backup_is_upgraded_after_the_restore(settings: Settings, elsewhere: Settings,
                                                       tmp_path: Path) -> None:
    report = create_backup(settings, now=NOW)  # at today's head
    later = extended_migrations(tmp_path, ADD_TABLE)  # a later openfse adds a table

    restored = restore_backup(elsewhere, report.path, migrations_dir=later)

    assert restored.upgraded_to == "9002"
    restored_rows = rows(elsewhere)
    assert restored_rows.pop("backup_test_note").rows == 0
    assert restored_rows.pop("alembic_version") != rows(settings).pop("alembic_version")
    original = rows(settings)
    original.pop("alembic_version")
    assert restored_rows == original
    assert "Schéma mis à jour" in restored.describe()


def test_a_failed_upgrade_leaves_the_live_database_untouched(settings: Settings,
                                                             tmp_path: Path) -> None:
    report = create_backup(settings, now=NOW)
    broken = extended_migrations(tmp_path, 'op.execute("SELECT no_such_column FROM cabinet")')
    change_data(settings)
    before = rows(settings)

    with pytest.raises(errors.SchemaUpgradeFailed):
        restore_backup(settings, report.path, force=True, migrations_dir=broken)

    assert rows(settings) == before
    assert scratch_files(settings.home) == []


def test_a_backup_from_a_newer_openfse_is_refused(settings: Settings, elsewhere: Settings,
                                                  tmp_path: Path) -> None:
    later = extended_migrations(tmp_path, ADD_TABLE)
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            command.upgrade(alembic_config(connection, directory=later), "head")
    finally:
        engine.dispose()
    report = create_backup(settings, now=NOW)
    assert read_backup(report.path).snapshot.schema_revision == "9002"

    with pytest.raises(errors.SchemaTooNew, match="plus récente d'openfse"):
        restore_backup(elsewhere, report.path)  # this openfse stops at 0001

    assert not sqlite.database_path(elsewhere.database_url).exists()


def test_a_restore_waiting_too_long_for_a_lock_gives_up_and_changes_nothing(
        settings: Settings, demo_db: Path, tmp_path: Path) -> None:
    # Another connection holds the write lock (a transaction left open): CPython's backup
    # would retry forever; the restore gives up after its timeout instead.
    target = sqlite.database_path(settings.database_url)
    prepared = tmp_path / "prepared.db"
    sqlite.copy_online(demo_db, prepared)
    change_data(settings)
    before = rows(settings)
    holder = sqlite3.connect(target, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    try:
        with pytest.raises(errors.DatabaseBusy, match="occupée"):
            sqlite.install(prepared, target, timeout=0.3)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert time.monotonic() - started < 5
    assert rows(settings) == before


def test_a_database_that_cannot_be_written_is_a_precise_error(demo_db: Path,
                                                             tmp_path: Path) -> None:
    prepared = tmp_path / "prepared.db"
    sqlite.copy_online(demo_db, prepared)
    not_a_file = tmp_path / "openfse.db"
    not_a_file.mkdir()

    with pytest.raises(errors.DatabaseWriteFailed, match="restée telle qu'elle était"):
        sqlite.install(prepared, not_a_file)


def test_scratch_files_left_by_a_killed_run_are_swept_after_a_day(settings: Settings) -> None:
    # A backup killed mid-way leaves a scratch directory (a plain copy of the database) and
    # a half-written file; the next run removes them once older than a day, and leaves alone
    # younger ones, which may belong to a run in progress.
    directory = settings.home / "backups"
    directory.mkdir(mode=0o700)
    stale_dir = directory / ".openfse-backup-killed"
    stale_dir.mkdir()
    (stale_dir / "payload").write_bytes(b"plain copy")
    stale_partial = directory / ".openfse-20260301-093015.ofsbak.1a2b3c4d.partial"
    stale_partial.write_bytes(b"half")
    two_days_ago = time.time() - 2 * 24 * 3600
    for path in (stale_dir, stale_partial):
        os.utime(path, (two_days_ago, two_days_ago))
    running = directory / ".openfse-backup-running"
    running.mkdir()

    report = create_backup(settings, now=NOW)

    assert files_in(directory) == [".openfse-backup-running", report.path.name]


# -- a backup while the application writes ------------------------------------------------------
def test_a_backup_taken_while_the_application_writes_is_consistent(
        settings: Settings, elsewhere: Settings) -> None:
    sessions = session_factory_for(settings)
    with sessions() as session:
        cabinet_id = session.scalars(select(Cabinet.id)).first()

    def add_patient(n: int) -> None:  # each commit: one patient and its journal entry, or neither
        with UnitOfWork(sessions, cabinet_id=cabinet_id, actor="writer", actor_user_id=None) as uow:
            uow.journal_change(Patient(last_name=f"ECRITURE{n:05d}"), JournalAction.CREATE)
            uow.commit()

    with BackgroundWriter(add_patient) as writer:
        report, before, after = writer.around(lambda: create_backup(settings, now=NOW),
                                              margin=10)
    assert not writer.failures
    committed = writer.committed
    assert after > before  # the application kept committing while the backup ran

    restore_backup(elsewhere, report.path)  # verifies the rows against the fingerprint too

    with sqlite.reading(sqlite.database_path(elsewhere.database_url)) as connection:
        patients = set(connection.execute(text(
            "SELECT id FROM patient WHERE last_name LIKE 'ECRITURE%'")).scalars())
        journaled = {int(i) for i in connection.execute(text(
            "SELECT entity_id FROM journal WHERE actor = 'writer' AND entity = 'patient'"))
            .scalars()}
    assert patients == journaled  # no commit cut in half
    assert before <= len(patients) <= after + 1  # one instant between start and end
    assert len(patients) < committed  # and the live database went on after it


# -- the file format against every single-byte accident ------------------------------------------
@pytest.fixture(scope="module")
def small_payload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("payload") / "payload.bin"
    path.write_bytes(os.urandom(3000))
    return path


@hypothesis_settings(max_examples=120, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(encrypted=st.booleans(), position=st.floats(min_value=0, max_value=1, exclude_max=True),
       mask=st.integers(min_value=1, max_value=255))
def test_any_changed_byte_is_detected(small_payload: Path, tmp_path: Path, encrypted: bool,
                                      position: float, mask: int) -> None:
    work = Path(os.urandom(4).hex())
    directory = tmp_path / work
    directory.mkdir()
    path = directory / "b.ofsbak"
    container.write_backup(path, container.Snapshot(
        database="sqlite", payload_format="sqlite3", schema_revision="0001", created_at=NOW,
        openfse_version=__version__, tables={"t": TableFingerprint(1, "0" * 64)}),
        small_payload, passphrase=PASSPHRASE if encrypted else None,
        kdf=crypto.ScryptParams(n=16))
    data = bytearray(path.read_bytes())
    data[int(position * len(data))] ^= mask
    path.write_bytes(bytes(data))

    with pytest.raises(errors.BackupError):
        container.extract_payload(path, directory / "out", passphrase=PASSPHRASE)
    assert not (directory / "out").exists()
