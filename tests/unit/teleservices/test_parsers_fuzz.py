"""Fuzzing the external-input parsers with hypothesis: parse, or raise the typed error — never
anything else (no KeyError, TypeError, ValueError… escaping to a service)."""

from __future__ import annotations

import copy
import json
import string
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tele_helpers import BERNARD, FONTAINE, ON, make_request

from openfse.adapters.teleservices.adri_wire import interpret, parse_answer
from openfse.adapters.teleservices.attestation_format import (
    AttestationError,
    format_attestation_payload,
    parse_attestation_payload,
)
from openfse.adapters.teleservices.interamc import parse_conventions
from openfse.adapters.teleservices.port import (
    AdriIdentityMismatch,
    AdriInvalidAnswer,
    AdriInvalidRequest,
    AdriRequest,
    AdriUnavailable,
    AdriUnknownPatient,
    InterAmcInvalidAnswer,
)
from openfse.domain.rights import AdriAnswer, AmcAttestation
from openfse.periods import Period
from openfse.simulators.adri.engine import AdriEngine
from openfse.simulators.adri.jsonserver import SimRequest
from openfse.simulators.interamc import DirectoryEngine, load_directory

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(
        ["2026-07-01", "1985-03-12", "1979-00-00", "01", "E11", "c2s", "285037505612306"]
    ),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)

