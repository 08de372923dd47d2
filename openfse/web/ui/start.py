"""Start of the day: the CPS and its code porteur, the first registration of a professional,
the titulaire's confirmation of a remplaçant, the staff log-in, and the simulated reader.

Seed 003 « En pratique »: "on place sa CPS dans le lecteur … le code confidentiel de la CPS
est saisi pour s'identifier"; seed 001 « Déverrouiller CPS », « Informations PS », « Ajout
remplaçant ». A code porteur is typed on three screens, which share one form
(``start/_cps.html``) and differ by their :class:`CpsStep`:

* ``connexion`` — log in (``/connexion``);
* ``remplacant`` — the remplaçant's card in « Ajouter remplaçant »;
* ``titulaire`` — the titulaire's card confirming the remplaçant.

Between the screens the flow keeps, in the signed session cookie, the card whose code was
accepted (``cps_verified``) and the remplaçant waiting for confirmation (``enrolment``); the
card must still be in the reader with its code unlocked when the registration is validated
(:func:`openfse.services.session_login.prove_card_presence`).

In demo mode (``OPENFSE_CARD_BACKEND=simulated``) a panel « Lecteur simulé (démonstration) »
puts test cards in and out of the reader: it replaces the physical gesture.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from openfse.adapters.cards.codec import card_from_data, to_data
from openfse.adapters.cards.errors import CardBlocked, CardError, NoFreeSlot, UnknownTestCard
from openfse.adapters.cards.simulated import SimulatedReader
from openfse.domain.cards import CardKind, CpsCard
from openfse.errors import Conflict, InvalidInput, NotFound, OpenFSEError
from openfse.services import professionals as ps
from openfse.services import session_login
from openfse.services.professionals import CardReview, RemplacantEnrolment
from openfse.services.session_login import LoginMethod, professional_display_name
from openfse.store.models import ProfessionalKind
from openfse.typed_numbers import small_int
from openfse.web.session import (
    actor_uow,
    current_user,
    flash,
    local_path,
    log_in,
    log_out,
    login_throttle,
    redirect,
    take_flash,
)
from openfse.web.ui.professionals import (
    answer,
    chosen_days,
    form_errors,
    month_of_intent,
    month_view,
    parse_month,
    today,
)
from openfse.web.ui.rendering import render

router = APIRouter(include_in_schema=False)

TEXT = Annotated[str, Form()]
DAYS = Annotated[list[str] | None, Form()]

VERIFIED = "cps_verified"  # {"card": card data, "purpose": "connexion" | "remplacant"}
ENROLMENT = "enrolment"  # RemplacantEnrolment.to_session()


# --------------------------------------------------------------------------- CPS steps


@dataclass(frozen=True, slots=True)
class CpsStep:
    key: str
    page: str  # the screen showing the code porteur form
    action: str  # where the form posts
    heading: str
    insert_hint: str


STEPS = {
    step.key: step
    for step in (
        CpsStep("connexion", "/connexion", "/connexion/cps", "Carte CPS",
                "Insérez votre carte CPS dans le lecteur (puce vers le bas)."),
        CpsStep("remplacant", "/professionnels/ajouter-remplacant",
                "/professionnels/ajouter-remplacant", "CPS du remplaçant",
                "Retirez la CPS du titulaire, puis insérez celle du remplaçant."),
        CpsStep("titulaire", "/connexion/enregistrement/titulaire",
                "/connexion/enregistrement/titulaire", "CPS du titulaire",
                "Retirez la carte du remplaçant, puis insérez celle du titulaire."),
    )
}


def _cps_context(
    request: Request,
    step: CpsStep,
    *,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    expected: str | None = None,
) -> dict[str, Any]:
    ctx = request.app.state.ctx
    state = session_login.cps_reader_state(ctx.card_reader, today=today())
    return {
        "step": step,
        "cps": state,
        "cps_errors": errors or {},
        "cps_notice": notice,
        "expected": expected,
        "panel": reader_panel(request, step.page),
    }


def _card_errors(error: OpenFSEError, *, unblock: bool = False) -> dict[str, str]:
    errors = form_errors(error)
    if unblock and "pin" in errors:  # the unblock form names its new code "new_pin"
        errors["new_pin"] = errors.pop("pin")
    if isinstance(error, CardBlocked):  # the unblock form that replaces the PIN says it
        return {}
    return errors


# --------------------------------------------------------------------------- reader panel


@dataclass(frozen=True, slots=True)
class PanelCard:
    name: str
    description: str
    kind: str


@dataclass(frozen=True, slots=True)
class ReaderPanel:
    """The simulated reader's slots and the test cards that can go in."""

    slots: tuple[tuple[str, str | None], ...]
    cards: tuple[PanelCard, ...]
    back_to: str
    message: str | None


