"""Professionals of the cabinet (titulaires, remplaçants) and the log-in session.

* ``GET /api/professionals``, ``GET /api/professionals/{id}`` (with a remplaçant's calendar);
* ``GET /api/session`` (who is logged in), ``POST /api/session`` (log in with the CPS code
  porteur — the card in the server's reader — or with a staff login and password),
  ``DELETE /api/session`` (log out). The session is the same signed cookie as the web UI's.

Errors are ``{"error": {"code", "message", "field"}}``: a wrong code porteur is 401
``pin_incorrect`` with ``tries_left``; a blocked card 423 ``card_blocked``; too many password
failures 429 ``too_many_attempts`` with a ``Retry-After`` header.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from openfse.adapters.cards.errors import (
    CardAbsent,
    CardBlocked,
    CardError,
    CardUnusable,
    PinIncorrect,
    WrongCard,
)
from openfse.errors import Conflict, InvalidInput, OpenFSEError
from openfse.services import directory, session_login
from openfse.services import professionals as ps
from openfse.services.session_login import (
    AccessPending,
    AccountDisabled,
    InvalidCredentials,
    ProfessionalInactive,
    SessionUser,
    TooManyAttempts,
)
from openfse.web.api.errors import documented, error_response
from openfse.web.api.schemas.fields import NOT_BLANK
from openfse.web.deps import DeskDep
from openfse.web.session import client_address, log_in, log_out

router = APIRouter(tags=["professionnels"])


class ProfessionalOut(BaseModel):
    id: int
    kind: str
    last_name: str
    first_name: str
    rpps: str | None
    billing_number: str | None
    billing_key: str | None
    profession_code: str | None
    specialty_code: str | None
    sector: int | None
    optam: bool
    active: bool


class ReplacementOut(BaseModel):
    titulaire_id: int
    days: list[date]


class ProfessionalDetailOut(ProfessionalOut):
    replacements: list[ReplacementOut] = Field(
        default_factory=list, description="Remplaçant: his calendar days per titulaire."
    )
    remplacant_ids: list[int] = Field(
        default_factory=list, description="Titulaire: the remplaçants whose calendar holds days "
        "for him (active or not).")


@router.get("/professionals", response_model=list[ProfessionalOut])
def professionals(desk: DeskDep) -> list[ProfessionalOut]:
    rows = directory.list_professionals(desk.uow())
    return [ProfessionalOut.model_validate(p, from_attributes=True) for p in rows]


@router.get("/professionals/{professional_id}", response_model=ProfessionalDetailOut,
            responses=documented(404, e404="No such professional in this cabinet"))
def professional(desk: DeskDep, professional_id: int) -> ProfessionalDetailOut:
    file = ps.professional_file(desk.uow(), professional_id)
    detail = ProfessionalDetailOut.model_validate(file.professional, from_attributes=True)
    detail.replacements = [ReplacementOut(titulaire_id=t, days=list(days))
                           for t, days in sorted(file.calendar.items())]
    detail.remplacant_ids = [r.id for r in file.remplacants]
    return detail


# --------------------------------------------------------------------------- session


class SessionUserOut(BaseModel):
    user_id: int
    login: str
    display_name: str
    role: str
    method: str
    professional_id: int | None
    can_sign: bool

    @classmethod
    def of(cls, user: SessionUser) -> SessionUserOut:
        return cls(user_id=user.user_id, login=user.login, display_name=user.display_name,
                   role=user.role.value, method=user.method.value,
                   professional_id=user.professional_id, can_sign=user.can_sign)


class SessionOut(BaseModel):
    user: SessionUserOut | None


class CpsLoginIn(BaseModel):
    method: Literal["cps"]
    pin: str = Field(pattern="^[0-9]{4}$",
                     description="The code porteur (4 digits), checked by the card.")


class PasswordLoginIn(BaseModel):
    method: Literal["password"]
    login: str = Field(min_length=1, max_length=64, pattern=NOT_BLANK)
    password: str = Field(min_length=1, max_length=session_login.PASSWORD_MAX_LENGTH)


LoginIn = Annotated[CpsLoginIn | PasswordLoginIn, Field(discriminator="method")]

_ERRORS = documented(
    401, 403, 409, 422, 423, 429,
    e401="`pin_incorrect` (with `tries_left`) or `invalid_credentials`",
    e403="`account_disabled`, `professional_inactive` or `access_pending`",
    e409="`card_absent`, `wrong_card`, or `registration_required` (unknown RPPS: register "
         "from the web UI)",
    e422="malformed code porteur or missing credentials",
    e423="`card_blocked` or `card_unusable`",
    e429="`too_many_attempts` (`Retry-After` header)")


def _error(error: OpenFSEError, status: int, **extra: Any) -> JSONResponse:
    return error_response(error, status, **extra)


def _refusal(error: OpenFSEError) -> JSONResponse:
    if isinstance(error, PinIncorrect):
        return _error(error, 401, tries_left=error.remaining)
    if isinstance(error, InvalidCredentials):
        return _error(error, 401)
    if isinstance(error, AccountDisabled | ProfessionalInactive | AccessPending):
        return _error(error, 403)
    if isinstance(error, CardBlocked | CardUnusable):
        return _error(error, 423)
    if isinstance(error, TooManyAttempts):
        response = _error(error, 429)
        response.headers["Retry-After"] = str(error.retry_after_seconds)
        return response
    if isinstance(error, CardAbsent | WrongCard | Conflict):
        return _error(error, 409)
    return _error(error, 422)


@router.get("/session", response_model=SessionOut)
def session(desk: DeskDep) -> SessionOut:
    user = desk.user
    return SessionOut(user=SessionUserOut.of(user) if user is not None else None)


@router.post("/session", response_model=SessionOut, responses=_ERRORS)
def login(desk: DeskDep, body: LoginIn) -> SessionOut | JSONResponse:
    try:
        if isinstance(body, CpsLoginIn):
            outcome = session_login.login_with_cps(
                desk.uow(), desk.card_reader, body.pin.strip(), today=desk.today,
                client=client_address(desk.request), now=desk.now.astimezone(UTC))
            if outcome.user is None:
                return _error(Conflict(
                    f"Carte de {outcome.card.prenom.title()} {outcome.card.nom} (RPPS "
                    f"{outcome.card.rpps}) inconnue dans ce cabinet : enregistrez le "
                    "professionnel depuis l'écran « Commencer la journée ».",
                    code="registration_required"), 409)
            user = outcome.user
        else:
            user = session_login.login_with_password(
                desk.uow(), body.login, body.password, client=client_address(desk.request),
                now=desk.now.astimezone(UTC))
    except (CardError, InvalidInput, OpenFSEError) as error:
        return _refusal(error)
    log_in(desk.request, user)
    return SessionOut(user=SessionUserOut.of(user))


@router.delete("/session", status_code=204)
def logout(desk: DeskDep) -> Response:
    log_out(desk.request)
    return Response(status_code=204)
