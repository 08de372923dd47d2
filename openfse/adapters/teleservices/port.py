"""Ports of the teleservices: what services may call, whatever the backend.

* :class:`AdriClient` — ADRi, rights of the day for a beneficiary (docs/protocols.md §3.1).
* :class:`InterAmcDirectory` — the Inter-AMC annuaire: conventions of an AMC (§5).

Backends (simulated HTTP service, in-process data set, a future real "Services en ligne"
client) implement these protocols; services never import a backend directly. Every failure is
one of the typed errors below, with a machine ``code`` and a French ``message``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from stdnum.util import isdigits

from openfse.domain.cards import VitaleBeneficiary
from openfse.domain.rights import (
    AdriAnswer,
    BirthDate,
    Convention,
    InvalidBirthDate,
    same_identity,
)
from openfse.errors import InvalidInput, OpenFSEError
from openfse.ids import amc as ids_amc
from openfse.ids import nir as ids_nir
from openfse.ids import organisme as ids_organisme
from openfse.ids.exceptions import ValidationError as IdsValidationError

__all__ = [
    "AdriClient",
    "AdriIdentityMismatch",
    "AdriInvalidAnswer",
    "AdriInvalidRequest",
    "AdriRequest",
    "AdriUnavailable",
    "AdriUnknownPatient",
    "ExpectedIdentity",
    "InterAmcDirectory",
    "InterAmcInvalidAnswer",
    "InterAmcUnavailable",
    "InvalidAmcNumber",
    "TeleserviceError",
    "TeleserviceInvalidAnswer",
    "TeleserviceUnavailable",
    "checked_amc_number",
]


# --------------------------------------------------------------------------- errors


class TeleserviceError(OpenFSEError):
    code = "teleservice_error"


class TeleserviceUnavailable(TeleserviceError):
    """The service could not be reached in time (after retries); invoicing goes on without it.

    ``reason`` is one of ``connexion_impossible``, ``connexion_interrompue``, ``delai_depasse``,
    ``service_indisponible``, ``circuit_ouvert``, ``erreur_serveur``, ``configuration``.
    """

    code = "teleservice_unavailable"
    service = "téléservice"

    def __init__(self, reason: str, *, attempts: int = 0, elapsed: float = 0.0) -> None:
        self.reason = reason
        self.attempts = attempts
        self.elapsed = elapsed
        super().__init__(f"{self.service} indisponible ({_REASONS.get(reason, reason)}).")


_REASONS = {
    "connexion_impossible": "connexion impossible",
    "connexion_interrompue": "connexion interrompue",
    "delai_depasse": "délai de réponse dépassé",
    "service_indisponible": "service momentanément indisponible",
    "circuit_ouvert": "appels suspendus après plusieurs échecs consécutifs",
    "erreur_serveur": "erreur du serveur",
    "configuration": "adresse du service incorrecte",
}


class TeleserviceInvalidAnswer(TeleserviceError):
    """The service answered something we cannot read: treated like unavailability by services."""

    code = "teleservice_invalid_answer"


class AdriUnavailable(TeleserviceUnavailable):
    code = "adri_unavailable"
    service = "ADRi"


class AdriInvalidAnswer(TeleserviceInvalidAnswer):
    code = "adri_invalid_answer"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"Réponse ADRi illisible : {detail}.")


class InterAmcUnavailable(TeleserviceUnavailable):
    code = "interamc_unavailable"
    service = "Annuaire Inter-AMC"


class InterAmcInvalidAnswer(TeleserviceInvalidAnswer):
    code = "interamc_invalid_answer"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"Réponse de l'annuaire Inter-AMC illisible : {detail}.")


class AdriInvalidRequest(InvalidInput):
    code = "adri_invalid_request"


class InvalidAmcNumber(InvalidInput):
    code = "invalid_amc_number"


def checked_amc_number(amc_number: str) -> str:
    """The compact AMC number (7 to 10 digits, openfse.ids.amc), or :class:`InvalidAmcNumber`."""
    try:
        return ids_amc.validate(amc_number)
    except IdsValidationError as error:
        raise InvalidAmcNumber(error.message, field="amc_number") from None


class AdriUnknownPatient(TeleserviceError):
    """The caisse knows no beneficiary with this NIR (and régime / caisse / centre)."""

    code = "adri_unknown_patient"

    def __init__(self, request: AdriRequest) -> None:
        self.request = request
        super().__init__(
            f"ADRi : aucun bénéficiaire connu pour le NIR {request.nir} (régime "
            f"{request.regime}, rang {request.rang}). Vérifiez le NIR et le régime, ou "
            "facturez avec la carte Vitale ou l'attestation."
        )


class AdriIdentityMismatch(TeleserviceError):
    """ADRi answered about someone else than the local file (manuel eS-KAP+, "ADRUN" dialog).

    Carries the request and what the caisse returned, so that the UI can show both and let
    the user continue with the returned data or keep the file.
    """

    code = "adri_identity_mismatch"

    def __init__(self, request: AdriRequest, returned: AdriAnswer) -> None:
        self.request = request
        self.returned = returned
        who = returned.beneficiary
        super().__init__(
            f"Les données remontées par le service ADRI concernent {who.display_name} "
            f"(né(e) le {who.birth_date}, rang {who.rang}). Souhaitez-vous continuer ?"
        )


# --------------------------------------------------------------------------- request


@dataclass(frozen=True, slots=True)
class ExpectedIdentity:
    """The identity of the local patient file, checked against ADRi's answer."""

    nom: str
    prenom: str = ""


