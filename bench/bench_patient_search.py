"""Patient name search at the repository level on SQLite: p50/p95 latency on 100 000 patients.

    .venv/bin/python bench/bench_patient_search.py [--patients 100000] [--rounds 20]

Builds a throwaway SQLite database (WAL, migrated to head) holding ``--patients`` patients of
one cabinet — plus a second cabinet of 10 % as many, so the cabinet filter is exercised —
with a skewed, French-looking name distribution (a few very common surnames such as MARTIN,
many rare ones, accents, compound names, some noms d'usage). Then it runs a fixed mix of
desk searches, each in a **fresh unit of work** as a web request would (session, connection
from the pool, query, ORM objects for up to 50 rows), and prints p50/p95/max per kind of
search and overall. Target (issue "Patients"): p95 < 20 ms through the API; this measures the
repository part of it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert, select
from sqlalchemy.orm import Session, sessionmaker

from openfse.store.db import make_engine, session_factory
from openfse.store.migrations import upgrade
from openfse.store.models import Cabinet, Patient
from openfse.store.models.search_text import joined_key
from openfse.store.uow import UnitOfWork

COMMON_SURNAMES = """Martin, Bernard, Thomas, Petit, Robert, Richard, Durand, Dubois, Moreau,
Laurent, Simon, Michel, Lefèbvre, Leroy, Roux, David, Bertrand, Morel, Fournier, Girard, Bonnet,
Dupont, Lambert, Fontaine, Rousseau, Vincent, Müller, Lefèvre, Faure, André, Mercier, Blanc,
Guérin, Boyer, Garnier, Chevalier, François, Legrand, Gauthier, Garcia, Perrin, Robin, Clément,
Morin, Nicolas, Henry, Roussel, Mathieu, Gautier, Masson, Marchand, Duval, Denis, Dumont, Marie,
Lemaire, Noël, Meyer, Dufour, Meunier, Brun, Blanchard, Giraud, Joly, Rivière, Lucas, Brunet,
Gaillard, Barbier, Arnaud, Martínez, Gérard, Roche, Renard, Schmitt, Roy, Leroux, Colin, Vidal,
Caron, Picard, Roger, Fabre, Aubert, Lemoine, Renaud, Dumas, Lacroix, Olivier, Philippe,
Bourgeois, Pierre, Benoît, Rey, Leclerc, Payet, Rolland, Le Gall, Le Goff, Lebrun, Diallo,
N'Diaye, Nguyễn, Da Silva, Dos Santos, Ferreira, Œuvray, L'Hôte""".replace("\n", " ").split(", ")
FIRST_NAMES = [
    "Marie", "Jean", "Pierre", "Michel", "Philippe", "Nathalie", "Isabelle", "Sylvie",
    "Catherine", "Françoise", "Alain", "Patrick", "Nicolas", "Christophe", "Stéphane",
    "Sébastien", "Julien", "David", "Frédéric", "Laurent", "Éric", "Olivier", "Valérie",
    "Sandrine", "Christine", "Céline", "Anne", "Martine", "Monique", "Jacques", "Bernard",
    "Daniel", "Thomas", "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Jade", "Louise",
    "Lina", "Zoé", "Élodie", "Émilie", "Aurélie", "Hugo", "Lucas", "Louis", "Gabriel", "Arthur",
    "Jules", "Raphaël", "Léo", "Nathan", "Théo", "Noah", "Adam", "Mohamed", "Fatima", "Awa",
    "Yasmine", "Anne-Sophie", "Jean-Pierre", "Marc", "Marc-Antoine", "Maëlys", "Océane", "Gaëlle",
    "Joël", "Hélène", "Agnès", "Brigitte", "Dominique", "Claude",
]
SYLLABLES = ["ber", "lan", "mar", "tin", "dor", "vel", "rou", "cha", "pel", "gue", "nard",
             "ville", "court", "mont", "bois", "lec", "fau", "ré", "gné", "tiè", "zan", "quin"]

SEARCHES = {
    "1 letter": ["m", "b", "l", "d", "g"],
    "2 letters": ["ma", "le", "du", "be", "ro"],
    "3 letters": ["mar", "ber", "lef", "gar", "dup"],
    "surname": ["martin", "lefèvre", "dupont", "nguyen", "le gall"],
    "surname + first": ["martin j", "dubois mar", "petit léa", "durand ni", "roux a"],
    "first name": ["élo", "marie", "jean-p", "zoé", "maë"],
    "no match": ["zzq", "xyw", "qqq", "kwx", "yzz"],
    # Issue 13 defect 11: the same field takes a NIR (13 or 15, spaces allowed) or a date of
    # birth. The NIR of the 1000th patient generated (see _nir), dates any cabinet holds.
    "NIR 15": ["1 83 01 75 111 001 49", "2 61 05 69 123 456 12", "183017511100149"],
    "NIR 13": ["1 83 01 75 111 001", "2 61 05 69 123 456", "1830175111001"],
    "birth date": ["05/06/1990", "12/03/1961", "01/01/1950", "29/02/2000", "31/12/1999"],
    "name + birth": ["martin 05/06/1990", "dubois 12/03/1961", "le gall 01/01/1950"],
}


def _zipf_choice(rng: random.Random, names: list[str]) -> str:
    # Rank r drawn with weight 1/r: MARTIN is common, the tail is rare (like real surnames).
    weights = [1 / (rank + 1) for rank in range(len(names))]
    return rng.choices(names, weights)[0]


def _rare_surname(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _nir(rng: random.Random, born: date, sex: str) -> str:
    """A well-formed NIR (key 97 - N mod 97) for a person born on ``born``."""
    first13 = (f"{sex}{born.year % 100:02d}{born.month:02d}{rng.randint(1, 95):02d}"
               f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}")
    return first13 + f"{97 - int(first13) % 97:02d}"


def _patient_rows(rng: random.Random, cabinet_id: int, count: int) -> list[dict[str, object]]:
    rows = []
    for _ in range(count):
        born = date(1930, 1, 1) + timedelta(days=rng.randrange(365 * 90))
        sex = rng.choice("12")
        last = _zipf_choice(rng, COMMON_SURNAMES) if rng.random() < 0.6 else _rare_surname(rng)
        first = _zipf_choice(rng, FIRST_NAMES)
        usage = _zipf_choice(rng, COMMON_SURNAMES) if rng.random() < 0.15 else None
        # Search keys as Patient.__search_keys__ derives them (bulk insert skips ORM events).
        rows.append({
            "cabinet_id": cabinet_id, "last_name": last, "first_name": first,
            "usage_name": usage, "birth_rank": 1, "quality": "00",
            "nir": _nir(rng, born, sex), "birth_date": born,
            "birth_date_text": born.strftime("%Y%m%d"),
            "search_name": joined_key(last, first),
            "search_first_name": joined_key(first, last),
            "search_usage_name": joined_key(usage, first) if usage else None,
        })
    return rows


def populate(sessions: sessionmaker[Session], patients: int) -> int:
    rng = random.Random(1983)
    with sessions() as session, session.begin():
        cabinet = Cabinet(name="Cabinet du bench")
        neighbour = Cabinet(name="Cabinet voisin")
        session.add_all([cabinet, neighbour])
        session.flush()
        for cabinet_id, count in ((cabinet.id, patients), (neighbour.id, patients // 10)):
            for start in range(0, count, 10_000):
                session.execute(insert(Patient),
                                _patient_rows(rng, cabinet_id, min(10_000, count - start)))
        return cabinet.id


def query_plan(engine: Engine, sessions: sessionmaker[Session], cabinet_id: int,
               text: str) -> list[str]:
    """SQLite's plan for the search of ``text`` (proof that each branch uses its index)."""
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "search_first_name" in statement:
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with _uow(sessions, cabinet_id) as uow:
            uow.patients.search(text)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = captured[0]
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return [row[-1] for row in rows]


