"""CCAM tables and the import use case on a real SQLite file and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from openfse.referentials.ccam import GRID_HORS, GRID_S1, CcamVersionOrderError, bundled_catalog
from openfse.referentials.ccam_export import CcamFormatError, decode_export, parse_export
from openfse.services.ccam_import import ActiveCcamCatalog, CcamFileError, import_ccam
from openfse.store.base import Base
from openfse.store.ccam import (
    CCAM_TABLES,
    CcamLineTariffRow,
    CcamVersionRow,
    ccam_versions,
    latest_version_id,
    load_catalog,
    save_catalog,
)

RAW = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "ccam" / "raw_rpps_api"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
V81 = date(2026, 1, 1)
V82 = date(2026, 7, 1)
SUBSET = resources.files("openfse").joinpath("referentials/data/ccam_subset.csv").read_text("utf-8")
# A made-up "version 82" of the subset applicable 01/07/2026 where HBJD001 (détartrage) goes
# from 28.92 € to 30.00 € on both grids.
SUBSET_V82 = SUBSET.replace("version 81 applicable 01/01/2026", "version 82 applicable 01/07/2026")
SUBSET_V82 = SUBSET_V82.replace(
    "HBJD001,1,0,Détartrage et polissage des dents,,28.92,28.92,28.92,28.92",
    "HBJD001,1,0,Détartrage et polissage des dents,,30.00,30.00,30.00,30.00",
)
assert SUBSET_V82.count("30.00,30.00,30.00,30.00") == 1

Factory = sessionmaker[Session]


def _sqlite(tmp_path: Path) -> Iterator[Factory]:
    engine = create_engine(f"sqlite:///{tmp_path / 'openfse.db'}")

    @event.listens_for(engine, "connect")
    def _foreign_keys(connection: Any, _record: Any) -> None:
        connection.execute("PRAGMA foreign_keys=ON")

    Base.metadata.create_all(engine, tables=list(CCAM_TABLES))
    yield sessionmaker(engine)
    engine.dispose()


def _postgresql() -> Iterator[Factory]:
    try:
        admin = create_engine(PG_URL, connect_args={"connect_timeout": 2})
        with admin.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:  # any driver/network failure means "not reachable"
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {type(error).__name__}")
    schema = f"ccam_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine: Engine = admin.execution_options(schema_translate_map={None: schema})
    try:
        Base.metadata.create_all(engine, tables=list(CCAM_TABLES))
        yield sessionmaker(engine)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Factory]:
    if request.param == "sqlite":
        yield from _sqlite(tmp_path)
    else:
        yield from _postgresql()


@pytest.fixture
def sqlite_factory(tmp_path: Path) -> Iterator[Factory]:
    yield from _sqlite(tmp_path)


def write(path: Path, content: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(content.encode(encoding))
    return path


def count_rows(factory: Factory, row: type[Base]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(row)) or 0


# --------------------------------------------------------------------------------------------
# save_catalog / load_catalog
# --------------------------------------------------------------------------------------------


def test_nothing_imported_loads_none(factory: Factory) -> None:
    with factory() as session:
        assert load_catalog(session) is None
        assert latest_version_id(session) is None
        assert ccam_versions(session) == []


def test_round_trip_of_the_subset(factory: Factory) -> None:
    catalog = bundled_catalog()
    at = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    with factory() as session, session.begin():
        outcome = save_catalog(
            session, catalog, source_name="sub.csv", sha256="a" * 64, imported_at=at
        )
    assert not outcome.skipped_duplicate and outcome.catalog == catalog
    with factory() as session:
        assert load_catalog(session) == catalog
        [version] = ccam_versions(session)
    assert (version.version, version.applicable, version.source_name) == ("81", V81, "sub.csv")
    assert version.imported_at.replace(tzinfo=None) == at.replace(tzinfo=None)


def test_prices_are_integer_cents_and_null_for_non_pris_en_charge(factory: Factory) -> None:
    with factory() as session, session.begin():
        save_catalog(session, bundled_catalog(), source_name="s", sha256="b" * 64)
    table = CcamLineTariffRow.__table__
    with factory() as session:
        cents = session.execute(
            select(text("price"))
            .select_from(table)
            .where(table.c.code == "HBJD001", table.c.grid == GRID_S1)
        ).scalar_one()
        refused = (
            session.execute(
                select(text("price")).select_from(table).where(table.c.code == "AHQP001")
            )
            .scalars()
            .all()
        )
    assert cents == 2892  # 28.92 € stored as 2892 cents
    assert refused == [None, None]  # "Non pris en charge" on both grids


def test_same_file_twice_is_a_no_op(factory: Factory) -> None:
    for _ in range(2):
        with factory() as session, session.begin():
            outcome = save_catalog(session, bundled_catalog(), source_name="s", sha256="c" * 64)
    assert outcome.skipped_duplicate and outcome.catalog is None
    assert count_rows(factory, CcamVersionRow) == 1


def test_newer_version_keeps_the_old_prices_for_earlier_dates(factory: Factory) -> None:
    with factory() as session, session.begin():
        save_catalog(session, parse_export(SUBSET), source_name="v81", sha256="d" * 64)
    with factory() as session, session.begin():
        save_catalog(session, parse_export(SUBSET_V82), source_name="v82", sha256="e" * 64)
    with factory() as session:
        catalog = load_catalog(session)
        versions = [v.version for v in ccam_versions(session)]
    assert catalog is not None and catalog.version == "82" and versions == ["82", "81"]
    # Care on 30/06/2026 → 28.92 € (v81); on 01/07/2026 → 30.00 € (v82).
    assert catalog.price("HBJD001", 1, 0, GRID_S1, date(2026, 6, 30)) == Decimal("28.92")
    assert catalog.price("HBJD001", 1, 0, GRID_HORS, V82) == Decimal("30.00")
    # Unchanged acts also get a v82 period; v81 closes on 30/06/2026.
    line = catalog.act("DEQP003").line(1, 0)  # type: ignore[union-attr]
    assert line is not None
    assert [(t.start, t.end) for t in line.tariffs if t.grid == GRID_S1] == [
        (V81, date(2026, 6, 30)),
        (V82, None),
    ]


# --------------------------------------------------------------------------------------------
# import_ccam (the use case behind `openfse import-ccam FILE`)
# --------------------------------------------------------------------------------------------


def test_import_reports_counts_and_detects_a_duplicate(factory: Factory, tmp_path: Path) -> None:
    path = write(tmp_path / "ccam_subset.csv", SUBSET, "cp1252")  # Excel's CSV encoding
    report = import_ccam(factory, path)
    catalog = bundled_catalog()
    assert (report.version, report.applicable, report.acts, report.modifiers) == (
        "81", V81, len(catalog.acts), 30,
    )  # fmt: skip
    assert report.lines == sum(len(act.lines) for act in catalog.acts)
    assert report.warnings == () and not report.skipped_duplicate
    assert "CCAM version 81 applicable le 01/01/2026 importée" in report.describe()
    with factory() as session:
        assert load_catalog(session) == catalog  # CP1252 accents decoded

    again = import_ccam(factory, path)
    assert again.skipped_duplicate and "déjà importé" in again.describe()
    assert count_rows(factory, CcamVersionRow) == 1


def test_import_with_an_applicable_date(sqlite_factory: Factory, tmp_path: Path) -> None:
    path = write(tmp_path / "ccam.csv", "\ufeff" + SUBSET)  # UTF-8 with BOM
    report = import_ccam(sqlite_factory, path, applicable=date(2026, 2, 1))
    assert report.applicable == date(2026, 2, 1)
    with sqlite_factory() as session:
        catalog = load_catalog(session)
    assert catalog is not None
    assert catalog.price("HBJD001", 1, 0, GRID_S1, date(2026, 1, 31)) is None


def test_bad_file_writes_nothing(factory: Factory, tmp_path: Path) -> None:
    path = write(tmp_path / "patients.csv", "nom,prenom\nDupont,Jean\n")
    with pytest.raises(CcamFormatError) as raised:
        import_ccam(factory, path)
    assert raised.value.line == 1
    assert count_rows(factory, CcamVersionRow) == 0


def test_missing_file_is_a_precise_error(sqlite_factory: Factory, tmp_path: Path) -> None:
    with pytest.raises(CcamFileError) as raised:
        import_ccam(sqlite_factory, tmp_path / "absent.csv")
    assert raised.value.code == "ccam_file_unreadable" and "absent.csv" in raised.value.message


def test_older_version_after_a_newer_one_is_refused_and_rolled_back(
    factory: Factory, tmp_path: Path
) -> None:
    import_ccam(factory, write(tmp_path / "v82.csv", SUBSET_V82))
    with factory() as session:
        before = load_catalog(session)
    with pytest.raises(CcamVersionOrderError):
        import_ccam(factory, write(tmp_path / "v81.csv", SUBSET))
    with factory() as session:
        assert load_catalog(session) == before
        assert [v.version for v in ccam_versions(session)] == ["82"]


def test_active_catalog_is_the_subset_until_an_import(
    sqlite_factory: Factory, tmp_path: Path
) -> None:
    active = ActiveCcamCatalog(sqlite_factory)
    assert active.get() is bundled_catalog()
    import_ccam(sqlite_factory, write(tmp_path / "v81.csv", SUBSET))
    first = active.get()
    assert first is not bundled_catalog() and first == bundled_catalog()
    assert active.get() is first  # cached while no new import
    import_ccam(sqlite_factory, write(tmp_path / "v82.csv", SUBSET_V82))
    assert active.get().version == "82"


def test_import_of_the_full_public_ccam(sqlite_factory: Factory) -> None:
    raw = RAW / "ccam.csv"
    if not raw.exists():
        pytest.skip(f"public CCAM export not available at {raw}")
    report = import_ccam(sqlite_factory, raw)
    assert (report.version, report.acts, report.lines, report.modifiers) == ("81", 8257, 13439, 30)
    assert len(report.warnings) == 10
    with sqlite_factory() as session:
        stored = load_catalog(session)
    assert stored == parse_export(decode_export(raw.read_bytes()))
