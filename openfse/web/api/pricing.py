"""``POST /api/price``: the pricing contract of ``docs/formats/price.md`` over HTTP.

The body is parsed with ``parse_float=Decimal`` so that no amount ever passes through a binary
float; the answer is the exact JSON the CLI prints.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Body
from fastapi.responses import Response

from openfse.domain.pricing.contract import DraftError, dumps, price_document
from openfse.web.api.errors import documented, error_response
from openfse.web.api.schemas.pricing import PricedOut, PriceDraftIn
from openfse.web.deps import DeskDep

# The CLI's document is read as JSON whatever the Content-Type says (docs/formats/price.md).
router = APIRouter(tags=["tarification"], strict_content_type=False)

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
    response_model=PricedOut,
    responses={
        200: {"description": "Priced invoice"},
        **documented(422, e422="`invalid_draft` / `unknown_tariff` / `invalid_json`: `field` is "
                               "the JSON path, `message` English, `message_fr` French"),
    },
)
async def price(desk: DeskDep,
                draft: Annotated[PriceDraftIn, Body(examples=[_EXAMPLE])]) -> Response:
    # The model has checked the document's shape; the contract's reader reads it again with
    # every number as a Decimal (never a binary float) and checks the rest.
    raw = await desk.request.body()
    try:
        document = json.loads(raw, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return error_response(DraftError("$", f"invalid JSON: {exc}", "Document JSON illisible.",
                                         code="invalid_json"), 422)
    try:
        result = price_document(document, desk.tariffs())
    except DraftError as exc:
        return error_response(exc, 422)
    return Response(dumps(result), media_type="application/json")
