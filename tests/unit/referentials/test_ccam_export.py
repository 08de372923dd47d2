"""Reader of the CCAM files: CNAM export (excerpt and full public file) and normalised CSV."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from openfse.referentials.ccam import GRID_HORS, GRID_S1, CcamCatalog, ModifierValue
from openfse.referentials.ccam_export import (
    CcamFormatError,
    ParsedExport,
    decode_export,
    format_normalised,
    parse_export,
    parse_export_with_warnings,
)

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "ccam"
V81 = date(2026, 1, 1)

# Lines copied from the CNAM export "CCAM version 81 applicable 01/01/2026" (SOURCE.md §1),
# cut down to one or two acts per kind of line, plus chapter 19.03 modifiers.
EXCERPT = """\
CNAM - CCAM version 81 applicable 01/01/2026,,,,,,,,,,
Code,,Texte,Activité,Phase,"Tarif
Secteur 1 / adhérent OPTAM/OPTAM-ACO
(en euro)","Tarif
Hors secteur 1 / hors adhérent OPTAM/OPTAM-ACO
(en euro)",Rembt. ss Cdtions,Accord Préalable,Exo. TM,Regroupement
,,,,,,,,,,
1,,"SYSTÈME NERVEUX CENTRAL, PÉRIPHÉRIQUE ET AUTONOME",,,,,,,,
,,"Par intrathécal, on entend : dans l'espace subarachnoïdien.",,,,,,,,
01.01.01.01,,Électromyographie [EMG],,,,,,,,
AHQP001,,"Électromyographie par électrode de surface, sans enregistrement vidéo",1,0,\
Non pris en charge,Non pris en charge,,,2,ATM
AHQB024,,"Électromyographie de 3 à 6 muscles striés au repos et à l'effort sans \
stimulodétection, par électrode aiguille",1,0,67.05,60.66,,,2,ATM
"[F, P, S, U]",,Formation : spécifique à cet acte en plus de la formation initiale,,,,,,,,
01.02.02.01,,Exérèse de tissu du cervelet et du tronc cérébral,,,,,,,,
AAFA001,,"Exérèse de tumeur intraparenchymateuse du cervelet, par craniotomie",1,0,674.71,\
610.78,,,1,ADC
"[A, F, J, K, T, P, S, U, O]",,anesthésie,4,0,539.11,539.11,,,1,ADA
,,"(ACQP002, EAMA001, EAMA002, GELE001, YYYY189, ZZHA001)",,,,,,,,
01.05.01.06,,Actes thérapeutiques sur le nerf hypoglosse,,,,,,,,
ADGA724,,Ablation d'un système de stimulation du nerf hypoglosse,1,0,"248, 15","248, 15",,,1,ADC
"[ J, K, T]",,(ZZLP025),,,,,,,,
02.01.04.03,,Canthotomie  canthopexie et canthoplastie,,,,,,,,
BADA003,,Canthopexie latérale,1,0,92.11,70.98,RC,,1,ADC
"[A, J, K, T, 7, 3]",,Indication : acte thérapeutique,,,,,,,,
,,Facturation : les actes à visée esthétique ne peuvent pas être facturés,,,,,,,,
,,anesthésie,4,0,63.55,63.55,RC,,1,ADA
,,(GELE001),,,,,,,,
02.04.02.05,,Kératoplastie et kératoprothèse,,,,,,,,
BDLA003,,Pose de kératoprothèse biocolonisable,,,,,,,,
"[A, 6, 7, 8, 3]",,Indication : cécité cornéenne,,,,,,,,
,,Phase 1 : recouvrement de la kératoprothèse par autogreffe de muqueuse buccale,1,1,\
304.84,304.84,,,1,ADC
,,anesthésie,4,1,147.45,147.45,,,1,ADA
,,Phase 2 : pose de la kératoprothèse,1,2,67.60,67.60,,,1,ADC
,,anesthésie,4,2,81.98,81.98,,,1,ADA
,,(GELE001),,,,,,,,
02.04.03.05,,Réparation du segment antérieur de l'oeil,,,,,,,,
BELA129,,Implantation d’iris artificiel sur œil pseudophaque dans le sulcus,1,0,278.64,\
278.64,,,1,ADC
"[7, 3]",,Formation : spécifique à cet acte en plus de la formation initiale,,,,,,,,
,,anesthésie,1,0,278.64,278.64,,,1,ADA
,,(BGFA008),,,,,,,,
07.02.02.04,,Prophylaxie buccodentaire,,,,,,,,
HBJD001,,Détartrage et polissage des dents,1,0,28.92,28.92,,,5 -7,AXI
,,"Facturation : deux actes au plus peuvent être facturés par période de 6 mois ;
un détartrage complet doit être réalisé en 1 ou 2 actes maximum
",,,,,,,,
,,,,,,,,,,
09.03.03.01,,Accouchement par voie naturelle,,,,,,,,
JQGD012,,"Accouchement céphalique unique par voie naturelle, chez une multipare",1,0,313.50,\
313.50,,,1,ACO
"[F, P, S, U, K, T]",,"(AFLB010, JNQD001, JQQP900,YYY603, YYYY740)",,,,,,,,
19,,ADAPTATIONS POUR LA CCAM TRANSITOIRE,,,,,,,,
19.03,,MODIFICATEURS,,,,,,,,
19.03.01,,Urgence,,,,,,,,
U,,"Acte réalisé en urgence par les médecins ou les chirurgiens-dentistes, la nuit entre 20 h \
et 08 h",,,25.15,25.15,,,,
,,"A l’exclusion de :
acte réalisé par les chirurgiens",,,,,,,,
,,"Acte réalisé en urgence par les chirurgiens, les gynécologues-obstétriciens ou les \
anesthésistes entre 20h et minuit",,,50.00,50.00,,,,
19.03.02,,Age du patient,,,,,,,,
N ,,Majoration pour réalisation d’un acte de restauration des tissus durs de la dent,,,\
"+15,7%","+15,7%",,,,
19.03.04,,Autres modificateurs,,,,,,,,
K,,Majoration  pour les actes d’accouchement réalisés par les sages-femmes. ,,,+20%,+20%,,,,
,,"Majoration pour les actes d'accouchement réalisés par les gynécologues- obstétriciens",,,\
+30%,+25%,,,,
T,,"Majoration pour les actes d'accouchements réalisés par les gynécologues- obstétriciens",,,\
"21,5%",+16.5%,,,,
B,,Majoration du tarif pour acte de radiographie réalisé au bloc opératoire,,,0.49,+49%,,,,
"""


def line_of(text: str, marker: str) -> int:
    """1-based number of the first physical line containing ``marker``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(marker)


