"""Integrity of the shipped NGAP files: periods, amounts, professions, sources, coverage."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from openfse.periods import Period
from openfse.referentials import ngap
from openfse.referentials._dated import read_data_rows
from openfse.referentials.professions import PROFESSION_IDS

ROWS = read_data_rows("ngap.csv")


def test_the_file_has_exactly_the_documented_columns() -> None:
    assert list(ROWS[0]) == [
        "profession", "nomenclature", "code", "label", "kind", "value",
        "start", "end", "zone", "confidence", "source", "note",
    ]  # fmt: skip


def test_every_row_loads_and_no_two_periods_of_a_key_overlap() -> None:
    # Loading builds the DatedTable, which refuses overlaps; count what was loaded.
    loaded = sum(1 for _ in ngap._tables().tariffs.rows())
    assert loaded == len(ROWS)
    by_key: dict[tuple[str, str, str], list[Period]] = {}
    for row in ROWS:
        end = date.fromisoformat(row["end"]) if row["end"] else None
        by_key.setdefault((row["profession"], row["code"], row["zone"]), []).append(
            Period.half_open(date.fromisoformat(row["start"]), end)
        )
    for key, periods in by_key.items():
        for i, first in enumerate(periods):
            for second in periods[i + 1 :]:
                assert not first.overlaps(second), key


def test_every_value_is_a_positive_amount_with_two_decimals() -> None:
    for row in ROWS:
        assert re.fullmatch(r"\d+\.\d{2}", row["value"]), row
        assert Decimal(row["value"]) > 0, row


def test_every_row_names_a_known_profession_kind_zone_and_confidence() -> None:
    for row in ROWS:
        assert row["profession"] in PROFESSION_IDS, row
        assert row["nomenclature"] in ngap.NOMENCLATURES, row
        assert row["kind"] in ngap.KINDS, row
        assert row["zone"] in ngap.ZONES, row
        assert row["confidence"] in ngap.CONFIDENCES, row
        assert row["label"], row


def test_every_row_cites_a_public_url() -> None:
    for row in ROWS:
        assert re.match(r"https?://\S+$", row["source"]), row


def test_dom_rows_only_exist_beside_a_metropole_row() -> None:
    metropole = {(r["profession"], r["code"]) for r in ROWS if r["zone"] == "metropole"}
    for row in ROWS:
        if row["zone"] == "dom":
            assert (row["profession"], row["code"]) in metropole, row


def test_cox_codes_are_the_medecin_child_examinations() -> None:
    cox = {row["code"] for row in ROWS if row["nomenclature"] == "COX"}
    assert cox == {"COE", "COD", "COB", "COV", "COA", "COH", "COK", "COG"}
    assert {row["profession"] for row in ROWS if row["nomenclature"] == "COX"} == {"medecin"}


EXPECTED_CODES = {
    "medecin": "G GS VG VGS C CS APC MEG MCG MCS TCG CNPSY MP GL1 GL2 GL3 MD MDN MDI MDD MN MM "
    "F MU CRN CRM CRD ID IK IKM IKS COE COD COB COV COA COH COK COG",
    "infirmier": "AMI AMX AIS BSA BSB BSC DI IFD MAU MCI MIE N NP F IK IKM IKS",
    "masseur_kinesitherapeute": "AMK AMC AMS TMK IFD IFO IFR IFN IFP IFS N F IK IKM IKS",
    "sage_femme": "C V MSF SF SP CCP MD IK",
    "chirurgien_dentiste": "C BDC BDA BDB BDD BDP BDH BDE",
    "orthophoniste": "AMO",
    "orthoptiste": "AMY",
    "pedicure_podologue": "",  # docs/rules.md §A.9: AMP/POD values not found, not hard-coded
}


@pytest.mark.parametrize("profession", PROFESSION_IDS)
def test_each_profession_has_the_codes_of_the_brief(profession: str) -> None:
    codes = {row["code"] for row in ROWS if row["profession"] == profession}
    assert codes == set(EXPECTED_CODES[profession].split())


def test_every_code_of_the_price_contract_is_priced_in_2025() -> None:
    # docs/formats/price.md acts[].code examples, with the profession that bills them.
    day = date(2025, 6, 1)
    contract = {
        "medecin": "G VG APC CS MCS MCG MD MDN MM F MEG CNPSY TCG IK IKM IKS COB COE",
        "infirmier": "AMI AIS IFD MAU MCI",
        "masseur_kinesitherapeute": "AMK AMS",
        "orthophoniste": "AMO",
        "chirurgien_dentiste": "BDA BDB",
    }
    for profession, codes in contract.items():
        for code in codes.split():
            assert ngap.lookup(profession, code, day) is not None, (profession, code)


def test_aliases_point_to_priced_codes() -> None:
    for row in read_data_rows("ngap_aliases.csv"):
        assert ngap.history(row["profession"], row["code"]), row
        assert row["source"], row


def test_the_label_catalogue_has_unique_codes_and_labels() -> None:
    rows = read_data_rows("ngap_labels.csv")
    codes = [row["code"] for row in rows]
    assert len(codes) == len(set(codes)) == 422
    assert all(row["label"] for row in rows)
    assert not any("lndem" in row["label"] for row in rows)  # export typo fixed
