"""« Factures » (manuel eS-KAP+ « Factures eS-KAP+ », « Factures poste de travail »): the list with
its filters and paging, the multi-selection to sign with the CPS or delete (unsent invoices only),
the invoices awaiting the carte Vitale (only the presented assuré's), the detail page with its
payments, cancellation and status history, and the printed documents as PDF.

Every action is a form post answered by a redirect and a flash message (PRG); a refused form
comes back with the full page, each error next to its field and the typed values kept — 422 to
a plain post, 200 to htmx (the pages are boosted: htmx swaps only 2xx answers, and its requests
carry the CSRF token in a header). Templates: ``templates/invoices/``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from openfse.adapters.cards.errors import CardError
from openfse.domain.cards import VitaleCard
from openfse.domain.invoice import DisplayStatus, InvalidTransition, InvoiceState
from openfse.domain.payment import Payer, Payment, PaymentKind
from openfse.domain.shares import Shown
from openfse.errors import InvalidInput, NotFound, OpenFSEError
from openfse.money import InvalidAmount, format_eur, parse_amount
from openfse.printing import PrintingUnavailable
from openfse.services import invoice_authority, invoice_documents, invoicing, shares
from openfse.services import invoice_signature as invoicing_signature
from openfse.services.cards import authenticate_cps
from openfse.services.invoice_authority import Acting, NotYourCard
from openfse.services.invoice_signature import SIGNABLE
from openfse.services.invoicing import InvoiceFilters, SignatureReport
from openfse.typed_numbers import record_id, small_int
from openfse.web.deps import Desk, DeskDep
from openfse.web.session import flash, redirect, take_flash
from openfse.web.ui.rendering import is_htmx, render

router = APIRouter(include_in_schema=False)

ACTIVE = "factures"
PAGE_SIZE = 25
PAYMENT_KINDS = {PaymentKind.CHEQUE: "Chèque", PaymentKind.CB: "Carte bancaire",
                 PaymentKind.ESPECES: "Espèces", PaymentKind.VIREMENT: "Virement",
                 PaymentKind.AUTRE: "Autre"}
PAYERS = {Payer.PATIENT: "Patient", Payer.AMO: "Caisse (AMO)", Payer.AMC: "Mutuelle (AMC)"}
# The statuses a user filters on (manuel eS-KAP+): the life of an FSE, then the special ones.
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
    return {"eur": format_eur, "badge_of": _badge, "payment_kinds": PAYMENT_KINDS,
            "payers": PAYERS, **context}


# The badge of a money state by its tone (docs/money-states.md §2).
_TONE_BADGE = {"done": "ok", "waiting": "", "todo": "warn", "rejected": "ko"}


def _badge(shown: Shown, row: Any) -> str:
    """The badge class of an invoice's shown state: by its step of life before the money
    (« À signer », « Sécurisée »…), by the tone of its money state after."""
    if shown.tone in _TONE_BADGE:
        return _TONE_BADGE[shown.tone]
    return _BADGE.get(invoicing.state_of(row).display_status, "")


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
def invoice_list(request: Request, desk: DeskDep, statut: Text = "",
                 professionnel: Text = "",
                 du: Text = "", au: Text = "", patient: Text = "", patient_id: Text = "",
                 numero: Text = "", page: Annotated[int, Query(ge=1, le=100_000)] = 1
                 ) -> HTMLResponse:
    form = {"statut": statut, "professionnel": professionnel, "du": du, "au": au,
            "patient": patient, "patient_id": patient_id, "numero": numero}
    errors: dict[str, str] = {}
    date_from = _date_or_error(du, "du", errors)
    date_to = _date_or_error(au, "au", errors)
    if date_from and date_to and date_from > date_to:
        errors["au"] = "La date de fin précède la date de début."
    chosen_patient, candidates = _patient_filter(desk, patient, patient_id, errors)
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
        rows, total = invoicing.list_invoices(desk.uow(), filters, limit=PAGE_SIZE,
                                              offset=(page - 1) * PAGE_SIZE)
    # Each row's state derived from its shares (docs/money-states.md), read in one go.
    shown = shares.shown_for(desk.uow(), [inv.id for inv, _ in rows])
    query = "&".join(f"{k}={v}" for k, v in form.items() if v)
    professionals = invoice_documents.professional_choices(desk.uow())
    user = desk.user
    return render(request, "invoices/list.html", ACTIVE, title="Factures",
                  status_code=_refused(request) if errors else 200,
                  **_common(form=form, errors=errors, rows=rows, total=total, page=page,
                            status_of=lambda row: (shown[row.id].label,
                                                   _badge(shown[row.id], row)),
                            # « Dû par le patient »: what he owes now (derived, not stored).
                            owed_of=lambda row: shown[row.id].patient_owes,
                            pages=max(1, -(-total // PAGE_SIZE)), query=query,
                            candidates=candidates, statuses=STATUS_CHOICES,
                            professionals=professionals, names=dict(professionals),
                            # « Tout cocher » ticks the logged-in professional's invoices only.
                            mine=None if user is None else user.professional_id,
                            done=take_flash(request), problem=_take_problem(request),
                            user=user))


PATIENT_INVOICES = 50


@router.get("/factures/patient/{patient_id}", response_class=HTMLResponse)
def patient_invoices(request: Request, desk: DeskDep, patient_id: int) -> HTMLResponse:
    """The patient's invoices under the balance of his file (issue 13: a balance with no
    invoice to explain it), newest first, each with its professional — two invoices may both
    be « n° 1 », one per professional — and its state."""
    rows, total = invoicing.list_invoices(desk.uow(), InvoiceFilters(patient_id=patient_id),
                                          limit=PATIENT_INVOICES)
    names = dict(invoice_documents.professional_choices(desk.uow()))
    shown = shares.shown_for(desk.uow(), [inv.id for inv, _ in rows])
    return render(request, "invoices/_of_patient.html",
                  **_common(rows=rows, total=total, names=names, patient_id=patient_id,
                            status_of=lambda row: (shown[row.id].label,
                                                   _badge(shown[row.id], row)),
                            owed_of=lambda row: shown[row.id].patient_owes))


# A refusal said after a redirect: red, never in the green box of a success (issue 13).
_PROBLEM_KEY = "invoice_problem"


def _flash_report(request: Request, done: str, problems: list[str]) -> None:
    flash(request, done)
    if problems:
        request.session[_PROBLEM_KEY] = " ".join(problems)


def _take_problem(request: Request) -> str | None:
    if "session" not in request.scope:
        return None
    problem = request.session.pop(_PROBLEM_KEY, None)
    return problem if isinstance(problem, str) else None


def _patient_filter(desk: Desk, prefix: str, patient_id: str, errors: dict[str, str]
                    ) -> tuple[int | None, list[Any]]:
    """The patient filter: a chosen id, else the patients whose name starts with the text —
    one is taken at once, several are offered to choose from."""
    if (chosen := record_id(patient_id)) is not None:  # not int(): « ² » passes isdigit()
        return chosen, []
    if not prefix.strip():
        return None, []
    found = invoice_documents.patients_starting(desk.uow(), prefix)
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


def _rows_of(desk: Desk, ids: list[int]) -> list[Any]:
    rows = []
    for invoice_id in ids:
        try:
            rows.append(invoice_documents.invoice_record(desk.uow(),
                                                         invoice_id))
        except NotFound:
            continue  # gone meanwhile: the confirmation lists what is left
    return rows


@router.post("/factures/selection", response_class=HTMLResponse)
async def selection(request: Request, desk: DeskDep) -> Response:
    """« Signer » / « Supprimer » on the ticked invoices: the confirmation step."""
    form = await request.form()
    ids = _selected(form)
    back = _back_to_list(form)
    action = str(form.get("action") or "")
    if not ids:
        flash(request, "Sélectionnez au moins une facture (case à cocher, barre d'espace).")
        return redirect(request, back)
    if action == "signer":
        user = desk.user
        if user is None or not user.can_sign:
            flash(request, "Seul un professionnel connecté avec sa carte CPS peut signer des "
                           "factures : le secrétariat ne signe pas.")
            return redirect(request, back)
        return _sign_page(request, desk, ids, back)
    if action == "supprimer":
        records = _rows_of(desk, ids)
        return render(request, "invoices/confirm_delete.html", ACTIVE,
                      title="Supprimer des factures",
                      **_common(records=records, back=back,
                                status_of=_status_of(desk, [r.invoice for r in records])))
    flash(request, "Action inconnue.")
    return redirect(request, back)


def _status_of(desk: Desk, rows: list[Any]) -> Callable[[Any], tuple[str, str]]:
    """``status_of(invoice)``: its shown state and badge, the states read in one go."""
    shown = shares.shown_for(desk.uow(), [row.id for row in rows])
    return lambda row: (shown[row.id].label, _badge(shown[row.id], row))


def _sign_page(request: Request, desk: Desk, ids: list[int], back: str, error: str = "",
               status_code: int = 200) -> HTMLResponse:
    user = desk.user
    records = _rows_of(desk, ids)
    return render(request, "invoices/sign.html", ACTIVE, title="Signer des factures",
                  status_code=status_code,
                  **_common(records=records, back=back, error=error,
                            status_of=_status_of(desk, [r.invoice for r in records]),
                            mine=None if user is None else user.professional_id))


def _report_message(report: SignatureReport, verb: str) -> str:
    return f"{len(report.done)} facture(s) {verb}."


def _flash_signature_report(request: Request, report: SignatureReport, verb: str) -> None:
    _flash_report(request, _report_message(report, verb),
                  [message for _, message in report.refused])


def _vitale_in_reader(desk: Desk) -> VitaleCard | None:
    """The carte Vitale in the reader, if any: in mode sécurisé it signs with the CPS."""
    try:
        card: VitaleCard = desk.card_reader.read_vitale()
    except CardError:
        return None
    return card


@router.post("/factures/signer", response_class=HTMLResponse)
async def sign(request: Request, desk: DeskDep) -> Response:
    """Sign the selection with the CPS in the reader, after its code porteur."""
    form = await request.form()
    ids = _selected(form)
    back = _back_to_list(form)
    user = desk.user
    if user is None or not user.can_sign:
        flash(request, "Seul un professionnel connecté avec sa carte CPS peut signer.")
        return redirect(request, back)
    pin = str(form.get("pin") or "").strip()
    if not (len(pin) == 4 and pin.isdigit()):
        return _sign_page(request, desk, ids, back, "Le code porteur compte exactement 4 chiffres.",
                          _refused(request))
    reader = desk.card_reader
    by = Acting.of(user)
    try:
        with desk.uow() as uow:
            # His own card, checked before its code: no try spent on a colleague's CPS.
            invoice_authority.card_of(uow, reader, by)
        authenticate_cps(reader, pin)
        report = invoicing.sign_invoices(desk.uow(), ids, sign=reader.sign,
                                         vitale=_vitale_in_reader(desk),
                                         certify=reader.certify_vitale, by=by)
    except (CardError, NotYourCard) as error:
        return _sign_page(request, desk, ids, back, error.message, _refused(request))
    _flash_signature_report(request, report, "signée(s)")
    return redirect(request, back)


@router.post("/factures/supprimer", response_class=HTMLResponse)
async def delete(request: Request, desk: DeskDep) -> Response:
    form = await request.form()
    back = _back_to_list(form)
    try:
        rows = invoicing.delete_unsent(desk.uow(), _selected(form),
                                       by=Acting.of(desk.user))
    except OpenFSEError as error:
        _flash_report(request, "Aucune facture supprimée.", [error.message])
    else:
        flash(request, f"{len(rows)} facture(s) supprimée(s).")
    return redirect(request, back)


# --------------------------------------------------------------------------------------------
# Invoices awaiting the carte Vitale
# --------------------------------------------------------------------------------------------


@router.get("/factures/securiser", response_class=HTMLResponse)
def to_secure(request: Request, desk: DeskDep) -> HTMLResponse:
    """« Factures à sécuriser »: insert the assuré's carte Vitale (or read the appli); only
    that assuré's désynchronisées invoices are shown (manuel eS-KAP+)."""
    problem = ""
    card: VitaleCard | None = None
    rows: list[Any] = []
    try:
        card = desk.card_reader.read_vitale()
    except CardError as error:
        problem = error.message
    if card is not None:
        rows = invoicing.invoices_to_secure(desk.uow(), card.nir)
    return render(request, "invoices/secure.html", ACTIVE, title="Factures à sécuriser",
                  **_common(card=card, problem=problem, rows=rows, done=take_flash(request),
                            refused=_take_problem(request),
                            names=dict(invoice_documents.professional_choices(desk.uow()))))


