"""The layers of docs/ARCHITECTURE.md, held by reading the source (issue 11, point 5).

Each rule names what it forbids and lists every offending line, so a failure says where to look.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "openfse"

# Packages that only hold pure rules and data: nothing above them may be imported there.
PURE = ("domain", "ids", "referentials", "money", "periods", "errors", "typed_numbers")
ABOVE_PURE = ("adapters", "services", "store", "web", "simulators", "printing", "cli", "config",
              "composition")
# A unit of work's repositories and session: the web layer asks services, never these.
REPOSITORIES = frozenset({
    "patients", "amo_coverages", "amc_coverages", "alds", "professionals", "prescribers",
    "users", "amo_organisms", "amc_organisms", "favourites", "preferences", "pending_results",
    "journal_entries", "invoices", "payments", "lots", "sent_messages", "received_documents",
    "return_lines", "cabinets", "session",
})
# The product's own pricing and lot codec: a simulated caisse that checked our invoices with
# them could never disagree with us.
PRODUCT_LOGIC = ("openfse.domain", "openfse.adapters.transmission", "openfse.services",
                 "openfse.store", "openfse.printing")


@dataclass(frozen=True)
class Module:
    path: Path
    tree: ast.Module

    @property
    def package(self) -> str:
        parts = self.path.relative_to(PACKAGE).parts
        return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")

    @property
    def dotted(self) -> str:
        return "openfse." + ".".join(self.path.relative_to(PACKAGE).with_suffix("").parts)

    def imports(self) -> Iterator[tuple[int, str]]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield node.lineno, alias.name
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield node.lineno, node.module
                for alias in node.names:  # ``from openfse import services`` names a package
                    if node.module == "openfse":
                        yield node.lineno, f"openfse.{alias.name}"

    def where(self, line: int) -> str:
        return f"{self.path.relative_to(PACKAGE.parent)}:{line}"


def _modules() -> list[Module]:
    return [Module(path, ast.parse(path.read_text(encoding="utf-8")))
            for path in sorted(PACKAGE.rglob("*.py"))]


MODULES = _modules()


def _layer_of(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "openfse" else ""


def test_pure_packages_import_nothing_above_them() -> None:
    offending = [f"{m.where(line)} imports {name}" for m in MODULES if m.package in PURE
                 for line, name in m.imports() if _layer_of(name) in ABOVE_PURE]
    assert offending == []


def test_services_never_import_the_web() -> None:
    offending = [f"{m.where(line)} imports {name}" for m in MODULES if m.package == "services"
                 for line, name in m.imports() if _layer_of(name) == "web"]
    assert offending == []


def test_adapters_never_import_simulators_only_the_composition_module_wires_them() -> None:
    offending = [f"{m.where(line)} imports {name}" for m in MODULES
                 if m.package in ("adapters", "services", "web")
                 for line, name in m.imports() if _layer_of(name) == "simulators"]
    assert offending == []


def test_the_web_runs_no_sql_and_calls_no_repository() -> None:
    offending = [f"{m.where(line)} imports {name}" for m in MODULES if m.package == "web"
                 for line, name in m.imports()
                 if name.startswith(("sqlalchemy", "openfse.store.repositories"))]
    for module in (m for m in MODULES if m.package == "web"):
        for node in ast.walk(module.tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "uow" and node.attr in REPOSITORIES):
                offending.append(f"{module.where(node.lineno)} uses uow.{node.attr}")
    assert offending == []


def test_the_simulated_caisse_is_a_second_opinion_not_a_mirror() -> None:
    offending = [f"{m.where(line)} imports {name}" for m in MODULES
                 if m.dotted.startswith("openfse.simulators.caisse")
                 for line, name in m.imports() if name.startswith(PRODUCT_LOGIC)]
    assert offending == []


def _calls(module: Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else (
                owner.attr if isinstance(owner, ast.Attribute) else "")
            yield node.lineno, f"{name}.{node.func.attr}"


@pytest.mark.parametrize("call", ["date.today", "datetime.now", "datetime.utcnow", "time.time"])
def test_only_the_clock_reads_the_system_time(call: str) -> None:
    # The cabinet's day is the desk's clock (domain/clock.py); simulators play other machines
    # and keep their own time; backups and the store stamp instants in UTC via the clock too.
    allowed = {"openfse.domain.clock"}
    offending = [m.where(line) for m in MODULES
                 if m.dotted not in allowed and m.package != "simulators"
                 for line, name in _calls(m) if name == call]
    assert offending == []


def test_nothing_converts_to_the_servers_time_zone() -> None:
    # ``moment.astimezone()`` with no zone is the server's zone (UTC in a container): an
    # invoice validated at 00:30 in Paris was dated the day before. The cabinet's clock says.
    offending = [m.where(node.lineno) for m in MODULES if m.dotted != "openfse.domain.clock"
                 for node in ast.walk(m.tree)
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                 and node.func.attr == "astimezone" and not node.args and not node.keywords]
    assert offending == []


def test_routes_get_the_application_from_the_desk_only() -> None:
    allowed = {"openfse.web.deps", "openfse.web.app"}
    offending = []
    for module in (m for m in MODULES if m.package == "web" and m.dotted not in allowed):
        for node in ast.walk(module.tree):
            if (isinstance(node, ast.Attribute) and node.attr == "state"
                    and isinstance(node.value, ast.Attribute) and node.value.attr == "app"):
                offending.append(module.where(node.lineno))
    assert offending == []


def test_no_unit_of_work_without_a_named_actor() -> None:
    offending = [m.where(line) for m in MODULES for line, name in _calls(m)
                 if name in ("ctx.uow", "context.uow", "_ctx.uow")]
    assert offending == []
