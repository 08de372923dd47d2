"""« Factures » (seed 001 « Factures eS-KAP+ », « Factures poste de travail »): the list with its
filters and paging, the multi-selection to sign with the CPS or delete (unsent invoices only),
the invoices awaiting the carte Vitale (only the presented assuré's), the detail page with its
payments, cancellation and status history, and the printed documents as PDF.

Every action is a form post answered by a redirect and a flash message (PRG); a refused form
comes back with the full page, each error next to its field and the typed values kept — 422 to
a plain post, 200 to htmx (the pages are boosted: htmx swaps only 2xx answers, and its requests
carry the CSRF token in a header). Templates: ``templates/invoices/``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from openfse.adapters.cards.errors import CardError
from openfse.domain.cards import VitaleCard
from openfse.domain.invoice import DisplayStatus, InvalidTransition, InvoiceState
from openfse.domain.payment import Payer, Payment, PaymentKind
from openfse.errors import InvalidInput, NotFound, OpenFSEError
from openfse.money import InvalidAmount, format_eur, parse_amount
from openfse.printing import PrintingUnavailable
from openfse.services import invoice_documents, invoicing
from openfse.services.cards import authenticate_cps
from openfse.services.invoicing import InvoiceFilters, SignatureReport
from openfse.typed_numbers import record_id, small_int
from openfse.web.session import actor_uow, current_user, flash, redirect, take_flash
from openfse.web.ui.rendering import is_htmx, render

router = APIRouter(include_in_schema=False)

ACTIVE = "factures"
PAGE_SIZE = 25
PAYMENT_KINDS = {PaymentKind.CHEQUE: "Chèque", PaymentKind.CB: "Carte bancaire",
                 PaymentKind.ESPECES: "Espèces", PaymentKind.VIREMENT: "Virement",
                 PaymentKind.AUTRE: "Autre"}
PAYERS = {Payer.PATIENT: "Patient", Payer.AMO: "Caisse (AMO)", Payer.AMC: "Mutuelle (AMC)"}
# The statuses a user filters on (seed 001): the life of an FSE, then the special ones.
STATUS_CHOICES = tuple(s for s in DisplayStatus if s is not DisplayStatus.BROUILLON)
_BADGE = {DisplayStatus.SECURISEE: "ok", DisplayStatus.ACQUITTEE: "ok", DisplayStatus.PAYEE: "ok",
          DisplayStatus.A_SIGNER: "warn", DisplayStatus.DESYNCHRONISEE: "warn",
          DisplayStatus.DEGRADEE: "warn", DisplayStatus.REJETEE: "ko",
          DisplayStatus.ANNULEE: "grey", DisplayStatus.SUPPRIMEE: "grey",
          DisplayStatus.ANNULATION: "grey"}

Text = Annotated[str, Query(max_length=100)]


def _refused(request: Request) -> int:
    """The status of a refused form: htmx swaps only 2xx answers (boosted pages)."""
    return 200 if is_htmx(request) else 422


def _common(**context: Any) -> dict[str, Any]:
    return {"eur": format_eur, "status_of": _status, "payment_kinds": PAYMENT_KINDS,
            "payers": PAYERS, **context}


def _status(row: Any) -> tuple[str, str]:
    """``(label, badge class)`` of an invoice's displayed status."""
    shown = invoicing.state_of(row).display_status
    return shown.label, _BADGE.get(shown, "")


# --------------------------------------------------------------------------------------------
# The list
# --------------------------------------------------------------------------------------------


