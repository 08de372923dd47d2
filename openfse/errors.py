"""Typed errors shared by every layer.

Each error carries a stable machine ``code`` (returned by the API and the CLI) and a French
``message`` meant for the user (shown by the web UI). Domain code raises them; the edges
translate them, they never invent their own wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class OpenFSEError(Exception):
    """Base of every error the product raises on purpose."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field

    def as_dict(self) -> dict[str, str]:
        data = {"code": self.code, "message": self.message}
        if self.field is not None:
            data["field"] = self.field
        return data


class NotFound(OpenFSEError):
    code = "not_found"


class Conflict(OpenFSEError):
    code = "conflict"


class InvalidInput(OpenFSEError):
    code = "invalid_input"


class FormErrors(InvalidInput):
    """Several fields refused at once: ``errors`` maps each field (as the form or the JSON body
    names it: ``nir``, ``acts[1].code``) to its French message, in the order of the form.

    The one form-error type of every screen and API route (docs/formats/errors.md): a screen
    shows each message beside its field, the API answers ``{"error": as_dict()}`` with every
    field in ``fields``. ``field`` is the first one (where a screen puts the focus).
    """

    code = "invalid_form"

    def __init__(self, errors: Mapping[str, str], *, message: str | None = None,
                 code: str | None = None) -> None:
        if not errors:
            raise ValueError("FormErrors needs at least one field")
        self.errors: dict[str, str] = dict(errors)
        first_field, first_message = next(iter(self.errors.items()))
        count = len(self.errors)
        summary = message or (first_message if count == 1
                              else f"{count} champs à corriger : {first_message}")
        super().__init__(summary, code=code, field=first_field)

    @property
    def fields(self) -> dict[str, str]:
        return dict(self.errors)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(super().as_dict())
        data["fields"] = dict(self.errors)
        return data


class UnknownTariff(OpenFSEError):
    """No tariff is in force for this code at this date."""

    code = "unknown_tariff"
