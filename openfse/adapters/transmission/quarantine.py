"""Quarantine: incoming files that cannot be read are set aside, never applied.

A corrupt ARL or payment return (altered, truncated, unknown format) must not change anything
already stored; it is kept as received with a reason file, so the user (or support) can see
what arrived and why it was refused. Layout of the directory::

    <sha256 of the content>.eml          the message exactly as fetched
    <sha256 of the content>.reason.txt   the French reason, where it came from, when

Putting the same content twice keeps one entry (the fetch is retried after a crash). Files are
written to a temporary name and renamed, so an entry is never half-written.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from openfse.domain.clock import system_time

__all__ = ["Quarantine", "QuarantineEntry"]

_REASON_SUFFIX = ".reason.txt"
_CONTENT_SUFFIX = ".eml"


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    name: str
    content_path: Path
    reason: str
    source: str
    quarantined_at: str  # ISO 8601, UTC


class Quarantine:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def put(self, content: bytes, reason: str, *, source: str = "") -> QuarantineEntry:
        """Keep ``content`` aside with ``reason`` (idempotent for the same content)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = sha256(content).hexdigest()
        content_path = self.directory / f"{name}{_CONTENT_SUFFIX}"
        reason_path = self.directory / f"{name}{_REASON_SUFFIX}"
        if reason_path.exists():
            return self._entry(reason_path)
        at = system_time().isoformat(timespec="seconds")
        _write_atomically(content_path, content)
        text = f"motif: {_one_line(reason)}\nsource: {_one_line(source)}\ndate: {at}\n"
        _write_atomically(reason_path, text.encode("utf-8"))  # written last: marks complete
        return QuarantineEntry(name, content_path, _one_line(reason), _one_line(source), at)

    def entries(self) -> list[QuarantineEntry]:
        """Every complete entry, oldest first."""
        if not self.directory.is_dir():
            return []
        entries = [self._entry(path) for path in self.directory.glob(f"*{_REASON_SUFFIX}")]
        return sorted(entries, key=lambda entry: (entry.quarantined_at, entry.name))

    def _entry(self, reason_path: Path) -> QuarantineEntry:
        name = reason_path.name.removesuffix(_REASON_SUFFIX)
        fields: dict[str, str] = {}
        for line in reason_path.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition(": ")
            fields[key] = value
        return QuarantineEntry(
            name,
            self.directory / f"{name}{_CONTENT_SUFFIX}",
            fields.get("motif", ""),
            fields.get("source", ""),
            fields.get("date", ""),
        )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
