"""The ADRi simulator's logic: a data set of beneficiaries and the answer for a query date.

Transport-free (``handle(payload) -> (status, body)``) so that the HTTP server and the
in-process backend serve exactly the same answers. The wire format is documented in
``docs/formats/adri-sim.md``; the data set format in ``data/adri/beneficiaires.yaml``.

Rules simulated (docs/protocols.md §3.1, aide eS-KAP+, dossier LOGOSw):
* the beneficiary is found by NIR of the ouvrant droit + régime (+ caisse and centre, required
  and used only for a provisional NIR 7/8), then by date de naissance + rang;
* rights are those of the **query date**: the AMO period covering it, otherwise the last
  closed one (returned closed); ALD, exonérations and C2S/AME that started on or before the
  date (ended ones included, so the UI can show "ALD terminée"); never future rights;
* NIR known but no beneficiary with that birth date and rang → 409 ``identite_discordante``
  carrying what the caisse holds (the closest beneficiary), for the compare-and-choose dialog.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

PROTOCOL_VERSION = 1
FAULTS = frozenset({"mismatch", "unknown"})  # ADRi-specific faults (jsonserver adds generic ones)

_NIR = re.compile(r"[0-9]{5}[0-9AB][0-9]{9}")
_BIRTH = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # also the shape of ISO dates


class DatasetError(ValueError):
    """The data set file is not usable (the simulator refuses to start)."""


@dataclass(frozen=True, slots=True)
class SimPeriod:
    start: date
    end: date | None

    def covers(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)

    def wire(self) -> dict[str, str | None]:
        return {"debut": self.start.isoformat(), "fin": self.end.isoformat() if self.end else None}


@dataclass(frozen=True, slots=True)
class SimBeneficiary:
    nom: str
    prenom: str
    birth: str  # AAAA-MM-JJ, 00 allowed
    rang: int
    qualite: str
    nir_individuel: str | None
    amo: tuple[SimPeriod, ...]
    exonerations: tuple[tuple[dict[str, str], SimPeriod], ...]
    ald: tuple[tuple[dict[str, str], SimPeriod], ...]
    amc: tuple[tuple[dict[str, str], SimPeriod], ...]


@dataclass(frozen=True, slots=True)
class SimInsured:
    nir: str
    regime: str
    caisse: str
    centre: str
    code_gestion: str | None
    regime_local: bool
    beneficiaries: tuple[SimBeneficiary, ...]


def default_data_path() -> Path:
    """The data set shipped with openfse (package data)."""
    resource = resources.files("openfse.simulators").joinpath("data/adri/beneficiaires.yaml")
    return Path(str(resource))


def _day(value: object, where: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise DatasetError(f"{where}: date AAAA-MM-JJ attendue, trouvé {value!r}")


def _period(node: Mapping[str, Any], where: str) -> SimPeriod:
    end = node.get("fin")
    return SimPeriod(_day(node.get("debut"), where), None if end is None else _day(end, where))


def _dated(
    items: object, where: str, keys: Sequence[str]
) -> tuple[tuple[dict[str, str], SimPeriod], ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise DatasetError(f"{where}: liste attendue")
    out = []
    for i, node in enumerate(items):
        if not isinstance(node, dict) or any(not isinstance(node.get(k), str) for k in keys):
            raise DatasetError(f"{where}[{i}]: champs texte requis {', '.join(keys)}")
        fields = {k: str(node[k]) for k in keys}
        for optional in ("type_contrat",):
            if isinstance(node.get(optional), str):
                fields[optional] = node[optional]
        out.append((fields, _period(node, f"{where}[{i}]")))
    return tuple(out)


def _beneficiary(node: object, where: str) -> SimBeneficiary:
    if not isinstance(node, dict):
        raise DatasetError(f"{where}: objet attendu")
    birth = node.get("date_naissance")
    if not isinstance(birth, str) or not _BIRTH.fullmatch(birth):
        raise DatasetError(f"{where}.date_naissance: texte AAAA-MM-JJ attendu (00 permis)")
    amo = node.get("droits_amo")
    if not isinstance(amo, list) or not amo:
        raise DatasetError(f"{where}.droits_amo: au moins une période requise")
    rang = node.get("rang")
    if not isinstance(rang, int) or not 1 <= rang <= 9:
        raise DatasetError(f"{where}.rang: entier 1..9 attendu")
    return SimBeneficiary(
        nom=str(node.get("nom", "")),
        prenom=str(node.get("prenom", "")),
        birth=birth,
        rang=rang,
        qualite=str(node.get("qualite", "00")),
        nir_individuel=node.get("nir_individuel"),
        amo=tuple(_period(p, f"{where}.droits_amo") for p in amo),
        exonerations=_dated(node.get("exonerations"), f"{where}.exonerations", ("code", "libelle")),
        ald=_dated(node.get("ald"), f"{where}.ald", ("code", "libelle", "cim10")),
        amc=_dated(node.get("amc"), f"{where}.amc", ("type", "numero", "libelle")),
    )


def load_dataset(path: Path | None = None) -> tuple[SimInsured, ...]:
    """Read and check a YAML data set (default: the shipped one)."""
    source = path or default_data_path()
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as problem:
        raise DatasetError(f"{source}: {problem}") from None
    if not isinstance(data, dict) or data.get("version") != 1:
        raise DatasetError(f"{source}: 'version: 1' attendu en tête du fichier")
    insured = data.get("assures")
    if not isinstance(insured, list):
        raise DatasetError(f"{source}: liste 'assures' attendue")
    out = []
    for i, node in enumerate(insured):
        where = f"assures[{i}]"
        if not isinstance(node, dict) or not _NIR.fullmatch(str(node.get("nir", ""))):
            raise DatasetError(f"{where}.nir: 15 caractères attendus")
        people = node.get("beneficiaires")
        if not isinstance(people, list) or not people:
            raise DatasetError(f"{where}.beneficiaires: au moins un bénéficiaire requis")
        out.append(
            SimInsured(
                nir=str(node["nir"]),
                regime=str(node.get("regime", "")),
                caisse=str(node.get("caisse", "")),
                centre=str(node.get("centre", "")),
                code_gestion=node.get("code_gestion"),
                regime_local=bool(node.get("regime_local", False)),
                beneficiaries=tuple(
                    _beneficiary(p, f"{where}.beneficiaires[{j}]") for j, p in enumerate(people)
                ),
            )
        )
    return tuple(out)


def _error(status: int, code: str, message: str, **extra: object) -> tuple[int, dict[str, Any]]:
    return status, {"erreur": {"code": code, "message": message, **extra}}


def _current(periods: Sequence[SimPeriod], on: date) -> SimPeriod | None:
    """The period covering ``on``, else the latest one that ended before it (never future)."""
    started = [p for p in periods if p.start <= on]
    covering = [p for p in started if p.covers(on)]
    if covering:
        return max(covering, key=lambda p: p.start)
    return max(started, key=lambda p: p.start, default=None)


class AdriEngine:
    def __init__(self, dataset: Sequence[SimInsured]) -> None:
        self._by_nir: dict[str, list[SimInsured]] = {}
        for insured in dataset:
            self._by_nir.setdefault(insured.nir, []).append(insured)

    @classmethod
    def from_file(cls, path: Path | None = None) -> AdriEngine:
        return cls(load_dataset(path))

    def handle(self, payload: object, fault: str | None = None) -> tuple[int, dict[str, Any]]:
        """Answer one query (decoded JSON body) → (HTTP status, JSON body)."""
        query = _check_query(payload)
        if not isinstance(query, _Query):
            return query
        nir, birth, rang, on = query.nir, query.birth, query.rang, query.on
        if fault == "unknown":
            return self._unknown()
        # Caisse and centre identify the file only for a provisional NIR (aide eS-KAP+); a
        # definitive NIR is found by itself whatever caisse the card still shows.
        provisional = nir[0] in "78"
        candidates = [
            i
            for i in self._by_nir.get(nir, [])
            if i.regime == query.regime
            and (not provisional or (i.caisse, i.centre) == (query.caisse, query.centre))
        ]
        if not candidates:
            return self._unknown()
        insured = candidates[0]
        match = next(
            (b for b in insured.beneficiaries if b.birth == birth and b.rang == rang), None
        )
        if match is None or fault == "mismatch":
            closest = match or _closest(insured.beneficiaries, birth, rang)
            answer = _answer(insured, closest, on)
            if answer is None:
                return self._unknown()
            return 409, {
                "erreur": {
                    "code": "identite_discordante",
                    "message": "Les données de la caisse concernent un autre bénéficiaire.",
                },
                "retour": answer,
            }
        answer = _answer(insured, match, on)
        return (200, answer) if answer is not None else self._unknown()

    @staticmethod
    def _unknown() -> tuple[int, dict[str, Any]]:
        return _error(404, "beneficiaire_inconnu", "Aucun bénéficiaire connu pour ce NIR.")


def _closest(people: Sequence[SimBeneficiary], birth: str, rang: int) -> SimBeneficiary:
    """Who the caisse would show for a query it cannot match: same birth date, else the
    ouvrant droit (qualité 00), else the first beneficiary."""
    preferences: tuple[Callable[[SimBeneficiary], bool], ...] = (
        lambda b: b.birth == birth,
        lambda b: b.rang == rang and b.qualite == "00",
        lambda b: b.qualite == "00",
    )
    for wanted in preferences:
        found = [b for b in people if wanted(b)]
        if found:
            return found[0]
    return people[0]


def _answer(insured: SimInsured, who: SimBeneficiary, on: date) -> dict[str, Any] | None:
    amo = _current(who.amo, on)
    if amo is None:  # affiliated only from a later date: no rights to report yet
        return None
    amc = _current([p for _, p in who.amc], on)
    amc_fields = next((f for f, p in who.amc if p is amc), None)
    return {
        "version": PROTOCOL_VERSION,
        "date_consultation": on.isoformat(),
        "beneficiaire": {
            "nom": who.nom,
            "prenom": who.prenom,
            "date_naissance": who.birth,
            "rang": who.rang,
            "qualite": who.qualite,
            "nir": insured.nir,
            "nir_individuel": who.nir_individuel,
        },
        "organisme": {
            "regime": insured.regime,
            "caisse": insured.caisse,
            "centre": insured.centre,
            "code_gestion": insured.code_gestion,
        },
        "droits_amo": amo.wire(),
        "regime_local": insured.regime_local,
        "exonerations": [{**f, **p.wire()} for f, p in who.exonerations if p.start <= on],
        "ald": [{**f, **p.wire()} for f, p in who.ald if p.start <= on],
        "amc": None if amc is None or amc_fields is None else {**amc_fields, **amc.wire()},
    }


@dataclass(frozen=True, slots=True)
class _Query:
    nir: str
    birth: str
    rang: int
    regime: str
    caisse: str | None
    centre: str | None
    on: date


def _check_query(payload: object) -> _Query | tuple[int, dict[str, Any]]:
    """Validate the request like the real service would: 422 with the offending field."""

    def bad(field: str, message: str) -> tuple[int, dict[str, Any]]:
        return _error(422, "requete_invalide", message, champ=field)

    if not isinstance(payload, dict):
        return bad("", "objet JSON attendu")
    if payload.get("version") != PROTOCOL_VERSION:
        return bad("version", f"version {PROTOCOL_VERSION} attendue")
    nir = payload.get("nir")
    if not isinstance(nir, str) or not _NIR.fullmatch(nir):
        return bad("nir", "NIR de 15 caractères attendu")
    birth = payload.get("date_naissance")
    if not isinstance(birth, str) or not _BIRTH.fullmatch(birth):
        return bad("date_naissance", "date AAAA-MM-JJ attendue (00 permis)")
    rang = payload.get("rang")
    if isinstance(rang, bool) or not isinstance(rang, int) or not 1 <= rang <= 9:
        return bad("rang", "rang de 1 à 9 attendu")
    regime = payload.get("regime")
    if not isinstance(regime, str) or not re.fullmatch(r"[0-9]{2}", regime):
        return bad("regime", "code régime de 2 chiffres attendu")
    caisse, centre = payload.get("caisse"), payload.get("centre")
    if caisse is not None and (
        not isinstance(caisse, str) or not re.fullmatch(r"[0-9]{3}", caisse)
    ):
        return bad("caisse", "code caisse de 3 chiffres attendu")
    if centre is not None and (
        not isinstance(centre, str) or not re.fullmatch(r"[0-9]{4}", centre)
    ):
        return bad("centre", "code centre de 4 chiffres attendu")
    if nir[0] in "78" and (caisse is None or centre is None):
        # Aide eS-KAP+: provisional NIR → code caisse + code centre are required.
        return bad(
            "caisse" if caisse is None else "centre", "NIR provisoire : caisse et centre requis"
        )
    when = payload.get("date_consultation")
    if not isinstance(when, str) or not _BIRTH.fullmatch(when):
        return bad("date_consultation", "date AAAA-MM-JJ attendue")
    try:
        on = date.fromisoformat(when)
    except ValueError:
        return bad("date_consultation", "date inexistante")
    return _Query(nir, birth, rang, regime, caisse, centre, on)
