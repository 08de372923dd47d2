"""Issue 12, finding 7: the journal and validated invoices are immutable on every SQL path, on
SQLite and PostgreSQL, and nothing runs on, backs up or restores a database without its guards.

Attacks are typed as someone at the SQL prompt would: on SQLite through a bare ``sqlite3``
connection (foreign keys and recursive triggers off, as in the ``sqlite3`` shell), on
PostgreSQL as the database owner. What REPLACE does: https://www.sqlite.org/lang_conflict.html
(« delete triggers fire if and only if recursive triggers are enabled »); TRUNCATE fires no row
trigger: https://www.postgresql.org/docs/current/sql-truncate.html.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from openfse.adapters.backup import container, errors, postgres
from openfse.adapters.backup.fingerprint import fingerprint
from openfse.cli import app as cli
from openfse.composition.demo import load_demo
from openfse.config import Settings
from openfse.domain.invoice import InvoiceDraft
from openfse.domain.pricing import parse_draft
from openfse.services import invoicing
from openfse.services.backup import create_backup, restore_backup
from openfse.services.context import AppContext
from openfse.store import guards
from openfse.store.db import make_engine
from openfse.store.migrations import frozen_rows, head_revision, target_metadata
from openfse.store.models import ProfessionalKind
from security.databases import backend, execute, fresh_settings, pg, release  # noqa: F401

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


# -- a cabinet with a validated invoice and journal lines --------------------------------------
@pytest.fixture(scope="module")
def cabinet(backend: str, pg: Any, tmp_path_factory: pytest.TempPathFactory,  # noqa: F811
            ) -> Iterator[tuple[Settings, dict[str, int]]]:
    settings = fresh_settings(backend, tmp_path_factory.mktemp("immutability"), pg)
    load_demo(settings, today=TODAY)
    ctx = AppContext.open(settings)
    with ctx.unit_of_work(actor="tests", actor_user_id=None) as uow:
        titulaire = next(p for p in uow.professionals.list()
                         if p.kind is ProfessionalKind.TITULAIRE)
        patient = uow.patients.search("BERNARD JEAN", limit=1)[0]
    pricing = parse_draft({"date_soins": TODAY.isoformat(), "profession": "medecin",
                           "patient": {"age": 75, "parcours": "medecin_traitant"},
                           "acts": [{"code": "G"}, {"code": "MEG"}],
                           "tiers_payant": {"amo": True}})
    invoice = invoicing.validate_invoice(
        ctx.unit_of_work(actor="tests", actor_user_id=None),
        InvoiceDraft(titulaire.id, patient.id, pricing),
        refs=invoicing.InvoiceReferentials.of(ctx), today=TODAY).invoice
    with ctx.engine.connect() as connection:
        ids = {
            "invoice": invoice.id,
            "number": invoice.number,
            "act": connection.execute(text("SELECT min(id) FROM invoice_act WHERE invoice_id = "
                                           ":i"), {"i": invoice.id}).scalar_one(),
            "line": connection.execute(text("SELECT min(id) FROM journal")).scalar_one(),
            "patient": patient.id,
        }
    ctx.engine.dispose()
    yield settings, ids
    release(settings)


def _state(settings: Settings, ids: dict[str, int]) -> tuple[object, ...]:
    """What the attacks aim at: the invoices, the validated one and its acts, the journal."""
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            def one(sql: str) -> tuple[object, ...] | None:
                row = connection.execute(text(sql), ids).first()
                return None if row is None else tuple(row)
            return (
                one("SELECT count(*), sum(total) FROM invoice"),
                one("SELECT status, total, number FROM invoice WHERE id = :invoice"),
                one("SELECT count(*), sum(amo) FROM invoice_act WHERE invoice_id = :invoice"),
                one("SELECT invoice_id, amo FROM invoice_act WHERE id = :act"),
                one("SELECT count(*) FROM journal"),
                one("SELECT actor, summary FROM journal WHERE id = :line"),
            )
    finally:
        engine.dispose()


def _at_the_prompt(settings: Settings, statements: list[str]) -> None:
    """Run ``statements`` in one transaction as a person at the SQL prompt would."""
    if settings.is_sqlite:
        database = make_url(settings.database_url).database
        assert database is not None
        connection = sqlite3.connect(database, isolation_level=None)  # no pragma: the shell
        try:
            for pragma in (s for s in statements if s.startswith("PRAGMA")):
                connection.execute(pragma)  # before BEGIN: a no-op inside a transaction
            connection.execute("BEGIN")
            try:
                for statement in (s for s in statements if not s.startswith("PRAGMA")):
                    connection.execute(statement)
            except sqlite3.Error:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()
        return
    execute(settings, *statements)


# A forged copy of a protected row, changed, written back over the original.
_FORGED_LINE = ["CREATE TEMP TABLE forged AS SELECT * FROM journal WHERE id = {line}",
                "UPDATE forged SET actor = 'pirate', summary = 'falsifié'"]
_FORGED_INVOICE = ["CREATE TEMP TABLE forged AS SELECT * FROM invoice WHERE id = {invoice}",
                   "UPDATE forged SET total = 1"]
# A draft invoice (drafts may change), then a move that would replace a protected row.
_DRAFT = ["CREATE TEMP TABLE draft AS SELECT * FROM invoice WHERE id = {invoice}",
          "UPDATE draft SET id = id + 1000000, status = 'draft', number = NULL",
          "INSERT INTO invoice SELECT * FROM draft"]

SQLITE_ATTACKS = {
    "REPLACE INTO journal": [*_FORGED_LINE, "REPLACE INTO journal SELECT * FROM forged"],
    "INSERT OR REPLACE INTO invoice (same id)": [
        *_FORGED_INVOICE, "INSERT OR REPLACE INTO invoice SELECT * FROM forged"],
    "INSERT OR REPLACE INTO invoice (same billing number)": [
        *_FORGED_INVOICE, "UPDATE forged SET id = id + 2000000",
        "INSERT OR REPLACE INTO invoice SELECT * FROM forged"],
    "UPDATE OR REPLACE a draft onto the invoice's number": [
        *_DRAFT, "UPDATE OR REPLACE invoice SET number = {number} WHERE id = {invoice} + 1000000"],
    "REPLACE an act of the invoice into a draft": [
        *_DRAFT, "CREATE TEMP TABLE act AS SELECT * FROM invoice_act WHERE id = {act}",
        "UPDATE act SET invoice_id = {invoice} + 1000000, amo = 0",
        "REPLACE INTO invoice_act SELECT * FROM act"],
    "upsert on a journal line": [
        "INSERT INTO journal SELECT * FROM journal WHERE id = {line} "
        "ON CONFLICT(id) DO UPDATE SET summary = 'falsifié'"],
    "INSERT OR REPLACE INTO invoice, foreign keys on (cascade to its acts)": [
        "PRAGMA foreign_keys = ON", *_FORGED_INVOICE,
        "INSERT OR REPLACE INTO invoice SELECT * FROM forged"],
}
POSTGRESQL_ATTACKS = {
    "TRUNCATE invoice CASCADE": ["TRUNCATE invoice CASCADE"],
    "TRUNCATE invoice_act": ["TRUNCATE invoice_act"],
    "TRUNCATE patient CASCADE (cascades into invoice)": ["TRUNCATE patient CASCADE"],
    "TRUNCATE cabinet CASCADE (cascades into journal and invoice)": ["TRUNCATE cabinet CASCADE"],
    "TRUNCATE journal": ["TRUNCATE journal"],
    "upsert on a journal line": [
        "INSERT INTO journal SELECT * FROM journal WHERE id = {line} "
        "ON CONFLICT (id) DO UPDATE SET summary = 'falsifié'"],
    "upsert on the invoice": [
        "INSERT INTO invoice SELECT * FROM invoice WHERE id = {invoice} "
        "ON CONFLICT (id) DO UPDATE SET total = 1"],
    "patient deleted (foreign keys)": ["DELETE FROM patient WHERE id = {patient}"],
}


def test_no_sql_path_changes_the_journal_or_a_validated_invoice(
        cabinet: tuple[Settings, dict[str, int]]) -> None:
    settings, ids = cabinet
    attacks = SQLITE_ATTACKS if settings.is_sqlite else POSTGRESQL_ATTACKS
    before = _state(settings, ids)
    got_through: list[str] = []

    for attack, statements in attacks.items():
        try:
            _at_the_prompt(settings, [statement.format(**ids) for statement in statements])
        except (sqlite3.Error, DBAPIError):
            pass  # refused: the transaction rolled back
        else:
            got_through.append(attack)
        if _state(settings, ids) != before:
            got_through.append(f"{attack} (data changed)")
            before = _state(settings, ids)

    assert got_through == []


# -- the guards are checked before anything runs ------------------------------------------------
def _drop_one_guard(settings: Settings) -> None:
    """What the hostile test did: one trigger dropped (SQLite) / switched off (PostgreSQL)."""
    if settings.is_sqlite:
        execute(settings, "DROP TRIGGER journal_append_only_delete")
    else:
        engine = make_engine(settings.database_url)
        with engine.connect() as connection:
            name = sorted(frozen_rows.existing_guards(connection, "invoice"))[-1]
        engine.dispose()
        execute(settings, f"ALTER TABLE invoice DISABLE TRIGGER {name}")


def _missing(settings: Settings) -> tuple[list[str], list[object]]:
    """The tables ``missing_guards`` lists, and the guard operations autogenerate wants."""
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            listed = [guard.table for guard in guards.missing_guards(connection)]
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = [d[0] for d in compare_metadata(context, target_metadata())
                           if isinstance(d, tuple) and str(d[0]).endswith("_guard")]
    finally:
        engine.dispose()
    return listed, differences


def test_init_and_serve_refuse_a_database_without_its_guards(
        backend: str, pg: Any, tmp_path: Path) -> None:  # noqa: F811
    settings = fresh_settings(backend, tmp_path / "home", pg)
    env = {"OPENFSE_HOME": str(settings.home), "OPENFSE_DATABASE_URL": settings.database_url}
    runner = CliRunner()
    assert runner.invoke(cli, ["init"], env=env).exit_code == 0
    try:
        _drop_one_guard(settings)

        for command in (["init"], ["serve", "--port", "1"]):
            result = runner.invoke(cli, command, env=env)
            assert result.exit_code == 2, result.output
            assert "protections" in result.output and "à jour" not in result.output
            assert "immutability_guards_missing" in result.output
        table = "journal" if settings.is_sqlite else "invoice"
        listed, differences = _missing(settings)
        assert listed == [table]
        # The autogenerate comparator reports it like a missing column.
        assert differences == [
            "add_append_only_guard" if settings.is_sqlite else "add_frozen_guard"]

        repaired = runner.invoke(cli, ["init", "--reinstall-guards"], env=env)
        assert repaired.exit_code == 0, repaired.output
        assert "Protections d'immuabilité réinstallées" in repaired.output
        assert _missing(settings) == ([], [])
    finally:
        release(settings)


# -- backups ------------------------------------------------------------------------------------
def _unguarded_backup(settings: Settings, path: Path) -> None:
    """A backup file of ``settings``' database as an older openfse would have written it from a
    database whose guards were dropped: made with the adapters, bypassing the service's check."""
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            tables = fingerprint(connection)
            if settings.is_sqlite:
                versions = {"sqlite": sqlite3.sqlite_version}
            else:
                major, minor = postgres.server_version(connection)
    finally:
        engine.dispose()
    payload = path.with_suffix(".payload")
    if settings.is_sqlite:
        from openfse.adapters.backup import sqlite as sqlite_backup
        sqlite_backup.copy_online(sqlite_backup.database_path(settings.database_url), payload)
        kind, payload_format = "sqlite", sqlite_backup.PAYLOAD_FORMAT
    else:
        pg_dump = postgres.find_tool("pg_dump", major)
        postgres.dump(postgres.Target.from_url(settings.database_url), pg_dump, payload,
                      snapshot=None)
        versions = {"server": f"{major}.{minor}", "pg_dump": pg_dump.version}
        kind, payload_format = "postgresql", postgres.PAYLOAD_FORMAT
    container.write_backup(path, container.Snapshot(
        database=kind, payload_format=payload_format, schema_revision=head_revision(),
        created_at=NOW, openfse_version="0.0-older", source_versions=versions, tables=tables),
        payload)
    payload.unlink()


def test_a_database_without_its_guards_is_neither_backed_up_nor_restored(
        backend: str, pg: Any, tmp_path: Path) -> None:  # noqa: F811
    source = fresh_settings(backend, tmp_path / "source", pg)
    target = fresh_settings(backend, tmp_path / "target", pg)
    try:
        good = create_backup(source, now=NOW)  # guarded: accepted
        _drop_one_guard(source)

        with pytest.raises(errors.DatabaseUnguarded, match="protections"):
            create_backup(source, now=NOW)

        unguarded = tmp_path / "unguarded.ofsbak"
        _unguarded_backup(source, unguarded)
        before = fingerprint_of(target)
        with pytest.raises(errors.DatabaseUnguarded, match="protections"):
            restore_backup(target, unguarded, force=True)
        assert fingerprint_of(target) == before
        engine = make_engine(target.database_url)
        with engine.connect() as connection:
            assert guards.missing_guards(connection) == []
        engine.dispose()

        restore_backup(target, good.path, force=True)  # a guarded backup still restores
    finally:
        release(source)
        release(target)


def fingerprint_of(settings: Settings) -> dict[str, object]:
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            return dict(fingerprint(connection))
    finally:
        engine.dispose()
