"""Journal values, refused-constraint messages and append-only DDL, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from openfse.store.journal import REDACTED, JournalAction, changes_of, to_json_value
from openfse.store.migrations.append_only import guard_statements, unguard_statements
from openfse.store.models import AppUser, DataSource, Patient, UserRole
from openfse.store.repositories import conflict_from


def test_values_become_json_text_without_losing_precision() -> None:
    assert to_json_value(Decimal("123456789012345.67")) == "123456789012345.67"
    assert to_json_value(date(2026, 1, 31)) == "2026-01-31"
    assert to_json_value(datetime(2026, 1, 31, 8, 30, tzinfo=UTC)) == "2026-01-31T08:30:00+00:00"
    assert to_json_value(DataSource.VITALE) == "vitale"
    assert to_json_value({"a": [Decimal("1.5"), None, True]}) == {"a": ["1.5", None, True]}
    with pytest.raises(TypeError):
        to_json_value(object())


def test_a_new_row_journals_its_business_fields_with_free_text_masked() -> None:
    patient = Patient(last_name="Lefèvre", first_name="Élodie", notes="Allergie",
                      source=DataSource.ADRI, cabinet_id=3)

    changes = changes_of(patient, JournalAction.CREATE)

    assert changes == {
        "last_name": {"before": None, "after": "Lefèvre"},
        "first_name": {"before": None, "after": "Élodie"},
        "notes": {"before": None, "after": REDACTED},
        "source": {"before": None, "after": "adri"},
    }


def test_a_password_hash_never_reaches_the_journal() -> None:
    user = AppUser(login="a", display_name="A", role=UserRole.ADMIN, password_hash="$argon2…")

    assert changes_of(user, JournalAction.DELETE)["password_hash"] == {
        "before": REDACTED, "after": None}


def test_only_create_update_delete_have_field_changes() -> None:
    with pytest.raises(ValueError):
        changes_of(Patient(last_name="X"), "read")


class _PgError(Exception):
    def __init__(self, sqlstate: str, text: str) -> None:
        super().__init__(text)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(("origin", "code"), [
    (Exception("UNIQUE constraint failed: professional.cabinet_id, professional.rpps"),
     "duplicate"),
    (_PgError("23505", 'duplicate key value violates unique constraint "uq_x"'), "duplicate"),
    (Exception("FOREIGN KEY constraint failed"), "bad_reference"),
    (_PgError("23503", "violates foreign key constraint"), "bad_reference"),
    (Exception("append-only table journal: UPDATE, DELETE and TRUNCATE are refused"),
     "append_only"),
    (Exception("CHECK constraint failed: ck_ald_period"), "constraint_violation"),
])
def test_refused_constraints_become_typed_conflicts(origin: Exception, code: str) -> None:
    conflict = conflict_from(IntegrityError("INSERT …", {}, origin))

    assert conflict.code == code
    assert conflict.message  # French, for the user


def test_the_guard_covers_update_delete_and_truncate_and_can_be_removed() -> None:
    sqlite_ddl = " ".join(guard_statements("sqlite", "journal"))
    pg_ddl = " ".join(guard_statements("postgresql", "journal"))

    assert "BEFORE UPDATE ON journal" in sqlite_ddl and "BEFORE DELETE ON journal" in sqlite_ddl
    assert "BEFORE UPDATE OR DELETE ON journal" in pg_ddl and "BEFORE TRUNCATE" in pg_ddl
    assert "BEFORE INSERT ON journal" in sqlite_ddl  # REPLACE INTO (issue 12, finding 7)
    assert len(unguard_statements("sqlite", "journal")) == 3
    assert len(unguard_statements("postgresql", "journal")) == 3
    with pytest.raises(NotImplementedError):
        guard_statements("mysql", "journal")
