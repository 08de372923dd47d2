"""Professionals of the cabinet: registration from the CPS, remplaçants confirmed by the
titulaire's CPS, the replacement calendar and who may bill, deactivation and deletion (manuel
eS-KAP+ « Le professionnel de santé », « Ajout remplaçant », « Supprimer remplaçant »), staff.

Test cards: cps_titulaire (Pierre LEGRAND, médecin généraliste, code 1234), cps_remplacant
(Nathalie DURAND, médecin remplaçante, code 4321), cps_infirmier (Claire ROUSSEAU, code 2468).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from uow_support import unit_of

from openfse.adapters.cards.errors import CardBlocked, PinIncorrect
from openfse.composition.simulated_cards import SimulatedReader
from openfse.config import Settings
from openfse.errors import Conflict, InvalidInput
from openfse.services import professionals, session_login
from openfse.services.context import AppContext
from openfse.services.professionals import (
    InvalidForm,
    RemplacantEnrolment,
    TitulaireNotDeletable,
    WrongTitulaireCard,
)
from openfse.services.session_login import LoginMethod, SessionUser
from openfse.store.journal import REDACTED
from openfse.store.models import Professional, ProfessionalKind, UserRole

DESK = {"client": "127.0.0.1", "now": datetime(2026, 3, 2, 8, 30, tzinfo=UTC)}  # who, when
TODAY = date(2026, 3, 2)  # a Monday
MONDAY, TUESDAY, WEDNESDAY = TODAY, TODAY + timedelta(1), TODAY + timedelta(2)
PASSWORD = "correct horse battery"
# A titulaire logged in with his CPS: who creates staff accounts.
BOSS = SessionUser(1, "cps.99900012347", "Dr Pierre LEGRAND", UserRole.TITULAIRE,
                   LoginMethod.CPS, 1)


@pytest.fixture()
def ctx(tmp_path: Path) -> AppContext:
    return AppContext.open(Settings.from_env({"OPENFSE_HOME": str(tmp_path)}))


def put_in(ctx: AppContext, card_name: str) -> None:
    """The user's hand: whatever CPS is in the reader goes out, this one goes in."""
    assert isinstance(ctx.card_reader, SimulatedReader)
    ctx.card_reader.remove()
    ctx.card_reader.insert(card_name)


def titulaire(ctx: AppContext, card_name: str = "cps_titulaire", pin: str = "1234") -> Professional:
    put_in(ctx, card_name)
    card = session_login.verify_cps(ctx.card_reader, pin, today=TODAY)
    review = professionals.review_card(card)
    professional, _ = professionals.register_titulaire(
        unit_of(ctx), review, professionals.parse_convention(review, "1", False))
    return professional


def enrol_durand(ctx: AppContext, titulaire_id: int, days: list[date]) -> RemplacantEnrolment:
    put_in(ctx, "cps_remplacant")
    card = session_login.verify_cps(ctx.card_reader, "4321", today=TODAY)
    return professionals.prepare_remplacant(
        unit_of(ctx), professionals.review_card(card), sector="1", optam=False,
        titulaire=str(titulaire_id), days=[d.isoformat() for d in days], today=TODAY)


def remplacant(ctx: AppContext, titulaire_id: int, days: list[date]) -> Professional:
    enrolment = enrol_durand(ctx, titulaire_id, days)
    put_in(ctx, "cps_titulaire")
    return professionals.register_remplacant(
        unit_of(ctx), ctx.card_reader, enrolment, "1234", today=TODAY, **DESK).remplacant


def journal(ctx: AppContext) -> list[tuple[str, str, str]]:
    with unit_of(ctx) as uow:
        return [(e.action, e.entity, e.summary) for e in uow.journal_entries.list(limit=1000)]


# --------------------------------------------------------------------------- review


def test_the_review_shows_what_the_card_says_with_readable_labels(ctx: AppContext) -> None:
    put_in(ctx, "cps_titulaire")
    card = ctx.card_reader.read_cps()
    first, second = professionals.review_card(card), professionals.review_card(card, 2)
    assert (first.kind, first.profession_label, first.specialty_label) == (
        ProfessionalKind.TITULAIRE, "Médecin", "Médecine générale")
    assert first.situation.facturation == "75100012 6" and first.default_sector == "1"
    assert second.situation.caisse_rattachement == "921"
    put_in(ctx, "cps_infirmier")
    nurse = professionals.review_card(ctx.card_reader.read_cps())
    assert (nurse.profession_label, nurse.specialty_label) == ("Infirmier", "Infirmier")
    put_in(ctx, "cps_remplacant")
    assert professionals.review_card(ctx.card_reader.read_cps()).kind_label == "Remplaçant"