def _date_or_error(text: str, field: str, errors: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = "Date invalide (jj/mm/aaaa)."
        return None


def _status_or_error(text: str, errors: dict[str, str]) -> tuple[DisplayStatus, ...]:
    if not text:
        return ()
    try:
        return (DisplayStatus(text),)
    except ValueError:
        errors["statut"] = "Statut inconnu."
        return ()


@router.get("/factures", response_class=HTMLResponse)
def invoice_list(request: Request, statut: Text = "", professionnel: Text = "",
                 du: Text = "", au: Text = "", patient: Text = "", patient_id: Text = "",
                 numero: Text = "", page: Annotated[int, Query(ge=1, le=100_000)] = 1
                 ) -> HTMLResponse:
    ctx = request.app.state.ctx
    form = {"statut": statut, "professionnel": professionnel, "du": du, "au": au,
            "patient": patient, "patient_id": patient_id, "numero": numero}
    errors: dict[str, str] = {}
    date_from = _date_or_error(du, "du", errors)
    date_to = _date_or_error(au, "au", errors)
    if date_from and date_to and date_from > date_to:
        errors["au"] = "La date de fin précède la date de début."
    chosen_patient, candidates = _patient_filter(ctx, patient, patient_id, errors)
    filters = InvoiceFilters(
        display_statuses=_status_or_error(statut, errors),
        professional_id=record_id(professionnel),  # not int(): « ² » passes isdigit()
        date_from=date_from, date_to=date_to,
        number=small_int(numero, max_digits=9) or None,  # n° de facture: 9 digits
        patient_id=chosen_patient)
    if numero and filters.number is None:
        errors["numero"] = "Numéro de facture : 1 à 9 chiffres."
    rows: list[Any] = []
    total = 0
    if not errors and not candidates:
        rows, total = invoicing.list_invoices(ctx.uow(), filters, limit=PAGE_SIZE,
                                              offset=(page - 1) * PAGE_SIZE)
    query = "&".join(f"{k}={v}" for k, v in form.items() if v)
    return render(request, "invoices/list.html", ACTIVE, title="Factures",
                  status_code=_refused(request) if errors else 200,
                  **_common(form=form, errors=errors, rows=rows, total=total, page=page,
                            pages=max(1, -(-total // PAGE_SIZE)), query=query,
                            candidates=candidates, statuses=STATUS_CHOICES,
                            professionals=invoice_documents.professional_choices(ctx.uow()),
                            done=take_flash(request), user=current_user(request)))


def _patient_filter(ctx: Any, prefix: str, patient_id: str, errors: dict[str, str]
                    ) -> tuple[int | None, list[Any]]:
    """The patient filter: a chosen id, else the patients whose name starts with the text —
    one is taken at once, several are offered to choose from."""
    if (chosen := record_id(patient_id)) is not None:  # not int(): « ² » passes isdigit()
        return chosen, []
    if not prefix.strip():
        return None, []
    found = invoice_documents.patients_starting(ctx.uow(), prefix)
    if not found:
        errors["patient"] = f"Aucun patient ne commence par « {prefix} »."
        return None, []
    if len(found) == 1:
        return found[0].id, []
    return None, found


def _selected(form: Mapping[str, Any]) -> list[int]:
    # record_id, not int(): a ticked « id » of 5,000 digits is ignored, not a 500.
    ids = (record_id(v) for v in form.getlist("ids")) if hasattr(form, "getlist") else ()
    return [invoice_id for invoice_id in ids if invoice_id is not None]


def _back_to_list(form: Mapping[str, Any]) -> str:
    back = str(form.get("retour") or "")
    return back if back.startswith("/factures") and not back.startswith("//") else "/factures"


def _rows_of(request: Request, ids: list[int]) -> list[Any]:
    rows = []
    for invoice_id in ids:
        try:
            rows.append(invoice_documents.invoice_record(request.app.state.ctx.uow(),
                                                         invoice_id))
        except NotFound:
            continue  # gone meanwhile: the confirmation lists what is left
    return rows


@router.post("/factures/selection", response_class=HTMLResponse)
async def selection(request: Request) -> Response:
    """« Signer » / « Supprimer » on the ticked invoices: the confirmation step."""
    form = await request.form()
    ids = _selected(form)
    back = _back_to_list(form)
    action = str(form.get("action") or "")
    if not ids:
        flash(request, "Sélectionnez au moins une facture (case à cocher, barre d'espace).")
        return redirect(request, back)
    if action == "signer":
        user = current_user(request)
        if user is None or not user.can_sign:
            flash(request, "Seul un professionnel connecté avec sa carte CPS peut signer des "
                           "factures : le secrétariat ne signe pas.")
            return redirect(request, back)
        return _sign_page(request, ids, back)
    if action == "supprimer":
        return render(request, "invoices/confirm_delete.html", ACTIVE,
                      title="Supprimer des factures",
                      **_common(records=_rows_of(request, ids), back=back))
    flash(request, "Action inconnue.")
    return redirect(request, back)


def _sign_page(request: Request, ids: list[int], back: str, error: str = "",
               status_code: int = 200) -> HTMLResponse:
    return render(request, "invoices/sign.html", ACTIVE, title="Signer des factures",
                  status_code=status_code,
                  **_common(records=_rows_of(request, ids), back=back, error=error))


def _report_message(report: SignatureReport, verb: str) -> str:
    parts = [f"{len(report.done)} facture(s) {verb}."]
    parts += [message for _, message in report.refused]
    return " ".join(parts)


def _vitale_in_reader(request: Request) -> VitaleCard | None:
    """The carte Vitale in the reader, if any: in mode sécurisé it signs with the CPS."""
    try:
        card: VitaleCard = request.app.state.ctx.card_reader.read_vitale()
    except CardError:
        return None
    return card


@router.post("/factures/signer", response_class=HTMLResponse)
async def sign(request: Request) -> Response:
    """Sign the selection with the CPS in the reader, after its code porteur."""
    form = await request.form()
    ids = _selected(form)
    back = _back_to_list(form)
    user = current_user(request)
    if user is None or not user.can_sign:
        flash(request, "Seul un professionnel connecté avec sa carte CPS peut signer.")
        return redirect(request, back)
    pin = str(form.get("pin") or "").strip()
    if not (len(pin) == 4 and pin.isdigit()):
        return _sign_page(request, ids, back, "Le code porteur compte exactement 4 chiffres.",
                          _refused(request))
    reader = request.app.state.ctx.card_reader
    try:
        authenticate_cps(reader, pin)
        report = invoicing.sign_invoices(actor_uow(request), ids, sign=reader.sign,
                                         vitale=_vitale_in_reader(request),
                                         certify=reader.certify_vitale)
    except CardError as error:
        return _sign_page(request, ids, back, error.message, _refused(request))
    flash(request, _report_message(report, "signée(s)"))
    return redirect(request, back)


@router.post("/factures/supprimer", response_class=HTMLResponse)
async def delete(request: Request) -> Response:
    form = await request.form()
    back = _back_to_list(form)
    try:
        rows = invoicing.delete_unsent(actor_uow(request), _selected(form))
    except OpenFSEError as error:
        flash(request, error.message)
    else:
        flash(request, f"{len(rows)} facture(s) supprimée(s).")
    return redirect(request, back)


# --------------------------------------------------------------------------------------------
# Invoices awaiting the carte Vitale
# --------------------------------------------------------------------------------------------


@router.get("/factures/securiser", response_class=HTMLResponse)
def to_secure(request: Request) -> HTMLResponse:
    """« Factures à sécuriser »: insert the assuré's carte Vitale (or read the appli); only
    that assuré's désynchronisées invoices are shown (seed 001)."""
    ctx = request.app.state.ctx
    problem = ""
    card: VitaleCard | None = None
    rows: list[Any] = []
    try:
        card = ctx.card_reader.read_vitale()
    except CardError as error:
        problem = error.message
    if card is not None:
        rows = invoicing.invoices_to_secure(ctx.uow(), card.nir)
    return render(request, "invoices/secure.html", ACTIVE, title="Factures à sécuriser",
                  **_common(card=card, problem=problem, rows=rows, done=take_flash(request)))


@router.post("/factures/securiser", response_class=HTMLResponse)
async def secure(request: Request) -> Response:
    form = await request.form()
    try:
        card = request.app.state.ctx.card_reader.read_vitale()
        report = invoicing.secure_invoices(actor_uow(request), _selected(form), vitale=card,
                                           certify=request.app.state.ctx.card_reader.certify_vitale)
    except CardError as error:
        flash(request, error.message)
    else:
        flash(request, _report_message(report, "sécurisée(s)"))
    return redirect(request, "/factures/securiser")


# --------------------------------------------------------------------------------------------
# Detail page: payments, cancellation, printing
# --------------------------------------------------------------------------------------------


def _detail(request: Request, invoice_id: int, *, payment_form: Mapping[str, str] | None = None,
            payment_errors: Mapping[str, str] | None = None, editing: int | None = None,
            cancel_error: str = "", reason: str = "", status_code: int = 200) -> Response:
    try:
        record = invoice_documents.invoice_record(request.app.state.ctx.uow(), invoice_id)
    except NotFound:
        return _not_found(request)
    today = date.today().isoformat()
    blank = {"kind": "", "amount": "", "paid_on": today, "payer": "patient", "reference": ""}
    state = invoicing.state_of(record.invoice)
    return render(request, "invoices/detail.html", ACTIVE,
                  title=f"Facture n° {record.invoice.number or ''}", status_code=status_code,
                  **_common(r=record, today=today, can_pay=state.counts_for_balance,
                            can_cancel=_can_cancel(state), payment_form=payment_form or blank,
                            payment_errors=payment_errors or {}, editing=editing,
                            cancel_error=cancel_error, reason=reason,
                            done=take_flash(request)))


def _not_found(request: Request) -> HTMLResponse:
    return render(request, "pages/not_found.html", title="Page introuvable",
                  path=request.url.path, status_code=404)


def _can_cancel(state: InvoiceState) -> bool:
    # Asked to the lifecycle itself (validated, signed or rejected invoices only).
    try:
        state.cancel(datetime.now(UTC))
    except InvalidTransition:
        return False
    return True


@router.get("/factures/{invoice_id}", response_class=HTMLResponse)
def invoice_detail(request: Request, invoice_id: int) -> Response:
    return _detail(request, invoice_id)


def _parse_payment(form: Mapping[str, str]) -> tuple[Payment | None, dict[str, str]]:
    """A payment typed at the desk, or the French error of each wrong field."""
    errors: dict[str, str] = {}
    kind = payer = None
    try:
        kind = PaymentKind(form.get("kind", ""))
    except ValueError:
        errors["kind"] = "Choisissez le type de paiement."
    try:
        payer = Payer(form.get("payer") or "patient")
    except ValueError:
        errors["payer"] = "Payeur inconnu."
    try:
        amount = parse_amount(form.get("amount", "").replace(" ", "").replace("€", ""))
    except InvalidAmount:
        errors["amount"] = "Montant invalide (ex. 25,00)."
        amount = None
    try:
        paid_on = date.fromisoformat(form.get("paid_on", ""))
    except ValueError:
        errors["paid_on"] = "Date du paiement invalide."
        paid_on = None
    if len(form.get("reference", "")) > 60:
        errors["reference"] = "Référence : 60 caractères au plus."
    if errors or kind is None or payer is None or amount is None or paid_on is None:
        return None, errors
    try:
        return Payment(kind=kind, amount=amount, paid_on=paid_on, payer=payer,
                       reference=form.get("reference", "").strip()), {}
    except InvalidInput as error:
        return None, {error.field or "amount": error.message}


async def _text_form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def _payment_action(request: Request, invoice_id: int, form: Mapping[str, str],
                    save: Callable[[Payment], Any], editing: int | None) -> Response:
    payment, errors = _parse_payment(form)
    if payment is not None:
        try:
            save(payment)
        except OpenFSEError as error:
            errors = {error.field or "amount": error.message}
        else:
            flash(request, "Paiement enregistré.")
            return redirect(request, f"/factures/{invoice_id}")
    return _detail(request, invoice_id, payment_form=form, payment_errors=errors,
                   editing=editing, status_code=_refused(request))


def _own_payment(request: Request, invoice_id: int, payment_id: int) -> bool:
    """Whether the payment belongs to that invoice (of this cabinet)."""
    try:
        record = invoice_documents.invoice_record(request.app.state.ctx.uow(), invoice_id)
    except NotFound:
        return False
    return any(p.id == payment_id for p in record.invoice.payments)


@router.post("/factures/{invoice_id}/paiements", response_class=HTMLResponse)
async def add_payment(request: Request, invoice_id: int) -> Response:
    form = await _text_form(request)
    return _payment_action(
        request, invoice_id, form,
        lambda p: invoicing.record_payment(actor_uow(request), invoice_id, p), None)


@router.post("/factures/{invoice_id}/paiements/{payment_id}", response_class=HTMLResponse)
async def edit_payment(request: Request, invoice_id: int, payment_id: int) -> Response:
    form = await _text_form(request)
    if not _own_payment(request, invoice_id, payment_id):
        return _not_found(request)
    return _payment_action(
        request, invoice_id, form,
        lambda p: invoicing.edit_payment(actor_uow(request), payment_id, p), payment_id)


@router.post("/factures/{invoice_id}/paiements/{payment_id}/supprimer",
             response_class=HTMLResponse)
def delete_payment(request: Request, invoice_id: int, payment_id: int) -> Response:
    if not _own_payment(request, invoice_id, payment_id):
        return _not_found(request)
    try:
        invoicing.delete_payment(actor_uow(request), payment_id)
    except OpenFSEError as error:
        flash(request, error.message)
    else:
        flash(request, "Paiement supprimé.")
    return redirect(request, f"/factures/{invoice_id}")


@router.post("/factures/{invoice_id}/annuler", response_class=HTMLResponse)
async def cancel(request: Request, invoice_id: int) -> Response:
    """« Annuler la facture »: a reason, then the linked cancellation document."""
    form = await _text_form(request)
    reason = form.get("reason", "")
    if len(reason) > 500:
        return _detail(request, invoice_id, cancel_error="Motif : 500 caractères au plus.",
                       reason=reason, status_code=_refused(request))
    try:
        document = invoicing.cancel_invoice(actor_uow(request), invoice_id, reason)
    except OpenFSEError as error:
        return _detail(request, invoice_id, cancel_error=error.message, reason=reason,
                       status_code=_refused(request))
    flash(request, f"Facture annulée : document d'annulation n° {document.number}.")
    return redirect(request, f"/factures/{invoice_id}")


def _pdf(request: Request, invoice_id: int, build: Callable[..., bytes], name: str) -> Response:
    try:
        content = build(request.app.state.ctx.uow(), invoice_id)
    except NotFound:
        return _not_found(request)
    except (PrintingUnavailable, OpenFSEError) as error:
        flash(request, f"Impression impossible : {error.message}")
        return redirect(request, f"/factures/{invoice_id}")
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.get("/factures/{invoice_id}/feuille-de-soins.pdf")
def print_care_sheet(request: Request, invoice_id: int) -> Response:
    return _pdf(request, invoice_id, invoice_documents.care_sheet_pdf,
                f"feuille-de-soins-{invoice_id}.pdf")


@router.get("/factures/{invoice_id}/note-honoraires.pdf")
def print_receipt(request: Request, invoice_id: int) -> Response:
    return _pdf(request, invoice_id, invoice_documents.receipt_pdf,
                f"note-honoraires-{invoice_id}.pdf")
