"""Typed errors shared by every layer.

Each error carries a stable machine ``code`` (returned by the API and the CLI) and a French
``message`` meant for the user (shown by the web UI). Domain code raises them; the edges
translate them, they never invent their own wording.
"""

from __future__ import annotations


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


class UnknownTariff(OpenFSEError):
    """No tariff is in force for this code at this date."""

    code = "unknown_tariff"
