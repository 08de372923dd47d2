"""Professions and spécialités with their official codes."""

from __future__ import annotations

import pytest

from openfse.errors import InvalidInput
from openfse.referentials import professions


def test_the_eight_api_ids_in_contract_order() -> None:
    assert [p.id for p in professions.professions()] == [
        "medecin", "infirmier", "masseur_kinesitherapeute", "sage_femme",
        "chirurgien_dentiste", "orthophoniste", "orthoptiste", "pedicure_podologue",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("ident", "profession_code", "specialite_code"),
    [
        ("medecin", "10", None),
        ("chirurgien_dentiste", "40", "19"),
        ("sage_femme", "50", "21"),
        ("infirmier", "60", "24"),
        ("masseur_kinesitherapeute", "70", "26"),
        ("pedicure_podologue", "80", "27"),
        ("orthophoniste", "91", "28"),
        ("orthoptiste", "92", "29"),
    ],
)
def test_official_codes(ident: str, profession_code: str, specialite_code: str | None) -> None:
    found = professions.profession(ident)
    assert (found.profession_code, found.specialite_code) == (profession_code, specialite_code)
    assert found.label and found.source


def test_unknown_profession_is_refused_in_french() -> None:
    with pytest.raises(InvalidInput) as error:
        professions.profession("plombier")
    assert error.value.code == "unknown_profession"
    assert "plombier" in error.value.message
    assert not professions.is_profession("plombier")


@pytest.mark.parametrize(
    ("ident", "code"),
    [
        # docs/formats/price.md ps.specialite ids → SNDS IR_SPE_V codes.
        ("medecine_generale", "01"),
        ("pediatrie", "12"),
        ("psychiatrie", "33"),
        ("cardiologie", "03"),
        ("dermatologie", "05"),
        ("ophtalmologie", "15"),
        ("neurologie", "32"),
        ("rhumatologie", "14"),
        ("gastro_enterologie", "08"),
        ("gynecologie", "79"),
        ("chirurgie_generale", "04"),
        ("chirurgie_orthopedique", "41"),
        ("anesthesie_reanimation", "02"),
    ],
)
def test_price_contract_specialites_map_to_official_codes(ident: str, code: str) -> None:
    assert professions.specialite(ident).code == code


def test_specialites_by_code_and_category() -> None:
    assert professions.specialite_by_code("1").id == "medecine_generale"
    assert professions.specialite_by_code("12").category == "specialiste"
    assert professions.specialite_by_code("33").category == "psychiatre"
    assert professions.specialite_by_code("36").category == "dentiste"
    codes = [s.code for s in professions.specialites()]
    assert codes == sorted(codes) and len(codes) == len(set(codes)) == 55
    with pytest.raises(InvalidInput):
        professions.specialite_by_code("19")  # not a physician spécialité
    with pytest.raises(InvalidInput) as error:
        professions.specialite("astrologie")
    assert error.value.code == "unknown_specialite"