@router.post("/factures/securiser", response_class=HTMLResponse)
async def secure(request: Request, desk: DeskDep) -> Response:
    form = await request.form()
    try:
        card = desk.card_reader.read_vitale()
        report = invoicing.secure_invoices(desk.uow(), _selected(form), vitale=card,
                                           certify=desk.card_reader.certify_vitale)
    except CardError as error:
        _flash_report(request, "Aucune facture sécurisée.", [error.message])
    else:
        _flash_signature_report(request, report, "sécurisée(s)")
    return redirect(request, "/factures/securiser")


# --------------------------------------------------------------------------------------------
# Detail page: payments, cancellation, printing
# --------------------------------------------------------------------------------------------


def _detail(request: Request, desk: Desk, invoice_id: int, *,
            payment_form: Mapping[str, str] | None = None,
            payment_errors: Mapping[str, str] | None = None, editing: int | None = None,
            cancel_error: str = "", reason: str = "", status_code: int = 200) -> Response:
    try:
        record = invoice_documents.invoice_record(desk.uow(), invoice_id)
    except NotFound:
        return _not_found(request)
    today = desk.today.isoformat()
    blank = {"kind": "", "amount": "", "paid_on": today, "payer": "patient", "reference": ""}
    state = invoicing.state_of(record.invoice)
    user = desk.user
    # A titulaire sees a colleague's invoice but neither signs nor cancels it (issue 12).
    own = user is not None and user.professional_id == record.invoice.professional_id
    return render(request, "invoices/detail.html", ACTIVE,
                  title=f"Facture n° {record.invoice.number or ''}", status_code=status_code,
                  **_common(r=record, today=today, can_pay=state.counts_for_balance,
                            can_cancel=own and _can_cancel(state, desk.now),
                            can_sign=own and user is not None and user.can_sign
                            and state.display_status in SIGNABLE,
                            waits_for=invoicing_signature.waiting_for(state),
                            payment_form=payment_form or blank,
                            payment_errors=payment_errors or {}, editing=editing,
                            cancel_error=cancel_error, reason=reason,
                            done=take_flash(request), problem=_take_problem(request)))


