"""``openfse transmit`` (issue 13 defect 7): the end of day without a click — prepare, check
signatures, send, fetch, reconcile, a summary, exit code ≠ 0 on failure — and ``--scheduled``
(the systemd timer of docs/teletransmission-automatique.md) runs a day once."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from test_teletransmission_defaults import CLI, environment, free_port
from test_transmission_loop import signed_invoices

from openfse.config import Settings
from openfse.services.context import AppContext


def transmit(env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CLI, "transmit", *options], env=env,
                          capture_output=True, text=True, timeout=300)


def count(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found, text
    return int(found[1])


def test_transmit_sends_fetches_and_sums_up_in_the_demo(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = environment(home, OPENFSE_SMTP=f"127.0.0.1:{free_port()}",
                      OPENFSE_POP3=f"127.0.0.1:{free_port()}")
    subprocess.run([sys.executable, "-c", CLI, "init", "--demo-if-empty"], env=env, check=True,
                   capture_output=True, timeout=300)
    ctx = AppContext.open(Settings.from_env({"OPENFSE_HOME": str(home)}))
    try:
        signed_invoices(ctx, 2)
    finally:
        ctx.engine.dispose()

    first = transmit(env)
    assert first.returncode == 0, first.stdout + first.stderr
    lots = count(r"Lots préparés : (\d+)", first.stdout)
    assert lots >= 1 and f"Lots envoyés : {lots} sur {lots}." in first.stdout
    assert "Signatures : toutes les factures validées sont signées." in first.stdout
    assert "Terminé sans erreur." in first.stdout

    # The next run fetches what the caisse answered meanwhile: one positive ARL per lot.
    second = transmit(env)
    assert second.returncode == 0, second.stdout + second.stderr
    arl = (count(r"(\d+) ARL positif", first.stdout) + count(r"(\d+) ARL positif", second.stdout))
    assert arl == lots, first.stdout + second.stdout


def test_transmit_fails_plainly_without_servers_and_runs_a_scheduled_day_once(
        tmp_path: Path) -> None:
    env = environment(tmp_path / "home")  # a real installation, nothing configured
    subprocess.run([sys.executable, "-c", CLI, "init"], env=env, check=True,
                   capture_output=True, timeout=300)

    failed = transmit(env)
    assert failed.returncode == 1
    assert "Serveur d'envoi des lots (SMTP) non configuré" in failed.stdout
    assert "Relève impossible : Boîte de réception des retours (POP3) non configurée" in (
        failed.stdout)
    assert "Terminé avec des erreurs." in failed.stdout

    scheduled = transmit(env, "--scheduled")
    assert scheduled.returncode == 1 and "non configuré" in scheduled.stdout
    again = transmit(env, "--scheduled")
    assert again.returncode == 0 and "déjà faite : rien à faire." in again.stdout