def _uow(sessions: sessionmaker[Session], cabinet_id: int) -> UnitOfWork:
    return UnitOfWork(sessions, cabinet_id=cabinet_id, actor="bench", actor_user_id=None)


def _stored_nirs(sessions: sessionmaker[Session], cabinet_id: int) -> list[str]:
    """Three NIRs of the cabinet, typed as on the card (spaces), to search with a hit."""
    with sessions() as session:
        nirs = session.scalars(select(Patient.nir).where(Patient.cabinet_id == cabinet_id)
                               .order_by(Patient.id).offset(1000).limit(3)).all()
    return [f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]} {n[13:]}" for n in nirs
            if n]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20, help="repetitions of the mix")
    parser.add_argument("--limit", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="openfse-bench-") as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'bench.db'}")
        upgrade(engine)
        sessions = session_factory(engine)
        started = time.perf_counter()
        cabinet_id = populate(sessions, args.patients)
        stored = _stored_nirs(sessions, cabinet_id)
        SEARCHES["NIR 15"] += stored
        SEARCHES["NIR 13"] += [text[:-3] for text in stored]
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
        print(f"inserted {args.patients} patients (+{args.patients // 10} in another cabinet) "
              f"in {time.perf_counter() - started:.1f} s")

        timings: dict[str, list[float]] = {kind: [] for kind in SEARCHES}
        hits: dict[str, int] = {}
        for round_number in range(args.rounds + 1):
            for kind, texts in SEARCHES.items():
                for text in texts:
                    t0 = time.perf_counter()
                    with _uow(sessions, cabinet_id) as uow:
                        found = uow.patients.search(text, limit=args.limit)
                    elapsed_ms = (time.perf_counter() - t0) * 1000
                    if round_number:  # round 0 warms the caches
                        timings[kind].append(elapsed_ms)
                    hits[text] = len(found)
        plan = query_plan(engine, sessions, cabinet_id, "mar")
        engine.dispose()

    print("query plan of the search 'mar':\n  " + "\n  ".join(plan))
    print(f"{'search':<16}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}   rows returned")
    everything: list[float] = []
    for kind, samples in timings.items():
        everything += samples
        rows = ", ".join(f"{t}:{hits[t]}" for t in SEARCHES[kind])
        print(f"{kind:<16}{len(samples):>6}{statistics.median(samples):>9.2f}"
              f"{percentile(samples, 0.95):>9.2f}{max(samples):>9.2f}   {rows}")
    print(f"{'all':<16}{len(everything):>6}{statistics.median(everything):>9.2f}"
          f"{percentile(everything, 0.95):>9.2f}{max(everything):>9.2f}")


if __name__ == "__main__":
    main()
