"""Start of the day: the CPS and its code porteur, the first registration of a professional,
the titulaire's confirmation of a remplaçant, the staff log-in, and the simulated reader.

Guide LOGOSw « En pratique »: "on place sa CPS dans le lecteur … le code confidentiel de la CPS
est saisi pour s'identifier"; manuel eS-KAP+ « Déverrouiller CPS », « Informations PS », « Ajout
remplaçant ». A code porteur is typed on three screens, which share one form
(``start/_cps.html``) and differ by their :class:`CpsStep`:

* ``connexion`` — log in (``/connexion``);
* ``remplacant`` — the remplaçant's card in « Ajouter remplaçant »;
* ``titulaire`` — the titulaire's card confirming the remplaçant.

Between the screens the flow keeps, in the signed session cookie, the card whose code was
accepted (``cps_verified``) and the remplaçant waiting for confirmation (``enrolment``); the
card must still be in the reader with its code unlocked when the registration is validated
(:func:`openfse.services.session_login.prove_card_presence`).

In demo mode — the simulated card backend (``OPENFSE_CARD_BACKEND=simulated``, the default)
over the demonstration cabinet (``openfse init --demo-if-empty``, ``openfse demo``) — a panel
« Lecteur simulé (démonstration) » puts test cards in and out of the reader: it replaces the
physical gesture. Outside demo mode it does not exist (issue 12, finding 14).

Every form here posts under the guard's same-origin and CSRF checks (:mod:`openfse.web.security`),
and each code typed counts against the limits per card and per client
(:mod:`openfse.services.throttle`): a page of another site cannot block the card.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from openfse.adapters.cards.codec import card_from_data, to_data
from openfse.adapters.cards.errors import CardBlocked, CardError, NoFreeSlot, UnknownTestCard
from openfse.composition.simulated_cards import SimulatedReader
from openfse.domain.cards import CardKind, CpsCard
from openfse.errors import Conflict, InvalidInput, NotFound, OpenFSEError
from openfse.services import professionals as ps
from openfse.services import session_login
from openfse.services.professionals import CardReview, RemplacantEnrolment
from openfse.services.session_login import LoginMethod, professional_display_name
from openfse.services.setup import is_demo_cabinet
from openfse.store.models import ProfessionalKind
from openfse.typed_numbers import small_int
from openfse.web.deps import ANONYMOUS, Desk, DeskDep, app_context
from openfse.web.session import (
    client_address,
    flash,
    local_path,
    log_in,
    log_out,
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
    desk: Desk,
    step: CpsStep,
    *,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    expected: str | None = None,
) -> dict[str, Any]:
    state = session_login.cps_reader_state(desk.card_reader, today=desk.today)
    return {
        "step": step,
        "cps": state,
        "cps_errors": errors or {},
        "cps_notice": notice,
        "expected": expected,
        "panel": reader_panel(desk.request, step.page),
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
    """The reader the panel moves cards in, in demo mode only (see the module docstring)."""
    ctx = app_context(request)
    reader = ctx.card_reader
    if ctx.settings.card_backend.strip().lower() != "simulated" \
            or not isinstance(reader, SimulatedReader):
        return None
    if not is_demo_cabinet(ctx.unit_of_work(actor=ANONYMOUS, actor_user_id=None)):
        return None  # a real cabinet: no panel, whatever the card backend
    return reader


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
    desk: DeskDep, action: TEXT = "", card: TEXT = "", retour: TEXT = "/connexion"
) -> Response:
    """Insert or pull out a test card (demo mode only)."""
    request = desk.request
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
    desk: Desk, staff: dict[str, Any] | None = None, **cps: Any
) -> dict[str, Any]:
    return {
        "active": None,
        "title": "Commencer la journée",
        "user": desk.user,
        "flash": take_flash(desk.request),
        "staff": staff or {"login": "", "errors": {}},
        **_cps_context(desk, STEPS["connexion"], **cps),
    }


@router.get("/connexion", response_class=HTMLResponse)
def start(desk: DeskDep) -> HTMLResponse:
    return render(desk.request, "start/start.html", **_start_context(desk))


@router.post("/connexion/cps", response_class=HTMLResponse)
def cps_login(desk: DeskDep, pin: TEXT = "") -> Response:
    """The code porteur, checked by the card; a known professional is in, an unknown one goes
    to the review of his card (manuel eS-KAP+ « Informations PS »)."""
    request = desk.request
    try:
        outcome = session_login.login_with_cps(
            desk.uow(), desk.card_reader, pin.strip(), today=desk.today,
            client=client_address(request), now=desk.now)
    except OpenFSEError as error:
        return answer(request, "start/start.html", "start/_cps.html", status_code=422,
                      **_start_context(desk, errors=_card_errors(error)))
    if outcome.user is None:
        request.session[VERIFIED] = {"card": to_data(outcome.card), "purpose": "connexion"}
        return redirect(request, "/connexion/enregistrement")
    log_in(request, outcome.user)
    return redirect(request, "/")


@router.post("/connexion/debloquer", response_class=HTMLResponse)
def unblock(
    desk: DeskDep,
    step: TEXT = "connexion",
    unblock_code: TEXT = "",
    new_pin: TEXT = "",
    confirm: TEXT = "",
) -> Response:
    """Guide LOGOSw « débloquer code »: code de déblocage (8 caractères), new code porteur twice."""
    cps_step = STEPS.get(step, STEPS["connexion"])
    try:
        session_login.unblock_card(desk.uow(), desk.card_reader, unblock_code.strip(),
                                   new_pin.strip(), confirm.strip(),
                                   client=client_address(desk.request), now=desk.now)
    except OpenFSEError as error:
        return _step_answer(desk, cps_step, 422, errors=_card_errors(error, unblock=True))
    return _step_answer(desk, cps_step, 200,
                        notice="Carte débloquée : saisissez votre nouveau code porteur.")


def _step_answer(desk: Desk, step: CpsStep, status: int, **cps: Any) -> Response:
    """The screen of ``step`` (or its CPS fragment for htmx) with this card outcome."""
    if step.key == "remplacant":
        page, context = "start/add_remplacant.html", _add_context(desk, **cps)
    elif step.key == "titulaire" and (confirm := _confirm_context(desk, **cps)) is not None:
        page, context = "start/confirm.html", confirm
    else:
        page, context = "start/start.html", _start_context(desk, **cps)
    return answer(desk.request, page, "start/_cps.html", status_code=status, **context)


@router.post("/connexion/identifiant", response_class=HTMLResponse)
def password_login(desk: DeskDep, login: TEXT = "", password: TEXT = "") -> Response:
    """Staff without a CPS (secrétariat): login and password, at most 5 failures per login in
    15 minutes (and a limit per client), in the database."""
    request = desk.request
    try:
        user = session_login.login_with_password(
            desk.uow(), login, password, client=client_address(request), now=desk.now)
    except OpenFSEError as error:
        staff = {"login": login, "errors": form_errors(error)}
        return answer(request, "start/start.html", "start/_password.html", status_code=422,
                      **_start_context(desk, staff))
    log_in(request, user)
    return redirect(request, "/")


@router.post("/deconnexion", response_class=HTMLResponse)
def logout(desk: DeskDep) -> Response:
    log_out(desk.request)
    return redirect(desk.request, "/connexion")


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
    desk: Desk,
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
    now = desk.today
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
        "titulaires": ps.active_titulaires(desk.uow())
        if review.kind is ProfessionalKind.REMPLACANT else (),
        "calendar": month_view(month, days, today=now),
    }


@router.get("/connexion/enregistrement", response_class=HTMLResponse)
def registration(desk: DeskDep) -> Response:
    request = desk.request
    verified = _verified(request)
    if verified is None:
        return redirect(request, "/connexion")
    card, purpose = verified
    if not _situations(card, purpose):
        request.session.pop(VERIFIED, None)
        flash(request, "Cette CPS ne porte aucune situation de remplaçant.")
        return redirect(request, "/professionnels/ajouter-remplacant")
    return render(request, "start/register.html", **_register_context(desk, card, purpose, {}))


@router.post("/connexion/enregistrement", response_class=HTMLResponse)
def register(
    desk: DeskDep,
    situation: TEXT = "",
    sector: TEXT = "",
    optam: TEXT = "",
    titulaire: TEXT = "",
    month: TEXT = "",
    intent: TEXT = "",
    days: DAYS = None,
) -> Response:
    """Manuel eS-KAP+ « Vérifiez les informations affichées, puis validez la fiche PS »; for a
    remplaçant, « Cochez … le titulaire concerné », the days, then the titulaire's card.
    A titulaire unknown to the cabinet is registered « en attente » (the first of the
    installation excepted): he logs in once a titulaire has approved him."""
    request = desk.request
    verified = _verified(request)
    if verified is None:
        return redirect(request, "/connexion")
    card, purpose = verified
    form: dict[str, Any] = {"situation": situation, "sector": sector, "optam": bool(optam),
                            "titulaire": titulaire, "month": month_of_intent(intent) or month,
                            "days": days or []}
    if intent != "valider":  # another situation, titulaire or month: redraw, keep everything
        context = _register_context(desk, card, purpose, form)
        return answer(request, "start/register.html", "start/_register_form.html", **context)
    context = _register_context(desk, card, purpose, form)
    review: CardReview = context["review"]
    try:
        session_login.prove_card_presence(desk.card_reader, card.serial)
    except CardError as error:
        request.session.pop(VERIFIED, None)
        flash(request, f"{error.message} Recommencez en saisissant le code porteur.")
        restart = STEPS["remplacant" if purpose == "remplacant" else "connexion"]
        return redirect(request, restart.page)
    try:
        if review.kind is ProfessionalKind.TITULAIRE:
            convention = ps.parse_convention(review, sector, bool(optam))
            # Nobody is logged in yet: the journal names the card that proved itself, then
            # the account made for it (session_login.act_as).
            _, account = ps.register_titulaire(
                app_context(request).unit_of_work(actor=f"CPS {card.rpps}", actor_user_id=None),
                review, convention)
            request.session.pop(VERIFIED, None)
            try:
                session_login.check_not_pending(desk.uow(), account.id)
            except session_login.AccessPending as pending:
                flash(request, f"Professionnel enregistré. {pending.message}")
                return redirect(request, "/connexion")
            log_in(request, session_login.session_user_of(account, LoginMethod.CPS))
            flash(request, "Professionnel enregistré : bonne journée !")
            return redirect(request, "/")
        enrolment = ps.prepare_remplacant(
            desk.uow(), review, sector=sector, optam=bool(optam), titulaire=titulaire,
            days=days or [], today=desk.today)
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


def _confirm_context(desk: Desk, **cps: Any) -> dict[str, Any] | None:
    enrolment = _enrolment(desk.request)
    if enrolment is None:
        return None
    try:
        titulaire = ps.professional_file(desk.uow(), enrolment.titulaire_id).professional
    except NotFound:
        desk.request.session.pop(ENROLMENT, None)
        return None
    return {
        "active": None,
        "title": "Confirmation par le titulaire",
        "enrolment": enrolment,
        "titulaire": titulaire,
        "titulaire_name": professional_display_name(titulaire),
        "days": sorted(enrolment.days),
        **_cps_context(desk, STEPS["titulaire"], expected=titulaire.rpps, **cps),
    }


@router.get("/connexion/enregistrement/titulaire", response_class=HTMLResponse)
def confirmation(desk: DeskDep) -> Response:
    context = _confirm_context(desk)
    if context is None:
        return redirect(desk.request, "/connexion")
    return render(desk.request, "start/confirm.html", **context)


@router.post("/connexion/enregistrement/titulaire", response_class=HTMLResponse)
def confirm(desk: DeskDep, pin: TEXT = "") -> Response:
    """Manuel eS-KAP+ « Retirez la carte du remplaçant, puis insérez celle du titulaire. Entrez le
    code porteur du titulaire. »"""
    request = desk.request
    enrolment = _enrolment(request)
    if enrolment is None:
        return redirect(request, "/connexion")
    try:
        done = ps.register_remplacant(desk.uow(), desk.card_reader, enrolment, pin.strip(),
                                      today=desk.today, client=client_address(desk.request),
                                      now=desk.now)
    except OpenFSEError as error:
        context = _confirm_context(desk, errors=_card_errors(error))
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
def cancel_registration(desk: DeskDep) -> Response:
    desk.request.session.pop(ENROLMENT, None)
    desk.request.session.pop(VERIFIED, None)
    return redirect(desk.request, "/professionnels" if desk.user else "/connexion")


# --------------------------------------------------------------------------- ajouter remplaçant


def _add_context(desk: Desk, **cps: Any) -> dict[str, Any]:
    return {
        "active": "professionnels",
        "title": "Ajouter un remplaçant",
        "flash": take_flash(desk.request),
        **_cps_context(desk, STEPS["remplacant"], **cps),
    }


@router.get("/professionnels/ajouter-remplacant", response_class=HTMLResponse)
def add_remplacant(desk: DeskDep) -> HTMLResponse:
    """Manuel eS-KAP+ « Appuyez sur le bouton Ajouter remplaçant. Une fenêtre s'ouvre, vous invitant
    à insérer la carte CPS du remplaçant »."""
    return render(desk.request, "start/add_remplacant.html", **_add_context(desk))


@router.post("/professionnels/ajouter-remplacant", response_class=HTMLResponse)
def add_remplacant_pin(desk: DeskDep, pin: TEXT = "") -> Response:
    """« Saisissez le code porteur de la CPS du remplaçant. L'écran affiche automatiquement
    les informations du remplaçant. »"""
    request = desk.request
    try:
        card = session_login.present_pin(desk.uow(), desk.card_reader, pin.strip(),
                                         today=desk.today, client=client_address(request),
                                         now=desk.now)
        if not _situations(card, "remplacant"):
            raise InvalidInput(
                f"La carte de {card.prenom.title()} {card.nom} ne porte aucune situation de "
                "remplaçant : insérez la CPS du remplaçant.", field="pin")
        known = ps.registered_professional(desk.uow(), card.rpps)
        if known is not None and known.active:
            raise Conflict(
                f"{professional_display_name(known)} est déjà enregistré(e) : ajoutez ses jours "
                "de remplacement depuis sa fiche (Professionnels de santé → Informations).",
                field="pin")
    except OpenFSEError as error:
        return answer(request, "start/add_remplacant.html", "start/_cps.html", status_code=422,
                      **_add_context(desk, errors=_card_errors(error)))
    request.session[VERIFIED] = {"card": to_data(card), "purpose": "remplacant"}
    return redirect(request, "/connexion/enregistrement")

