"""What a person decides about a payer's share nobody else will settle, from the invoice page
or the Télétransmission screen (docs/money-states.md §3): « Réclamée sur papier »,
« Facturer au patient », « Abandonner » (with a reason). Each decision is journaled by the
service under the logged-in user and confirmed in French on the page it came from.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from openfse.domain.payment import Payer
from openfse.errors import OpenFSEError
from openfse.services import shares
from openfse.web.deps import DeskDep
from openfse.web.session import flash, redirect

router = APIRouter(include_in_schema=False)

# The share named in the address (French, as the screens say it).
_PAYERS = {"amo": Payer.AMO, "amc": Payer.AMC, "patient": Payer.PATIENT}
_PLACES = ("/factures/", "/teletransmission")


def _back(invoice_id: int, retour: str) -> str:
    # Back to the page the decision came from: the invoice page, or the Télétransmission screen.
    return retour if retour.startswith(_PLACES) and "//" not in retour \
        else f"/factures/{invoice_id}"


def _decided(request: Request, invoice_id: int, retour: str, payer: str,
             decide: shares.Decide) -> Response:
    chosen = _PAYERS.get(payer)
    if chosen is None:
        flash(request, "Refusé : part inconnue.")
        return redirect(request, _back(invoice_id, retour))
    try:
        said = decide(chosen)
    except OpenFSEError as problem:
        flash(request, f"Refusé : {problem.message}")
    else:
        flash(request, said)
    return redirect(request, _back(invoice_id, retour))


@router.post("/factures/{invoice_id}/parts/{payer}/reclamer")
def claim_on_paper(desk: DeskDep, invoice_id: int, payer: str,
                   retour: str = Form("")) -> Response:
    return _decided(desk.request, invoice_id, retour, payer, lambda chosen: shares.claim_on_paper(
        desk.uow(), invoice_id, chosen, today=desk.today))


@router.post("/factures/{invoice_id}/parts/{payer}/facturer-patient")
def bill_to_patient(desk: DeskDep, invoice_id: int, payer: str,
                    retour: str = Form("")) -> Response:
    return _decided(desk.request, invoice_id, retour, payer, lambda chosen: shares.bill_to_patient(
        desk.uow(), invoice_id, chosen))


@router.post("/factures/{invoice_id}/parts/{payer}/abandonner")
def write_off(desk: DeskDep, invoice_id: int, payer: str,
              motif: str = Form(""),
              retour: str = Form("")) -> Response:
    return _decided(desk.request, invoice_id, retour, payer, lambda chosen: shares.write_off(
        desk.uow(), invoice_id, chosen, motif, today=desk.today))
