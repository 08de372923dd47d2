"""The ``openfse`` command line, as an integrator or an administrator uses it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openfse import __version__
from openfse.cli import app

runner = CliRunner()

G_DRAFT = {
    "date_soins": "2026-03-02",
    "profession": "medecin",
    "ps": {"specialite": "medecine_generale", "secteur": 1, "optam": False},
    "patient": {"age": 45, "regime": "01", "parcours": "medecin_traitant"},
    "acts": [{"code": "G", "nomenclature": "NGAP", "quantity": 1, "coefficient": 1}],
    "amc": {"formula": "052", "parameter": 100, "gestion": "unique"},
    "tiers_payant": {"amo": True, "amc": True},
}


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"openfse {__version__}"


def test_init_then_demo_then_demo_again_is_refused(openfse_home: Path) -> None:
    first = runner.invoke(app, ["init"])
    assert first.exit_code == 0, first.output
    assert "nouvelle base" in first.output
    assert (openfse_home / "openfse.db").exists()
    demo = runner.invoke(app, ["demo"])
    assert demo.exit_code == 0, demo.output
    assert "30 patients" in demo.output and "2 professionnels" in demo.output
    assert "3 favoris" in demo.output
    again = runner.invoke(app, ["demo"])
    assert again.exit_code == 2
    assert "déjà chargée" in again.output


def test_init_with_demo_if_empty_loads_once(openfse_home: Path) -> None:
    assert "Démonstration chargée" in runner.invoke(app, ["init", "--demo-if-empty"]).output
    second = runner.invoke(app, ["init", "--demo-if-empty"])
    assert second.exit_code == 0
    assert "Démonstration" not in second.output


def test_price_file_prints_the_split_with_two_decimals(tmp_path: Path) -> None:
    draft = tmp_path / "g.json"
    draft.write_text(json.dumps(G_DRAFT), encoding="utf-8")
    result = runner.invoke(app, ["price", str(draft)])
    assert result.exit_code == 0, result.output
    # G 30.00 (since 22/12/2024) × 70 % = 21.00 AMO; AMC 052 pays the ticket modérateur 9.00;
    # participation forfaitaire 2.00 is withheld from the AMO payment (amo_net 19.00).
    assert '"total_honoraires": 30.00' in result.output
    priced = json.loads(result.output)
    assert priced["amo_brut"] == 21 and priced["amo_net"] == 19 and priced["amc"] == 9


def test_price_reads_standard_input() -> None:
    result = runner.invoke(app, ["price", "-"], input=json.dumps(G_DRAFT))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total_honoraires"] == 30


def test_price_bad_draft_exits_2_with_the_field(tmp_path: Path) -> None:
    bad = {**G_DRAFT, "acts": [{"code": "G", "nomenclature": "NGAP", "coefficient": "x"}]}
    result = runner.invoke(app, ["price", "-"], input=json.dumps(bad))
    assert result.exit_code == 2
    error = json.loads(result.output)["error"]
    assert error["field"] == "acts[0].coefficient"


def test_price_invalid_json_and_missing_file_exit_2(tmp_path: Path) -> None:
    broken = runner.invoke(app, ["price", "-"], input="{not json")
    assert broken.exit_code == 2
    assert json.loads(broken.output)["error"]["code"] == "invalid_json"
    missing = runner.invoke(app, ["price", str(tmp_path / "absent.json")])
    assert missing.exit_code == 2
    assert json.loads(missing.output)["error"]["code"] == "io_error"


def test_import_ccam_refuses_a_missing_or_foreign_file(openfse_home: Path, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["import-ccam", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2
    assert "no such file" in missing.output
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("nom;prénom\nDUPONT;JEAN\n", encoding="utf-8")
    result = runner.invoke(app, ["import-ccam", str(foreign)])
    assert result.exit_code == 2
    assert "foreign.csv" in result.output


def test_import_ccam_official_export(openfse_home: Path, shared_dir: Path) -> None:
    export = shared_dir / "data" / "ccam" / "raw_rpps_api" / "ccam.csv"
    result = runner.invoke(app, ["import-ccam", str(export)])
    assert result.exit_code == 0, result.output
    assert "8257" in result.output.replace(" ", "").replace("\u202f", "")
    again = runner.invoke(app, ["import-ccam", str(export)])
    assert again.exit_code == 0
