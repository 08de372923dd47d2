"""Shared plumbing of the scripts that regenerate ``openfse/referentials/data/`` files.

The scripts read the public reference data collected in ``shared/data/`` (the directory beside
the repository, or ``--shared PATH``) and write the package's own copy: the product never
reads ``shared/`` at run time. Each generated file starts with ``#`` comment lines saying where
its content comes from and which command regenerates it.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SHARED = REPO.parent / "shared"
DATA_DIR = REPO / "openfse" / "referentials" / "data"


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED,
        help="the shared/ directory (default: %(default)s)",
    )
    parser.add_argument(
        "--out", type=Path, default=DATA_DIR, help="output directory (default: %(default)s)"
    )
    args = parser.parse_args()
    if not args.shared.is_dir():
        sys.exit(f"shared directory not found: {args.shared}")
    return args


def read_semicolon_csv(path: Path) -> list[dict[str, str]]:
    """An SNDS nomenclature table (semicolon separated, UTF-8, header line)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            {k: (v or "").strip() for k, v in row.items()}
            for row in csv.DictReader(handle, delimiter=";")
        ]


def write_data_csv(
    path: Path,
    header_comments: Sequence[str],
    fieldnames: Sequence[str],
    rows: Iterable[dict[str, str]],
) -> int:
    """Write a package data file: comment lines, header, rows. Returns the number of rows."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        for comment in header_comments:
            handle.write(f"# {comment}\n")
        writer = csv.DictWriter(handle, fieldnames=list(fieldnames), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count
