"""The API's one error shape (``docs/formats/errors.md``).

Every refused request answers ``{"error": {...}}``: a stable ``code``, a French ``message``,
the ``field`` at fault (its JSON path: ``nir``, ``acts[1].code``; null when none) and, on 422,
``fields``: every wrong field with its French message, so that a client shows them all at once.
Some codes add their own keys (``patient_id``, ``tries_left``, ``diagnostics``, ``reason``).

The exception handlers of ``openfse.web.app`` and the few routes that answer an error
themselves build it here, and the routers document it with :data:`COMMON` / :func:`documented`
so that the OpenAPI document describes what is really answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from openfse.errors import FormErrors, NotFound, OpenFSEError
from openfse.web.api.schemas.fields import PATTERN_MESSAGES

__all__ = [
    "COMMON",
    "ErrorDetail",
    "ErrorOut",
    "documented",
    "error_body",
    "error_response",
    "validation_form_errors",
]


class ErrorDetail(BaseModel):
    """What went wrong; keys beyond these four depend on ``code`` (docs/formats/errors.md)."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(description="Stable machine code, e.g. invalid_form, not_found")
    message: str = Field(description="French sentence for the user")
    field: str | None = Field(default=None, description="JSON path of the first wrong field")
    fields: dict[str, str] | None = Field(
        default=None, description="On 422: every wrong field (JSON path) → French message")


class ErrorOut(BaseModel):
    error: ErrorDetail


def error_body(error: OpenFSEError, status: int, **extra: Any) -> dict[str, Any]:
    """``{"error": ...}`` for ``error`` answered with ``status``."""
    detail: dict[str, Any] = {"code": error.code, "message": error.message,
                              "field": error.field}
    if isinstance(error, FormErrors):
        detail["fields"] = dict(error.errors)
    elif status == 422:
        # The pricing contract's errors speak English (docs/formats/price.md) and French.
        french = getattr(error, "message_fr", None) or error.message
        detail["fields"] = {error.field: french} if error.field else {}
    for key, value in error.as_dict().items():  # keys a subclass adds (diagnostics…)
        detail.setdefault(key, value)
    detail.update(extra)
    return {"error": detail}


