"""Benchmark of the lot files: build and serialise lots for 10,000 invoices (target < 2 s).

Prices the synthetic templates once (``openfse.simulators.synthetic_lots``), prepares the
field values of 10,000 invoices (what a service reads from the database), then times:

1. **build** — the ``InvoiceRecord`` values (all checks of the value objects) and
   ``plan_lots`` (grouping into lots of 50, numbering);
2. **serialise** — ``LotFile.build`` of every lot (text records, SHA-256 trailer);
3. **parse** — ``LotFile.parse`` of every file back (frame, checksum, every field).

    .venv/bin/python bench/bench_lot_serialise.py [--invoices N] [--rounds R]

Prints the best and median wall time and the CPU time of each step over the rounds, the bytes
written, and exits with status 1 when build + serialise misses the target (best wall time; on
a machine shared with other jobs the CPU time says what the code itself costs).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from openfse.adapters.transmission.lot_file import LotFile  # noqa: E402
from openfse.domain.transmission import (  # noqa: E402
    ActLine,
    Destination,
    DestinationKind,
    InvoiceRecord,
    LotKind,
    PendingItem,
    plan_lots,
)
from openfse.simulators.synthetic_lots import (  # noqa: E402
    DEFAULT_ORGANISME,
    DEFAULT_PS_NUMBER,
    synthetic_pending,
)

TARGET_SECONDS = 2.0
CARE_DATE = date(2026, 3, 2)


def prepared_rows(count: int) -> list[dict[str, object]]:
    """Plain field values of ``count`` invoices, as a repository would hand them over."""
    pending = synthetic_pending(count, care_date=CARE_DATE, signer=lambda data: bytes(32))
    rows = []
    for entry in pending:
        assert isinstance(entry.item, InvoiceRecord)
        row = {name: getattr(entry.item, name) for name in InvoiceRecord.__slots__}
        row["acts"] = [asdict(act) for act in entry.item.acts]
        rows.append(row)
    return rows


def build(rows: list[dict[str, object]]) -> tuple[object, ...]:
    destination = Destination(DestinationKind.AMO, DEFAULT_ORGANISME)
    pending = []
    for row in rows:
        acts = tuple(ActLine(**act) for act in row["acts"])  # type: ignore[attr-defined]
        record = InvoiceRecord(**{**row, "acts": acts})  # type: ignore[arg-type]
        pending.append(PendingItem(DEFAULT_PS_NUMBER, LotKind.FSE, destination, record))
    return plan_lots(pending, created_on=CARE_DATE, last_numbers={})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    rows = prepared_rows(args.invoices)
    timings: dict[str, list[float]] = {"build": [], "serialise": [], "parse": []}
    cpu: dict[str, list[float]] = {"build": [], "serialise": [], "parse": []}
    size = 0
    for _ in range(args.rounds):
        marks = [(time.perf_counter(), time.process_time())]
        lots = build(rows)
        marks.append((time.perf_counter(), time.process_time()))
        files = [LotFile.build(lot) for lot in lots]  # type: ignore[arg-type]
        marks.append((time.perf_counter(), time.process_time()))
        parsed = [LotFile.parse(f.data) for f in files]
        marks.append((time.perf_counter(), time.process_time()))
        assert [p.content for p in parsed] == [f.content for f in files]
        for position, step in enumerate(("build", "serialise", "parse")):
            timings[step].append(marks[position + 1][0] - marks[position][0])
            cpu[step].append(marks[position + 1][1] - marks[position][1])
        size = sum(len(f.data) for f in files)

    print(f"{args.invoices} invoices, {len(lots)} lots, {size / 1e6:.1f} MB of lot files")
    for step, values in timings.items():
        print(
            f"{step:>10}: best {min(values):.3f} s   median {statistics.median(values):.3f} s"
            f"   (CPU best {min(cpu[step]):.3f} s)"
        )
    total = min(timings["build"]) + min(timings["serialise"])
    verdict = "OK" if total < TARGET_SECONDS else "MISSED"
    print(f"build + serialise: {total:.3f} s (target < {TARGET_SECONDS} s) {verdict}")
    return 0 if total < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