def _simulated_reader(request: Request) -> SimulatedReader | None:
    ctx = request.app.state.ctx
    if ctx.settings.card_backend.strip().lower() != "simulated":
        return None
    reader = ctx.card_reader
    return reader if isinstance(reader, SimulatedReader) else None


def reader_panel(request: Request, back_to: str) -> ReaderPanel | None:
    reader = _simulated_reader(request)
    if reader is None:
        return None
    session = request.session
    message = session.pop("reader_message", None)
    return ReaderPanel(
        slots=tuple(reader.inserted().items()),
        cards=tuple(PanelCard(c.name, c.description, c.kind.value)
                    for c in reader.available_cards()),
        back_to=back_to,
        message=message if isinstance(message, str) else None,
    )


@router.post("/connexion/lecteur", response_class=HTMLResponse)
def simulated_reader(
    request: Request, action: TEXT = "", card: TEXT = "", retour: TEXT = "/connexion"
) -> Response:
    """Insert or pull out a test card (demo mode only)."""
    back = local_path(retour, "/connexion")
    reader = _simulated_reader(request)
    if reader is None:
        return render(request, "pages/not_found.html", title="Page introuvable",
                      path="/connexion/lecteur", status_code=404)
    try:
        if action == "inserer":
            reader.insert(card)
        elif action == "retirer":
            reader.remove(card or None)
        else:
            raise InvalidInput("Action inconnue sur le lecteur simulé.", field="action")
    except (UnknownTestCard, NoFreeSlot, InvalidInput) as error:
        request.session["reader_message"] = error.message
    return redirect(request, back)


# --------------------------------------------------------------------------- log-in screen


def _start_context(
    request: Request, staff: dict[str, Any] | None = None, **cps: Any
) -> dict[str, Any]:
    return {
        "active": None,
        "title": "Commencer la journée",
        "user": current_user(request),
        "flash": take_flash(request),
        "staff": staff or {"login": "", "errors": {}},
        **_cps_context(request, STEPS["connexion"], **cps),
    }


@router.get("/connexion", response_class=HTMLResponse)
def start(request: Request) -> HTMLResponse:
    return render(request, "start/start.html", **_start_context(request))


@router.post("/connexion/cps", response_class=HTMLResponse)
def cps_login(request: Request, pin: TEXT = "") -> Response:
    """The code porteur, checked by the card; a known professional is in, an unknown one goes
    to the review of his card (seed 001 « Informations PS »)."""
    ctx = request.app.state.ctx
    try:
        outcome = session_login.login_with_cps(ctx.uow(), ctx.card_reader, pin.strip(),
                                               today=today())
    except (CardError, InvalidInput, Conflict) as error:
        return answer(request, "start/start.html", "start/_cps.html", status_code=422,
                      **_start_context(request, errors=_card_errors(error)))
    if outcome.user is None:
        request.session[VERIFIED] = {"card": to_data(outcome.card), "purpose": "connexion"}
        return redirect(request, "/connexion/enregistrement")
    log_in(request, outcome.user)
    return redirect(request, "/")


