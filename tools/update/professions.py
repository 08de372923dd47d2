"""Regenerate ``openfse/referentials/data/specialites.csv`` from the SNDS table IR_SPE_V.

Usage: ``python tools/update/professions.py [--shared PATH] [--out DIR]``

IR_SPE_V (``shared/data/nomenclatures/snds/IR_SPE_V.csv``, Health Data Hub schema-snds,
MPL-2.0) gives the official 2-digit code spécialité of physicians and dentists with upper-case
labels. This script adds the snake_case ids of PRICE-CONTRACT.md ``ps.specialite``, a French
label with its accents, and the category, and fails if IR_SPE_V holds a code it does not map.
``professions.csv`` (8 rows) is maintained by hand.
"""

from __future__ import annotations

from _common import parse_args, read_semicolon_csv, write_data_csv

# code -> (id, French label, aliases accepted on input). Ids follow PRICE-CONTRACT.md.
SPECIALITES: dict[str, tuple[str, str, str]] = {
    "01": ("medecine_generale", "Médecine générale", "generaliste"),
    "02": ("anesthesie_reanimation", "Anesthésie-réanimation", ""),
    "03": ("cardiologie", "Cardiologie et pathologie cardio-vasculaire", ""),
    "04": ("chirurgie_generale", "Chirurgie générale", ""),
    "05": ("dermatologie", "Dermatologie et vénéréologie", ""),
    "06": ("radiologie", "Radiodiagnostic et imagerie médicale", "radiodiagnostic"),
    "07": ("gynecologie_obstetrique", "Gynécologie obstétrique", ""),
    "08": ("gastro_enterologie", "Gastro-entérologie et hépatologie", ""),
    "09": ("medecine_interne", "Médecine interne", ""),
    "10": ("neurochirurgie", "Neurochirurgie", ""),
    "11": ("orl", "Oto-rhino-laryngologie", "oto_rhino_laryngologie"),
    "12": ("pediatrie", "Pédiatrie", ""),
    "13": ("pneumologie", "Pneumologie", ""),
    "14": ("rhumatologie", "Rhumatologie", ""),
    "15": ("ophtalmologie", "Ophtalmologie", ""),
    "16": ("chirurgie_urologique", "Chirurgie urologique", "urologie"),
    "17": ("neuropsychiatrie", "Neuropsychiatrie", ""),
    "18": ("stomatologie", "Stomatologie", ""),
    "20": ("reanimation_medicale", "Réanimation médicale", ""),
    "22": (
        "medecine_generale_specialiste_diplome",
        "Spécialiste en médecine générale (diplômé)",
        "",
    ),
    "23": (
        "medecine_generale_specialiste_ordre",
        "Spécialiste en médecine générale (reconnu par l'Ordre)",
        "",
    ),
    "31": ("medecine_physique_readaptation", "Médecine physique et de réadaptation", ""),
    "32": ("neurologie", "Neurologie", ""),
    "33": ("psychiatrie", "Psychiatrie générale", ""),
    "34": ("geriatrie", "Gériatrie", ""),
    "35": ("nephrologie", "Néphrologie", ""),
    "36": (
        "orthopedie_dento_faciale",
        "Chirurgie dentaire, spécialiste en orthopédie dento-faciale",
        "",
    ),
    "37": ("anatomo_cyto_pathologie", "Anatomie et cytologie pathologiques", ""),
    "38": ("biologie_medicale", "Médecin directeur de laboratoire (biologie médicale)", ""),
    "41": ("chirurgie_orthopedique", "Chirurgie orthopédique et traumatologie", ""),
    "42": ("endocrinologie", "Endocrinologie et métabolismes", ""),
    "43": ("chirurgie_infantile", "Chirurgie infantile", ""),
    "44": ("chirurgie_maxillo_faciale", "Chirurgie maxillo-faciale", ""),
    "45": (
        "chirurgie_maxillo_faciale_stomatologie",
        "Chirurgie maxillo-faciale et stomatologie",
        "",
    ),
    "46": ("chirurgie_plastique", "Chirurgie plastique, reconstructrice et esthétique", ""),
    "47": (
        "chirurgie_thoracique_cardio_vasculaire",
        "Chirurgie thoracique et cardio-vasculaire",
        "",
    ),
    "48": ("chirurgie_vasculaire", "Chirurgie vasculaire", ""),
    "49": ("chirurgie_viscerale", "Chirurgie viscérale et digestive", ""),
    "69": ("chirurgie_orale", "Chirurgie orale", ""),
    "70": ("gynecologie_medicale", "Gynécologie médicale", ""),
    "71": ("hematologie", "Hématologie", ""),
    "72": ("medecine_nucleaire", "Médecine nucléaire", ""),
    "73": ("oncologie_medicale", "Oncologie médicale", ""),
    "74": ("oncologie_radiotherapique", "Oncologie radiothérapique", ""),
    "75": ("pedopsychiatrie", "Psychiatrie de l'enfant et de l'adolescent", ""),
    "76": ("radiotherapie", "Radiothérapie", ""),
    "77": ("obstetrique", "Obstétrique", ""),
    "78": ("genetique_medicale", "Génétique médicale", ""),
    # PRICE-CONTRACT says `gynecologie` without telling médicale (70) from obstétrique (07):
    # it resolves to the code that covers both.
    "79": (
        "gynecologie_obstetrique_et_medicale",
        "Gynécologie obstétrique et gynécologie médicale",
        "gynecologie",
    ),
    "80": ("sante_publique", "Santé publique et médecine sociale", ""),
    "81": ("maladies_infectieuses", "Maladies infectieuses et tropicales", ""),
    "82": ("medecine_legale", "Médecine légale et expertises médicales", ""),
    "83": ("medecine_urgence", "Médecine d'urgence", ""),
    "84": ("medecine_vasculaire", "Médecine vasculaire", ""),
    "85": ("allergologie", "Allergologie", ""),
}