def test_optam_is_for_conventionne_medecins_only(ctx: AppContext) -> None:
    put_in(ctx, "cps_infirmier")
    nurse = professionals.review_card(ctx.card_reader.read_cps())
    with pytest.raises(InvalidForm) as error:
        professionals.parse_convention(nurse, "", True)
    assert error.value.errors.keys() == {"sector", "optam"}
    put_in(ctx, "cps_titulaire")
    doctor = professionals.review_card(ctx.card_reader.read_cps())
    with pytest.raises(InvalidForm) as nc:
        professionals.parse_convention(doctor, "nc", True)
    assert nc.value.field == "optam"
    assert professionals.parse_convention(doctor, "2", True) == professionals.Convention(2, True)
    assert professionals.parse_convention(doctor, "nc", False) == professionals.Convention(
        None, False)


# --------------------------------------------------------------------------- titulaire


def test_a_titulaire_is_registered_from_his_card_with_a_card_only_account(
    ctx: AppContext,
) -> None:
    professional = titulaire(ctx)
    assert (professional.kind, professional.last_name, professional.rpps) == (
        ProfessionalKind.TITULAIRE, "LEGRAND", "99900012347")
    assert (professional.billing_number, professional.billing_key, professional.caisse) == (
        "75100012", "6", "751")
    assert (professional.profession_code, professional.specialty_code, professional.sector) == (
        "10", "01", 1)
    with unit_of(ctx) as uow:
        account = uow.users.by_professional(professional.id)
        assert account is not None and account.password_hash is None
        assert (account.login, account.role) == ("cps.99900012347", UserRole.TITULAIRE)
    assert ("create", "professional", "titulaire enregistré depuis sa CPS") in journal(ctx)
    with pytest.raises(Conflict) as twice:
        titulaire(ctx)
    assert twice.value.code == "already_registered"


def test_a_remplacant_situation_does_not_register_as_titulaire(ctx: AppContext) -> None:
    put_in(ctx, "cps_remplacant")
    review = professionals.review_card(ctx.card_reader.read_cps())
    with pytest.raises(InvalidInput) as error:
        professionals.register_titulaire(unit_of(ctx), review, professionals.Convention(1, False))
    assert error.value.field == "situation"


# --------------------------------------------------------------------------- remplaçant


def test_the_remplacant_form_reports_every_missing_choice_at_once(ctx: AppContext) -> None:
    put_in(ctx, "cps_remplacant")
    review = professionals.review_card(ctx.card_reader.read_cps())
    with pytest.raises(InvalidForm) as error:
        professionals.prepare_remplacant(unit_of(ctx), review, sector="", optam=False,
                                         titulaire="", days=[], today=TODAY)
    assert error.value.errors.keys() == {"sector", "titulaire", "days"}
    assert error.value.errors["days"] == (
        "Choisissez au moins un jour de remplacement dans le calendrier.")


def test_the_titulaires_card_and_code_confirm_the_remplacant(ctx: AppContext) -> None:
    legrand = titulaire(ctx)
    enrolment = enrol_durand(ctx, legrand.id, [MONDAY, TUESDAY])
    # The remplaçant's own card is still in: refused before any code is spent.
    with pytest.raises(WrongTitulaireCard) as wrong_card:
        professionals.register_remplacant(unit_of(ctx), ctx.card_reader, enrolment, "4321",
                                          today=TODAY, **DESK)
    assert "insérez la CPS du titulaire remplacé, Dr Pierre LEGRAND" in wrong_card.value.message
    assert ctx.card_reader.pin_tries_left() == 3
    put_in(ctx, "cps_titulaire")
    with pytest.raises(PinIncorrect) as wrong_pin:
        professionals.register_remplacant(unit_of(ctx), ctx.card_reader, enrolment, "0000",
                                          today=TODAY, **DESK)
    assert wrong_pin.value.remaining == 2
    assert professionals.registered_professional(unit_of(ctx), "99900056781") is None

    done = professionals.register_remplacant(unit_of(ctx), ctx.card_reader, enrolment, "1234",
                                             today=TODAY, **DESK)
    durand = done.remplacant
    assert (durand.kind, durand.last_name, durand.active) == (
        ProfessionalKind.REMPLACANT, "DURAND", True)
    assert done.titulaire.professional_id == legrand.id and done.titulaire.can_sign
    file = professionals.professional_file(unit_of(ctx), durand.id)
    assert file.days_for(legrand.id) == (MONDAY, TUESDAY)
    assert file.user is not None and file.user.role is UserRole.REMPLACANT
    summaries = [s for _, _, s in journal(ctx)]
    assert any("confirmé par la CPS du titulaire Dr Pierre LEGRAND" in s for s in summaries)


