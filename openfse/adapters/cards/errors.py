"""Typed errors of the card readers, with a machine ``code`` and a French ``message``.

Every backend (simulator, PC/SC) raises exactly these, so the services and the web UI never
look at a status word or a pyscard exception. The PIN-format errors live with the PIN rules in
:mod:`openfse.domain.cards` and are re-exported here so that callers import every card error
from one place.
"""

from __future__ import annotations

from datetime import date

from openfse.domain.cards import (
    PIN_MAX_TRIES,
    CardKind,
    InvalidPinFormat,
    InvalidUnblockCodeFormat,
    PinConfirmationMismatch,
)
from openfse.errors import Conflict, InvalidInput, NotFound, OpenFSEError

__all__ = [
    "ApcvError",
    "ApcvPhoneAbsent",
    "ApcvQrRejected",
    "ApcvUnavailable",
    "CardAbsent",
    "CardBlocked",
    "CardContentError",
    "CardError",
    "CardExpired",
    "CardProtocolError",
    "CardRemoved",
    "CardUnusable",
    "CpsRequired",
    "InvalidPinFormat",
    "InvalidUnblockCodeFormat",
    "NoFreeSlot",
    "PinConfirmationMismatch",
    "PinIncorrect",
    "PinRequired",
    "PukIncorrect",
    "ReaderUnavailable",
    "UnknownCardBackend",
    "UnknownTestCard",
    "WrongCard",
]


class CardError(OpenFSEError):
    """Base of the errors raised while talking to a card."""

    code = "card_error"


class ReaderUnavailable(CardError):
    """No PC/SC service, no reader, or the reader stopped answering."""

    code = "card_reader_unavailable"

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        suffix = f" ({detail})" if detail else ""
        super().__init__(
            "Lecteur de cartes indisponible : vérifiez qu'il est branché et que le service "
            f"PC/SC est démarré{suffix}."
        )


class CardAbsent(CardError):
    code = "card_absent"

    def __init__(self, expected: CardKind) -> None:
        self.expected = expected
        super().__init__(f"Aucune carte dans le lecteur : insérez la {expected.label}.")


class WrongCard(CardError):
    code = "wrong_card"

    def __init__(self, expected: CardKind, found: CardKind) -> None:
        self.expected = expected
        self.found = found
        wanted = expected.label[0].upper() + expected.label[1:]
        super().__init__(
            f"{wanted} attendue : la carte présente dans le lecteur est une {found.label}."
        )


class CpsRequired(CardError):
    """A carte Vitale is read only with the professional's CPS in the reader."""

    code = "cps_required"

    def __init__(self) -> None:
        # Aide eS-KAP+: "La carte CPS doit se trouver dans le lecteur de carte pour toute
        # lecture de carte Vitale."
        super().__init__(
            "La carte CPS doit se trouver dans le lecteur pour toute lecture de carte Vitale."
        )


class CardExpired(CardError):
    """The CPS is past its end of validity (printed on the card)."""

    code = "card_expired"

    def __init__(self, valid_until: date) -> None:
        self.valid_until = valid_until
        super().__init__(
            f"Carte CPS expirée (valable jusqu'au {valid_until:%d/%m/%Y}) : utilisez votre "
            "nouvelle carte."
        )


class PinIncorrect(CardError):
    code = "pin_incorrect"

    def __init__(self, remaining: int) -> None:
        self.remaining = remaining
        tries = "essai" if remaining == 1 else "essais"
        super().__init__(
            f"Code porteur erroné : il reste {remaining} {tries} avant le blocage de la carte.",
            field="pin",
        )


class CardBlocked(CardError):
    code = "card_blocked"

    def __init__(self) -> None:
        super().__init__(
            f"Carte CPS bloquée après {PIN_MAX_TRIES} codes porteur erronés : débloquez-la avec "
            "le code de déblocage (8 caractères) reçu avec votre code porteur."
        )


class PinRequired(CardError):
    """The card is there but the code porteur was not typed in this insertion."""

    code = "pin_required"

    def __init__(self) -> None:
        super().__init__("Saisissez le code porteur de la CPS avant de signer.", field="pin")


class PukIncorrect(CardError):
    code = "unblock_code_incorrect"

    def __init__(self, remaining: int) -> None:
        self.remaining = remaining
        tries = "essai" if remaining == 1 else "essais"
        super().__init__(
            f"Code de déblocage erroné : il reste {remaining} {tries}.", field="unblock_code"
        )


class CardUnusable(CardError):
    """Every unblock attempt was used: only the caisse can help (guide LOGOSw)."""

    code = "card_unusable"

    def __init__(self) -> None:
        super().__init__(
            "Carte CPS inutilisable : les essais de code de déblocage sont épuisés. Rendez-vous "
            "dans un point d'accueil de la CPAM muni de la carte, du code porteur et du code de "
            "déblocage."
        )


class CardRemoved(CardError):
    """The card left the reader during the operation: signing is locked until the code
    porteur is typed again."""

    code = "card_removed"

    def __init__(self) -> None:
        super().__init__(
            "La carte CPS a été retirée du lecteur : réinsérez-la et saisissez à nouveau le "
            "code porteur."
        )


class CardProtocolError(CardError):
    """The card answered something outside the APDU profile (docs/formats/card-apdu.md)."""

    code = "card_protocol_error"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"Réponse de la carte incompréhensible : {detail}.")


class CardContentError(CardError):
    """The data read from a card (or a test-card file) do not describe a valid card."""

    code = "card_content_invalid"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        self.detail = detail
        super().__init__(f"Données de carte illisibles : {detail}.", field=field)


class UnknownTestCard(NotFound):
    code = "unknown_test_card"

    def __init__(self, name: str, available: list[str]) -> None:
        self.name = name
        super().__init__(
            f"Carte de test inconnue : « {name} » (disponibles : {', '.join(available)}).",
            field="card",
        )


class NoFreeSlot(Conflict):
    code = "card_slot_busy"


class UnknownCardBackend(InvalidInput):
    code = "unknown_card_backend"

    def __init__(self, backend: str) -> None:
        super().__init__(
            f"Lecteur de cartes inconnu : « {backend} » (attendu « simulated » ou « pcsc »).",
            field="card_backend",
        )


class ApcvError(CardError):
    code = "apcv_error"


class ApcvQrRejected(ApcvError):
    code = "apcv_qr_rejected"

    def __init__(self) -> None:
        super().__init__(
            "QR code de l'appli carte Vitale non reconnu ou déjà utilisé : demandez au patient "
            "d'afficher un nouveau QR code."
        )


class ApcvPhoneAbsent(ApcvError):
    code = "apcv_phone_absent"

    def __init__(self) -> None:
        super().__init__(
            "Aucun téléphone détecté : le patient doit poser son téléphone (appli carte Vitale "
            "ouverte) sur le lecteur NFC."
        )


class ApcvSessionExpired(ApcvError):
    code = "apcv_session_expired"

    def __init__(self) -> None:
        super().__init__(
            "Session de l'appli carte Vitale terminée : relisez l'appli (QR code ou NFC)."
        )


class ApcvUnavailable(ApcvError):
    """No appli carte Vitale service for this configuration."""

    code = "apcv_unavailable"

    def __init__(self) -> None:
        super().__init__(
            "Appli carte Vitale indisponible : seul le mode simulé est pris en charge pour "
            "l'instant ; utilisez la carte Vitale."
        )
