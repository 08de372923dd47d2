"""What the simulated caisse remembers, in one SQLite file of its data directory.

Everything that must survive a kill is written here, in transactions, before it is answered:

- ``inbound``: each mail accepted by SMTP, committed *before* the 250 reply; ``processed``
  once its ARL (and scheduled returns) are committed. A restart processes what is left.
- ``lot``: every lot received, keyed by (lot id, SHA-256): the same content again is a
  duplicate (acknowledged once); the same lot id with another content is a correction (after
  a negative ARL) or a conflict (after a positive one).
- ``invoice``: every invoice of an accepted lot and its outcome; a partial unique index allows
  at most one non-rejected occurrence of (professional, kind, number), so an invoice can never
  be paid twice, whatever arrives.
- ``outbox``: every mail to deliver (ARL, statements) is written here in the same transaction
  as the decision that produced it, then delivered to the Maildir and marked delivered.
- ``counter``: sequences for ARL / statement / transfer references.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

__all__ = ["InboundMail", "OutboxMail", "State"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbound (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL,
    mail_from TEXT NOT NULL,
    recipients TEXT NOT NULL,
    raw BLOB NOT NULL,
    received_on TEXT NOT NULL,
    processed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS lot (
    lot_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    kind TEXT NOT NULL,
    issuer TEXT NOT NULL,
    mailbox TEXT NOT NULL,
    received_on TEXT NOT NULL,
    status TEXT NOT NULL,
    arl_reference TEXT NOT NULL,
    reasons TEXT NOT NULL,
    PRIMARY KEY (lot_id, sha256)
);
CREATE TABLE IF NOT EXISTS invoice (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ps_number TEXT NOT NULL,
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    lot_id TEXT NOT NULL,
    lot_created TEXT NOT NULL,
    lot_number INTEGER NOT NULL,
    nir TEXT NOT NULL,
    care_date TEXT NOT NULL,
    issuer TEXT NOT NULL,
    mailbox TEXT NOT NULL,
    outcome TEXT NOT NULL,
    requested_cents INTEGER NOT NULL,
    paid_cents INTEGER NOT NULL,
    reason_code TEXT NOT NULL,
    reason_label TEXT NOT NULL,
    release_on TEXT NOT NULL,
    statement TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS invoice_paid_once
    ON invoice (ps_number, kind, number) WHERE outcome != 'rejected';
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    raw BLOB NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS counter (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class InboundMail:
    id: int
    message_id: str
    mail_from: str
    recipients: str
    raw: bytes
    received_on: date


@dataclass(frozen=True, slots=True)
class OutboxMail:
    id: int
    mailbox: str
    name: str
    raw: bytes


class State:
    """The SQLite file; used from one thread (the simulator's event loop)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (``transaction``), never implicit.
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a committed answer survives a power cut
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ---------------------------------------------------------------- inbound

    def add_inbound(
        self, message_id: str, mail_from: str, recipients: list[str], raw: bytes, on: date
    ) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO inbound (message_id, mail_from, recipients, raw, received_on)"
                " VALUES (?, ?, ?, ?, ?)",
                (message_id, mail_from, ",".join(recipients), raw, on.isoformat()),
            )
            return int(cursor.lastrowid or 0)

    def unprocessed(self) -> list[InboundMail]:
        rows = self.db.execute(
            "SELECT id, message_id, mail_from, recipients, raw, received_on FROM inbound"
            " WHERE processed = 0 ORDER BY id"
        ).fetchall()
        return [
            InboundMail(row[0], row[1], row[2], row[3], bytes(row[4]), date.fromisoformat(row[5]))
            for row in rows
        ]

    # ---------------------------------------------------------------- outbox

    def undelivered(self) -> list[OutboxMail]:
        rows = self.db.execute(
            "SELECT id, mailbox, name, raw FROM outbox WHERE delivered = 0 ORDER BY id"
        ).fetchall()
        return [OutboxMail(row[0], row[1], row[2], bytes(row[3])) for row in rows]

    def mark_delivered(self, mail_id: int) -> None:
        self.db.execute("UPDATE outbox SET delivered = 1 WHERE id = ?", (mail_id,))

    # ---------------------------------------------------------------- reading (admin)

    def summary(self) -> dict[str, object]:
        def count(sql: str) -> int:
            return int(self.db.execute(sql).fetchone()[0])

        return {
            "inbound": count("SELECT count(*) FROM inbound"),
            "inbound_pending": count("SELECT count(*) FROM inbound WHERE processed = 0"),
            "lots": count("SELECT count(*) FROM lot"),
            "lots_negative": count("SELECT count(*) FROM lot WHERE status = 'NEGATIF'"),
            "invoices": count("SELECT count(*) FROM invoice"),
            "returns_pending": count(
                "SELECT count(*) FROM invoice WHERE statement IS NULL AND outcome != 'none'"
            ),
            "outbox_pending": count("SELECT count(*) FROM outbox WHERE delivered = 0"),
        }

    def lots(self) -> list[dict[str, object]]:
        rows = self.db.execute(
            "SELECT lot_id, sha256, kind, issuer, mailbox, received_on, status, arl_reference,"
            " reasons FROM lot ORDER BY rowid"
        ).fetchall()
        keys = (
            "lot_id",
            "sha256",
            "kind",
            "issuer",
            "mailbox",
            "received_on",
            "status",
            "arl_reference",
            "reasons",
        )
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def invoices(self) -> list[dict[str, object]]:
        rows = self.db.execute(
            "SELECT ps_number, kind, number, lot_id, outcome, requested_cents, paid_cents,"
            " reason_code, release_on, statement FROM invoice ORDER BY id"
        ).fetchall()
        keys = (
            "ps_number",
            "kind",
            "number",
            "lot_id",
            "outcome",
            "requested_cents",
            "paid_cents",
            "reason_code",
            "release_on",
            "statement",
        )
        return [dict(zip(keys, row, strict=True)) for row in rows]


def next_value(db: sqlite3.Connection, name: str) -> int:
    """The next value of a sequence (inside the caller's transaction)."""
    db.execute(
        "INSERT INTO counter (name, value) VALUES (?, 1)"
        " ON CONFLICT (name) DO UPDATE SET value = value + 1",
        (name,),
    )
    return int(db.execute("SELECT value FROM counter WHERE name = ?", (name,)).fetchone()[0])