@pytest.fixture(scope="module")
def excerpt() -> ParsedExport:
    return parse_export_with_warnings(EXCERPT)


@pytest.fixture(scope="module")
def catalog(excerpt: ParsedExport) -> CcamCatalog:
    return excerpt.catalog


# --------------------------------------------------------------------------------------------
# CNAM export: the excerpt, kind of line by kind of line
# --------------------------------------------------------------------------------------------


def test_title_gives_version_and_start_date(catalog: CcamCatalog) -> None:
    assert catalog.version == "81"
    assert catalog.applicable == V81
    assert {t.start for a in catalog.acts for ln in a.lines for t in ln.tariffs} == {V81}


def test_every_act_of_the_excerpt_is_read(catalog: CcamCatalog) -> None:
    assert [a.code for a in catalog.acts] == [
        "AAFA001", "ADGA724", "AHQB024", "AHQP001", "BADA003", "BDLA003", "BELA129",
        "HBJD001", "JQGD012",
    ]  # fmt: skip


def test_act_line_with_two_grids(catalog: CcamCatalog) -> None:
    # CCAM v81: AHQB024 67.05 € secteur 1/OPTAM, 60.66 € hors secteur 1/hors OPTAM.
    act = catalog.act("AHQB024")
    assert act is not None
    assert act.chapter == "01.01.01.01"
    assert act.chapter_label == "Électromyographie [EMG]"
    assert act.regroupement == "ATM" and act.exo_tm == "2"
    assert act.modifiers == ("F", "P", "S", "U")
    assert act.notes == ("Formation : spécifique à cet acte en plus de la formation initiale",)
    assert catalog.price("AHQB024", 1, 0, GRID_S1, V81) == Decimal("67.05")
    assert catalog.price("AHQB024", 1, 0, GRID_HORS, V81) == Decimal("60.66")


