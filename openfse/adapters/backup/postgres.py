"""PostgreSQL: ``pg_dump`` / ``pg_restore`` / ``psql``, found, version-checked and run.

- **Programs**: taken from ``/usr/lib/postgresql/<major>/bin`` (Debian, Ubuntu),
  ``/usr/pgsql-<major>/bin`` (RHEL family), then ``PATH``, or from one directory given
  explicitly. ``pg_dump`` can dump servers of its own major version and older only
  (https://www.postgresql.org/docs/15/app-pgdump.html, "Notes"), so the major version of
  the server is read first and a program at least that recent is chosen; ``pg_restore``
  must be at least as recent as the ``pg_dump`` that wrote the archive.
- **Dump**: ``pg_dump --format=custom`` (compressed, restorable selectively) with
  ``--snapshot``: the caller exports a snapshot from a REPEATABLE READ transaction and takes
  the fingerprint of the rows in the same transaction, so the archive and the fingerprint
  describe exactly the same data while the application keeps writing.
- **Restore**: ``pg_restore`` turns the archive into SQL (no ownership, no grants: the
  configured role owns what it restores), then ``psql --single-transaction`` runs, in ONE
  transaction, a clean-up that drops every object of schema ``public`` (tables — with their
  triggers and sequences —, views, functions, types) followed by that SQL, stopping at the
  first error (``ON_ERROR_STOP``). Either the whole backup is in place, or the database is
  untouched. Dropping everything first (rather than ``pg_restore --clean``, which only drops
  the objects the archive contains) matters when the database was already upgraded to a
  newer schema than the backup: its extra tables would make the upgrade that follows the
  restore fail. Last in the same transaction, the row count of every table is compared
  with the backup's manifest, and the immutability triggers the caller requires must exist
  and be enabled: a difference raises, and the transaction rolls back.
- Connection parameters come from the SQLAlchemy URL; the password travels in
  ``PGPASSWORD`` (never on a command line, which other users can list) and the programs are
  run with ``--no-password``: they fail instead of waiting for a prompt.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from openfse.adapters.backup.errors import (
    DatabaseUnguarded,
    RestoreVerificationFailed,
    ToolFailed,
    ToolMissing,
    ToolTooOld,
)

PAYLOAD_FORMAT = "pg_dump-custom"
CONNECT_TIMEOUT_S = "10"
APPLICATION_NAME = "openfse-backup"
# Where distributions install each major version: <directory>/<prefix><major>/bin.
VERSIONED_DIRECTORIES = ((Path("/usr/lib/postgresql"), ""), (Path("/usr"), "pgsql-"))
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
_STDERR_LINES = 6
_CHECK_MARKER = "openfse restore check"
_GUARD_MARKER = "openfse guard check"

# Drops every object of schema public, computed inside the restoring transaction. Names are
# collected first (a CASCADE may remove an object listed later: hence IF EXISTS). Objects that
# belong to an extension are left to their extension.
CLEAN_PUBLIC_SCHEMA = r"""
DO $openfse_clean$
DECLARE
    statement text;
BEGIN
    FOR statement IN
        SELECT format('DROP %s IF EXISTS %I.%I CASCADE',
                      CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                     WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE'
                                     WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END,
                      n.nspname, c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                            AND d.deptype = 'e')
        ORDER BY CASE c.relkind WHEN 'v' THEN 0 WHEN 'm' THEN 0 ELSE 1 END, c.relname
    LOOP
        EXECUTE statement;
    END LOOP;
    FOR statement IN
        SELECT format('DROP ROUTINE IF EXISTS %s CASCADE', p.oid::regprocedure)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                            AND d.deptype = 'e')
    LOOP
        EXECUTE statement;
    END LOOP;
    FOR statement IN
        SELECT format('DROP TYPE IF EXISTS %I.%I CASCADE', n.nspname, t.typname)
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'r')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                            AND d.deptype = 'e')
    LOOP
        EXECUTE statement;
    END LOOP;
