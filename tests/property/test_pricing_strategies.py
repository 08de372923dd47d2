"""Hypothesis strategies of realistic invoice drafts (price contract documents).

The drafts use the product's own tariffs (NGAP referential, bundled CCAM v81): codes are drawn
from what each profession bills, dates from 2026 (the CCAM subset starts on 01/01/2026), and
every option of the contract appears: natures, exonérations, ALD, C2S/AME, parcours,
qualificatifs and dépassements, manual totals, CCAM modifiers and association codes, AMC
formulas, tiers payant. Every generated draft is valid: the engine must price it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from openfse.domain.pricing import parse_draft

NGAP_CODES: dict[str, list[str]] = {
    "medecin": ["G", "VG", "MEG", "MCG", "C", "CS", "MCS", "APC", "MD", "MN", "F", "IK"],
    "infirmier": ["AMI", "AIS", "IFD", "N", "F", "MIE", "MAU", "IK"],
    "masseur_kinesitherapeute": ["AMS", "AMK", "IFD", "IK"],
    "sage_femme": ["C", "V", "MSF", "SF"],
    "chirurgien_dentiste": ["C", "BDA", "BDB"],
    "orthophoniste": ["AMO"],
    "orthoptiste": ["AMY"],
    "pedicure_podologue": [],
}
COX_CODES = ["COE", "COB", "COD"]
# CCAM v81 codes of the bundled subset with their allowed modifiers.
CCAM_CODES: dict[str, list[str]] = {
    "AFLB001": ["F", "P", "S", "U"],
    "AHQB024": ["F", "P", "S", "U"],
    "DEQP003": ["F", "P", "S", "U"],
    "QZJA002": ["F", "M", "P", "S", "U"],
    "HBJD001": [],
}
FORMULAS = {
    "012": True,
    "020": False,
    "021": True,
    "029": False,
    "02A": True,
    "050": True,
    "052": False,
}

amounts = st.decimals(min_value=0, max_value=300, places=2)


@st.composite
def modifiers(draw: st.DrawFn, allowed: list[str]) -> list[str]:
    if not allowed:
        return []
    chosen = draw(st.lists(st.sampled_from(allowed), max_size=2, unique=True))
    urgences = [code for code in chosen if code in "UFPS"]
    return [code for code in chosen if code not in "UFPS"] + urgences[:1]


@st.composite
def acts(draw: st.DrawFn, profession: str) -> dict[str, object]:
    kinds = ["ngap"] if NGAP_CODES[profession] else []
    if profession in ("medecin", "chirurgien_dentiste"):
        kinds.append("ccam")
    if profession == "medecin":
        kinds.append("cox")
    kinds.append("priced")  # a code the engine does not know, with its unit price
    kind = draw(st.sampled_from(kinds))
    act: dict[str, object]
    if kind == "ngap":
        code = draw(st.sampled_from(NGAP_CODES[profession]))
        act = {"code": code, "nomenclature": "NGAP"}
        if code == "IK":
            act["quantity"] = draw(st.integers(1, 60))
        else:
            act["coefficient"] = draw(
                st.sampled_from([1, 1, 1, Decimal("1.5"), 2, 4, Decimal("9.5")])
            )
    elif kind == "cox":
        act = {"code": draw(st.sampled_from(COX_CODES)), "nomenclature": "COX"}
    elif kind == "ccam":
        code = draw(st.sampled_from(sorted(CCAM_CODES)))
        act = {"code": code, "nomenclature": "CCAM", "modifiers": draw(modifiers(CCAM_CODES[code]))}
        if draw(st.booleans()):
            act["association_code"] = draw(st.integers(1, 5))
    else:
        act = {"code": "HN", "unit_price": draw(st.decimals(min_value=1, max_value=200, places=2))}
    qualificatif = draw(st.sampled_from([None, None, None, "A", "E", "D", "N", "G"]))
    if qualificatif is not None:
        act["qualificatif"] = qualificatif
    if draw(st.integers(0, 4)) == 0:
        act["total_amount"] = draw(amounts)
    elif qualificatif in ("A", "E", "D") or draw(st.integers(0, 6)) == 0:
        act["depassement"] = draw(amounts)
    if draw(st.integers(0, 3)) == 0:
        act["exo"] = draw(st.sampled_from(["0", "3", "4", "5", "7", "9"]))
    if draw(st.integers(0, 3)) == 0:
        act["soins_en_rapport_ald"] = draw(st.booleans())
    return act


@st.composite
def drafts(draw: st.DrawFn, overrides: bool = False) -> dict[str, object]:
    profession = draw(st.sampled_from(sorted(NGAP_CODES)))
    day = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 364)))
    lines = draw(st.lists(acts(profession), min_size=1, max_size=6))
    if overrides:
        for line in lines:
            if draw(st.booleans()):
                line["amo_override"] = draw(amounts)
            if draw(st.booleans()):
                line["amc_override"] = draw(amounts)
    cover = draw(st.sampled_from(["none", "none", "c2s", "ame"]))
    patient = {
        "age": draw(st.integers(0, 99)),
        "regime": "01",
        "regime_local_alsace_moselle": draw(st.integers(0, 5)) == 0,
        "ald": draw(st.booleans()),
        "c2s": cover == "c2s",
        "ame": cover == "ame",
        "maternite": draw(st.integers(0, 8)) == 0,
        "at_mp": draw(st.integers(0, 8)) == 0,
        "parcours": draw(
            st.sampled_from(
                [
                    None,
                    "medecin_traitant",
                    "adresse_par_mt",
                    "urgence",
                    "acces_direct",
                    "moins_16_ans",
                    "non_concerne",
                    "hors_parcours",
                    "hors_parcours",
                ]
            )
        ),
        "sortant_c2s": draw(st.sampled_from([False, False, "55555551", "contrat_sortie"])),
    }
    amc: dict[str, object] | None = None
    if draw(st.booleans()):
        formula = draw(st.sampled_from(sorted(FORMULAS)))
        amc = {
            "formula": formula,
            "gestion": draw(st.sampled_from(["unique", "separee"])),
            "contrat_responsable": draw(st.booleans()),
        }
        if FORMULAS[formula]:
            amc["parameter"] = draw(st.sampled_from([50, 100, 150, 200, 300]))
    doc: dict[str, object] = {
        "date_soins": day.isoformat(),
        "profession": profession,
        "ps": {
            "specialite": "medecine_generale" if profession == "medecin" else None,
            "secteur": draw(st.sampled_from([1, 2])),
            "optam": draw(st.booleans()),
        },
        "patient": patient,
        "nature_assurance": draw(st.sampled_from(["maladie"] * 5 + ["maternite", "at", "smg"])),
        "acts": lines,
        "amc": amc,
        "tiers_payant": {"amo": draw(st.booleans()), "amc": draw(st.booleans())},
    }
    if doc["nature_assurance"] == "smg" and draw(st.booleans()):
        doc["smg_amount"] = draw(amounts)
    return doc


@settings(max_examples=100, deadline=None)
@given(drafts(overrides=True))
def test_generated_drafts_are_valid_contract_documents(doc: dict[str, object]) -> None:
    # The strategies above feed the invariant and fuzz tests: they must stay valid drafts.
    draft = parse_draft(doc)
    assert 1 <= len(draft.acts) <= 6