def test_non_pris_en_charge_is_a_tariff_without_price(catalog: CcamCatalog) -> None:
    act = catalog.act("AHQP001")
    assert act is not None
    assert [t.price for t in act.lines[0].tariffs] == [None, None]
    assert not catalog.is_reimbursable("AHQP001", 1, 0, GRID_S1, V81)


def test_anaesthesia_line_under_the_modifier_list(catalog: CcamCatalog) -> None:
    # "[A, F, …]" and the anaesthesia line share one row of the export.
    act = catalog.act("AAFA001")
    assert act is not None
    assert act.modifiers == ("A", "F", "J", "K", "T", "P", "S", "U", "O")
    anaesthesia = act.line(4, 0)
    assert anaesthesia is not None
    assert anaesthesia.label == "anesthésie" and anaesthesia.regroupement == "ADA"
    assert catalog.price("AAFA001", 4, 0, GRID_HORS, V81) == Decimal("539.11")
    assert act.associated_codes == (
        "ACQP002", "EAMA001", "EAMA002", "GELE001", "YYYY189", "ZZHA001",
    )  # fmt: skip


def test_french_decimal_comma_with_a_space(catalog: CcamCatalog) -> None:
    # "248, 15" in the export is 248.15 €.
    assert catalog.price("ADGA724", 1, 0, GRID_S1, V81) == Decimal("248.15")
    act = catalog.act("ADGA724")
    assert act is not None
    assert act.modifiers == ("J", "K", "T") and act.associated_codes == ("ZZLP025",)


def test_remboursement_sous_conditions_per_line(catalog: CcamCatalog) -> None:
    act = catalog.act("BADA003")
    assert act is not None and act.remb_sous_conditions and not act.accord_prealable
    anaesthesia = act.line(4, 0)
    assert anaesthesia is not None and anaesthesia.remb_sous_conditions
    assert act.notes == (
        "Indication : acte thérapeutique",
        "Facturation : les actes à visée esthétique ne peuvent pas être facturés",
    )


def test_multi_phase_act_without_its_own_line(catalog: CcamCatalog) -> None:
    act = catalog.act("BDLA003")
    assert act is not None
    assert [(ln.activity, ln.phase) for ln in act.lines] == [(1, 1), (4, 1), (1, 2), (4, 2)]
    assert act.regroupement == "ADC"  # taken from its first phase
    phase_1 = act.line(1, 1)
    assert phase_1 is not None and phase_1.label.startswith("Phase 1 : recouvrement")
    assert catalog.price("BDLA003", 4, 2, GRID_S1, V81) == Decimal("81.98")
    assert catalog.price("BDLA003", 1, 0, GRID_S1, V81) is None


def test_duplicated_activity_line_keeps_the_first_and_warns(excerpt: ParsedExport) -> None:
    act = excerpt.catalog.act("BELA129")
    assert act is not None
    assert [(ln.activity, ln.phase, ln.regroupement) for ln in act.lines] == [(1, 0, "ADC")]
    duplicate = line_of(EXCERPT, ",,anesthésie,1,0")
    assert any(w.line == duplicate and "en double" in w.message for w in excerpt.warnings)


def test_exo_tm_spaces_removed_and_multi_line_note_kept(catalog: CcamCatalog) -> None:
    act = catalog.act("HBJD001")
    assert act is not None
    assert act.exo_tm == "5-7" and act.regroupement == "AXI" and act.modifiers == ()
    assert act.notes[0].startswith("Facturation : deux actes au plus")
    assert "\n" in act.notes[0]


def test_malformed_associated_code_is_dropped_with_a_warning(excerpt: ParsedExport) -> None:
    act = excerpt.catalog.act("JQGD012")
    assert act is not None
    assert act.associated_codes == ("AFLB010", "JNQD001", "JQQP900", "YYYY740")
    assert any(
        w.line == line_of(EXCERPT, "YYY603") and "YYY603" in w.message for w in excerpt.warnings
    )


