"""Mes favoris (services.favourites) on a real SQLite database holding the demo cabinet
(LEGRAND, médecin) plus a nurse: codes checked against NGAP/COx/CCAM for the owner's
profession, act lines in order, owners, search, journal, and ``acts_as_draft`` priced by the
real engine."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from openfse.config import Settings
from openfse.domain.pricing.contract import price_document
from openfse.domain.pricing.tariffs import ReferentialTariffs
from openfse.referentials.ccam import bundled_catalog
from openfse.services import favourites
from openfse.services.favourites import FavouriteActLine, FavouriteView
from openfse.services.prescribers import InvalidForm
from openfse.services.setup import session_factory_for
from openfse.store.journal import JournalAction
from openfse.store.models import Cabinet, Professional, ProfessionalKind
from openfse.store.uow import UnitOfWork

TODAY = date(2026, 3, 2)
CCAM = bundled_catalog()
MakeUow = Callable[[], UnitOfWork]
_labels = itertools.count(1)


# ``settings``: the module's demo cabinet (tests/services/conftest.py).
@pytest.fixture(scope="module")
def cabinet(settings: Settings) -> dict[str, Any]:
    sessions = session_factory_for(settings)
    with sessions() as session:
        cabinet_id = session.query(Cabinet.id).scalar()

    def make_uow() -> UnitOfWork:
        return UnitOfWork(sessions, cabinet_id=cabinet_id, actor="test", actor_user_id=None)

    with make_uow() as uow:
        doctor = next(p for p in uow.professionals.active() if p.last_name == "LEGRAND")
        nurse = Professional(kind=ProfessionalKind.TITULAIRE, last_name="SOIN", first_name="Inès",
                             profession_code="60")  # ANS code profession 60: infirmier
        uow.journal_change(nurse, JournalAction.CREATE)
        uow.commit()
    return {"make_uow": make_uow, "doctor": doctor.id, "nurse": nurse.id}


@pytest.fixture()
def make_uow(cabinet: dict[str, Any]) -> MakeUow:
    return cabinet["make_uow"]  # type: ignore[no-any-return]


def _label(stem: str) -> str:
    return f"{stem} {next(_labels)}"


def _create(make_uow: MakeUow, owner: int | None, *acts: dict[str, object],
            label: str | None = None) -> FavouriteView:
    return favourites.create(make_uow(), {"label": label or _label("Soin"),
                                          "professional_id": owner, "acts": list(acts)},
                             on=TODAY, ccam=CCAM)


def _errors(make_uow: MakeUow, owner: int | None, *acts: dict[str, object]) -> dict[str, str]:
    with pytest.raises(InvalidForm) as excinfo:
        _create(make_uow, owner, *acts)
    return excinfo.value.errors


def test_a_nurse_favourite_becomes_priceable_acts(make_uow: MakeUow,
                                                   cabinet: dict[str, Any]) -> None:
    # « Pansement lourd » at home: AMI 4 and the indemnité forfaitaire typed IFA (= IFD).
    favourite = _create(make_uow, cabinet["nurse"],
                        {"code": "ami", "coefficient": "4", "quantity": "1",
                         "travel_allowance_code": "ifa"},
                        label=_label("Pansement lourd"))
    assert favourite.acts == (FavouriteActLine(code="AMI", nomenclature="NGAP",
                                               coefficient=Decimal("4"),
                                               travel_allowance_code="IFD"),)
    acts = favourites.acts_as_draft(favourite)
    assert acts == [
        {"code": "AMI", "nomenclature": "NGAP", "quantity": 1, "coefficient": Decimal("4")},
        {"code": "IFD", "nomenclature": "NGAP", "quantity": 1},
    ]
    priced = price_document({"date_soins": "2026-03-02", "profession": "infirmier",
                             "patient": {"age": 70, "parcours": "non_concerne"}, "acts": acts},
                            ReferentialTariffs(CCAM))
    # AMI 4 × 3,15 € = 12,60 € ; IFD 2,75 € (avenant 10, 28/01/2024) ; total 15,35 €.
    assert priced["total_honoraires"] == Decimal("15.35")


def test_a_doctor_favourite_mixes_ngap_cox_and_ccam(make_uow: MakeUow,
                                                     cabinet: dict[str, Any]) -> None:
    favourite = _create(
        make_uow, cabinet["doctor"],
        {"code": "G"},
        {"code": "COE", "qualificatif": "e"},
        {"code": "aflb001", "modifiers": "f", "activity": "1", "phase": "0",
         "unit_price": "40,00"},
        {"code": "", "quantity": ""},  # an empty row of the form is ignored
    )
    assert [(a.code, a.nomenclature) for a in favourite.acts] == [
        ("G", "NGAP"), ("COE", "COX"), ("AFLB001", "CCAM")]
    assert favourite.acts[1].qualificatif == "E"
    assert favourites.acts_as_draft(favourite)[2] == {
        "code": "AFLB001", "nomenclature": "CCAM", "quantity": 1, "activity": 1, "phase": 0,
        "modifiers": ["F"], "unit_price": Decimal("40.00")}
    assert favourite.summary() == "G · COE · AFLB001 F"


def test_codes_are_checked_for_the_owner_profession(make_uow: MakeUow,
                                                    cabinet: dict[str, Any]) -> None:
    errors = _errors(make_uow, cabinet["doctor"], {"code": "AMI", "coefficient": "4"})
    # AMI is a nurse's key: the médecin has no tariff for it on 02/03/2026.
    assert errors == {"acts[0].code": "Le code NGAP « AMI » (Soin infirmier) existe "
                      "mais openfse n'en connaît pas le tarif pour la profession médecin au "
                      "02/03/2026 : saisissez le prix unitaire."}
    # As in the pricing contract, a unit price makes an unknown code acceptable.
    priced = _create(make_uow, cabinet["doctor"], {"code": "AMI", "unit_price": "3.15"})
    assert priced.acts[0].unit_price == Decimal("3.15")
    # A cabinet favourite may use the codes of every profession practised in the cabinet.
    shared = _create(make_uow, None, {"code": "AMI", "coefficient": "2"}, {"code": "G"})
    assert [a.code for a in shared.acts] == ["AMI", "G"]


def test_ccam_lines_coefficients_and_modifiers_are_checked(make_uow: MakeUow,
                                                           cabinet: dict[str, Any]) -> None:
    errors = _errors(make_uow, cabinet["doctor"],
                     {"code": "AFLB001", "coefficient": "2", "activity": "4", "modifiers": "K"},
                     {"code": "ZZZZ999"},
                     {"code": "G", "modifiers": "F", "coefficient": "0,0005"})
    assert errors["acts[0].coefficient"].startswith("Un acte CCAM n'a pas de coefficient")
    assert errors["acts[0].modifiers"] == ("Modificateur K non autorisé pour AFLB001 "
                                           "(autorisés : F, P, S, U).")
    assert errors["acts[1].code"].startswith("Code CCAM inconnu : « ZZZZ999 »")
    assert errors["acts[2].modifiers"] == "Les modificateurs ne concerne que les actes CCAM."
    assert errors["acts[2].coefficient"].startswith("Le coefficient est un nombre positif")
    line_error = _errors(make_uow, cabinet["doctor"], {"code": "AFLB001", "activity": "4"})
    assert line_error["acts[0].activity"] == ("L'acte AFLB001 n'a pas d'activité 4 en phase 0 "
                                              "(activité/phase possibles : 1/0).")


def test_quantities_prices_qualificatifs_and_indemnities_are_checked(
        make_uow: MakeUow, cabinet: dict[str, Any]) -> None:
    errors = _errors(make_uow, cabinet["nurse"],
                     {"code": "AMI", "quantity": "0", "unit_price": "3,155",
                      "qualificatif": "Z", "travel_allowance_code": "MD"})
    assert errors["acts[0].quantity"] == "La quantité est un nombre entier de 1 à 99 (« 0 » saisi)."
    assert errors["acts[0].unit_price"].startswith("Le prix unitaire est un montant en euros")
    assert errors["acts[0].qualificatif"].startswith("Qualificatif de dépense : valeur « Z »")
    # MD is the médecin's déplacement; the nurse's indemnités are IFD (and its alias IFA).
    assert errors["acts[0].travel_allowance_code"] == (
        "Indemnité forfaitaire inconnue : « MD ». Valeurs possibles : IFD (Indemnité "
        "forfaitaire de déplacement).")


def test_a_favourite_needs_a_label_an_act_and_a_known_owner(make_uow: MakeUow) -> None:
    with pytest.raises(InvalidForm) as excinfo:
        favourites.create(make_uow(), {"label": "", "professional_id": "9999", "acts": []},
                          on=TODAY, ccam=CCAM)
    assert excinfo.value.errors == {
        "label": "Le libellé du soin est requis.",
        "professional_id": "Professionnel introuvable dans ce cabinet : choisissez dans la "
                           "liste (ou « Tout le cabinet »).",
        "acts": "Ajoutez au moins un soin au favori (« Ajouter un soin »).",
    }


def test_labels_are_unique_per_owner_only(make_uow: MakeUow, cabinet: dict[str, Any]) -> None:
    label = _label("Visite")
    _create(make_uow, cabinet["doctor"], {"code": "VG"}, label=label)
    errors = _errors_for_label(make_uow, cabinet["doctor"], label.upper())
    assert errors["label"].startswith(f"Un favori s'appelle déjà « {label} »")
    assert _create(make_uow, None, {"code": "VG"}, label=label).label == label


def _errors_for_label(make_uow: MakeUow, owner: int, label: str) -> dict[str, str]:
    with pytest.raises(InvalidForm) as excinfo:
        _create(make_uow, owner, {"code": "VG"}, label=label)
    return excinfo.value.errors


def test_search_by_owner_and_label_prefix_in_both_orders(make_uow: MakeUow,
                                                         cabinet: dict[str, Any]) -> None:
    nurse_only = _create(make_uow, cabinet["nurse"], {"code": "AIS", "coefficient": "3"},
                         label="Toilette XYZ")
    shared = _create(make_uow, None, {"code": "G"}, label="Tension XYZ")
    doctor_only = _create(make_uow, cabinet["doctor"], {"code": "G"}, label="Tisane XYZ")
    ids = lambda rows: [row.id for row in rows]  # noqa: E731
    assert ids(favourites.search(make_uow(), "t")) == [shared.id, doctor_only.id,
                                                      nurse_only.id]
    assert ids(favourites.search(make_uow(), "t", order="desc")) == [
        nurse_only.id, doctor_only.id, shared.id]
    assert ids(favourites.search(make_uow(), "t", professional_id=cabinet["nurse"])) == [
        shared.id, nurse_only.id]
    assert ids(favourites.search(make_uow(), "t", professional_id="cabinet")) == [shared.id]
    assert favourites.search(make_uow(), "toil")[0].summary() == "AIS 3"


def test_update_reorders_acts_and_delete_journals_everything(make_uow: MakeUow,
                                                            cabinet: dict[str, Any]) -> None:
    created = _create(make_uow, cabinet["nurse"], {"code": "AMI", "coefficient": "1"},
                      {"code": "AIS", "coefficient": "3"})
    updated = favourites.update(make_uow(), created.id, {
        "label": created.label, "professional_id": str(cabinet["nurse"]),
        "acts": [{"code": "AIS", "coefficient": "3"}, {"code": "AMI", "coefficient": "1,5"}],
    }, on=TODAY, ccam=CCAM)
    assert [(a.code, a.coefficient) for a in updated.acts] == [
        ("AIS", Decimal("3")), ("AMI", Decimal("1.5"))]
    assert favourites.get(make_uow(), created.id) == updated
    favourites.delete(make_uow(), created.id)
    assert favourites.search(make_uow(), created.label) == []
    with make_uow() as uow:
        entries = [(e.entity, e.action) for e in uow.journal_entries.recent(limit=20)]
    # 2 acts created, then on update 2 deleted and 2 created, then on delete 2 + the favourite.
    assert entries[:3] == [("favourite", "delete"), ("favourite_act", "delete"),
                           ("favourite_act", "delete")]
    assert entries.count(("favourite_act", "create")) >= 4


def test_pick_lists_follow_the_profession_and_the_date() -> None:
    nurse_codes = {key.code for key in favourites.code_choices(["infirmier"], TODAY)}
    assert {"AMI", "AIS", "IFD"} <= nurse_codes and "G" not in nurse_codes
    travel = [key.code for key in favourites.travel_allowance_choices(["medecin"], TODAY)]
    assert travel == ["ID", "MD", "MDD", "MDI", "MDN"]  # NGAP kind "deplacement"
    assert favourites.code_label("G", "NGAP", ["medecin"], TODAY, CCAM).startswith("Consultation")
    assert favourites.code_label("AFLB001", "CCAM", [], TODAY, CCAM).startswith("Injection")


def test_the_json_api_gives_acts_ready_for_pricing(settings: Settings,
                                                   cabinet: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient

    from security.sessions import logged_in  # tests/security: log-in for the guard

    from openfse.web.app import create_app

    with logged_in(TestClient(create_app(settings)), settings) as client:
        refused = client.post("/api/favourites", params={"on": "2026-03-02"}, json={
            "label": "API", "professional_id": cabinet["nurse"],
            "acts": [{"code": "AMI", "coefficient": "4,5"}, {"code": "ZZ"}]})
        assert refused.status_code == 422
        assert list(refused.json()["error"]["fields"]) == ["acts[1].code"]
        created = client.post("/api/favourites", params={"on": "2026-03-02"}, json={
            "label": _label("API"), "professional_id": cabinet["nurse"],
            "acts": [{"code": "AMI", "coefficient": "4.5", "travel_allowance_code": "IFD"}]})
        assert created.status_code == 201
        assert created.json()["acts"][0]["coefficient"] == "4.5"  # a string, never a float
        acts = client.get(f"/api/favourites/{created.json()['id']}/draft-acts").json()
        assert acts == [{"code": "AMI", "nomenclature": "NGAP", "quantity": 1,
                         "coefficient": "4.5"},
                        {"code": "IFD", "nomenclature": "NGAP", "quantity": 1}]
        priced = client.post("/api/price", json={
            "date_soins": "2026-03-02", "profession": "infirmier",
            "patient": {"age": 70, "parcours": "non_concerne"}, "acts": acts})
        # AMI 4,5 × 3,15 € = 14,175 → 14,18 € (half-up, per line) ; + IFD 2,75 € = 16,93 €.
        assert '"total_honoraires": 16.93' in priced.text
        nurse = client.get("/api/favourites", params={"professional_id": cabinet["nurse"]})
        assert created.json()["id"] in [f["id"] for f in nurse.json()]
