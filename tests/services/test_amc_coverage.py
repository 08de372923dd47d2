"""Mutuelles of a patient (services.amc_coverage): the fiche's rules, shortcuts, card-read
contracts, renewal, organisms, attestation pre-fill — on a real SQLite database."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from openfse.adapters.teleservices.attestation_format import (
    AttestationExpired,
    AttestationNoCode,
    AttestationUnreadableImage,
    format_attestation_payload,
)
from openfse.config import Settings
from openfse.domain.rights import AmcAttestation
from openfse.errors import Conflict, InvalidInput, NotFound
from openfse.ids import amc as amc_id
from openfse.periods import Period
from openfse.referentials import organisms
from openfse.services import amc_coverage as amc
from openfse.services.setup import ensure_cabinet, initialise, session_factory_for
from openfse.store.journal import JournalAction
from openfse.store.models import AmcCoverage, AmcGestion, DataSource, Patient
from openfse.store.uow import UnitOfWork

TODAY = date(2026, 11, 23)
MakeUow = Callable[[], UnitOfWork]

# The manuel eS-KAP+ fiche (« Mutuelle »): ALMERYS, Typ conv / CSR AL/001, adhérent 75822319,
# indicateur 22 « DRE TP », date de référence « Date d'exécution de la séance ».
ALMERYS_FORM = {
    "amc_number": "98532001",
    "amc_name": "ALMERYS",
    "piece_justificative": "attestation",
    "gestion": "separee",
    "rights_start": "2026-01-01",
    "rights_end": "31/12/2026",
    "tiers_payant": "oui",
    "adherent_number": "75822319",
    "convention_type": "al",
    "csr": "001",
    "treatment_indicator": "22",
    "reference_date_code": "execution",
    "formula_code": "02a",
    "formula_parameter": "150,5",
    "contrat_responsable": "oui",
}


@pytest.fixture(scope="module")
def make_uow(tmp_path_factory: pytest.TempPathFactory) -> MakeUow:
    home: Path = tmp_path_factory.mktemp("amc")
    settings = Settings.from_env({"OPENFSE_HOME": str(home)})
    initialise(settings)
    sessions = session_factory_for(settings)
    cabinet_id = ensure_cabinet(sessions)  # with the shipped AMC organism list
    return lambda: UnitOfWork(sessions, cabinet_id=cabinet_id, actor="test", actor_user_id=None)


_names = itertools.count(1)


@pytest.fixture()
def patient_id(make_uow: MakeUow) -> int:
    with make_uow() as uow:
        patient = Patient(
            last_name=f"MUTUEL{next(_names)}", first_name="ANNE", source=DataSource.MANUEL
        )
        uow.journal_change(patient, JournalAction.CREATE)
        uow.commit()
        return patient.id


def _card_coverage(make_uow: MakeUow, patient_id: int, **fields: object) -> int:
    """A contract as the card reader writes it (source vitale)."""
    values: dict[str, object] = {
        "amc_number": "99999997",
        "amc_name": "C2S GEREE PAR LA CAISSE",
        "gestion": AmcGestion.UNIQUE,
        "contract_type": "89",
        "rights_start": date(2025, 6, 1),
        "rights_end": date(2026, 5, 31),
        "tiers_payant": True,
        **fields,
    }
    with make_uow() as uow:
        row = AmcCoverage(patient_id=patient_id, source=DataSource.VITALE, **values)
        uow.journal_change(row, JournalAction.CREATE)
        uow.commit()
        return row.id


def _errors(values: dict[str, str]) -> dict[str, str]:
    with pytest.raises(amc.AmcCoverageInvalid) as caught:
        amc.parse(values, TODAY)
    return caught.value.errors


# --------------------------------------------------------------------------- the fiche


def test_the_seed_fiche_is_read_with_normalised_codes() -> None:
    data = amc.parse(ALMERYS_FORM, TODAY)

    assert (data.amc_number, data.amc_name, data.gestion) == (
        "98532001",
        "ALMERYS",
        AmcGestion.SEPAREE,
    )
    # ISO from <input type=date> and JJ/MM/AAAA typed by hand are both dates.
    assert (data.rights_start, data.rights_end) == (date(2026, 1, 1), date(2026, 12, 31))
    # Codes are upper-cased as printed: « AL/001 », formula « 02A ».
    assert (data.convention_type, data.csr, data.formula_code) == ("AL", "001", "02A")
    # « 150,5 » typed with a French comma is 150.5 % of the TR.
    assert data.formula_parameter == Decimal("150.5")
    assert (data.treatment_indicator, data.reference_date_code) == ("22", "execution")
    assert data.tiers_payant and data.contrat_responsable
    assert data.situation is amc.Situation.MUTUELLE


def test_every_problem_is_reported_at_once_next_to_its_field() -> None:
    errors = _errors(
        {
            **ALMERYS_FORM,
            "amc_number": "12345",
            "amc_name": " ",
            "rights_start": "2026-12-31",
            "rights_end": "2026-01-01",
            "csr": "00001",
        }
    )

    assert set(errors) == {"amc_number", "amc_name", "rights_end", "csr"}
    assert errors["amc_number"] == "Le numéro AMC doit comporter de 7 à 10 chiffres (5 saisis)."
    assert "Nom de l'organisme obligatoire" in errors["amc_name"]
    assert errors["rights_end"] == (
        "La fin des droits (01/01/2026) précède leur début (31/12/2026)."
    )
    assert errors["csr"].startswith("Critère secondaire (CSR) : 3 caractères au plus")


def test_the_rights_period_and_the_gestion_are_required() -> None:
    errors = _errors(
        {**ALMERYS_FORM, "rights_start": "", "rights_end": "31/02/2026", "gestion": ""}
    )

    assert "Année en cours" in errors["rights_start"]
    assert (
        errors["rights_end"] == "Fin des droits : date invalide « 31/02/2026 » (format JJ/MM/AAAA)."
    )
    assert errors["gestion"] == "Choisissez la gestion : séparée ou unique."


def test_an_unknown_formula_is_refused_in_french() -> None:
    # 030 is printed on some cards but not documented in the corpus (amc_formulas).
    errors = _errors({**ALMERYS_FORM, "formula_code": "030", "formula_parameter": ""})

    assert errors["formula_code"].startswith("Formule AMC inconnue : « 030 ».")
    assert "052" in errors["formula_code"]


@pytest.mark.parametrize(
    ("formula", "parameter", "field", "expected"),
    [
        # 02A takes the percentage of the TR printed on the card (manuel eS-KAP+,
        # « Pourcentage TR »).
        ("02A", "", "formula_parameter", "exige un paramètre"),
        # 052 is 100 % TM by itself: another percentage is a typing error.
        ("052", "150", "formula_parameter", "ne prend pas de paramètre"),
        ("012", "33.333", "formula_parameter", "deux décimales au plus"),
        ("012", "cent", "formula_parameter", "un pourcentage"),
        ("012", "1500", "formula_parameter", "hors limites"),
        ("", "150", "formula_parameter", "Paramètre saisi sans formule"),
    ],
)
def test_the_formula_parameter_is_checked_as_the_pricing_engine_will(
    formula: str, parameter: str, field: str, expected: str
) -> None:
    errors = _errors({**ALMERYS_FORM, "formula_code": formula, "formula_parameter": parameter})
    assert expected in errors[field]


def test_an_indicator_typed_in_lower_case_is_the_printed_code() -> None:
    # Open list: « 22 » is known (manuel eS-KAP+), other 2-character codes are accepted.
    assert (
        amc.parse({**ALMERYS_FORM, "treatment_indicator": "a1"}, TODAY).treatment_indicator == "A1"
    )
    assert (
        "indicateur de traitement"
        in _errors({**ALMERYS_FORM, "treatment_indicator": "A"})["treatment_indicator"].lower()
    )


def test_a_fixed_formula_keeps_no_parameter() -> None:
    # 052 = 100 % TM: « 100 » is accepted (it is the formula's own percentage), stored as none.
    data = amc.parse({**ALMERYS_FORM, "formula_code": "052", "formula_parameter": "100"}, TODAY)
    assert (data.formula_code, data.formula_parameter) == ("052", None)


@pytest.mark.parametrize(
    ("number", "contract_type", "expected"),
    [
        ("98532001", None, amc.Situation.MUTUELLE),
        ("0098532001", "0", amc.Situation.MUTUELLE),
        ("12345674", "89", amc.Situation.C2S),  # type de contrat 89 is the C2S (manuel eS-KAP+)
        ("99999997", None, amc.Situation.C2S),  # C2S gérée par la caisse (dossier LOGOSw)
        ("88888888", "89", amc.Situation.C2S),  # C2S gérée par un organisme (dossier LOGOSw)
        ("55555551", None, amc.Situation.SORTANT_C2S),
        ("75500017", "04", amc.Situation.AME),  # carte AME (dossier LOGOSw)
        ("97900062", None, amc.Situation.REGIME_MAHORAIS),
    ],
)
def test_the_situation_comes_from_the_number_and_the_contract_type(
    number: str, contract_type: str | None, expected: amc.Situation
) -> None:
    assert amc.situation_of(number, contract_type) is expected


def test_the_shipped_organism_list_names_the_special_numbers_as_the_code_treats_them() -> None:
    # Dossier LOGOSw: 99999997 and 88888888 are the C2S itself (managed by the caisse /
    # by an organism, type de contrat 89), 55555551 the sortant de C2S. The list once labelled
    # the two C2S numbers « Sortant de C2S » while the coverage code treated them as C2S.
    for number, label in amc_id.SPECIAL_NUMBERS.items():
        listed = organisms.find_amc(number)
        assert listed is not None, number
        situation = amc.situation_of(number, listed.contract_type or None)
        assert listed.kind == situation.value, (number, listed.kind, situation)
        if situation is amc.Situation.C2S:
            assert listed.name == label and listed.contract_type == "89"
            assert listed.gestion == "unique"  # dossier LOGOSw
    # Every kind of the list means the same situation to the coverage code.
    for listed in organisms.amc_organisms():
        situation = amc.situation_of(listed.number, listed.contract_type or None)
        expected = listed.kind if listed.kind in {s.value for s in amc.Situation} else "mutuelle"
        assert situation.value == expected, (listed.number, listed.kind, situation)


@pytest.mark.parametrize(
    ("number", "formula", "expected"),
    [
        ("75500017", "052", "AME : pas de formule complémentaire"),
        ("55555551", "052", "Sortant de C2S : pas de formule complémentaire"),
        ("99999997", "052", "formule 029"),  # the C2S pays the TM up to the tarif
    ],
)
def test_special_situations_refuse_a_formula_that_would_mislead_the_pricing(
    number: str, formula: str, expected: str
) -> None:
    errors = _errors(
        {**ALMERYS_FORM, "amc_number": number, "formula_code": formula, "formula_parameter": ""}
    )
    assert expected in errors["formula_code"]


# --------------------------------------------------------------------------- pre-filling


def test_a_blank_fiche_has_the_seed_defaults() -> None:
    blank = amc.blank_form()
    assert set(blank) == set(amc.FIELD_NAMES)
    assert (
        blank["gestion"],
        blank["piece_justificative"],
        blank["tiers_payant"],
        blank["contrat_responsable"],
        blank["reference_date_code"],
    ) == ("separee", "attestation", "oui", "oui", "execution")


def test_the_current_year_button_fills_the_first_and_last_day_of_the_year() -> None:
    filled = amc.apply_current_year({"amc_name": "typed"}, TODAY)
    assert filled == {"amc_name": "typed", "rights_start": "2026-01-01", "rights_end": "2026-12-31"}


@pytest.mark.parametrize("shortcut", amc.SHORTCUTS, ids=lambda s: s.key)
def test_every_shortcut_gives_a_valid_fiche_once_the_period_is_set(
    shortcut: amc.Shortcut,
) -> None:
    values, applied = amc.apply_shortcut(
        amc.apply_current_year(amc.blank_form(), TODAY), shortcut.key
    )
    data = amc.parse(values, TODAY)
    assert applied is shortcut
    assert data.amc_number == shortcut.values["amc_number"]
    assert shortcut.source.startswith("LOGOSw, « Dossier du patient »")  # docs/sources.md


def test_the_c2s_shortcut_sets_contract_89_gestion_unique_and_formula_029() -> None:
    values, shortcut = amc.apply_shortcut(
        {"amc_organism_id": "12", "adherent_number": "X1"}, "c2s_caisse"
    )
    assert (
        values["amc_number"],
        values["contract_type"],
        values["gestion"],
        values["formula_code"],
        values["tiers_payant"],
    ) == ("99999997", "89", "unique", "029", "oui")
    assert values["amc_organism_id"] == ""  # not the fiche picked before
    assert values["adherent_number"] == "X1"  # what was typed stays
    assert "89" in shortcut.explanation


def test_the_ame_shortcut_says_the_amo_pays_100_percent_and_sets_no_formula() -> None:
    values, shortcut = amc.apply_shortcut(amc.blank_form(), "ame")
    assert (values["amc_number"], values["contract_type"], values["formula_code"]) == (
        "75500017",
        "04",
        "",
    )
    assert "100 % du tarif de responsabilité" in shortcut.explanation


def test_an_unknown_shortcut_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Raccourci inconnu"):
        amc.apply_shortcut({}, "cmu")


# --------------------------------------------------------------------------- rights period


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), amc.RightsState.OUVERTS),
        (date(2025, 1, 1), date(2026, 11, 22), amc.RightsState.FERMES),  # ended yesterday
        (date(2025, 1, 1), date(2026, 11, 23), amc.RightsState.OUVERTS),  # ends today
        (date(2026, 11, 24), date(2027, 11, 23), amc.RightsState.A_VENIR),
        (None, None, amc.RightsState.NON_DATES),  # a card without dates: not known closed
    ],
)
def test_rights_state_on_a_day(
    start: date | None, end: date | None, expected: amc.RightsState
) -> None:
    assert amc.rights_state(start, end, TODAY) is expected


def test_renewal_period_is_the_current_year_without_overlapping_the_old_one() -> None:
    # Closed on 31/12/2025, renewed on 23/11/2026: 01/01/2026 → 31/12/2026.
    assert amc.renewal_period(date(2025, 12, 31), TODAY) == (date(2026, 1, 1), date(2026, 12, 31))
    # Closed on 30/06/2026 (mid-year attestation): from 01/07/2026 to 31/12/2026.
    assert amc.renewal_period(date(2026, 6, 30), TODAY) == (date(2026, 7, 1), date(2026, 12, 31))


# --------------------------------------------------------------------------- use cases


def test_adding_a_mutuelle_saves_every_field_and_journals_it(
    make_uow: MakeUow, patient_id: int
) -> None:
    view = amc.add(make_uow(), patient_id, ALMERYS_FORM, on=TODAY)

    listed = amc.list_for_patient(make_uow(), patient_id, on=TODAY)
    assert listed.patient_name.startswith("MUTUEL") and listed.patient_name.endswith("ANNE")
    assert [c.id for c in listed.coverages] == [view.id]
    saved = listed.coverages[0]
    assert saved.data == amc.parse(ALMERYS_FORM, TODAY)
    assert (saved.source, saved.state, saved.read_only) == (
        DataSource.MANUEL,
        amc.RightsState.OUVERTS,
        False,
    )
    assert saved.period == "du 01/01/2026 au 31/12/2026"
    assert saved.formula_label == "02A — 150.5 % TR - MRO"
    with make_uow() as uow:
        entries = uow.journal_entries.history("amc_coverage", view.id)
        assert [e.action for e in entries] == ["create"]
        assert entries[0].changes["adherent_number"] == {"before": None, "after": "75822319"}


def test_the_attestation_source_is_kept(make_uow: MakeUow, patient_id: int) -> None:
    view = amc.add(make_uow(), patient_id, ALMERYS_FORM, on=TODAY, source=DataSource.ATTESTATION)
    assert view.source is DataSource.ATTESTATION


def test_an_invalid_fiche_saves_nothing(make_uow: MakeUow, patient_id: int) -> None:
    with pytest.raises(amc.AmcCoverageInvalid) as caught:
        amc.add(make_uow(), patient_id, {**ALMERYS_FORM, "amc_number": ""}, on=TODAY)
    assert caught.value.code == "invalid_form"  # the one form-error type (issue 11)
    assert caught.value.field == "amc_number"
    assert caught.value.as_dict()["fields"] == caught.value.errors
    assert amc.list_for_patient(make_uow(), patient_id, on=TODAY).coverages == ()


def test_updating_journals_before_and_after(make_uow: MakeUow, patient_id: int) -> None:
    view = amc.add(make_uow(), patient_id, ALMERYS_FORM, on=TODAY)

    updated = amc.update(
        make_uow(), patient_id, view.id, {**ALMERYS_FORM, "adherent_number": "99474863"}, on=TODAY
    )

    assert updated.data.adherent_number == "99474863"
    with make_uow() as uow:
        last = uow.journal_entries.history("amc_coverage", view.id)[-1]
        assert last.action == "update"
        assert last.changes == {"adherent_number": {"before": "75822319", "after": "99474863"}}


def test_a_card_read_mutuelle_is_read_only_and_duplicated_to_be_edited(
    make_uow: MakeUow, patient_id: int
) -> None:
    card_id = _card_coverage(make_uow, patient_id)
    card = amc.get(make_uow(), patient_id, card_id, on=TODAY)
    assert card.read_only

    with pytest.raises(Conflict) as refused:
        amc.update(
            make_uow(),
            patient_id,
            card_id,
            card.data.as_form() | {"rights_start": "2025-06-01"},
            on=TODAY,
        )
    assert refused.value.code == "amc_card_read_only"
    assert "Dupliquer" in refused.value.message

    copy = amc.duplicate(make_uow(), patient_id, card_id, on=TODAY)

    assert copy.id != card_id and not copy.read_only
    assert copy.source is DataSource.MANUEL
    assert copy.data == card.data  # an identical fiche (manuel eS-KAP+)
    edited = amc.update(
        make_uow(), patient_id, copy.id, {**copy.data.as_form(), "adherent_number": "A1"}, on=TODAY
    )
    assert edited.data.adherent_number == "A1"
    with make_uow() as uow:
        assert uow.journal_entries.history("amc_coverage", copy.id)[0].summary == (
            f"copie de la mutuelle n° {card_id}"
        )


def test_closed_rights_are_renewed_by_a_new_period(make_uow: MakeUow, patient_id: int) -> None:
    # Card rights 01/06/2025 → 31/05/2026, closed on 23/11/2026.
    card_id = _card_coverage(make_uow, patient_id)
    assert amc.get(make_uow(), patient_id, card_id, on=TODAY).state is amc.RightsState.FERMES

    renewed = amc.renew(make_uow(), patient_id, card_id, on=TODAY)

    # Default: the day after the old end (01/06/2026) to the end of the year.
    assert (renewed.data.rights_start, renewed.data.rights_end) == (
        date(2026, 6, 1),
        date(2026, 12, 31),
    )
    assert renewed.state is amc.RightsState.OUVERTS and renewed.source is DataSource.MANUEL
    assert renewed.data.amc_number == "99999997" and renewed.data.contract_type == "89"
    kept = amc.list_for_patient(make_uow(), patient_id, on=TODAY).coverages
    assert [c.id for c in kept] == [renewed.id, card_id]  # most recent period first
    with make_uow() as uow:
        entry = uow.journal_entries.history("amc_coverage", renewed.id)[0]
        assert entry.summary == f"renouvellement de la mutuelle n° {card_id}"


def test_a_renewal_period_may_be_typed_but_not_overlap(make_uow: MakeUow, patient_id: int) -> None:
    card_id = _card_coverage(make_uow, patient_id)

    with pytest.raises(amc.AmcCoverageInvalid) as caught:
        amc.renew(
            make_uow(),
            patient_id,
            card_id,
            on=TODAY,
            values={"rights_start": "2026-05-01", "rights_end": "2027-04-30"},
        )
    assert caught.value.errors == {
        "rights_start": "La nouvelle période doit commencer après "
        "la fin des droits fermés (31/05/2026)."
    }

    renewed = amc.renew(
        make_uow(),
        patient_id,
        card_id,
        on=TODAY,
        values={"rights_start": "2026-09-01", "rights_end": "2027-08-31"},
    )
    assert (renewed.data.rights_start, renewed.data.rights_end) == (
        date(2026, 9, 1),
        date(2027, 8, 31),
    )


def test_open_rights_are_not_renewed(make_uow: MakeUow, patient_id: int) -> None:
    view = amc.add(make_uow(), patient_id, ALMERYS_FORM, on=TODAY)
    with pytest.raises(Conflict) as refused:
        amc.renew(make_uow(), patient_id, view.id, on=TODAY)
    assert refused.value.code == "amc_rights_open"
    assert refused.value.message == "Droits encore ouverts jusqu'au 31/12/2026 : rien à renouveler."


def test_deleting_is_journaled(make_uow: MakeUow, patient_id: int) -> None:
    view = amc.add(make_uow(), patient_id, ALMERYS_FORM, on=TODAY)

    amc.delete(make_uow(), patient_id, view.id)

    assert amc.list_for_patient(make_uow(), patient_id, on=TODAY).coverages == ()
    with make_uow() as uow:
        actions = [e.action for e in uow.journal_entries.history("amc_coverage", view.id)]
        assert actions == ["create", "delete"]


def test_another_patients_mutuelle_is_not_found(make_uow: MakeUow, patient_id: int) -> None:
    view = amc.add(make_uow(), patient_id, ALMERYS_FORM, on=TODAY)
    with make_uow() as uow:
        other = Patient(last_name="AUTRE", first_name="", source=DataSource.MANUEL)
        uow.journal_change(other, JournalAction.CREATE)
        uow.commit()
    for call in (
        lambda: amc.get(make_uow(), other.id, view.id, on=TODAY),
        lambda: amc.delete(make_uow(), other.id, view.id),
        lambda: amc.duplicate(make_uow(), other.id, view.id, on=TODAY),
    ):
        with pytest.raises(NotFound, match="Mutuelle introuvable"):
            call()
    with pytest.raises(NotFound, match="Patient introuvable"):
        amc.list_for_patient(make_uow(), 999_999, on=TODAY)


# --------------------------------------------------------------------------- organisms


def test_the_pick_list_finds_an_organism_by_name_or_by_its_whole_number(
    make_uow: MakeUow,
) -> None:
    by_name = amc.search_organisms(make_uow(), "acoris")
    assert [(o.number, o.gestion_label) for o in by_name] == [("780004099", "gestion séparée")]
    # The seed prints it « 0780004099 » too (10 digits, manuel eS-KAP+).
    by_number = amc.search_organisms(make_uow(), "0780004099")
    assert by_number[0].id == by_name[0].id


def test_picking_an_organism_fills_its_number_name_gestion_and_link(make_uow: MakeUow) -> None:
    choice = amc.search_organisms(make_uow(), "98532001")[0]
    with make_uow() as uow:
        row = uow.amc_organisms.get(choice.id)
    values = amc.apply_organism({"adherent_number": "75822319"}, row)
    assert values["amc_organism_id"] == str(choice.id)
    assert (values["amc_number"], values["gestion"]) == ("98532001", "separee")
    assert values["amc_name"].startswith("Almerys")
    assert values["adherent_number"] == "75822319"


def test_an_organism_created_inline_is_journaled_and_unique(make_uow: MakeUow) -> None:
    values = {
        "amc_number": "77777775",
        "amc_name": "Mutuelle des Essais",
        "gestion": "unique",
        "convention_type": "zz",
        "csr": "7",
    }
    created = amc.create_organism(make_uow(), values, on=TODAY)

    assert (created.number, created.name, created.gestion) == (
        "77777775",
        "Mutuelle des Essais",
        "unique",
    )
    with make_uow() as uow:
        row = uow.amc_organisms.get(created.id)
        assert (row.convention_type, row.csr, row.user_edited) == ("ZZ", "7", True)
        assert [e.action for e in uow.journal_entries.history("amc_organism", row.id)] == ["create"]
    with pytest.raises(Conflict) as duplicate:
        amc.create_organism(make_uow(), {**values, "amc_number": "0077777775"}, on=TODAY)
    assert duplicate.value.code == "amc_organism_exists"
    assert duplicate.value.field == "amc_number"
    with pytest.raises(amc.AmcCoverageInvalid) as invalid:
        amc.create_organism(make_uow(), {"amc_number": "12"}, on=TODAY)
    assert set(invalid.value.errors) == {"amc_number", "amc_name"}


def test_a_fiche_linked_to_an_unknown_organism_is_refused(
    make_uow: MakeUow, patient_id: int
) -> None:
    with pytest.raises(amc.AmcCoverageInvalid) as caught:
        amc.add(make_uow(), patient_id, {**ALMERYS_FORM, "amc_organism_id": "987654"}, on=TODAY)
    assert "Fiche organisme introuvable" in caught.value.errors["amc_organism_id"]


# --------------------------------------------------------------------------- attestation


def _attestation_png(attestation: AmcAttestation) -> bytes:
    text = format_attestation_payload(attestation)
    buffer = memoryview(
        zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.DataMatrix).to_image(scale=6)
    )
    height, width = buffer.shape
    out = io.BytesIO()
    Image.frombytes("L", (width, height), bytes(buffer)).save(out, format="PNG")
    return out.getvalue()


SEED_ATTESTATION = AmcAttestation(
    "98532001", "AL", "001", "75822319", Period(date(2026, 1, 1), date(2026, 12, 31))
)


def test_an_attestation_fills_its_five_fields_and_the_organism(make_uow: MakeUow) -> None:
    attestation = amc.read_attestation(_attestation_png(SEED_ATTESTATION), TODAY)

    prefill = amc.apply_attestation(make_uow(), {"contract_number": "C-12"}, attestation)

    values = prefill.values
    assert (
        values["amc_number"],
        values["convention_type"],
        values["csr"],
        values["adherent_number"],
        values["rights_start"],
        values["rights_end"],
    ) == ("98532001", "AL", "001", "75822319", "2026-01-01", "2026-12-31")
    assert values["amc_organism_id"] and values["amc_name"].startswith("Almerys")
    assert (values["piece_justificative"], values["source"]) == ("attestation", "attestation")
    assert values["contract_number"] == "C-12"  # typed before the scan: kept
    assert prefill.errors == {}
    assert prefill.message.startswith("Attestation lue : n° AMC 98532001")
    assert amc.parse(values, TODAY).adherent_number == "75822319"


def test_an_attestation_of_an_unknown_organism_asks_to_create_it(make_uow: MakeUow) -> None:
    attestation = AmcAttestation(
        "12345674", "AB", "2", "X9", Period(date(2026, 1, 1), date(2026, 12, 31)), formula="02A"
    )
    prefill = amc.apply_attestation(make_uow(), amc.blank_form(), attestation)
    assert prefill.values["amc_organism_id"] == ""
    assert "Créer l'organisme" in prefill.message
    # 02A needs its percentage: the attestation prints it beside the formula.
    assert prefill.values["formula_code"] == "02A"
    assert "pourcentage" in prefill.errors["formula_parameter"]


def test_an_attestation_with_an_undocumented_formula_flags_it(make_uow: MakeUow) -> None:
    attestation = AmcAttestation(
        "98532001",
        "AL",
        "001",
        "75822319",
        Period(date(2026, 1, 1), date(2026, 12, 31)),
        formula="030",
    )
    prefill = amc.apply_attestation(make_uow(), amc.blank_form(), attestation)
    assert prefill.errors["formula_code"].startswith("Formule AMC inconnue : « 030 »")


@pytest.mark.parametrize(
    ("image", "error"),
    [
        (b"not an image", AttestationUnreadableImage),
        (None, AttestationNoCode),  # a blank white PNG: no 2D code
    ],
)
def test_an_unreadable_attestation_says_why(image: bytes | None, error: type[Exception]) -> None:
    if image is None:
        out = io.BytesIO()
        Image.new("L", (200, 200), 255).save(out, format="PNG")
        image = out.getvalue()
    with pytest.raises(error) as caught:
        amc.read_attestation(image, TODAY)
    assert isinstance(caught.value, amc.AttestationError)


def test_an_expired_attestation_is_refused() -> None:
    old = AmcAttestation(
        "98532001", "AL", "001", "75822319", Period(date(2023, 1, 1), date(2023, 12, 31))
    )
    with pytest.raises(AttestationExpired, match="Attestation expirée"):
        amc.read_attestation(_attestation_png(old), TODAY)
