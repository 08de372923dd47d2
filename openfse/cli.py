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
from typing import TYPE_CHECKING, Annotated

import typer

from openfse import __version__
from openfse.config import Settings
from openfse.domain.clock import Clock  # a new cabinet is on Paris time until its setting says
from openfse.errors import OpenFSEError

if TYPE_CHECKING:
    from openfse.adapters.transmission.transport import Transport
    from openfse.composition.simulated_caisse import SimulatedCaisse
    from openfse.services.context import AppContext
    from openfse.services.transmission_schedule import Scheduler
    from openfse.store.uow import UnitOfWork

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
    reinstall_guards: Annotated[
        bool,
        typer.Option("--reinstall-guards",
                     help="Reinstall the missing immutability guards of the journal and of "
                          "validated invoices (after checking the data)."),
    ] = False,
) -> None:
    """Create or upgrade the database and load the reference tables; refuses a database whose
    immutability guards are missing or disabled."""
    from openfse.composition.demo import load_demo
    from openfse.services.setup import initialise

    settings = Settings.from_env()
    try:
        report = initialise(settings, reinstall_guards=reinstall_guards)
    except OpenFSEError as exc:
        raise _fail(f"{exc.message} [{exc.code}]") from None
    typer.echo(report.describe())
    if demo_if_empty and report.empty:
        typer.echo(load_demo(settings, today=Clock().today()).describe())


@app.command()
def demo() -> None:
    """Load the demo cabinet (2 professionals, 30 patients, prescribers) into the database."""
    from openfse.composition.demo import load_demo
    from openfse.services.setup import initialise

    settings = Settings.from_env()
    initialise(settings)
    try:
        typer.echo(load_demo(settings, today=Clock().today()).describe())
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
    try:
        application = create_app(settings)  # initialises: refuses a database without guards
    except OpenFSEError as exc:
        raise _fail(f"{exc.message} [{exc.code}]") from None
    bind_host = host or settings.host
    bind_port = port or settings.port
    # The demo's simulated caisse and the in-app schedule live as long as the server.
    caisse = _start_demo_caisse(application.state.ctx)
    scheduler = _start_scheduler(application.state.ctx)
    typer.echo(f"openfse {__version__} — http://{bind_host}:{bind_port}/ (Ctrl+C pour arrêter)")
    try:
        uvicorn.run(application, host=bind_host, port=bind_port, log_level="warning")
    finally:
        scheduler.stop()
        if caisse is not None:
            caisse.stop()


def _is_demo(ctx: AppContext) -> bool:
    from openfse.services.setup import is_demo_cabinet

    return is_demo_cabinet(ctx.unit_of_work(actor="systeme", actor_user_id=None))


def _transport_of(ctx: AppContext, demo: bool | None = None) -> Transport:
    from openfse.services import transmission

    return transmission.transport_of(ctx.settings,
                                     demo=_is_demo(ctx) if demo is None else demo)


def _start_demo_caisse(ctx: AppContext) -> SimulatedCaisse | None:
    """In the demo cabinet, with its servers on this machine and none answering, the
    simulated caisse (docs/formats/caisse-sim.md), so « Envoyer » and « Relever les retours »
    work with no setting touched; otherwise say which server is not configured."""
    from openfse.composition.simulated_caisse import should_simulate, start_simulated_caisse

    demo = _is_demo(ctx)
    transport = _transport_of(ctx, demo)
    for missing in (transport.smtp_missing, transport.pop3_missing):
        if missing:
            typer.echo(f"Télétransmission : {missing}", err=True)
    if not should_simulate(transport, demo=demo):
        return None
    try:
        caisse = start_simulated_caisse(transport, Path(ctx.settings.home) / "simulators"
                                        / "caisse")
    except OSError as problem:
        typer.echo(f"Télétransmission : {problem}", err=True)
        return None
    typer.echo(f"Démonstration : caisse simulée démarrée ({caisse.ready_line}).")
    return caisse


def _start_scheduler(ctx: AppContext) -> Scheduler:
    from openfse.services.transmission_schedule import Scheduler

    return Scheduler(ctx, lambda: _transport_of(ctx)).start()


@app.command()
def transmit(
    scheduled: Annotated[
        bool,
        typer.Option("--scheduled", help="Once a day: skip when today's run is already done "
                     "(systemd timer, docs/teletransmission-automatique.md)."),
    ] = False,
) -> None:
    """Prepare the lots, check signatures, send, fetch the returns and reconcile them; print a
    summary. Exit code 1 when a step failed, 0 otherwise."""
    from openfse.composition.simulated_caisse import should_simulate, start_simulated_caisse
    from openfse.services import transmission
    from openfse.services.context import AppContext

    settings = Settings.from_env()
    try:
        ctx = AppContext.open(settings)
    except OpenFSEError as exc:
        raise _fail(exc.message) from None
    demo = _is_demo(ctx)
    transport = _transport_of(ctx, demo)
    caisse = None
    if should_simulate(transport, demo=demo):
        try:  # the demo without `openfse serve` running: its caisse for this run
            caisse = start_simulated_caisse(transport, Path(settings.home) / "simulators"
                                            / "caisse")
        except OSError as problem:
            typer.echo(f"Télétransmission : {problem}", err=True)

    def uow_factory() -> UnitOfWork:
        return ctx.unit_of_work(actor="openfse transmit", actor_user_id=None)

    clock = ctx.clock()
    try:
        if scheduled:
            run = transmission.run_scheduled(uow_factory, transport, today=clock.today())
            if not run.ran:
                typer.echo(f"Télétransmission du {clock.today():%d/%m/%Y} déjà faite : rien à "
                           "faire.")
                return
            report = run.report
        else:
            report = transmission.end_of_day(uow_factory, transport, today=clock.today())
    except OpenFSEError as exc:
        raise _fail(exc.message, code=1) from None
    finally:
        if caisse is not None:
            caisse.stop()
        ctx.engine.dispose()
    assert report is not None
    typer.echo(report.describe())
    if not report.succeeded:
        raise typer.Exit(1)


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
    patient: Annotated[int | None, typer.Option(
        "--patient", min=1,
        help="Patient file id: the draft's patient, amc, tiers_payant and exo it leaves out "
             "come from the file on date_soins (the invoice screen's mapping).")] = None,
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
        if patient is not None:
            document = _from_patient_file(document, patient)
        result = price_document(document)
    except DraftError as exc:
        _print_error(exc.code, exc.field or "", exc.message)
        raise typer.Exit(2) from None
    typer.echo(dumps(result))


def _from_patient_file(document: object, patient_id: int) -> dict[str, object]:
    """The draft completed from the patient's file (``services.coverage``)."""
    from openfse.domain.pricing.errors import DraftError
    from openfse.domain.pricing.json_readers import obj
    from openfse.errors import NotFound
    from openfse.services import coverage
    from openfse.services.context import AppContext

    draft = obj(document, "$")
    try:
        ctx = AppContext.open(Settings.from_env())
        return coverage.document_from_file(
            ctx.unit_of_work(actor="openfse price", actor_user_id=None), patient_id, draft)
    except NotFound as exc:
        _print_error(exc.code, "--patient", exc.message)
        raise typer.Exit(2) from None
    except DraftError:
        raise
    except OpenFSEError as exc:
        _print_error(exc.code, "", exc.message)
        raise typer.Exit(2) from None


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
    from openfse.services.backup import DEFAULT_KEEP

    try:
        report = create_backup(settings, output=output, passphrase=passphrase,
                               keep=DEFAULT_KEEP if keep is None else keep)
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
