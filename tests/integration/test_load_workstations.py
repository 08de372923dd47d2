"""Issue 8 « Load: 20 concurrent simulated workstations on PostgreSQL … no error », run by the
test command in a short form (15 s instead of the benchmark's 60 s): the very script of
``bench/load_workstations.py`` (a real ``openfse serve`` process, 20 HTTP clients validating
invoices and searching patients at once). Only the absence of errors is asserted here; the
throughput and latencies are the benchmark's to report, not a test's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pg_support import PG_ADMIN_URL, admin_or_skip

BENCH = Path(__file__).resolve().parents[2] / "bench" / "load_workstations.py"


def test_twenty_workstations_at_once_get_no_error() -> None:
    admin_or_skip().dispose()
    run = subprocess.run([sys.executable, str(BENCH), "--workstations", "20", "--seconds", "15",
                          "--pg", PG_ADMIN_URL], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "errors    0" in run.stdout
    validations = next(line for line in run.stdout.splitlines() if line.startswith("validate"))
    assert int(validations.split()[1]) > 20, run.stdout  # every workstation got through