def test_modifiers_amount_percent_and_variants(catalog: CcamCatalog) -> None:
    assert [m.code for m in catalog.modifiers] == ["B", "K", "N", "T", "U"]
    assert catalog.modifier("U", GRID_S1, V81) == ModifierValue("amount", Decimal("25.15"))
    u = catalog.modifier_definition("U", V81)
    assert u is not None and len(u.variants) == 1
    assert u.variants[0].grid_values[GRID_S1] == ModifierValue("amount", Decimal("50.00"))
    # "N " (trailing space) and "+15,7%" (French decimal) → N = +15.7 %.
    assert catalog.modifier("N", GRID_HORS, V81) == ModifierValue("percent", Decimal("15.7"))
    # K: +20 % for sages-femmes; variant +30 % (S1/OPTAM-ACO) / +25 % (other grid).
    k = catalog.modifier_definition("K", V81)
    assert k is not None
    assert k.grid_values[GRID_S1] == ModifierValue("percent", Decimal("20"))
    assert k.variants[0].grid_values[GRID_HORS] == ModifierValue("percent", Decimal("25"))
    # "21,5%" without "+" is still a percentage.
    assert catalog.modifier("T", GRID_S1, V81) == ModifierValue("percent", Decimal("21.5"))
    assert catalog.modifier("T", GRID_HORS, V81) == ModifierValue("percent", Decimal("16.5"))


def test_fraction_typed_for_a_percent_is_read_as_the_other_grid_says(
    excerpt: ParsedExport,
) -> None:
    # v81 prints B as "0.49" (S1) and "+49%" (hors S1): 0.49 × 100 = 49 → +49 % on both.
    b_s1 = excerpt.catalog.modifier("B", GRID_S1, V81)
    assert b_s1 == ModifierValue("percent", Decimal("49"))
    assert any(w.line == line_of(EXCERPT, "B,,") for w in excerpt.warnings)


def test_excerpt_warnings_are_exactly_the_anomalies(excerpt: ParsedExport) -> None:
    assert len(excerpt.warnings) == 3  # BELA129 duplicate, YYY603, B fraction
    assert all(w.line > 0 and str(w).startswith(f"ligne {w.line} : ") for w in excerpt.warnings)


def test_applicable_option_overrides_the_title() -> None:
    catalog = parse_export(EXCERPT, applicable=date(2026, 2, 1))
    assert catalog.applicable == date(2026, 2, 1)
    assert catalog.price("HBJD001", 1, 0, GRID_S1, date(2026, 1, 15)) is None


# --------------------------------------------------------------------------------------------
# CNAM export: encodings, delimiters, line endings
# --------------------------------------------------------------------------------------------


def test_bom_crlf_and_semicolons_are_accepted() -> None:
    rows = list(csv.reader(EXCERPT.splitlines(keepends=True)))
    out = "\ufeff" + "".join(
        ";".join(f'"{c}"' if (";" in c or "\n" in c or '"' in c) else c for c in row) + "\r\n"
        for row in rows
    )
    catalog = parse_export(out)
    assert catalog == parse_export(EXCERPT)


def test_decode_utf8_with_bom_and_cp1252() -> None:
    assert decode_export("\ufeffDétartrage".encode()) == "Détartrage"
    assert decode_export("Détartrage".encode("cp1252")) == "Détartrage"
    assert parse_export(decode_export(EXCERPT.encode("cp1252", errors="replace"))).version == "81"


def test_decode_refuses_zip_and_undecodable_bytes() -> None:
    with pytest.raises(CcamFormatError, match="xlsx"):
        decode_export(b"PK\x03\x04rest of a workbook")
    with pytest.raises(CcamFormatError) as raised:
        decode_export(b"Code,Texte\n\x81\x8d\x90")  # not UTF-8; undefined in Windows-1252
    assert raised.value.line == 2 and raised.value.code == "ccam_format"


# --------------------------------------------------------------------------------------------
# Files that are not CCAM exports
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", 1, "vide"),
        ("nom,prenom\nDupont,Jean\n", 1, "pas un export CCAM"),
        ("%PDF-1.7\n" + "x" * 50, 1, "pas un export CCAM"),
        (EXCERPT.split("1,,\"SYSTÈME")[0], 7, "aucun acte"),
        (EXCERPT.replace("CNAM - CCAM version 81 applicable 01/01/2026", "CNAM - CCAM"), 2,
         "date d'application inconnue"),
        (EXCERPT.replace("01/01/2026", "31/02/2026"), 2, "date d'application invalide"),
    ],
)  # fmt: skip
def test_not_a_ccam_file_raises_a_precise_error(text: str, line: int, reason: str) -> None:
    with pytest.raises(CcamFormatError) as raised:
        parse_export(text)
    assert raised.value.line == line
    assert reason in raised.value.message
    assert raised.value.message.startswith(f"Fichier CCAM, ligne {line} : ")


