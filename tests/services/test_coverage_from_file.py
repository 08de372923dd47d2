"""An AME patient, a sortant de C2S, a régime mahorais patient and a patient with a mutuelle,
billed from their files — through the API (preview and validate) and through the invoice
screen — get the same shares as the explicit ``openfse price`` draft of their situation
(issue 11 point 3, issue 13 defects 3 and 13).

The rules: AME 100 % by the AMO, no participation forfaitaire, tiers payant imposed (ameli.fr,
« L'aide médicale de l'État »); sortant de C2S: tiers payant on the AMO part only, for a year
(ameli.fr, « Complémentaire santé solidaire »); régime mahorais: the CSSM pays the ticket
modérateur in gestion unique (complementaire-sante-solidaire.gouv.fr/node/185). Each is
cited where it is applied, in openfse/domain/coverage.py.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from openfse.composition.demo import load_demo
from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.domain.pricing import price_document
from openfse.ids import nir as ids_nir
from openfse.services import amc_coverage, patients
from openfse.services.patient_forms import AldInput, PatientInput, PeriodInput
from openfse.services.setup import session_factory_for
from openfse.store.models import Cabinet, Professional, ProfessionalKind
from openfse.store.uow import UnitOfWork
from openfse.web.ui import pricing_form

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

TODAY = Clock().today()  # the API and the screen bill "today" (the cabinet's day)
YEAR_START, YEAR_END = date(TODAY.year, 1, 1), date(TODAY.year, 12, 31)
HX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home: Path = tmp_path_factory.mktemp("coverage-from-file")
    settings = Settings.from_env({"OPENFSE_HOME": str(home)})
    load_demo(settings, today=TODAY)
    return settings


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    from security.sessions import logged_in  # tests/security: log-in for the guard

    from openfse.web.app import create_app

    with logged_in(TestClient(create_app(settings)), settings) as test_client:
        yield test_client


def uow_of(settings: Settings) -> UnitOfWork:
    sessions = session_factory_for(settings)
    with sessions() as session:
        cabinet_id = session.query(Cabinet.id).scalar()
    return UnitOfWork(sessions, cabinet_id=cabinet_id, actor="tests", actor_user_id=None)


def doctor(settings: Settings) -> Professional:
    with uow_of(settings) as uow:
        return next(p for p in uow.professionals.list() if p.kind is ProfessionalKind.TITULAIRE)


def _nir(body: str) -> str:
    return body + f"{97 - int(body) % 97:02d}"


def patient_with(settings: Settings, name: str, nir_body: str, shortcut: str,
                 **fiche: str) -> int:
    """A file typed from an attestation (AMO rights this year) and a contract added with
    the fiche mutuelle's shortcut, its rights this year."""
    nir = _nir(nir_body)
    assert ids_nir.is_valid(nir)
    raw = PatientInput(last_name=name, first_name="TEST", birth_date="15/06/1980", nir=nir,
                       amo_regime="01", amo_caisse="751", amo_centre="9881",
                       piece_justificative="attestation",
                       periods=(PeriodInput(YEAR_START.isoformat(), YEAR_END.isoformat()),))
    patient = patients.create_patient(uow_of(settings), raw, TODAY)
    values, _ = amc_coverage.apply_shortcut(amc_coverage.blank_form(), shortcut) if shortcut \
        else (amc_coverage.blank_form(), None)
    values.update(rights_start=YEAR_START.isoformat(), rights_end=YEAR_END.isoformat(), **fiche)
    amc_coverage.add(uow_of(settings), patient.id, values, on=TODAY)
    return patient.id


def explicit(patient: dict[str, Any], amc: dict[str, Any] | None,
             tiers_payant: dict[str, bool]) -> dict[str, Any]:
    """The ``openfse price`` draft of the same situation (docs/formats/price.md)."""
    return price_document({
        "date_soins": TODAY.isoformat(), "profession": "medecin",
        "ps": {"specialite": "medecine_generale", "secteur": 1},
        "patient": {"birth_date": "1980-06-15", "regime": "01",
                    "parcours": "medecin_traitant", **patient},
        "acts": [{"code": "G"}], "amc": amc, "tiers_payant": tiers_payant})