def test_a_blocked_titulaire_card_cannot_confirm(ctx: AppContext) -> None:
    legrand = titulaire(ctx)
    enrolment = enrol_durand(ctx, legrand.id, [MONDAY])
    put_in(ctx, "cps_titulaire")
    for _ in range(2):
        with pytest.raises(PinIncorrect):
            professionals.register_remplacant(unit_of(ctx), ctx.card_reader, enrolment, "9999",
                                              today=TODAY, **DESK)
    with pytest.raises(CardBlocked):
        professionals.register_remplacant(unit_of(ctx), ctx.card_reader, enrolment, "9999",
                                          today=TODAY, **DESK)
    assert professionals.registered_professional(unit_of(ctx), "99900056781") is None


def test_a_remplacant_bills_only_on_his_days_for_that_titulaire(ctx: AppContext) -> None:
    legrand = titulaire(ctx)
    rousseau = titulaire(ctx, "cps_infirmier", "2468")
    durand = remplacant(ctx, legrand.id, [MONDAY, WEDNESDAY])
    with unit_of(ctx) as uow:
        assert professionals.can_bill(uow, durand.id, legrand.id, MONDAY)
        assert not professionals.can_bill(uow, durand.id, legrand.id, TUESDAY)  # not his day
        assert not professionals.can_bill(uow, durand.id, rousseau.id, MONDAY)  # other titulaire
        assert not professionals.can_bill(uow, legrand.id, durand.id, MONDAY)  # roles swapped
        assert not professionals.can_bill(uow, durand.id, 9999, MONDAY)
    professionals.deactivate_remplacant(unit_of(ctx), durand.id)
    with unit_of(ctx) as uow:
        assert not professionals.can_bill(uow, durand.id, legrand.id, MONDAY)


def test_the_calendar_keeps_past_days_and_one_titulaire_per_day(ctx: AppContext) -> None:
    legrand = titulaire(ctx)
    rousseau = titulaire(ctx, "cps_infirmier", "2468")
    durand = remplacant(ctx, legrand.id, [MONDAY, TUESDAY])
    # Tuesday -> Wednesday, the day after "today" (Monday): allowed.
    change = professionals.set_calendar(unit_of(ctx), durand.id, legrand.id, [MONDAY, WEDNESDAY],
                                        today=MONDAY)
    assert (change.added, change.removed) == ((WEDNESDAY,), (TUESDAY,))
    # Seen from Tuesday, Monday is history: it cannot be taken out.
    with pytest.raises(InvalidInput) as past:
        professionals.set_calendar(unit_of(ctx), durand.id, legrand.id, [WEDNESDAY],
                                   today=TUESDAY)
    assert past.value.code == "past_replacement_day" and "02/03/2026" in past.value.message
    # Wednesday is already a day for LEGRAND: not for ROUSSEAU too.
    with pytest.raises(InvalidInput) as taken:
        professionals.set_calendar(unit_of(ctx), durand.id, rousseau.id, [WEDNESDAY], today=MONDAY)
    assert "Dr Pierre LEGRAND" in taken.value.message and "04/03/2026" in taken.value.message
    professionals.set_calendar(unit_of(ctx), durand.id, rousseau.id, [TUESDAY], today=MONDAY)
    file = professionals.professional_file(unit_of(ctx), durand.id)
    assert file.days_for(legrand.id) == (MONDAY, WEDNESDAY)
    assert file.days_elsewhere(rousseau.id) == (MONDAY, WEDNESDAY)
    with unit_of(ctx) as uow:
        entries = [e for e in uow.journal_entries.list(limit=1000) if e.entity == "replacement_day"]
    assert entries[-1].changes == {"days_added": {"after": ["2026-03-03"]}}


def test_unknown_calendar_days_are_refused_with_the_field() -> None:
    with pytest.raises(InvalidInput) as error:
        professionals.parse_days(["2026-02-30"])
    assert error.value.field == "days"