def test_uninterpretable_lines_become_warnings_with_line_numbers() -> None:
    # Lines with no act to attach to (right after a chapter line), and junk among modifiers.
    orphans = (
        "ZZZ9,,mystère,,,,,,,,\n"
        ",,anesthésie,4,0,1.00,1.00,,,1,ADA\n"
        '"[F, U]",,,,,,,,,,\n'
        ",,(HBJD001),,,,,,,,\n"
    )
    chapter = "09.03.03.01,,Accouchement par voie naturelle,,,,,,,,\n"
    text = EXCERPT.replace(chapter, chapter + orphans) + "ZZ,,valeur,,,1.00,1.00,,,,\n"
    parsed = parse_export_with_warnings(text)
    found = {w.line: w.message for w in parsed.warnings}
    first = line_of(text, "ZZZ9")
    assert "code « ZZZ9 » non reconnu" in found[first]
    assert "ligne d'activité hors d'un acte" in found[first + 1]
    assert "liste de modificateurs [F, U] hors d'un acte" in found[first + 2]
    assert "liste de codes (HBJD001) hors d'un acte" in found[first + 3]
    assert "non reconnu parmi les modificateurs" in found[len(text.splitlines())]
    assert parsed.catalog.acts == parse_export(EXCERPT).acts  # nothing was attached


def test_bad_cells_in_an_act_are_reported_not_crashing() -> None:
    # "²" passes str.isdigit() but is not an activity number (the stdnum trap).
    bad = EXCERPT.replace("1,0,67.05,60.66,,,2,ATM", "²,0,67.05,60.66,,,2,ATM")
    parsed = parse_export_with_warnings(bad)
    warned = [w.message for w in parsed.warnings if w.line == line_of(bad, "²,0,")]
    assert len(warned) == 1 and "invalides : ligne ignorée" in warned[0]
    assert parsed.catalog.price("AHQB024", 1, 0, GRID_S1, V81) is None

    bad = EXCERPT.replace("1,0,67.05,60.66,,,2,ATM", "1,0,6a7.05,60.66,XX,,2,ATM")
    parsed = parse_export_with_warnings(bad)
    warned = sorted(w.message for w in parsed.warnings if w.line == line_of(bad, "6a7.05"))
    assert len(warned) == 2
    assert "Rembt. ss Cdtions : valeur « XX » inconnue" in warned[0]
    assert "tarif secteur1_optam « 6a7.05 » illisible" in warned[1]
    assert parsed.catalog.price("AHQB024", 1, 0, GRID_S1, V81) is None
    assert parsed.catalog.price("AHQB024", 1, 0, GRID_HORS, V81) == Decimal("60.66")


# --------------------------------------------------------------------------------------------
# Normalised CSV
# --------------------------------------------------------------------------------------------

NORMALISED = """\
# CNAM - CCAM version 81 applicable 01/01/2026
code,activite,phase,libelle,libelle_activite,tarif_s1_optam,tarif_hors_optam,\
tarif_s1_optam_brut,tarif_hors_optam_brut,remb_sous_conditions,accord_prealable,exo_tm,\
regroupement,modificateurs,codes_associes,chapitre,chapitre_libelle
HBJD001,1,0,Détartrage et polissage des dents,,28.92,28.92,28.92,28.92,,,5-7,AXI,,,07.02.02.04,\
Prophylaxie buccodentaire
ADGA724,1,0,Ablation d'un système de stimulation du nerf hypoglosse,,,,"248, 15","248, 15",,,\
1,ADC,J|K|T,ZZLP025,01.05.01.06,Actes thérapeutiques sur le nerf hypoglosse
AHQP001,1,0,"Électromyographie par électrode de surface, sans enregistrement vidéo",,,,\
Non pris en charge,Non pris en charge,,,2,ATM,,,01.01.01.01,Électromyographie [EMG]

code,libelle,valeur_s1_optam,valeur_hors_optam,section
K,Majoration pour les actes d’accouchement réalisés par les sages-femmes.,+20%,+20%,19.03.04
U,Acte réalisé en urgence la nuit,25.15,25.15,19.03.01
"""


