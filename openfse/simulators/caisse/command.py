"""``python -m openfse.simulators.caisse`` (and ``openfse simulators caisse``): run the
simulated insurer on 127.0.0.1 and print ``READY smtp=… pop3=… admin=…`` once listening."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import ssl
from datetime import date
from pathlib import Path

from openfse.simulators.caisse.caisse import Caisse, CaisseConfig
from openfse.simulators.caisse.checks import RightsDirectory, SignatureKeys
from openfse.simulators.caisse.faults import Faults
from openfse.simulators.caisse.mailboxes import Mailboxes
from openfse.simulators.caisse.pop3_server import Pop3ServerConfig
from openfse.simulators.caisse.server import CaisseServer
from openfse.simulators.caisse.smtp_server import SmtpServerConfig
from openfse.simulators.caisse.state import State

__all__ = ["build_parser", "main"]


def _home() -> Path:
    """``$OPENFSE_HOME``, else the XDG data directory's ``openfse`` (as the application's)."""
    home = os.environ.get("OPENFSE_HOME")
    if home:
        return Path(home).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share") / "openfse"


async def _stop_with_parent(parent_pid: int, task: asyncio.Task[None]) -> None:
    """Orphaned (the app that started it died, even by SIGKILL): stop cleanly."""
    while os.getppid() == parent_pid:
        await asyncio.sleep(1.0)
    task.cancel()


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("taux entre 0 et 1 attendu (0.05 = 5 %)")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value < 65536:
        raise argparse.ArgumentTypeError("port TCP de 0 à 65535 attendu (0 = libre)")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m openfse.simulators.caisse",
        description="Caisse simulée : reçoit les lots par SMTP, répond ARL et retours de "
        "paiement dans des boîtes POP3, sur 127.0.0.1 uniquement.",
    )
    parser.add_argument("--smtp-port", type=_port, default=0, help="port SMTP (0 = libre)")
    parser.add_argument("--pop3-port", type=_port, default=0, help="port POP3 (0 = libre)")
    parser.add_argument("--admin-port", type=_port, default=0, help="port HTTP d'administration")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="état persistant (défaut : $OPENFSE_HOME/simulators/caisse)",
    )
    parser.add_argument("--password", default="openfse", help="mot de passe POP3 des boîtes")
    parser.add_argument("--reject-rate", type=_rate, default=0.05, help="part de rejets")
    parser.add_argument(
        "--partial-rate", type=_rate, default=0.05, help="part de paiements partiels"
    )
    parser.add_argument("--late-rate", type=_rate, default=0.10, help="part de paiements en retard")
    parser.add_argument("--delay-days", type=int, default=2, help="délai des retours (jours)")
    parser.add_argument("--late-days", type=int, default=20, help="retard supplémentaire (jours)")
    parser.add_argument("--seed", type=int, default=0, help="graine des tirages (reproductibles)")
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="date simulée AAAA-MM-JJ (défaut : date du jour)",
    )
    parser.add_argument(
        "--release",
        choices=("auto", "manual"),
        default="auto",
        help="retours émis à échéance (auto) ou sur demande admin (manual)",
    )
    parser.add_argument("--tick-seconds", type=float, default=1.0, help="période du travailleur")
    parser.add_argument(
        "--check-signatures",
        action="store_true",
        help="vérifier les signatures CPS des cartes de test",
    )
    parser.add_argument("--tls-cert", type=Path, default=None, help="certificat (STARTTLS, STLS)")
    parser.add_argument("--tls-key", type=Path, default=None, help="clé du certificat")
    parser.add_argument("--max-size-mb", type=int, default=96, help="taille maximale d'un mail")
    parser.add_argument("--verbose", action="store_true", help="journal détaillé")
    parser.add_argument(
        "--parent-pid",
        type=int,
        default=None,
        help="s'arrêter quand ce processus disparaît (la caisse de la démonstration, lancée "
        "par openfse serve)",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    try:
        config = CaisseConfig(
            reject_rate=args.reject_rate,
            partial_rate=args.partial_rate,
            late_rate=args.late_rate,
            delay_days=args.delay_days,
            late_days=args.late_days,
            seed=args.seed,
            today=args.today,
            check_signatures=args.check_signatures,
        )
    except ValueError as problem:
        raise SystemExit(f"configuration refusée : {problem}") from None
    tls = None
    if (args.tls_cert is None) != (args.tls_key is None):
        raise SystemExit("--tls-cert et --tls-key vont ensemble")
    if args.tls_cert is not None:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    directory = args.data_dir or _home() / "simulators" / "caisse"
    directory.mkdir(parents=True, exist_ok=True)
    faults = Faults()
    caisse = Caisse(
        state=State(directory / "caisse.sqlite3"),
        mailboxes=Mailboxes(directory / "mail"),
        config=config,
        rights=RightsDirectory.shipped(),
        signatures=SignatureKeys.of_test_cards(),
        faults=faults,
    )
    server = CaisseServer(
        caisse,
        SmtpServerConfig(args.smtp_port, args.max_size_mb * 1024 * 1024, tls, faults),
        Pop3ServerConfig(args.password, args.pop3_port, faults, tls),
        admin_port=args.admin_port,
        auto_release=args.release == "auto",
        tick_seconds=args.tick_seconds,
    )
    asyncio.run(_run(server, args.parent_pid))


async def _run(server: CaisseServer, parent_pid: int | None = None) -> None:
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    if parent_pid is not None:
        loop.create_task(_stop_with_parent(parent_pid, task))
    with contextlib.suppress(asyncio.CancelledError):
        try:
            await server.serve(lambda line: print(line, flush=True))
        except OSError as problem:  # a port already taken, an unwritable directory…
            raise SystemExit(f"simulateur de caisse : démarrage impossible ({problem})") from None
