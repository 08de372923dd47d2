"""Regenerate ``openfse/referentials/data/ccam_subset.csv`` from the CNAM CCAM export.

The bundled subset lets the product price and search common CCAM acts before the user
imports the full CCAM (``openfse import-ccam FILE``). It holds ~180 frequent acts (general
practice, ophthalmology, dental care, imaging, obstetrics, the seed manual's ``AFLB001``
family) plus a few acts chosen for their shape (anaesthesia activity 4, activities 2/3/5,
phases, "Non pris en charge", RC/AP flags, odd cells of the export), and all the modifiers.

Source: CNAM, CCAM version 81 applicable 01/01/2026 (ameli.fr, *Accueil de la CCAM >
téléchargement*), as sampled in ``shared/data/ccam/raw_rpps_api/ccam.csv``.

Usage (same options as the other ``tools/update`` scripts)::

    python tools/update/ccam_subset.py [--shared SHARED_DIR] [--out DATA_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from _common import REPO, parse_args

sys.path.insert(0, str(REPO))

from openfse.referentials.ccam_export import (  # noqa: E402
    decode_export,
    format_normalised,
    parse_export,
)

EXPORT = Path("data") / "ccam" / "raw_rpps_api" / "ccam.csv"  # inside shared/
OUTPUT = "ccam_subset.csv"

# Grouped by use; every code must exist in the export (the script fails otherwise).
# fmt: off
SUBSET: dict[str, tuple[str, ...]] = {
    "general practice": (
        "DEQP003", "DEQP002", "DEQP005", "YYYY490", "EQQM006", "EQQP008", "GLQP012",
        "GLQP008", "YYYY025", "CAGD001", "CBQD001", "CDQP010", "CDQP012", "CDQP015",
        "QZJA002", "QZJA017", "QZJA015", "QAJA013", "QAJA005", "QAJA002", "QAJA004",
        "QAJA006", "QCJA001", "QZFA036", "QZFA004", "QZFA031", "QZFA020", "QZHA003",
        "QZNP004", "QANP007", "QZLA004", "QZGA002", "QZQP001", "JKHD001", "JKLD001",
        "JKKD001", "JKGD004", "JLQE002", "MZLB001", "NZLB001", "PBLB001", "MZHB002",
        "NZHB002", "AHLB006", "AFHB002", "BDGP002", "GAGD002", "HKPA006", "HJQE002",
        "HKQE001", "EGSP001", "MZMP001", "NFMP001", "NGMP001", "MGMP001", "MZMP011",
        "NZMP007", "MEEP002", "NFEP001", "FGRP010", "GDQE003", "ZZLP025", "ZZLP054",
    ),
    "seed manual (eS-KAP+ AFL search)": (
        "AFLA003", "AFLB001", "AFLB003", "AFLB004", "AFLB006", "AFLB007", "AFLB008",
        "AFLB017", "AFLH001", "AGLB001",
    ),
    "ophthalmology": (
        "BGQP002", "BGQP003", "BLQP002", "BLQP004", "BZQK001", "BHQB001", "BJQP002",
        "BFGA008", "BFGA427", "BFPP001",
    ),
    "dental care": (
        "HBJD001", "HBJA003", "HBJA171", "HBJA634", "HBQD001", "HBMD058", "HBMD053",
        "HBMD050", "HBMD049", "HBMD054", "HBMD038", "HBMD044", "HBMD047", "HBMD460",
        "HBMD351", "HBGD035", "HBGD036", "HBGD022", "HBGD031", "HBGD017", "HBGD042",
        "HBFD006", "HBFD008", "HBFD019", "HBFD033", "HBFD035", "HBFD458", "HBFD010",
        "HBBD005", "HBBD006", "HBBD007", "HBBD004", "HBQK389", "HBQK061", "HBQK040",
        "HBQK191", "HBQK002", "HBLD038", "HBLD403", "HBLD734", "HBLD486", "HBLD418",
        "HBED011",
    ),
    "imaging": (
        "ZBQK002", "LJQK001", "LJQK002", "NFQK001", "NFQK003", "NGQK001", "MGQK003",
        "MDQK002", "QEQK001", "QEQK004", "QEQK005", "PAQK007", "ACQK001", "ACQH003",
        "ZCQM008", "ZCQM003", "ZCQJ003", "ZCQM005", "KCQM001", "EJQM004", "EFQM001",
        "EDQM001", "ZZQN001", "DZQN001", "KCQL003",
    ),
    "obstetrics (sages-femmes, gynécologues)": (
        "JQGD010", "JQGD002", "JQGD007", "JQGD012", "JQGA002", "JQGA003", "JNQD001",
        "JNQM001", "JQQM010", "JQQM018", "JQQM016", "AFLB010", "YYYY069",
    ),
    "shapes for tests (activities 2/3/5, phases, flags, odd cells)": (
        "AHQP001", "AHQP002", "AHQB027", "AHQB024", "AHQB013", "DBBF198", "DEFA001",
        "JQHF002", "DAAA001", "BDLA003", "HNEA740", "MJMA006", "ADGA724", "BELA129",
        "BADA003", "GAMA001", "AHPA009", "EGFA001",
    ),
}
# fmt: on

PROVENANCE = (
    "CNAM - CCAM version 81 applicable 01/01/2026",
    "Sous-ensemble de la CCAM (Classification commune des actes médicaux) publiée par",
    "l'Assurance Maladie (CNAM), ameli.fr > Accueil de la CCAM > téléchargement, export",
    "« CCAM version 81 applicable 01/01/2026 ». Généré par tools/update/ccam_subset.py ;",
    "ne pas modifier à la main. Utilisé tant qu'aucune CCAM complète n'est importée",
    "(openfse import-ccam FICHIER). Notes et variantes de modificateurs non reprises.",
)


def selected_codes() -> list[str]:
    codes: list[str] = []
    for group in SUBSET.values():
        codes.extend(code for code in group if code not in codes)
    return codes


def build(export: Path) -> str:
    catalog = parse_export(decode_export(export.read_bytes()))
    codes = selected_codes()
    missing = [code for code in codes if catalog.act(code) is None]
    if missing:
        raise SystemExit(f"codes absent from {export}: {', '.join(missing)}")
    applicable = catalog.applicable
    assert applicable is not None
    return format_normalised(catalog, applicable, codes=sorted(codes), comments=PROVENANCE)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    content = build(args.shared / EXPORT)
    (args.out / OUTPUT).write_text(content, encoding="utf-8")
    print(f"wrote {args.out / OUTPUT} ({len(selected_codes())} acts)")


if __name__ == "__main__":
    main()