def test_a_remplacant_is_deactivated_before_being_deleted(ctx: AppContext) -> None:
    legrand = titulaire(ctx)
    durand = remplacant(ctx, legrand.id, [MONDAY])
    with pytest.raises(Conflict) as active:
        professionals.delete_remplacant(unit_of(ctx), durand.id)
    assert active.value.code == "remplacant_active"
    professionals.deactivate_remplacant(unit_of(ctx), durand.id)
    # History kept while deactivated.
    assert professionals.professional_file(unit_of(ctx),
                                           durand.id).days_for(legrand.id) == (MONDAY,)
    with pytest.raises(Conflict) as invoices:
        professionals.delete_remplacant(unit_of(ctx), durand.id, open_invoices=lambda uow, pid: 2)
    assert invoices.value.message == (
        "Suppression impossible : 2 factures de Dr Nathalie DURAND n'ont été ni supprimées ni "
        "déchargées.")
    professionals.delete_remplacant(unit_of(ctx), durand.id)
    assert professionals.registered_professional(unit_of(ctx), "99900056781") is None
    with unit_of(ctx) as uow:
        assert uow.users.by_login("cps.99900056781") is None
        assert not uow.professionals.calendar(durand.id)
    # Deleted: his CPS registers him again, from scratch, with a titulaire's confirmation.
    again = remplacant(ctx, legrand.id, [TUESDAY])
    assert professionals.professional_file(unit_of(ctx), again.id).days_for(legrand.id) == (
        TUESDAY,)


def test_a_deactivated_remplacant_comes_back_with_his_history(ctx: AppContext) -> None:
    legrand = titulaire(ctx)
    durand = remplacant(ctx, legrand.id, [MONDAY])
    professionals.deactivate_remplacant(unit_of(ctx), durand.id)
    back = remplacant(ctx, legrand.id, [WEDNESDAY])
    assert back.id == durand.id and back.active
    assert professionals.professional_file(unit_of(ctx), durand.id).days_for(legrand.id) == (
        MONDAY, WEDNESDAY)


# --------------------------------------------------------------------------- titulaire deletion


def test_a_titulaire_is_deleted_only_when_the_three_conditions_hold(ctx: AppContext) -> None:
    legrand = titulaire(ctx)
    durand = remplacant(ctx, legrand.id, [MONDAY])  # LEGRAND's card is in the reader now
    reasons = professionals.titulaire_deletion_blockers(
        unit_of(ctx), ctx.card_reader, legrand.id, open_invoices=lambda uow, pid: 1)
    # The seed's three conditions, word for word, each with what is wrong.
    assert reasons == (
        "« La CPS du titulaire n'est pas insérée dans l'appareil. » : elle est dans le "
        "lecteur, retirez-la.",
        "« Toutes les factures associées ont été supprimées ou déchargées. » : 1 facture de "
        "Dr Pierre LEGRAND n'a été ni supprimée ni déchargée.",
        "« Aucun remplaçant n'est encore rattaché à ce titulaire. » : Dr Nathalie DURAND "
        "l'est encore, désactivez-le puis supprimez-le.",
    )
    ctx.card_reader.remove()
    with pytest.raises(TitulaireNotDeletable) as refused:
        professionals.delete_titulaire(unit_of(ctx), ctx.card_reader, legrand.id)
    assert refused.value.reasons == (reasons[2],)
    professionals.deactivate_remplacant(unit_of(ctx), durand.id)  # detached: history only
    assert professionals.titulaire_deletion_blockers(unit_of(ctx), ctx.card_reader,
                                                     legrand.id) == ()
    professionals.delete_titulaire(unit_of(ctx), ctx.card_reader, legrand.id)
    assert professionals.registered_professional(unit_of(ctx), "99900012347") is None
    with unit_of(ctx) as uow:
        assert not uow.professionals.calendar(durand.id)
        assert uow.users.by_login("cps.99900012347") is None
    assert ("delete", "professional", "titulaire supprimé") in journal(ctx)


def test_only_a_titulaire_goes_through_the_titulaire_deletion(ctx: AppContext) -> None:
    legrand = titulaire(ctx)
    durand = remplacant(ctx, legrand.id, [MONDAY])
    with pytest.raises(InvalidInput):
        professionals.titulaire_deletion_blockers(unit_of(ctx), ctx.card_reader, durand.id)


# --------------------------------------------------------------------------- lists and staff


