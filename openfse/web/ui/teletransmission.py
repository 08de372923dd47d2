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
from datetime import date
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from openfse.adapters.transmission.errors import TransmissionReceiveError
from openfse.errors import OpenFSEError
from openfse.services import preferences, transmission
from openfse.services.fiches import InvalidForm
from openfse.web.session import actor_uow, flash, redirect, take_flash
from openfse.web.ui.rendering import render

router = APIRouter(include_in_schema=False)

PAGE = "/teletransmission"
# Progress of the send in flight, per cabinet: (lots sent, lots to send).
_progress: dict[int, tuple[int, int]] = {}
_progress_lock = threading.Lock()
# Flash messages that report a failure start with one of these (shown in red).
_PROBLEMS = ("Relève impossible", "Envoi interrompu", "Lot non renvoyé", "Refusé :")


def _factory(request: Request) -> transmission.UowFactory:
    return lambda: actor_uow(request)


@router.get(PAGE, response_class=HTMLResponse)
def page(request: Request) -> HTMLResponse:
    today = date.today()
    with actor_uow(request) as uow:
        context: dict[str, Any] = {
            "ready": transmission.ready_to_send(uow, today),
            "lots": transmission.lots_overview(uow, today, limit=50),
            "unpaid": transmission.unpaid_invoices(uow, today, limit=200),
            "rejects": uow.return_lines.open_rejects(limit=200),
            "board": transmission.dashboard(uow, today),
            "prefs": preferences.get_all(uow),
            "debts": transmission.patient_debts(uow),
        }
        context["patients"] = {debt.patient_id: uow.patients.get(debt.patient_id)
                               for debt in context["debts"]}
    message = take_flash(request)
    return render(request, "teletransmission/page.html", active="teletransmission",
                  title="Télétransmission", message=message,
                  problem=bool(message and message.startswith(_PROBLEMS)), today=today,
                  month_start=today.replace(day=1), settings=preferences.TRANSMISSION_SPECS,
                  **context)


@router.post(f"{PAGE}/envoyer")
def send_all(request: Request) -> Response:
    """Build the lots of every signed invoice, then send every lot not sent yet."""
    ctx = request.app.state.ctx
    factory = _factory(request)
    built = transmission.build_lots(factory, date.today())

    def progress(done: int, total: int) -> None:
        with _progress_lock:
            _progress[ctx.cabinet_id] = (done, total)

    try:
        outcome = transmission.send_lots_now(factory, ctx.settings, progress=progress)
    finally:
        with _progress_lock:
            _progress.pop(ctx.cabinet_id, None)
    parts = [f"{len(built.lots)} lot(s) préparé(s)", f"{len(outcome.sent)} envoyé(s)"
             f" sur {outcome.total}"]
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
def progression(request: Request) -> HTMLResponse:
    with _progress_lock:
        done, total = _progress.get(request.app.state.ctx.cabinet_id, (0, 0))
    text = f"{done} / {total} lot(s) envoyé(s)…" if total else "Préparation des lots…"
    return HTMLResponse(f'<progress value="{done}" max="{total or 1}"></progress> {text}')


@router.post(f"{PAGE}/relever")
def fetch(request: Request) -> Response:
    try:
        got = transmission.fetch_returns(_factory(request), request.app.state.ctx.settings)
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
def resend(request: Request, lot_id: str) -> Response:
    try:
        outcome = transmission.resend_lot(_factory(request), request.app.state.ctx.settings,
                                          lot_id,
                                          today=date.today())
    except OpenFSEError as problem:
        flash(request, f"Refusé : {problem.message}")
        return redirect(request, PAGE)
    flash(request, f"Lot {lot_id} renvoyé." if outcome.complete
          else f"Lot non renvoyé ({lot_id}) : {outcome.error}")
    return redirect(request, PAGE)


@router.post(f"{PAGE}/rejets/{{line_id}}")
def handle_reject(request: Request, line_id: int, resolution: str = Form("")) -> Response:
    try:
        handled = transmission.handle_reject(_factory(request), line_id, resolution)
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
async def save_settings(request: Request) -> Response:
    """The cabinet's télétransmission delays (preferences arl_wait_days, payment_wait_days)."""
    form = await request.form()
    specs = preferences.TRANSMISSION_SPECS
    try:
        preferences.save(actor_uow(request), {spec.key: form.get(spec.key) for spec in specs})
    except InvalidForm as problem:
        labels = {spec.key: spec.label for spec in specs}
        flash(request, "Refusé : " + " ; ".join(f"{labels[key]} : {message}"
                                                for key, message in problem.errors.items()))
        return redirect(request, PAGE)
    flash(request, "Réglages de télétransmission enregistrés.")
    return redirect(request, PAGE)


@router.get(f"{PAGE}/paiements.csv")
def export(request: Request, du: date, au: date) -> Response:
    with actor_uow(request) as uow:
        data = transmission.payments_csv(uow, du, au)
    return Response(data, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="paiements-{du}-{au}.csv"'})
