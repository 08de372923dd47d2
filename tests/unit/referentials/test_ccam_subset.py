"""The bundled CCAM subset: provenance, content, and agreement with the public export."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from datetime import date
from importlib import resources
from pathlib import Path
from types import ModuleType

import pytest

from openfse.referentials.ccam import GRIDS, CcamCatalog, bundled_catalog
from openfse.referentials.ccam_export import decode_export, parse_export_with_warnings

REPO = Path(__file__).resolve().parents[3]
RAW = REPO / ".." / "shared" / "data" / "ccam" / "raw_rpps_api" / "ccam.csv"
V81 = date(2026, 1, 1)


def subset_text() -> str:
    return (
        resources.files("openfse")
        .joinpath("referentials/data/ccam_subset.csv")
        .read_text(encoding="utf-8")
    )


def load_generator() -> ModuleType:
    """tools/update/ccam_subset.py as a module (it imports its neighbour ``_common``)."""
    scripts = str(REPO / "tools" / "update")
    spec = importlib.util.spec_from_file_location(
        "ccam_subset_generator", f"{scripts}/ccam_subset.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, scripts)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(scripts)
    return module


@pytest.fixture(scope="module")
def full() -> CcamCatalog:
    if not RAW.exists():
        pytest.skip(f"public CCAM export not available at {RAW}")
    return parse_export_with_warnings(decode_export(RAW.read_bytes())).catalog


def test_subset_states_its_provenance() -> None:
    head = subset_text().splitlines()[:6]
    assert head[0] == "# CNAM - CCAM version 81 applicable 01/01/2026"
    assert any("tools/update/ccam_subset.py" in line for line in head)
    assert any("ameli.fr" in line for line in head)


def test_subset_parses_without_warning() -> None:
    parsed = parse_export_with_warnings(subset_text())
    assert parsed.source_format == "normalised"
    assert parsed.warnings == ()
    assert parsed.catalog == bundled_catalog()


def test_subset_holds_the_generator_list_and_every_modifier() -> None:
    generator = load_generator()
    catalog = bundled_catalog()
    assert [act.code for act in catalog.acts] == sorted(generator.selected_codes())
    assert "".join(m.code for m in catalog.modifiers) == "3456789ABDEFGHJKLMNOPQRSTUVWYZ"
    assert all(set(m.grid_values) == set(GRIDS) for m in catalog.modifiers)


def test_subset_is_up_to_date_with_the_public_export(tmp_path: Path) -> None:
    # Runs the script as documented and compares byte for byte with the shipped file.
    if not RAW.exists():
        pytest.skip(f"public CCAM export not available at {RAW}")
    script = REPO / "tools" / "update" / "ccam_subset.py"
    shared = REPO / ".." / "shared"
    subprocess.run(
        [sys.executable, str(script), "--shared", str(shared), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    assert (tmp_path / "ccam_subset.csv").read_text(encoding="utf-8") == subset_text()


def test_subset_acts_equal_the_full_export_except_notes(full: CcamCatalog) -> None:
    for act in bundled_catalog().acts:
        original = full.act(act.code)
        assert original is not None
        assert act.lines == original.lines
        assert (act.label, act.chapter, act.modifiers, act.associated_codes) == (
            original.label, original.chapter, original.modifiers, original.associated_codes,
        )  # fmt: skip
    for modifier in bundled_catalog().modifiers:
        original_modifier = full.modifier_definition(modifier.code, V81)
        assert original_modifier is not None
        assert dict(modifier.grid_values) == dict(original_modifier.grid_values)
