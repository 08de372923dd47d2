"""Pure parts of the store: database URL resolution, column types, birth date text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from openfse.store.db import DatabaseConfigError, check_url, data_dir, database_url
from openfse.store.models import InvalidBirthDate, birth_date_from_text
from openfse.store.models.types import ScaledDecimal, UtcDateTime

SQLITE = sqlite.dialect()
PG = postgresql.dialect()


@dataclass
class Settings:
    database_url: str | None


# -- where the database is ---------------------------------------------------------------

def test_default_is_a_sqlite_file_in_openfse_home() -> None:
    assert database_url({"OPENFSE_HOME": "/srv/cabinet"}) == "sqlite:////srv/cabinet/openfse.db"


def test_without_openfse_home_the_xdg_data_directory_is_used(tmp_path: Path) -> None:
    assert data_dir({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "openfse"
    assert data_dir({}) == Path.home() / ".local" / "share" / "openfse"


def test_the_environment_variable_selects_postgresql() -> None:
    env = {"OPENFSE_HOME": "/srv", "OPENFSE_DATABASE_URL":
           "postgresql+psycopg://openfse:s3cret@db.local:5432/openfse"}
    assert database_url(env) == "postgresql+psycopg://openfse:s3cret@db.local:5432/openfse"


def test_settings_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENFSE_DATABASE_URL", "sqlite:////env.db")
    assert database_url(Settings("sqlite:////settings.db")) == "sqlite:////settings.db"
    assert database_url(Settings(None)) == "sqlite:////env.db"


def test_a_bare_postgres_url_gets_the_psycopg_driver() -> None:
    assert check_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert check_url("postgresql://u@h/db").drivername == "postgresql+psycopg"


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url", "oracle+cx://x"])
def test_other_databases_are_refused_with_a_french_message(url: str) -> None:
    with pytest.raises(DatabaseConfigError) as raised:
        database_url({"OPENFSE_DATABASE_URL": url})
    assert raised.value.code == "database_config"
    assert raised.value.field == "OPENFSE_DATABASE_URL"
    assert "base de données" in raised.value.message.lower()


# -- exact decimals ----------------------------------------------------------------------

@pytest.mark.parametrize(("value", "stored"), [
    (Decimal("4.5"), 450), (Decimal("0.01"), 1), (Decimal("-2"), -200), (3, 300),
    ("1.10", 110), (None, None),
])
def test_scaled_decimal_stores_hundredths(value: object, stored: int | None) -> None:
    assert ScaledDecimal(2).process_bind_param(value, SQLITE) == stored


def test_scaled_decimal_reads_back_with_its_scale() -> None:
    assert str(ScaledDecimal(2).process_result_value(450, SQLITE)) == "4.50"
    assert str(ScaledDecimal(1).process_result_value(123, SQLITE)) == "12.3"


@pytest.mark.parametrize("value", [Decimal("4.555"), 1.5, True, Decimal("NaN")])
def test_scaled_decimal_refuses_what_it_cannot_hold_exactly(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        ScaledDecimal(2).process_bind_param(value, SQLITE)


def test_utc_datetime_is_naive_utc_on_sqlite_and_aware_on_postgresql() -> None:
    paris_summer = datetime(2026, 7, 14, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    column = UtcDateTime()

    assert column.process_bind_param(paris_summer, SQLITE) == datetime(2026, 7, 14, 8, 0)
    assert column.process_bind_param(paris_summer, PG) == datetime(2026, 7, 14, 8, 0,
                                                                   tzinfo=UTC)
    assert column.process_result_value(datetime(2026, 7, 14, 8, 0), SQLITE) == datetime(
        2026, 7, 14, 8, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(datetime(2026, 7, 14, 8, 0), SQLITE)


# -- birth dates ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "calendar"), [
    ("19830101", date(1983, 1, 1)),
    ("20000229", date(2000, 2, 29)),  # leap year
    ("19000229", None),  # 1900 is not a leap year: lunar
    ("19800000", None),  # day and month unknown
    ("19800015", None),  # month 00
    ("19801400", None),  # month 14, day 00
    ("19801232", None),  # day 32
])
def test_birth_date_text_gives_a_calendar_date_or_none_when_lunar(
        text: str, calendar: date | None) -> None:
    assert birth_date_from_text(text) == calendar


@pytest.mark.parametrize("text", ["1983011", "1983-01-01", "１９８３０１０１", "18000101", ""])
def test_birth_date_text_must_be_eight_ascii_digits_of_a_plausible_year(text: str) -> None:
    with pytest.raises(InvalidBirthDate) as raised:
        birth_date_from_text(text)
    assert raised.value.field == "birth_date_text"


def test_the_migration_command_reports_a_bad_url_in_one_french_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    from openfse.store.migrations.__main__ import run

    assert run(["upgrade", "--url", "mysql://u@h/db"]) == 2
    assert capsys.readouterr().err == (
        "erreur (database_config) : Base de données non prise en charge : mysql "
        "(SQLite ou PostgreSQL).\n")
