"""Fixtures of the pricing tests: fake tariffs with docs/rules.md values, and a draft builder.

``FakeTariffs`` is a test double of ``TariffSource`` (ports + fakes) holding
the values of docs/rules.md (§A NGAP, §B CCAM), so that the worked examples of
the tests do not move when the product's referential data is revised. A few CCAM entries carry
values chosen for the tests (noted below); the real catalogue is tested through
``ReferentialTariffs`` in test_referential_tariffs.py.

Tests describe invoices as JSON-like documents of the price contract (docs/formats/price.md),
readable by someone who knows the billing rules, and price them with ``priced(doc)``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from openfse.domain.pricing.contract import price_document
from openfse.domain.pricing.tariffs import ModifierKind

D = Decimal
OPEN = date(9999, 12, 31)
_Period = tuple[date, date, Decimal]


def _always(value: str) -> list[_Period]:
    return [(date(2000, 1, 1), OPEN, D(value))]


NGAP: dict[tuple[str, str], list[_Period]] = {
    # A.1 médecins — G/GS 25 → 26.50 (01/11/2023) → 30 (22/12/2024)
    ("medecin", "G"): [
        (date(2017, 5, 1), date(2023, 11, 1), D("25.00")),
        (date(2023, 11, 1), date(2024, 12, 22), D("26.50")),
        (date(2024, 12, 22), OPEN, D("30.00")),
    ],
    ("medecin", "VG"): [(date(2024, 12, 22), OPEN, D("30.00"))],
    ("medecin", "MEG"): _always("5.00"),
    ("medecin", "MCG"): _always("5.00"),
    ("medecin", "C"): _always("23.00"),
    ("medecin", "CS"): _always("26.50"),
    ("medecin", "MCS"): _always("5.00"),
    ("medecin", "APC"): [(date(2024, 12, 22), OPEN, D("60.00"))],
    ("medecin", "TCG"): _always("25.00"),
    # A.3 majorations and travel
    ("medecin", "MD"): _always("10.00"),
    ("medecin", "MDN"): _always("38.50"),
    ("medecin", "MN"): _always("35.00"),
    ("medecin", "MM"): _always("40.00"),
    ("medecin", "F"): _always("19.06"),
    ("medecin", "ID"): _always("3.50"),
    ("medecin", "IK"): _always("0.61"),
    ("medecin", "IKM"): _always("0.91"),
    ("medecin", "IKS"): _always("4.57"),
    # A.2 / C — COE 54 (22/12/2024) → 60 (01/01/2026)
    ("medecin", "COE"): [
        (date(2024, 12, 22), date(2026, 1, 1), D("54.00")),
        (date(2026, 1, 1), OPEN, D("60.00")),
    ],
    ("medecin", "COB"): _always("30.00"),
    # A.5 infirmiers
    ("infirmier", "AMI"): _always("3.15"),
    ("infirmier", "AIS"): _always("2.65"),
    ("infirmier", "IFD"): [
        (date(2012, 5, 27), date(2024, 1, 28), D("2.50")),
        (date(2024, 1, 28), OPEN, D("2.75")),
    ],
    ("infirmier", "MAU"): _always("1.35"),
    ("infirmier", "MCI"): _always("5.00"),
    ("infirmier", "MIE"): _always("3.15"),
    ("infirmier", "N"): _always("9.15"),
    ("infirmier", "NP"): _always("18.30"),
    ("infirmier", "F"): _always("8.00"),
    ("infirmier", "IK"): _always("0.35"),
    ("infirmier", "IKM"): _always("0.50"),
    ("infirmier", "IKS"): _always("3.40"),
    # A.6 kinés — AMK/AMS 2.15 → 2.21 (22/02/2024)
    ("masseur_kinesitherapeute", "AMS"): [
        (date(2020, 1, 1), date(2024, 2, 22), D("2.15")),
        (date(2024, 2, 22), OPEN, D("2.21")),
    ],
    ("masseur_kinesitherapeute", "AMK"): [(date(2024, 2, 22), OPEN, D("2.21"))],
    ("masseur_kinesitherapeute", "IFD"): _always("2.50"),
    ("masseur_kinesitherapeute", "IK"): _always("0.38"),
    # A.7 sages-femmes
    ("sage_femme", "C"): _always("23.00"),
    ("sage_femme", "MSF"): _always("3.50"),
    # A.8 dentistes — EBD BDA 40 from 01/04/2025 (ex-BDC 30)
    ("chirurgien_dentiste", "C"): _always("23.00"),
    ("chirurgien_dentiste", "BDC"): [(date(2020, 1, 1), date(2025, 4, 1), D("30.00"))],
    ("chirurgien_dentiste", "BDA"): [(date(2025, 4, 1), OPEN, D("40.00"))],
    ("chirurgien_dentiste", "BDB"): [(date(2025, 4, 1), OPEN, D("52.00"))],
    # A.9
    ("orthophoniste", "AMO"): _always("2.60"),
    ("orthoptiste", "AMY"): _always("2.60"),
}

# B.5 two grids (secteur1_optam, hors_secteur1_hors_optam). AFLB001 at 50.56 on both grids is
# the manuel eS-KAP+ worked FSE (01/01/2025); QZJA002/DEQP003/HBJD001 are CCAM v81 values.
CCAM: dict[str, tuple[Decimal, Decimal]] = {
    "AFLB001": (D("50.56"), D("50.56")),
    "AHQB024": (D("64.80"), D("59.36")),
    "AHQB013": (D("73.44"), D("64.37")),
    "QZJA002": (D("26.60"), D("24.21")),
    "DEQP003": (D("14.77"), D("13.81")),
    "HBJD001": (D("28.92"), D("28.92")),
}
# B.3 modifiers: urgences in euros, E and K in percent.
MODIFIERS: dict[str, tuple[ModifierKind, Decimal]] = {
    "U": ("amount", D("25.15")),
    "F": ("amount", D("19.06")),
    "P": ("amount", D("35.00")),
    "S": ("amount", D("40.00")),
    "M": ("amount", D("26.88")),
    "E": ("percent", D("49")),
    "K": ("percent", D("20")),
}
# Allowed modifiers per act (QZJA002 with E added for the percent + amount worked example).
ALLOWED: dict[str, tuple[str, ...]] = {
    "AFLB001": ("F", "P", "S", "U"),
    "AHQB024": ("F", "P", "S", "U"),
    "AHQB013": ("F", "P", "S", "U"),
    "QZJA002": ("E", "F", "M", "P", "S", "U"),
    "DEQP003": ("F", "P", "S", "U"),
    "HBJD001": (),
}
_GRIDS = ("secteur1_optam", "hors_secteur1_hors_optam")


class FakeTariffs:
    """``TariffSource`` over the tables above."""

    def ngap(self, profession: str, code: str, on: date) -> Decimal | None:
        for start, end, value in NGAP.get((profession, code), []):
            if start <= on < end:
                return value
        return None

    def ccam_price(
        self, code: str, activity: int, phase: int, grid: str, on: date
    ) -> Decimal | None:
        prices = CCAM.get(code)
        if prices is None or activity != 1 or phase != 0:
            return None
        return prices[_GRIDS.index(grid)]

    def ccam_modifier(self, code: str, grid: str, on: date) -> tuple[ModifierKind, Decimal] | None:
        return MODIFIERS.get(code)

    def ccam_allowed_modifiers(self, code: str) -> tuple[str, ...] | None:
        return ALLOWED.get(code)


BASE_DOC: dict[str, object] = {
    "date_soins": "2025-03-03",
    "profession": "medecin",
    "ps": {"specialite": "medecine_generale", "secteur": 1, "optam": False},
    "patient": {"age": 40, "regime": "01", "parcours": "medecin_traitant"},
    "nature_assurance": "maladie",
    "acts": [{"code": "G", "nomenclature": "NGAP"}],
    "amc": None,
    "tiers_payant": {"amo": False, "amc": False},
}


def make_doc(**changes: object) -> dict[str, object]:
    """A médecin généraliste's draft of 03/03/2025 (G, adult in parcours) with ``changes``.

    ``patient=`` and ``ps=`` are merged into the defaults; other keys replace them.
    """
    doc = copy.deepcopy(BASE_DOC)
    for key, value in changes.items():
        if key in ("patient", "ps") and isinstance(value, dict):
            merged = dict(doc[key])  # type: ignore[call-overload]
            merged.update(value)
            doc[key] = merged
        else:
            doc[key] = value
    return doc


@pytest.fixture
def tariffs() -> FakeTariffs:
    return FakeTariffs()


@pytest.fixture
def priced(tariffs: FakeTariffs) -> Callable[[dict[str, object]], dict[str, object]]:
    def run(doc: dict[str, object]) -> dict[str, object]:
        return price_document(doc, tariffs)

    return run


@pytest.fixture
def doc() -> Callable[..., dict[str, object]]:
    return make_doc


def _warning_codes(result: dict[str, object]) -> list[str]:
    warnings = result["warnings"]
    assert isinstance(warnings, list)
    return [warning["code"] for warning in warnings]


@pytest.fixture
def warning_codes() -> Callable[[dict[str, object]], list[str]]:
    """The machine codes of a priced invoice's warnings, in order."""
    return _warning_codes
