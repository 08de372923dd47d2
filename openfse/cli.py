"""``openfse`` command line: the I/O edge for scripts and integrators.

Every command parses its arguments, calls one service (or the pure pricing contract) and prints;
no business rule lives here. Errors are printed precisely and exit with code 2.
"""

from __future__ import annotations

import json
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from openfse import __version__
from openfse.config import Settings
from openfse.errors import OpenFSEError

app = typer.Typer(
    name="openfse",
    help="openfse — logiciel de facturation SESAM-Vitale libre.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"openfse {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """openfse — logiciel de facturation SESAM-Vitale libre."""


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@app.command()
def init(
    demo_if_empty: Annotated[
        bool,
        typer.Option("--demo-if-empty", help="Load the demo cabinet when the database is new."),
    ] = False,
) -> None:
    """Create or upgrade the database and load the reference tables."""
    from openfse.services.demo import load_demo
    from openfse.services.setup import initialise

    settings = Settings.from_env()
    report = initialise(settings)
    typer.echo(report.describe())
    if demo_if_empty and report.empty:
        typer.echo(load_demo(settings).describe())


@app.command()
def demo() -> None:
    """Load the demo cabinet (2 professionals, 30 patients, prescribers) into the database."""
    from openfse.services.demo import load_demo
    from openfse.services.setup import initialise

    settings = Settings.from_env()
    initialise(settings)
    try:
        typer.echo(load_demo(settings).describe())
    except OpenFSEError as exc:
        raise _fail(exc.message) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="TCP port.")] = None,
) -> None:
    """Start the web application (http://127.0.0.1:8000 by default)."""
    import uvicorn

    from openfse.web.app import create_app

    settings = Settings.from_env()
    application = create_app(settings)
    bind_host = host or settings.host
    bind_port = port or settings.port
    typer.echo(f"openfse {__version__} — http://{bind_host}:{bind_port}/ (Ctrl+C pour arrêter)")
    uvicorn.run(application, host=bind_host, port=bind_port, log_level="warning")


@app.command("import-ccam")
def import_ccam(
    file: Annotated[Path, typer.Argument(help="Official CCAM export (CSV) from ameli.fr.")],
    applicable: Annotated[
        str | None, typer.Option(help="Applicable date YYYY-MM-DD (default: read from the file).")
    ] = None,
) -> None:
    """Import the official CCAM export (acts, activities, phases, tariffs per grid, modifiers)."""
    from datetime import date

    from openfse.services.ccam_import import import_ccam as run_import
    from openfse.services.setup import initialise, session_factory_for

    if not file.is_file():
        raise _fail(f"{file}: no such file")
    try:
        applicable_date = date.fromisoformat(applicable) if applicable else None
    except ValueError:
        raise _fail(f"--applicable: not an ISO date: {applicable!r}") from None
    settings = Settings.from_env()
    initialise(settings)
    try:
        report = run_import(session_factory_for(settings), file, applicable=applicable_date)
    except OpenFSEError as exc:
        raise _fail(f"{file}: {exc.message}") from None
    typer.echo(report.describe())


@app.command()
def price(
    file: Annotated[str, typer.Argument(help="Invoice draft JSON file, or - for standard input.")],
) -> None:
    """Price an invoice draft (docs/formats/price.md) and print the result as JSON."""
    from openfse.domain.pricing.contract import DraftError, dumps, price_document

    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        _print_error("io_error", "", f"cannot read {file}: {exc.strerror}")
        raise typer.Exit(2) from None
    try:
        document = json.loads(text, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        _print_error("invalid_json", "", f"invalid JSON: {exc}")
        raise typer.Exit(2) from None
    try:
        result = price_document(document)
    except DraftError as exc:
        _print_error(exc.code, exc.field or "", exc.message)
        raise typer.Exit(2) from None
    typer.echo(dumps(result))


@app.command()
def backup(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: <home>/backups/…ofsbak)."),
    ] = None,
    encrypt: Annotated[
        bool,
        typer.Option("--encrypt", help="Encrypt (OPENFSE_BACKUP_PASSPHRASE, else asked)."),
    ] = False,
    keep: Annotated[
        int | None, typer.Option(min=1, help="Default-named backups to keep (30).")
    ] = None,
) -> None:
    """Back up the database (SQLite online backup, pg_dump for PostgreSQL)."""
    from openfse.services.backup import create_backup

    settings = Settings.from_env()
    passphrase = _backup_passphrase(confirm=True) if encrypt else None
    options = {} if keep is None else {"keep": keep}
    try:
        report = create_backup(settings, output=output, passphrase=passphrase, **options)
    except OpenFSEError as exc:
        raise _fail(f"{exc.message} [{exc.code}]") from None
    typer.echo(report.describe())


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="Backup file (.ofsbak).")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that holds data (saved first).")
    ] = False,
) -> None:
    """Restore a backup into the configured database (checked first, then atomic)."""
    from openfse.services.backup import read_backup, restore_backup

    settings = Settings.from_env()
    try:
        encrypted = read_backup(file).encrypted
        passphrase = _backup_passphrase(confirm=False) if encrypted else None
        report = restore_backup(settings, file, passphrase=passphrase, force=force)
    except OpenFSEError as exc:
        raise _fail(f"{exc.message} [{exc.code}]") from None
    typer.echo(report.describe())


def _backup_passphrase(*, confirm: bool) -> str:
    """OPENFSE_BACKUP_PASSPHRASE (scripts, cron), else asked without echo."""
    from_env = os.environ.get("OPENFSE_BACKUP_PASSPHRASE")
    if from_env:
        return from_env
    return str(
        typer.prompt(
            "Phrase de passe de la sauvegarde", hide_input=True, confirmation_prompt=confirm
        )
    )


simulators = typer.Typer(
    help="Run a simulator of an outside service as its own process (127.0.0.1 only).",
    no_args_is_help=True,
)
app.add_typer(simulators, name="simulators")
_PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


@simulators.command("adri", context_settings=_PASS_THROUGH, add_help_option=False)
def simulator_adri(ctx: typer.Context) -> None:
    """ADRi (rights of the day) simulator; options as `python -m openfse.simulators.adri -h`."""
    from openfse.simulators.adri.__main__ import main as run

    run(list(ctx.args))


@simulators.command("interamc", context_settings=_PASS_THROUGH, add_help_option=False)
def simulator_interamc(ctx: typer.Context) -> None:
    """Inter-AMC directory simulator; options as `python -m openfse.simulators.interamc -h`."""
    from openfse.simulators.interamc import main as run

    run(list(ctx.args))


@simulators.command("caisse", context_settings=_PASS_THROUGH, add_help_option=False)
def simulator_caisse(ctx: typer.Context) -> None:
    """Insurer simulator (SMTP in, POP3 out); options: `python -m openfse.simulators.caisse -h`."""
    from openfse.simulators.caisse import main as run

    run(list(ctx.args))


def _print_error(code: str, field: str, message: str) -> None:
    typer.echo(json.dumps({"error": {"code": code, "field": field, "message": message}}))


def main() -> None:
    app()
