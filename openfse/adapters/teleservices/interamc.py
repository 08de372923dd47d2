"""Inter-AMC directory (annuaire AMC) over HTTP, and its answer parser.

The annuaire gives the routing of an AMC's flows and services, consulted with the identifiers
read on the attestation (sintia.fr/node/84; docs/protocols.md §5). Its real interface belongs to the
Inter-AMC cahiers des charges (not public): this client speaks the JSON protocol of openfse's
simulator, ``docs/formats/interamc-sim.md``. When the directory fails, services fall back to
local convention tables (:mod:`openfse.adapters.teleservices.interamc_local`) — manuel eS-KAP+:
"S'il échoue il récupère depuis les tables de convention."
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from openfse.adapters.teleservices.http_client import ResilientClient
from openfse.adapters.teleservices.jsonfields import Fields, error_code
from openfse.adapters.teleservices.port import (
    InterAmcInvalidAnswer,
    InterAmcUnavailable,
    checked_amc_number,
)
from openfse.adapters.teleservices.resilience import json_body
from openfse.domain.rights import Convention, amc_numbers_match
from openfse.errors import OpenFSEError
from openfse.periods import Period

PROTOCOL_VERSION = 1


def conventions_path(amc_number: str) -> str:
    return f"/annuaire/v1/amc/{quote(amc_number, safe='')}/conventions"


def _error(detail: str) -> InterAmcInvalidAnswer:
    return InterAmcInvalidAnswer(detail)


def parse_conventions(data: object, amc_number: str, on: date) -> list[Convention]:
    """Conventions of a directory answer, or raise :class:`InterAmcInvalidAnswer`."""
    root = Fields(data, "", _error)
    if root.integer("version", 1, 99) != PROTOCOL_VERSION:
        raise root.fail("version", f"non prise en charge (attendu {PROTOCOL_VERSION})")
    amc = root.child("amc")
    number = amc.text("numero", r"[0-9]{7,10}")
    if not amc_numbers_match(number, amc_number):
        raise amc.fail("numero", "ne correspond pas à l'AMC demandée")
    name = amc.text("nom", r"[^\x00-\x1f]{1,120}")
    try:
        found = [
            Convention(
                amc_number=number,
                amc_name=name,
                convention_type=c.text("type_convention", r"[0-9A-Z]{2}"),
                csr=c.text("critere_secondaire", r"[0-9A-Z]{1,3}"),
                routage=c.text("routage", r"[0-9A-Za-z._-]{1,40}"),
                hote=c.text("hote", r"[0-9A-Za-z._-]{1,80}"),
                domaine=c.text("domaine", r"[0-9A-Za-z._-]{1,120}"),
                period=Period(c.day("debut"), c.opt_day("fin")),
                signataire=c.opt_text("signataire", r"[^\x00-\x1f]{1,120}"),
            )
            for c in root.items("conventions")
        ]
    except InterAmcInvalidAnswer:
        raise
    except OpenFSEError as error:
        raise InterAmcInvalidAnswer(error.message) from None
    # The directory filters by date already; keep only what is in force, whatever it sent.
    return [c for c in found if c.in_force_on(on)]


def interpret(status: int, body: object, amc_number: str, on: date) -> list[Convention]:
    """Conventions from a (status, decoded body) pair, or the typed error."""
    if status == 200:
        return parse_conventions(body, amc_number, on)
    if status == 404 and error_code(body) == "amc_inconnue":
        return []  # an answer: the directory has no convention for this AMC
    if status >= 500:
        raise InterAmcUnavailable("erreur_serveur", attempts=1)
    raise InterAmcInvalidAnswer(f"statut HTTP {status} inattendu")


class HttpInterAmcDirectory(ResilientClient):
    """:class:`~openfse.adapters.teleservices.port.InterAmcDirectory` over HTTP."""

    unavailable = InterAmcUnavailable

    def conventions(self, amc_number: str, on: date) -> list[Convention]:
        number = checked_amc_number(amc_number)
        response = self._http.request(
            "GET", conventions_path(number), params={"date": on.isoformat()}
        )
        return interpret(response.status_code, json_body(response), number, on)
