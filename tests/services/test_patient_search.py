"""Patient search by NIR and by date of birth (issue 13, defect 11: « Search by NIR finds nothing
although the placeholder promises it; add date of birth search »).

The same search field everywhere (the patient list, the invoice's patient choice, the API):
a NIR as on the card (13 characters, or 15 with the key, spaces allowed) finds every file
covered under it; ``jj/mm/aaaa`` finds the files born that day, also after the start of a name.
Checked at the service, on the screen and through the API.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from datetime import date

import pytest

from openfse.config import Settings
from openfse.domain.patient_search import (
    BirthDateSearch,
    NameSearch,
    NirSearch,
    parse_patient_search,
)
from openfse.services import patients
from openfse.services.patient_forms import PatientInput
from openfse.store.models import UserRole
from openfse.store.uow import UnitOfWork

MakeUow = Callable[[], UnitOfWork]

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

TODAY = date(2026, 3, 2)
# Worked examples (openfse.ids.nir: key = 97 - (first 13 digits mod 97)):
#   1 83 01 75 111 001 → 1830175111001 mod 97 = 48, key 49;
#   2 08 05 2A 015 002 (born in Corsica: « 2A » is read as 19, i.e. 2080519015002) mod 97 = 19,
#   key 78 (INSEE NIR definition; https://wp.publimath.fr/nu010 for Corsica).


@pytest.fixture(scope="module")
def family(make_uow: MakeUow) -> dict[str, int]:
    """An assuré, his child on his NIR, and a patient born in Corsica."""
    def create(**typed: str) -> int:
        raw = PatientInput(amo_regime="01", amo_caisse="751", amo_centre="9881", **typed)
        return patients.create_patient(make_uow(), raw, TODAY).id

    return {
        "parent": create(last_name="NIRSEARCH", first_name="Paul", sex="M",
                         birth_date="15/01/1983", nir="1 83 01 75 111 001 49"),
        "child": create(last_name="NIRSEARCH", first_name="Lou", sex="F",
                        birth_date="05/06/2012", nir="1 83 01 75 111 001 49", birth_rank="1",
                        quality="06"),
        "corsican": create(last_name="CASANOVA", first_name="Maria", sex="F",
                           birth_date="07/05/2008", nir="2 08 05 2A 015 002 78"),
    }


def test_what_the_desk_typed_is_read_as_a_nir_a_birth_date_or_a_name() -> None:
    assert parse_patient_search("1 83 01 75 111 001 49") == NirSearch("1830175111001", "49")
    assert parse_patient_search("1830175111001") == NirSearch("1830175111001", None)
    assert parse_patient_search("2 08 05 2a 015 002") == NirSearch("208052A015002", None)
    assert parse_patient_search("15/01/1983") == BirthDateSearch("19830115", "")
    assert parse_patient_search("5-6-2012") == BirthDateSearch("20120605", "")
    assert parse_patient_search("nirsearch 05.06.2012") == BirthDateSearch("20120605",
                                                                          "nirsearch")
    assert parse_patient_search("00/00/1980") == BirthDateSearch("19800000", "")  # lunar
    # Not a NIR: a digit too many, a sex digit no NIR has, a name.
    assert parse_patient_search("1830175111001490") == NameSearch("1830175111001490")
    assert parse_patient_search("5830175111001") == NameSearch("5830175111001")
    assert parse_patient_search("dupont je") == NameSearch("dupont je")


@pytest.mark.parametrize("typed", ["1 83 01 75 111 001 49", "183017511100149",
                                   "1 83 01 75 111 001", "1830175111001"])
def test_the_nir_on_the_card_finds_the_whole_family(
    make_uow: MakeUow, family: dict[str, int], typed: str
) -> None:
    found = [p.id for p in patients.search_patients(make_uow(), typed)]
    assert sorted(found) == sorted([family["parent"], family["child"]])


def test_a_childs_own_nir_finds_his_file(make_uow: MakeUow, family: dict[str, int]) -> None:
    # A teenager with his own card (his own NIR 2 12 06 75 111 002, key 97 - (2120675111002
    # mod 97) = 65) covered under his mother's (2 80 03 75 111 003, key 97 - 18 = 79).
    child = patients.create_patient(make_uow(), PatientInput(
        amo_regime="01", amo_caisse="751", amo_centre="9881", last_name="NIRSEARCH",
        first_name="Tom", sex="M", birth_date="10/06/2012", nir="2 80 03 75 111 003 79",
        beneficiary_nir="2 12 06 75 111 002 65", birth_rank="2", quality="06"), TODAY).id
    for typed in ("2 12 06 75 111 002 65", "2120675111002"):
        assert [p.id for p in patients.search_patients(make_uow(), typed)] == [child]


def test_a_nir_with_another_key_finds_nobody(make_uow: MakeUow, family: dict[str, int]) -> None:
    assert patients.search_patients(make_uow(), "1 83 01 75 111 001 12") == []


def test_a_corsican_nir_is_found_typed_in_lower_case(make_uow: MakeUow,
                                                     family: dict[str, int]) -> None:
    found = patients.search_patients(make_uow(), "2 08 05 2a 015 002 78")
    assert [p.id for p in found] == [family["corsican"]]


def test_the_date_of_birth_finds_the_patients_born_that_day(
    make_uow: MakeUow, family: dict[str, int]
) -> None:
    assert [p.id for p in patients.search_patients(make_uow(), "05/06/2012")] == [
        family["child"]]
    assert [p.id for p in patients.search_patients(make_uow(), "15/1/1983")] == [
        family["parent"]]
    # With the start of a name: only those of that name.
    assert [p.id for p in patients.search_patients(make_uow(), "casa 07/05/2008")] == [
        family["corsican"]]
    assert patients.search_patients(make_uow(), "dupont 07/05/2008") == []


# --------------------------------------------------------------------------- screen and API


@pytest.fixture(scope="module")
def client(settings: Settings, family: dict[str, int]) -> Iterator[TestClient]:
    from security.sessions import logged_in

    from openfse.web.app import create_app

    with TestClient(create_app(settings)) as client:
        yield logged_in(client, settings, UserRole.SECRETAIRE)


@pytest.mark.parametrize("typed", ["1 83 01 75 111 001 49", "05/06/2012"])
def test_the_patient_list_finds_by_nir_and_birth_date(
    client: TestClient, family: dict[str, int], typed: str
) -> None:
    page = client.get("/patients", params={"q": typed}, headers={"HX-Request": "true"})
    assert page.status_code == 200
    assert f'href="/patients/{family["child"]}"' in page.text


def test_the_list_says_what_it_can_search() -> None:
    from pathlib import Path

    template = (Path(patients.__file__).parents[1] / "web/templates/patients/list.html")
    assert "NIR" in template.read_text(encoding="utf-8")


@pytest.mark.parametrize(("typed", "who"), [("183017511100149", ("parent", "child")),
                                            ("07/05/2008", ("corsican",))])
def test_the_api_finds_by_nir_and_birth_date(
    client: TestClient, family: dict[str, int], typed: str, who: tuple[str, ...]
) -> None:
    answer = client.get("/api/patients", params={"q": typed})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    rows = body["items"] if isinstance(body, dict) else body
    assert sorted(row["id"] for row in rows) == sorted(family[name] for name in who)
