"""Télétransmission (menu 4): what is ready to send with its countdown, « Préparer et envoyer
tout » with its progress, « Relever les retours », the lots with their ARL, « Renvoyer », the
unpaid and overdue invoices, the rejects to handle, the day's and month's flows and the
payments export for the accountant. Templates: ``templates/teletransmission/``.

Sending runs in the request (a worker thread); while it runs, the page polls
``/teletransmission/progression`` (htmx, every half second) which reads the progress the send
reports lot by lot.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, Response

from openfse.adapters.transmission.errors import TransmissionReceiveError
from openfse.adapters.transmission.transport import Transport, TransportNotConfigured
from openfse.errors import OpenFSEError
from openfse.services import preferences, shares, transmission
from openfse.services.fiches import InvalidForm
from openfse.web.deps import Desk, DeskDep, get_transport
from openfse.web.session import flash, redirect, take_flash
from openfse.web.ui.rendering import render

router = APIRouter(include_in_schema=False)

PAGE = "/teletransmission"
# Progress of the send in flight, per cabinet: (lots sent, lots to send).
_progress: dict[int, tuple[int, int]] = {}
_progress_lock = threading.Lock()
# Flash messages that report a failure start with one of these (shown in red).
_PROBLEMS = ("Relève impossible", "Envoi interrompu", "Lot non renvoyé", "Refusé :")
TransportDep = Annotated[Transport, Depends(get_transport)]


def _utc_now(desk: Desk) -> datetime:
    """The desk's instant as stored (UTC)."""
    return desk.now.astimezone(UTC)


@router.get(PAGE, response_class=HTMLResponse)
def page(desk: DeskDep, transport: TransportDep) -> HTMLResponse:
    request = desk.request
    today = desk.today
    with desk.uow() as uow:
        context: dict[str, Any] = {
            "ready": transmission.ready_to_send(uow, today),
            "lots": transmission.lots_overview(uow, today, limit=50),
            "unpaid": transmission.unpaid_invoices(uow, today, limit=200),
            "rejects": transmission.open_rejects(uow, limit=200),
            "board": transmission.dashboard(uow, today),
            "prefs": preferences.get_all(uow),
            "debts": transmission.patient_debts(uow),
            "last_run": transmission.last_scheduled_run(uow),
            # Shares no lot and no person claimed, or paid in part: to-dos; shares claimed on
            # paper: waiting (docs/money-states.md §3).
            "unclaimed": shares.unclaimed_shares(uow),
            "partly_paid": shares.partly_paid_shares(uow),
            "on_paper": shares.claimed_on_paper(uow),
        }
        context["patients"] = transmission.patients_by_id(
            uow, {debt.patient_id for debt in context["debts"]}
            | {todo.patient_id for key in ("unclaimed", "partly_paid", "on_paper")
               for todo in context[key]})
    message = take_flash(request)
    return render(request, "teletransmission/page.html", active="teletransmission",
                  title="Télétransmission", message=message,
                  problem=bool(message and message.startswith(_PROBLEMS)), today=today,
                  month_start=today.replace(day=1), settings=preferences.TRANSMISSION_SPECS,
                  transport=transport,
                  **context)


@router.post(f"{PAGE}/envoyer")
def send_all(desk: DeskDep, transport: TransportDep) -> Response:
    """Build the lots of every signed invoice, then send every lot not sent yet."""
    request, cabinet_id = desk.request, desk.cabinet_id
    built = transmission.build_lots(desk.uow, desk.today, now=_utc_now(desk))

    def progress(done: int, total: int) -> None:
        with _progress_lock:
            _progress[cabinet_id] = (done, total)

    try:
        outcome = transmission.send_lots_now(desk.uow, transport, now=_utc_now(desk),
                                             progress=progress)
    finally:
        with _progress_lock:
            _progress.pop(cabinet_id, None)
    parts = [f"{len(built.lots)} lot(s) préparé(s)", f"{len(outcome.sent)} envoyé(s)"
             f" sur {outcome.total}"]
    if outcome.elsewhere:
        parts.append(f"{outcome.elsewhere} lot(s) en cours d'envoi depuis un autre poste")
    if outcome.error:
        parts.insert(0, "Envoi interrompu")
    parts += [f"facture {invoice_id} non transmissible : {reason}"
              for invoice_id, reason in built.refused]
    parts += [note.rstrip(".") for note in built.notes]
    if outcome.error:
        parts.append(f"{outcome.error} Envoyez à nouveau : aucun lot ne partira deux fois")
    flash(request, " ; ".join(parts) + ".")
    return redirect(request, PAGE)