SHARES = ("amo_brut", "amc", "patient", "participation_forfaitaire", "amo_net",
          "a_regler_par_patient_au_ps", "tiers_payant", "paiements")

CASES = {
    # AME: 100 % AMO, no PF, tiers payant imposed.
    "ame": ("AMEFILE", "1800675112004", "ame", {},
            {"ame": True}, None, {"amo": True, "amc": False}),
    # Sortant de C2S: tiers payant on the AMO part; the patient pays the TM (and the PF).
    "sortant": ("SORTANTFILE", "1800675112005", "sortant_c2s", {},
                {"sortant_c2s": "55555551"}, None, {"amo": True, "amc": False}),
    # Régime mahorais: the CSSM pays the TM, gestion unique, tiers payant.
    "mahorais": ("MAHORAISFILE", "1800675112006", "regime_mahorais", {},
                 {}, {"formula": "052", "gestion": "unique"}, {"amo": True, "amc": True}),
    # A mutuelle from an attestation, 052 in tiers payant (issue 13 defect 3).
    "mutuelle": ("MUTUELLEFILE", "1800675112007", "",
                 {"amc_number": "98532001", "amc_name": "ALMERYS", "formula_code": "052",
                  "tiers_payant": "oui"},
                 {}, {"formula": "052", "gestion": "separee"}, {"amo": True, "amc": True}),
}


@pytest.fixture(scope="module")
def files(settings: Settings) -> dict[str, int]:
    return {key: patient_with(settings, name, nir, shortcut, **fiche)
            for key, (name, nir, shortcut, fiche, *_rest) in CASES.items()}


def expected(key: str) -> dict[str, Any]:
    _, _, _, _, patient, amc, tiers_payant = CASES[key]
    priced = explicit(patient, amc, tiers_payant)
    assert priced["warnings"] == [], priced["warnings"]  # the explicit draft is correct
    return {name: priced[name] for name in SHARES}


def _json_number(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_number(v) for k, v in value.items()}
    return Decimal(str(value)) if isinstance(value, float) else value


@pytest.mark.parametrize("key", list(CASES))
def test_the_api_prices_the_file_as_the_explicit_draft(client: TestClient, settings: Settings,
                                                       files: dict[str, int], key: str) -> None:
    doc = {"professional_id": doctor(settings).id, "patient_id": files[key],
           "date_soins": TODAY.isoformat(), "acts": [{"code": "G"}],
           "parcours": "medecin_traitant", "secure_mode": "desynchronise"}
    answer = client.post("/api/invoices/preview", json=doc)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    priced = {name: _json_number(body["priced"][name]) for name in SHARES}
    assert priced == expected(key)
    assert body["priced"]["warnings"] == [] and not body["blocking"]

    validated = client.post("/api/invoices", json=doc)
    assert validated.status_code == 201, validated.text
    invoice = validated.json()
    want = expected(key)
    totals = {name: _json_number(v) for name, v in invoice["totals"].items()}
    assert (totals["amo"], totals["amc"], totals["participation_forfaitaire"]) == (
        want["amo_brut"], want["amc"], Decimal(str(want["participation_forfaitaire"])))
    header = invoice["header"]
    assert (header["tiers_payant_amo"], header["tiers_payant_amc"]) == (
        want["tiers_payant"]["amo"], want["tiers_payant"]["amc"])
    assert _json_number(invoice["balance"]["due"]["patient"]) == want[
        "a_regler_par_patient_au_ps"]