_ENGINE = AdriEngine.from_file()
_VALID_ANSWERS = [
    _ENGINE.handle({**make_wire, "version": 1})[1]
    for make_wire in (
        {
            "nir": person["nir"],
            "date_naissance": make_request(person).birth_date.iso(),
            "rang": 1,
            "regime": "01",
            "date_consultation": "2026-07-01",
        }
        for person in (FONTAINE, BERNARD)
    )
]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated_answers(draw: st.DrawFn) -> Any:
    answer = copy.deepcopy(draw(st.sampled_from(_VALID_ANSWERS)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(answer)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = answer
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return answer


def _parse_or_typed_error(data: object) -> None:
    try:
        assert isinstance(parse_answer(data), AdriAnswer)
    except AdriInvalidAnswer as error:
        assert error.message.startswith("Réponse ADRi illisible")


@FUZZ
@given(json_values)
def test_adri_parser_on_arbitrary_json(data: object) -> None:
    _parse_or_typed_error(data)


@FUZZ
@given(mutated_answers())
def test_adri_parser_on_mutated_valid_answers(data: object) -> None:
    _parse_or_typed_error(json.loads(json.dumps(data)))


@FUZZ
@given(st.sampled_from([200, 404, 409, 422, 500, 302]), mutated_answers() | json_values)
def test_adri_interpretation_only_raises_adri_errors(status: int, body: object) -> None:
    if status == 409 and isinstance(body, dict):
        body = {"erreur": {"code": "identite_discordante"}, "retour": body}
    try:
        answer = interpret(status, body, make_request(FONTAINE), ON)
    except (AdriInvalidAnswer, AdriUnknownPatient, AdriIdentityMismatch, AdriUnavailable):
        return
    assert isinstance(answer, AdriAnswer) and status == 200


def test_valid_answers_parse() -> None:
    for answer in _VALID_ANSWERS:
        assert parse_answer(answer).queried_on == ON


# --------------------------------------------------------------------------- attestation

_KEYS = [
    "AMC",
    "NUMAMC",
    "TC",
    "TypConv",
    "CSR",
    "CRS",
    "TC/CSR",
    "ADH",
    "N°Adh",
    "DU",
    "AU",
    "PERIODE",
    "FORM",
    "Début",
    "X",
    "",
]
_VALUES = st.text(
    alphabet=string.digits + string.ascii_uppercase + "/-: .", max_size=22
) | st.sampled_from(
    ["98532001", "AL", "001", "AL/001", "20260101", "31/12/2026", "20260101-20261231", "012"]
)


@st.composite
def keyed_payloads(draw: st.DrawFn) -> str:
    tokens = [
        f"{draw(st.sampled_from(_KEYS))}{draw(st.sampled_from(['=', ':']))}{draw(_VALUES)}"
        for _ in range(draw(st.integers(0, 9)))
    ]
    if draw(st.booleans()):
        tokens.insert(0, draw(st.sampled_from(["IAMC1", "IAMC2", "iamc1"])))
    return draw(st.sampled_from(["|", ";", "\n", "\x1d"])).join(tokens)


def _attestation_or_typed_error(payload: str) -> None:
    try:
        assert isinstance(parse_attestation_payload(payload), AmcAttestation)
    except AttestationError as error:
        assert error.message and error.code.startswith("attestation_")


@FUZZ
@given(st.text(max_size=300))
def test_attestation_parser_on_arbitrary_text(payload: str) -> None:
    _attestation_or_typed_error(payload)


@FUZZ
@given(keyed_payloads())
def test_attestation_parser_on_key_value_soup(payload: str) -> None:
    _attestation_or_typed_error(payload)


@st.composite
def attestations(draw: st.DrawFn) -> AmcAttestation:
    start = draw(st.dates(date(2000, 1, 1), date(2090, 1, 1)))
    end = draw(st.dates(start, date(2099, 12, 31)))
    code = st.text(alphabet=string.digits + string.ascii_uppercase, min_size=1, max_size=3)
    return AmcAttestation(
        amc_number=draw(st.text(alphabet=string.digits, min_size=7, max_size=10)),
        convention_type=draw(
            st.text(alphabet=string.digits + string.ascii_uppercase, min_size=2, max_size=2)
        ),
        csr=draw(code),
        member_number=draw(
            st.text(alphabet=string.digits + string.ascii_uppercase, min_size=1, max_size=30)
        ),
        validity=Period(start, end),
        formula=draw(st.none() | st.text(alphabet=string.digits + "A", min_size=3, max_size=3)),
    )


@FUZZ
@given(attestations())
def test_format_then_parse_gives_the_attestation_back(attestation: AmcAttestation) -> None:
    payload = format_attestation_payload(attestation)
    parsed = parse_attestation_payload(payload)
    assert parsed == AmcAttestation(
        attestation.amc_number,
        attestation.convention_type,
        attestation.csr,
        attestation.member_number,
        attestation.validity,
        attestation.formula,
        raw=payload,
    )


# --------------------------------------------------------------------------- Inter-AMC

_DIRECTORY_ANSWER = DirectoryEngine(load_directory()).handle(
    SimRequest("GET", "/annuaire/v1/amc/98532001/conventions", {"date": "2026-07-01"}, None, None)
)[1]


@FUZZ
@given(json_values | st.builds(lambda v: {**_DIRECTORY_ANSWER, "conventions": v}, json_values))
def test_interamc_parser_on_arbitrary_json(data: object) -> None:
    try:
        conventions = parse_conventions(data, "98532001", ON)
    except InterAmcInvalidAnswer:
        return
    assert all(c.in_force_on(ON) for c in conventions)


# --------------------------------------------------------------------------- request input

_FORM_TEXT = st.text(max_size=20) | st.sampled_from(
    ["285037505612306", "890059935001131", "12/03/1985", "00/00/1979", "01", "841", "5623", "1"]
)


@FUZZ
@given(
    _FORM_TEXT, _FORM_TEXT, _FORM_TEXT, _FORM_TEXT, st.none() | _FORM_TEXT, st.none() | _FORM_TEXT
)
def test_request_form_input_is_accepted_or_refused_with_a_field(
    nir: str, born: str, rang: str, regime: str, caisse: str | None, centre: str | None
) -> None:
    try:
        request = AdriRequest.create(
            nir=nir, birth_date=born, rang=rang, regime=regime, caisse=caisse, centre=centre
        )
    except AdriInvalidRequest as error:
        assert error.field in {"nir", "date_naissance", "rang", "regime", "caisse", "centre"}
        return
    assert len(request.nir) == 15