@router.get(f"{PAGE}/progression", response_class=HTMLResponse)
def progression(desk: DeskDep) -> HTMLResponse:
    with _progress_lock:
        done, total = _progress.get(desk.cabinet_id, (0, 0))
    text = f"{done} / {total} lot(s) envoyé(s)…" if total else "Préparation des lots…"
    return HTMLResponse(f'<progress value="{done}" max="{total or 1}"></progress> {text}')


@router.post(f"{PAGE}/relever")
def fetch(desk: DeskDep, transport: TransportDep) -> Response:
    request = desk.request
    try:
        got = transmission.fetch_returns(desk.uow, transport, now=_utc_now(desk))
    except TransportNotConfigured as problem:
        flash(request, f"Relève impossible : {problem.message}")
        return redirect(request, PAGE)
    except TransmissionReceiveError as problem:
        flash(request, f"Relève impossible : {problem.message} Rien n'est perdu : les messages "
                       "restent sur le serveur.")
        return redirect(request, PAGE)
    text = (f"Retours relevés : {got.arl_positive} ARL positif(s), {got.arl_negative} négatif(s), "
            f"{got.statements} relevé(s) de paiement ({got.lines} ligne(s), {got.unmatched} non "
            "rapprochée(s))")
    if got.quarantined:
        text += (f" ; {got.quarantined} fichier(s) illisible(s) mis en quarantaine : "
                 + " / ".join(got.quarantine_reasons))
    flash(request, text + ".")
    return redirect(request, PAGE)


@router.post(f"{PAGE}/lots/{{lot_id}}/renvoyer")
def resend(desk: DeskDep, transport: TransportDep, lot_id: str) -> Response:
    request = desk.request
    try:
        outcome = transmission.resend_lot(desk.uow, transport, lot_id, today=desk.today,
                                          now=_utc_now(desk))
    except OpenFSEError as problem:
        flash(request, f"Refusé : {problem.message}")
        return redirect(request, PAGE)
    flash(request, f"Lot {lot_id} renvoyé." if outcome.complete
          else f"Lot non renvoyé ({lot_id}) : {outcome.error}")
    return redirect(request, PAGE)


@router.post(f"{PAGE}/rejets/{{line_id}}")
def handle_reject(desk: DeskDep, line_id: int, resolution: str = Form("")) -> Response:
    request = desk.request
    try:
        handled = transmission.handle_reject(desk.uow, line_id, resolution,
                                             now=_utc_now(desk))
    except OpenFSEError as problem:
        flash(request, f"Refusé : {problem.message}")
        return redirect(request, PAGE)
    if resolution == "reinvoice" and handled.invoice_id is not None:
        # The rejected invoice is cancelled: straight to its replacement, the screen filled
        # from it (acts, dates, nature, parcours…), linked to it at validation.
        return redirect(request, f"/facture?refacturer={handled.invoice_id}")
    flash(request, "Rejet traité : la facture est annulée, refaites-la corrigée."
          if resolution == "reinvoice" else
          "Rejet traité : la part rejetée est due par le patient (voir « Rejets facturés aux "
          "patients » et le solde du patient).")
    return redirect(request, PAGE)


@router.post(f"{PAGE}/reglages")
async def save_settings(desk: DeskDep) -> Response:
    """The cabinet's télétransmission delays (preferences arl_wait_days, payment_wait_days)."""
    request = desk.request
    form = await request.form()
    specs = preferences.TRANSMISSION_SPECS
    try:
        preferences.save(desk.uow(), {spec.key: form.get(spec.key) for spec in specs})
    except InvalidForm as problem:
        labels = {spec.key: spec.label for spec in specs}
        flash(request, "Refusé : " + " ; ".join(f"{labels[key]} : {message}"
                                                for key, message in problem.errors.items()))
        return redirect(request, PAGE)
    flash(request, "Réglages de télétransmission enregistrés.")
    return redirect(request, PAGE)


@router.get(f"{PAGE}/paiements.csv")
def export(desk: DeskDep, du: date, au: date) -> Response:
    with desk.uow() as uow:
        data = transmission.payments_csv(uow, du, au)
    return Response(data, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="paiements-{du}-{au}.csv"'})
