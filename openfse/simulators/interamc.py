"""Inter-AMC directory simulator: ``python -m openfse.simulators.interamc --port P --data FILE``.

Answers ``GET /annuaire/v1/amc/{numero}/conventions?date=AAAA-MM-JJ`` with the conventions in
force on that date (protocol: ``docs/formats/interamc-sim.md``), on 127.0.0.1 only, with the
latency and failure injection of :mod:`openfse.simulators.adri.jsonserver` (``down``,
``slow``, ``error``, ``invalid``).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from openfse.simulators.adri.jsonserver import (
    GENERIC_FAULTS,
    SimConfig,
    SimRequest,
    SimServer,
    add_common_arguments,
    configure,
    serve_forever_announcing,
)

PROTOCOL_VERSION = 1
PREFIX = "/annuaire/v1/amc/"
_PATH = re.compile(r"/annuaire/v1/amc/(?P<numero>[0-9]{7,10})/conventions")
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_FIELDS = ("type_convention", "critere_secondaire", "routage", "hote", "domaine")


class DirectoryDataError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class SimAmc:
    numero: str
    nom: str
    conventions: tuple[dict[str, Any], ...]


def default_data_path() -> Path:
    return Path(str(resources.files("openfse.simulators").joinpath("data/adri/annuaire_amc.yaml")))


def _iso(value: object, where: str) -> str | None:
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, date) else value
    if not isinstance(text, str) or not _ISO.fullmatch(text):
        raise DirectoryDataError(f"{where}: date AAAA-MM-JJ attendue")
    return text


def load_directory(path: Path | None = None) -> tuple[SimAmc, ...]:
    source = path or default_data_path()
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as problem:
        raise DirectoryDataError(f"{source}: {problem}") from None
    if (
        not isinstance(data, dict)
        or data.get("version") != 1
        or not isinstance(data.get("amc"), list)
    ):
        raise DirectoryDataError(f"{source}: 'version: 1' et une liste 'amc' attendus")
    out = []
    for i, node in enumerate(data["amc"]):
        where = f"amc[{i}]"
        if not isinstance(node, dict) or not re.fullmatch(r"[0-9]{7,10}", str(node.get("numero"))):
            raise DirectoryDataError(f"{where}.numero: 7 à 10 chiffres attendus")
        conventions = []
        for j, conv in enumerate(node.get("conventions") or []):
            cw = f"{where}.conventions[{j}]"
            if not isinstance(conv, dict) or any(not conv.get(f) for f in _FIELDS):
                raise DirectoryDataError(f"{cw}: champs requis {', '.join(_FIELDS)}")
            start = _iso(conv.get("debut"), f"{cw}.debut")
            if start is None:
                raise DirectoryDataError(f"{cw}.debut: requis")
            conventions.append(
                {
                    **{f: str(conv[f]) for f in _FIELDS},
                    "signataire": conv.get("signataire"),
                    "debut": start,
                    "fin": _iso(conv.get("fin"), f"{cw}.fin"),
                }
            )
        out.append(SimAmc(str(node["numero"]), str(node.get("nom", "")), tuple(conventions)))
    return tuple(out)


class DirectoryEngine:
    def __init__(self, entries: Sequence[SimAmc]) -> None:
        self._entries = entries

    def handle(self, request: SimRequest) -> tuple[int, object]:
        match = _PATH.fullmatch(request.path)
        if match is None:
            return 404, {"erreur": {"code": "route_inconnue", "message": request.path}}
        when = request.query.get("date", "")
        try:
            on = date.fromisoformat(when) if _ISO.fullmatch(when) else None
        except ValueError:
            on = None
        if on is None:
            return 422, {
                "erreur": {
                    "code": "requete_invalide",
                    "message": "date AAAA-MM-JJ",
                    "champ": "date",
                }
            }
        wanted = match["numero"].lstrip("0")  # 0098532001 and 98532001 are the same AMC
        amc = next((a for a in self._entries if a.numero.lstrip("0") == wanted), None)
        if amc is None:
            return 404, {
                "erreur": {"code": "amc_inconnue", "message": "AMC absente de l'annuaire."}
            }
        in_force = [
            c
            for c in amc.conventions
            if c["debut"] <= on.isoformat() and (c["fin"] is None or on.isoformat() <= c["fin"])
        ]
        return 200, {
            "version": PROTOCOL_VERSION,
            "amc": {"numero": amc.numero, "nom": amc.nom},
            "date": on.isoformat(),
            "conventions": in_force,
        }


def make_server(
    engine: DirectoryEngine, port: int = 0, *, latency_ms: int = 0, slow_seconds: float = 5.0
) -> SimServer:
    config = SimConfig(
        faults_allowed=GENERIC_FAULTS, latency_ms=latency_ms, slow_seconds=slow_seconds
    )
    return SimServer(port, {("GET", PREFIX): engine.handle}, config)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m openfse.simulators.interamc",
        description="Simulateur de l'annuaire Inter-AMC (conventions par AMC) sur 127.0.0.1. "
        f"Pannes : {', '.join(sorted(GENERIC_FAULTS))}.",
    )
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    try:
        engine = DirectoryEngine(load_directory(args.data))
    except DirectoryDataError as problem:
        raise SystemExit(f"data set refused: {problem}") from None
    server = make_server(
        engine, args.port, latency_ms=args.latency_ms, slow_seconds=args.slow_seconds
    )
    server.config.jitter_ms = args.jitter_ms
    configure(server, args)
    serve_forever_announcing(server, "interamc")


if __name__ == "__main__":
    main()
