"""``python -m openfse.store.migrations``: upgrade, current, revision (see the package doc)."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import OperationalError

from openfse.errors import OpenFSEError
from openfse.store.db import database_url
from openfse.store.migrations import (
    current_revision,
    downgrade,
    head_revision,
    make_revision,
    upgrade,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m openfse.store.migrations")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("upgrade", "downgrade", "current"):
        p = sub.add_parser(name)
        p.add_argument("--url", help="database URL (default: OPENFSE_DATABASE_URL or SQLite)")
        if name == "downgrade":
            p.add_argument("revision")
    rev = sub.add_parser("revision", help="autogenerate a revision from the models")
    rev.add_argument("-m", "--message", default="initial schema")
    rev.add_argument("--initial", action="store_true",
                     help="delete existing revisions and regenerate 0001 from scratch")
    args = parser.parse_args(argv)

    if args.command == "revision":
        path = make_revision(args.message, initial=args.initial)
        print(f"written {path} — read it before committing")
        return 0
    url = args.url or database_url()
    if args.command == "upgrade":
        upgrade(url)
    elif args.command == "downgrade":
        downgrade(url, args.revision)
    print(f"database at {current_revision(url)} (head {head_revision()})")
    return 0


def run(argv: list[str] | None = None) -> int:
    """``main`` with errors reported as one French line instead of a traceback."""
    try:
        return main(argv)
    except OpenFSEError as error:
        print(f"erreur ({error.code}) : {error.message}", file=sys.stderr)
        return 2
    except OperationalError as error:
        reason = str(error.orig or error).strip().splitlines()[0]
        print(f"erreur (database_unreachable) : base de données injoignable : {reason}",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(run())
