"""Logging in: CPS and code porteur, unblocking, staff passwords and their throttle.

Real SQLite database in a temporary home and the simulated card reader with the shipped test
cards (cps_titulaire: code 1234, déblocage 12345678; cps_bloquee: 3 codes already wrong,
déblocage 87654321; cps_remplacant: code 4321).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from uow_support import unit_of

from openfse.adapters.cards.errors import (
    CardAbsent,
    CardBlocked,
    CardExpired,
    CardRemoved,
    InvalidPinFormat,
    PinIncorrect,
    PukIncorrect,
)
from openfse.composition.simulated_cards import SimulatedReader
from openfse.config import Settings
from openfse.errors import InvalidInput
from openfse.services import professionals, session_login
from openfse.services.context import AppContext
from openfse.services.session_login import (
    AccountDisabled,
    CardChanged,
    InvalidCredentials,
    LoginMethod,
    ProfessionalInactive,
    SessionUser,
    TooManyAttempts,
)
from openfse.store.models import UserRole

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
DESK = {"client": "127.0.0.1", "now": NOW}  # who tries, when (the limits' keys and clock)
PASSWORD = "correct horse battery"
# A titulaire logged in with his CPS: who creates staff accounts.
BOSS = SessionUser(1, "cps.99900012347", "Dr Pierre LEGRAND", UserRole.TITULAIRE,
                   LoginMethod.CPS, 1)


@pytest.fixture()
def ctx(tmp_path: Path) -> AppContext:
    return AppContext.open(Settings.from_env({"OPENFSE_HOME": str(tmp_path)}))


def reader(ctx: AppContext) -> SimulatedReader:
    assert isinstance(ctx.card_reader, SimulatedReader)
    return ctx.card_reader


def register_titulaire(ctx: AppContext, card_name: str = "cps_titulaire", pin: str = "1234"):
    if card_name not in reader(ctx).inserted().values():
        reader(ctx).insert(card_name)
    card = session_login.verify_cps(ctx.card_reader, pin, today=TODAY)
    review = professionals.review_card(card)
    convention = professionals.parse_convention(review, "1", False)
    return professionals.register_titulaire(unit_of(ctx), review, convention)


# --------------------------------------------------------------------------- passwords


def test_a_password_is_stored_as_a_salted_scrypt_hash_with_its_parameters() -> None:
    first, second = session_login.hash_password(PASSWORD), session_login.hash_password(PASSWORD)
    assert first.startswith("scrypt$16384$8$5$") and PASSWORD not in first
    assert first != second  # a fresh salt each time
    assert session_login.verify_password(PASSWORD, first)
    assert not session_login.verify_password(PASSWORD + "!", first)


@pytest.mark.parametrize(
    "stored", [None, "", "plain", "scrypt$16384$8$5$!!$!!", "scrypt$3$8$1$AAAA$AAAA",
               "bcrypt$1$2$3$4$5"]
)
def test_a_missing_or_damaged_hash_never_matches(stored: str | None) -> None:
    assert not session_login.verify_password(PASSWORD, stored)


def test_a_new_password_has_ten_characters_and_is_typed_twice() -> None:
    with pytest.raises(InvalidInput) as short:
        session_login.check_new_password("123456789", "123456789")  # 9 characters
    assert short.value.field == "password" and "10 caractères" in short.value.message
    with pytest.raises(InvalidInput) as mismatch:
        session_login.check_new_password("1234567890", "1234567899")
    assert mismatch.value.field == "confirm"
    assert session_login.check_new_password("1234567890", "1234567890") == "1234567890"


def test_staff_logins_are_lower_case_and_stay_clear_of_the_cps_accounts() -> None:
    assert session_login.normalize_login("  Marie.Dupont ") == "marie.dupont"
    for bad in ("ab", "marie dupont", "élodie", "cps.99900012347"):
        with pytest.raises(InvalidInput) as error:
            session_login.normalize_login(bad)
        assert error.value.field == "login"


# --------------------------------------------------------------------------- throttle


def test_the_sixth_try_within_fifteen_minutes_is_refused_then_allowed_again(
    ctx: AppContext,
) -> None:
    # Failures at 0, 60, 120, 180, 240 s: five in the window of 900 s (issue 5/12).
    for seconds in (0, 60, 120, 180, 240):
        with pytest.raises(InvalidCredentials):
            session_login.login_with_password(unit_of(ctx), "Marie", "wrong password",
                                              client="a", now=NOW + timedelta(seconds=seconds))
    with pytest.raises(TooManyAttempts) as locked:
        session_login.login_with_password(unit_of(ctx), "marie", "wrong password", client="a",
                                          now=NOW + timedelta(seconds=300))
    # The first failure (t = 0) leaves the window at t = 900: 900 - 300 = 600 s, + 1.
    assert locked.value.retry_after_seconds == 601
    assert "réessayez dans 11 minutes" in locked.value.message
    # At t = 900 four failures are left in the window: the try is made (and fails).
    with pytest.raises(InvalidCredentials):
        session_login.login_with_password(unit_of(ctx), "marie", "wrong password", client="a",
                                          now=NOW + timedelta(seconds=900))
    with pytest.raises(InvalidCredentials):  # another login is not affected
        session_login.login_with_password(unit_of(ctx), "paul", "wrong password", client="b",
                                          now=NOW + timedelta(seconds=300))


# --------------------------------------------------------------------------- password log-in


def test_a_secretary_logs_in_with_her_password_and_cannot_sign(ctx: AppContext) -> None:
    professionals.create_staff_user(
        unit_of(ctx), created_by=BOSS, login="Secretariat", display_name="Marie (secrétariat)",
        password=PASSWORD, confirm=PASSWORD,
    )
    user = session_login.login_with_password(
        unit_of(ctx), "secretariat", PASSWORD, **DESK
    )
    assert (user.login, user.role, user.method) == (
        "secretariat", UserRole.SECRETAIRE, LoginMethod.PASSWORD)
    assert not user.can_sign
    assert session_login.session_user(unit_of(ctx), user.user_id, user.method) == user


def test_wrong_and_unknown_logins_get_the_same_answer_and_count_for_the_limit(
    ctx: AppContext,
) -> None:
    professionals.create_staff_user(
        unit_of(ctx), created_by=BOSS, login="accueil", display_name="Accueil",
        password=PASSWORD, confirm=PASSWORD)
    with pytest.raises(InvalidCredentials) as wrong:
        session_login.login_with_password(unit_of(ctx), "accueil", "wrong password", **DESK)
    with pytest.raises(InvalidCredentials) as unknown:
        session_login.login_with_password(unit_of(ctx), "personne", PASSWORD, **DESK)
    assert wrong.value.message == unknown.value.message == "Identifiant ou mot de passe incorrect."
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            session_login.login_with_password(unit_of(ctx), "accueil", "still wrong", **DESK)
    # Five failures for "accueil": even the right password waits for the window to pass.
    with pytest.raises(TooManyAttempts):
        session_login.login_with_password(unit_of(ctx), "accueil", PASSWORD, **DESK)
    user = session_login.login_with_password(unit_of(ctx), "accueil", PASSWORD, client="127.0.0.1",
                                             now=NOW + timedelta(seconds=901))
    assert user.login == "accueil"


def test_a_deactivated_staff_account_is_refused_and_its_session_ends(ctx: AppContext) -> None:
    account = professionals.create_staff_user(
        unit_of(ctx), created_by=BOSS, login="remplacante.secr",
        display_name="Julie", password=PASSWORD,
        confirm=PASSWORD)
    user = session_login.login_with_password(unit_of(ctx), account.login, PASSWORD, **DESK)
    professionals.deactivate_staff_user(unit_of(ctx), account.id)
    assert session_login.session_user(unit_of(ctx), user.user_id, user.method) is None
    with pytest.raises(AccountDisabled):
        session_login.login_with_password(unit_of(ctx), account.login, PASSWORD, **DESK)


def test_empty_credentials_point_at_the_missing_field(ctx: AppContext) -> None:
    with pytest.raises(InvalidInput) as error:
        session_login.login_with_password(unit_of(ctx), " ", PASSWORD, **DESK)
    assert error.value.field == "login"


# --------------------------------------------------------------------------- CPS log-in


def test_the_first_cps_log_in_asks_for_registration_then_recognises_the_titulaire(
    ctx: AppContext,
) -> None:
    reader(ctx).insert("cps_titulaire")
    first = session_login.login_with_cps(unit_of(ctx), ctx.card_reader, "1234", today=TODAY,
                                         **DESK)
    assert first.needs_registration and first.card.rpps == "99900012347"

    professional, account = register_titulaire(ctx)
    again = session_login.login_with_cps(unit_of(ctx), ctx.card_reader, "1234", today=TODAY,
                                         **DESK)
    assert again.user is not None
    assert (again.user.login, again.user.role, again.user.professional_id) == (
        "cps.99900012347", UserRole.TITULAIRE, professional.id)
    assert again.user.display_name == "Dr Pierre LEGRAND" and again.user.can_sign
    assert again.user.user_id == account.id


def test_three_wrong_codes_block_the_card_and_the_unblock_code_frees_it(ctx: AppContext) -> None:
    reader(ctx).insert("cps_titulaire")
    with pytest.raises(InvalidPinFormat):  # a typing slip costs no try
        session_login.login_with_cps(unit_of(ctx), ctx.card_reader, "12a4", today=TODAY, **DESK)
    for left in (2, 1):
        with pytest.raises(PinIncorrect) as wrong:
            session_login.login_with_cps(unit_of(ctx), ctx.card_reader, "0000", today=TODAY,
                                         **DESK)
        assert wrong.value.remaining == left
        assert f"il reste {left} essai" in wrong.value.message
    with pytest.raises(CardBlocked):
        session_login.login_with_cps(unit_of(ctx), ctx.card_reader, "0000", today=TODAY, **DESK)
    # Blocked: even the right code is refused (guide LOGOSw « la carte sera invalidée »).
    with pytest.raises(CardBlocked):
        session_login.login_with_cps(unit_of(ctx), ctx.card_reader, "1234", today=TODAY, **DESK)
    state = session_login.cps_reader_state(ctx.card_reader, today=TODAY)
    assert state.blocked and state.card is not None

    with pytest.raises(PukIncorrect):
        session_login.unblock_card(unit_of(ctx), ctx.card_reader, "00000000", "5678", "5678",
                                   **DESK)
    session_login.unblock_card(unit_of(ctx), ctx.card_reader, "12345678", "5678", "5678",
                               **DESK)
    assert session_login.cps_reader_state(ctx.card_reader, today=TODAY).tries_left == 3
    assert session_login.login_with_cps(unit_of(ctx), ctx.card_reader, "5678",
                                        today=TODAY, **DESK).needs_registration


def test_an_expired_cps_is_refused_before_its_code_is_typed(ctx: AppContext) -> None:
    reader(ctx).insert("cps_remplacant")  # valid until 30/06/2028
    with pytest.raises(CardExpired):
        session_login.login_with_cps(unit_of(ctx), ctx.card_reader, "4321", today=date(2028, 7, 1),
                                     **DESK)
    assert session_login.cps_reader_state(ctx.card_reader, today=TODAY).tries_left == 3


def test_no_card_in_the_reader_is_a_clear_message(ctx: AppContext) -> None:
    state = session_login.cps_reader_state(ctx.card_reader, today=TODAY)
    assert state.absent and state.card is None
    with pytest.raises(CardAbsent) as absent:
        session_login.login_with_cps(unit_of(ctx), ctx.card_reader, "1234", today=TODAY, **DESK)
    assert absent.value.message == "Aucune carte dans le lecteur : insérez la carte CPS."


def test_a_deactivated_remplacant_cannot_start_the_day(ctx: AppContext) -> None:
    professional, _ = register_titulaire(ctx, "cps_infirmier", "2468")
    with unit_of(ctx) as uow:
        row = uow.professionals.get(professional.id)
        row.active = False
        uow.commit()
    with pytest.raises(ProfessionalInactive):
        session_login.login_with_cps(unit_of(ctx), ctx.card_reader, "2468", today=TODAY, **DESK)


def test_card_presence_is_proved_only_by_the_card_whose_code_was_typed(ctx: AppContext) -> None:
    cards = reader(ctx)
    cards.insert("cps_titulaire")
    card = session_login.verify_cps(ctx.card_reader, "1234", today=TODAY)
    assert session_login.prove_card_presence(ctx.card_reader, card.serial) == card
    cards.remove("cps_titulaire")
    cards.insert("cps_titulaire")  # pulled out and put back: the code must be typed again
    with pytest.raises(CardRemoved):
        session_login.prove_card_presence(ctx.card_reader, card.serial)
    cards.remove()
    cards.insert("cps_remplacant")
    with pytest.raises(CardChanged):
        session_login.prove_card_presence(ctx.card_reader, card.serial)


# --------------------------------------------------------------------------- web edge

# The thin web edge of these use cases: the session cookie's secret, /api/session, and the
# htmx / plain-form answers of the code porteur form.


def test_the_session_secret_is_made_once_private_and_reused(tmp_path: Path) -> None:
    from openfse.web.session import SessionSecretError, secret_key

    key = secret_key(tmp_path)
    path = tmp_path / "secret_key"
    assert len(key) >= 32 and path.stat().st_mode & 0o777 == 0o600
    assert secret_key(tmp_path) == key
    path.chmod(0o644)  # loosened by hand: tightened again, same key
    assert secret_key(tmp_path) == key and path.stat().st_mode & 0o777 == 0o600
    path.write_text("short\n")
    with pytest.raises(SessionSecretError):
        secret_key(tmp_path)


@pytest.fixture()
def api(ctx: AppContext):  # type: ignore[no-untyped-def]
    import warnings

    from openfse.web.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient
    # A page of the app first (its CSRF token), and the API's custom header on every write.
    with TestClient(create_app(context=ctx), headers={"X-Requested-With": "tests"}) as client:
        page = client.get("/connexion").text
        client.headers["X-CSRF-Token"] = page.split('data-csrf="', 1)[1].split('"', 1)[0]
        yield client


def test_the_session_api_logs_in_with_the_card_and_answers_with_codes(
    ctx: AppContext, api  # type: ignore[no-untyped-def]
) -> None:
    assert api.get("/api/session").json() == {"user": None}
    absent = api.post("/api/session", json={"method": "cps", "pin": "1234"})
    assert (absent.status_code, absent.json()["error"]["code"]) == (409, "card_absent")
    reader(ctx).insert("cps_titulaire")
    wrong = api.post("/api/session", json={"method": "cps", "pin": "0000"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] | {"message": ""} == {
        "code": "pin_incorrect", "field": "pin", "tries_left": 2, "message": ""}
    unknown = api.post("/api/session", json={"method": "cps", "pin": "1234"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (409, "registration_required")
    register_titulaire(ctx)
    done = api.post("/api/session", json={"method": "cps", "pin": "1234"})
    assert done.status_code == 200 and done.json()["user"]["login"] == "cps.99900012347"
    assert api.get("/api/session").json()["user"]["can_sign"] is True
    assert api.delete("/api/session").status_code == 204
    assert api.get("/api/session").json() == {"user": None}


def test_the_session_api_limits_password_failures(
    ctx: AppContext, api  # type: ignore[no-untyped-def]
) -> None:
    professionals.create_staff_user(
        unit_of(ctx), created_by=BOSS, login="accueil", display_name="Accueil",
        password=PASSWORD, confirm=PASSWORD)
    for _ in range(5):
        wrong = api.post("/api/session",
                         json={"method": "password", "login": "accueil", "password": "x"})
        assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "invalid_credentials")
    locked = api.post("/api/session",
                      json={"method": "password", "login": "accueil", "password": PASSWORD})
    assert (locked.status_code, locked.json()["error"]["code"]) == (429, "too_many_attempts")
    assert 0 < int(locked.headers["Retry-After"]) <= 900
    assert api.post("/api/session", json={"method": "pin"}).status_code == 422


def test_the_code_form_answers_htmx_with_a_fragment_and_a_plain_post_with_the_page(
    ctx: AppContext, api  # type: ignore[no-untyped-def]
) -> None:
    reader(ctx).insert("cps_titulaire")
    plain = api.post("/connexion/cps", data={"pin": "0000"})
    assert plain.status_code == 422 and "<html" in plain.text
    assert "il reste 2 essais" in plain.text
    fragment = api.post("/connexion/cps", data={"pin": "0000"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "il reste 1 essai" in fragment.text
    login = api.post("/connexion/cps", data={"pin": "1234"}, headers={"HX-Request": "true"})
    assert login.headers["HX-Redirect"] == "/connexion/enregistrement"  # unknown card


@pytest.mark.parametrize("card, pin, login", [
    ("cps_titulaire", "1234", "cps.99900012347"),
    ("cps_remplacant", "4321", "cps.99900056781"),
])
def test_the_account_made_at_a_first_cps_log_in_is_journaled_under_it(
    tmp_path: Path, card: str, pin: str, login: str,
) -> None:
    # Issue 8: the journal names a person. The demo's professionals have no account yet: the
    # card's first log-in makes it — journaled under that account (login and id), never
    # « anonyme » with no user (the cabinet week's scenario).
    from openfse.composition.demo import load_demo
    from openfse.store.journal import JournalEntry

    settings = Settings.from_env({"OPENFSE_HOME": str(tmp_path)})
    load_demo(settings, today=TODAY)
    ctx = AppContext.open(settings)
    reader(ctx).insert(card)
    done = session_login.login_with_cps(unit_of(ctx, "anonyme"), ctx.card_reader, pin,
                                        today=TODAY, **DESK)
    assert done.user is not None and done.user.login == login
    with unit_of(ctx) as uow:
        made = [(entry.actor, entry.actor_user_id) for entry in uow.session.query(JournalEntry)
                .filter(JournalEntry.entity == "app_user",
                        JournalEntry.entity_id == str(done.user.user_id))]
    assert made == [(login, done.user.user_id)]
