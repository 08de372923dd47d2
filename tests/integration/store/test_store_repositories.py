"""Repositories: cabinet isolation, patient search, coverage by date, calendars, settings."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

import pytest

from openfse.errors import Conflict, NotFound
from openfse.store.models import (
    Ald,
    AmcCoverage,
    AmcGestion,
    AmcOrganism,
    AmoCoverage,
    AmoOrganism,
    AppUser,
    DataSource,
    Favourite,
    FavouriteAct,
    Patient,
    Prescriber,
    Professional,
    ProfessionalKind,
    UserRole,
)
from openfse.store.models.search_text import joined_key, search_key
from openfse.store.repositories import CabinetMismatch
from openfse.store.uow import UnitOfWork

MakeUow = Callable[..., UnitOfWork]


def _add_patients(make_uow: MakeUow, *patients: Patient, cabinet: int | None = None) -> None:
    with make_uow(cabinet) as uow:
        uow.patients.add_all(patients)
        uow.commit()


def _names(patients: list[Patient]) -> list[str]:
    return [f"{p.last_name} {p.first_name}" for p in patients]


# -- cabinet isolation ------------------------------------------------------------------

def test_a_cabinet_never_sees_another_cabinets_patients(
        make_uow: MakeUow, cabinets: tuple[int, int]) -> None:
    mine, neighbour = cabinets
    _add_patients(make_uow, Patient(last_name="Martin", first_name="Lucie"), cabinet=mine)
    _add_patients(make_uow, Patient(last_name="Martin", first_name="Hugo"), cabinet=neighbour)

    with make_uow(neighbour) as uow:
        hugo_id = uow.patients.search("martin")[0].id
    with make_uow(mine) as uow:
        assert _names(uow.patients.search("mar")) == ["Martin Lucie"]
        assert [p.first_name for p in uow.patients.list()] == ["Lucie"]
        assert uow.patients.count() == 1
        assert uow.patients.find(hugo_id) is None
        with pytest.raises(NotFound, match="Patient introuvable"):
            uow.patients.get(hugo_id)


def test_a_row_of_another_cabinet_cannot_be_added_or_deleted(
        make_uow: MakeUow, cabinets: tuple[int, int]) -> None:
    mine, neighbour = cabinets
    with make_uow(neighbour) as uow:
        foreign = uow.patients.add(Patient(last_name="Ailleurs"))
        uow.commit()

    with make_uow(mine) as uow:
        with pytest.raises(CabinetMismatch):
            uow.patients.add(Patient(cabinet_id=neighbour, last_name="Intrus"))
        with pytest.raises(CabinetMismatch):
            uow.patients.delete(foreign)


def test_the_database_refuses_a_coverage_linking_two_cabinets(
        make_uow: MakeUow, cabinets: tuple[int, int]) -> None:
    mine, neighbour = cabinets
    with make_uow(neighbour) as uow:
        foreign = uow.patients.add(Patient(last_name="Ailleurs"))
        uow.commit()

    # Composite key (patient_id, cabinet_id): a coverage of my cabinet cannot name a
    # patient of the neighbour, even when written past the repositories' checks.
    with make_uow(mine) as uow, pytest.raises(Conflict) as raised:
        uow.amo_coverages.add(AmoCoverage(patient_id=foreign.id, regime="01", caisse="349",
                                          centre="9881", source=DataSource.VITALE))
    assert raised.value.code == "bad_reference"


# -- patient search ---------------------------------------------------------------------

def test_search_ignores_accents_and_case_and_matches_first_and_usage_names(
        make_uow: MakeUow) -> None:
    _add_patients(
        make_uow,
        Patient(last_name="Lefèvre", first_name="Élodie"),
        Patient(last_name="Dupont", usage_name="Müller", first_name="Anne-Sophie"),
        Patient(last_name="Éloi", first_name="Marc"),
        Patient(last_name="Martin", first_name="Jean"),
    )

    with make_uow() as uow:
        assert _names(uow.patients.search("elo")) == ["Éloi Marc", "Lefèvre Élodie"]
        assert _names(uow.patients.search("ÉLODIE lef")) == ["Lefèvre Élodie"]
        assert _names(uow.patients.search("lefevre e")) == ["Lefèvre Élodie"]
        assert _names(uow.patients.search("muller")) == ["Dupont Anne-Sophie"]
        assert _names(uow.patients.search("anne sophie")) == ["Dupont Anne-Sophie"]
        assert _names(uow.patients.search("mar", order="desc")) == [
            "Martin Jean", "Éloi Marc"]
        assert uow.patients.search("zzz") == []


def test_search_orders_by_name_and_honours_the_limit(make_uow: MakeUow) -> None:
    _add_patients(make_uow, *(Patient(last_name=name, first_name="A") for name in
                              ["Bernard", "Benoît", "Béranger", "Besson", "Bertin"]))

    with make_uow() as uow:
        assert [p.last_name for p in uow.patients.search("be", limit=3)] == [
            "Benoît", "Béranger", "Bernard"]
        assert [p.last_name for p in uow.patients.search("be", order="desc", limit=2)] == [
            "Besson", "Bertin"]
        assert [p.last_name for p in uow.patients.search("", limit=2)] == [
            "Benoît", "Béranger"]


def test_search_gives_exactly_the_brute_force_answer_on_a_random_population(
        make_uow: MakeUow) -> None:
    rng = random.Random(20261123)
    last = ["Martin", "Martinez", "Marty", "Le Gall", "Legall", "L'Hôte", "Lhote", "Éon",
            "Eon", "Dubois", "Du Bois", "Zoé", "Œillet", "Martín"]
    first = ["Élise", "Elise", "Éloïse", "Marc", "Marc-Antoine", "Zoé", "Jean", "Jeanne"]
    population = [Patient(last_name=rng.choice(last), first_name=rng.choice(first),
                          usage_name=rng.choice([None, None, *last]))
                  for _ in range(300)]
    _add_patients(make_uow, *population)

    def expected(text: str, limit: int) -> list[int]:
        key = search_key(text)
        hits = [p for p in population
                if joined_key(p.last_name, p.first_name).startswith(key)
                or joined_key(p.first_name, p.last_name).startswith(key)
                or (p.usage_name and joined_key(p.usage_name, p.first_name).startswith(key))]
        hits.sort(key=lambda p: (joined_key(p.last_name, p.first_name), p.id))
        return [p.id for p in hits[:limit]]

    with make_uow() as uow:
        for text in ["m", "mar", "MARTIN", "martin e", "le", "le g", "l h", "eo", "é",
                     "zo", "oe", "du", "du b", "jean", "jeanne m", "marc a", "x"]:
            for limit in (1, 7, 50):
                found = [p.id for p in uow.patients.search(text, limit=limit)]
                assert found == expected(text, limit), (text, limit)


def test_lunar_birth_dates_are_kept_as_text_without_a_calendar_date(
        make_uow: MakeUow) -> None:
    _add_patients(
        make_uow,
        Patient(last_name="Diallo", first_name="Awa", nir="2800099123456",
                birth_date_text="19800015", birth_rank=1),
        Patient(last_name="Diallo", first_name="Binta", nir="2800099123456",
                birth_date_text="20100000", birth_rank=1, quality="06"),
        Patient(last_name="Diallo", first_name="Cira", nir="2800099123456",
                birth_date_text="20100000", birth_rank=2, quality="06"),
    )

    with make_uow() as uow:
        family = uow.patients.by_nir("2800099123456")
        twin = uow.patients.find_beneficiary("2800099123456", "20100000", 2)

    assert [(p.first_name, p.birth_date_text, p.birth_date) for p in family] == [
        ("Awa", "19800015", None), ("Binta", "20100000", None), ("Cira", "20100000", None)]
    assert twin is not None and twin.first_name == "Cira"


def test_a_calendar_birth_date_is_derived_from_its_text(make_uow: MakeUow) -> None:
    with make_uow() as uow:
        patient = uow.patients.add(Patient(last_name="Petit", birth_date_text="19830101"))
        patient.birth_date = date(2000, 1, 1)  # the derived date cannot drift from the text
        uow.commit()

    with make_uow() as uow:
        assert uow.patients.get(patient.id).birth_date == date(1983, 1, 1)


# -- coverage -----------------------------------------------------------------------------

def test_coverage_in_force_on_a_date(make_uow: MakeUow) -> None:
    with make_uow() as uow:
        patient = uow.patients.add(Patient(last_name="Garnier", first_name="Lou"))
        patient.amo_coverages = [
            AmoCoverage(regime="01", caisse="349", centre="9881", source=DataSource.VITALE,
                        rights_start=date(2024, 1, 1), rights_end=date(2025, 12, 31)),
            AmoCoverage(regime="02", caisse="351", centre="0000", source=DataSource.ADRI,
                        rights_start=date(2026, 1, 1), exoneration="4"),
        ]
        patient.alds = [Ald(code="8", label="Diabète", cim10="E10",
                            rights_start=date(2025, 6, 23), rights_end=date(2030, 6, 23))]
        patient.amc_coverages = [AmcCoverage(
            amc_number="0780004099", amc_name="ACORIS MUTUELLES", gestion=AmcGestion.SEPAREE,
            formula_code="052", contract_type="00", tiers_payant=True,
            source=DataSource.ATTESTATION, rights_start=date(2026, 1, 1),
            rights_end=date(2026, 12, 31))]
        uow.commit()

    with make_uow() as uow:
        in_2025 = uow.amo_coverages.on(patient.id, date(2025, 3, 1))
        in_2026 = uow.amo_coverages.on(patient.id, date(2026, 3, 1))
        gap = uow.amo_coverages.on(patient.id, date(2023, 12, 31))
        alds_2024 = uow.alds.on(patient.id, date(2024, 1, 1))
        alds_2026 = uow.alds.on(patient.id, date(2026, 1, 1))
        amc_2026 = uow.amc_coverages.on(patient.id, date(2026, 6, 1))
        amc_2027 = uow.amc_coverages.on(patient.id, date(2027, 1, 1))
        history = uow.amo_coverages.for_patient(patient.id)

    assert in_2025 is not None and in_2025.regime == "01"
    assert in_2026 is not None and (in_2026.regime, in_2026.exoneration) == ("02", "4")
    assert gap is None
    assert (alds_2024, [a.code for a in alds_2026]) == ([], ["8"])
    assert [c.formula_code for c in amc_2026] == ["052"] and amc_2027 == []
    assert [c.regime for c in history] == ["02", "01"]


def test_a_coverage_period_cannot_end_before_it_starts(make_uow: MakeUow) -> None:
    with make_uow() as uow:
        patient = uow.patients.add(Patient(last_name="Garnier"))
        with pytest.raises(Conflict):
            uow.alds.add(Ald(patient_id=patient.id, code="8", rights_start=date(2026, 2, 1),
                             rights_end=date(2026, 1, 1)))


def test_deleting_a_patient_deletes_his_coverage(make_uow: MakeUow) -> None:
    with make_uow() as uow:
        patient = uow.patients.add(Patient(last_name="Garnier"))
        patient.alds = [Ald(code="8")]
        uow.commit()
    with make_uow() as uow:
        uow.patients.delete(uow.patients.get(patient.id))
        uow.commit()
    with make_uow() as uow:
        assert uow.alds.count() == 0


# -- professionals, prescribers, users ---------------------------------------------------

def test_a_remplacant_bills_for_the_titulaire_he_replaces_that_day(make_uow: MakeUow) -> None:
    with make_uow() as uow:
        titulaire, remplacant = uow.professionals.add_all([
            Professional(kind=ProfessionalKind.TITULAIRE, last_name="Durand", first_name="Anne",
                         rpps="10003456789", billing_number="06401823", billing_key="4"),
            Professional(kind=ProfessionalKind.REMPLACANT, last_name="Morel", first_name="Théo",
                         rpps="10009876543"),
        ])
        for day in (date(2026, 7, 6), date(2026, 7, 7)):
            uow.professionals.add_replacement_day(remplacant.id, titulaire.id, day)
        with pytest.raises(Conflict):  # one titulaire per remplaçant and day
            uow.professionals.add_replacement_day(remplacant.id, titulaire.id, date(2026, 7, 6))
        uow.commit()

    with make_uow() as uow:
        replaced = uow.professionals.replaced_titulaire(remplacant.id, date(2026, 7, 7))
        off = uow.professionals.replaced_titulaire(remplacant.id, date(2026, 7, 8))
        days = uow.professionals.replacement_days(remplacant.id, date(2026, 7, 1),
                                                  date(2026, 7, 31))
        uow.professionals.remove_replacement_day(remplacant.id, date(2026, 7, 6))
        with pytest.raises(NotFound):
            uow.professionals.remove_replacement_day(remplacant.id, date(2026, 7, 6))
        uow.commit()

    assert replaced is not None and replaced.billing_number == "06401823"
    assert off is None
    assert [d.day for d in days] == [date(2026, 7, 6), date(2026, 7, 7)]
    with make_uow() as uow:
        assert uow.professionals.by_billing_number("06401823") is not None
        assert [p.last_name for p in uow.professionals.active(ProfessionalKind.REMPLACANT)] == [
            "Morel"]


def test_prescribers_and_users(make_uow: MakeUow) -> None:
    with make_uow() as uow:
        uow.prescribers.add_all([Prescriber(last_name="Gallet", first_name="Philippe",
                                            rpps="10001112223"),
                                 Prescriber(last_name="Gâche", first_name="Inès")])
        doctor = uow.professionals.add(Professional(
            kind=ProfessionalKind.TITULAIRE, last_name="Durand", first_name="Anne"))
        uow.users.add(AppUser(login="adurand", display_name="Dr Anne Durand",
                              role=UserRole.TITULAIRE, professional_id=doctor.id))
        uow.commit()

    with make_uow() as uow:
        assert [p.last_name for p in uow.prescribers.search("ga")] == ["Gâche", "Gallet"]
        assert uow.prescribers.by_rpps("10001112223") is not None
        user = uow.users.by_login("adurand")
        assert user is not None and user.role is UserRole.TITULAIRE and user.active


# -- organisms, favourites, preferences ---------------------------------------------------

def test_organism_fiches(make_uow: MakeUow) -> None:
    with make_uow() as uow:
        uow.amo_organisms.add(AmoOrganism(regime="01", caisse="349", centre="9881",
                                          name="CPAM d'Ille-et-Vilaine"))
        uow.amc_organisms.add_all([
            AmcOrganism(number="0780004099", name="ACORIS MUTUELLES", gestion=AmcGestion.SEPAREE,
                        contract_type="0"),
            AmcOrganism(number="311799878", name="ADREA MUTUELLE CENTRE DE GESTION",
                        gestion=AmcGestion.UNIQUE),
        ])
        with pytest.raises(Conflict):
            uow.amo_organisms.add(AmoOrganism(regime="01", caisse="349", centre="9881",
                                              name="Doublon"))
        uow.commit()

    with make_uow() as uow:
        cpam = uow.amo_organisms.by_code("01", "349", "9881")
        assert cpam is not None and uow.amo_organisms.search("cpam")[0] is cpam
        acoris = uow.amc_organisms.by_number("0780004099")
        assert acoris is not None and acoris.gestion is AmcGestion.SEPAREE
        assert [o.number for o in uow.amc_organisms.search("a", order="desc")] == [
            "311799878", "0780004099"]


def test_favourites_keep_their_acts_in_order_and_owner(make_uow: MakeUow) -> None:
    with make_uow() as uow:
        doctor = uow.professionals.add(Professional(
            kind=ProfessionalKind.TITULAIRE, last_name="Durand", first_name="Anne"))
        other = uow.professionals.add(Professional(
            kind=ProfessionalKind.TITULAIRE, last_name="Morel", first_name="Théo"))
        uow.favourites.add_all([
            Favourite(label="Pansement + IFD", professional_id=doctor.id, acts=[
                FavouriteAct(position=1, code="IFD"),
                FavouriteAct(position=0, code="AMI", coefficient=4),
            ]),
            Favourite(label="Prise de sang", professional_id=other.id),
            Favourite(label="Pédiatrie (tous)"),
        ])
        uow.commit()

    with make_uow() as uow:
        mine = uow.favourites.search("p", professional_id=doctor.id)
        assert [f.label for f in mine] == ["Pansement + IFD", "Pédiatrie (tous)"]
        assert [a.code for a in mine[0].acts] == ["AMI", "IFD"]


def test_a_user_preference_overrides_the_cabinet_one(make_uow: MakeUow) -> None:
    with make_uow() as uow:
        user = uow.users.add(AppUser(login="sec", display_name="Secrétariat",
                                     role=UserRole.SECRETAIRE))
        uow.preferences.set("facturation.domicile_par_defaut", False)
        uow.preferences.set("facturation.domicile_par_defaut", True, user_id=user.id)
        uow.preferences.set("amc.tiers_payant", {"mode": "coordonne", "sts": True})
        uow.preferences.set("amc.tiers_payant", {"mode": "standard", "sts": True})
        uow.commit()

    with make_uow() as uow:
        assert uow.preferences.value("facturation.domicile_par_defaut", user_id=user.id) is True
        assert uow.preferences.value("facturation.domicile_par_defaut") is False
        assert uow.preferences.value("amc.tiers_payant", user_id=user.id) == {
            "mode": "standard", "sts": True}
        assert uow.preferences.value("inconnue", default=3) == 3
        uow.preferences.unset("facturation.domicile_par_defaut", user_id=user.id)
        assert uow.preferences.value("facturation.domicile_par_defaut", user_id=user.id) is False
        assert uow.preferences.count() == 2
