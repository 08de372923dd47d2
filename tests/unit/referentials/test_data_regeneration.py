"""The shipped data files are exactly what ``tools/update/`` regenerates from ``shared/data``.

Runs each update script into a temporary directory and compares byte for byte, so a
hand edit of a generated file (or a script change not re-run) fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO / ".." / "shared"
DATA = REPO / "openfse" / "referentials" / "data"

SCRIPTS = {
    "professions.py": ["specialites.csv"],
    "ngap_labels.py": ["ngap_labels.csv"],
    "organisms.py": ["amo_regimes.csv", "amo_caisses.csv"],
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_shipped_file_matches_the_update_script(script: str, tmp_path: Path) -> None:
    if not (SHARED / "data").is_dir():
        pytest.skip("shared/data is absent: cannot regenerate the reference files")
    subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "update" / script),
            "--shared",
            str(SHARED),
            "--out",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    for name in SCRIPTS[script]:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name
