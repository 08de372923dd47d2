"""Backups and restores of the cabinet's database: ``openfse backup`` and ``openfse restore``.

Health and billing data must never be lost nor read by the wrong person, hence:

- a backup is one file (``openfse.adapters.backup.container``): header + the database, made
  while the application runs (SQLite online backup, ``pg_dump`` on a synchronized snapshot),
  checked (``PRAGMA integrity_check``, and the immutability guards of the journal and of
  validated invoices must be in place: ``openfse.store.guards``), fingerprinted row by row,
  optionally encrypted
  (scrypt + AES-256-GCM), created 0600 in a 0700 directory; the default directory keeps the
  last ``keep`` backups;
- a restore checks everything before touching the database — the file (whole, unchanged,
  right passphrase), the schema revision (an older one is upgraded after the restore, a newer
  one refused), the database kind, the immutability guards of the restored database —,
  refuses to replace data without ``force``, saves the data it is about to replace (safety
  backup), installs atomically, and verifies the restored rows against the fingerprint taken
  at backup time.

Order of a SQLite restore: extract → integrity check → fingerprint check → upgrade → guards
check (all on a private copy) → safety backup → one atomic install. A failure at any step
leaves the live database as it was. PostgreSQL: extract → safety backup → one-transaction
restore (row counts and, for a backup at the latest schema, guards checked before it commits)
→ fingerprint check → upgrade → guards check (see ``RestoreVerificationFailed``,
``SchemaUpgradeFailed`` and ``DatabaseUnguarded`` for the steps that come after the commit).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from openfse import __version__
from openfse.adapters.backup import crypto, postgres, sqlite
from openfse.adapters.backup.container import (
    SUFFIX,
    BackupHeader,
    Snapshot,
    extract_payload,
    private_directory,
    read_header,
    write_backup,
)
from openfse.adapters.backup.errors import (
    BackupCorrupted,
    BackupFileExists,
    DatabaseDamaged,
    DatabaseKindMismatch,
    DatabaseMissing,
    DatabaseNotEmpty,
    DatabaseUnguarded,
    PassphraseRequired,
    RestoreVerificationFailed,
    SchemaTooNew,
    SchemaUpgradeFailed,
)
from openfse.adapters.backup.fingerprint import differences, fingerprint, row_counts
from openfse.config import Settings
from openfse.domain.clock import system_time
from openfse.errors import InvalidInput
from openfse.store import files, guards
from openfse.store.db import check_url, make_engine
from openfse.store.migrations import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    head_revision,
)

BACKUP_DIRECTORY = "backups"
DEFAULT_KEEP = 30  # a month of daily backups
SAFETY_LABEL = "avant-restauration"
WORKDIR_PREFIX = ".openfse-backup-"
STALE_AFTER_S = 24 * 3600
# openfse-YYYYMMDD-HHMMSS[-n].ofsbak, UTC: names sort like dates, whatever the clocks' DST.
_ROTATED_NAME = re.compile(r"^openfse-(\d{8})-(\d{6})(?:-(\d+))?\.ofsbak$")
# Tables a fresh installation fills by itself (schema version, the cabinet with its editable
# copies of the organism lists, the CCAM catalogue): rows there do not mean the database holds
# someone's work. Any other table with a row does — including tables added later.
SETUP_TABLES = frozenset({"alembic_version", "cabinet", "amo_organism", "amc_organism"})
SETUP_TABLE_PREFIXES = ("ccam_",)
KINDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

# Saves the database about to be replaced (or not: None); called once the backup to restore
# has been fully checked, right before the database is replaced.
SaveCurrent = Callable[[], Path | None]


@dataclass(frozen=True, slots=True)
class BackupReport:
    path: Path
    size: int  # bytes of the backup file
    header: BackupHeader
    removed: tuple[Path, ...] = ()  # old backups deleted by the rotation
    keep: int = DEFAULT_KEEP

    def describe(self) -> str:
        snapshot = self.header.snapshot
        protection = "chiffrée" if self.header.encrypted else "NON chiffrée"
        text = (f"Sauvegarde {protection} écrite : {self.path} ({_size(self.size)}, "
                f"base {KINDS[snapshot.database]}, {_contents(snapshot)}).")
        if self.removed:
            text += (f" {len(self.removed)} ancienne(s) sauvegarde(s) supprimée(s) "
                     f"(les {self.keep} plus récentes sont conservées).")
        return text


@dataclass(frozen=True, slots=True)
class RestoreReport:
    source: Path
    database: str  # URL, password hidden
    header: BackupHeader
    upgraded_to: str | None = None  # head revision when the backup was older
    replaced: Mapping[str, int] = field(default_factory=dict)  # rows there were before
    safety_backup: Path | None = None

    def describe(self) -> str:
        snapshot = self.header.snapshot
        when = snapshot.created_at.strftime("%d/%m/%Y %H:%M UTC")
        text = f"Sauvegarde du {when} restaurée dans {self.database} : {_contents(snapshot)}."
        if self.upgraded_to is not None:
            text += (f" Schéma mis à jour ({snapshot.schema_revision or 'vide'} → "
                     f"{self.upgraded_to}).")
        if self.safety_backup is not None:
            text += f" Les données remplacées sont sauvegardées dans {self.safety_backup}."
        return text


def default_backup_dir(settings: Settings) -> Path:
    return settings.home / BACKUP_DIRECTORY


def read_backup(file: Path) -> BackupHeader:
    """The header of a backup file (whether it is encrypted, its date, its contents), after
    checking that the file is whole. Reads no database."""
    return read_header(file)


# -- backup -------------------------------------------------------------------------------------
def create_backup(settings: Settings, *, output: Path | None = None,
                  passphrase: str | None = None, keep: int = DEFAULT_KEEP,
                  now: datetime | None = None, kdf: crypto.ScryptParams = crypto.DEFAULT_SCRYPT,
                  pg_bin: Path | None = None) -> BackupReport:
    """Back up the configured database to ``output`` (default: a new file in
    ``<home>/backups``, then only the ``keep`` most recent default backups are kept).

    ``passphrase``: encrypt (at least 12 characters). ``pg_bin``: directory of the
    PostgreSQL client programs, when not found by themselves.
    """
    if keep < 1:
        raise InvalidInput("Nombre de sauvegardes à conserver : au moins 1.", field="keep")
    if passphrase is not None:
        crypto.require_strong(passphrase)
    return _backup(settings, output=output, passphrase=passphrase, keep=keep,
                   moment=now or system_time(), kdf=kdf, pg_bin=pg_bin)


def _backup(settings: Settings, *, output: Path | None, passphrase: str | None, keep: int,
            moment: datetime, kdf: crypto.ScryptParams, pg_bin: Path | None,
            label: str = "") -> BackupReport:
    kind = _kind(settings)
    # The default directory is ours: made private even if an older version left it open.
    directory = (private_directory(output.parent) if output is not None
                 else files.private_directory(default_backup_dir(settings)))
    path = output if output is not None else _free_name(directory, moment, label)
    if path.exists():
        raise BackupFileExists(f"{path} existe déjà : choisissez un autre nom de fichier.",
                               field="output")
    with _workdir(directory) as work:
        payload = work / "payload"
        if kind == "sqlite":
            snapshot = _sqlite_snapshot(settings, payload, moment)
        else:
            snapshot = _postgres_snapshot(settings, payload, moment, pg_bin)
        header = write_backup(path, snapshot, payload, passphrase=passphrase, kdf=kdf)
    removed = rotate_backups(directory, keep) if output is None and not label else ()
    return BackupReport(path=path, size=path.stat().st_size, header=header, removed=removed,
                        keep=keep)


def _sqlite_snapshot(settings: Settings, payload: Path, moment: datetime) -> Snapshot:
    version = sqlite.copy_online(sqlite.database_path(settings.database_url), payload)
    with sqlite.reading(payload) as connection:
        revision = current_revision(connection)
        _require_guards(connection, revision)
        tables = fingerprint(connection)
    return Snapshot(database="sqlite", payload_format=sqlite.PAYLOAD_FORMAT,
                    schema_revision=revision, created_at=moment, openfse_version=__version__,
                    source_versions={"sqlite": version}, tables=tables)


def _postgres_snapshot(settings: Settings, payload: Path, moment: datetime,
                       pg_bin: Path | None) -> Snapshot:
    target = postgres.Target.from_url(settings.database_url)
    with _postgres(settings) as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            major, minor = postgres.server_version(connection)
            pg_dump = postgres.find_tool("pg_dump", major, pg_bin)
            # pg_dump reads the snapshot this transaction exports: the archive, the
            # revision and the fingerprint below all describe the same instant.
            exported = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            revision = current_revision(connection)
            _require_guards(connection, revision)
            postgres.dump(target, pg_dump, payload, snapshot=str(exported))
            tables = fingerprint(connection)
    return Snapshot(database="postgresql", payload_format=postgres.PAYLOAD_FORMAT,
                    schema_revision=revision, created_at=moment, openfse_version=__version__,
                    source_versions={"server": f"{major}.{minor}", "pg_dump": pg_dump.version},
                    tables=tables)


def _require_guards(connection: Connection, revision: str | None) -> None:
    """No backup of a database whose journal and validated invoices lost their guards (a
    database at an older schema has the guards of its revision: each table needs one)."""
    missing = guards.missing_guards(connection, exact=revision == head_revision())
    if missing:
        raise DatabaseUnguarded(
            "Sauvegarde refusée : les protections qui empêchent de modifier ou d'effacer le "
            f"journal et les factures validées sont absentes ou désactivées "
            f"({guards.describe(missing)}). Lancez « openfse init » pour le diagnostic.")


def _require_restored_guards(connection: Connection, file: Path) -> None:
    missing = guards.missing_guards(connection)
    if missing:
        raise DatabaseUnguarded(
            f"{file.name} : la base restaurée n'a pas les protections qui empêchent de modifier "
            f"ou d'effacer le journal et les factures validées ({guards.describe(missing)}).")


def rotate_backups(directory: Path, keep: int) -> tuple[Path, ...]:
    """Delete the default-named backups of ``directory`` but the ``keep`` most recent.
    Files named otherwise (``--output``, safety backups before a restore) are never touched."""
    dated: list[tuple[tuple[str, str, int], Path]] = []
    for path in directory.iterdir():
        match = _ROTATED_NAME.match(path.name)
        if match and path.is_file():
            dated.append(((match[1], match[2], int(match[3] or 0)), path))
    dated.sort()
    old = [path for _, path in dated[:-keep]]
    for path in old:
        path.unlink()
    return tuple(old)


def _free_name(directory: Path, moment: datetime, label: str) -> Path:
    stem = f"openfse-{moment.astimezone(UTC):%Y%m%d-%H%M%S}" + (f"-{label}" if label else "")
    path = directory / f"{stem}{SUFFIX}"
    number = 1
    while path.exists():  # two backups within the same second
        number += 1
        path = directory / f"{stem}-{number}{SUFFIX}"
    return path


# -- restore ------------------------------------------------------------------------------------
def restore_backup(settings: Settings, file: Path, *, passphrase: str | None = None,
                   force: bool = False, safety_backup: bool = True,
                   now: datetime | None = None,
                   kdf: crypto.ScryptParams = crypto.DEFAULT_SCRYPT,
                   migrations_dir: Path = MIGRATIONS_DIR,
                   pg_bin: Path | None = None) -> RestoreReport:
    """Replace the configured database by the backup ``file``.

    Refused when the database already holds data, unless ``force``; the data replaced is
    then first saved to ``<home>/backups/openfse-…-avant-restauration.ofsbak`` (encrypted
    with the same passphrase when the backup is, at cost ``kdf``), unless
    ``safety_backup=False``. ``migrations_dir`` is for tests (another migration history).
    """
    header = read_header(file)
    snapshot = header.snapshot
    kind = _kind(settings)
    if snapshot.database != kind:
        raise DatabaseKindMismatch(
            f"Cette sauvegarde vient d'une base {KINDS.get(snapshot.database, snapshot.database)}"
            f" et la base configurée est {KINDS[kind]} : restaurez-la dans une base "
            f"{KINDS.get(snapshot.database, snapshot.database)}.", field="file")
    upgrade_to = _upgrade_target(snapshot.schema_revision, migrations_dir)
    if header.encrypted and passphrase is None:
        raise PassphraseRequired("Cette sauvegarde est chiffrée : indiquez sa phrase de passe.",
                                 field="passphrase")
    current = _data_in_place(settings, kind)
    if current and not force:
        raise DatabaseNotEmpty(
            "La base contient déjà des données (" + _describe_rows(current) + ") : la "
            "restauration les remplacerait. Relancez avec --force pour les remplacer (elles "
            "seront d'abord sauvegardées).", field="force")
    moment = now or system_time()

    def save_current() -> Path | None:
        if not (current and safety_backup):
            return None
        return _backup(settings, output=None, passphrase=passphrase if header.encrypted
                       else None, keep=DEFAULT_KEEP, moment=moment, kdf=kdf, pg_bin=pg_bin,
                       label=SAFETY_LABEL).path

    if kind == "sqlite":
        header, saved = _restore_sqlite(settings, file, passphrase, upgrade_to,
                                        migrations_dir, save_current)
    else:
        header, saved = _restore_postgres(settings, file, header, passphrase, upgrade_to,
                                          migrations_dir, save_current, pg_bin)
    return RestoreReport(source=file, database=_display_url(settings), header=header,
                         upgraded_to=upgrade_to, replaced=current, safety_backup=saved)


def _restore_sqlite(settings: Settings, file: Path, passphrase: str | None,
                    upgrade_to: str | None, migrations_dir: Path,
                    save_current: SaveCurrent) -> tuple[BackupHeader, Path | None]:
    target = sqlite.database_path(settings.database_url)
    private_directory(target.parent)
    # Same directory as the database: the prepared file is renamed into place.
    with _workdir(target.parent) as work:
        prepared = work / "restored.db"
        header = extract_payload(file, prepared, passphrase=passphrase)
        sqlite.check_integrity(prepared)
        with sqlite.reading(prepared) as connection:
            _verify(header, connection, file)
        if upgrade_to is not None:
            _upgrade(sqlite.sqlite_url(prepared), migrations_dir, header)
            sqlite.use_rollback_journal(prepared)
        with sqlite.reading(prepared) as connection:
            _require_restored_guards(connection, file)
        saved = save_current()
        sqlite.install(prepared, target)
    return header, saved


def _restore_postgres(settings: Settings, file: Path, header: BackupHeader,
                      passphrase: str | None, upgrade_to: str | None, migrations_dir: Path,
                      save_current: SaveCurrent,
                      pg_bin: Path | None) -> tuple[BackupHeader, Path | None]:
    target = postgres.Target.from_url(settings.database_url)
    dumped_by = _major(header.snapshot.source_versions.get("pg_dump", "0"))
    pg_restore = postgres.find_tool("pg_restore", dumped_by, pg_bin)
    psql = postgres.find_tool("psql", 0, pg_bin or pg_restore.path.parent)
    with _workdir(private_directory(settings.home)) as work:
        archive = work / "payload"
        header = extract_payload(file, archive, passphrase=passphrase)
        saved = save_current()
        expected = {table: f.rows for table, f in (header.snapshot.tables or {}).items()}
        # At the latest schema, the guards are checked before the restore commits; an older
        # backup gets them from the upgrade, checked after it.
        triggers = guards.required_triggers("postgresql") if upgrade_to is None else None
        postgres.restore(target, pg_restore, psql, archive, work, expected_rows=expected,
                         required_triggers=triggers)
    # Row counts were checked inside the restoring transaction; the full digest can only be
    # checked after the commit: a difference here cannot be rolled back — say where the
    # replaced data went.
    with _postgres(settings) as connection:
        _verify(header, connection, file, restored=True, safety_backup=saved)
    if upgrade_to is not None:
        _upgrade(settings.database_url, migrations_dir, header)
        with _postgres(settings) as connection:
            try:
                _require_restored_guards(connection, file)
            except DatabaseUnguarded as error:
                where = f" Les données remplacées sont dans {saved}." if saved else ""
                raise DatabaseUnguarded(f"{error.message} Ne l'utilisez pas.{where}") from None
    return header, saved


def _verify(header: BackupHeader, connection: Connection, file: Path, *,
            restored: bool = False, safety_backup: Path | None = None) -> None:
    """The data must be exactly what was backed up: same schema revision, same rows."""
    snapshot = header.snapshot
    revision = current_revision(connection)
    if revision != snapshot.schema_revision:
        raise BackupCorrupted(f"{file.name} : la base contenue est à la révision "
                              f"{revision}, l'en-tête annonce {snapshot.schema_revision}.")
    found = differences(snapshot.tables or {}, fingerprint(connection))
    if not found:
        return
    detail = "; ".join(found[:5])
    if not restored:
        raise RestoreVerificationFailed(
            f"{file.name} : les données ne correspondent pas à l'empreinte prise lors de la "
            f"sauvegarde ({detail}). Rien n'a été restauré.")
    where = (f" Les données remplacées sont dans {safety_backup}." if safety_backup else "")
    raise RestoreVerificationFailed(
        f"La base restaurée diffère de la sauvegarde ({detail}) : ne l'utilisez pas.{where}")


def _upgrade_target(revision: str | None, migrations_dir: Path) -> str | None:
    """None when the backup is at the latest schema; the revision to upgrade to when it is
    older; ``SchemaTooNew`` when this openfse does not know its revision."""
    script = ScriptDirectory.from_config(alembic_config(directory=migrations_dir))
    head = script.get_current_head()
    if revision == head:
        return None
    if revision is not None:
        try:
            known = script.get_revision(revision) is not None
        except CommandError:
            known = False
        if not known:
            raise SchemaTooNew(
                f"Cette sauvegarde vient d'une version plus récente d'openfse (schéma "
                f"{revision}, inconnu de cette version qui s'arrête à {head}) : mettez "
                "openfse à jour avant de la restaurer.", field="file")
    return head


def _upgrade(url: str, migrations_dir: Path, header: BackupHeader) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            command.upgrade(alembic_config(connection, directory=migrations_dir), "head")
    except (SQLAlchemyError, CommandError, RuntimeError) as error:
        raise SchemaUpgradeFailed(
            f"Mise à jour du schéma de la sauvegarde (révision "
            f"{header.snapshot.schema_revision}) impossible : {error}.") from error
    finally:
        engine.dispose()


# -- the database in place ----------------------------------------------------------------------
def _data_in_place(settings: Settings, kind: str) -> dict[str, int]:
    """Rows of the tables holding someone's work (not set-up tables), by table."""
    if kind == "sqlite":
        path = sqlite.database_path(settings.database_url)
        if not path.exists():
            return {}
        try:
            with sqlite.reading(path) as connection:
                return _work_rows(connection)
        except SQLAlchemyError as error:
            raise DatabaseDamaged(
                f"La base actuelle ({path}) est illisible ({error.__class__.__name__}) : "
                "déplacez-la ailleurs, puis relancez la restauration.") from None
    with _postgres(settings) as connection:
        return _work_rows(connection)


