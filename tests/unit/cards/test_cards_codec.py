"""Card content <-> plain data: round trips and precise refusals (test-card files, chip JSON)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from openfse.adapters.cards.codec import (
    card_from_data,
    card_from_json,
    card_to_json,
    to_data,
)
from openfse.adapters.cards.errors import CardContentError
from openfse.domain.cards import CardKind
from openfse.simulators.cards.model import (
    CardCatalog,
    load_card_file,
    parse_card_file,
    shipped_cards_dir,
)


def test_every_shipped_card_round_trips_through_json(catalog: CardCatalog) -> None:
    for card in catalog.all():
        assert card_from_json(card.kind, card_to_json(card.content)) == card.content


def test_json_keeps_lunar_dates_and_accents(catalog: CardCatalog) -> None:
    raw = card_to_json(catalog.get("vitale_famille").content)
    assert b'"date_naissance":"19841300"' in raw
    assert b", " not in raw  # compact: the chip file stays small
    # UTF-8, not \u escapes: "diabète" costs 8 bytes on the chip, not 12.
    assert "diabète".encode() in card_to_json(catalog.get("vitale_ald").content)


def family_data(catalog: CardCatalog) -> dict[str, Any]:
    data = to_data(catalog.get("vitale_famille").content)
    assert isinstance(data, dict)
    return copy.deepcopy(data)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["beneficiaries"][0].update(couleur="vert"), "champ(s) inconnu(s) couleur"),
        (lambda d: d["beneficiaries"][0].pop("rang"), "champ « rang » manquant"),
        (lambda d: d["beneficiaries"][0].update(rang="1"), "beneficiaries[0].rang : nombre"),
        (lambda d: d["beneficiaries"][0]["amo"]["organisme"].update(caisse=751), "texte attendu"),
        (lambda d: d["beneficiaries"][0]["amo"]["periods"][0].update(start="31/12/2025"),
         "date AAAA-MM-JJ attendue"),
        (lambda d: d["beneficiaries"][0].update(nir="1780475115012"), "NIR de carte mal formé"),
        (lambda d: d.update(beneficiaries={}), "liste attendue"),
        (lambda d: d["beneficiaries"][0].update(rang=True), "nombre entier"),
        (lambda d: d["beneficiaries"][0]["amo"]["periods"][0].update(
            start="2026-01-01", end="2025-01-01"), "la fin (01/01/2025) précède le début"),
    ],
)
def test_malformed_content_is_refused_with_its_path(
    catalog: CardCatalog, mutate: Any, expected: str
) -> None:
    data = family_data(catalog)
    mutate(data)
    with pytest.raises(CardContentError) as caught:
        card_from_data(CardKind.VITALE, data)
    assert expected in caught.value.message
    assert caught.value.code == "card_content_invalid"


def test_garbage_json_is_a_content_error() -> None:
    for raw in (b"\xff\xfe", b"{", b"[]", b"null"):
        with pytest.raises(CardContentError):
            card_from_json(CardKind.CPS, raw)
    with pytest.raises(CardContentError):
        card_from_data(CardKind.UNKNOWN, {})


CPS_FILE = """
kind: cps
description: test
card:
  serial: "1"
  civilite: M.
  nom: X
  prenom: Y
  rpps: "99900012347"
  situations:
    - {numero: 1, numero_facturation: "75100012", cle_facturation: "6", profession: "10",
       specialite: "01", mode_exercice: "0", remplacant: false, conventionnement: "1",
       caisse_rattachement: "751"}
secrets: {pin: "1234", unblock_code: "12345678", signing_key: "%s"%s}
"""


def cps_file(key: str = "00" * 16, extra: str = "") -> str:
    return CPS_FILE % (key, extra)


def test_a_minimal_cps_file_parses_with_default_counters() -> None:
    card = parse_card_file("mini", cps_file())
    assert card.secrets is not None
    assert (card.secrets.pin_tries_left, card.secrets.unblock_tries_left) == (3, 10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kind: cps\n", "clés attendues"),
        ("[1, 2]", "clés attendues"),
        ("kind: bank\ncard: {}\n", "kind doit valoir"),
        ("kind: cps\ncard: {a: [\n", "YAML invalide"),
        (cps_file(key="00"), "signing_key"),
        (cps_file(key="zz" * 16), "signing_key"),
        (cps_file(extra=", pin_tries_left: 4"), "pin_tries_left"),
        (cps_file(extra=", unblock_tries_left: true"), "unblock_tries_left"),
        (cps_file(extra=", puk: x"), "secrets : clés attendues"),
        (cps_file().replace('pin: "1234"', 'pin: "12345"'), "4 chiffres"),
        (cps_file().replace('"12345678"', '"1234"'), "code de déblocage"),
        (cps_file().replace('rpps: "99900012347"', "rpps: 99900012347"), "card.rpps"),
    ],
)
def test_a_broken_card_file_names_file_and_field(text: str, expected: str) -> None:
    with pytest.raises(CardContentError) as caught:
        parse_card_file("broken", text)
    assert "broken" in caught.value.message
    assert expected in caught.value.message


def test_a_vitale_file_cannot_carry_secrets(tmp_path: Any) -> None:
    text = shipped_cards_dir().joinpath("vitale_sans_amc.yaml").read_text(encoding="utf-8")
    assert parse_card_file("v", text).secrets is None
    with pytest.raises(CardContentError) as caught:
        parse_card_file("v", text + 'secrets: {pin: "1234"}\n')
    assert "seule une CPS porte des secrets" in caught.value.message
    missing = tmp_path / "absent.yaml"
    with pytest.raises(CardContentError) as caught:
        load_card_file(missing)
    assert "absent.yaml" in caught.value.message
