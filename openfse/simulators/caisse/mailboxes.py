"""The professionals' mailboxes of the simulated caisse: one ``mailbox.Maildir`` per address.

ARL and payment returns are delivered to the mailbox of the address that sent the lot; the
POP3 server serves them (USER = that address). Delivery writes the file under a name chosen by
the caisse (the reference of the ARL or statement) into ``tmp/`` and renames it into ``new/``:
delivering the same mail again after a crash replaces it instead of adding a copy.
"""

from __future__ import annotations

import mailbox
import os
import re
from pathlib import Path

__all__ = ["Mailboxes", "mailbox_name"]

_UNSAFE = re.compile(r"[^a-z0-9._@+-]")


def mailbox_name(address: str) -> str:
    """The directory name of an address (``<Cabinet@X.test>`` → ``cabinet@x.test``)."""
    name = _UNSAFE.sub("_", address.strip().strip("<>").lower())[:100].strip(".")
    return name or "postmaster"


class Mailboxes:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def open(self, address: str) -> mailbox.Maildir:
        # Maildir(create=True) makes tmp/new/cur only when it creates the directory itself
        # (Python's mailbox.Maildir): never create the mailbox directory by hand.
        return mailbox.Maildir(self.root / mailbox_name(address), factory=None, create=True)

    def deliver(self, address: str, filename: str, raw: bytes) -> None:
        self.open(address)  # creates the Maildir on first delivery
        base = self.root / mailbox_name(address)
        temporary = base / "tmp" / filename
        with open(temporary, "wb") as stream:
            stream.write(raw)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, base / "new" / filename)
        _fsync_directory(base / "new")


def _fsync_directory(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