def screen_form(page: str) -> dict[str, str]:
    """The fields the screen shows filled (inputs, ticked boxes, selected options)."""
    form: dict[str, str] = {}
    for tag in re.findall(r"<input\b[^>]*>", page):
        name = re.search(r'\bname="([^"]+)"', tag)
        if name is None:
            continue
        kind = re.search(r'\btype="([^"]+)"', tag)
        if kind is not None and kind.group(1) == "checkbox":
            if re.search(r"(?<![.\w])checked(?!\w)", tag):  # not « this.checked »
                form[name.group(1)] = "on"
            continue
        if kind is not None and kind.group(1) == "file":
            continue
        value = re.search(r'\bvalue="([^"]*)"', tag)
        form[name.group(1)] = unescape(value.group(1)) if value else ""
    for name, options in re.findall(r'<select\b[^>]*\bname="([^"]+)"[^>]*>(.*?)</select>',
                                    page, re.S):
        chosen = re.search(r'<option value="([^"]*)"\s*selected', options)
        first = re.search(r'<option value="([^"]*)"', options)
        form[name] = unescape((chosen or first).group(1)) if (chosen or first) else ""
    return form


def _text(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(?:<strong>)?([^<]*)', html)
    assert found, f"#{element_id} not in the page"
    return found.group(1).replace("\xa0", " ").replace("\u202f", " ").strip()


def euros(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",") + " €"


@pytest.mark.parametrize("key", list(CASES))
def test_the_screen_shows_what_the_file_imposes_and_validates_without_confirmation(
        client: TestClient, settings: Settings, files: dict[str, int], key: str) -> None:
    page = client.get("/facture", params={"patient": files[key], "pro": doctor(settings).id,
                                          "adri": "x"}).text
    form = screen_form(page)
    want = expected(key)
    # The tiers payant the file imposes is ticked; the mutuelle in force is chosen.
    assert (form.get("tp_amo") == "on", form.get("tp_amc") == "on") == (
        want["tiers_payant"]["amo"], want["tiers_payant"]["amc"])
    if key == "mutuelle":
        assert re.search(r'<option value="\d+"\s*selected>ALMERYS — 052 100 %</option>', page)
    form.update({"acts-0-code": "G", "parcours": "medecin_traitant",
                 "secure_mode": "desynchronise"})
    recap = client.post("/facture/recapitulatif", headers=HX, data=form).text
    assert _text(recap, "total-amo") == euros(want["amo_brut"])
    assert _text(recap, "total-amc") == euros(want["amc"])
    assert _text(recap, "a-regler") == euros(want["a_regler_par_patient_au_ps"])
    done = client.post("/facture", headers=HX, data=form).text
    # A correct invoice is validated at once: no « Valider malgré les avertissements ».
    assert 'id="confirmed"' not in done
    assert "invoice-number" in done, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", done))[:1500]


def test_the_form_keeps_aucune_when_the_desk_unchooses_the_mutuelle(
        client: TestClient, settings: Settings, files: dict[str, int]) -> None:
    page = client.get("/facture", params={"patient": files["mutuelle"],
                                          "pro": doctor(settings).id, "adri": "x"}).text
    form = screen_form(page) | {"acts-0-code": "G", "amc_coverage": "", "tp_amc": ""}
    document = pricing_form.to_document(form)
    assert document["amc"] is None and "amc_choice" not in document
    recap = client.post("/facture/recapitulatif", headers=HX, data=form).text
    assert _text(recap, "total-amc") == euros(Decimal("0.00"))


def test_an_ald_patient_is_asked_per_act_and_its_answer_prices_the_act(
        client: TestClient, settings: Settings) -> None:
    # Issue 13 defect 13: an ALD in force in the file → « En rapport avec l'ALD ? » on each
    # act; « oui » → 100 % (G 30 → AMO 30), tiers payant AMO ticked: validated at once.
    nir = _nir("1800675112008")
    raw = PatientInput(last_name="ALDFILE", first_name="TEST", birth_date="15/06/1980",
                       nir=nir, amo_regime="01", amo_caisse="751", amo_centre="9881",
                       piece_justificative="attestation",
                       periods=(PeriodInput(YEAR_START.isoformat(), YEAR_END.isoformat(), "4"),),
                       alds=(AldInput("8", "Diabète", "E11", "01/01/2023", "31/12/2030"),))
    patient = patients.create_patient(uow_of(settings), raw, TODAY)
    page = client.get("/facture", params={"patient": patient.id, "pro": doctor(settings).id,
                                          "adri": "x"}).text
    assert 'id="ald-question"' in page and 'name="acts-0-soins_en_rapport_ald"' in page
    form = screen_form(page) | {"acts-0-code": "G", "acts-0-soins_en_rapport_ald": "oui",
                                "parcours": "medecin_traitant"}
    assert form.get("tp_amo") == "on"
    recap = client.post("/facture/recapitulatif", headers=HX, data=form).text
    assert _text(recap, "total-amo") == euros(Decimal("30.00"))
    done = client.post("/facture", headers=HX, data=form).text
    assert 'id="confirmed"' not in done, re.findall(r"inv-(?:warning|blocking)\">([^<]*)", done)
    assert "invoice-number" in done


def test_a_victim_of_terrorism_is_covered_in_full_on_the_screen(
        client: TestClient, settings: Settings, files: dict[str, int]) -> None:
    # Issue 13 defect 16 (CSS L169-1 s.): G 30 → AMO 30, nothing to pay, said on the screen.
    page = client.get("/facture", params={"patient": files["sortant"],
                                          "pro": doctor(settings).id, "adri": "x"}).text
    assert 'id="victim-cover"' in page
    form = screen_form(page) | {"acts-0-code": "G", "victime_attentat": "on"}
    recap = client.post("/facture/recapitulatif", headers=HX, data=form).text
    assert _text(recap, "total-amo") == euros(Decimal("30.00"))
    assert _text(recap, "a-regler") == euros(Decimal("0.00"))


@pytest.mark.parametrize("key", list(CASES))
def test_openfse_price_with_the_patient_file_prices_as_the_explicit_draft(
        settings: Settings, files: dict[str, int], key: str) -> None:
    import json

    from typer.testing import CliRunner

    from openfse.cli import app

    draft = {"date_soins": TODAY.isoformat(), "profession": "medecin",
             "ps": {"specialite": "medecine_generale", "secteur": 1},
             "patient": {"parcours": "medecin_traitant"}, "acts": [{"code": "G"}]}
    result = CliRunner().invoke(app, ["price", "-", "--patient", str(files[key])],
                                input=json.dumps(draft), env={"OPENFSE_HOME": str(settings.home)})
    assert result.exit_code == 0, result.output
    priced = json.loads(result.output, parse_float=Decimal)
    assert {name: priced[name] for name in SHARES} == expected(key)
    missing = CliRunner().invoke(app, ["price", "-", "--patient", "999999"],
                                 input=json.dumps(draft), env={"OPENFSE_HOME": str(settings.home)})
    assert missing.exit_code == 2 and '"field": "--patient"' in missing.output


def test_the_demo_ame_patient_is_billed_at_100_percent_from_his_file(
        client: TestClient, settings: Settings) -> None:
    # The demo's AME patient (provisional NIR) holds his AME in the file, as the fiche
    # mutuelle's « AME » shortcut records it: G 30 → AMO 30, no PF, tiers payant.
    found = client.get("/api/patients", params={"q": "LEFEBVRE"}).json()
    doc = {"professional_id": doctor(settings).id, "patient_id": found[0]["id"],
           "date_soins": TODAY.isoformat(), "acts": [{"code": "G"}],
           "parcours": "medecin_traitant"}
    priced = client.post("/api/invoices/preview", json=doc).json()["priced"]
    assert (priced["amo_brut"], priced["participation_forfaitaire"]) == (30.0, 0.0)
    assert priced["tiers_payant"] == {"amo": True, "amc": False}
