"""Professionnels de santé: titulaires, remplaçants and their calendar, staff accounts.

Manuel eS-KAP+ « Le professionnel de santé »: the list of titulaires and remplaçants, a
professional's « Information » (for a remplaçant: his replacement calendar per titulaire),
« Désactiver » then « Supprimer » a remplaçant, « Supprimer » a titulaire under the manual's three
conditions. The « Ajouter remplaçant » flow starts here and goes through the CPS screens of
``start``.

Also the month calendar shared with the registration screen (:func:`month_view`): a grid of
checkboxes — click or Space toggles a day, the arrow keys move between days.

And the accounts « en attente »: a CPS unknown to the cabinet registered itself and opens
nothing until a titulaire approves it here (« Approuver », journaled; issue 12, finding 3).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from openfse.errors import Conflict, InvalidInput, NotFound, OpenFSEError
from openfse.services import professionals as ps
from openfse.services.professionals import InvalidForm, TitulaireNotDeletable
from openfse.services.session_login import professional_display_name
from openfse.store.models import ProfessionalKind
from openfse.typed_numbers import record_id
from openfse.web.deps import Desk, DeskDep
from openfse.web.session import flash, redirect, take_flash
from openfse.web.ui.rendering import is_htmx, render

router = APIRouter(include_in_schema=False)

TEXT = Annotated[str, Form()]
DAYS = Annotated[list[str] | None, Form()]


# --------------------------------------------------------------------------- shared helpers


def form_errors(error: OpenFSEError) -> dict[str, str]:
    """Field → French message, for the templates (``form`` when no field is named)."""
    if isinstance(error, InvalidForm):
        return dict(error.errors)
    return {error.field or "form": error.message}


def answer(
    request: Request,
    page: str,
    fragment: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """htmx swaps only 2xx answers: an htmx request gets the fragment with status 200 (errors
    next to the fields, typed values kept); a plain form post gets the whole page with
    ``status_code`` (422 for refused input, 409 for a refused action)."""
    if is_htmx(request):
        return render(request, fragment, **context)
    return render(request, page, status_code=status_code, **context)


# --------------------------------------------------------------------------- calendar

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
DAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
WEEKDAY_HEADERS = ("Lu", "Ma", "Me", "Je", "Ve", "Sa", "Di")


@dataclass(frozen=True, slots=True)
class DayCell:
    day: date
    selected: bool
    locked: str  # why the day cannot be toggled ("" when it can)
    today: bool

    @property
    def label(self) -> str:
        return f"{DAY_NAMES[self.day.weekday()]} {self.day.day} {MONTHS[self.day.month - 1]} " \
               f"{self.day.year}"


@dataclass(frozen=True, slots=True)
class MonthView:
    month: date  # first day of the month shown
    weeks: tuple[tuple[DayCell | None, ...], ...]
    carried: tuple[date, ...]  # selected days sent as hidden fields (other months, locked)

    @property
    def title(self) -> str:
        return f"{MONTHS[self.month.month - 1]} {self.month.year}"

    @property
    def key(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def previous(self) -> str:
        year, month = (self.month.year - 1, 12) if self.month.month == 1 else (
            self.month.year, self.month.month - 1)
        return f"{year:04d}-{month:02d}"

    @property
    def next(self) -> str:
        year, month = (self.month.year + 1, 1) if self.month.month == 12 else (
            self.month.year, self.month.month + 1)
        return f"{year:04d}-{month:02d}"

    @property
    def weekday_headers(self) -> tuple[str, ...]:
        return WEEKDAY_HEADERS


def month_view(
    month: date,
    selected: Iterable[date],
    *,
    today: date,
    locked: Mapping[date, str] | None = None,
    read_only: str = "",
) -> MonthView:
    """The month of ``month`` as weeks from Monday (None outside the month). ``locked`` days
    cannot be toggled (the value says why); ``read_only`` locks every day with that reason."""
    first = month.replace(day=1)
    chosen = frozenset(selected)
    locks = locked or {}

    def lock(day: date) -> str:
        return read_only or locks.get(day, "")

    weeks = tuple(
        tuple(
            None if day.month != first.month
            else DayCell(day, day in chosen, lock(day), day == today)
            for day in week
        )
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    )
    carried = tuple(sorted(d for d in chosen if (d.year, d.month) != (first.year, first.month)
                           or lock(d)))
    return MonthView(first, weeks, carried)


def parse_month(text: str, default: date) -> date:
    """``AAAA-MM`` → the first of that month; anything else → the month of ``default``."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        return default.replace(day=1)


