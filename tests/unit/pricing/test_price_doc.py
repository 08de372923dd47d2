"""docs/formats/price.md: every example output is what ``openfse price`` prints today.

Regenerate the outputs after a deliberate change with
``.venv/bin/python tests/unit/pricing/test_price_doc.py --write``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openfse.cli import app

DOC = Path(__file__).resolve().parents[3] / "docs" / "formats" / "price.md"
BLOCK = re.compile(r"<!-- example (\d+) (input|output) -->\n```json\n(.*?)```", re.DOTALL)


def examples(text: str) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for number, kind, body in BLOCK.findall(text):
        found.setdefault(number, {})[kind] = body
    return found


def run(draft: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["price", "-"], input=draft)
    return result.exit_code, result.output


def regenerate(text: str) -> str:
    def fill(match: re.Match[str]) -> str:
        number, kind, body = match.groups()
        if kind == "input":
            return match.group(0)
        _, output = run(examples(text)[number]["input"])
        return f"<!-- example {number} output -->\n```json\n{output}```"

    return BLOCK.sub(fill, text)


EXAMPLES = examples(DOC.read_text(encoding="utf-8"))


@pytest.mark.parametrize("number", sorted(EXAMPLES))
def test_documented_output_is_current(number):
    example = EXAMPLES[number]
    code, output = run(example["input"])
    assert code == (2 if number == "4" else 0)
    assert output == example["output"]


def test_the_document_has_its_four_examples():
    assert sorted(EXAMPLES) == ["1", "2", "3", "4"]


if __name__ == "__main__" and "--write" in sys.argv:
    DOC.write_text(regenerate(DOC.read_text(encoding="utf-8")), encoding="utf-8")