def test_normalised_file_with_comment_title_and_two_blocks() -> None:
    parsed = parse_export_with_warnings(NORMALISED)
    catalog = parsed.catalog
    assert parsed.source_format == "normalised" and parsed.warnings == ()
    assert catalog.version == "81" and catalog.applicable == V81
    assert catalog.price("HBJD001", 1, 0, GRID_HORS, V81) == Decimal("28.92")
    # Empty decimal column: the raw column is read ("248, 15", "Non pris en charge").
    assert catalog.price("ADGA724", 1, 0, GRID_S1, V81) == Decimal("248.15")
    assert not catalog.is_reimbursable("AHQP001", 1, 0, GRID_S1, V81)
    assert catalog.allowed_modifiers("ADGA724") == ("J", "K", "T")
    assert catalog.modifier("K", GRID_S1, V81) == ModifierValue("percent", Decimal("20"))


def test_normalised_file_without_title_needs_a_date() -> None:
    untitled = NORMALISED.split("\n", 1)[1]
    with pytest.raises(CcamFormatError, match="--applicable"):
        parse_export(untitled)
    assert parse_export(untitled, applicable=V81).version == "non précisée"


def test_normalised_round_trip_of_the_excerpt(catalog: CcamCatalog) -> None:
    # Notes and modifier variants are not in the normalised format: compare without them.
    text = format_normalised(
        catalog, V81, comments=["CNAM - CCAM version 81 applicable 01/01/2026"]
    )
    again = parse_export(text)
    assert [a.code for a in again.acts] == [a.code for a in catalog.acts]
    for before, after in zip(catalog.acts, again.acts, strict=True):
        assert after.lines == before.lines
        assert (after.label, after.modifiers, after.associated_codes) == (
            before.label, before.modifiers, before.associated_codes,
        )  # fmt: skip
    assert [(m.code, dict(m.grid_values)) for m in again.modifiers] == [
        (m.code, dict(m.grid_values)) for m in catalog.modifiers
    ]


# --------------------------------------------------------------------------------------------
# The full public CCAM v81 (shared/data/ccam): counts and every row against the derived CSV
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full() -> ParsedExport:
    raw = SHARED / "raw_rpps_api" / "ccam.csv"
    if not raw.exists():
        pytest.skip(f"public CCAM export not available at {raw}")
    return parse_export_with_warnings(decode_export(raw.read_bytes()))