@router.post("/connexion/debloquer", response_class=HTMLResponse)
def unblock(
    request: Request,
    step: TEXT = "connexion",
    unblock_code: TEXT = "",
    new_pin: TEXT = "",
    confirm: TEXT = "",
) -> Response:
    """Seed 003 « débloquer code »: code de déblocage (8 caractères), new code porteur twice."""
    cps_step = STEPS.get(step, STEPS["connexion"])
    try:
        session_login.unblock_card(request.app.state.ctx.card_reader, unblock_code.strip(),
                                   new_pin.strip(), confirm.strip())
    except (CardError, InvalidInput) as error:
        return _step_answer(request, cps_step, 422, errors=_card_errors(error, unblock=True))
    return _step_answer(request, cps_step, 200,
                        notice="Carte débloquée : saisissez votre nouveau code porteur.")


def _step_answer(request: Request, step: CpsStep, status: int, **cps: Any) -> Response:
    """The screen of ``step`` (or its CPS fragment for htmx) with this card outcome."""
    if step.key == "remplacant":
        page, context = "start/add_remplacant.html", _add_context(request, **cps)
    elif step.key == "titulaire" and (confirm := _confirm_context(request, **cps)) is not None:
        page, context = "start/confirm.html", confirm
    else:
        page, context = "start/start.html", _start_context(request, **cps)
    return answer(request, page, "start/_cps.html", status_code=status, **context)


@router.post("/connexion/identifiant", response_class=HTMLResponse)
def password_login(request: Request, login: TEXT = "", password: TEXT = "") -> Response:
    """Staff without a CPS (secrétariat): login and password, at most 5 failures per login in
    15 minutes."""
    try:
        user = session_login.login_with_password(
            request.app.state.ctx.uow(), login_throttle(request), login, password,
            now=time.monotonic())
    except OpenFSEError as error:
        staff = {"login": login, "errors": form_errors(error)}
        return answer(request, "start/start.html", "start/_password.html", status_code=422,
                      **_start_context(request, staff))
    log_in(request, user)
    return redirect(request, "/")


@router.post("/deconnexion", response_class=HTMLResponse)
def logout(request: Request) -> Response:
    log_out(request)
    return redirect(request, "/connexion")


# --------------------------------------------------------------------------- registration


def _verified(request: Request) -> tuple[CpsCard, str] | None:
    stored = request.session.get(VERIFIED)
    if not isinstance(stored, dict):
        return None
    try:
        card = card_from_data(CardKind.CPS, stored["card"])
    except (KeyError, OpenFSEError):
        return None
    assert isinstance(card, CpsCard)
    return card, str(stored.get("purpose", "connexion"))


def _situations(card: CpsCard, purpose: str) -> list[CardReview]:
    reviews = [ps.review_card(card, s.numero) for s in card.situations]
    if purpose == "remplacant":  # « Ajouter remplaçant »: only his remplaçant situations
        reviews = [r for r in reviews if r.kind is ProfessionalKind.REMPLACANT]
    return reviews


