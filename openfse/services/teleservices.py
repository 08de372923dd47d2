"""Use cases of the teleservices: ADRi query, AMC conventions lookup, attestation reading.

They talk to the ports only (:mod:`openfse.adapters.teleservices.port`); which backend
answers is configuration (:func:`make_adri_client`, :func:`make_interamc_directory`).

Invoicing is never blocked by a teleservice: the AMO pays on the card's data even when ADRi is
not consulted (docs/protocols.md §3.1), so :func:`query_adri` *returns* "unavailable" (with the
message to show) instead of raising, and :func:`lookup_conventions` falls back to the local
convention tables when the Inter-AMC directory fails (manuel eS-KAP+).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Literal

from openfse.adapters.teleservices.port import (
    AdriClient,
    AdriIdentityMismatch,
    AdriRequest,
    AdriUnknownPatient,
    InterAmcDirectory,
    TeleserviceInvalidAnswer,
    TeleserviceUnavailable,
)
from openfse.domain.rights import AdriAnswer, AmcAttestation, Convention
from openfse.errors import InvalidInput

__all__ = [
    "ADRI_UNAVAILABLE_MESSAGE",
    "AdriFound",
    "AdriMismatch",
    "AdriOutcome",
    "AdriResult",
    "AdriUnavailableResult",
    "AdriUnknown",
    "ConventionLookup",
    "ConventionSource",
    "TeleserviceConfig",
    "InvalidTeleserviceConfig",
    "local_conventions",
    "lookup_conventions",
    "query_adri",
    "read_attestation",
]

ADRI_UNAVAILABLE_MESSAGE = (
    "ADRi indisponible pour le moment : facturez avec les droits de la carte Vitale "
    "(ou de l'attestation), la facture reste valable."
)


class AdriOutcome(StrEnum):
    FOUND = "found"
    UNKNOWN = "unknown"
    MISMATCH = "mismatch"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class AdriFound:
    answer: AdriAnswer
    outcome: Literal[AdriOutcome.FOUND] = AdriOutcome.FOUND

    @property
    def message(self) -> str:
        state = "ouverts" if self.answer.amo_open else "fermés"
        return f"Droits AMO {state} au {self.answer.queried_on:%d/%m/%Y} (ADRi)."


@dataclass(frozen=True, slots=True)
class AdriUnknown:
    message: str
    outcome: Literal[AdriOutcome.UNKNOWN] = AdriOutcome.UNKNOWN


@dataclass(frozen=True, slots=True)
class AdriMismatch:
    """The "ADRUN" dialog: show ``request`` (the file) and ``returned``; the user chooses."""

    request: AdriRequest
    returned: AdriAnswer
    message: str
    outcome: Literal[AdriOutcome.MISMATCH] = AdriOutcome.MISMATCH


@dataclass(frozen=True, slots=True)
class AdriUnavailableResult:
    reason: str
    detail: str
    message: str = ADRI_UNAVAILABLE_MESSAGE
    outcome: Literal[AdriOutcome.UNAVAILABLE] = AdriOutcome.UNAVAILABLE


AdriResult = AdriFound | AdriUnknown | AdriMismatch | AdriUnavailableResult


def query_adri(client: AdriClient, request: AdriRequest, on: date) -> AdriResult:
    """Ask ADRi for the rights of ``on``. Never raises for an unreachable or garbled service."""
    try:
        return AdriFound(client.query(request, on))
    except AdriUnknownPatient as error:
        return AdriUnknown(error.message)
    except AdriIdentityMismatch as error:
        return AdriMismatch(error.request, error.returned, error.message)
    except TeleserviceUnavailable as error:
        return AdriUnavailableResult(error.reason, error.message)
    except TeleserviceInvalidAnswer as error:
        return AdriUnavailableResult("reponse_illisible", error.message)


class ConventionSource(StrEnum):
    ANNUAIRE = "annuaire"  # the Inter-AMC directory answered
    TABLES_LOCALES = "tables_locales"  # the local convention tables


@dataclass(frozen=True, slots=True)
class ConventionLookup:
    """Conventions to offer for selection, and where they come from (shown to the user)."""

    amc_number: str
    conventions: tuple[Convention, ...]
    source: ConventionSource
    directory_problem: str | None = None  # why the directory was not used, when it was not

    @property
    def message(self) -> str:
        origin = (
            "l'annuaire Inter-AMC"
            if self.source is ConventionSource.ANNUAIRE
            else "les tables de conventions locales"
        )
        text = f"{len(self.conventions)} convention(s) trouvée(s) dans {origin}."
        return f"{self.directory_problem} {text}" if self.directory_problem else text


def lookup_conventions(
    directory: InterAmcDirectory, fallback: InterAmcDirectory, amc_number: str, on: date
) -> ConventionLookup:
    """Conventions of an AMC: the directory first, the local tables when it fails (manuel eS-KAP+:
    "Lorsque le logiciel interroge l'annuaire Inter-AMC… S'il échoue il récupère depuis les
    tables de convention"). An AMC the directory answers for but without any convention in
    force also gets the local tables (the cabinet may hold a convention signed with an OTP).
    """
    try:
        found = directory.conventions(amc_number, on)
    except (TeleserviceUnavailable, TeleserviceInvalidAnswer) as error:
        problem = f"{error.message} Conventions lues dans les tables locales."
    else:
        if found:
            return ConventionLookup(amc_number, tuple(found), ConventionSource.ANNUAIRE)
        problem = "Aucune convention en vigueur pour cette AMC dans l'annuaire Inter-AMC."
    local = fallback.conventions(amc_number, on)
    return ConventionLookup(amc_number, tuple(local), ConventionSource.TABLES_LOCALES, problem)


def read_attestation(image: bytes, on: date | None = None) -> AmcAttestation:
    """Decode an attestation de tiers payant image (DataMatrix / QR).

    Raises the typed ``Attestation*`` errors of
    :mod:`openfse.adapters.teleservices.attestation_format` (French messages for the user).
    """
    from openfse.adapters.teleservices.attestation import decode_attestation

    return decode_attestation(image, on=on)


# --------------------------------------------------------------------------- configuration


class InvalidTeleserviceConfig(InvalidInput):
    code = "invalid_teleservice_config"


@dataclass(frozen=True, slots=True)
class TeleserviceConfig:
    """How to reach one teleservice (ADRi or Inter-AMC directory).

    ``backend``: ``simulated-http`` (``url`` of a simulator process) or ``in-process`` (the
    simulator's data set read directly: tests, demo). Timeouts in seconds; the total budget
    bounds the time a call may take, retries included.
    """

    backend: Literal["simulated-http", "in-process"] = "in-process"
    url: str | None = None
    data_path: Path | None = None
    connect_timeout: float = 0.5
    read_timeout: float = 1.2
    total_budget: float = 3.0
    max_attempts: int = 3
    breaker_threshold: int = 3
    breaker_cooldown: float = 30.0

    def __post_init__(self) -> None:
        if self.backend not in ("simulated-http", "in-process"):
            raise InvalidTeleserviceConfig(
                f"Mode de téléservice inconnu : « {self.backend} » (simulated-http ou in-process).",
                field="backend",
            )
        if self.backend == "simulated-http" and not (
            self.url and self.url.startswith(("http://", "https://"))
        ):
            raise InvalidTeleserviceConfig(
                "Adresse du téléservice requise (http://hôte:port) en mode simulated-http.",
                field="url",
            )
        numbers = (self.connect_timeout, self.read_timeout, self.total_budget)
        if min(numbers) <= 0 or self.max_attempts < 1 or self.breaker_threshold < 1:
            raise InvalidTeleserviceConfig(
                "Délais, nombre de tentatives et seuil du disjoncteur doivent être positifs.",
                field="timeouts",
            )

    @classmethod
    def from_setting(cls, value: str) -> TeleserviceConfig:
        """From the one-word setting of :class:`openfse.config.Settings` (``OPENFSE_ADRI``):
        ``in-process``, or the URL of a simulator service."""
        value = value.strip()
        if value == "in-process":
            return cls()
        return cls(backend="simulated-http", url=value)

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> TeleserviceConfig:
        """From a settings file / environment section (strings accepted for numbers)."""
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, object] = {}
        for key, raw in values.items():
            if key not in known:
                raise InvalidTeleserviceConfig(f"Paramètre inconnu : « {key} ».", field=key)
            try:
                if key in ("connect_timeout", "read_timeout", "total_budget", "breaker_cooldown"):
                    kwargs[key] = float(str(raw))
                elif key in ("max_attempts", "breaker_threshold"):
                    kwargs[key] = int(str(raw))
                elif key == "data_path":
                    kwargs[key] = None if raw in (None, "") else Path(str(raw))
                else:
                    kwargs[key] = None if raw is None else str(raw)
            except ValueError:
                raise InvalidTeleserviceConfig(
                    f"Valeur invalide pour {key} : « {raw} ».", field=key
                ) from None
        return cls(**kwargs)  # type: ignore[arg-type]


def local_conventions(path: Path | None = None) -> InterAmcDirectory:
    """The fallback tables: the cabinet's CSV file, or the shipped demonstration table."""
    from openfse.adapters.teleservices.interamc_local import LocalConventionTable

    return LocalConventionTable.from_file(path) if path else LocalConventionTable.shipped()
