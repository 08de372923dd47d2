"""Working preferences (Profils): ``GET /api/preferences`` (in force: a user's own values over
the cabinet's with ``user_id``), ``PUT /api/preferences`` (the keys sent are validated and
stored, at the cabinet level or the user's), ``DELETE /api/preferences/users/{user_id}`` (the
user's own values removed). Unknown keys answer 422 ``invalid_input``; wrong values 422
``invalid_form`` with ``error.fields``.
"""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from openfse.domain.rights import AdriMode
from openfse.services import access, preferences
from openfse.services.preferences import TiersPayantAmc
from openfse.web.api.errors import documented
from openfse.web.api.params import RowIdQuery
from openfse.web.api.schemas.fields import JSON_INT
from openfse.web.deps import DeskDep

router = APIRouter(tags=["préférences"])


class PreferencesOut(BaseModel):
    adri_mode: AdriMode
    tiers_payant_amc: TiersPayantAmc
    sts_enabled: bool
    sts_level1_diagnostics: bool
    sts_detailed_formulas: bool
    sts_assistance: bool
    home_visit_by_default: bool
    show_executing_ps: bool
    show_amounts_recap: bool
    act_series: bool
    default_payment_type: str | None
    arl_wait_days: int
    payment_wait_days: int
    insurer_mailbox: str
    transmission_time: str = Field(description="« HH:MM » of the unattended end of day, or \"\"")

    @classmethod
    def of(cls, prefs: preferences.Preferences) -> PreferencesOut:
        return cls.model_validate(asdict(prefs))


# The payment types of the list (codes.TYPE_PAIEMENT).
PaymentType = StrEnum(  # type: ignore[misc]
    "PaymentType", {code: code for code, _ in preferences.payment_choices()})


class PreferencesIn(BaseModel):
    """Only the keys sent are changed (a key sent may not be null, but
    ``default_payment_type``: null or "" for « chosen each time »)."""

    model_config = ConfigDict(extra="forbid")

    adri_mode: AdriMode = None  # type: ignore[assignment]
    tiers_payant_amc: TiersPayantAmc = None  # type: ignore[assignment]
    sts_enabled: StrictBool = None  # type: ignore[assignment]
    sts_level1_diagnostics: StrictBool = None  # type: ignore[assignment]
    sts_detailed_formulas: StrictBool = None  # type: ignore[assignment]
    sts_assistance: StrictBool = None  # type: ignore[assignment]
    home_visit_by_default: StrictBool = None  # type: ignore[assignment]
    show_executing_ps: StrictBool = None  # type: ignore[assignment]
    show_amounts_recap: StrictBool = None  # type: ignore[assignment]
    act_series: StrictBool = None  # type: ignore[assignment]
    default_payment_type: PaymentType | Literal[""] | None = None
    arl_wait_days: Annotated[int, Field(ge=1, le=30), JSON_INT] = None  # type: ignore[assignment]
    payment_wait_days: Annotated[int, Field(ge=1, le=90), JSON_INT] = None  # type: ignore[assignment]
    insurer_mailbox: str = Field(default=None, min_length=1, max_length=254,  # type: ignore[assignment]
                                 description="Template of the organisms' mailboxes "
                                             "(docs/formats/lot.md §5)")
    transmission_time: str = Field(  # type: ignore[assignment]
        default=None, pattern="^(([01][0-9]|2[0-3]):[0-5][0-9])?$",
        description="« HH:MM » of the unattended end of day, or \"\" for by hand only")


@router.get("/preferences", response_model=PreferencesOut)
def preferences_get(desk: DeskDep, user_id: RowIdQuery = None) -> PreferencesOut:
    return PreferencesOut.of(preferences.get_all(desk.uow(), user_id=user_id))


@router.put("/preferences", response_model=PreferencesOut,
            responses=documented(409, 422, e409="`bad_reference`: no such user in the cabinet",
                                 e422="`invalid_form` (`error.fields`) or "
                                      "`unknown_preference`"))
def preferences_put(desk: DeskDep, body: PreferencesIn,
                    user_id: RowIdQuery = None) -> PreferencesOut:
    # Anyone sets his own values; the cabinet's, or another user's, are settings (titulaire,
    # admin) — the same split as the « Profils » screens.
    user = desk.user
    if user is not None and user_id != user.user_id:
        access.check(user, access.Permission.SETTINGS)
    data: dict[str, Any] = body.model_dump(exclude_unset=True)
    saved = preferences.save(desk.uow(), data, user_id=user_id)
    return PreferencesOut.of(saved)


@router.delete("/preferences/users/{user_id}", response_model=PreferencesOut)
def preferences_reset_user(desk: DeskDep, user_id: int) -> PreferencesOut:
    return PreferencesOut.of(preferences.reset_user(desk.uow(), user_id))
