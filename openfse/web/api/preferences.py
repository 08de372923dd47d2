"""Working preferences (Profils): ``GET /api/preferences`` (in force: a user's own values over
the cabinet's with ``user_id``), ``PUT /api/preferences`` (the keys sent are validated and
stored, at the cabinet level or the user's), ``DELETE /api/preferences/users/{user_id}`` (the
user's own values removed). Unknown keys answer 422 ``invalid_input``; wrong values 422
``invalid_form`` with ``error.fields``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from openfse.domain.rights import AdriMode
from openfse.services import access, preferences
from openfse.services.preferences import TiersPayantAmc
from openfse.web.api.params import RowIdQuery
from openfse.web.session import actor_uow, current_user

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

    @classmethod
    def of(cls, prefs: preferences.Preferences) -> PreferencesOut:
        return cls.model_validate(asdict(prefs))


class PreferencesIn(BaseModel):
    """Only the keys sent are changed."""

    model_config = ConfigDict(extra="forbid")

    adri_mode: str | None = None
    tiers_payant_amc: str | None = None
    sts_enabled: bool | None = None
    sts_level1_diagnostics: bool | None = None
    sts_detailed_formulas: bool | None = None
    sts_assistance: bool | None = None
    home_visit_by_default: bool | None = None
    show_executing_ps: bool | None = None
    show_amounts_recap: bool | None = None
    act_series: bool | None = None
    default_payment_type: str | None = None


@router.get("/preferences", response_model=PreferencesOut)
def preferences_get(request: Request, user_id: RowIdQuery = None) -> PreferencesOut:
    return PreferencesOut.of(preferences.get_all(request.app.state.ctx.uow(), user_id=user_id))


@router.put("/preferences", response_model=PreferencesOut,
            responses={422: {"description": "`invalid_form` (`error.fields`) or "
                                            "`unknown_preference`"}})
def preferences_put(request: Request, body: PreferencesIn,
                    user_id: RowIdQuery = None) -> PreferencesOut:
    # Anyone sets his own values; the cabinet's, or another user's, are settings (titulaire,
    # admin) — the same split as the « Profils » screens.
    user = current_user(request)
    if user is not None and user_id != user.user_id:
        access.check(user, access.Permission.SETTINGS)
    data: dict[str, Any] = body.model_dump(exclude_unset=True)
    saved = preferences.save(actor_uow(request), data, user_id=user_id)
    return PreferencesOut.of(saved)


@router.delete("/preferences/users/{user_id}", response_model=PreferencesOut)
def preferences_reset_user(request: Request, user_id: int) -> PreferencesOut:
    return PreferencesOut.of(preferences.reset_user(actor_uow(request), user_id))