def _work_rows(connection: Connection) -> dict[str, int]:
    return {table: rows for table, rows in row_counts(connection).items()
            if rows and table not in SETUP_TABLES
            and not table.startswith(SETUP_TABLE_PREFIXES)}


@contextmanager
def _postgres(settings: Settings) -> Iterator[Connection]:
    engine = make_engine(settings.database_url)
    try:
        try:
            connection = engine.connect()
        except OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise DatabaseMissing(f"Base PostgreSQL injoignable ({_display_url(settings)}) : "
                                  f"{reason}", field="OPENFSE_DATABASE_URL") from None
        with connection:
            yield connection
    finally:
        engine.dispose()


# -- helpers ------------------------------------------------------------------------------------
def _kind(settings: Settings) -> str:
    return check_url(settings.database_url).get_backend_name()


@contextmanager
def _workdir(parent: Path) -> Iterator[Path]:
    """A private (0700) scratch directory beside the data, removed whatever happens: it may
    hold a plain copy of the database."""
    sweep_stale_scratch(parent)
    path = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX, dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sweep_stale_scratch(directory: Path) -> tuple[Path, ...]:
    """Remove what a backup or restore killed mid-way left in ``directory`` — scratch
    directories and half-written files, which may hold a plain copy of the database — once
    older than ``STALE_AFTER_S`` (younger ones may belong to a run in progress)."""
    limit = system_time().timestamp() - STALE_AFTER_S
    swept: list[Path] = []
    for path in [*directory.glob(f"{WORKDIR_PREFIX}*"), *directory.glob(".*.partial")]:
        try:
            if path.lstat().st_mtime >= limit:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            continue  # removed by a concurrent run
        swept.append(path)
    return tuple(swept)


def _display_url(settings: Settings) -> str:
    return make_url(settings.database_url).render_as_string(hide_password=True)


def _major(version: str) -> int:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def _contents(snapshot: Snapshot) -> str:
    if snapshot.tables is None:
        return "contenu non lu"
    return (f"{snapshot.rows('patient')} patients, {snapshot.rows('journal')} entrées du "
            f"journal, {sum(t.rows for t in snapshot.tables.values())} lignes en tout")


def _describe_rows(rows: Mapping[str, int]) -> str:
    shown = sorted(rows.items(), key=lambda item: (-item[1], item[0]))[:4]
    text = ", ".join(f"{table} : {count}" for table, count in shown)
    return text + (", …" if len(rows) > len(shown) else "")


def _size(size: int) -> str:
    """A file size for people: "812 octets", "3,4 Mo"."""
    if size < 1024:
        return f"{size} octets"
    units = ("Ko", "Mo", "Go", "To")
    exponent = min((size.bit_length() - 1) // 10, len(units))
    tenths = round(size * 10 / 1024**exponent)
    return f"{tenths // 10},{tenths % 10} {units[exponent - 1]}"