def test_the_lists_show_titulaires_remplacants_with_their_next_day_and_staff(
    ctx: AppContext,
) -> None:
    legrand = titulaire(ctx)
    remplacant(ctx, legrand.id, [MONDAY, WEDNESDAY])
    professionals.create_staff_user(
        unit_of(ctx), created_by=BOSS, login="accueil", display_name="Accueil",
        password=PASSWORD, confirm=PASSWORD)
    people = professionals.cabinet_people(unit_of(ctx), today=TUESDAY)
    assert [p.last_name for p in people.titulaires] == ["LEGRAND"]
    (row,) = people.remplacants
    assert row.professional.last_name == "DURAND" and row.next_day == WEDNESDAY
    assert [t.last_name for t in row.titulaires] == ["LEGRAND"]
    assert [u.login for u in people.staff] == ["accueil"]
    file = professionals.professional_file(unit_of(ctx), legrand.id)
    assert [p.last_name for p in file.remplacants] == ["DURAND"]


def test_only_a_titulaire_logged_in_with_his_cps_creates_a_staff_account(ctx: AppContext) -> None:
    secretary = SessionUser(2, "accueil", "Accueil", UserRole.SECRETAIRE, LoginMethod.PASSWORD)
    for creator in (None, secretary):
        with pytest.raises(professionals.TitulaireRequired):
            professionals.create_staff_user(unit_of(ctx), created_by=creator, login="autre",
                                            display_name="Autre", password=PASSWORD,
                                            confirm=PASSWORD)


def test_a_staff_account_needs_a_free_login_a_name_and_a_confirmed_password(
    ctx: AppContext,
) -> None:
    with pytest.raises(InvalidForm) as error:
        professionals.create_staff_user(
        unit_of(ctx), created_by=BOSS, login="A", display_name=" ",
        password="short", confirm="short")
    assert error.value.errors.keys() == {"login", "display_name", "password"}
    account = professionals.create_staff_user(
        unit_of(ctx), created_by=BOSS, login="Accueil",
        display_name="  Marie   Dupont ",
        password=PASSWORD, confirm=PASSWORD)
    assert (account.login, account.display_name, account.role) == (
        "accueil", "Marie Dupont", UserRole.SECRETAIRE)
    assert account.password_hash is not None and account.password_hash.startswith("scrypt$")
    with pytest.raises(InvalidForm) as taken:
        professionals.create_staff_user(
        unit_of(ctx), created_by=BOSS, login="accueil", display_name="Autre",
        password=PASSWORD, confirm=PASSWORD)
    assert taken.value.errors == {"login": "L'identifiant « accueil » est déjà utilisé."}
    with unit_of(ctx) as uow:
        (entry,) = [e for e in uow.journal_entries.list(limit=100) if e.entity == "app_user"]
    assert entry.changes is not None and entry.changes["password_hash"]["after"] == REDACTED


def _actors(ctx: AppContext) -> set[tuple[str, int | None, str]]:
    with unit_of(ctx) as uow:
        return {(e.actor, e.actor_user_id, e.entity) for e in uow.journal_entries.list(limit=1000)
                if e.entity in ("professional", "app_user", "pending_access",
                                "replacement_day")}


def test_a_registration_is_journaled_under_the_account_it_makes(ctx: AppContext) -> None:
    # Issue 8: the journal names a person. Nobody is logged in while a card registers (the
    # start screen names the card, « CPS <RPPS> »): once its account exists, the registration
    # is journaled under it — the nurse's pending access too (the cabinet week's scenario).
    legrand = titulaire(ctx)
    put_in(ctx, "cps_infirmier")
    card = session_login.verify_cps(ctx.card_reader, "2468", today=TODAY)
    review = professionals.review_card(card)
    nurse, account = professionals.register_titulaire(
        ctx.unit_of_work(actor=f"CPS {card.rpps}", actor_user_id=None), review,
        professionals.parse_convention(review, "1", False))
    with unit_of(ctx) as uow:
        boss = uow.users.by_professional(legrand.id)
        assert boss is not None
        boss_login, boss_id = boss.login, boss.id
    assert {(a, i) for a, i, _ in _actors(ctx)} == {(boss_login, boss_id),
                                                   (account.login, account.id)}
    assert ("cps.99900034564", account.id, "pending_access") in _actors(ctx)
    # A remplaçant confirmed by the titulaire's card: journaled under the titulaire.
    durand = remplacant(ctx, legrand.id, [TODAY])
    with unit_of(ctx) as uow:
        durand_account = uow.users.by_professional(durand.id)
        assert durand_account is not None
    by_durand = {(a, i) for a, i, _ in _actors(ctx)} - {(account.login, account.id)}
    assert by_durand == {(boss_login, boss_id)}
    assert nurse.rpps == "99900034564"
