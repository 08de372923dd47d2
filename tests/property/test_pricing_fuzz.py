"""Fuzz: random JSON-like documents never crash ``price_document``.

Each document either prices (a dict) or is refused with ``DraftError`` (the CLI's exit 2 with
the field) — never another exception. Two sources: arbitrary JSON values, and valid drafts
with one value somewhere replaced by junk (which reaches the deep checks of the engine).
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openfse.domain.pricing import DraftError, ReferentialTariffs, dumps, price_document
from openfse.referentials.ccam import bundled_catalog

sys.path.insert(0, str(Path(__file__).parent))
from test_pricing_strategies import drafts  # noqa: E402

TARIFFS = ReferentialTariffs(bundled_catalog())
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "G",
            "CCAM",
            "2026-02-30",
            "1e999999",
            "-0",
            "NaN",
            "052",
            "02A",
            "medecin",
            "hors_parcours",
            "²",
            "٣",
            "AFLB001",
            "9,5",
            "€",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def price_or_refuse(doc: object) -> None:
    try:
        result = price_document(doc, TARIFFS)  # type: ignore[arg-type]
    except DraftError as error:
        assert error.field is not None
        assert error.message and error.message_fr
        return
    assert isinstance(result, dict)
    json.loads(dumps(result), parse_float=Decimal)  # the output is always valid JSON


@SETTINGS
@given(json_values)
def test_arbitrary_json_values(doc):
    price_or_refuse(doc)


@st.composite
def mutated_drafts(draw: st.DrawFn) -> object:
    doc = draw(drafts(overrides=True))
    # Walk to a random container inside the draft and replace (or add) one key/item.
    node: object = doc
    for _ in range(draw(st.integers(0, 3))):
        children = (
            list(node.values())
            if isinstance(node, dict)
            else (node if isinstance(node, list) else [])
        )
        containers = [child for child in children if isinstance(child, (dict, list)) and child]
        if not containers:
            break
        node = draw(st.sampled_from(containers))
    junk = draw(json_values)
    if isinstance(node, dict):
        key = draw(st.sampled_from(sorted(node) + ["code", "acts", "coefficient", "amc"]))
        node[key] = junk
    elif isinstance(node, list) and node:
        node[draw(st.integers(0, len(node) - 1))] = junk
    return doc


@SETTINGS
@given(mutated_drafts())
def test_valid_drafts_with_one_junk_value(doc):
    price_or_refuse(doc)
