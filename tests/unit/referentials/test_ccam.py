"""CCAM catalogue: dated lookups per grid, modifiers, version merge, bundled subset."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from openfse.referentials.ccam import (
    GRID_HORS,
    GRID_S1,
    CcamAct,
    CcamCatalog,
    CcamDataError,
    CcamLine,
    CcamModifier,
    CcamTariff,
    CcamVersionOrderError,
    ModifierValue,
    bundled_catalog,
)

V80 = date(2025, 1, 1)
V81 = date(2026, 1, 1)


def tariffs(start: date, s1: str | None, hors: str | None) -> tuple[CcamTariff, ...]:
    def price(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    return (CcamTariff(GRID_S1, price(s1), start), CcamTariff(GRID_HORS, price(hors), start))


def act(code: str, *lines: CcamLine, label: str = "", modifiers: tuple[str, ...] = ()) -> CcamAct:
    return CcamAct(
        code=code,
        label=label or f"Acte {code}",
        chapter="01.01",
        chapter_label="Chapitre",
        regroupement="ATM",
        exo_tm="1",
        remb_sous_conditions=False,
        accord_prealable=False,
        modifiers=modifiers,
        associated_codes=(),
        lines=lines,
    )


def modifier(code: str, start: date, s1: ModifierValue, hors: ModifierValue) -> CcamModifier:
    return CcamModifier(code, f"Modificateur {code}", {GRID_S1: s1, GRID_HORS: hors}, start)


def percent(value: str) -> ModifierValue:
    return ModifierValue("percent", Decimal(value))


def euros(value: str) -> ModifierValue:
    return ModifierValue("amount", Decimal(value))


# Version "80" (2025): the eS-KAP+ manual bills AFLB001 at 50.56 € on 01/01/2025.
OLD = CcamCatalog(
    version="80",
    acts=(
        act("AFLB001", CcamLine(1, 0, "", tariffs(V80, "50.56", "37.17")), modifiers=("F", "U")),
        act("AHQP001", CcamLine(1, 0, "", tariffs(V80, "10.00", "10.00"))),
        act(
            "AAFA001",
            CcamLine(1, 0, "", tariffs(V80, "650.00", "600.00")),
            CcamLine(4, 0, "anesthésie", tariffs(V80, "530.00", "530.00")),
        ),
    ),
    modifiers=(modifier("K", V80, percent("20"), percent("20")),),
)
# Version 81 (2026): AFLB001 52.96 / 37.17; AHQP001 becomes "Non pris en charge"; AAFA001
# loses its anaesthesia line (for the test); HBJD001 is new; K becomes +30 % / +25 %.
NEW = CcamCatalog(
    version="81",
    acts=(
        act("AFLB001", CcamLine(1, 0, "", tariffs(V81, "52.96", "37.17")), modifiers=("F", "P")),
        act("AHQP001", CcamLine(1, 0, "", tariffs(V81, None, None))),
        act("AAFA001", CcamLine(1, 0, "", tariffs(V81, "674.71", "610.78"))),
        act("HBJD001", CcamLine(1, 0, "", tariffs(V81, "28.92", "28.92"))),
    ),
    modifiers=(
        modifier("K", V81, percent("30"), percent("25")),
        modifier("U", V81, euros("25.15"), euros("25.15")),
    ),
)


# --------------------------------------------------------------------------------------------
# Lookups
# --------------------------------------------------------------------------------------------


def test_price_per_grid_at_a_date() -> None:
    assert NEW.price("AFLB001", 1, 0, GRID_S1, date(2026, 3, 2)) == Decimal("52.96")
    assert NEW.price("AFLB001", 1, 0, GRID_HORS, date(2026, 3, 2)) == Decimal("37.17")
    assert NEW.price("aflb001 ", 1, 0, GRID_S1, V81) == Decimal("52.96")  # typed by hand


@pytest.mark.parametrize(
    ("code", "activity", "phase", "grid", "on"),
    [
        ("ZZZZ999", 1, 0, GRID_S1, V81),  # unknown code
        ("AFLB001", 4, 0, GRID_S1, V81),  # no anaesthesia line
        ("AFLB001", 1, 1, GRID_S1, V81),  # no phase 1
        ("AFLB001", 1, 0, "secteur2", V81),  # unknown grid
        ("AFLB001", 1, 0, GRID_S1, date(2025, 12, 31)),  # before the version applies
        ("AHQP001", 1, 0, GRID_S1, V81),  # "Non pris en charge"
    ],
)
def test_price_is_none_and_never_raises(
    code: str, activity: int, phase: int, grid: str, on: date
) -> None:
    assert NEW.price(code, activity, phase, grid, on) is None
    assert not NEW.is_reimbursable(code, activity, phase, grid, on)


def test_zero_price_is_a_tariff_not_a_refusal() -> None:
    # v81 prices some anaesthesia lines 0.00 €: reimbursable, nothing added.
    catalog = CcamCatalog(
        "t", (act("BHQB001", CcamLine(4, 0, "", tariffs(V81, "0.00", "0.00"))),), ()
    )
    assert catalog.price("BHQB001", 4, 0, GRID_S1, V81) == Decimal("0.00")
    assert catalog.is_reimbursable("BHQB001", 4, 0, GRID_S1, V81)


def test_act_and_allowed_modifiers() -> None:
    found = NEW.act("AFLB001")
    assert found is not None and found.code == "AFLB001"
    assert NEW.allowed_modifiers("AFLB001") == ("F", "P")
    assert NEW.allowed_modifiers("ZZZZ999") == ()
    assert NEW.act("ZZZZ999") is None


def test_modifier_value_per_grid() -> None:
    assert NEW.modifier("K", GRID_S1, V81) == percent("30")
    assert NEW.modifier("K", GRID_HORS, V81) == percent("25")
    assert NEW.modifier("U", GRID_HORS, V81) == euros("25.15")
    assert NEW.modifier("U", GRID_S1, date(2025, 6, 1)) is None
    assert NEW.modifier("X", GRID_S1, V81) is None
    assert NEW.modifier("K", "secteur2", V81) is None


# --------------------------------------------------------------------------------------------
# Version merge
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def merged() -> CcamCatalog:
    return OLD.merge(NEW)


def test_merge_closes_old_tariffs_the_day_before(merged: CcamCatalog) -> None:
    # AFLB001: 50.56 € until 31/12/2025 (v80), 52.96 € from 01/01/2026 (v81).
    assert merged.price("AFLB001", 1, 0, GRID_S1, date(2025, 12, 31)) == Decimal("50.56")
    assert merged.price("AFLB001", 1, 0, GRID_S1, V81) == Decimal("52.96")
    line = merged.act("AFLB001").line(1, 0)  # type: ignore[union-attr]
    assert line is not None
    assert [(t.grid, t.price, t.start, t.end) for t in line.tariffs] == [
        (GRID_S1, Decimal("50.56"), V80, date(2025, 12, 31)),
        (GRID_S1, Decimal("52.96"), V81, None),
        (GRID_HORS, Decimal("37.17"), V80, date(2025, 12, 31)),
        (GRID_HORS, Decimal("37.17"), V81, None),
    ]
    assert merged.version == "81" and merged.applicable == V81


def test_merge_takes_act_data_from_the_newer_version(merged: CcamCatalog) -> None:
    assert merged.allowed_modifiers("AFLB001") == ("F", "P")


def test_merge_becoming_not_reimbursed(merged: CcamCatalog) -> None:
    assert merged.is_reimbursable("AHQP001", 1, 0, GRID_S1, date(2025, 12, 31))
    assert not merged.is_reimbursable("AHQP001", 1, 0, GRID_S1, V81)


def test_merge_keeps_history_of_lines_and_acts_gone(merged: CcamCatalog) -> None:
    # AAFA001's anaesthesia line is not in v81: still priced for care before 2026.
    assert merged.price("AAFA001", 4, 0, GRID_S1, date(2025, 6, 1)) == Decimal("530.00")
    assert merged.price("AAFA001", 4, 0, GRID_S1, V81) is None
    gone = OLD.merge(CcamCatalog("81", (NEW.act("HBJD001"),), ()))  # type: ignore[arg-type]
    assert gone.price("AFLB001", 1, 0, GRID_S1, date(2025, 12, 31)) == Decimal("50.56")
    assert gone.price("AFLB001", 1, 0, GRID_S1, V81) is None
    assert gone.act("AFLB001") is not None  # still described, for old invoices


def test_merge_adds_new_acts_from_their_date(merged: CcamCatalog) -> None:
    assert merged.price("HBJD001", 1, 0, GRID_S1, date(2025, 12, 31)) is None
    assert merged.price("HBJD001", 1, 0, GRID_S1, V81) == Decimal("28.92")


def test_merge_dates_modifiers(merged: CcamCatalog) -> None:
    # K: +20 % in 2025, +30 % (S1/OPTAM-ACO) / +25 % from 2026.
    assert merged.modifier("K", GRID_S1, date(2025, 12, 31)) == percent("20")
    assert merged.modifier("K", GRID_S1, V81) == percent("30")
    assert merged.modifier("K", GRID_HORS, V81) == percent("25")
    assert [(m.code, m.start, m.end) for m in merged.modifiers] == [
        ("K", V80, date(2025, 12, 31)),
        ("K", V81, None),
        ("U", V81, None),
    ]


def test_merging_again_the_same_version_changes_nothing(merged: CcamCatalog) -> None:
    assert merged.merge(NEW) == merged


def test_merging_a_corrected_export_of_the_same_date_replaces_it(merged: CcamCatalog) -> None:
    corrected = CcamCatalog(
        "81", (act("AFLB001", CcamLine(1, 0, "", tariffs(V81, "53.00", "37.17"))),), ()
    )
    again = merged.merge(corrected)
    assert again.price("AFLB001", 1, 0, GRID_S1, V81) == Decimal("53.00")
    assert again.price("AFLB001", 1, 0, GRID_S1, date(2025, 12, 31)) == Decimal("50.56")


def test_merging_an_older_version_is_refused(merged: CcamCatalog) -> None:
    with pytest.raises(CcamVersionOrderError) as raised:
        merged.merge(OLD)
    assert raised.value.code == "ccam_version_order"
    assert "antérieure" in raised.value.message and "01/01/2025" in raised.value.message


def test_merging_a_catalogue_without_tariff_is_refused() -> None:
    with pytest.raises(CcamDataError, match="aucun tarif"):
        OLD.merge(CcamCatalog("vide", (), ()))


# --------------------------------------------------------------------------------------------
# Invariants of the value objects
# --------------------------------------------------------------------------------------------


def test_duplicate_code_is_refused() -> None:
    blood_patch = OLD.act("AFLB001")
    assert blood_patch is not None
    with pytest.raises(CcamDataError, match="AFLB001"):
        CcamCatalog("t", (blood_patch, blood_patch), ())


@pytest.mark.parametrize(
    ("grid", "price", "end"),
    [
        ("secteur2", Decimal("1"), None),
        (GRID_S1, Decimal("-1"), None),
        (GRID_S1, Decimal("NaN"), None),
        (GRID_S1, Decimal("1"), date(2024, 12, 31)),
    ],
)
def test_invalid_tariff_is_refused(grid: str, price: Decimal, end: date | None) -> None:
    with pytest.raises(CcamDataError):
        CcamTariff(grid, price, V80, end)


def test_invalid_modifier_value_is_refused() -> None:
    with pytest.raises(CcamDataError):
        ModifierValue("ratio", Decimal("1"))  # type: ignore[arg-type]
    with pytest.raises(CcamDataError):
        ModifierValue("percent", Decimal("Infinity"))


def test_invalid_modifier_definition_is_refused() -> None:
    with pytest.raises(CcamDataError, match="secteur2"):
        CcamModifier("U", "Urgence", {"secteur2": euros("25.15")}, V81)
    with pytest.raises(CcamDataError, match="fin"):
        CcamModifier("U", "Urgence", {GRID_S1: euros("25.15")}, V81, date(2025, 1, 1))


def test_modifier_values_are_read_only() -> None:
    k = NEW.modifier_definition("K", V81)
    assert k is not None
    with pytest.raises(TypeError):
        k.grid_values[GRID_S1] = percent("99")  # type: ignore[index]
    assert hash(k) == hash(NEW.modifier_definition("K", V81))


def test_order_of_input_does_not_matter() -> None:
    shuffled = CcamCatalog(
        "81",
        tuple(reversed(NEW.acts)),
        tuple(reversed(NEW.modifiers)),
    )
    assert shuffled == NEW
    line = CcamLine(1, 0, "", tuple(reversed(tariffs(V81, "1.00", "2.00"))))
    assert line == CcamLine(1, 0, "", tariffs(V81, "1.00", "2.00"))


# --------------------------------------------------------------------------------------------
# Bundled subset (shipped in the package)
# --------------------------------------------------------------------------------------------


def test_bundled_subset_is_ccam_v81_with_common_acts() -> None:
    catalog = bundled_catalog()
    assert catalog is bundled_catalog()  # loaded once
    assert catalog.version == "81" and catalog.applicable == V81
    assert 150 <= len(catalog.acts) <= 300
    for code in ("DEQP003", "QZJA002", "JKHD001", "MZLB001", "BGQP002", "HBJD001", "HBMD058",
                 "ZBQK002", "AFLB001", "JQGD010"):  # fmt: skip
        assert catalog.act(code) is not None, code
    assert len(catalog.modifiers) == 30


def test_bundled_subset_prices_worked_examples() -> None:
    catalog = bundled_catalog()
    on = date(2026, 3, 2)
    # HBJD001 détartrage 28.92 € (docs/rules.md §A.8); DEQP003 ECG 14.77 / 13.81 €.
    assert catalog.price("HBJD001", 1, 0, GRID_S1, on) == Decimal("28.92")
    assert catalog.price("DEQP003", 1, 0, GRID_S1, on) == Decimal("14.77")
    assert catalog.price("DEQP003", 1, 0, GRID_HORS, on) == Decimal("13.81")
    assert catalog.modifier("U", GRID_S1, on) == euros("25.15")
    assert catalog.modifier("E", GRID_S1, on) == percent("49")
