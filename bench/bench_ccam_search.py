"""Benchmark of CCAM search on the full CCAM v81 (8,257 codes). Target: p95 < 2 ms per query.

Loads the public CNAM export (``shared/data/ccam/raw_rpps_api/ccam.csv``, or the path given as
first argument), builds the search index, then runs a fixed query set — code prefixes of 1 to
7 characters and realistic keyword queries — several rounds, and prints p50/p95/max per kind
in microseconds, the parse and index build times and the peak memory (tracemalloc).

    .venv/bin/python bench/bench_ccam_search.py [EXPORT.csv] [--rounds N]

Exit status 1 when a kind misses the target.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from openfse.referentials.ccam import CcamCatalog  # noqa: E402
from openfse.referentials.ccam_export import decode_export, parse_export  # noqa: E402

DEFAULT_EXPORT = REPO.parent / "shared" / "data" / "ccam" / "raw_rpps_api" / "ccam.csv"
TARGET_P95_US = 2000.0

# What a GP, a dentist, a midwife, a radiologist… type in the act picker.
KEYWORD_QUERIES = [
    "radiographie thorax", "détartrage", "detartrage", "suture plaie", "échographie abdomen",
    "infiltration", "biopsie peau", "électrocardiographie", "ecg", "frottis",
    "prélèvement cervico", "dispositif intra utérin", "implant contraceptif", "pose implant",
    "ablation implant", "suture plaie face", "parage plaie", "plaie profonde main",
    "exérèse lésion peau", "exérèse ongle", "cérumen", "spirométrie", "audiométrie",
    "tympanométrie", "fond oeil", "fond d'œil", "tonométrie", "champ visuel", "périmétrie",
    "tomographie oeil", "cataracte", "phakoémulsification", "avulsion dent",
    "avulsion dent temporaire",
    "restauration dent 2 faces", "restauration dent 3 faces", "pulpe", "obturation radiculaire",
    "couronne dentaire", "scellement sillons", "radiographie panoramique",
    "radiographie intrabuccale", "radiographie genou", "radiographie cheville",
    "radiographie poignet", "radiographie bassin", "radiographie rachis lombal",
    "mammographie", "mammographie dépistage", "ostéodensitométrie", "scanographie crâne",
    "remnographie genou", "échographie thyroïde", "échographie pelvis", "échographie doppler",
    "échographie grossesse", "échographie obstétricale", "accouchement", "accouchement multipare",
    "césarienne", "monitorage", "péridurale", "anesthésie générale", "anesthésie",
    "injection articulation", "ponction articulation", "ponction lombaire", "ponction pleurale",
    "ablation corps étranger", "corps étranger cornée", "incision abcès", "hémorroïdes",
    "anuscopie", "rectoscopie", "coloscopie", "gastroscopie", "endoscopie oeso gastro duodénale",
    "holter", "enregistrement ambulatoire pression", "épreuve d'effort", "attelle",
    "contention souple", "appareil rigide immobilisation", "plâtre", "réduction luxation",
    "luxation épaule", "fracture poignet", "ostéosynthèse", "arthroscopie genou",
    "ligamentoplastie", "canal carpien", "hallux valgus", "prothèse totale hanche",
    "prothèse genou", "vasectomie", "circoncision", "varices", "sclérose veine",
    "cryothérapie", "destruction lésions cutanées", "dermatoscopie", "photothérapie",
    "séance", "supplément", "de la", "par", "os", "dent", "oeil", "main", "pied",
]  # fmt: skip


def code_prefix_queries(catalog: CcamCatalog) -> list[str]:
    """Prefixes of 1 to 7 characters of every 80th code, upper and lower case alternately."""
    queries: list[str] = []
    for i, act in enumerate(catalog.acts[::80]):
        prefix = act.code[: 1 + i % 7]
        queries.append(prefix if i % 2 else prefix.lower())
    return queries


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run(catalog: CcamCatalog, queries: list[str], rounds: int) -> tuple[list[float], int]:
    """Time every query ``rounds`` times; returns samples in µs and the results' total size."""
    samples: list[float] = []
    found = 0
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter_ns()
            results = catalog.search(query)
            samples.append((time.perf_counter_ns() - start) / 1000)
            found += len(results)
    return samples, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", nargs="?", type=Path, default=DEFAULT_EXPORT)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    if not args.export.exists():
        print(f"CCAM export not found: {args.export}")
        return 2

    data = args.export.read_bytes()
    start = time.perf_counter()
    catalog = parse_export(decode_export(data))
    parse_s = time.perf_counter() - start
    start = time.perf_counter()
    catalog.build_search_index()
    build_s = time.perf_counter() - start

    # Memory: a second load under tracemalloc (which slows it down, hence the separate pass).
    tracemalloc.start()
    measured = parse_export(decode_export(data))
    after_parse, _ = tracemalloc.get_traced_memory()
    measured.build_search_index()
    after_index, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del measured

    kinds = {"prefix": code_prefix_queries(catalog), "keyword": KEYWORD_QUERIES}
    print(f"CCAM version {catalog.version}: {len(catalog.acts)} codes, "
          f"{sum(len(a.lines) for a in catalog.acts)} lines")  # fmt: skip
    print(f"parse {parse_s * 1000:.0f} ms, index build {build_s * 1000:.0f} ms")
    print(
        f"memory: catalogue {after_parse / 2**20:.1f} MiB, index "
        f"{(after_index - after_parse) / 2**20:.1f} MiB, peak {peak / 2**20:.1f} MiB"
    )
    print(f"{len(kinds['prefix']) + len(kinds['keyword'])} queries × {args.rounds} rounds")
    print(f"{'kind':8} {'queries':>7} {'p50 µs':>8} {'p95 µs':>8} {'max µs':>8}  results")
    failed = False
    for kind, queries in kinds.items():
        run(catalog, queries, 1)  # warm-up
        samples, found = run(catalog, queries, args.rounds)
        p95 = percentile(samples, 0.95)
        failed |= p95 >= TARGET_P95_US
        print(
            f"{kind:8} {len(queries):7d} {statistics.median(samples):8.1f} {p95:8.1f} "
            f"{max(samples):8.1f}  {found / args.rounds:.0f} per round"
        )
    print(f"target p95 < {TARGET_P95_US:.0f} µs: {'FAILED' if failed else 'met'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
