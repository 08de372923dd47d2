"""Helpers of the teleservices unit tests: data-set people, fake clock, recording transport.

A plain module (unique name, imported by the tests) rather than conftest constants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import httpx

from openfse.adapters.teleservices.port import AdriRequest

# Fictitious beneficiaries of openfse/simulators/data/adri/beneficiaires.yaml.
ROUSSEAU = {"nir": "285037505612306", "birth_date": "12/03/1985", "rang": 1, "regime": "01"}
DUBOIS = {"nir": "152066912304548", "birth_date": "21/06/1952", "rang": 1, "regime": "01"}
FONTAINE = {"nir": "276025746301963", "birth_date": "03/02/1976", "rang": 1, "regime": "01"}
GARNIER = {"nir": "161031305508762", "birth_date": "17/03/1961", "rang": 1, "regime": "01"}
BERNARD = {"nir": "188017511104254", "birth_date": "25/01/1988", "rang": 1, "regime": "01"}
KOUASSI = {
    "nir": "890059935001131",
    "birth_date": "08/05/1990",
    "rang": 1,
    "regime": "01",
    "caisse": "841",
    "centre": "5623",
}
HAMIDI = {
    "nir": "779209935000293",
    "birth_date": "00/00/1979",
    "rang": 1,
    "regime": "01",
    "caisse": "841",
    "centre": "5623",
}
ADRUN = {"nir": "148081305500387", "birth_date": "14/08/1948", "rang": 1, "regime": "01"}
LAMBERT_TWIN_2 = {"nir": "188027511105161", "birth_date": "10/04/2019", "rang": 2, "regime": "01"}
DURAND_MSA = {"nir": "167090201101402", "birth_date": "30/09/1967", "rang": 1, "regime": "02"}

ON = date(2026, 7, 1)


def make_request(person: dict[str, object], **changes: object) -> AdriRequest:
    return AdriRequest.create(**{**person, **changes})  # type: ignore[arg-type]


class FakeClock:
    """Monotonic clock + sleep that only move when told: retries and budgets without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


Responder = Callable[[httpx.Request], httpx.Response]


class RecordingTransport(httpx.MockTransport):
    """A MockTransport that counts the requests it receives."""

    def __init__(self, responder: Responder) -> None:
        self.requests: list[httpx.Request] = []

        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return responder(request)

        super().__init__(handle)
