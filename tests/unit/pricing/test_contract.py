"""The JSON contract: precise errors naming the field, synonyms, output format (price.md)."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from openfse.domain.pricing import DraftError, dumps, parse_draft, price_document
from openfse.domain.pricing.codes import Gestion, NatureAssurance, Profession


def error_of(doc) -> DraftError:
    with pytest.raises(DraftError) as raised:
        parse_draft(doc)
    return raised.value


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date_soins": None}, "date_soins"),
        ({"date_soins": "03/03/2025"}, "date_soins"),
        ({"profession": "plombier"}, "profession"),
        ({"acts": []}, "acts"),
        ({"acts": {"code": "G"}}, "acts"),
        ({"acts": [{"code": "G", "coefficient": True}]}, "acts[0].coefficient"),
        ({"acts": [{"code": "G", "coefficient": 0}]}, "acts[0].coefficient"),
        ({"acts": [{"code": "G", "unit_price": "1.234"}]}, "acts[0].unit_price"),
        ({"acts": [{"code": "G", "unit_price": -1}]}, "acts[0].unit_price"),
        ({"acts": [{"code": "G", "quantity": 1.5}]}, "acts[0].quantity"),
        ({"acts": [{"code": "G"}, {"nomenclature": "CCAM"}]}, "acts[1].code"),
        ({"acts": [{"code": "AFL001", "nomenclature": "CCAM"}]}, "acts[0].code"),
        ({"acts": [{"code": "G", "nomenclature": "LPP"}]}, "acts[0].nomenclature"),
        ({"acts": [{"code": "G", "association_code": 6}]}, "acts[0].association_code"),
        ({"acts": [{"code": "G", "qualificatif": "Z"}]}, "acts[0].qualificatif"),
        ({"acts": [{"code": "G", "exo": "8"}]}, "acts[0].exo"),
        ({"acts": [{"code": "G", "modifiers": "F"}]}, "acts[0].modifiers"),
        ({"acts": [{"code": "G", "modifiers": ["FF"]}]}, "acts[0].modifiers[0]"),
        ({"ps": {"secteur": 3}}, "ps.secteur"),
        ({"ps": {"optam": 1}}, "ps.optam"),
        ({"patient": {"age": -1}}, "patient.age"),
        ({"patient": {"regime": "1"}}, "patient.regime"),
        ({"patient": {"c2s": True, "ame": True}}, "patient.ame"),
        ({"patient": {"birth_date": "2030-01-01"}}, "patient.birth_date"),
        ({"patient": {"parcours": "ailleurs"}}, "patient.parcours"),
        ({"amc": {"parameter": 100}}, "amc.formula"),
        ({"amc": {"formula": "052", "gestion": "mixte"}}, "amc.gestion"),
        ({"tiers_payant": {"amo": "yes"}}, "tiers_payant.amo"),
        ({"nature_assurance": "vacances"}, "nature_assurance"),
    ],
)
def test_bad_values_name_their_field(doc, change, field):
    draft = doc(**change)
    if change.get("date_soins", "") is None:
        del draft["date_soins"]
    error = error_of(draft)
    assert error.field == field
    assert field in error.message  # English message for the CLI/API names the path
    assert error.message_fr
    assert error.as_dict()["field"] == field


def test_a_document_that_is_not_an_object_is_refused():
    assert error_of(["G"]).field == "$"


def test_unknown_keys_are_ignored(doc):
    draft = doc(commentaire="hello", acts=[{"code": "G", "couleur": "bleu"}])
    assert parse_draft(draft).acts[0].code == "G"


def test_synonyms_and_case_are_accepted(doc):
    draft = parse_draft(
        doc(
            profession="Kiné",
            nature_assurance="MA",
            acts=[{"code": "ams", "coefficient": "9,5", "qualificatif": "aucun"}],
            amc={"formula": 52, "gestion": "Séparée"},
            patient={"regime": 1, "parcours": "Médecin traitant"},
        )
    )
    assert draft.profession is Profession.MASSEUR_KINESITHERAPEUTE
    assert draft.nature_assurance is NatureAssurance.MALADIE
    assert (draft.acts[0].code, draft.acts[0].coefficient) == ("AMS", D("9.5"))
    assert draft.acts[0].qualificatif is None
    assert (draft.amc.formula, draft.amc.gestion) == ("052", Gestion.SEPAREE)
    assert draft.patient.regime == "01"


def test_numbers_are_read_as_decimals_never_floats(doc):
    # A Python float is read through its shortest repr: 0.1 → Decimal("0.1").
    draft = parse_draft(doc(acts=[{"code": "AMI", "coefficient": 4.5, "unit_price": 0.1}]))
    assert draft.acts[0].unit_price == D("0.10")


def test_output_amounts_have_two_decimals_and_dumps_writes_numbers(priced, doc):
    result = priced(doc(amc={"formula": "052"}))
    text = dumps(result)
    assert '"amo_brut": 21.00' in text
    assert '"taux_amo": 70' in text
    back = json.loads(text, parse_float=D)
    assert back["amo_brut"] == D("21.00")
    assert str(back["per_act"][0]["amc"]) == "9.00"
    assert set(back) >= {
        "per_act",
        "total_honoraires",
        "total_br",
        "forfait_acte_lourd_24",
        "amo_brut",
        "participation_forfaitaire",
        "franchise",
        "amo_net",
        "amc",
        "reste_a_charge_final",
        "a_regler_par_patient_au_ps",
        "warnings",
    }
    assert set(back["per_act"][0]) >= {
        "code",
        "br",
        "honoraires",
        "taux_amo",
        "amo",
        "amc",
        "patient",
    }


def test_dumps_compact_and_refuses_non_json():
    assert dumps({"a": [D("1.50"), None, "é"]}, indent=0) == '{"a": [1.50, null, "é"]}'
    with pytest.raises(TypeError):
        dumps({"a": object()})


def test_price_document_raises_draft_error_for_engine_problems(tariffs, doc):
    with pytest.raises(DraftError) as raised:
        price_document(doc(acts=[{"code": "NOPE"}]), tariffs)
    assert raised.value.as_dict()["code"] == "unknown_tariff"
