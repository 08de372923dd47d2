"""Use cases of the CCAM reference: import an official file, get the catalogue in force.

``import_ccam`` is what ``openfse import-ccam FICHIER [--applicable AAAA-MM-JJ]`` runs: it reads the
file (UTF-8 with or without BOM, else Windows-1252), parses it (CNAM export or normalised CSV),
and stores it merged with the CCAM already imported, in one transaction. A bad file raises
:class:`CcamFormatError` (or :class:`CcamFileError` if it cannot be read) before anything is
written; re-importing the same file is reported as a duplicate and changes nothing.

``ActiveCcamCatalog`` gives the pricing engine the imported CCAM, or the bundled subset until a
CCAM has been imported, reloading only when a new import happened.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openfse.errors import Conflict, InvalidInput
from openfse.referentials.ccam import CcamCatalog, bundled_catalog
from openfse.referentials.ccam_export import (
    CcamWarning,
    decode_export,
    parse_export_with_warnings,
)
from openfse.store.ccam import latest_version_id, load_catalog, save_catalog

__all__ = ["ActiveCcamCatalog", "CcamFileError", "ImportReport", "import_ccam"]

SessionFactory = Callable[[], Session]


class CcamFileError(InvalidInput):
    """The CCAM file cannot be read (missing, a directory, no permission…)."""

    code = "ccam_file_unreadable"


@dataclass(frozen=True, slots=True)
class ImportReport:
    source_name: str
    sha256: str
    version: str
    applicable: date
    acts: int
    lines: int
    modifiers: int
    warnings: tuple[CcamWarning, ...]
    skipped_duplicate: bool

    def describe(self) -> str:
        """The report in French, one fact per line, for the terminal or the web page."""
        if self.skipped_duplicate:
            head = (
                f"{self.source_name} : fichier déjà importé (SHA-256 {self.sha256[:12]}…), "
                "aucune modification"
            )
        else:
            head = (
                f"{self.source_name} : CCAM version {self.version} applicable le "
                f"{self.applicable:%d/%m/%Y} importée"
            )
        lines = [
            head,
            f"{self.acts} actes, {self.lines} lignes activité × phase, "
            f"{self.modifiers} modificateurs",
            f"{len(self.warnings)} avertissement(s)",
        ]
        lines.extend(f"  {warning}" for warning in self.warnings)
        return "\n".join(lines)


def import_ccam(
    session_factory: SessionFactory,
    path: Path,
    *,
    applicable: date | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Import a CCAM file into the database (see the module docstring).

    ``applicable`` overrides the date of the file's title line; ``now`` is the import time
    recorded (defaults to the current UTC time).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CcamFileError(
            f"Fichier CCAM illisible : {path} ({exc.strerror or exc})", field="file"
        ) from None
    sha256 = hashlib.sha256(data).hexdigest()
    parsed = parse_export_with_warnings(decode_export(data), applicable=applicable)
    catalog = parsed.catalog
    try:
        with session_factory() as session, session.begin():
            outcome = save_catalog(
                session, catalog, source_name=path.name, sha256=sha256, imported_at=now
            )
    except IntegrityError:
        # Another workstation imported the same file at the same moment.
        raise Conflict(
            f"Le fichier {path.name} est en cours d'import depuis un autre poste",
            code="ccam_import_conflict",
        ) from None
    version_date = catalog.applicable
    assert version_date is not None  # a parsed export always has tariffs or modifiers
    return ImportReport(
        source_name=path.name,
        sha256=sha256,
        version=catalog.version,
        applicable=version_date,
        acts=len(catalog.acts),
        lines=sum(len(act.lines) for act in catalog.acts),
        modifiers=len(catalog.modifiers),
        warnings=parsed.warnings,
        skipped_duplicate=outcome.skipped_duplicate,
    )


class ActiveCcamCatalog:
    """The CCAM in force: the imported one, else the bundled subset; cached between imports.

    Each ``get()`` costs one indexed query (the last import's id); the catalogue is reloaded
    and its search index rebuilt only when that id changed.
    """

    def __init__(self, session_factory: SessionFactory) -> None:
        self._session_factory = session_factory
        self._lock = threading.Lock()
        self._loaded_id: int | None = None
        self._catalog: CcamCatalog | None = None

    def get(self) -> CcamCatalog:
        with self._session_factory() as session:
            version_id = latest_version_id(session)
            if version_id is None:
                return bundled_catalog()
            with self._lock:
                if self._catalog is None or version_id != self._loaded_id:
                    catalog = load_catalog(session)
                    if catalog is None:  # deleted meanwhile
                        return bundled_catalog()
                    catalog.build_search_index()
                    self._catalog, self._loaded_id = catalog, version_id
                return self._catalog