def month_of_intent(intent: str) -> str | None:
    """The month a « mois précédent / suivant » button asks for (``mois:AAAA-MM``)."""
    return intent.removeprefix("mois:") if intent.startswith("mois:") else None


def chosen_days(texts: Iterable[str]) -> frozenset[date]:
    """The days ticked on the form; unreadable values are left out (the service refuses
    them on « Valider », this only redraws the calendar)."""
    days = set()
    for text in texts:
        try:
            days.add(date.fromisoformat(text))
        except ValueError:
            continue
    return frozenset(days)


# --------------------------------------------------------------------------- list


@router.get("/professionnels", response_class=HTMLResponse)
def professionals(desk: DeskDep) -> HTMLResponse:
    people = ps.cabinet_people(desk.uow(), today=desk.today)
    return render(
        desk.request,
        "professionals/list.html",
        active="professionnels",
        title="Professionnels de santé",
        people=people,
        pending=ps.pending_accounts(desk.uow()),
        flash=take_flash(desk.request),
        labels=_labels(),
    )


@router.post("/professionnels/acces/{user_id:int}/approuver", response_class=HTMLResponse)
def approve(desk: DeskDep, user_id: int) -> Response:
    """A titulaire of the cabinet opens the account of a newly registered CPS."""
    try:
        professional = ps.approve_access(desk.uow(), approved_by=desk.user, user_id=user_id)
    except (ps.ApprovalRefused, NotFound) as error:
        flash(desk.request, error.message)
        return redirect(desk.request, "/professionnels")
    flash(desk.request, f"Accès de {professional_display_name(professional)} approuvé : il "
                        "(elle) peut commencer la journée avec sa CPS.")
    return redirect(desk.request, "/professionnels")


def _labels() -> dict[str, Any]:
    return {
        "profession": ps.profession_label,
        "specialty": ps.specialty_label,
        "name": professional_display_name,
    }


# --------------------------------------------------------------------------- one professional