def _register_context(
    request: Request,
    card: CpsCard,
    purpose: str,
    form: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    reviews = _situations(card, purpose)
    numero = small_int(form.get("situation"), max_digits=2)  # situations are numbered 1…n
    review = next((r for r in reviews if r.situation.numero == numero), reviews[0])
    form = {"sector": review.default_sector, "optam": False, "titulaire": "", **form,
            "situation": review.situation.numero}
    now = today()
    days = chosen_days(form.get("days", []))
    month = parse_month(str(form.get("month", "")), min((d for d in days if d >= now),
                                                           default=now))
    return {
        "active": None,
        "title": "Informations du professionnel de santé",
        "card": card,
        "purpose": purpose,
        "reviews": reviews,
        "review": review,
        "form": form,
        "errors": errors or {},
        "sectors": ps.SECTOR_CHOICES,
        "titulaires": ps.active_titulaires(request.app.state.ctx.uow())
        if review.kind is ProfessionalKind.REMPLACANT else (),
        "calendar": month_view(month, days, today=now),
    }


@router.get("/connexion/enregistrement", response_class=HTMLResponse)
def registration(request: Request) -> Response:
    verified = _verified(request)
    if verified is None:
        return redirect(request, "/connexion")
    card, purpose = verified
    if not _situations(card, purpose):
        request.session.pop(VERIFIED, None)
        flash(request, "Cette CPS ne porte aucune situation de remplaçant.")
        return redirect(request, "/professionnels/ajouter-remplacant")
    return render(request, "start/register.html", **_register_context(request, card, purpose, {}))


@router.post("/connexion/enregistrement", response_class=HTMLResponse)
def register(
    request: Request,
    situation: TEXT = "",
    sector: TEXT = "",
    optam: TEXT = "",
    titulaire: TEXT = "",
    month: TEXT = "",
    intent: TEXT = "",
    days: DAYS = None,
) -> Response:
    """Seed 001 « Vérifiez les informations affichées, puis validez la fiche PS »; for a
    remplaçant, « Cochez … le titulaire concerné », the days, then the titulaire's card."""
    verified = _verified(request)
    if verified is None:
        return redirect(request, "/connexion")
    card, purpose = verified
    form: dict[str, Any] = {"situation": situation, "sector": sector, "optam": bool(optam),
                            "titulaire": titulaire, "month": month_of_intent(intent) or month,
                            "days": days or []}
    if intent != "valider":  # another situation, titulaire or month: redraw, keep everything
        context = _register_context(request, card, purpose, form)
        return answer(request, "start/register.html", "start/_register_form.html", **context)
    context = _register_context(request, card, purpose, form)
    review: CardReview = context["review"]
    ctx = request.app.state.ctx
    try:
        session_login.prove_card_presence(ctx.card_reader, card.serial)
    except CardError as error:
        request.session.pop(VERIFIED, None)
        flash(request, f"{error.message} Recommencez en saisissant le code porteur.")
        restart = STEPS["remplacant" if purpose == "remplacant" else "connexion"]
        return redirect(request, restart.page)
    try:
        if review.kind is ProfessionalKind.TITULAIRE:
            convention = ps.parse_convention(review, sector, bool(optam))
            _, account = ps.register_titulaire(
                ctx.uow(actor=f"CPS {card.rpps}"), review, convention)
            log_in(request, session_login.session_user_of(account, LoginMethod.CPS))
            flash(request, "Professionnel enregistré : bonne journée !")
            return redirect(request, "/")
        enrolment = ps.prepare_remplacant(
            ctx.uow(), review, sector=sector, optam=bool(optam), titulaire=titulaire,
            days=days or [], today=today())
    except (InvalidInput, Conflict) as error:
        context["errors"] = form_errors(error)
        return answer(request, "start/register.html", "start/_register_form.html",
                      status_code=422, **context)
    request.session.pop(VERIFIED, None)
    request.session[ENROLMENT] = enrolment.to_session()
    return redirect(request, "/connexion/enregistrement/titulaire")


# --------------------------------------------------------------------------- titulaire confirms


def _enrolment(request: Request) -> RemplacantEnrolment | None:
    stored = request.session.get(ENROLMENT)
    if not isinstance(stored, dict):
        return None
    try:
        return RemplacantEnrolment.from_session(stored)
    except (KeyError, ValueError, TypeError, OpenFSEError):
        request.session.pop(ENROLMENT, None)
        return None


def _confirm_context(request: Request, **cps: Any) -> dict[str, Any] | None:
    enrolment = _enrolment(request)
    if enrolment is None:
        return None
    try:
        titulaire = ps.professional_file(request.app.state.ctx.uow(),
                                         enrolment.titulaire_id).professional
    except NotFound:
        request.session.pop(ENROLMENT, None)
        return None
    return {
        "active": None,
        "title": "Confirmation par le titulaire",
        "enrolment": enrolment,
        "titulaire": titulaire,
        "titulaire_name": professional_display_name(titulaire),
        "days": sorted(enrolment.days),
        **_cps_context(request, STEPS["titulaire"], expected=titulaire.rpps, **cps),
    }


@router.get("/connexion/enregistrement/titulaire", response_class=HTMLResponse)
def confirmation(request: Request) -> Response:
    context = _confirm_context(request)
    if context is None:
        return redirect(request, "/connexion")
    return render(request, "start/confirm.html", **context)


@router.post("/connexion/enregistrement/titulaire", response_class=HTMLResponse)
def confirm(request: Request, pin: TEXT = "") -> Response:
    """Seed 001 « Retirez la carte du remplaçant, puis insérez celle du titulaire. Entrez le
    code porteur du titulaire. »"""
    enrolment = _enrolment(request)
    if enrolment is None:
        return redirect(request, "/connexion")
    ctx = request.app.state.ctx
    try:
        done = ps.register_remplacant(actor_uow(request), ctx.card_reader, enrolment,
                                      pin.strip(), today=today())
    except (CardError, InvalidInput, Conflict, NotFound) as error:
        context = _confirm_context(request, errors=_card_errors(error))
        if context is None:
            return redirect(request, "/connexion")
        return answer(request, "start/confirm.html", "start/_cps.html", status_code=422,
                      **context)
    request.session.pop(ENROLMENT, None)
    log_in(request, done.titulaire)  # the titulaire just proved himself with his card
    flash(request, f"Remplaçant enregistré : {professional_display_name(done.remplacant)}, "
                   f"confirmé par {done.titulaire.display_name}.")
    return redirect(request, f"/professionnels/{done.remplacant.id}")


@router.post("/connexion/enregistrement/annuler", response_class=HTMLResponse)
def cancel_registration(request: Request) -> Response:
    request.session.pop(ENROLMENT, None)
    request.session.pop(VERIFIED, None)
    return redirect(request, "/professionnels" if current_user(request) else "/connexion")


# --------------------------------------------------------------------------- ajouter remplaçant


def _add_context(request: Request, **cps: Any) -> dict[str, Any]:
    return {
        "active": "professionnels",
        "title": "Ajouter un remplaçant",
        "flash": take_flash(request),
        **_cps_context(request, STEPS["remplacant"], **cps),
    }


@router.get("/professionnels/ajouter-remplacant", response_class=HTMLResponse)
def add_remplacant(request: Request) -> HTMLResponse:
    """Seed 001 « Appuyez sur le bouton Ajouter remplaçant. Une fenêtre s'ouvre, vous invitant
    à insérer la carte CPS du remplaçant »."""
    return render(request, "start/add_remplacant.html", **_add_context(request))


@router.post("/professionnels/ajouter-remplacant", response_class=HTMLResponse)
def add_remplacant_pin(request: Request, pin: TEXT = "") -> Response:
    """« Saisissez le code porteur de la CPS du remplaçant. L'écran affiche automatiquement
    les informations du remplaçant. »"""
    ctx = request.app.state.ctx
    try:
        card = session_login.verify_cps(ctx.card_reader, pin.strip(), today=today())
        if not _situations(card, "remplacant"):
            raise InvalidInput(
                f"La carte de {card.prenom.title()} {card.nom} ne porte aucune situation de "
                "remplaçant : insérez la CPS du remplaçant.", field="pin")
        known = ps.registered_professional(ctx.uow(), card.rpps)
        if known is not None and known.active:
            raise Conflict(
                f"{professional_display_name(known)} est déjà enregistré(e) : ajoutez ses jours "
                "de remplacement depuis sa fiche (Professionnels de santé → Informations).",
                field="pin")
    except (CardError, InvalidInput, Conflict) as error:
        return answer(request, "start/add_remplacant.html", "start/_cps.html", status_code=422,
                      **_add_context(request, errors=_card_errors(error)))
    request.session[VERIFIED] = {"card": to_data(card), "purpose": "remplacant"}
    return redirect(request, "/connexion/enregistrement")