def _derived(name: str) -> list[dict[str, str]]:
    with (SHARED / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_full_export_counts(full: ParsedExport) -> None:
    catalog = full.catalog
    assert catalog.version == "81" and catalog.applicable == V81
    assert len(catalog.acts) == 8257
    lines = sum(len(act.lines) for act in catalog.acts)
    # An act whose own row has no activity (a heading for its phases/activities) has only
    # labelled lines ("Phase 1 : …", "Activité 1 : …"); otherwise its first line is unlabelled.
    headings = sum(1 for act in catalog.acts if all(line.label for line in act.lines))
    # 13,499 code × activity × phase rows in ccam_v81_actes.csv = 13,439 lines read
    # + 59 heading rows of multi-phase acts (no activity of their own) + 1 duplicate (BELA129).
    assert (lines, headings) == (13439, 59)
    assert len(catalog.modifiers) == 30


def test_full_export_warnings_are_the_known_anomalies(full: ParsedExport) -> None:
    messages = sorted(w.message for w in full.warnings)
    assert len(messages) == 10
    assert sum("YYY603" in m for m in messages) == 8
    assert any(m.startswith("BELA129 : activité 1 phase 0 en double") for m in messages)
    assert any(m.startswith("modificateur B") for m in messages)


def test_full_export_matches_every_row_of_the_derived_csv(full: ParsedExport) -> None:
    catalog = full.catalog
    rows = _derived("ccam_v81_actes.csv")
    assert len(rows) == 13499
    # Code lists the derivation missed and this reader keeps: "( YYYY176, …)" (space after
    # the parenthesis) and the lists holding the malformed "YYY603" (dropped with a warning).
    derivation_gaps = {"HBLD048"} | {w.message[:7] for w in full.warnings if "YYY603" in w.message}
    for row in rows:
        act = catalog.act(row["code"])
        assert act is not None, row["code"]
        assert act.label == " ".join(row["libelle"].split())
        assert (act.chapter, act.modifiers) == (
            row["chapitre"],
            tuple(m for m in row["modificateurs"].split("|") if m),
        )
        if act.code in derivation_gaps:
            assert row["codes_associes"] == "" and len(act.associated_codes) >= 4
        else:
            assert act.associated_codes == tuple(c for c in row["codes_associes"].split("|") if c)
        if not row["activite"] or (row["code"], row["libelle_activite"]) == (
            "BELA129", "anesthésie",
        ):  # fmt: skip
            continue
        line = act.line(int(row["activite"]), int(row["phase"]))
        assert line is not None, row["code"]
        assert line.label == " ".join(row["libelle_activite"].split())
        assert (line.regroupement, line.exo_tm) == (
            row["regroupement"],
            row["exo_tm"].replace(" ", ""),
        )
        assert line.remb_sous_conditions == (row["remb_sous_conditions"] == "RC")
        assert line.accord_prealable == (row["accord_prealable"] == "AP")
        for grid, column in ((GRID_S1, "tarif_s1_optam"), (GRID_HORS, "tarif_hors_optam")):
            expected = row[column] or row[column + "_brut"].replace(", ", ".")
            price = catalog.price(row["code"], line.activity, line.phase, grid, V81)
            if expected == "Non pris en charge":
                assert price is None
            else:
                assert price == Decimal(expected), (row["code"], grid)


def test_full_export_modifiers_match_the_derived_csv(full: ParsedExport) -> None:
    catalog = full.catalog
    for row in _derived("ccam_v81_modificateurs.csv"):
        modifier = catalog.modifier_definition(row["code"], V81)
        assert modifier is not None and modifier.label == " ".join(row["libelle"].split())
        for grid, column in ((GRID_S1, "valeur_s1_optam"), (GRID_HORS, "valeur_hors_optam")):
            raw = row[column].replace(",", ".").lstrip("+")
            value = modifier.grid_values[grid]
            if raw.endswith("%"):
                assert value == ModifierValue("percent", Decimal(raw[:-1]))
            elif row["code"] == "B":  # "0.49" next to "+49%": read as +49 %
                assert value == ModifierValue("percent", Decimal("49"))
            else:
                assert value == ModifierValue("amount", Decimal(raw))


@pytest.mark.parametrize(
    ("code", "activity", "phase", "s1", "hors"),
    [
        # SOURCE.md / docs/rules.md §B.5 quote AHQB024 64.80 vs 59.36 (an older version);
        # v81 prints 67.05 vs 60.66.
        ("AHQB024", 1, 0, "67.05", "60.66"),
        ("HBJD001", 1, 0, "28.92", "28.92"),  # détartrage (docs/rules.md §A.8: 28.92 €)
        ("DEQP003", 1, 0, "14.77", "13.81"),  # ECG 12 dérivations
        ("AFLB001", 1, 0, "52.96", "37.17"),  # the seed manual's blood patch
        ("BDLA003", 1, 2, "67.60", "67.60"),  # phase 2 of a multi-phase act
        ("AAFA001", 4, 0, "539.11", "539.11"),  # anaesthesia, activity 4
        ("DEFA001", 5, 0, "313.50", "313.50"),  # activity 5: circulation extracorporelle
        ("DEFA001", 2, 0, "109.81", "109.81"),  # activity 2 of the same act
        ("ADGA724", 1, 0, "248.15", "248.15"),  # printed "248, 15"
    ],
)
def test_full_export_spot_checks(
    full: ParsedExport, code: str, activity: int, phase: int, s1: str, hors: str
) -> None:
    catalog = full.catalog
    assert catalog.price(code, activity, phase, GRID_S1, V81) == Decimal(s1)
    assert catalog.price(code, activity, phase, GRID_HORS, V81) == Decimal(hors)
