"""Card use cases: open the day with the CPS, unblock it, sign, read the patient's carte Vitale
or appli carte Vitale with the status colour of each beneficiary.

Every function takes the ports of :mod:`openfse.adapters.cards.port` — never a concrete
backend — and the patient lookup as a plain callable, so they run the same against the
simulator, a PC/SC reader or a test fake. The only place that picks a backend is
:func:`make_card_reader`, from configuration (``OPENFSE_CARD_BACKEND``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openfse.adapters.cards.errors import (
    CardExpired,
    CpsRequired,
)
from openfse.adapters.cards.port import ApcvProvider, ApcvSource, CardReader
from openfse.config import Settings
from openfse.domain.cards import (
    CardKind,
    CpsCard,
    KnownPatient,
    Status,
    VitaleBeneficiary,
    VitaleCard,
    compare,
)
from openfse.domain.rights import PatientSource, normalize_name

__all__ = [
    "BeneficiaryStatus",
    "CardsConfig",
    "FindPatient",
    "VitaleReading",
    "authenticate_cps",
    "read_apcv_with_status",
    "read_vitale_with_status",
    "sign_with_cps",
    "unblock_cps",
]

FindPatient = Callable[[str, str, int], KnownPatient | None]
"""``find_patient(nir_ouvrant_droit, date_naissance, rang)`` → the patient file, or ``None``."""


@dataclass(frozen=True, slots=True)
class BeneficiaryStatus:
    beneficiary: VitaleBeneficiary
    status: Status


@dataclass(frozen=True, slots=True)
class VitaleReading:
    """The beneficiaries of a carte Vitale (or ApCV session), each with its colour."""

    card: VitaleCard
    entries: tuple[BeneficiaryStatus, ...]
    source: PatientSource
    session_id: str | None = None

    @property
    def adri_required(self) -> bool:
        # ApCV: "l'appel ADRI est systématique, quel que soit le choix effectué" (manuel
        # eS-KAP+). For a physical card the user's ADRi preference decides (should_call_adri).
        return self.source is PatientSource.APPLI_CARTE_VITALE


# --------------------------------------------------------------------------- CPS


def authenticate_cps(reader: CardReader, pin: str, *, today: date | None = None) -> CpsCard:
    """Opening of the day: read the holder and the situations, check the code porteur (guide
    LOGOSw "le code confidentiel de la CPS est saisi pour s'identifier → la CPS est lue").

    With ``today``, an expired CPS is refused (:class:`CardExpired`) before its code is typed.
    Raises the port's errors: :class:`PinIncorrect`, :class:`CardBlocked`, :class:`CardAbsent`…
    """
    card = reader.read_cps()
    if today is not None and card.valid_until is not None and not card.valid_on(today):
        raise CardExpired(card.valid_until)
    reader.verify_pin(pin)
    return card


def unblock_cps(reader: CardReader, puk: str, new_pin: str, confirm: str) -> None:
    """"Débloquer code": code de déblocage, then the new code porteur twice (guide LOGOSw)."""
    reader.unblock(puk, new_pin, confirm)


def sign_with_cps(reader: CardReader, data: bytes) -> bytes:
    """Sign with the CPS; the card must have stayed in the reader since the code porteur."""
    return reader.sign(data)


# --------------------------------------------------------------------------- Vitale / ApCV


def read_vitale_with_status(
    reader: CardReader, find_patient: FindPatient, *, require_cps: bool = True
) -> VitaleReading:
    """Read the carte Vitale and colour each beneficiary against the patient base.

    ``require_cps``: "La carte CPS doit se trouver dans le lecteur de carte pour toute lecture
    de carte Vitale" (aide eS-KAP+) — checked before reading.
    """
    if require_cps and not any(slot.card is CardKind.CPS for slot in reader.slots()):
        raise CpsRequired()
    card = reader.read_vitale()
    statuses = _statuses(card.beneficiaries, find_patient)
    return VitaleReading(card, statuses, PatientSource.CARTE_VITALE)


def read_apcv_with_status(
    provider: ApcvProvider, source: ApcvSource, find_patient: FindPatient
) -> VitaleReading:
    """Open an appli carte Vitale session (QR code or NFC) and colour its beneficiaries,
    listed in alphabetical order as the ApCV shows them (manuel eS-KAP+)."""
    session = provider.start_session(source)
    ordered = sorted(
        session.beneficiaries, key=lambda b: (normalize_name(b.nom), normalize_name(b.prenom))
    )
    return VitaleReading(
        session.card,
        _statuses(ordered, find_patient),
        PatientSource.APPLI_CARTE_VITALE,
        session.session_id,
    )


def _statuses(
    beneficiaries: tuple[VitaleBeneficiary, ...] | list[VitaleBeneficiary],
    find_patient: FindPatient,
) -> tuple[BeneficiaryStatus, ...]:
    return tuple(
        BeneficiaryStatus(b, compare(b, find_patient(b.nir, b.date_naissance, b.rang)))
        for b in beneficiaries
    )


# --------------------------------------------------------------------------- composition


@dataclass(frozen=True, slots=True)
class CardsConfig:
    """Which card backend to use and how.

    * ``backend``: ``simulated`` (test cards, demo mode) or ``pcsc`` (pcscd + pyscard);
    * ``state_file``: simulator only — where PIN counters persist (default: in the data
      directory, see :meth:`from_settings`); ``None`` keeps them in memory;
    * ``cards_dir``: simulator only — a directory of test-card YAML files instead of the
      shipped ones; ``inserted``: test cards put in the reader at start (demo);
    * ``reader_filter``: PC/SC only — use only the readers whose name contains it.
    """

    backend: str = "simulated"
    state_file: Path | None = None
    cards_dir: Path | None = None
    inserted: tuple[str, ...] = ()
    reader_filter: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> CardsConfig:
        return cls(
            backend=settings.card_backend,
            state_file=settings.home / "simulator" / "cards-state.json",
        )


