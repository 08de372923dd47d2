"""The engine on the product's own tariffs: NGAP referential + bundled CCAM (v81, 2026)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from openfse.domain.pricing import DraftError, ReferentialTariffs, price_document
from openfse.referentials.ccam import bundled_catalog


@pytest.fixture(scope="module")
def real() -> ReferentialTariffs:
    return ReferentialTariffs(bundled_catalog())


def test_g_with_the_ngap_referential(real, doc):
    # G 30.00 in 2026 (ngap.csv), 70 % = 21.00, PF 2 → 19.00.
    result = price_document(doc(date_soins="2026-03-02"), real)
    assert (result["amo_brut"], result["amo_net"]) == (D("21.00"), D("19.00"))


def test_ccam_v81_grids_and_modifier_from_the_bundled_catalogue(real, doc):
    # CCAM v81 (01/01/2026): AFLB001 52.96 (secteur 1/OPTAM) / 37.17 (hors); F = 19.06 €.
    act = [{"code": "AFLB001", "nomenclature": "CCAM", "modifiers": ["F"]}]
    s1 = price_document(doc(date_soins="2026-03-01", acts=act), real)
    s2 = price_document(doc(date_soins="2026-03-01", ps={"secteur": 2}, acts=act), real)
    # 52.96 + 19.06 = 72.02 and 37.17 + 19.06 = 56.23.
    assert (s1["total_br"], s2["total_br"]) == (D("72.02"), D("56.23"))


def test_modifier_not_allowed_by_the_catalogue_is_flagged(real, doc):
    # HBJD001 (détartrage) lists no modifier in the v81 export.
    result = price_document(
        doc(
            date_soins="2026-03-02",
            profession="chirurgien_dentiste",
            ps={"specialite": None},
            acts=[{"code": "HBJD001", "nomenclature": "CCAM", "modifiers": ["U"]}],
        ),
        real,
    )
    assert [w["code"] for w in result["warnings"]] == ["modificateur_non_autorise"]
    assert result["total_br"] == D("54.07")  # 28.92 + U 25.15


def test_nurse_codes_and_aliases(real, doc):
    # IFA is an alias of IFD (ngap_aliases.csv): AMI 2 × 3.15 = 6.30 + 2.75 = 9.05.
    result = price_document(
        doc(
            date_soins="2026-03-02",
            profession="infirmier",
            ps={"specialite": None},
            acts=[{"code": "AMI", "coefficient": 2}, {"code": "IFA"}],
        ),
        real,
    )
    assert result["total_br"] == D("9.05")


def test_ccam_before_the_catalogue_version_needs_a_price(real, doc):
    # The bundled catalogue starts at v81 (01/01/2026): no tariff for 2025.
    with pytest.raises(DraftError) as raised:
        price_document(
            doc(date_soins="2025-06-02", acts=[{"code": "AFLB001", "nomenclature": "CCAM"}]), real
        )
    assert raised.value.field == "acts[0].code"


def test_default_tariffs_are_used_when_none_are_given(doc):
    assert price_document(doc(date_soins="2026-03-02"))["total_br"] == D("30.00")