def _validated_nir(value: str) -> str:
    # NIR checks (parts, key 97 − N mod 97, Corsica): openfse.ids.nir, docs/rules.md §G.
    try:
        return ids_nir.validate(value)
    except IdsValidationError as error:
        raise AdriInvalidRequest(error.message, field="nir") from None


@dataclass(frozen=True, slots=True)
class AdriRequest:
    """An ADRi query: NIR + date de naissance + rang + régime (+ caisse and centre for 7/8).

    Build it with :meth:`create`, which normalises and validates the raw input.
    """

    nir: str
    birth_date: BirthDate
    rang: int
    regime: str
    caisse: str | None = None
    centre: str | None = None
    expected: ExpectedIdentity | None = None

    def __post_init__(self) -> None:
        if _validated_nir(self.nir) != self.nir:
            raise AdriInvalidRequest(
                f"NIR non normalisé : « {self.nir} » (utilisez AdriRequest.create).", field="nir"
            )
        if not 1 <= self.rang <= 9:
            raise AdriInvalidRequest(
                f"Rang de naissance invalide : {self.rang} (1 à 9 ; 1 pour une naissance "
                "unique, 1 et 2 pour des jumeaux).",
                field="rang",
            )
        if self.regime not in ids_organisme.REGIMES:
            raise AdriInvalidRequest(
                f"Code régime inconnu : « {self.regime} » (2 chiffres, ex. 01 régime général, "
                "02 MSA).",
                field="regime",
            )
        # Aide eS-KAP+: a provisional NIR (7 or 8, often AME) needs the code caisse and code centre
        # read on the attestation ("organisme 01 841 5623: caisse 841, centre 5623").
        if self.is_provisional:
            for name, value in (("caisse", self.caisse), ("centre", self.centre)):
                if not value:
                    raise AdriInvalidRequest(
                        "NIR provisoire (commençant par 7 ou 8) : le code caisse et le code "
                        "centre sont obligatoires ; ils figurent sur l'attestation (ex. "
                        "organisme 01 841 5623 → caisse 841, centre 5623).",
                        field=name,
                    )
        if self.caisse is not None and not (isdigits(self.caisse) and len(self.caisse) == 3):
            raise AdriInvalidRequest(
                f"Code caisse invalide : « {self.caisse} » (3 chiffres, ex. 841).", field="caisse"
            )
        if self.centre is not None and not (isdigits(self.centre) and len(self.centre) == 4):
            raise AdriInvalidRequest(
                f"Code centre invalide : « {self.centre} » (4 chiffres, ex. 5623).", field="centre"
            )

    @classmethod
    def create(
        cls,
        *,
        nir: str,
        birth_date: date | BirthDate | str,
        rang: int | str,
        regime: str,
        caisse: str | None = None,
        centre: str | None = None,
        expected_nom: str | None = None,
        expected_prenom: str = "",
    ) -> AdriRequest:
        """Normalise raw input (spaces, date forms) and validate it."""
        try:
            if isinstance(birth_date, BirthDate):
                born = birth_date
            elif isinstance(birth_date, date):
                born = BirthDate.of(birth_date)
            else:
                born = BirthDate.parse(birth_date)
        except InvalidBirthDate as error:
            raise AdriInvalidRequest(error.message, field="date_naissance") from None
        if isinstance(rang, str):
            if not isdigits(rang.strip()):
                raise AdriInvalidRequest(f"Rang de naissance invalide : « {rang} ».", field="rang")
            rang = int(rang.strip())
        return cls(
            nir=_validated_nir(nir),
            birth_date=born,
            rang=rang,
            regime=regime.strip(),
            caisse=(caisse or "").replace(" ", "") or None,
            centre=(centre or "").replace(" ", "") or None,
            expected=ExpectedIdentity(expected_nom, expected_prenom) if expected_nom else None,
        )

    @classmethod
    def from_vitale(cls, beneficiary: VitaleBeneficiary) -> AdriRequest:
        """The query for a beneficiary read on a carte Vitale (or the appli carte Vitale):
        its NIR ouvrant droit, birth date verbatim, rang, organisme, and its name as the
        identity to check the answer against."""
        organisme = beneficiary.amo.organisme
        provisional = beneficiary.nir[:1] in ("7", "8")  # caisse + centre only then (aide eS-KAP+)
        return cls.create(
            nir=beneficiary.nir,
            birth_date=BirthDate.parse(beneficiary.date_naissance),
            rang=beneficiary.rang,
            regime=organisme.regime,
            caisse=organisme.caisse if provisional else None,
            centre=organisme.centre if provisional else None,
            expected_nom=beneficiary.nom,
            expected_prenom=beneficiary.prenom,
        )

    @property
    def is_provisional(self) -> bool:
        return self.nir[0] in "78"

    def check_identity(self, answer: AdriAnswer) -> AdriAnswer:
        """Return ``answer`` if it names the expected person, else raise the mismatch."""
        if self.expected is not None and not same_identity(
            self.expected.nom, self.expected.prenom, answer.beneficiary
        ):
            raise AdriIdentityMismatch(self, answer)
        return answer


# --------------------------------------------------------------------------- ports


class AdriClient(Protocol):
    def query(self, request: AdriRequest, on: date) -> AdriAnswer:
        """Rights of the day ``on``.

        Raises AdriUnknownPatient, AdriIdentityMismatch, AdriUnavailable, AdriInvalidAnswer.
        """
        ...


class InterAmcDirectory(Protocol):
    def conventions(self, amc_number: str, on: date) -> list[Convention]:
        """Conventions in force on ``on`` for this AMC; ``[]`` when the AMC has none.

        Raises InterAmcUnavailable or InterAmcInvalidAnswer when the directory fails.
        """
        ...
