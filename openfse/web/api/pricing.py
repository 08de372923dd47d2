"""``POST /api/price``: the pricing contract of ``docs/formats/price.md`` over HTTP.

The body is parsed with ``parse_float=Decimal`` so that no amount ever passes through a binary
float; the answer is the exact JSON the CLI prints.
"""

from __future__ import annotations

import json
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from openfse.domain.pricing.contract import DraftError, dumps, price_document

router = APIRouter(tags=["tarification"])

_EXAMPLE = {
    "date_soins": "2026-03-02",
    "profession": "medecin",
    "ps": {"specialite": "medecine_generale", "secteur": 1, "optam": False},
    "patient": {"age": 45, "regime": "01", "parcours": "medecin_traitant"},
    "acts": [{"code": "G", "nomenclature": "NGAP", "quantity": 1, "coefficient": 1}],
    "amc": {"formula": "052", "parameter": 100, "gestion": "unique"},
    "tiers_payant": {"amo": True, "amc": True},
}


@router.post(
    "/price",
    summary="Price an invoice draft",
    description="Values the acts and splits each euro between AMO, AMC and patient. "
    "See docs/formats/price.md for every key.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}, "example": _EXAMPLE}},
        }
    },
    responses={
        200: {"description": "Priced invoice", "content": {"application/json": {}}},
        422: {"description": "Invalid draft: error with code, field and message"},
    },
)
async def price(request: Request) -> Response:
    raw = await request.body()
    try:
        document = json.loads(raw, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _error("invalid_json", "", f"invalid JSON: {exc}")
    try:
        result = price_document(document, request.app.state.ctx.tariffs())
    except DraftError as exc:
        return _error(exc.code, exc.field or "", exc.message)
    return Response(dumps(result), media_type="application/json")


def _error(code: str, field: str, message: str) -> Response:
    body = json.dumps({"error": {"code": code, "field": field, "message": message}})
    return Response(body, status_code=422, media_type="application/json")
