"""Card use cases against the ports: CPS opening, unblocking, signing, Vitale / ApCV colours,
and the backend choice by configuration."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from openfse.adapters.cards.apcv import UnavailableApcvProvider
from openfse.adapters.cards.errors import (
    ApcvPhoneAbsent,
    ApcvQrRejected,
    ApcvSessionExpired,
    ApcvUnavailable,
    CardBlocked,
    CardExpired,
    CpsRequired,
    PinConfirmationMismatch,
    PinIncorrect,
    UnknownCardBackend,
    UnknownTestCard,
)
from openfse.adapters.cards.port import ApcvNfc, ApcvQr, CardReader
from openfse.composition import make_apcv_provider, make_card_reader
from openfse.composition.simulated_apcv import QR_PREFIX, SimulatedApcvProvider
from openfse.composition.simulated_cards import SimulatedReader
from openfse.config import Settings
from openfse.domain.cards import ApcvMode, KnownPatient, StatusColour, VitaleBeneficiary
from openfse.domain.rights import PatientSource
from openfse.services.cards import (
    CardsConfig,
    authenticate_cps,
    read_apcv_with_status,
    read_vitale_with_status,
    sign_with_cps,
    unblock_cps,
)
from openfse.simulators.cards.model import CardCatalog, shipped_cards_dir


def file_of(b: VitaleBeneficiary, **changes: object) -> KnownPatient:
    """The patient file the desk saved from this card beneficiary (optionally edited)."""
    values: dict[str, object] = dict(
        nir=b.nir, date_naissance=b.date_naissance, rang=b.rang, nom=b.nom, prenom=b.prenom,
        qualite=b.qualite, nom_usage=b.nom_usage, nir_individuel=b.nir_individuel,
        regime=b.amo.organisme.regime, caisse=b.amo.organisme.caisse,
        centre=b.amo.organisme.centre, code_gestion=b.amo.code_gestion,
        amc_number=b.amc.number if b.amc else None,
    )
    values.update(changes)
    return KnownPatient(**values)  # type: ignore[arg-type]


class FakePatientBase:
    """A patient base holding files keyed like the real lookup (NIR, date, rang)."""

    def __init__(self, *patients: KnownPatient) -> None:
        self._by_key = {(p.nir, p.date_naissance, p.rang): p for p in patients}
        self.calls: list[tuple[str, str, int]] = []

    def __call__(self, nir: str, birth: str, rang: int) -> KnownPatient | None:
        self.calls.append((nir, birth, rang))
        return self._by_key.get((nir, birth, rang))


# --------------------------------------------------------------------------- CPS


def test_authenticate_cps_checks_the_code_then_reads_the_card(
    cps_reader: SimulatedReader,
) -> None:
    card = authenticate_cps(cps_reader, "1234")
    assert card.rpps == "99900012347"
    assert len(sign_with_cps(cps_reader, b"FSE")) == 32


def test_an_expired_cps_is_refused_before_its_code_is_typed(
    cps_reader: SimulatedReader,
) -> None:
    # cps_titulaire is valid until 31/12/2029.
    assert authenticate_cps(cps_reader, "1234", today=date(2029, 12, 31)).nom == "LEGRAND"
    cps_reader.remove()
    cps_reader.insert("cps_titulaire")
    with pytest.raises(CardExpired) as caught:
        authenticate_cps(cps_reader, "0000", today=date(2030, 1, 1))
    assert caught.value.message == (
        "Carte CPS expirée (valable jusqu'au 31/12/2029) : utilisez votre nouvelle carte."
    )
    assert cps_reader.pin_tries_left() == 3  # the wrong code never reached the card


def test_authenticate_cps_reports_the_tries_left(cps_reader: SimulatedReader) -> None:
    with pytest.raises(PinIncorrect) as caught:
        authenticate_cps(cps_reader, "4321")
    assert caught.value.remaining == 2


def test_unblock_cps_through_the_service(reader: SimulatedReader) -> None:
    reader.insert("cps_bloquee")
    with pytest.raises(CardBlocked):
        authenticate_cps(reader, "1111")
    with pytest.raises(PinConfirmationMismatch):
        unblock_cps(reader, "87654321", "2580", "0852")
    unblock_cps(reader, "87654321", "2580", "2580")
    assert authenticate_cps(reader, "2580").nom == "BLOQUE"


# --------------------------------------------------------------------------- Vitale colours


@pytest.fixture
def desk(reader: SimulatedReader) -> SimulatedReader:
    reader.insert("cps_titulaire")
    reader.insert("vitale_famille")
    return reader


def test_family_card_gets_one_colour_per_beneficiary(
    desk: SimulatedReader, catalog: CardCatalog
) -> None:
    paul, sophie, lea, hugo = desk.read_vitale().beneficiaries
    base = FakePatientBase(
        file_of(paul),  # saved last month, unchanged: green
        file_of(sophie, caisse="921"),  # file still holds the former caisse: yellow
        file_of(lea),  # green; Hugo (twin, rang 2) was never registered: grey
    )
    reading = read_vitale_with_status(desk, base)
    colours = [(e.beneficiary.prenom, e.status.colour) for e in reading.entries]
    assert colours == [
        ("PAUL", StatusColour.GREEN),
        ("SOPHIE", StatusColour.YELLOW),
        ("LEA", StatusColour.GREEN),
        ("HUGO", StatusColour.GREY),
    ]
    diff = reading.entries[1].status.differences
    assert [(d.field, d.card_value, d.file_value) for d in diff] == [("caisse", "751", "921")]
    # The lookup key is NIR ouvrant droit + date de naissance (lunar verbatim) + rang.
    assert base.calls[1] == ("178047511501217", "19841300", 1)
    assert base.calls[3] == ("178047511501217", "20150315", 2)
    assert reading.source is PatientSource.CARTE_VITALE
    assert reading.adri_required is False


def test_a_vitale_is_read_only_with_the_cps_in_the_reader(reader: SimulatedReader) -> None:
    reader.insert("vitale_famille")
    with pytest.raises(CpsRequired) as caught:
        read_vitale_with_status(reader, FakePatientBase())
    assert caught.value.code == "cps_required"
    reading = read_vitale_with_status(reader, FakePatientBase(), require_cps=False)
    assert all(e.status.colour is StatusColour.GREY for e in reading.entries)


# --------------------------------------------------------------------------- ApCV


@pytest.fixture
def apcv(catalog: CardCatalog) -> SimulatedApcvProvider:
    return SimulatedApcvProvider(catalog)


def test_apcv_qr_session_lists_beneficiaries_alphabetically_and_needs_adri(
    apcv: SimulatedApcvProvider,
) -> None:
    payload = apcv.show_qr("vitale_famille")
    assert payload.startswith(f"{QR_PREFIX}:vitale_famille:")
    reading = read_apcv_with_status(apcv, ApcvQr(payload), FakePatientBase())
    # Manuel eS-KAP+: "la liste des bénéficiaires s'affiche, triée par ordre alphabétique".
    assert [(e.beneficiary.nom, e.beneficiary.prenom) for e in reading.entries] == [
        ("DUBOIS", "SOPHIE"), ("MARTIN", "HUGO"), ("MARTIN", "LEA"), ("MARTIN", "PAUL"),
    ]
    assert reading.source is PatientSource.APPLI_CARTE_VITALE
    assert reading.adri_required is True
    assert reading.session_id


def test_apcv_qr_code_is_single_use_and_cannot_be_forged(apcv: SimulatedApcvProvider) -> None:
    payload = apcv.show_qr("vitale_c2s")
    session = apcv.start_session(ApcvQr(payload))
    assert session.mode is ApcvMode.QR and session.adri_required
    with pytest.raises(ApcvQrRejected):
        apcv.start_session(ApcvQr(payload))  # replay
    token = apcv.show_qr("vitale_c2s").rsplit(":", 1)[1]
    with pytest.raises(ApcvQrRejected):
        apcv.start_session(ApcvQr(f"{QR_PREFIX}:vitale_famille:{token}"))  # other card
    for junk in ("", "hello", f"{QR_PREFIX}:vitale_c2s:", "http://exemple.fr"):
        with pytest.raises(ApcvQrRejected):
            apcv.start_session(ApcvQr(junk))


def test_the_apcv_session_signs_as_its_card_does(apcv: SimulatedApcvProvider,
                                                 catalog: CardCatalog) -> None:
    # The appli takes the carte Vitale's part in securing: same card, same key, same bytes.
    reader = SimulatedReader(catalog)
    reader.insert("vitale_famille")
    session = apcv.start_session(ApcvQr(apcv.show_qr("vitale_famille")))
    assert apcv.certify(session.session_id, b"contenu") == reader.certify_vitale(b"contenu")
    with pytest.raises(ApcvSessionExpired):
        apcv.certify("unknown", b"contenu")
    with pytest.raises(ApcvUnavailable):
        UnavailableApcvProvider().certify(session.session_id, b"contenu")


def test_apcv_nfc_needs_a_phone_on_the_reader(apcv: SimulatedApcvProvider) -> None:
    with pytest.raises(ApcvPhoneAbsent):
        apcv.start_session(ApcvNfc())
    apcv.present_phone("vitale_ald")
    session = apcv.start_session(ApcvNfc())
    assert session.mode is ApcvMode.NFC
    assert session.beneficiaries[0].nom == "MOREAU"
    apcv.withdraw_phone()
    with pytest.raises(ApcvPhoneAbsent):
        apcv.start_session(ApcvNfc())


def test_apcv_only_knows_vitale_cards(apcv: SimulatedApcvProvider) -> None:
    with pytest.raises(UnknownTestCard):
        apcv.show_qr("cps_titulaire")
    with pytest.raises(UnknownTestCard):
        apcv.present_phone("inconnue")


# --------------------------------------------------------------------------- configuration


def test_switching_backend_is_configuration(tmp_path: Path) -> None:
    config = CardsConfig(
        backend="simulated", state_file=tmp_path / "state.json", inserted=("cps_titulaire",)
    )
    reader: CardReader = make_card_reader(config)
    assert isinstance(reader, SimulatedReader)
    assert reader.read_cps().nom == "LEGRAND"
    from openfse.adapters.cards.pcsc import PcscCardReader

    assert isinstance(make_card_reader(CardsConfig(backend="PCSC")), PcscCardReader)
    with pytest.raises(UnknownCardBackend) as caught:
        make_card_reader(CardsConfig(backend="usb"))
    assert caught.value.code == "unknown_card_backend"


def test_config_from_settings_keeps_the_state_in_the_data_directory(tmp_path: Path) -> None:
    settings = Settings.from_env({"OPENFSE_HOME": str(tmp_path), "OPENFSE_CARD_BACKEND": "pcsc"})
    config = CardsConfig.from_settings(settings)
    assert config.backend == "pcsc"
    assert config.state_file == tmp_path / "simulator" / "cards-state.json"


def test_simulated_counters_persist_where_the_settings_say(tmp_path: Path) -> None:
    settings = Settings.from_env({"OPENFSE_HOME": str(tmp_path)})
    first = make_card_reader(CardsConfig.from_settings(settings))
    assert isinstance(first, SimulatedReader)
    first.insert("cps_titulaire")
    with pytest.raises(PinIncorrect):
        first.verify_pin("0000")
    assert (tmp_path / "simulator" / "cards-state.json").exists()
    second = make_card_reader(CardsConfig.from_settings(settings))
    assert isinstance(second, SimulatedReader)
    second.insert("cps_titulaire")
    assert second.pin_tries_left() == 2


def test_a_custom_card_directory(tmp_path: Path) -> None:
    text = shipped_cards_dir().joinpath("vitale_sans_amc.yaml").read_text(encoding="utf-8")
    (tmp_path / "vitale_cabinet.yaml").write_text(text, encoding="utf-8")
    reader = make_card_reader(CardsConfig(cards_dir=tmp_path, inserted=("vitale_cabinet",)))
    assert reader.read_vitale().beneficiaries[0].prenom == "EMMA"
    provider = make_apcv_provider(CardsConfig(cards_dir=tmp_path))
    assert isinstance(provider, SimulatedApcvProvider)
    assert provider.catalog.names() == ["vitale_cabinet"]


def test_the_apcv_is_only_simulated_for_now() -> None:
    assert isinstance(make_apcv_provider(CardsConfig()), SimulatedApcvProvider)
    unavailable = make_apcv_provider(CardsConfig(backend="pcsc"))  # the app still starts
    with pytest.raises(ApcvUnavailable) as caught:
        unavailable.start_session(ApcvNfc())
    assert caught.value.code == "apcv_unavailable"
