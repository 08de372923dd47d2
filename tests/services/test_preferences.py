"""Profils / préférences (services.preferences): documented defaults, typed validation,
cabinet values, per-user overrides, the journal — on a real SQLite database."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from openfse.config import Settings
from openfse.domain.rights import AdriMode
from openfse.errors import InvalidInput
from openfse.services import preferences
from openfse.services.preferences import Preferences, TiersPayantAmc
from openfse.services.prescribers import InvalidForm
from openfse.services.setup import ensure_cabinet, initialise, session_factory_for
from openfse.store.journal import JournalAction
from openfse.store.models import AppUser, UserRole
from openfse.store.uow import UnitOfWork

MakeUow = Callable[[], UnitOfWork]


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"OPENFSE_HOME": str(tmp_path)})


@pytest.fixture()
def make_uow(settings: Settings) -> MakeUow:
    """A new cabinet for each test: preferences are cabinet-wide state."""
    initialise(settings)
    sessions = session_factory_for(settings)
    cabinet_id = ensure_cabinet(sessions)
    return lambda: UnitOfWork(sessions, cabinet_id=cabinet_id, actor="test", actor_user_id=None)


def _user(make_uow: MakeUow, login: str) -> int:
    with make_uow() as uow:
        user = AppUser(login=login, display_name=login, role=UserRole.SECRETAIRE)
        uow.journal_change(user, JournalAction.CREATE)
        uow.commit()
        return user.id


def test_a_new_cabinet_has_the_documented_defaults(make_uow: MakeUow) -> None:
    prefs = preferences.get_all(make_uow())
    assert prefs == Preferences()
    # Manuel eS-KAP+: « Appel automatique ciblé (défaut) », « Utilisation des STS (activé par
    # défaut) ».
    assert prefs.adri_mode is AdriMode.AUTOMATIQUE_CIBLE is AdriMode.default()
    assert prefs.sts_enabled and prefs.tiers_payant_amc is TiersPayantAmc.STANDARD
    assert prefs.default_payment_type is None and not prefs.home_visit_by_default


def test_saving_from_a_form_types_every_value_and_journals(make_uow: MakeUow) -> None:
    saved = preferences.save(make_uow(), {
        "adri_mode": "systematique", "tiers_payant_amc": "coordonne", "sts_enabled": False,
        "home_visit_by_default": "on", "default_payment_type": "cb",
    })
    assert saved.adri_mode is AdriMode.SYSTEMATIQUE
    assert saved.tiers_payant_amc is TiersPayantAmc.COORDONNE
    assert saved.home_visit_by_default and not saved.sts_enabled
    assert saved.default_payment_type == "cb"
    assert saved.show_amounts_recap  # not sent: unchanged default
    assert preferences.get_all(make_uow()) == saved
    with make_uow() as uow:
        entries = uow.journal_entries.recent()
        assert {e.entity for e in entries} == {"preference"} and len(entries) == 5
    # Saving the same values again changes (and journals) nothing.
    preferences.save(make_uow(), {"adri_mode": "systematique"})
    with make_uow() as uow:
        assert len(uow.journal_entries.recent()) == 5


def test_wrong_values_are_refused_field_by_field(make_uow: MakeUow) -> None:
    with pytest.raises(InvalidForm) as excinfo:
        preferences.save(make_uow(), {"adri_mode": "parfois", "default_payment_type": "bitcoin",
                                      "act_series": "peut-être"})
    errors = excinfo.value.errors
    assert errors["adri_mode"].startswith("Mode ADRi inconnu")
    assert errors["default_payment_type"].startswith("Type de paiement : valeur « bitcoin » "
                                                     "inconnue. Valeurs possibles : cheque")
    assert errors["act_series"] == "Case à cocher : valeur « oui » ou « non » attendue."
    with pytest.raises(InvalidInput, match="Préférence inconnue : couleur"):
        preferences.save(make_uow(), {"couleur": "bleu"})
    assert preferences.get_all(make_uow()) == Preferences()  # nothing saved


def test_a_user_value_wins_over_the_cabinet_and_can_be_reset(make_uow: MakeUow) -> None:
    alice, bob = _user(make_uow, "alice"), _user(make_uow, "bob")
    preferences.save(make_uow(), {"home_visit_by_default": True, "default_payment_type": "cheque"})
    preferences.save(make_uow(), {"default_payment_type": "especes"}, user_id=alice)
    mine = preferences.get_all(make_uow(), user_id=alice)
    assert mine.default_payment_type == "especes" and mine.home_visit_by_default
    assert preferences.get_all(make_uow(), user_id=bob).default_payment_type == "cheque"
    assert preferences.reset_user(make_uow(), alice).default_payment_type == "cheque"


def test_my_preferences_keep_only_what_differs_from_the_cabinet(make_uow: MakeUow) -> None:
    # Rule (issue 5, « Profils »): each professional sets his own values over the cabinet's
    # defaults; a value equal to the cabinet's is not his own, so he follows later changes.
    alice = _user(make_uow, "alice")
    preferences.save(make_uow(), {"tiers_payant_amc": "coordonne"})
    mine = preferences.save_own(make_uow(), {
        "tiers_payant_amc": "coordonne", "home_visit_by_default": "on",
        "default_payment_type": "especes"}, user_id=alice)
    assert mine.own == {"home_visit_by_default", "default_payment_type"}
    assert mine.in_force.home_visit_by_default and not mine.cabinet.home_visit_by_default
    assert mine.in_force.tiers_payant_amc is TiersPayantAmc.COORDONNE
    # The titulaire goes back to standard: Alice, who never chose, follows.
    preferences.save(make_uow(), {"tiers_payant_amc": "standard"})
    assert preferences.for_user(make_uow(), alice).in_force.tiers_payant_amc is (
        TiersPayantAmc.STANDARD)
    # Alice sets home visits back to the cabinet's value: her own row goes (journaled).
    again = preferences.save_own(make_uow(), {"home_visit_by_default": False}, user_id=alice)
    assert again.own == {"default_payment_type"} and not again.in_force.home_visit_by_default
    with make_uow() as uow:
        assert set(uow.preferences.rows(alice)) == {"default_payment_type"}
        deleted = [e for e in uow.journal_entries.recent() if e.action == JournalAction.DELETE]
    assert len(deleted) == 1
    assert preferences.get_all(make_uow()).default_payment_type is None  # cabinet untouched


def test_a_wrong_own_value_is_refused_and_saves_nothing(make_uow: MakeUow) -> None:
    alice = _user(make_uow, "alice")
    with pytest.raises(InvalidForm) as refused:
        preferences.save_own(make_uow(), {"act_series": "on", "adri_mode": "parfois"},
                             user_id=alice)
    assert refused.value.errors["adri_mode"].startswith("Mode ADRi inconnu")
    assert preferences.for_user(make_uow(), alice).own == frozenset()


def test_get_all_works_inside_an_open_unit_of_work(make_uow: MakeUow) -> None:
    preferences.save(make_uow(), {"act_series": True})
    with make_uow() as uow:  # another service's transaction
        assert preferences.get_all(uow).act_series
        assert uow.session.is_active  # still usable after the read


def test_a_stored_value_no_longer_valid_falls_back_to_the_default(make_uow: MakeUow) -> None:
    with make_uow() as uow:
        uow.preferences.set("adri_mode", "ancien_mode")
        uow.preferences.set("sts_enabled", "oui ?")
        uow.commit()
    prefs = preferences.get_all(make_uow())
    assert prefs.adri_mode is AdriMode.AUTOMATIQUE_CIBLE and prefs.sts_enabled


def test_every_preference_has_a_french_label_and_every_mode_its_explanation() -> None:
    # The télétransmission delays are set on the télétransmission screen (TRANSMISSION_SPECS).
    specs = preferences.SPECS + preferences.TRANSMISSION_SPECS
    assert [spec.key for spec in specs] == list(Preferences.__dataclass_fields__)
    assert set(preferences.ADRI_MODE_HELP) == set(AdriMode)
    assert dict(preferences.payment_choices())["especes"] == "Espèces"


def test_the_json_api_reads_changes_and_resets(settings: Settings,
                                               make_uow: MakeUow) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient

    from openfse.web.app import create_app

    user = _user(make_uow, "carole")
    from security.sessions import logged_in  # tests/security: log-in for the guard

    with logged_in(TestClient(create_app(settings)), settings) as client:
        assert client.get("/api/preferences").json()["adri_mode"] == "automatique_cible"
        changed = client.put("/api/preferences", json={"adri_mode": "manuel"})
        assert changed.status_code == 200 and changed.json()["adri_mode"] == "manuel"
        assert changed.json()["sts_enabled"] is True  # keys not sent are unchanged
        own = client.put("/api/preferences", params={"user_id": user},
                         json={"default_payment_type": "especes"})
        assert own.json()["default_payment_type"] == "especes"
        assert client.get("/api/preferences").json()["default_payment_type"] is None
        reset = client.delete(f"/api/preferences/users/{user}")
        assert reset.json()["default_payment_type"] is None
        wrong = client.put("/api/preferences", json={"tiers_payant_amc": "partiel"})
        assert wrong.status_code == 422
        assert wrong.json()["error"]["fields"]["tiers_payant_amc"] == (  # the schema's enum
            "Valeur attendue : 'standard' ou 'coordonne'.")
