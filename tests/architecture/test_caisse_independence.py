"""The simulated caisse is a second opinion, not a mirror (issue 11 point 6): it must not check
what it receives with the product's pricing engine or read it with the product's lot codec,
or it could never disagree with our bugs.

Two views: the modules of ``openfse/simulators/caisse`` import none of the product's engine,
codec, transmission values or storage (read from their source), and the simulator's process,
once its command is imported, has none of them loaded (nothing reaches them indirectly, e.g.
through another simulator's modules).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import openfse.simulators.caisse as caisse_package

# The product's rules, values, codec, mail transport and storage (issue 11 point 6; the same
# list as tests/architecture/test_layers.py, here checked on the running process too).
FORBIDDEN = (
    "openfse.domain",
    "openfse.adapters.transmission",
    "openfse.services",
    "openfse.store",
    "openfse.printing",
)


def _forbidden(module: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in FORBIDDEN)


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def test_no_module_of_the_caisse_imports_the_products_engine_or_codec() -> None:
    folder = Path(caisse_package.__file__).parent
    found = {f"{path.name}: {name}" for path in sorted(folder.glob("*.py"))
             for name in _imports(path) if _forbidden(name)}
    assert not found, sorted(found)


def test_the_caisse_process_loads_none_of_them() -> None:
    probe = ("import sys, openfse.simulators.caisse.command; "
             "print('\\n'.join(sorted(sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, timeout=120).stdout.split()
    assert [name for name in loaded if _forbidden(name)] == []


def test_the_check_itself_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from openfse.domain.pricing.contract import price_document\n"
                      "import openfse.adapters.transmission.lot_file\n", encoding="utf-8")
    assert [name for name in _imports(sample) if _forbidden(name)] == [
        "openfse.domain.pricing.contract", "openfse.domain.pricing.contract.price_document",
        "openfse.adapters.transmission.lot_file"]