def _not_found(request: Request) -> HTMLResponse:
    return render(request, "pages/not_found.html", title="Page introuvable",
                  path=request.url.path, status_code=404)


def _can_cancel(state: InvoiceState, now: datetime) -> bool:
    # Asked to the lifecycle itself (validated, signed or rejected invoices only).
    try:
        state.cancel(now)
    except InvalidTransition:
        return False
    return True


@router.get("/factures/{invoice_id}", response_class=HTMLResponse)
def invoice_detail(request: Request, desk: DeskDep, invoice_id: int) -> Response:
    return _detail(request, desk, invoice_id)


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


def _payment_action(request: Request, desk: Desk, invoice_id: int, form: Mapping[str, str],
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
    return _detail(request, desk, invoice_id, payment_form=form, payment_errors=errors,
                   editing=editing, status_code=_refused(request))


def _own_payment(desk: Desk, invoice_id: int, payment_id: int) -> bool:
    """Whether the payment belongs to that invoice (of this cabinet)."""
    try:
        record = invoice_documents.invoice_record(desk.uow(), invoice_id)
    except NotFound:
        return False
    return any(p.id == payment_id for p in record.invoice.payments)


@router.post("/factures/{invoice_id}/paiements", response_class=HTMLResponse)
async def add_payment(request: Request, desk: DeskDep, invoice_id: int) -> Response:
    form = await _text_form(request)
    return _payment_action(
        request, desk, invoice_id, form,
        lambda p: invoicing.record_payment(desk.uow(), invoice_id, p), None)


@router.post("/factures/{invoice_id}/paiements/{payment_id}", response_class=HTMLResponse)
async def edit_payment(request: Request, desk: DeskDep, invoice_id: int,
                       payment_id: int) -> Response:
    form = await _text_form(request)
    if not _own_payment(desk, invoice_id, payment_id):
        return _not_found(request)
    return _payment_action(
        request, desk, invoice_id, form,
        lambda p: invoicing.edit_payment(desk.uow(), payment_id, p), payment_id)


@router.post("/factures/{invoice_id}/paiements/{payment_id}/supprimer",
             response_class=HTMLResponse)
def delete_payment(request: Request, desk: DeskDep, invoice_id: int,
                   payment_id: int) -> Response:
    if not _own_payment(desk, invoice_id, payment_id):
        return _not_found(request)
    try:
        invoicing.delete_payment(desk.uow(), payment_id)
    except OpenFSEError as error:
        flash(request, error.message)
    else:
        flash(request, "Paiement supprimé.")
    return redirect(request, f"/factures/{invoice_id}")


@router.post("/factures/{invoice_id}/annuler", response_class=HTMLResponse)
async def cancel(request: Request, desk: DeskDep, invoice_id: int) -> Response:
    """« Annuler la facture »: a reason, then the linked cancellation document."""
    form = await _text_form(request)
    reason = form.get("reason", "")
    if len(reason) > 500:
        return _detail(request, desk, invoice_id, cancel_error="Motif : 500 caractères au plus.",
                       reason=reason, status_code=_refused(request))
    try:
        document = invoicing.cancel_invoice(desk.uow(), invoice_id, reason,
                                            by=Acting.of(desk.user))
    except OpenFSEError as error:
        return _detail(request, desk, invoice_id, cancel_error=error.message, reason=reason,
                       status_code=_refused(request))
    flash(request, f"Facture annulée : document d'annulation n° {document.number}.")
    return redirect(request, f"/factures/{invoice_id}")


def _pdf(request: Request, desk: Desk, invoice_id: int, build: Callable[..., bytes],
         name: str) -> Response:
    try:
        content = build(desk.uow(), invoice_id)
    except NotFound:
        return _not_found(request)
    except (PrintingUnavailable, OpenFSEError) as error:
        flash(request, f"Impression impossible : {error.message}")
        return redirect(request, f"/factures/{invoice_id}")
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.get("/factures/{invoice_id}/feuille-de-soins.pdf")
def print_care_sheet(request: Request, desk: DeskDep, invoice_id: int) -> Response:
    return _pdf(request, desk, invoice_id, invoice_documents.care_sheet_pdf,
                f"feuille-de-soins-{invoice_id}.pdf")


@router.get("/factures/{invoice_id}/note-honoraires.pdf")
def print_receipt(request: Request, desk: DeskDep, invoice_id: int) -> Response:
    return _pdf(request, desk, invoice_id, invoice_documents.receipt_pdf,
                f"note-honoraires-{invoice_id}.pdf")
