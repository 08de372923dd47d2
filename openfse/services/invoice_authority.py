"""Whose invoice is it: a professional validates, signs, cancels and deletes only his own
invoices, and signs them only with his own CPS (issue 12, finding 2).

* The invoice's executant (``invoice.professional_id``) is the professional who acts. A
  remplaçant's invoices carry his own id as executant and the titulaire's billing number
  (``billing_professional_id``): they are his, and only for a day of his calendar.
* A titulaire sees his colleagues' invoices but does not sign, cancel nor delete them.
* The CPS in the shared reader must be the acting professional's card: same RPPS.

The web edge builds an :class:`Acting` from the logged-in user (:meth:`Acting.of`) and passes
it to the invoicing service; refusals are :class:`NotYourInvoice` / :class:`NotYourCard`
(HTTP 403, a French sentence naming whose invoice or card it is).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from openfse.adapters.cards.port import CardReader
from openfse.domain.cards import CpsCard
from openfse.domain.invoice import InvoiceNumber
from openfse.services.access import Forbidden, replaces_on
from openfse.services.session_login import SessionUser, professional_display_name
from openfse.store.models import Invoice, UserRole
from openfse.store.uow import UnitOfWork

__all__ = ["Acting", "NotYourCard", "NotYourInvoice", "card_of", "check_acts_on",
           "check_validates_for", "refusal_for"]


class NotYourInvoice(Forbidden):
    """The invoice is another professional's (or off the remplaçant's calendar)."""

    code = "not_own_invoice"


class NotYourCard(Forbidden):
    """The CPS in the reader is not the logged-in professional's card."""

    code = "not_own_card"


@dataclass(frozen=True, slots=True)
class Acting:
    """The professional acting on invoices, as the session knows him."""

    professional_id: int
    remplacant: bool = False

    @classmethod
    def of(cls, user: SessionUser | None) -> Acting:
        """The logged-in professional; a user who is not one (secrétariat, admin, an account
        without a professional) acts on no invoice."""
        if user is None or user.professional_id is None:
            raise NotYourInvoice("Seul un professionnel de santé valide, signe, annule ou "
                                 "supprime ses factures : connectez-vous avec votre CPS.")
        return cls(user.professional_id, user.role is UserRole.REMPLACANT)


def _name_of(uow: UnitOfWork, professional_id: int) -> str:
    professional = uow.professionals.find(professional_id)
    return "un autre professionnel" if professional is None else \
        professional_display_name(professional)


def refusal_for(uow: UnitOfWork, by: Acting, row: Invoice, verb: str) -> str | None:
    """Why ``by`` may not ``verb`` (« signer », « annuler »…) this invoice, or None. Call in
    an open unit of work."""
    number = "(brouillon)" if row.number is None else str(InvoiceNumber(row.number))
    if row.professional_id != by.professional_id:
        return (f"La facture n° {number} est celle de {_name_of(uow, row.professional_id)} : "
                f"seul son professionnel peut la {verb}.")
    if by.remplacant and not replaces_on(uow, by.professional_id, row.date_soins):
        return (f"La facture n° {number} est datée du {row.date_soins:%d/%m/%Y}, jour absent "
                f"de votre calendrier de remplacement : vous ne pouvez pas la {verb}.")
    return None


def check_acts_on(uow: UnitOfWork, by: Acting, row: Invoice, verb: str) -> None:
    """Raise :class:`NotYourInvoice` unless ``by`` may ``verb`` this invoice."""
    refusal = refusal_for(uow, by, row, verb)
    if refusal is not None:
        raise NotYourInvoice(refusal)


def check_validates_for(uow: UnitOfWork, by: Acting, professional_id: int,
                        care_day: date) -> None:
    """A professional validates invoices in his own name only (a nurse cannot validate an
    invoice naming « Dr Legrand »; a remplaçant's is billed under the titulaire he replaces
    that day — the engine's job — and only on a day of his calendar)."""
    if professional_id != by.professional_id and by.remplacant:
        raise NotYourInvoice(
            "Un remplaçant ne facture qu'en son nom : la facture est portée au numéro du "
            "titulaire remplacé selon votre calendrier.", field="professional_id")
    if professional_id != by.professional_id:
        raise NotYourInvoice(
            f"Vous ne pouvez valider que vos propres factures : celle-ci est au nom de "
            f"{_name_of(uow, professional_id)}.", field="professional_id")
    if by.remplacant and not replaces_on(uow, by.professional_id, care_day):
        raise NotYourInvoice(
            f"Le {care_day:%d/%m/%Y} n'est pas un jour de votre calendrier de remplacement.",
            field="date_soins")


def card_of(uow: UnitOfWork, reader: CardReader, by: Acting) -> CpsCard:
    """The CPS in the reader, checked to be ``by``'s own card (same RPPS): an invoice is never
    signed with a colleague's card left unlocked in the shared reader. Raises the reader's
    :class:`CardError` (no card…) or :class:`NotYourCard`. Call in an open unit of work."""
    card = reader.read_cps()
    professional = uow.professionals.find(by.professional_id)
    if professional is None or not professional.rpps or professional.rpps != card.rpps:
        holder = uow.professionals.by_rpps(card.rpps)
        whose = "d'un autre porteur" if holder is None else \
            f"celle de {professional_display_name(holder)}"
        raise NotYourCard(f"La carte CPS dans le lecteur est {whose}, pas la vôtre : "
                          "insérez votre propre CPS pour signer vos factures.")
    return card