# PFS_SPE_POS of IR_SPE_V -> our category.
CATEGORIES = {"1": "generaliste", "2": "specialiste", "3": "psychiatre", "5": "dentiste"}


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    table = read_semicolon_csv(args.shared / "data" / "nomenclatures" / "snds" / "IR_SPE_V.csv")
    rows = []
    seen = set()
    for record in table:
        if record["TEC_COL"] != "0":  # 1 = valeur inconnue, 2 = sans objet
            continue
        code = f"{int(record['PFS_SPE_COD']):02d}"
        if code not in SPECIALITES:
            raise SystemExit(f"IR_SPE_V code {code} ({record['PFS_SPE_LIB']}) is not mapped")
        ident, label, aliases = SPECIALITES[code]
        seen.add(code)
        rows.append(
            {
                "id": ident,
                "code": code,
                "label": label,
                "category": CATEGORIES[record["PFS_SPE_POS"]],
                "aliases": aliases,
                "snds_label": record["PFS_SPE_LIB"],
            }
        )
    missing = set(SPECIALITES) - seen
    if missing:
        raise SystemExit(f"mapped codes absent from IR_SPE_V: {sorted(missing)}")
    count = write_data_csv(
        args.out / "specialites.csv",
        [
            "Spécialités (code spécialité PS, 2 chiffres)",
            "generated by tools/update/professions.py",
            "from shared/data/nomenclatures/snds/IR_SPE_V.csv (indsante/schema-snds @ fe17ef8,",
            "Health Data Hub, MPL-2.0; CNAM SNDS nomenclature, 2020). Do not edit by hand.",
            "aliases: other ids accepted on input (pipe-separated).",
        ],
        ["id", "code", "label", "category", "aliases", "snds_label"],
        sorted(rows, key=lambda row: row["code"]),
    )
    print(f"specialites.csv: {count} rows")


if __name__ == "__main__":
    main()
