"""Citations anyone can follow (issue 11, point 7).

A rule's comment cites a public source (NGAP article, Légifrance, ameli page, the convention, a
vendor manual named in docs/sources.md) or a page of the repository's ``docs/`` — never a file
outside the repository (the team's design notes, the vendor manuals' private text copies with
their line numbers, the old pricing contract). Every ``docs/….md`` path the package cites exists,
and every ``docs/protocols.md §N`` / ``docs/rules.md §X`` names a section of that page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("openfse", "docs")
SUFFIXES = {".py", ".md", ".html", ".j2", ".txt", ".csv", ".yaml", ".yml", ".toml", ".json",
            ".js", ".css", ".sql", ".ini", ".cfg"}
SKIPPED_DIRS = {"__pycache__", "vendor"}

# Outside-the-repository citations, as they were written before docs/sources.md existed.
FORBIDDEN = {
    "a vendor manual's private copy": re.compile(r"\bseeds? 00\d", re.IGNORECASE),
    "the manuals' aliases of the design notes": re.compile(r"\bSEED_(?:ESKAP|LOGOS)\b"),
    "a path outside the repository": re.compile(r"\.\./shared|shared/design|shared/seeds"),
    "the design notes' protocol digest": re.compile(r"PROTOCOLS\.md|\bPROTOCOLS §"),
    "the design notes' rules digest": re.compile(r"RULES-DIGEST"),
    "the design notes' stack notes": re.compile(r"STACK-NOTES"),
    "the design notes' golden cases": re.compile(r"golden_cases\.json"),
    "the old pricing contract (docs/formats/price.md)": re.compile(r"PRICE-CONTRACT"),
}

DOC_PATH = re.compile(r"docs/[\w./-]*?\.md")
SECTION = {
    "docs/protocols.md": re.compile(r"docs/protocols\.md`? ?§ ?(\d+(?:\.\d+)?)"),
    "docs/rules.md": re.compile(r"docs/rules\.md`? ?§ ?([0-9A-H](?:\.\d+)?)"),
}


def scanned_files() -> list[Path]:
    files = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and path.suffix in SUFFIXES and not SKIPPED_DIRS & set(path.parts):
                files.append(path)
    return files


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def section_ids(page: str) -> set[str]:
    """« ## 1. FSE », « ### 1.7 ARL », « ## D. AMO », « ### D.2 … » → 1, 1.7, D, D.2; the items
    « 1. … » of a section N also resolve as N.1 (docs/protocols.md §7.2)."""
    ids: set[str] = set()
    current = ""
    for line in (ROOT / page).read_text(encoding="utf-8").splitlines():
        heading = re.match(r"#{2,3} ([0-9A-H](?:\.\d+)?)\.?\s", line)
        if heading:
            ids.add(heading.group(1))
            current = heading.group(1) if line.startswith("## ") else current
            continue
        item = re.match(r"(\d+)\. ", line)
        if item and current and "." not in current:
            ids.add(f"{current}.{item.group(1)}")
    return ids


def test_the_scan_sees_the_package_and_the_docs() -> None:
    files = {path.relative_to(ROOT).as_posix() for path in scanned_files()}
    assert "openfse/domain/pricing/engine.py" in files
    assert "docs/sources.md" in files
    assert "docs/protocols.md" in files and "docs/rules.md" in files


@pytest.mark.parametrize("label", sorted(FORBIDDEN))
def test_no_citation_points_outside_the_repository(label: str) -> None:
    pattern = FORBIDDEN[label]
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}"
        for path in scanned_files()
        for number, line in enumerate(text_of(path).splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, f"{label} — cite docs/sources.md, a public URL or docs/:\n" + "\n".join(found)


def test_every_docs_page_the_package_cites_exists() -> None:
    missing = sorted({
        f"{path.relative_to(ROOT)}: {cited}"
        for path in scanned_files()
        if path.parts[len(ROOT.parts)] == "openfse"
        for cited in DOC_PATH.findall(text_of(path))
        if not (ROOT / cited).is_file()
    })
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("page", sorted(SECTION))
def test_every_cited_section_exists(page: str) -> None:
    known = section_ids(page)
    unknown = sorted({
        f"{path.relative_to(ROOT)}: {page} §{section}"
        for path in scanned_files()
        for section in SECTION[page].findall(text_of(path))
        if section not in known
    })
    assert not unknown, "\n".join(unknown)


def test_the_patterns_catch_the_old_citations() -> None:
    old = ("(seed 001 l.907)", "seeds 000/004", "SEED_ESKAP", "../shared/design/ARCHITECTURE.md",
           "PROTOCOLS §1.7", "PROTOCOLS.md §3.5", "RULES-DIGEST §F", "STACK-NOTES §6",
           "golden_cases.json", "PRICE-CONTRACT.md")
    for text in old:
        assert any(pattern.search(text) for pattern in FORBIDDEN.values()), text
    for text in ("manuel eS-KAP+ « Ajout mutuelle »", "docs/protocols.md §1.7",
                 "docs/rules.md §D.1", "docs/formats/price.md", "random seed 0"):
        assert not any(pattern.search(text) for pattern in FORBIDDEN.values()), text
