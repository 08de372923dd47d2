"""``python -m openfse.simulators.adri --port P --data FILE [--latency-ms N] [--fault MODE]``."""

from __future__ import annotations

import argparse

from openfse.simulators.adri.engine import FAULTS, AdriEngine, DatasetError
from openfse.simulators.adri.jsonserver import (
    GENERIC_FAULTS,
    add_common_arguments,
    configure,
    serve_forever_announcing,
)
from openfse.simulators.adri.server import make_server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m openfse.simulators.adri",
        description="Simulateur ADRi (droits AMO du jour) sur 127.0.0.1. "
        f"Pannes : {', '.join(sorted(GENERIC_FAULTS | FAULTS))}.",
    )
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    try:
        engine = AdriEngine.from_file(args.data)
    except DatasetError as problem:
        raise SystemExit(f"data set refused: {problem}") from None
    server = make_server(
        engine,
        args.port,
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        slow_seconds=args.slow_seconds,
    )
    configure(server, args)
    serve_forever_announcing(server, "adri")


if __name__ == "__main__":
    main()