def _file_context(
    desk: Desk,
    professional_id: int,
    *,
    titulaire_id: int | None = None,
    days: frozenset[date] | None = None,
    month: date | None = None,
    errors: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    file = ps.professional_file(desk.uow(), professional_id)
    context: dict[str, Any] = {
        "active": "professionnels",
        "title": professional_display_name(file.professional),
        "file": file,
        "errors": dict(errors or {}),
        "flash": take_flash(desk.request),
        "labels": _labels(),
        "user": desk.user,
        "conditions": ps.TITULAIRE_DELETION_CONDITIONS,
    }
    if file.professional.kind is ProfessionalKind.REMPLACANT and file.titulaires:
        shown = _shown_titulaire(file, titulaire_id)
        selected = days if days is not None else frozenset(file.days_for(shown))
        stored = frozenset(file.days_for(shown))
        now = desk.today
        locks = {d: f"remplace {_name_of(file, t)} ce jour-là"
                 for t, ds in file.calendar.items() if t != shown for d in ds}
        # Past days already in the calendar are history (the service keeps them).
        locks.update({d: "jour passé déjà au calendrier" for d in stored if d < now})
        first_upcoming = next((d for d in sorted(selected) if d >= now), now)
        context.update(
            shown_titulaire=shown,
            calendar=month_view(
                month or first_upcoming, selected, today=now, locked=locks,
                read_only="" if file.professional.active else "remplaçant désactivé"),
        )
    return context


def _shown_titulaire(file: ps.ProfessionalFile, wanted: int | None) -> int:
    ids = [t.id for t in file.titulaires]
    if wanted in ids:
        assert wanted is not None
        return wanted
    with_days = [t for t in ids if file.days_for(t)]
    return (with_days or ids)[0]


def _name_of(file: ps.ProfessionalFile, titulaire_id: int) -> str:
    for titulaire in file.titulaires:
        if titulaire.id == titulaire_id:
            return professional_display_name(titulaire)
    return "un autre titulaire"


@router.get("/professionnels/{professional_id:int}", response_class=HTMLResponse)
def professional(desk: DeskDep, professional_id: int, titulaire: int | None = None,
                 mois: str = "") -> HTMLResponse:
    request = desk.request
    try:
        context = _file_context(desk, professional_id, titulaire_id=titulaire,
                                month=parse_month(mois, desk.today) if mois else None)
    except NotFound as missing:
        return render(request, "pages/not_found.html", title="Page introuvable",
                      path=f"/professionnels/{professional_id}", message=missing.message,
                      status_code=404)
    return render(request, "professionals/file.html", **context)


@router.post("/professionnels/{professional_id:int}/calendrier", response_class=HTMLResponse)
def save_calendar(
    desk: DeskDep,
    professional_id: int,
    titulaire: TEXT = "",
    shown_titulaire: TEXT = "",
    month: TEXT = "",
    intent: TEXT = "",
    days: DAYS = None,
) -> Response:
    """Manuel eS-KAP+ « Sélectionnez les jours de remplacement souhaités, puis cliquez sur
    Valider ». Month buttons and the titulaire choice redraw the calendar, typed days kept."""
    request = desk.request
    picked = chosen_days(days or [])
    titulaire_id = record_id(titulaire)  # not int(): a 5,000-digit id is none, not a 500
    if titulaire != shown_titulaire:  # another titulaire: his own stored days are shown
        context = _file_context(desk, professional_id, titulaire_id=titulaire_id)
        return answer(request, "professionals/file.html", "professionals/_calendar_form.html",
                      **context)
    wanted_month = month_of_intent(intent)
    shown_month = parse_month(wanted_month or month, desk.today)
    if intent != "enregistrer":
        context = _file_context(desk, professional_id, titulaire_id=titulaire_id,
                                days=picked, month=shown_month)
        return answer(request, "professionals/file.html", "professionals/_calendar_form.html",
                      **context)
    try:
        change = ps.set_calendar(desk.uow(), professional_id, titulaire_id or 0, picked,
                                 today=desk.today)
    except (InvalidInput, Conflict, NotFound) as error:
        context = _file_context(desk, professional_id, titulaire_id=titulaire_id,
                                days=picked, month=shown_month, errors=form_errors(error))
        return answer(request, "professionals/file.html", "professionals/_calendar_form.html",
                      status_code=422, **context)
    flash(request, _calendar_message(change))
    return redirect(request, f"/professionnels/{professional_id}?titulaire={titulaire_id}"
                             f"&mois={shown_month:%Y-%m}")


def _calendar_message(change: ps.CalendarChange) -> str:
    if not change.added and not change.removed:
        return "Calendrier inchangé."
    parts = []
    if change.added:
        parts.append(f"{len(change.added)} jour{'s' if len(change.added) > 1 else ''} ajouté"
                     f"{'s' if len(change.added) > 1 else ''}")
    if change.removed:
        parts.append(f"{len(change.removed)} jour{'s' if len(change.removed) > 1 else ''} "
                     f"retiré{'s' if len(change.removed) > 1 else ''}")
    return "Calendrier enregistré : " + ", ".join(parts) + "."


@router.post("/professionnels/{professional_id:int}/desactiver", response_class=HTMLResponse)
def deactivate(desk: DeskDep, professional_id: int) -> Response:
    """Manuel eS-KAP+ « Désactiver un remplaçant avant suppression »."""
    request = desk.request
    try:
        remplacant = ps.deactivate_remplacant(desk.uow(), professional_id)
    except (InvalidInput, Conflict) as error:
        return _refused(desk, professional_id, error)
    flash(request, f"{professional_display_name(remplacant)} est désactivé(e) : il (elle) ne "
                   "peut plus se connecter ni facturer. Son calendrier est conservé.")
    return redirect(request, f"/professionnels/{professional_id}")


@router.post("/professionnels/{professional_id:int}/supprimer", response_class=HTMLResponse)
def delete(desk: DeskDep, professional_id: int) -> Response:
    """Manuel eS-KAP+ « Supprimer remplaçant » / « Supprimer » a titulaire."""
    request = desk.request
    try:
        file = ps.professional_file(desk.uow(), professional_id)
        if file.professional.kind is ProfessionalKind.REMPLACANT:
            ps.delete_remplacant(desk.uow(), professional_id)
        else:
            ps.delete_titulaire(desk.uow(), desk.card_reader, professional_id)
    except NotFound:
        return redirect(request, "/professionnels")
    except (InvalidInput, Conflict) as error:
        return _refused(desk, professional_id, error)
    flash(request, f"{professional_display_name(file.professional)} a été supprimé(e).")
    return redirect(request, "/professionnels")


def _refused(desk: Desk, professional_id: int, error: OpenFSEError) -> HTMLResponse:
    request = desk.request
    context = _file_context(desk, professional_id)
    context["refusal"] = (list(error.reasons) if isinstance(error, TitulaireNotDeletable)
                          else [error.message])
    status = 409 if isinstance(error, Conflict) else 422
    return answer(request, "professionals/file.html", "professionals/file.html",
                  status_code=status, **context)


# --------------------------------------------------------------------------- staff accounts


@router.get("/professionnels/secretariat", response_class=HTMLResponse)
def staff_form(desk: DeskDep) -> HTMLResponse:
    return render(desk.request, "professionals/staff.html", active="professionnels",
                  title="Nouvel accès secrétariat", form={}, errors={}, user=desk.user)


@router.post("/professionnels/secretariat", response_class=HTMLResponse)
def staff_create(
    desk: DeskDep,
    login: TEXT = "",
    display_name: TEXT = "",
    password: TEXT = "",
    confirm: TEXT = "",
) -> Response:
    """A secrétariat account (patients and payments, no signing): login and password twice."""
    request = desk.request
    try:
        account = ps.create_staff_user(desk.uow(), created_by=desk.user,
                                       login=login, display_name=display_name,
                                       password=password, confirm=confirm)
    except (InvalidInput, Conflict, ps.TitulaireRequired) as error:
        form = {"login": login, "display_name": display_name, "password": password,
                "confirm": confirm}
        response = answer(request, "professionals/staff.html", "professionals/_staff_form.html",
                          status_code=422, active="professionnels",
                          title="Nouvel accès secrétariat", form=form,
                          errors=form_errors(error), user=desk.user)
        # The typed passwords are sent back so that nothing typed is lost: never cache it.
        response.headers["Cache-Control"] = "no-store"
        return response
    flash(request, f"Accès secrétariat « {account.login} » créé : {account.display_name} se "
                   "connecte avec son identifiant et son mot de passe.")
    return redirect(request, "/professionnels")


@router.post("/professionnels/secretariat/{user_id:int}/desactiver", response_class=HTMLResponse)
def staff_deactivate(desk: DeskDep, user_id: int) -> Response:
    request = desk.request
    try:
        account = ps.deactivate_staff_user(desk.uow(), user_id)
    except (InvalidInput, NotFound) as error:
        flash(request, error.message)
        return redirect(request, "/professionnels")
    flash(request, f"Accès « {account.login} » désactivé.")
    return redirect(request, "/professionnels")
