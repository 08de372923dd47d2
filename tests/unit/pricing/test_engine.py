"""The engine's own mechanics: result assembly, pipeline order, purity."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from datetime import date
from decimal import Decimal as D
from pathlib import Path

from openfse.domain import pricing
from openfse.domain.pricing import engine
from openfse.domain.pricing.draft import ActDraft
from openfse.domain.pricing.result import PricedAct
from openfse.domain.pricing.work import Line
from openfse.referentials.regulatory import snapshot


def test_priced_act_is_built_with_every_field_in_its_place():
    # _priced_act passes the fields positionally (speed): give every source a distinct value
    # and check that each lands in the field of the same meaning.
    line = Line(7, ActDraft(code="CODE"), date(2026, 1, 2), snapshot(date(2026, 1, 2)))
    sources = {
        "quantity": "quantity", "coefficient": "coefficient", "unit_price": "unit_price",
        "modifiers": "modifiers", "association_code": "association_code",
        "qualificatif": "qualificatif", "exo": "exo", "br": "br",
        "depassement": "depassement", "honoraires": "honoraires", "taux": "taux_amo",
        "amo": "amo", "amc": "amc", "patient": "patient", "forfait_24": "forfait_24",
        "pf": "participation_forfaitaire", "franchise": "franchise",
    }  # fmt: skip
    for attribute in sources:
        setattr(line, attribute, f"<{attribute}>")
    act = engine._priced_act(line)
    assert (act.index, act.code, act.date) == (7, "CODE", date(2026, 1, 2))
    assert act.nomenclature == "NGAP"
    for attribute, field in sources.items():
        assert getattr(act, field) == f"<{attribute}>", field
    assert len(dataclasses.fields(PricedAct)) == len(sources) + 4


def test_invoice_totals_land_in_their_fields(priced, doc):
    # G 30 + DE 15 = 45; AMO 21, PF 2 → net 19; AMC 052 9; patient 45 − 21 − 9 = 15;
    # final 45 − 19 − 9 = 17; TP AMO: desk 45 − 21 = 24.
    result = priced(
        doc(
            acts=[{"code": "G", "qualificatif": "E", "depassement": 15}],
            amc={"formula": "052"},
            tiers_payant={"amo": True, "amc": False},
        )
    )
    expected = {
        "total_honoraires": D("45.00"), "total_br": D("30.00"), "amo_brut": D("21.00"),
        "participation_forfaitaire": D("2.00"), "participation_forfaitaire_count": 1,
        "amo_net": D("19.00"), "amc": D("9.00"), "patient": D("15.00"),
        "reste_a_charge_final": D("17.00"), "a_regler_par_patient_au_ps": D("24.00"),
        "forfait_acte_lourd_24": D("0.00"), "franchise": D("0.00"),
    }  # fmt: skip
    assert {key: result[key] for key in expected} == expected
    assert result["date_soins"] == "2025-03-03" and result["profession"] == "medecin"


def test_ccam_steps_are_skipped_only_for_invoices_without_ccam():
    skipped = set(engine.PIPELINE) - set(engine._PIPELINE_WITHOUT_CCAM)
    assert {step.__module__.rsplit(".", 1)[1] for step in skipped} == {
        "valuation_ccam", "modifiers", "association",
    }  # fmt: skip


def test_the_engine_is_pure():
    # ARCHITECTURE: domain imports nothing from store/services/web/adapters, reads no clock.
    package = Path(inspect.getfile(pricing)).parent
    for module in package.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(
                    ("openfse.store", "openfse.services", "openfse.web", "openfse.adapters")
                ), module.name
            if isinstance(node, ast.Attribute) and node.attr in ("today", "now"):
                raise AssertionError(f"{module.name} reads the clock")
