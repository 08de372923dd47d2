"""Signing an invoice at « Valider », and saying what an unsigned one waits for (issue 13,
defect 1).

In mode sécurisé the FSE is secured by both cards at once: the professional's CPS (its code
porteur typed at the opening of the day is enough: the card stays unlocked while it stays in
the reader) and the patient's carte Vitale (guide LOGOSw « En pratique » — the FSE is made and
signed while the cards are in the reader; docs/formats/card-apdu.md §4). So « Valider » signs
when both are there; otherwise the invoice stays « À signer » and the résumé says exactly what
it waits for, in the words of :func:`waiting_for` / :class:`SignAtValidation`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from openfse.adapters.cards.errors import CardError
from openfse.adapters.cards.port import CardAbsent, CardReader, WrongCard
from openfse.domain.invoice import DisplayStatus, InvoiceState, SecureMode
from openfse.services import invoicing
from openfse.services.invoice_authority import Acting, NotYourCard, card_of
from openfse.store.uow import UnitOfWork

__all__ = ["SIGNABLE", "SignAtValidation", "sign_at_validation", "waiting_for"]

# The displayed statuses « Signer » applies to (validated, not signed yet).
SIGNABLE = frozenset({DisplayStatus.A_SIGNER})


def waiting_for(state: InvoiceState) -> str:
    """What an invoice still waits for before it can leave in a lot ("" when nothing)."""
    if state.display_status in SIGNABLE:
        if state.secure_mode is SecureMode.SECURISE:
            return ("En attente de signature : la carte CPS et la carte Vitale du patient "
                    "doivent être dans le lecteur (« Signer »).")
        return "En attente de signature par votre carte CPS (« Signer »)."
    if state.awaits_vitale:
        return "En attente de sécurisation : la carte Vitale du patient doit la signer."
    return ""


@dataclass(frozen=True, slots=True)
class SignAtValidation:
    """The outcome of signing at « Valider »: ``signed``, else ``waiting`` says why not."""

    signed: bool
    waiting: str = ""

    @property
    def message(self) -> str:
        return "Facture signée par votre carte CPS et la carte Vitale du patient." \
            if self.signed else self.waiting


def _wait(why: str) -> SignAtValidation:
    return SignAtValidation(False, f"En attente de signature : {why}")


def sign_at_validation(uow_factory: Callable[[], UnitOfWork], invoice_id: int, *,
                       reader: CardReader, by: Acting) -> SignAtValidation:
    """Sign a just-validated invoice in mode sécurisé with ``by``'s own CPS (already unlocked)
    and the patient's carte Vitale, both in the reader; otherwise say what it waits for.
    Nothing is changed when it cannot be signed."""
    with uow_factory() as uow:
        row = uow.invoices.get(invoice_id)
        if row.secure_mode is not SecureMode.SECURISE or row.hors_teletransmission:
            return SignAtValidation(False, waiting_for(invoicing.state_of(row)))
        nir = row.assure_nir
        try:
            card_of(uow, reader, by)
        except (CardAbsent, WrongCard):
            return _wait("carte CPS absente du lecteur.")
        except NotYourCard:
            return _wait("la carte CPS du lecteur n'est pas la vôtre.")
        except CardError as problem:
            return _wait(problem.message)
    try:
        vitale = reader.read_vitale()
    except (CardAbsent, WrongCard):
        return _wait("carte Vitale du patient absente du lecteur.")
    except CardError as problem:
        return _wait(problem.message)
    if vitale.nir != nir:
        return _wait("la carte Vitale du lecteur n'est pas celle de l'assuré de la facture.")
    try:
        report = invoicing.sign_invoices(uow_factory(), [invoice_id], sign=reader.sign,
                                         vitale=vitale, certify=reader.certify_vitale, by=by)
    except CardError as problem:  # code porteur not typed since the card was inserted…
        return _wait(problem.message)
    if report.refused:
        return _wait(report.refused[0][1])
    return SignAtValidation(True)
