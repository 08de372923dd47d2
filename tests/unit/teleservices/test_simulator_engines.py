"""The simulators' logic without sockets: request checks, data set loading, fault plans."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from openfse.simulators.adri.engine import AdriEngine, DatasetError, load_dataset
from openfse.simulators.adri.jsonserver import FaultPlan, SimRequest
from openfse.simulators.interamc import DirectoryDataError, DirectoryEngine, load_directory

QUERY: dict[str, Any] = {
    "version": 1,
    "nir": "285037505612306",
    "date_naissance": "1985-03-12",
    "rang": 1,
    "regime": "01",
    "caisse": None,
    "centre": None,
    "date_consultation": "2026-07-01",
}


def test_shipped_data_set_has_valid_nirs() -> None:
    from openfse.ids import nir

    people = load_dataset()
    assert len(people) >= 10
    assert all(nir.is_valid(insured.nir) for insured in people)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"version": 2}, "version"),
        ({"nir": "28503750561230"}, "nir"),
        ({"date_naissance": "12/03/1985"}, "date_naissance"),
        ({"rang": True}, "rang"),
        ({"regime": 1}, "regime"),
        ({"caisse": "84"}, "caisse"),
        ({"nir": "890059935001131"}, "caisse"),  # provisional NIR without caisse/centre
        ({"date_consultation": "2026-02-30"}, "date_consultation"),
        ({"date_consultation": "20260701"}, "date_consultation"),
    ],
)
def test_adri_engine_refuses_bad_queries_with_422_and_the_field(
    changes: dict[str, object], field: str
) -> None:
    status, body = AdriEngine.from_file().handle({**QUERY, **changes})
    assert status == 422
    assert body["erreur"]["champ"] == field


def test_adri_engine_faults_unknown_and_mismatch() -> None:
    engine = AdriEngine.from_file()
    assert engine.handle(QUERY)[0] == 200
    assert engine.handle(QUERY, "unknown")[0] == 404
    status, body = engine.handle(QUERY, "mismatch")
    assert status == 409 and body["retour"]["beneficiaire"]["nom"] == "ROUSSEAU"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("version: 2\nassures: []\n", "version: 1"),
        ("version: 1\nassures:\n  - nir: '123'\n", "nir"),
        (
            "version: 1\nassures:\n  - nir: '285037505612306'\n    beneficiaires: []\n",
            "au moins un",
        ),
        (
            "version: 1\nassures:\n  - nir: '285037505612306'\n    beneficiaires:\n"
            "      - {nom: A, date_naissance: '1985-03-12', rang: 1, droits_amo: []}\n",
            "droits_amo",
        ),
        (
            "version: 1\nassures:\n  - nir: '285037505612306'\n    beneficiaires:\n"
            "      - {nom: A, date_naissance: '1985-03-12', rang: 1,"
            " droits_amo: [{debut: 'hier'}]}\n",
            "AAAA-MM-JJ",
        ),
        ("version: [1\n", "version"),
    ],
)
def test_bad_data_sets_are_refused_with_the_place(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DatasetError) as error:
        load_dataset(path)
    assert fragment in str(error.value)


def test_directory_engine_needs_a_date() -> None:
    engine = DirectoryEngine(load_directory())
    status, body = engine.handle(
        SimRequest("GET", "/annuaire/v1/amc/98532001/conventions", {}, None, None)
    )
    assert status == 422 and body["erreur"]["champ"] == "date"  # type: ignore[index]


def test_bad_directory_data_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\namc:\n  - {numero: '12', nom: X}\n", encoding="utf-8")
    with pytest.raises(DirectoryDataError):
        load_directory(path)


def test_fault_plan_count_and_probability() -> None:
    plan = FaultPlan(rng=random.Random(7))
    plan.set("down", 1.0, count=2)
    assert [plan.draw() for _ in range(4)] == ["down", "down", None, None]
    plan.set("slow", 0.3)
    drawn = [plan.draw() for _ in range(1000)]
    # Seeded: about 30 % of requests fail (binomial, 1000 draws: well within 25–35 %).
    assert 250 <= drawn.count("slow") <= 350
    plan.set(None)
    assert plan.draw() is None
