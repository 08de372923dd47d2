"""Patient use cases on a real SQLite database holding the demo cabinet.

Each test gets its own copy of a demo database built once per module, the simulated card
reader with the shipped test cards, the simulated appli carte Vitale and the in-process ADRi
simulator (data set ``openfse/simulators/data/adri/beneficiaires.yaml``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker
from uow_support import unit_of

from openfse.adapters.cards.errors import ApcvQrRejected, CpsRequired, WrongCard
from openfse.adapters.cards.port import ApcvNfc, ApcvQr
from openfse.adapters.teleservices.port import AdriRequest, AdriUnavailable
from openfse.composition.inprocess_adri import InProcessAdriClient
from openfse.composition.simulated_apcv import SimulatedApcvProvider
from openfse.composition.simulated_cards import SimulatedReader
from openfse.config import Settings
from openfse.domain.cards import StatusColour
from openfse.errors import Conflict, InvalidInput, NotFound
from openfse.services import amc_coverage, patients
from openfse.services.patient_forms import (
    AldInput,
    PatientFormErrors,
    PatientInput,
    PeriodInput,
    identity_differences,
    parse_birth_date,
)
from openfse.services.teleservices import (
    ADRI_UNAVAILABLE_MESSAGE,
    AdriFound,
    AdriMismatch,
    AdriUnavailableResult,
)
from openfse.store.db import make_engine, session_factory
from openfse.store.journal import JournalEntry
from openfse.store.models import (
    Ald,
    AmcCoverage,
    AmoCoverage,
    DataSource,
    FamilyLink,
    FamilyRelation,
    Patient,
)
from openfse.store.uow import UnitOfWork

DEMO_DAY = date(2026, 3, 2)
TODAY = date(2026, 3, 2)

# 1 83 01 75 111 001 → key 97 − (1830175111001 mod 97) = 49 (openfse.ids.nir doctest).
NIR_DUPONT = "1 83 01 75 111 001 49"


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from openfse.composition.demo import load_demo
    from openfse.services.setup import engine_for

    home = tmp_path_factory.mktemp("patients-demo")
    settings = Settings.from_env({"OPENFSE_HOME": str(home)})
    load_demo(settings, today=DEMO_DAY)
    engine_for(settings).dispose()  # the WAL is checkpointed: the file can be copied
    return home


@dataclass
class Desk:
    sessions: sessionmaker[Session]
    cabinet_id: int

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, cabinet_id=self.cabinet_id, actor="test",
                          actor_user_id=None)

    def patient(self, last_name: str, first_name: str) -> Patient:
        with self.uow() as uow:
            found = [p for p in uow.patients.search(f"{last_name} {first_name}")
                     if p.last_name == last_name and p.first_name == first_name]
            assert len(found) == 1, (last_name, first_name, found)
            return found[0]

    def rows(self, model: type, patient_id: int) -> list:  # type: ignore[type-arg]
        with self.uow() as uow:
            return list(uow.session.scalars(
                select(model).where(model.patient_id == patient_id).order_by(model.id)))

    def journal(self, entity: str, entity_id: int) -> list[JournalEntry]:
        with self.uow() as uow:
            return list(uow.session.scalars(
                select(JournalEntry).where(JournalEntry.entity == entity,
                                           JournalEntry.entity_id == str(entity_id))
                .order_by(JournalEntry.id)))


@pytest.fixture()
def desk(demo_template: Path, tmp_path: Path) -> Iterator[Desk]:
    home = tmp_path / "home"
    shutil.copytree(demo_template, home)
    engine = make_engine(f"sqlite:///{home / 'openfse.db'}")
    sessions = session_factory(engine)
    with sessions() as session:
        cabinet_id = session.scalar(text("SELECT min(id) FROM cabinet"))
    yield Desk(sessions, int(cabinet_id))
    engine.dispose()


def manual_input(**changes: object) -> PatientInput:
    base = PatientInput(
        last_name="Dupont", first_name="Jean", sex="M", birth_date="01/01/1983",
        nir=NIR_DUPONT, mobile_phone="06 01 02 03 04", address_line1="3 rue des Lilas",
        postal_code="75011", city="Paris", ik_plain_km="4,5", amo_regime="01",
        amo_caisse="751", amo_centre="9881", code_gestion="10",
        piece_justificative="attestation", taux_remboursement="100_ald",
        periods=(PeriodInput("2026-01-01", "2026-12-31", "4"),),
        alds=(AldInput("8", "Diabète", "E11", "2025-01-01", "2029-12-31"),),
        notes="Préfère les rendez-vous le matin", notes_flagged=True,
        alert="Allergie à l'aspirine",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- manual creation


def test_manual_creation_saves_identity_amo_periods_ald_and_journals_each_row(desk: Desk) -> None:
    patient = patients.create_patient(desk.uow(), manual_input(), TODAY)

    assert patient.nir == "183017511100149" and patient.beneficiary_nir == "183017511100149"
    assert patient.birth_date_text == "19830101" and patient.birth_date == date(1983, 1, 1)
    assert patient.ik_plain_km == Decimal("4.5") and patient.mobile_phone == "0601020304"
    assert patient.source is DataSource.MANUEL and patient.notes_flagged
    [amo] = desk.rows(AmoCoverage, patient.id)
    assert (amo.regime, amo.caisse, amo.centre, amo.exoneration) == ("01", "751", "9881", "4")
    # An attestation was shown (pièce « attestation »): the rights come from it.
    assert amo.source is DataSource.ATTESTATION and amo.taux_remboursement == "100_ald"
    assert (amo.rights_start, amo.rights_end) == (date(2026, 1, 1), date(2026, 12, 31))
    [ald] = desk.rows(Ald, patient.id)
    assert (ald.code, ald.cim10) == ("8", "E11")
    assert [e.action for e in desk.journal("patient", patient.id)] == ["create"]
    assert [e.action for e in desk.journal("amo_coverage", amo.id)] == ["create"]
    assert [e.action for e in desk.journal("ald", ald.id)] == ["create"]
    # Notes and alert are journaled as changed, never copied (journal redaction).
    assert desk.journal("patient", patient.id)[0].changes["alert"]["after"] == "[masqué]"


def test_a_wrong_nir_key_is_refused_naming_the_key_and_nothing_is_saved(desk: Desk) -> None:
    with desk.uow() as uow:
        before = uow.patients.count()
    with pytest.raises(PatientFormErrors) as caught:
        patients.create_patient(desk.uow(), manual_input(nir="1 83 01 75 111 001 12"), TODAY)
    # 1830175111001 mod 97 = 48, key 97 − 48 = 49: the typed 12 is wrong.
    assert caught.value.errors == {"nir": "Clé du NIR incorrecte : 12 saisie, 49 attendue."}
    with desk.uow() as uow:
        assert uow.patients.count() == before


def test_every_wrong_field_is_reported_at_once(desk: Desk) -> None:
    bad = manual_input(last_name=" ", birth_date="31/02/1983", birth_rank="12",
                       mobile_phone="12345", ik_plain_km="4,55", amo_centre="98",
                       periods=(PeriodInput("2026-12-31", "2026-01-01", ""),),
                       alds=(AldInput("", "sans numéro"),))
    with pytest.raises(PatientFormErrors) as caught:
        patients.create_patient(desk.uow(), bad, TODAY)
    errors = caught.value.errors
    assert list(errors) == ["last_name", "birth_date", "birth_rank", "mobile_phone",
                            "ik_plain_km", "amo_centre", "periods-0-end", "ald-0-code"]
    assert "Date lunaire" in errors["birth_date"]  # 31/02 is out of the calendar
    assert "une décimale" in errors["ik_plain_km"]
    assert caught.value.field == "last_name"


def test_a_provisional_nir_requires_caisse_and_centre(desk: Desk) -> None:
    # 7 83 01 75 111 001 → key 40 (openfse.ids.nir doctest): a provisional number (AME).
    provisional = manual_input(nir="7 83 01 75 111 001 40", amo_regime="", amo_caisse="",
                               amo_centre="", piece_justificative="", taux_remboursement="",
                               code_gestion="", periods=())
    with pytest.raises(PatientFormErrors) as caught:
        patients.create_patient(desk.uow(), provisional, TODAY)
    assert set(caught.value.errors) == {"amo_regime", "amo_caisse", "amo_centre"}
    assert "841 5623" in caught.value.errors["amo_caisse"]  # the seed's example
    created = patients.create_patient(
        desk.uow(), replace(provisional, amo_regime="01", amo_caisse="841", amo_centre="5623"),
        TODAY)
    assert [(r.caisse, r.centre) for r in desk.rows(AmoCoverage, created.id)] == [("841",
                                                                                   "5623")]


def test_a_lunar_birth_date_is_kept_verbatim_only_when_declared(desk: Desk) -> None:
    with pytest.raises(PatientFormErrors) as caught:
        patients.create_patient(desk.uow(), manual_input(birth_date="15/00/1980"), TODAY)
    assert set(caught.value.errors) == {"birth_date"}
    patient = patients.create_patient(
        desk.uow(), manual_input(birth_date="15001980", lunar=True), TODAY)
    assert patient.birth_date_text == "19800015" and patient.birth_date is None


def test_birth_dates_are_read_the_way_a_french_desk_types_them() -> None:
    assert parse_birth_date("01/02/1983", lunar=False) == "19830201"
    assert parse_birth_date("01021983", lunar=False) == "19830201"  # JJMMAAAA
    assert parse_birth_date("19830201", lunar=False) == "19830201"  # AAAAMMJJ
    assert parse_birth_date("1983-02-01", lunar=False) == "19830201"
    # Both readings have a plausible year: the calendar one wins (19/12/1980).
    assert parse_birth_date("19121980", lunar=False) == "19801219"
    with pytest.raises(InvalidInput, match="obligatoire"):
        parse_birth_date(" ", lunar=False)


def test_the_same_beneficiary_cannot_be_created_twice(desk: Desk) -> None:
    first = patients.create_patient(desk.uow(), manual_input(), TODAY)
    with pytest.raises(patients.DuplicatePatient) as caught:
        patients.create_patient(desk.uow(), manual_input(first_name="Jeannot"), TODAY)
    assert caught.value.patient_id == first.id
    # Twins share NIR and birth date: the rang tells them apart (aide eS-KAP+).
    twin = patients.create_patient(desk.uow(), manual_input(birth_rank="2"), TODAY)
    assert twin.id != first.id


def test_an_unknown_amo_organism_named_by_the_desk_joins_the_cabinet_list(desk: Desk) -> None:
    data = manual_input(amo_regime="08", amo_caisse="758", amo_centre="0200",
                        amo_organism_name="CNMSS Personnel")
    patients.create_patient(desk.uow(), data, TODAY)
    with desk.uow() as uow:
        organism = uow.amo_organisms.by_code("08", "758", "0200")
        assert organism is not None and organism.name == "CNMSS Personnel"
        assert organism.user_edited
    found = patients.search_amo_organisms(desk.uow(), "08 758")
    assert "CNMSS Personnel" in [o.name for o in found]
    assert all((o.regime, o.caisse) == ("08", "758") for o in found)
    assert all(o.name.upper().startswith("CPAM") for o in
               patients.search_amo_organisms(desk.uow(), "cpam"))


def test_a_company_is_created_without_nir_and_found_by_its_name(desk: Desk) -> None:
    company = patients.create_patient(
        desk.uow(), PatientInput(is_company=True, company_name="Transports Rapides SAS",
                                 company_siret="732 829 320 00074", city="Lyon"), TODAY)
    assert company.is_company and company.nir is None and company.company_siret == (
        "73282932000074")
    assert [p.id for p in patients.search_patients(desk.uow(), "transports rap")] == [company.id]
    with pytest.raises(PatientFormErrors) as caught:
        patients.create_patient(desk.uow(), PatientInput(is_company=True,
                                                         company_siret="123"), TODAY)
    assert set(caught.value.errors) == {"company_name", "company_siret"}


# --------------------------------------------------------------------------- modification


def test_modifying_a_manual_file_updates_removes_and_adds_rows_with_journal(desk: Desk) -> None:
    patient = patients.create_patient(desk.uow(), manual_input(), TODAY)
    [old_amo] = desk.rows(AmoCoverage, patient.id)
    [old_ald] = desk.rows(Ald, patient.id)
    changed = manual_input(
        first_name="Jean-Marc", periods=(PeriodInput("2026-01-01", "2026-06-30", "0"),
                                         PeriodInput("2026-07-01", "", "")),
        alds=())
    patients.update_patient(desk.uow(), patient.id, changed, TODAY)

    file = patients.open_file(desk.uow(), patient.id, TODAY)
    assert file.patient.first_name == "Jean-Marc"
    assert [(r.rights_start, r.rights_end) for r in file.amo] == [
        (date(2026, 7, 1), None), (date(2026, 1, 1), date(2026, 6, 30))]
    assert file.alds == []
    assert [e.action for e in desk.journal("amo_coverage", old_amo.id)] == ["create", "update"]
    assert [e.action for e in desk.journal("ald", old_ald.id)] == ["create", "delete"]
    update = desk.journal("patient", patient.id)[-1]
    assert update.changes["first_name"] == {"before": "Jean", "after": "Jean-Marc"}
    # The form of the file gives back what was typed (oldest period first).
    form = patients.form_of(file)
    assert [p.start for p in form.periods] == ["2026-01-01", "2026-07-01"]
    assert form.ik_plain_km == "4,5" and form.birth_date == "01/01/1983"


def test_a_card_file_keeps_its_identity_and_only_contact_details_change(desk: Desk) -> None:
    paul = desk.patient("MARTIN", "PAUL")
    assert paul.source is DataSource.VITALE
    typed = PatientInput(last_name="MARTINEZ", mobile_phone="0611223344", city="Paris",
                         ik_mountain_km="2")
    updated = patients.update_patient(desk.uow(), paul.id, typed, TODAY)
    assert updated.last_name == "MARTIN" and updated.mobile_phone == "0611223344"
    assert updated.ik_mountain_km == Decimal("2.0")
    # Through the API the same attempt is refused, naming the field.
    with pytest.raises(patients.IdentityLocked) as caught:
        patients.update_patient(desk.uow(), paul.id, typed, TODAY, strict_identity=True)
    assert caught.value.field == "last_name"
    same = PatientInput(last_name="Martin", nir="178 04 75 115 012 17", birth_date="12/04/1978",
                        birth_rank="", quality="", city="Lyon")
    assert patients.update_patient(desk.uow(), paul.id, same, TODAY,
                                   strict_identity=True).city == "Lyon"


def test_identity_differences_ignore_blank_fields_and_formatting() -> None:
    stored = {"last_name": "MARTIN", "first_name": "PAUL", "nir": "178047511501217",
              "birth_date_text": "19780412", "birth_rank": 1, "quality": "00"}
    assert identity_differences(PatientInput(birth_rank="", quality=""), stored) == []
    assert identity_differences(PatientInput(nir="1 78 04 75 115 012 17", birth_rank="1",
                                             birth_date="1978-04-12"), stored) == []
    assert identity_differences(PatientInput(first_name="PAULO", birth_rank="2",
                                             quality=""), stored) == ["first_name", "birth_rank"]


# --------------------------------------------------------------------------- delete / merge


def test_deleting_a_file_deletes_its_coverage_and_links_journaling_each(desk: Desk) -> None:
    patient = patients.create_patient(desk.uow(), manual_input(), TODAY)
    relative = desk.patient("MARTIN", "LEA")
    link = patients.link_family(desk.uow(), patient.id, relative.id, "enfant")
    [amo] = desk.rows(AmoCoverage, patient.id)

    patients.delete_patient(desk.uow(), patient.id)

    with pytest.raises(NotFound):
        patients.open_file(desk.uow(), patient.id, TODAY)
    assert desk.rows(AmoCoverage, patient.id) == [] and desk.rows(Ald, patient.id) == []
    assert [e.action for e in desk.journal("patient", patient.id)] == ["create", "delete"]
    assert [e.action for e in desk.journal("amo_coverage", amo.id)] == ["create", "delete"]
    assert [e.action for e in desk.journal("family_link", link.id)] == ["create", "delete"]
    assert patients.open_file(desk.uow(), relative.id, TODAY).family == ()


def test_without_invoices_a_file_has_none_and_can_be_deleted(desk: Desk) -> None:
    paul = desk.patient("MARTIN", "PAUL")
    with desk.uow() as uow:
        assert patients.patient_has_invoices(uow, paul.id) is False
    assert patients.open_file(desk.uow(), paul.id, TODAY).has_invoices is False


@pytest.fixture()
def billing(demo_template: Path, tmp_path: Path) -> Iterator[Any]:
    """The whole application context (billing needs its referentials) on a demo copy."""
    from openfse.services.context import AppContext

    home = tmp_path / "billing"
    shutil.copytree(demo_template, home)
    ctx = AppContext.open(Settings.from_env({"OPENFSE_HOME": str(home)}))
    yield ctx
    ctx.engine.dispose()


def validated_g(ctx: Any, patient_id: int) -> Any:
    """A validated G consultation (30,00 €, no tiers payant) for the patient."""
    from openfse.domain.invoice import InvoiceDraft
    from openfse.domain.pricing import parse_draft
    from openfse.services import invoicing
    from openfse.store.models import ProfessionalKind

    with unit_of(ctx) as uow:
        owner = next(p for p in uow.professionals.list()
                     if p.kind is ProfessionalKind.TITULAIRE)
    draft = InvoiceDraft(professional_id=owner.id, patient_id=patient_id, pricing=parse_draft({
        "date_soins": TODAY.isoformat(), "profession": "medecin",
        "ps": {"specialite": "medecine_generale", "secteur": 1},
        "patient": {"age": 45, "parcours": "medecin_traitant"}, "acts": [{"code": "G"}]}))
    return invoicing.validate_invoice(unit_of(ctx), draft,
                                      refs=invoicing.InvoiceReferentials.of(ctx), today=TODAY,
                                      now=datetime(2026, 3, 2, 10, tzinfo=UTC)).invoice


def billed_patient(ctx: Any, last_name: str, first_name: str) -> Patient:
    with unit_of(ctx) as uow:
        [patient] = [p for p in uow.patients.search(f"{last_name} {first_name}")
                     if p.first_name == first_name]
    return patient


def test_a_file_with_invoices_cannot_be_deleted_and_merging_is_proposed(billing: Any) -> None:
    arthur = billed_patient(billing, "MICHEL", "ARTHUR")
    validated_g(billing, arthur.id)
    with unit_of(billing) as uow:
        assert patients.patient_has_invoices(uow, arthur.id)
    with pytest.raises(patients.PatientHasInvoices, match="Fusionnez-le"):
        patients.delete_patient(unit_of(billing), arthur.id)
    assert patients.open_file(unit_of(billing), arthur.id, TODAY).has_invoices


def test_balances_come_from_the_invoices(billing: Any) -> None:
    arthur = billed_patient(billing, "MICHEL", "ARTHUR")
    brother = billed_patient(billing, "VINCENT", "RAPHAEL")
    validated_g(billing, arthur.id)
    validated_g(billing, brother.id)
    validated_g(billing, brother.id)
    patients.link_family(unit_of(billing), arthur.id, brother.id, "frere_soeur")
    # No tiers payant: the patient owes the whole G, 30,00 €. Arthur 30 + Raphaël 2 × 30 = 90.
    file = patients.open_file(unit_of(billing), arthur.id, TODAY)
    assert file.unpaid == Decimal("30.00")
    assert [m.unpaid for m in file.family] == [Decimal("60.00")]
    assert file.family_balance == Decimal("90.00")
    assert patients.family_balance(unit_of(billing), brother.id) == Decimal("90.00")


def test_validated_invoices_stay_with_their_file_when_merging(billing: Any) -> None:
    arthur = billed_patient(billing, "MICHEL", "ARTHUR")
    validated_g(billing, arthur.id)
    duplicate = patients.create_patient(unit_of(billing), manual_input(), TODAY)
    # The invoiced file cannot be the one removed: its invoices are frozen.
    with pytest.raises(Conflict) as caught:
        patients.merge_patients(unit_of(billing), duplicate.id, arthur.id)
    assert caught.value.code == "merge_validated_invoices"
    assert patients.open_file(unit_of(billing), arthur.id, TODAY).has_invoices
    # The other way round works: the duplicate goes into the invoiced file.
    kept = patients.merge_patients(unit_of(billing), arthur.id, duplicate.id)
    assert kept.id == arthur.id and kept.alert == "Allergie à l'aspirine"


def test_merging_moves_coverage_family_and_fills_the_kept_file(desk: Desk) -> None:
    keep = patients.create_patient(desk.uow(), manual_input(mobile_phone="", alert=""), TODAY)
    gone = patients.create_patient(desk.uow(), manual_input(
        first_name="J.", birth_rank="2", mobile_phone="0699887766", alert="Diabétique",
        notes="", periods=(PeriodInput("2025-01-01", "2025-12-31", ""),),
        alds=(AldInput("5", "Insuffisance cardiaque", "I50"),)), TODAY)
    lea = desk.patient("MARTIN", "LEA")
    paul = desk.patient("MARTIN", "PAUL")
    patients.link_family(desk.uow(), gone.id, lea.id, FamilyRelation.ENFANT)
    patients.link_family(desk.uow(), paul.id, gone.id, FamilyRelation.FRERE_SOEUR)
    patients.link_family(desk.uow(), keep.id, gone.id, FamilyRelation.AUTRE)
    [gone_amo] = desk.rows(AmoCoverage, gone.id)

    merged = patients.merge_patients(desk.uow(), keep.id, gone.id)

    assert merged.mobile_phone == "0699887766" and merged.alert == "Diabétique"
    file = patients.open_file(desk.uow(), keep.id, TODAY)
    assert len(file.amo) == 2 and {a.code for a in file.alds} == {"8", "5"}
    assert {(m.patient.first_name, m.relation) for m in file.family} == {
        ("LEA", FamilyRelation.ENFANT), ("PAUL", FamilyRelation.FRERE_SOEUR)}
    with pytest.raises(NotFound):
        patients.open_file(desk.uow(), gone.id, TODAY)
    moved = desk.journal("amo_coverage", gone_amo.id)[-1]
    assert moved.changes["patient_id"] == {"before": gone.id, "after": keep.id}
    assert "fusion" in desk.journal("patient", gone.id)[-1].summary
    with pytest.raises(InvalidInput):
        patients.merge_patients(desk.uow(), keep.id, keep.id)


# --------------------------------------------------------------------------- family


def test_family_links_read_both_ways_and_refuse_duplicates(desk: Desk) -> None:
    paul, lea = desk.patient("MARTIN", "PAUL"), desk.patient("MARTIN", "LEA")
    link = patients.link_family(desk.uow(), paul.id, lea.id, "enfant")
    assert [(m.patient.id, m.relation) for m in
            patients.open_file(desk.uow(), paul.id, TODAY).family] == [
        (lea.id, FamilyRelation.ENFANT)]
    # Seen from Léa's file, Paul is her parent.
    assert [(m.patient.id, m.relation) for m in
            patients.open_file(desk.uow(), lea.id, TODAY).family] == [
        (paul.id, FamilyRelation.PARENT)]
    with pytest.raises(Conflict):
        patients.link_family(desk.uow(), lea.id, paul.id, "parent")
    with pytest.raises(InvalidInput):
        patients.link_family(desk.uow(), paul.id, paul.id, "autre")
    with pytest.raises(InvalidInput, match="inconnu"):
        patients.link_family(desk.uow(), paul.id, lea.id, "voisin")
    patients.unlink_family(desk.uow(), lea.id, link.id)
    assert patients.open_file(desk.uow(), paul.id, TODAY).family == ()
    with desk.uow() as uow:
        assert uow.session.get(FamilyLink, link.id) is None


def test_family_balance_adds_what_each_member_owes(desk: Desk,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    paul, lea, hugo = (desk.patient("MARTIN", n) for n in ("PAUL", "LEA", "HUGO"))
    patients.link_family(desk.uow(), paul.id, lea.id, "enfant")
    patients.link_family(desk.uow(), hugo.id, paul.id, "parent")
    assert patients.family_balance(desk.uow(), paul.id) == Decimal("0")  # no invoice yet
    owed = {paul.id: Decimal("12.50"), lea.id: Decimal("69.35"), hugo.id: Decimal("0")}
    monkeypatch.setattr(patients, "unpaid_total", lambda uow, pid: owed[pid])
    # 12,50 (Paul) + 69,35 (Léa) + 0 (Hugo) = 81,85 €
    assert patients.family_balance(desk.uow(), paul.id) == Decimal("81.85")
    file = patients.open_file(desk.uow(), lea.id, TODAY)  # Léa is linked to Paul only
    assert file.unpaid == Decimal("69.35") and file.family_balance == Decimal("81.85")


# --------------------------------------------------------------------------- carte Vitale / ApCV


def reader_with(*cards: str) -> SimulatedReader:
    reader = SimulatedReader()
    for name in cards:
        reader.insert(name)
    return reader


def test_vitale_beneficiaries_are_coloured_against_the_base(desk: Desk) -> None:
    reading = patients.read_vitale(desk.uow(), reader_with("cps_titulaire", "vitale_famille"))
    assert [e.status.colour for e in reading.entries] == [StatusColour.GREEN] * 4
    # The desk changed Hugo's first name by mistake: the card shows it in yellow.
    hugo = desk.patient("MARTIN", "HUGO")
    with desk.uow() as uow:
        uow.session.execute(text("UPDATE patient SET first_name = 'UGO' WHERE id = :id"),
                            {"id": hugo.id})
        uow.commit()
    reading = patients.read_vitale(desk.uow(), reader_with("cps_titulaire", "vitale_famille"))
    yellow = [e for e in reading.entries if e.status.colour is StatusColour.YELLOW]
    assert [(d.field, d.card_value, d.file_value) for d in yellow[0].status.differences] == [
        ("prenom", "HUGO", "UGO")]
    # « Mettre à jour » from the card: green again, the change journaled.
    result = patients.import_beneficiary(desk.uow(), yellow[0].beneficiary, DataSource.VITALE,
                                         TODAY)
    assert not result.created and result.patient.first_name == "HUGO"
    assert desk.journal("patient", hugo.id)[-1].changes["first_name"]["after"] == "HUGO"
    reading = patients.read_vitale(desk.uow(), reader_with("cps_titulaire", "vitale_famille"))
    assert {e.status.colour for e in reading.entries} == {StatusColour.GREEN}


def test_a_grey_beneficiary_becomes_a_card_file_with_its_rights(desk: Desk) -> None:
    reader = reader_with("cps_titulaire", "vitale_sans_amc")
    [entry] = patients.read_vitale(desk.uow(), reader).entries
    assert entry.status.colour is StatusColour.GREY
    result = patients.import_beneficiary(desk.uow(), entry.beneficiary, DataSource.VITALE, TODAY)
    assert result.created and result.patient.source is DataSource.VITALE
    [amo] = desk.rows(AmoCoverage, result.patient.id)
    assert amo.piece_justificative == "carte_vitale" and amo.source is DataSource.VITALE
    [entry] = patients.read_vitale(desk.uow(), reader).entries
    assert entry.status.colour is StatusColour.GREEN
    assert patients.find_beneficiary_id(desk.uow(), entry.beneficiary) == result.patient.id


def test_the_c2s_written_on_the_card_becomes_a_card_mutuelle(desk: Desk) -> None:
    karim = desk.patient("LEROY", "KARIM")  # demo patient of vitale_c2s
    [amc] = desk.rows(AmcCoverage, karim.id)
    assert amc.contract_type == "89" and amc.source is DataSource.VITALE
    [entry] = patients.read_vitale(desk.uow(), reader_with("cps_titulaire", "vitale_c2s")).entries
    assert entry.status.colour is StatusColour.GREEN  # same AMC number on card and file


def test_reading_the_vitale_needs_the_cps_and_a_card(desk: Desk) -> None:
    with pytest.raises(CpsRequired):
        patients.read_vitale(desk.uow(), reader_with("vitale_famille"))
    with pytest.raises(WrongCard, match="Carte Vitale attendue"):
        patients.read_vitale(desk.uow(), reader_with("cps_titulaire"))


def test_the_appli_carte_vitale_reads_by_qr_code_once_or_by_nfc(desk: Desk) -> None:
    phone = SimulatedApcvProvider()
    payload = phone.show_qr("vitale_at")
    reading = patients.read_apcv(desk.uow(), phone, ApcvQr(payload))
    assert reading.adri_required  # ApCV: ADRi is always called (manuel eS-KAP+)
    [entry] = reading.entries
    assert entry.status.colour is StatusColour.GREY
    result = patients.import_beneficiary(desk.uow(), entry.beneficiary, DataSource.APCV, TODAY)
    assert result.patient.source is DataSource.APCV
    assert desk.rows(AmoCoverage, result.patient.id)[0].piece_justificative == (
        "appli_carte_vitale")
    with pytest.raises(ApcvQrRejected):  # a QR code is good for one session only
        patients.read_apcv(desk.uow(), phone, ApcvQr(payload))
    phone.present_phone("vitale_at")
    [entry] = patients.read_apcv(desk.uow(), phone, ApcvNfc()).entries
    assert entry.status.colour is StatusColour.GREEN


# --------------------------------------------------------------------------- ADRi


class DownAdri:
    def query(self, request: AdriRequest, on: date) -> object:
        raise AdriUnavailable("connexion_impossible", attempts=3, elapsed=1.5)


def test_adri_renews_the_rights_the_card_shows_closed(desk: Desk) -> None:
    anne = desk.patient("PETIT", "ANNE")  # vitale_droits_expires: card rights end 31/12/2024
    assert patients.open_file(desk.uow(), anne.id, TODAY).rights_closed
    file, result = patients.query_patient_rights(desk.uow(), InProcessAdriClient(), anne.id,
                                                 TODAY)
    assert isinstance(result, AdriFound) and result.answer.amo_open
    comparison = patients.compare_with_adri(desk.uow(), anne.id, result.answer, TODAY)
    droits = next(f for f in comparison.fields if f.key == "droits")
    assert (droits.file_value, droits.adri_value) == ("du 01/01/2022 au 31/12/2024",
                                                       "du 01/01/2025 au …")
    assert [f.key for f in comparison.differences] == ["droits"]

    patients.apply_adri(desk.uow(), anne.id, result.answer, {"droits"}, TODAY)

    file = patients.open_file(desk.uow(), anne.id, TODAY)
    assert not file.rights_closed
    adri_row = file.rights_today
    assert adri_row is not None and adri_row.source is DataSource.ADRI
    assert (adri_row.rights_start, adri_row.rights_end) == (date(2025, 1, 1), None)
    assert desk.journal("amo_coverage", adri_row.id)[0].summary == "droits ADRi du 02/03/2026"
    assert patients.compare_with_adri(desk.uow(), anne.id, result.answer,
                                      TODAY).differences == ()


def test_keeping_the_file_values_changes_nothing(desk: Desk) -> None:
    anne = desk.patient("PETIT", "ANNE")
    _, result = patients.query_patient_rights(desk.uow(), InProcessAdriClient(), anne.id, TODAY)
    assert isinstance(result, AdriFound)
    before = desk.rows(AmoCoverage, anne.id)
    patients.apply_adri(desk.uow(), anne.id, result.answer, set(), TODAY)
    assert [(r.id, r.rights_end) for r in desk.rows(AmoCoverage, anne.id)] == [
        (r.id, r.rights_end) for r in before]
    with pytest.raises(InvalidInput):
        patients.apply_adri(desk.uow(), anne.id, result.answer, {"nom"}, TODAY)


def test_adri_down_is_a_result_with_the_message_to_show(desk: Desk) -> None:
    anne = desk.patient("PETIT", "ANNE")
    _, result = patients.query_patient_rights(desk.uow(), DownAdri(), anne.id, TODAY)
    assert isinstance(result, AdriUnavailableResult)
    assert result.message == ADRI_UNAVAILABLE_MESSAGE


def test_adri_answering_for_someone_else_asks_the_adrun_question(desk: Desk) -> None:
    # Manuel eS-KAP+ « Consultation ADRI - ADRUN »: the file says ADRUN without first name.
    adrun = patients.create_patient(desk.uow(), PatientInput(
        last_name="ADRUN", nir="148081305500387", birth_date="14/08/1948", amo_regime="01",
        amo_caisse="349", amo_centre="9881"), TODAY)
    file, result = patients.query_patient_rights(desk.uow(), InProcessAdriClient(), adrun.id,
                                                 TODAY)
    assert isinstance(result, AdriMismatch)
    assert "ADRUN Baptiste" in result.message
    assert not patients.same_person(file, result.returned)


def test_creating_by_adri_brings_rights_ald_and_the_ame(desk: Desk) -> None:
    # AME, provisional NIR 8: ADRi needs caisse 841 and centre 5623 (aide eS-KAP+).
    request = AdriRequest.create(nir="890059935001131", birth_date="08/05/1990", rang=1,
                                 regime="01", caisse="841", centre="5623")
    result = patients.query_adri(InProcessAdriClient(), request, TODAY)
    assert isinstance(result, AdriFound)
    patient = patients.create_from_adri(desk.uow(), result.answer, TODAY)
    assert patient.source is DataSource.ADRI and patient.last_name == "KOUASSI"
    [amo] = desk.rows(AmoCoverage, patient.id)
    assert (amo.caisse, amo.centre, amo.rights_start) == ("841", "5623", date(2026, 2, 1))
    [amc] = desk.rows(AmcCoverage, patient.id)
    assert amc.amc_name == "Aide médicale de l'État" and amc.source is DataSource.ADRI
    # Recorded as an AME whatever number ADRi gives it (its own kept beside), so that the
    # file prices it as an AME: 100 % AMO, tiers payant (domain/coverage.py).
    assert (amc.amc_number, amc.complementary_number) == ("75500017", "018415623")
    assert amc_coverage.situation_of(amc.amc_number, amc.contract_type).value == "ame"
    with pytest.raises(patients.DuplicatePatient):
        patients.create_from_adri(desk.uow(), result.answer, TODAY)


def test_adri_closed_rights_are_reported_as_closed(desk: Desk) -> None:
    # DUBOIS Jean: rights until 30/06/2026 only (simulator data set).
    request = AdriRequest.create(nir="152066912304548", birth_date="1952-06-21", rang=1,
                                 regime="01")
    result = patients.query_adri(InProcessAdriClient(), request, date(2026, 11, 23))
    assert isinstance(result, AdriFound) and not result.answer.amo_open
    patient = patients.create_from_adri(desk.uow(), result.answer, date(2026, 11, 23))
    assert patients.open_file(desk.uow(), patient.id, date(2026, 11, 23)).rights_closed


def test_a_file_without_nir_or_organism_cannot_query_adri(desk: Desk) -> None:
    company = desk.patient("SARL BATIPRO", "")
    with pytest.raises(InvalidInput):
        patients.query_patient_rights(desk.uow(), InProcessAdriClient(), company.id, TODAY)
    bare = patients.create_patient(desk.uow(), manual_input(
        amo_regime="", amo_caisse="", amo_centre="", code_gestion="", piece_justificative="",
        taux_remboursement="", periods=()), TODAY)
    with pytest.raises(InvalidInput) as caught:
        patients.query_patient_rights(desk.uow(), InProcessAdriClient(), bare.id, TODAY)
    assert caught.value.field == "amo_regime"


# --------------------------------------------------------------------------- pending store


def test_rights_state_on_a_day() -> None:
    day = date(2026, 3, 2)
    # One rights state for the AMO rights and the mutuelles (domain/coverage.py).
    assert patients.rights_state(date(2026, 1, 1), None, day).word == "ouverts"
    assert patients.rights_state(date(2025, 1, 1), date(2026, 3, 1), day).word == "fermés"
    assert patients.rights_state(date(2026, 3, 3), None, day).word == "à venir"
    assert patients.rights_state(None, None, day).word == "non datés"
    assert patients.rights_state is amc_coverage.rights_state