def error_response(error: OpenFSEError, status: int, *,
                   headers: Mapping[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(error, status, **extra), status_code=status,
                        headers=dict(headers) if headers else None)


def http_error_response(status: int, method: str, path: str,
                        allowed: set[str]) -> JSONResponse:
    """A 404 (no such path) or 405 (a method the path does not have, ``Allow`` listing those
    it has) in the one shape."""
    if status == 405:
        listed = ", ".join(sorted(allowed))
        return error_response(
            OpenFSEError(f"Méthode {method} non permise sur {path} (permises : {listed}).",
                         code="method_not_allowed"), 405, headers={"Allow": listed})
    if status == 404:
        return error_response(NotFound("Introuvable."), 404)
    return error_response(OpenFSEError("Requête refusée.", code="http_error"), status)


# --------------------------------------------------------------------------- request validation

# Pydantic's error types → a French sentence ({…} filled from the error's context).
_FRENCH: dict[str, str] = {
    "missing": "Champ requis.",
    "extra_forbidden": "Champ inconnu.",
    "string_type": "Texte attendu.",
    "string_too_short": "Au moins {min_length} caractère(s).",
    "string_too_long": "Au plus {max_length} caractères.",
    "int_type": "Nombre entier attendu.",
    "int_parsing": "Nombre entier attendu.",
    "int_from_float": "Nombre entier attendu.",
    "float_type": "Nombre attendu.",
    "float_parsing": "Nombre attendu.",
    "decimal_type": "Nombre décimal attendu.",
    "decimal_parsing": "Nombre décimal attendu.",
    "decimal_max_digits": "Au plus {max_digits} chiffres.",
    "decimal_max_places": "Au plus {decimal_places} décimales.",
    "greater_than": "Doit être supérieur à {gt}.",
    "greater_than_equal": "Doit être supérieur ou égal à {ge}.",
    "less_than": "Doit être inférieur à {lt}.",
    "less_than_equal": "Doit être inférieur ou égal à {le}.",
    "bool_type": "Vrai ou faux attendu.",
    "bool_parsing": "Vrai ou faux attendu.",
    "date_type": "Date attendue (AAAA-MM-JJ).",
    "date_parsing": "Date attendue (AAAA-MM-JJ).",
    "date_from_datetime_parsing": "Date attendue (AAAA-MM-JJ).",
    "date_from_datetime_inexact": "Date sans heure attendue (AAAA-MM-JJ).",
    "literal_error": "Valeur attendue : {expected}.",
    "enum": "Valeur attendue : {expected}.",
    "union_tag_invalid": "Valeur attendue : {expected_tags}.",
    "union_tag_not_found": "Champ « {discriminator} » requis.",
    "list_type": "Liste attendue.",
    "too_short": "Au moins {min_length} élément(s).",
    "too_long": "Au plus {max_length} éléments.",
    "dict_type": "Objet JSON attendu.",
    "model_type": "Objet JSON attendu.",
    "model_attributes_type": "Objet JSON attendu.",
    "json_invalid": "Document JSON illisible.",
    "json_type": "Document JSON attendu.",
}


def _path(loc: Sequence[object]) -> str:
    """``("body", "acts", 1, "code")`` → ``acts[1].code``; the body itself is ``$``."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif path:
            path += f".{part}"
        else:
            path = str(part)
    return path or "$"


def _french(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        return PATTERN_MESSAGES.get(str(context.get("pattern")), "Format incorrect.")
    if kind == "string_too_short" and context.get("min_length") == 1:
        return "Champ requis."
    template = _FRENCH.get(kind)
    if template is None:
        return str(error.get("msg", "Valeur refusée."))
    try:
        return template.format(**{key: str(value).replace("' or '", "' ou '")
                                  for key, value in context.items()})
    except (KeyError, IndexError):
        return str(error.get("msg", "Valeur refusée."))


def validation_form_errors(errors: Iterable[Mapping[str, Any]]) -> FormErrors:
    """FastAPI's request-validation errors as the one form-error type, every field kept (the
    first message of each)."""
    fields: dict[str, str] = {}
    errors = list(errors)
    if any(error.get("type") == "json_invalid" for error in errors):
        # Not JSON at all: the pricing contract's code (docs/formats/price.md).
        return FormErrors({"$": "Document JSON illisible."}, code="invalid_json")
    for error in errors:
        loc = error.get("loc", ())
        # A union tries each member: keep the path up to the member's name out of it.
        fields.setdefault(_path(tuple(p for p in loc if not _is_union_member(p))),
                          _french(error))
    return FormErrors(fields or {"$": "Requête refusée."})


def _is_union_member(part: object) -> bool:
    # Pydantic names the tried member of a union (``str``, ``int``, ``function-after[...]``).
    # None of the API's field names is one of these.
    return isinstance(part, str) and (part in ("str", "int", "bool", "float", "decimal")
                                      or part.startswith("constrained-") or "[" in part)


# --------------------------------------------------------------------------- OpenAPI


_DESCRIPTIONS: dict[int, str] = {
    401: "`login_required`: no session (log in with `POST /api/session`)",
    403: "`forbidden` (the user's role may not do this) or `csrf_failed`",
    404: "`not_found`: no such row in the cabinet",
    409: "Conflict with the data as it is (the code says which)",
    413: "`body_too_large`: the request body is over the limit",
    422: "`invalid_form` (`error.fields`: every wrong field) or another refusal of the input",
}


def documented(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status answers the error shape; ``descriptions``
    (``e409="…"``) replace the default text of a status."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        text = descriptions.get(f"e{status}", _DESCRIPTIONS.get(status, "Refused"))
        out[status] = {"model": ErrorOut, "description": text}
    return out


# What any API route may answer: the guard (401, 403, 404 on an impossible id), the body
# limit (413) and the request validation (422).
COMMON = documented(401, 403, 404, 413, 422)
