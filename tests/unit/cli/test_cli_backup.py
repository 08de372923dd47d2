"""``openfse backup`` / ``openfse restore`` as an administrator (or a cron job) uses them.

The commands are wired in ``openfse/cli.py`` by the lead from ``openfse.services.backup``;
until then these tests are skipped with that reason.
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openfse.cli import app
from openfse.config import Settings
from openfse.services.setup import engine_for

runner = CliRunner()
PASSPHRASE = "quatre mots pris au hasard"


def _commands() -> set[str]:
    return {c.name or (c.callback.__name__.replace("_", "-") if c.callback else "")
            for c in app.registered_commands}


pytestmark = pytest.mark.skipif(
    not {"backup", "restore"} <= _commands(),
    reason="`openfse backup` / `openfse restore` are not wired in openfse/cli.py yet")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database made once through the CLI, copied for each test."""
    home = tmp_path_factory.mktemp("cli-demo")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OPENFSE_HOME", str(home))
        env.delenv("OPENFSE_DATABASE_URL", raising=False)
        assert runner.invoke(app, ["init", "--demo-if-empty"]).exit_code == 0
        engine_for(Settings.from_env()).dispose()  # the WAL is folded into the file
    return home / "openfse.db"


@pytest.fixture
def demo_home(openfse_home: Path, demo_db: Path) -> Path:
    openfse_home.mkdir(parents=True)
    shutil.copyfile(demo_db, openfse_home / "openfse.db")
    return openfse_home


def _written(output: str) -> Path:
    """The path the backup command reports."""
    line = next(line for line in output.splitlines() if "écrite : " in line)
    return Path(line.split("écrite : ", 1)[1].split(" (", 1)[0])


def test_backup_then_restore(demo_home: Path) -> None:
    made = runner.invoke(app, ["backup"])
    assert made.exit_code == 0, made.output
    assert "Sauvegarde NON chiffrée écrite" in made.output
    path = _written(made.output)
    assert path.parent == demo_home / "backups" and path.suffix == ".ofsbak"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    refused = runner.invoke(app, ["restore", str(path)])
    assert refused.exit_code == 2
    assert "--force" in refused.output and "backup_database_not_empty" in refused.output

    restored = runner.invoke(app, ["restore", str(path), "--force"])
    assert restored.exit_code == 0, restored.output
    assert "restaurée" in restored.output and "avant-restauration" in restored.output


def test_encrypted_backup_with_the_passphrase_from_the_environment(
        demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = tmp_path / "cabinet.ofsbak"
    monkeypatch.setenv("OPENFSE_BACKUP_PASSPHRASE", PASSPHRASE)
    made = runner.invoke(app, ["backup", "--encrypt", "--output", str(output)])
    assert made.exit_code == 0, made.output
    assert "Sauvegarde chiffrée écrite" in made.output and output.is_file()

    monkeypatch.setenv("OPENFSE_BACKUP_PASSPHRASE", "pas la bonne phrase")
    wrong = runner.invoke(app, ["restore", str(output), "--force"])
    assert wrong.exit_code == 2
    assert "Phrase de passe incorrecte" in wrong.output
    assert "backup_wrong_passphrase" in wrong.output

    monkeypatch.setenv("OPENFSE_BACKUP_PASSPHRASE", PASSPHRASE)
    right = runner.invoke(app, ["restore", str(output), "--force"])
    assert right.exit_code == 0, right.output


def test_encrypted_backup_with_the_passphrase_asked_twice(
        demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENFSE_BACKUP_PASSPHRASE", raising=False)
    output = tmp_path / "cabinet.ofsbak"
    made = runner.invoke(app, ["backup", "--encrypt", "-o", str(output)],
                         input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert made.exit_code == 0, made.output
    assert PASSPHRASE not in made.output  # typed without echo

    too_short = runner.invoke(app, ["backup", "--encrypt", "-o", str(tmp_path / "b.ofsbak")],
                              input="court\ncourt\n")
    assert too_short.exit_code == 2 and "12 caractères" in too_short.output


def test_a_truncated_backup_is_refused(demo_home: Path) -> None:
    path = _written(runner.invoke(app, ["backup"]).output)
    path.write_bytes(path.read_bytes()[:-100])

    result = runner.invoke(app, ["restore", str(path), "--force"])

    assert result.exit_code == 2
    assert "tronqué" in result.output and "backup_truncated" in result.output
