"""Benchmark of the payment-return reconciliation. Target: 100,000 lines in < 3 s.

Builds 100,000 invoices sent by 20 professionals and one payment-return line for each (90 %
paid, 5 % partly paid, 5 % rejected, plus 1,000 lines naming unknown invoices), then times
``openfse.services.returns.reconcile`` (index building included) over several rounds and
prints min / median / max in milliseconds and the lines per second.

    .venv/bin/python bench/bench_reconcile.py [--lines N] [--rounds R]

Exit status 1 when the median misses the target.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from openfse.domain.transmission import (  # noqa: E402
    LotRef,
    PaymentReturn,
    PaymentStatus,
    Reason,
)
from openfse.services.returns import SentInvoice, reconcile  # noqa: E402

TARGET_S = 3.0
PROFESSIONALS = [f"{751000000 + i * 11:09d}" for i in range(20)]
CARE = date(2026, 11, 2)
PAID_ON = date(2026, 11, 10)
NIR = "178047511501217"
REQUESTED = Decimal("21.00")


def sent_invoices(count: int) -> dict[tuple[str, str], SentInvoice]:
    sent = {}
    for index in range(count):
        ps = PROFESSIONALS[index % len(PROFESSIONALS)]
        number = f"{index // len(PROFESSIONALS) + 1:09d}"
        invoice = SentInvoice(index + 1, ps, number, REQUESTED, f"{ps}-20261102-001")
        sent[invoice.key] = invoice
    return sent


def return_lines(sent: dict[tuple[str, str], SentInvoice], unknown: int) -> list[PaymentReturn]:
    lines = []
    rejected = Reason("R04", "totaux incohérents")
    partial = Reason("P01", "dépassement non remboursable")
    keys = [(invoice.ps_number, invoice.number) for invoice in sent.values()]
    for index, (ps, number) in enumerate(keys + [(PROFESSIONALS[0], f"9{i:08d}")
                                                 for i in range(unknown)]):
        lot = LotRef(ps, date(2026, 11, 2), 1)
        kind = index % 20
        if kind == 0:
            line = PaymentReturn(lot, number, NIR, CARE, PaymentStatus.REJECTED, REQUESTED,
                                 Decimal("0.00"), None, rejected)
        elif kind == 1:
            line = PaymentReturn(lot, number, NIR, CARE, PaymentStatus.PARTIAL, REQUESTED,
                                 Decimal("16.50"), PAID_ON, partial)
        else:
            line = PaymentReturn(lot, number, NIR, CARE, PaymentStatus.PAID, REQUESTED,
                                 REQUESTED, PAID_ON)
        lines.append(line)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    lines = return_lines(sent_invoices(args.lines - 1000), 1000)
    print(f"built {len(lines)} lines in {time.perf_counter() - started:.2f} s")
    timings = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        # The index is rebuilt each round: it is part of the work of a real fetch.
        result = reconcile(lines, sent_invoices(args.lines - 1000))
        timings.append(time.perf_counter() - start)
    assert len(result.matched) + len(result.unmatched) == len(lines)
    median = statistics.median(timings)
    print(f"reconcile {len(lines)} lines: min {min(timings) * 1000:.0f} ms, median "
          f"{median * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms "
          f"({len(lines) / median:,.0f} lines/s); paid {len(result.paid)}, partial "
          f"{len(result.partial)}, rejected {len(result.rejected)}, unmatched "
          f"{len(result.unmatched)}; target < {TARGET_S:.0f} s")
    return 0 if median < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
