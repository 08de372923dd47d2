"""The JSON protocol of openfse's ADRi simulator: request encoding, answer parsing.

The real ADRi is a SOAP web service of the GIE SESAM-Vitale "Services en ligne" whose
specifications are restricted to agreed editors (docs/protocols.md, preamble); this is our own
protocol, documented in ``docs/formats/adri-sim.md``. Both backends (HTTP and in-process) go
through :func:`interpret`, so they behave identically.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from openfse.adapters.teleservices.jsonfields import Fields, error_code
from openfse.adapters.teleservices.port import (
    AdriIdentityMismatch,
    AdriInvalidAnswer,
    AdriRequest,
    AdriUnavailable,
    AdriUnknownPatient,
)
from openfse.domain.rights import (
    AdriAnswer,
    AldCondition,
    AmcCoverage,
    AmcCoverageKind,
    AmoRights,
    Beneficiary,
    BirthDate,
    Exoneration,
    Organisme,
)
from openfse.errors import OpenFSEError
from openfse.periods import Period

PROTOCOL_VERSION = 1
QUERY_PATH = "/adri/v1/droits"

_NIR = r"[0-9]{5}[0-9AB][0-9]{9}"  # 2A/2B: Corsica (docs/rules.md §G)
_NAME = r"[^\x00-\x1f]{1,80}"


def request_to_wire(request: AdriRequest, on: date) -> dict[str, Any]:
    """The JSON body of a query. ``date_consultation`` is sent because the simulator has no
    clock of its own that tests could control (the real service uses its own day)."""
    return {
        "version": PROTOCOL_VERSION,
        "nir": request.nir,
        "date_naissance": request.birth_date.iso(),
        "rang": request.rang,
        "regime": request.regime,
        "caisse": request.caisse,
        "centre": request.centre,
        "date_consultation": on.isoformat(),
    }


def _error(detail: str) -> AdriInvalidAnswer:
    return AdriInvalidAnswer(detail)


def _period(node: Fields) -> Period:
    return Period(node.day("debut"), node.opt_day("fin"))


def parse_answer(data: object) -> AdriAnswer:
    """Build an :class:`AdriAnswer` from decoded JSON, or raise :class:`AdriInvalidAnswer`."""
    root = Fields(data, "", _error)
    if root.integer("version", 1, 99) != PROTOCOL_VERSION:
        raise root.fail("version", f"non prise en charge (attendu {PROTOCOL_VERSION})")
    try:
        who = root.child("beneficiaire")
        org = root.child("organisme")
        amc = root.opt_child("amc")
        return AdriAnswer(
            queried_on=root.day("date_consultation"),
            beneficiary=Beneficiary(
                nom=who.text("nom", _NAME),
                prenom=who.text("prenom", r"[^\x00-\x1f]{0,80}"),
                birth_date=BirthDate.parse(who.text("date_naissance", max_len=10)),
                rang=who.integer("rang", 1, 9),
                qualite=who.text("qualite", r"[0-9]{2}"),
                nir=who.text("nir", _NIR),
                nir_individuel=who.opt_text("nir_individuel", _NIR),
            ),
            organisme=Organisme(
                org.text("regime", max_len=2),
                org.text("caisse", max_len=3),
                org.text("centre", max_len=4),
            ),
            code_gestion=org.opt_text("code_gestion", r"[0-9A-Z]{2}"),
            amo=AmoRights(_period(root.child("droits_amo"))),
            regime_local=root.flag("regime_local"),
            exonerations=tuple(
                Exoneration(e.text("code", max_len=2), e.text("libelle"), _period(e))
                for e in root.items("exonerations")
            ),
            ald=tuple(
                AldCondition(
                    a.text("code", max_len=2),
                    a.text("libelle"),
                    a.text("cim10", max_len=8),
                    _period(a),
                )
                for a in root.items("ald")
            ),
            amc=None
            if amc is None
            else AmcCoverage(
                kind=_coverage_kind(amc),
                number=amc.text("numero", r"[0-9]{1,10}"),
                label=amc.text("libelle"),
                period=_period(amc),
                contract_type=amc.opt_text("type_contrat", r"[0-9]{2}"),
            ),
        )
    except AdriInvalidAnswer:
        raise
    except OpenFSEError as error:  # a domain value refused the data (end < start, bad CIM-10…)
        raise AdriInvalidAnswer(error.message) from None


def _coverage_kind(node: Fields) -> AmcCoverageKind:
    value = node.text("type", max_len=10)
    try:
        return AmcCoverageKind(value)
    except ValueError:
        raise node.fail("type", f"inconnu (« {value} »)") from None


def interpret(status: int, body: object, request: AdriRequest, on: date) -> AdriAnswer:
    """Turn a (status, decoded body) pair into an answer or the precise typed error."""
    code = error_code(body)
    if status == 200:
        answer = parse_answer(body)
        if answer.queried_on != on:
            raise AdriInvalidAnswer(
                f"droits datés du {answer.queried_on:%d/%m/%Y} au lieu du {on:%d/%m/%Y}"
            )
        if answer.beneficiary.nir != request.nir:
            raise AdriInvalidAnswer("la réponse concerne un autre NIR que celui demandé")
        return request.check_identity(answer)
    if status == 404 and code == "beneficiaire_inconnu":
        raise AdriUnknownPatient(request)
    if status == 409 and code == "identite_discordante" and isinstance(body, dict):
        raise AdriIdentityMismatch(request, parse_answer(body.get("retour")))
    if status >= 500:
        raise AdriUnavailable("erreur_serveur", attempts=1)
    raise AdriInvalidAnswer(f"statut HTTP {status} inattendu (code {code or 'absent'})")
