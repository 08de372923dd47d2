"""Pricing from the patient file equals pricing from the equivalent explicit ``openfse price``
draft (docs/formats/price.md), for every coverage situation hypothesis can build.

The explicit draft is written here from the contract's vocabulary, independently of
``domain/coverage.py``: which AMC number is which situation (the shipped AMC list,
referentials/data/amc_organisms.csv), which formulas need a parameter (012, 021, 02A, 050),
what each situation imposes (AME, C2S and sortant de C2S: ameli.fr pages cited in
domain/coverage.py). The file path goes through ``pricing_situation`` + ``apply_situation``,
the mapping the invoice screen, the API and the CLI use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from openfse.domain.coverage import (
    AldRight,
    AmcRight,
    AmoRight,
    CoverageFile,
    apply_situation,
    contract_document,
    pricing_situation,
)
from openfse.domain.pricing import parse_draft, price, price_document, priced_to_json
from openfse.domain.pricing.codes import Gestion
from openfse.domain.pricing.contract import default_tariffs
from openfse.periods import Period

ON = date(2026, 3, 2)

# AMC number → situation, as the shipped list says (amc_organisms.csv).
MUTUELLE, C2S, AME, SORTANT, MAHORAIS = "mutuelle", "c2s", "ame", "sortant", "mahorais"
NUMBERS = {
    MUTUELLE: ("98532001", "99990006"),
    C2S: ("99999997", "88888888"),
    AME: ("75500017",),
    SORTANT: ("55555551",),
    MAHORAIS: ("97900062",),
}
KIND_OF = {number: kind for kind, numbers in NUMBERS.items() for number in numbers}
WITH_PARAMETER = frozenset({"012", "021", "02A", "050"})
FORMULAS = (None, "052", "020", "029", "012", "021", "02A", "050", "030")  # 030: unknown

# Invoice shapes: a GP in the parcours, a secteur 2 specialist with a dépassement, a nurse.
SHAPES: tuple[dict[str, Any], ...] = (
    {"profession": "medecin", "ps": {"specialite": "medecine_generale", "secteur": 1},
     "acts": [{"code": "G"}]},
    {"profession": "medecin", "ps": {"specialite": "cardiologie", "secteur": 2},
     "acts": [{"code": "CS", "qualificatif": "D", "depassement": 20}]},
    {"profession": "infirmier", "acts": [{"code": "AMI", "coefficient": 4.5}, {"code": "IFD"}]},
)


def periods() -> st.SearchStrategy[Period]:
    """A period covering ``ON``, ended before it, starting after it, or undated."""
    return st.sampled_from((
        Period(date(2026, 1, 1), date(2026, 12, 31)),
        Period(date(2025, 1, 1), ON - timedelta(days=1)),
        Period(ON + timedelta(days=1), date(2027, 6, 30)),
        Period(ON, ON),
        Period(),
    ))


@st.composite
def amc_rights(draw: st.DrawFn, ident: int) -> AmcRight:
    kind = draw(st.sampled_from(tuple(NUMBERS)))
    formula = draw(st.sampled_from(FORMULAS))
    parameter = draw(st.sampled_from((None, Decimal(100), Decimal(150), Decimal("33.5"))))
    return AmcRight(
        id=ident, amc_number=draw(st.sampled_from(NUMBERS[kind])), period=draw(periods()),
        name=draw(st.sampled_from((None, "ALMERYS"))),
        contract_type="89" if kind == C2S else None,
        formula_code=formula, formula_parameter=parameter,
        gestion=draw(st.sampled_from(tuple(Gestion))), tiers_payant=draw(st.booleans()),
        contrat_responsable=draw(st.booleans()))


@st.composite
def files(draw: st.DrawFn) -> CoverageFile:
    count = draw(st.integers(0, 3))
    return CoverageFile(
        birth_date=draw(st.one_of(st.none(), st.dates(date(1930, 1, 1), date(2025, 12, 31)))),
        alsace_moselle=draw(st.booleans()),
        amo=tuple(draw(st.lists(st.builds(
            AmoRight, periods(), st.sampled_from(("01", "02", "03")),
            st.sampled_from((None, "0", "3", "4", "5", "7", "9")), st.booleans()),
            max_size=2))),
        alds=tuple(draw(st.lists(st.builds(AldRight, st.just("8"), periods()), max_size=2))),
        amcs=tuple(draw(amc_rights(ident)) for ident in range(1, count + 1)),
    )


@dataclass(frozen=True)
class Invoice:
    shape: dict[str, Any]
    parcours: str
    nature: str
    victime_attentat: bool


invoices = st.builds(Invoice, st.sampled_from(SHAPES),
                     st.sampled_from(("medecin_traitant", "hors_parcours", "non_concerne")),
                     st.sampled_from(("maladie", "maladie", "maternite", "at")),
                     st.booleans())


def base(invoice: Invoice) -> dict[str, Any]:
    return {"date_soins": ON.isoformat(), "nature_assurance": invoice.nature, **invoice.shape}


def usable(right: AmcRight) -> str | None:
    """The formula a contract prices with, as the contract page says (None: none)."""
    kind = KIND_OF[right.amc_number]
    if kind in (AME, SORTANT):
        return None
    if kind == C2S:
        return "029"
    code = right.formula_code or ("052" if kind == MAHORAIS else None)
    if code is None or code == "030":
        return None
    if code in WITH_PARAMETER and right.formula_parameter is None:
        return None
    return code


def explicit(file: CoverageFile, invoice: Invoice) -> dict[str, Any]:
    """The ``openfse price`` draft a careful integrator writes for this file."""
    doc = base(invoice)
    amo = next((row for row in file.amo if row.period.covers(ON)), None)
    patient: dict[str, Any] = {"parcours": invoice.parcours, "regime": amo.regime if amo else "01",
                               "victime_attentat": invoice.victime_attentat}
    if file.birth_date is not None:
        patient["birth_date"] = file.birth_date.isoformat()
    patient["regime_local_alsace_moselle"] = file.alsace_moselle or bool(amo and amo.alsace_moselle)
    exo = amo.exoneration if amo else None
    patient["ald"] = any(a.period.covers(ON) for a in file.alds)
    in_force = [r for r in file.amcs if r.period.covers(ON)]
    kinds = {KIND_OF[r.amc_number] for r in in_force}
    patient["c2s"] = C2S in kinds
    patient["ame"] = AME in kinds and C2S not in kinds
    if SORTANT in kinds and C2S not in kinds:
        patient["sortant_c2s"] = "55555551"
    doc["patient"] = patient
    if exo in ("3", "5", "7", "9") and invoice.nature == "maladie":
        doc["exo"] = exo
    chosen: AmcRight | None
    if C2S in kinds:
        chosen = next(r for r in in_force if KIND_OF[r.amc_number] == C2S)
    else:
        chosen = next((r for r in in_force if usable(r) is not None), None)
    if chosen is not None:
        code = usable(chosen)
        assert code is not None
        amc: dict[str, Any] = {"formula": code, "gestion": chosen.gestion.value,
                               "contrat_responsable": chosen.contrat_responsable
                               and KIND_OF[chosen.amc_number] != C2S}
        if code in WITH_PARAMETER:
            amc["parameter"] = chosen.formula_parameter
        doc["amc"] = amc
    chosen_tp = chosen is not None and (chosen.tiers_payant or patient["c2s"])
    doc["tiers_payant"] = {
        # C2S, AME, sortant de C2S, victims: imposed; ALD and a mutuelle in TP: ticked.
        "amo": (patient["c2s"] or patient["ame"] or "sortant_c2s" in patient or chosen_tp
                or patient["ald"] or invoice.victime_attentat),
        "amc": patient["c2s"] or chosen_tp,
    }
    return doc


def from_file(file: CoverageFile, invoice: Invoice) -> dict[str, Any]:
    doc = base(invoice)
    doc["patient"] = {"parcours": invoice.parcours, "victime_attentat": invoice.victime_attentat}
    draft = apply_situation(parse_draft(doc), pricing_situation(file, ON))
    return dict(priced_to_json(price(draft, default_tariffs())))


@settings(max_examples=300, deadline=None)
@given(files(), invoices)
def test_pricing_from_the_file_equals_the_explicit_draft(file: CoverageFile,
                                                         invoice: Invoice) -> None:
    expected = price_document(explicit(file, invoice))
    assert from_file(file, invoice) == expected
    # The situation written in the contract's words (what ``openfse price --patient`` adds)
    # prices the same too.
    written = contract_document(pricing_situation(file, ON))
    doc = base(invoice) | written
    if invoice.nature != "maladie":
        doc.pop("exo", None)
    assert isinstance(written["patient"], dict)
    doc["patient"] = written["patient"] | {"parcours": invoice.parcours,
                                           "victime_attentat": invoice.victime_attentat}
    if invoice.victime_attentat:
        doc["tiers_payant"] = {**doc["tiers_payant"], "amo": True}
    assert price_document(doc) == expected


def right(kind: str, **changes: Any) -> AmcRight:
    values: dict[str, Any] = {"id": 1, "amc_number": NUMBERS[kind][0],
                              "period": Period(date(2026, 1, 1), date(2026, 12, 31)),
                              "contract_type": "89" if kind == C2S else None}
    values.update(changes)
    return AmcRight(**values)


GP = Invoice(SHAPES[0], "medecin_traitant", "maladie", False)


def test_an_ame_patient_is_covered_at_100_percent_in_tiers_payant_without_participation(
) -> None:
    # ameli.fr AME: 100 % of the tarif, dispense d'avance des frais, no PF: G 30 → AMO 30.
    priced = from_file(CoverageFile(amcs=(right(AME),)), GP)
    assert (priced["amo_brut"], priced["participation_forfaitaire"]) == (Decimal("30.00"),
                                                                        Decimal("0.00"))
    assert priced["tiers_payant"] == {"amo": True, "amc": False}
    assert priced["a_regler_par_patient_au_ps"] == Decimal("0.00")
    assert priced["warnings"] == []  # nothing to confirm at the desk


def test_a_sortant_de_c2s_has_tiers_payant_on_the_amo_part_only() -> None:
    # G 30: AMO 21 paid by the caisse, the patient pays the TM 9 at the desk; PF 2 € due.
    priced = from_file(CoverageFile(amcs=(right(SORTANT),)), GP)
    assert priced["tiers_payant"] == {"amo": True, "amc": False}
    assert (priced["amo_brut"], priced["amc"]) == (Decimal("21.00"), Decimal("0.00"))
    assert priced["a_regler_par_patient_au_ps"] == Decimal("9.00")
    assert priced["participation_forfaitaire"] == Decimal("2.00")


def test_the_regime_mahorais_pays_the_ticket_moderateur_in_gestion_unique() -> None:
    # The CSSM's exonération du TM (complementaire-sante-solidaire.gouv.fr/node/185): G 30 →
    # AMO 21 + TM 9, both paid by the caisse (gestion unique, tiers payant).
    priced = from_file(CoverageFile(amcs=(right(MAHORAIS, gestion=Gestion.UNIQUE,
                                                tiers_payant=True),)), GP)
    assert (priced["amo_brut"], priced["amc"]) == (Decimal("21.00"), Decimal("9.00"))
    assert priced["paiements"] == {"caisse": Decimal("30.00"), "organisme_amc": Decimal("0.00"),
                                   "patient": Decimal("0.00")}


def test_the_mutuelle_in_force_is_chosen_with_its_tiers_payant() -> None:
    # Issue 13 defect 3: an ALMERYS 052 attestation in TP → G 30: nothing to pay at the desk.
    file = CoverageFile(amcs=(right(MUTUELLE, name="ALMERYS", formula_code="052",
                                    tiers_payant=True),))
    situation = pricing_situation(file, ON)
    assert situation.amc_coverage_id == 1 and situation.labels == {1: "ALMERYS — 052 100 %"}
    priced = from_file(file, GP)
    assert (priced["amc"], priced["a_regler_par_patient_au_ps"]) == (Decimal("9.00"),
                                                                    Decimal("0.00"))


def test_a_mutuelle_without_formula_is_listed_and_said_not_chosen() -> None:
    # A fiche saved from an attestation that printed no formula: it cannot price the AMC
    # share; the screen lists it « à compléter » and says why, instead of a silent « aucune ».
    file = CoverageFile(amcs=(right(MUTUELLE, name="ALMERYS", tiers_payant=True),))
    situation = pricing_situation(file, ON)
    assert situation.amc_coverage_id is None and situation.amc is None
    assert situation.labels == {1: "ALMERYS — formule à compléter"}
    assert any("formule complémentaire non renseignée" in r for r in situation.reasons)
