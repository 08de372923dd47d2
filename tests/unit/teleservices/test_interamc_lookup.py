"""Inter-AMC directory: HTTP and in-process backends, local tables, and the fallback rule."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest
from tele_helpers import FakeClock, RecordingTransport

from openfse.adapters.teleservices.interamc import HttpInterAmcDirectory
from openfse.adapters.teleservices.interamc_local import (
    COLUMNS,
    ConventionsFromOrganisms,
    InvalidConventionTable,
    LocalConventionTable,
)
from openfse.adapters.teleservices.port import (
    InterAmcInvalidAnswer,
    InterAmcUnavailable,
    InvalidAmcNumber,
)
from openfse.adapters.teleservices.resilience import RetryPolicy
from openfse.composition.inprocess_interamc import InProcessInterAmcDirectory
from openfse.domain.rights import Convention
from openfse.periods import Period
from openfse.services.teleservices import ConventionSource, lookup_conventions
from openfse.simulators.adri.jsonserver import SimRequest
from openfse.simulators.interamc import DirectoryEngine, load_directory

ON = date(2026, 7, 1)


@pytest.fixture(scope="module")
def directory_engine() -> DirectoryEngine:
    return DirectoryEngine(load_directory())


def _http(transport: httpx.BaseTransport, clock: FakeClock) -> HttpInterAmcDirectory:
    return HttpInterAmcDirectory(
        "http://annuaire.test",
        policy=RetryPolicy(total_budget=2.0),
        transport=transport,
        clock=clock,
        sleep=clock.sleep,
    )


def _engine_transport(engine: DirectoryEngine) -> RecordingTransport:
    def respond(request: httpx.Request) -> httpx.Response:
        query = {k: v for k, v in request.url.params.items()}
        status, body = engine.handle(SimRequest("GET", request.url.path, query, None, None))
        return httpx.Response(status, json=body)

    return RecordingTransport(respond)


def test_directory_returns_the_conventions_in_force(
    directory_engine: DirectoryEngine, clock: FakeClock
) -> None:
    found = _http(_engine_transport(directory_engine), clock).conventions("98532001", ON)
    assert [(c.convention_type, c.csr) for c in found] == [("AL", "001"), ("AL", "002")]
    assert found[0].amc_name == "ALMERYS" and found[0].domaine == "almerys.example"


def test_directory_keeps_only_the_convention_of_the_date(
    directory_engine: DirectoryEngine, clock: FakeClock
) -> None:
    # HELIUM: CSR 002 until 2025-12-31, CSR 003 from 2026-01-01.
    directory = _http(_engine_transport(directory_engine), clock)
    assert [c.csr for c in directory.conventions("00401125", date(2025, 12, 31))] == ["002"]
    assert [c.csr for c in directory.conventions("00401125", date(2026, 1, 1))] == ["003"]


def test_leading_zeros_name_the_same_amc(directory_engine: DirectoryEngine) -> None:
    directory = InProcessInterAmcDirectory(directory_engine)
    assert directory.conventions("0098532001", ON) == directory.conventions("98532001", ON)


def test_unknown_amc_is_an_empty_answer_not_a_failure(
    directory_engine: DirectoryEngine, clock: FakeClock
) -> None:
    assert _http(_engine_transport(directory_engine), clock).conventions("12345678", ON) == []


def test_malformed_amc_number_is_not_sent(clock: FakeClock) -> None:
    transport = RecordingTransport(lambda request: httpx.Response(200))
    with pytest.raises(InvalidAmcNumber) as error:
        _http(transport, clock).conventions("12AB", ON)
    assert transport.requests == []
    assert error.value.field == "amc_number"


def test_directory_down_is_retried_then_unavailable(clock: FakeClock) -> None:
    transport = RecordingTransport(lambda request: httpx.Response(503))
    with pytest.raises(InterAmcUnavailable) as error:
        _http(transport, clock).conventions("98532001", ON)
    assert len(transport.requests) == 3
    assert error.value.code == "interamc_unavailable"
    assert "Annuaire Inter-AMC indisponible" in error.value.message


def test_directory_answer_for_another_amc_is_invalid(
    directory_engine: DirectoryEngine, clock: FakeClock
) -> None:
    def wrong(request: httpx.Request) -> httpx.Response:
        status, body = directory_engine.handle(
            SimRequest(
                "GET", "/annuaire/v1/amc/00733931/conventions", {"date": "2026-07-01"}, None, None
            )
        )
        return httpx.Response(status, json=body)

    with pytest.raises(InterAmcInvalidAnswer):
        _http(RecordingTransport(wrong), clock).conventions("98532001", ON)


# --------------------------------------------------------------------------- fallback


class _Down:
    def conventions(self, amc_number: str, on: date) -> list[Convention]:
        raise InterAmcUnavailable("connexion_impossible", attempts=3, elapsed=0.4)


class _Garbled:
    def conventions(self, amc_number: str, on: date) -> list[Convention]:
        raise InterAmcInvalidAnswer("champ amc absent")


@pytest.mark.parametrize("directory", [_Down(), _Garbled()])
def test_directory_failure_falls_back_to_the_local_tables_and_says_so(directory: object) -> None:
    # Manuel eS-KAP+: "S'il échoue il récupère depuis les tables de convention."
    lookup = lookup_conventions(directory, LocalConventionTable.shipped(), "98532001", ON)  # type: ignore[arg-type]
    assert lookup.source is ConventionSource.TABLES_LOCALES
    assert [(c.convention_type, c.csr) for c in lookup.conventions] == [("AL", "001")]
    assert lookup.directory_problem is not None
    assert "tables locales" in lookup.message


def test_directory_answer_is_used_when_it_works(directory_engine: DirectoryEngine) -> None:
    lookup = lookup_conventions(
        InProcessInterAmcDirectory(directory_engine), LocalConventionTable.shipped(), "98532001", ON
    )
    assert lookup.source is ConventionSource.ANNUAIRE
    assert len(lookup.conventions) == 2 and lookup.directory_problem is None
    assert lookup.message == "2 convention(s) trouvée(s) dans l'annuaire Inter-AMC."


def test_amc_without_convention_in_the_directory_gets_the_local_tables(
    directory_engine: DirectoryEngine,
) -> None:
    own = LocalConventionTable(
        [
            Convention(
                "779926294",
                "525ème Mutuelle",
                "SP",
                "010",
                "SP",
                "h",
                "d.example",
                Period(date(2026, 1, 1)),
            )
        ]
    )
    lookup = lookup_conventions(InProcessInterAmcDirectory(directory_engine), own, "779926294", ON)
    assert lookup.source is ConventionSource.TABLES_LOCALES
    assert [c.csr for c in lookup.conventions] == ["010"]
    assert "Aucune convention en vigueur" in lookup.message


def test_fallback_from_the_user_organism_list() -> None:
    asked: list[tuple[str, date]] = []

    def organisms(amc_number: str, on: date) -> list[Convention]:
        asked.append((amc_number, on))
        return [
            Convention(
                amc_number,
                "Mutuelle X",
                "MX",
                "001",
                "MX",
                "h",
                "d.example",
                Period(date(2020, 1, 1), date(2025, 12, 31)),
            ),
            Convention(
                amc_number,
                "Mutuelle X",
                "MX",
                "002",
                "MX",
                "h",
                "d.example",
                Period(date(2026, 1, 1)),
            ),
        ]

    lookup = lookup_conventions(_Down(), ConventionsFromOrganisms(organisms), "12345678", ON)
    assert asked == [("12345678", ON)]
    assert [c.csr for c in lookup.conventions] == ["002"]  # only the one in force


# --------------------------------------------------------------------------- local tables

HEADER = ";".join(COLUMNS)


def test_local_table_reads_comments_and_open_ended_rows() -> None:
    table = LocalConventionTable.from_csv_text(
        f"# my conventions\n{HEADER}\n12345678;Mutuelle;MX;001;MX;h;d.example;;2026-01-01;\n"
    )
    [convention] = table.conventions("0012345678", ON)
    assert convention.period == Period(date(2026, 1, 1)) and convention.signataire is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a;b\n1;2\n", "en-tête attendu"),
        (f"{HEADER}\n12345678;M;MX;001;MX;h;d;;2026-13-01;\n", "ligne 2"),
        (f"{HEADER}\n12345678;M;MX;001;MX;h;d;;2026-01-01\n", "nombre de colonnes"),
        (f"{HEADER}\n12345678;M;;001;MX;h;d;;2026-01-01;\n", "type_convention"),
        (f"{HEADER}\n12345678;M;MX;001;MX;h;d;;2026-02-01;2026-01-01\n", "précède"),
    ],
)
def test_local_table_errors_name_the_line(text: str, fragment: str) -> None:
    with pytest.raises(InvalidConventionTable) as error:
        LocalConventionTable.from_csv_text(text, "conv.csv")
    assert fragment in error.value.message


def test_local_table_from_a_missing_file_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidConventionTable):
        LocalConventionTable.from_file(tmp_path / "absent.csv")
