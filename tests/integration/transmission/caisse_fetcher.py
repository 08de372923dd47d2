"""A fetcher run as its own process (so a test can kill it mid-fetch):

    python caisse_fetcher.py DESK_DB POP3_PORT USER PASSWORD QUARANTINE_DIR DELAY_SECONDS

It plays the professional's side: every document fetched is applied to a small SQLite "desk"
in one transaction, de-duplicated on the Message-ID (``applied``), and every delivery is
counted (``deliveries``) so the test can see re-fetches. It sleeps after each document so
that it can be killed in the middle of a fetch.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

from openfse.adapters.transmission.pop3_receiver import Pop3Config, Received, fetch
from openfse.adapters.transmission.quarantine import Quarantine


def open_desk(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE IF NOT EXISTS applied (message_id TEXT PRIMARY KEY, kind TEXT)")
    db.execute("CREATE TABLE IF NOT EXISTS deliveries (message_id TEXT)")
    return db


def main(argv: list[str]) -> None:
    desk_path, port, user, password, quarantine, delay = argv
    db = open_desk(Path(desk_path))

    def apply(received: Received) -> None:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO deliveries VALUES (?)", (received.message_id,))
        db.execute(
            "INSERT OR IGNORE INTO applied VALUES (?, ?)",  # idempotent: once per message
            (received.message_id, type(received.document).__name__),
        )
        db.execute("COMMIT")
        time.sleep(float(delay))

    report = fetch(
        Pop3Config(user=user, password=password, port=int(port), timeout=20.0),
        apply,
        Quarantine(Path(quarantine)),
    )
    print(f"FETCHED {report.handled} {report.quarantined}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
