"""« Journal »: the audit journal, listed and filtered (entity, actor, day); read-only.

Issue 8: « a screen lists it »; readable by the titulaire and the admin (policy:
:mod:`openfse.services.access`, ``/journal`` → ``Permission.JOURNAL``). There is no route that
changes an entry: the screen only answers GET.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from openfse.errors import InvalidInput
from openfse.services import audit
from openfse.web.session import actor_uow
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
    "share_transfer": "Transfert de part", "cabinet": "Cabinet",
}


@router.get("/journal", response_class=HTMLResponse)
def journal_page(request: Request, entite: str = "", acteur: str = "",
                 jour: str = "") -> HTMLResponse:
    errors: dict[str, str] = {}
    try:
        wanted = audit.parse_filter(entite, acteur, jour)
    except InvalidInput as error:
        errors[error.field or "day"] = error.message
        wanted = audit.parse_filter(entite, acteur)
    with actor_uow(request) as uow:
        lines = audit.search_journal(uow, wanted)
    template = "audit/rows.html" if is_htmx(request) else "audit/journal.html"
    return render(request, template, "journal", title="Journal", lines=lines, errors=errors,
                  entite=entite, acteur=acteur, jour=jour, page_size=audit.PAGE_SIZE,
                  action_labels=ACTION_LABELS, entity_labels=ENTITY_LABELS)