END
$openfse_clean$;
"""


@dataclass(frozen=True, slots=True)
class Tool:
    path: Path
    major: int
    minor: int

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}"


@dataclass(frozen=True, slots=True)
class Target:
    """How the client programs reach the configured database."""

    dsn: str  # libpq URI, without the password
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> Target:
        parsed = make_url(url)
        libpq = parsed.set(drivername="postgresql", password=None)
        return cls(dsn=libpq.render_as_string(hide_password=False),
                   password=None if parsed.password is None else str(parsed.password))

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("PGCONNECT_TIMEOUT", CONNECT_TIMEOUT_S)
        env["PGAPPNAME"] = APPLICATION_NAME
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        return env


def server_version(connection: Connection) -> tuple[int, int]:
    """(major, minor) of the server, e.g. (15, 20) for 15.20."""
    number = int(connection.exec_driver_sql("SHOW server_version_num").scalar_one())
    return number // 10000, number % 10000


def find_tool(name: str, min_major: int, bin_dir: Path | None = None) -> Tool:
    """The PostgreSQL client program ``name`` of major version ``min_major`` or newer."""
    found: list[Tool] = []
    for path in _candidates(name, min_major, bin_dir):
        tool = _probe(path)
        if tool is not None and tool.major >= min_major:
            return tool
        if tool is not None:
            found.append(tool)
    where = str(bin_dir) if bin_dir else "/usr/lib/postgresql/*/bin, /usr/pgsql-*/bin, PATH"
    if not found:
        raise ToolMissing(
            f"Programme {name} introuvable ({where}) : installez le client PostgreSQL "
            f"{min_major} (paquet Debian postgresql-client-{min_major}).")
    best = max(found, key=lambda t: (t.major, t.minor))
    raise ToolTooOld(
        f"{name} {best.version} ({best.path}) est trop ancien pour PostgreSQL {min_major} : "
        f"installez le client PostgreSQL {min_major} (paquet Debian "
        f"postgresql-client-{min_major}).")


def dump(target: Target, pg_dump: Tool, destination: Path, *, snapshot: str | None) -> None:
    """Write a custom-format archive of the database to ``destination``."""
    command = [str(pg_dump.path), "--format=custom", "--no-password",
               f"--file={destination}", f"--dbname={target.dsn}"]
    if snapshot is not None:
        command.append(f"--snapshot={snapshot}")
    _run(command, target)


def restore(target: Target, pg_restore: Tool, psql: Tool, archive: Path, workdir: Path, *,
            expected_rows: Mapping[str, int],
            required_triggers: Mapping[str, Collection[str]] | None = None) -> None:
    """Replace the whole content of schema public by the archive, in one transaction that
    commits only if every table then holds ``expected_rows`` and has, enabled, the
    ``required_triggers`` (table → trigger names)."""
    script = workdir / "restore.sql"
    clean = workdir / "clean.sql"
    check = workdir / "check.sql"
    _run([str(pg_restore.path), "--no-owner", "--no-privileges", f"--file={script}",
          str(archive)], target)
    clean.write_text(CLEAN_PUBLIC_SCHEMA, encoding="utf-8")
    check.write_text(row_count_check(expected_rows) + trigger_check(required_triggers or {}),
                     encoding="utf-8")
    try:
        _run([str(psql.path), "--no-psqlrc", "--quiet", "--no-password",
              "--set=ON_ERROR_STOP=1", "--single-transaction", f"--dbname={target.dsn}",
              f"--file={clean}", f"--file={script}", f"--file={check}"], target)
    except ToolFailed as failure:
        if _GUARD_MARKER in failure.message:
            detail = failure.message[failure.message.index(_GUARD_MARKER):].splitlines()[0]
            raise DatabaseUnguarded(
                "La base de la sauvegarde n'a pas les protections qui empêchent de modifier ou "
                f"d'effacer le journal et les factures validées ({detail}) : restauration "
                "annulée, rien n'a été modifié.") from None
        if _CHECK_MARKER not in failure.message:
            raise
        detail = failure.message[failure.message.index(_CHECK_MARKER):].splitlines()[0]
        raise RestoreVerificationFailed(
            f"Les données restaurées ne correspondent pas à la sauvegarde ({detail}) : "
            "restauration annulée, rien n'a été modifié.") from None


def row_count_check(expected_rows: Mapping[str, int]) -> str:
    """SQL raising an error (so rolling the restore back) when a table does not hold the
    number of rows the backup recorded."""
    lines = ["DO $openfse_check$", "DECLARE found bigint;", "BEGIN"]
    for table, expected in sorted(expected_rows.items()):
        name = '"' + table.replace('"', '""') + '"'
        label = table.replace("'", "''")
        lines += [
            f"    SELECT count(*) INTO found FROM public.{name};",
            f"    IF found <> {int(expected)} THEN RAISE EXCEPTION "
            f"'{_CHECK_MARKER}: table {label} holds % rows, the backup {int(expected)}',"
            " found; END IF;",
        ]
    lines += ["END", "$openfse_check$;", ""]
    return "\n".join(lines)


def trigger_check(required: Mapping[str, Collection[str]]) -> str:
    """SQL raising an error (so rolling the restore back) when one of the ``required``
    triggers (table → names) is missing or disabled."""
    if not required:
        return ""
    lines = ["DO $openfse_guards$", "BEGIN"]
    for table, names in sorted(required.items()):
        for name in sorted(names):
            label = _literal(f"{table}.{name}")
            lines += [
                "    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE NOT tgisinternal AND "
                f"tgenabled <> 'D' AND tgrelid = to_regclass('public.{_literal(table)}') AND "
                f"tgname = '{_literal(name)}') THEN",
                f"        RAISE EXCEPTION '{_GUARD_MARKER}: trigger {label} missing or "
                "disabled';",
                "    END IF;",
            ]
    lines += ["END", "$openfse_guards$;", ""]
    return "\n".join(lines)


def _literal(text: str) -> str:
    return text.replace("'", "''")


def _candidates(name: str, min_major: int, bin_dir: Path | None) -> list[Path]:
    if bin_dir is not None:
        return [bin_dir / name]
    directories: list[tuple[int, Path]] = []
    for parent, prefix in VERSIONED_DIRECTORIES:
        if not parent.is_dir():
            continue
        for entry in parent.iterdir():
            major = entry.name.removeprefix(prefix)
            if entry.name.startswith(prefix) and major.isdigit():
                directories.append((int(major), entry / "bin"))
    # The server's own major version first, then newer ones (oldest first), then PATH.
    ordered = sorted((d for d in directories if d[0] >= min_major),
                     key=lambda d: (d[0] != min_major, d[0]))
    ordered += sorted((d for d in directories if d[0] < min_major), key=lambda d: -d[0])
    paths = [directory / name for _, directory in ordered]
    on_path = shutil.which(name)
    if on_path is not None:
        paths.append(Path(on_path))
    return paths


def _probe(path: Path) -> Tool | None:
    if not (path.is_file() and os.access(path, os.X_OK)):
        return None
    try:
        output = subprocess.run([str(path), "--version"], capture_output=True, text=True,
                                timeout=30, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION.search(output)
    if match is None:
        return None
    return Tool(path=path, major=int(match.group(1)), minor=int(match.group(2) or 0))


def _run(command: Sequence[str], target: Target) -> None:
    try:
        result = subprocess.run(command, env=target.environment(), capture_output=True,
                                text=True, check=False)
    except OSError as error:
        raise ToolFailed(f"{Path(command[0]).name} n'a pas pu être lancé : "
                         f"{error.strerror}.") from None
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        detail = " | ".join(lines[-_STDERR_LINES:]) or "aucun message"
        raise ToolFailed(f"{Path(command[0]).name} a échoué (code {result.returncode}) : "
                         f"{detail}")
