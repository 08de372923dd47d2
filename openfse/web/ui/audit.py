"""« Journal »: the audit journal, listed and filtered (entity, actor, day); read-only.

Issue 8: « a screen lists it »; readable by the titulaire and the admin (policy:
:mod:`openfse.services.access`, ``/journal`` → ``Permission.JOURNAL``). There is no route that
changes an entry: the screen only answers GET.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from openfse.errors import InvalidInput
from openfse.services import access, audit
from openfse.web.deps import DeskDep
from openfse.web.ui.rendering import is_htmx, render

router = APIRouter(include_in_schema=False)

# The journal stores short English verbs and table names (stable keys for the API and the
# tests); the screen says them in French. An unknown key is shown as stored.
ACTION_LABELS = {
    "create": "création", "update": "modification", "delete": "suppression",
    "read": "consultation", "validate": "validation", "sign": "signature",
    "secure": "sécurisation", "cancel": "annulation", "send": "envoi", "sent": "envoi",
    "resend": "renvoi", "receive": "réception", "acknowledge": "accusé de réception",
    "reconcile": "rapprochement", "pay": "règlement", "login": "connexion",
    "logout": "déconnexion", "merge": "fusion", "export": "export", "restore": "restauration",
    "put_in_lot": "mise en lot", "reject": "rejet", "receive_returns": "réception des retours",
    "scheduled_transmission": "télétransmission programmée", "claim_on_paper": "réclamation papier",
    "write_off": "abandon de créance", "bill_patient": "facturation au patient",
    "unblock": "déblocage de carte",
}
ENTITY_LABELS = {
    "patient": "Patient", "family_link": "Lien familial", "ald": "ALD",
    "amo_coverage": "Droits AMO", "amc_coverage": "Mutuelle du patient",
    "amo_organism": "Organisme AMO", "amc_organism": "Organisme AMC",
    "prescriber": "Prescripteur", "professional": "Professionnel",
    "replacement_day": "Jour de remplacement", "app_user": "Utilisateur",
    "favourite": "Favori", "favourite_act": "Acte de favori", "preference": "Préférence",
    "invoice": "Facture", "invoice_act": "Acte de facture", "payment": "Règlement",
    "invoice_attachment": "Pièce jointe", "lot": "Lot", "sent_message": "Envoi",
    "received_document": "Retour reçu", "payment_return_line": "Ligne de retour",
    "share_transfer": "Transfert de part", "share_decision": "Décision sur une part",
    "cabinet": "Cabinet", "transmission_run": "Télétransmission programmée",
    "prepared_invoice": "Facture à valider", "lot_invoice": "Facture du lot",
    "ccam_version": "Version CCAM", "web_session": "Session",
}


@router.get("/journal", response_class=HTMLResponse)
def journal_page(desk: DeskDep, request: Request, entite: str = "", acteur: str = "",
                 jour: str = "") -> HTMLResponse:
    errors: dict[str, str] = {}
    try:
        wanted = audit.parse_filter(entite, acteur, jour)
    except InvalidInput as error:
        errors[error.field or "day"] = error.message
        wanted = audit.parse_filter(entite, acteur)
    with desk.uow() as uow:
        lines = audit.search_journal(uow, wanted, clock=desk.clock,
                                     reads_patients=access.may_read_patients(desk.user))
        actors = audit.actor_choices(uow)
    template = "audit/rows.html" if is_htmx(request) else "audit/journal.html"
    return render(request, template, "journal", title="Journal", lines=lines, errors=errors,
                  actors=actors,
                  entite=entite, acteur=acteur, jour=jour, page_size=audit.PAGE_SIZE,
                  action_labels=ACTION_LABELS, entity_labels=ENTITY_LABELS)
