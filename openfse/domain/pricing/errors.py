"""The one error of the pricing engine: a draft that cannot be priced.

``DraftError`` names the offending field as a JSON path of the contract (``acts[2].coefficient``)
so that the CLI, the API and the UI can point at it. ``message`` is the precise English text
printed by the CLI/API (the integrators' language, docs/formats/price.md); ``message_fr`` is the
French text for the desk UI.
"""

from __future__ import annotations

from openfse.errors import InvalidInput


class DraftError(InvalidInput):
    """The draft is malformed or asks for something the engine cannot price."""

    code = "invalid_draft"

    def __init__(self, field: str, message: str, message_fr: str, *, code: str | None = None):
        super().__init__(message, code=code, field=field)
        self.message_fr = message_fr

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "field": self.field or "",
            "message": self.message,
            "message_fr": self.message_fr,
        }


def act_field(index: int, name: str | None = None) -> str:
    """JSON path of an act or of one of its keys: ``acts[2]`` / ``acts[2].coefficient``."""
    return f"acts[{index}]" if name is None else f"acts[{index}].{name}"
