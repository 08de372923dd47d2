"""Write the sample documents as PDFs, to look at the layouts::

    python -m openfse.printing --out /tmp/openfse-print
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from openfse.printing import samples
from openfse.printing.documents import PaperMode
from openfse.printing.render import render_care_sheet, render_receipt


def main() -> None:
    parser = argparse.ArgumentParser(description="Écrit les documents d'exemple en PDF.")
    parser.add_argument("--out", type=Path, default=Path("."), help="dossier de sortie")
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    documents: dict[str, Callable[[], bytes]] = {
        "feuille-de-soins-degrade.pdf": lambda: render_care_sheet(samples.sample_care_sheet()),
        "feuille-de-soins-papier.pdf": lambda: render_care_sheet(
            samples.sample_care_sheet(PaperMode.PAPIER)),
        "feuille-de-soins-40-actes.pdf": lambda: render_care_sheet(
            samples.sample_nurse_care_sheet(40)),
        "note-honoraires.pdf": lambda: render_receipt(samples.sample_receipt()),
        "note-honoraires-entreprise.pdf": lambda: render_receipt(
            samples.sample_company_receipt()),
    }
    for name, make in documents.items():
        started = time.perf_counter()
        (out / name).write_bytes(make())
        print(f"{out / name}  ({(time.perf_counter() - started) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
