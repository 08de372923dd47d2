"""The test cards shipped in openfse/simulators/data/cards: present, valid, as documented."""

from __future__ import annotations

from datetime import date

from stdnum import luhn

from openfse.domain.cards import CpsCard, VitaleCard
from openfse.simulators.cards.model import UNBLOCK_MAX_TRIES, CardCatalog

REQUIRED = {
    "cps_titulaire", "cps_remplacant", "cps_bloquee", "cps_infirmier",
    "vitale_famille", "vitale_droits_expires", "vitale_c2s", "vitale_ald", "vitale_at",
    "vitale_sans_amc",
}


def nir_key(first13: str) -> str:
    """NIR key = 97 − (N mod 97), 2A → 19 and 2B → 18 (docs/rules.md §G)."""
    try:
        from openfse.ids import nir  # written by the identifiers engineer
    except ImportError:
        number = int(first13.replace("2A", "19").replace("2B", "18"))
        return f"{97 - number % 97:02d}"
    return nir.calc_check_digits(first13)


def test_the_key_helper_matches_the_published_examples() -> None:
    # docs/rules.md §G: 1 83 01 75 111 001 → 49 (dossier LOGOSw), 2 06 12 75 111 005 → 64.
    assert nir_key("1830175111001") == "49"
    assert nir_key("2061275111005") == "64"


def test_every_required_card_is_shipped(catalog: CardCatalog) -> None:
    assert set(catalog.names()) >= REQUIRED


def test_every_shipped_card_loads_with_a_description(catalog: CardCatalog) -> None:
    for card in catalog.all():
        assert card.description, card.name
        assert card.name.startswith(card.kind.value), card.name


def vitale(catalog: CardCatalog, name: str) -> VitaleCard:
    content = catalog.get(name).content
    assert isinstance(content, VitaleCard)
    return content


def cps(catalog: CardCatalog, name: str) -> CpsCard:
    content = catalog.get(name).content
    assert isinstance(content, CpsCard)
    return content


def test_every_nir_on_the_vitale_cards_has_a_valid_key(catalog: CardCatalog) -> None:
    checked = 0
    for card in catalog.all():
        if not isinstance(card.content, VitaleCard):
            continue
        for b in card.content.beneficiaries:
            for number in filter(None, (b.nir, b.nir_individuel)):
                assert number[13:] == nir_key(number[:13]), (card.name, b.prenom, number)
                checked += 1
    assert checked >= 12


def test_every_rpps_on_the_cps_has_a_valid_luhn_key(catalog: CardCatalog) -> None:
    for card in catalog.all():
        if isinstance(card.content, CpsCard):
            assert luhn.is_valid(card.content.rpps), card.name


def test_titulaire_is_a_general_practitioner_in_secteur_1_with_pin_1234(
    catalog: CardCatalog,
) -> None:
    card = catalog.get("cps_titulaire")
    assert card.secrets is not None and card.secrets.pin == "1234"
    first = cps(catalog, "cps_titulaire").situations[0]
    assert (first.profession, first.specialite, first.conventionnement) == ("10", "01", "1")
    assert not first.remplacant
    assert len(cps(catalog, "cps_titulaire").situations) == 2


def test_remplacant_and_infirmier_cards(catalog: CardCatalog) -> None:
    assert cps(catalog, "cps_remplacant").situations[0].remplacant
    assert cps(catalog, "cps_infirmier").situations[0].profession == "60"


def test_the_blocked_cps_has_no_try_left(catalog: CardCatalog) -> None:
    secrets = catalog.get("cps_bloquee").secrets
    assert secrets is not None
    assert secrets.pin_tries_left == 0
    assert secrets.unblock_tries_left == UNBLOCK_MAX_TRIES


def test_family_card_has_assure_conjoint_and_twins_with_a_lunar_date(
    catalog: CardCatalog,
) -> None:
    card = vitale(catalog, "vitale_famille")
    assert [b.qualite for b in card.beneficiaries] == ["00", "02", "06", "06"]
    twins = [b for b in card.beneficiaries if b.qualite == "06"]
    assert {b.date_naissance for b in twins} == {"20150315"}
    assert sorted(b.rang for b in twins) == [1, 2]
    conjoint = card.beneficiaries[1]
    assert conjoint.date_naissance == "19841300" and conjoint.is_lunar_birth
    assert conjoint.nom_usage == "MARTIN"


def test_rights_periods_of_the_cards(catalog: CardCatalog) -> None:
    today = date(2026, 11, 23)
    expired = vitale(catalog, "vitale_droits_expires").beneficiaries[0]
    assert not expired.amo.open_on(today)
    assert expired.amo.open_on(date(2024, 12, 31))
    for name in ("vitale_famille", "vitale_c2s", "vitale_ald", "vitale_at", "vitale_sans_amc"):
        assert all(b.amo.open_on(today) for b in vitale(catalog, name).beneficiaries), name


def test_c2s_ald_at_and_plain_cards(catalog: CardCatalog) -> None:
    c2s = vitale(catalog, "vitale_c2s").beneficiaries[0].amc
    assert c2s is not None and c2s.is_c2s and c2s.number == "99999997"
    ald = vitale(catalog, "vitale_ald").beneficiaries[0]
    assert [e.code for e in ald.ald_exonerations] == ["4"]
    at = vitale(catalog, "vitale_at").beneficiaries[0].accidents_travail
    assert [(a.identifiant, a.date) for a in at] == [
        ("020105342", date(2023, 3, 7)),
        ("250113001", date(2025, 1, 13)),
    ]
    plain = vitale(catalog, "vitale_sans_amc").beneficiaries[0]
    assert plain.amc is None and plain.exonerations == () and plain.accidents_travail == ()


def test_serials_are_unique(catalog: CardCatalog) -> None:
    serials = [c.content.serial for c in catalog.all()]
    assert len(set(serials)) == len(serials)
