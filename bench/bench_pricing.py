"""Benchmark of the pricing engine. Target: > 20,000 invoices per second on one core.

Builds 10,000 realistic drafts (1 to 6 acts, from invoice templates of médecins, infirmiers,
kinés, sages-femmes, dentists, orthophonistes: NGAP, COx and CCAM with modifiers and
association codes, series of sessions over several days; ALD, C2S, AME, maternité, AT, hors
parcours, Alsace-Moselle; AMC formulas; dépassements) with a fixed seed, parses them once
(timed separately: the JSON contract layer), then prices them all with ``price()`` on the
product's tariffs (NGAP referential + bundled CCAM), best of N rounds, and prints invoices/s,
µs per invoice and the peak memory of one pricing round (tracemalloc, measured in a separate
round because tracing slows Python down).

    .venv/bin/python bench/bench_pricing.py [--invoices 10000] [--rounds 3] [--mix stress]

Exit status 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from openfse.domain.pricing import (  # noqa: E402
    InvoiceDraft,
    ReferentialTariffs,
    parse_draft,
    price,
)
from openfse.referentials.ccam import bundled_catalog  # noqa: E402

TARGET_PER_SECOND = 20_000

# Invoices as billers type them (codes of the NGAP referential and of the bundled CCAM v81):
# one consultation, a visit with its travel lines, a consultation with a technical act, a
# series of sessions on consecutive days (kinés, nurses, speech therapists)… Each template is
# (weight, profession, acts, extra patient keys); "series" templates repeat their acts on
# 1 to 6 consecutive days within the 6-act limit.
G = {"code": "G"}
TEMPLATES: list[tuple[int, str, list[dict[str, object]], dict[str, object]]] = [
    (30, "medecin", [G], {}),
    (6, "medecin", [G, {"code": "MEG"}], {"age": 3}),
    (5, "medecin", [{"code": "VG"}, {"code": "MD"}], {"age": 84}),
    (3, "medecin", [{"code": "VG"}, {"code": "MD"}, {"code": "IK", "distance_km": 9}], {}),
    (4, "medecin", [{"code": "CS"}, {"code": "MCS"}], {}),
    (2, "medecin", [{"code": "APC"}], {}),
    (3, "medecin", [{"code": "C", "qualificatif": "D", "depassement": 25}], {}),
    (3, "medecin", [G, {"code": "DEQP003", "nomenclature": "CCAM"}], {}),
    (2, "medecin", [G, {"code": "QZJA002", "nomenclature": "CCAM", "modifiers": ["M"]}], {}),
    (
        2,
        "medecin",
        [
            {"code": "AHQB024", "nomenclature": "CCAM", "association_code": 1},
            {"code": "DEQP003", "nomenclature": "CCAM", "association_code": 2},
        ],
        {},
    ),
    (1, "medecin", [G, {"code": "MN"}], {}),
    (2, "medecin", [{"code": "COE", "nomenclature": "COX"}], {"age": 2}),
    (8, "infirmier", [{"code": "AMI", "coefficient": 1}, {"code": "IFD"}], {"series": True}),
    (
        4,
        "infirmier",
        [
            {"code": "AMI", "coefficient": Decimal("4.5")},
            {"code": "IFD"},
            {"code": "IK", "distance_km": 7},
        ],
        {},
    ),
    (2, "infirmier", [{"code": "AIS", "coefficient": 3}, {"code": "IFD"}, {"code": "N"}], {}),
    (10, "masseur_kinesitherapeute", [{"code": "AMS", "coefficient": Decimal("9.5")}],
     {"series": True}),
    (2, "masseur_kinesitherapeute", [{"code": "AMK", "coefficient": 8}, {"code": "IFD"}], {}),
    (2, "sage_femme", [{"code": "C"}, {"code": "MSF"}], {"maternite": True}),
    (1, "sage_femme", [{"code": "SF", "coefficient": 12}], {}),
    (3, "chirurgien_dentiste", [{"code": "C"}], {}),
    (2, "chirurgien_dentiste", [{"code": "BDA"}], {"age": 9}),
    (2, "chirurgien_dentiste", [{"code": "HBJD001", "nomenclature": "CCAM"}], {}),
    (3, "orthophoniste", [{"code": "AMO", "coefficient": 10}], {"series": True}),
]  # fmt: skip
AMCS = [
    None,
    {"formula": "052", "gestion": "separee"},
    {"formula": "052", "gestion": "unique"},
    {"formula": "02A", "parameter": 150, "gestion": "separee"},
    {"formula": "021", "parameter": 300, "contrat_responsable": True},
]


def make_document(rng: random.Random) -> dict[str, object]:
    _, profession, template, extra = rng.choices(TEMPLATES, [t[0] for t in TEMPLATES])[0]
    day = date(2026, 1, 5) + timedelta(days=rng.randint(0, 300))
    acts = [dict(act) for act in template]
    if extra.get("series"):
        days = rng.randint(1, 6 // len(template))
        acts = [
            {**act, "date": (day + timedelta(days=offset)).isoformat()}
            for offset in range(days)
            for act in template
        ]
    situation = rng.random()
    patient: dict[str, object] = {
        "age": extra.get("age", rng.randint(18, 90)),
        "regime": "01",
        "ald": situation < 0.2,
        "c2s": 0.2 <= situation < 0.28,
        "ame": 0.28 <= situation < 0.30,
        "maternite": bool(extra.get("maternite", False)),
        "regime_local_alsace_moselle": rng.random() < 0.04,
        "parcours": "medecin_traitant" if rng.random() < 0.93 else "hors_parcours",
    }
    amc = None if patient["c2s"] or patient["ame"] else rng.choice(AMCS)
    return {
        "date_soins": day.isoformat(),
        "profession": profession,
        "ps": {
            "specialite": "medecine_generale" if profession == "medecin" else None,
            "secteur": 2 if template[0]["code"] == "C" and profession == "medecin" else 1,
            "optam": rng.random() < 0.3,
        },
        "patient": patient,
        "nature_assurance": "at" if rng.random() < 0.02 else "maladie",
        "soins_en_rapport_ald": bool(patient["ald"]) and rng.random() < 0.7,
        "acts": acts,
        "amc": amc,
        "tiers_payant": {"amo": rng.random() < 0.6, "amc": amc is not None and rng.random() < 0.5},
    }


# Stress mix: 1 to 6 acts drawn at random (uniformly) from each profession's codes,
# whatever their coherence (3.5 acts per invoice, many warnings).
STRESS_ACTS: dict[str, list[dict[str, object]]] = {
    "medecin": [
        G, G, {"code": "VG"}, {"code": "MD"}, {"code": "MEG"}, {"code": "CS"}, {"code": "MCS"},
        {"code": "APC"}, {"code": "C"}, {"code": "MN"}, {"code": "IK", "quantity": 8},
        {"code": "COE", "nomenclature": "COX"}, {"code": "AFLB001", "nomenclature": "CCAM"},
        {"code": "DEQP003", "nomenclature": "CCAM", "modifiers": ["F"]},
        {"code": "QZJA002", "nomenclature": "CCAM", "modifiers": ["M"]},
        {"code": "AHQB024", "nomenclature": "CCAM"},
    ],
    "infirmier": [
        {"code": "AMI"}, {"code": "AMI", "coefficient": Decimal("4.5")},
        {"code": "AIS", "coefficient": 3}, {"code": "IFD"}, {"code": "IK", "distance_km": 7},
        {"code": "N"}, {"code": "MAU"},
    ],
    "masseur_kinesitherapeute": [
        {"code": "AMS", "coefficient": Decimal("9.5")}, {"code": "AMK", "coefficient": 8},
        {"code": "IFD"},
    ],
    "chirurgien_dentiste": [{"code": "C"}, {"code": "BDA"}, {"code": "HBJD001",
                                                             "nomenclature": "CCAM"}],
}  # fmt: skip


def make_stress_document(rng: random.Random) -> dict[str, object]:
    document = make_document(rng)
    profession = rng.choice(list(STRESS_ACTS))
    document["profession"] = profession
    document["ps"] = {"secteur": rng.choice([1, 2]), "optam": rng.random() < 0.3}
    document["patient"] = {**document["patient"], "age": rng.randint(0, 95)}  # type: ignore[dict-item]
    document["acts"] = [dict(rng.choice(STRESS_ACTS[profession])) for _ in range(rng.randint(1, 6))]
    return document


def price_all(drafts: list[InvoiceDraft], tariffs: ReferentialTariffs) -> tuple[float, float]:
    """(CPU seconds, wall seconds) to price every draft once."""
    cpu, wall = time.process_time(), time.perf_counter()
    for draft in drafts:
        price(draft, tariffs)
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--mix",
        choices=("realistic", "stress"),
        default="realistic",
        help="invoice templates as billed (default), or 1-6 random acts per invoice",
    )
    args = parser.parse_args()

    rng = random.Random(20260302)
    make = make_document if args.mix == "realistic" else make_stress_document
    documents = [make(rng) for _ in range(args.invoices)]
    start = time.perf_counter()
    drafts = [parse_draft(document) for document in documents]
    parse_seconds = time.perf_counter() - start
    acts = sum(len(draft.acts) for draft in drafts)

    tariffs = ReferentialTariffs(bundled_catalog())
    price_all(drafts[:200], tariffs)  # warm the tariff memo (what a running server has)
    rounds = [price_all(drafts, tariffs) for _ in range(args.rounds)]
    cpu = min(cpu for cpu, _ in rounds)  # one core: CPU time of this single-threaded process
    wall = min(wall for _, wall in rounds)  # includes time lost to other processes

    tracemalloc.start()
    results = [price(draft, tariffs) for draft in drafts]  # all results kept alive
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    per_second = len(drafts) / cpu
    sizes = [len(draft.acts) for draft in drafts]
    print(
        f"invoices: {len(drafts)} ({args.mix} mix; {acts} acts, {acts / len(drafts):.2f} per "
        f"invoice, {min(sizes)} to {max(sizes)})"
    )
    print(f"parse (JSON contract → drafts): {len(drafts) / parse_seconds:,.0f} invoices/s")
    print(
        f"price: {per_second:,.0f} invoices/s on one core, {cpu / len(drafts) * 1e6:.1f} µs "
        f"CPU per invoice (best of {args.rounds}); wall clock {len(drafts) / wall:,.0f}/s"
    )
    print(
        f"peak memory pricing {len(results)} invoices and keeping the results: "
        f"{peak / 1024 / 1024:.1f} MiB (tracemalloc)"
    )
    verdict = "OK" if per_second > TARGET_PER_SECOND else "MISSED"
    print(f"target > {TARGET_PER_SECOND:,} invoices/s: {verdict}")
    return 0 if per_second > TARGET_PER_SECOND else 1


if __name__ == "__main__":
    sys.exit(main())
