"""The « Réaliser une facture » form ↔ the invoice draft document.

The screen posts flat fields (``acts-0-code``…); this module turns them into the documented
draft document (docs/formats/invoice.md: the pricing contract of price.md plus the invoice's
header keys), so the screen and the API share one parser (``parse_invoice_document``) and one
set of error messages. ``profession``, ``ps`` and ``patient`` are left out: the service reads
them from the professional's record and the patient file (``desk_context``). Empty act rows
are skipped.

Dates are shown and typed jj/mm/aaaa (a text field: the browser's date widget follows the
system's language, not the page's); ``to_document`` turns them into the ISO dates of the
document and refuses, next to its field, a date that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from openfse.domain.coverage import PricingSituation
from openfse.errors import InvalidInput
from openfse.services.amc_conventions import split_key

ACT_ROWS = 6
PARCOURS_CHOICES = (
    ("medecin_traitant", "Médecin traitant"),
    ("adresse_par_mt", "Orienté par le médecin traitant"),
    ("acces_direct", "Accès direct spécifique"),
    ("urgence", "Urgence"),
    ("hors_residence", "Hors résidence habituelle"),
    ("moins_16_ans", "Patient de moins de 16 ans"),
    ("generaliste_recemment_installe", "Généraliste récemment installé"),
    ("zone_sous_medicalisee", "Zone sous-médicalisée"),
    ("non_concerne", "Non concerné"),
    ("hors_parcours", "Hors parcours de soins"),
)
NATURE_CHOICES = (
    ("maladie", "Maladie"),
    ("maternite", "Maternité"),
    ("at", "Accident du travail / maladie professionnelle"),
    ("smg", "Soins médicaux gratuits"),
)
FORMULA_CHOICES = (
    ("", "Pas de complémentaire"),
    ("052", "052 — 100 % TM"),
    ("050", "050 — % TM"),
    ("020", "020 — 100 % TR"),
    ("021", "021 — % TR"),
    ("029", "029 — 100 % TR − MRO"),
    ("02A", "02A — % TR − MRO"),
    ("012", "012 — % DR"),
)
EXO_CHOICES = (
    ("", "Aucune"),
    ("3", "3 — Stérilité, prévention…"),
    ("4", "4 — ALD"),
    ("5", "5 — Pension d'invalidité, rente AT ≥ 66,66 %"),
    ("7", "7 — Prévention"),
    ("9", "9 — FSV, FSI"),
)
SECURE_MODE_CHOICES = (
    ("securise", "Sécurisé (carte Vitale)"),
    ("desynchronise", "Désynchronisé (carte Vitale plus tard)"),
    ("degrade", "Dégradé (feuille papier)"),
    ("sesam_sans_vitale", "SESAM sans Vitale"),
)
DECLARATION_CHOICES = (("", "—"), ("oui", "Oui"), ("non", "Non"), ("ne_sait_pas", "Ne sait pas"))
ENTENTE_CHOICES = (
    ("", "Aucune"),
    ("9", "9 — Pas de demande"),
    ("0", "0 — Pas de réponse"),
    ("4", "4 — Accord"),
    ("5", "5 — Urgence"),
    ("D", "D — Refus"),
)
NOMENCLATURES = (("NGAP", "NGAP"), ("CCAM", "CCAM"), ("COX", "COx"))
# Act fields copied as typed (text) into the act object of the contract.
ACT_TEXT_KEYS = (
    "code",
    "coefficient",
    "quantity",
    "distance_km",
    "activity",
    "phase",
    "association_code",
    "qualificatif",
    "depassement",
    "exo",
    "complement",
    "indemnite_forfaitaire",
    "amo_override",
    "amc_override",
)
# « En rapport avec l'ALD ? », asked on each act of a patient in ALD: "oui", "non" or ""
# (not answered: the invoice's « Soins en rapport avec l'ALD » applies).
ALD_ANSWERS = (("", "—"), ("oui", "Oui"), ("non", "Non"))
ACT_KEYS = ("nomenclature", *ACT_TEXT_KEYS, "modifiers", "entente_prealable",
            "soins_en_rapport_ald")
# Amount-like fields: a French decimal comma becomes a point.
_DECIMAL_KEYS = frozenset({"coefficient", "distance_km", "depassement", "amo_override",
                           "amc_override"})
_CHECKBOXES = ("a_domicile", "accident_droit_commun", "forcage_ald", "soins_en_rapport_ald",
               "victime_attentat", "sante_sexuelle", "anonymous_minor", "exo_per_act",
               "hors_teletransmission", "tp_amo", "tp_amc", "prescription", "group_identical",
               "forcage_amo_service")
# The date fields of the screen (typed jj/mm/aaaa).
DATE_FIELDS = ("date_soins", "accident_date", "maternite_date", "at_date", "prescription_date",
               "entente_date", "amo_service_start", "amo_service_end")
_FRENCH_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def french_date(day: date) -> str:
    """``date(2025, 1, 7)`` → ``07/01/2025``, as the date fields show it."""
    return day.strftime("%d/%m/%Y")


def iso_date(field: str, typed: str) -> str:
    """A typed jj/mm/aaaa (or ISO) date as the document's ISO date; "" stays "".

    >>> iso_date("date_soins", "7/1/2025")
    '2025-01-07'
    """
    text = typed.strip()
    if not text:
        return ""
    found = _FRENCH_DATE.fullmatch(text)
    try:
        if found:
            day, month, year = (int(part) for part in found.groups())
            return date(year, month, day).isoformat()
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise InvalidInput(f"Date invalide : « {text} ». Saisissez-la au format jj/mm/aaaa "
                       "(par exemple 07/01/2025).", field=field)


def blank_act() -> dict[str, str]:
    return {key: "" for key in ACT_KEYS} | {"nomenclature": "NGAP"}


def default_form(today: date, *, home_visit: bool = False) -> dict[str, Any]:
    """A new invoice: today, maladie, médecin traitant, mode sécurisé (manuel eS-KAP+ defaults)."""
    return {
        "date_soins": french_date(today),
        "nature_assurance": "maladie",
        "parcours": "medecin_traitant",
        "secure_mode": "securise",
        "a_domicile": "on" if home_visit else "",
        "acts": [blank_act() for _ in range(ACT_ROWS)],
    }


def with_file_defaults(state: dict[str, Any], situation: PricingSituation) -> dict[str, Any]:
    """A new invoice showing what the patient file imposes (issue 13, defects 3 and 13): the
    mutuelle in force chosen with its tiers payant, the tiers payant of the situation (C2S,
    AME, sortant de C2S, ALD) ticked, the file's exonération (domain/coverage.py)."""
    filled = dict(state)
    if situation.amc_coverage_id is not None:
        filled["amc_coverage"] = str(situation.amc_coverage_id)
    if situation.tiers_payant.amo:
        filled["tp_amo"] = "on"
    if situation.tiers_payant.amc:
        filled["tp_amc"] = "on"
    if situation.exo is not None:
        filled["exo"] = situation.exo.value
    return filled


def form_state(form: Mapping[str, str]) -> dict[str, Any]:
    """The submitted form as a template context (so nothing typed is lost on an error)."""
    state: dict[str, Any] = {k: v for k, v in form.items() if not k.startswith("acts-")}
    state["acts"] = [{key: form.get(f"acts-{i}-{key}", "") for key in ACT_KEYS}
                     for i in range(_row_count(form))]
    return state


def _row_count(form: Mapping[str, str]) -> int:
    indexes = [int(k.split("-")[1]) for k in form if k.startswith("acts-")
               and k.split("-")[1].isdigit()]
    return max(ACT_ROWS, max(indexes, default=-1) + 1)


def with_acts(state: dict[str, Any], acts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``state`` with contract act objects (a favourite's) put after the rows already typed."""
    typed = [a for a in state["acts"] if a.get("code", "").strip()]
    added = [_row_of(act) for act in acts]
    rows = typed + added
    rows += [blank_act() for _ in range(max(ACT_ROWS - len(rows), 1))]
    return {**state, "acts": rows}


def _row_of(act: Mapping[str, Any]) -> dict[str, str]:
    row = blank_act()
    for key, value in act.items():
        if key == "modifiers":
            row[key] = " ".join(str(m) for m in value)
        elif key == "soins_en_rapport_ald" and isinstance(value, bool):
            row[key] = "oui" if value else "non"
        elif key in row and value is not None:
            row[key] = str(value).replace(".", ",") if key in _DECIMAL_KEYS else str(value)
    return row


def _clean(key: str, value: str) -> str:
    value = value.strip()
    return value.replace(",", ".") if key in _DECIMAL_KEYS else value


def _acts(form: Mapping[str, str]) -> list[dict[str, Any]]:
    acts = []
    for i in range(_row_count(form)):
        code = form.get(f"acts-{i}-code", "").strip()
        if not code:
            continue
        act: dict[str, Any] = {"code": code.upper(),
                               "nomenclature": form.get(f"acts-{i}-nomenclature") or "NGAP"}
        for key in ACT_TEXT_KEYS[1:]:
            value = _clean(key, form.get(f"acts-{i}-{key}", ""))
            if value:
                act[key] = value.upper() if key in ("complement", "indemnite_forfaitaire",
                                                    "qualificatif") else value
        modifiers = form.get(f"acts-{i}-modifiers", "").replace(",", " ").split()
        if modifiers:
            act["modifiers"] = [m.upper() for m in modifiers]
        if form.get(f"acts-{i}-entente_prealable") == "on":
            act["entente_prealable"] = True
        related = form.get(f"acts-{i}-soins_en_rapport_ald", "")
        if related in ("oui", "non"):
            act["soins_en_rapport_ald"] = related == "oui"
        acts.append(act)
    return acts


def _optional(form: Mapping[str, str], key: str) -> str | None:
    value = form.get(key, "").strip()
    return value or None


def to_document(form: Mapping[str, str]) -> dict[str, Any]:
    """The invoice draft document of the form; values stay strings, the parsers check them
    (dates excepted: a jj/mm/aaaa that does not exist raises ``InvalidInput`` on its field)."""
    form = {**form, **{key: iso_date(key, form.get(key, "")) for key in DATE_FIELDS}}
    on = {key: form.get(key) == "on" for key in _CHECKBOXES}
    nature = form.get("nature_assurance") or "maladie"
    doc: dict[str, Any] = {
        "professional_id": form.get("professional_id", ""),
        "patient_id": form.get("patient_id", ""),
        "date_soins": form.get("date_soins", ""),
        "nature_assurance": nature,
        "parcours": form.get("parcours") or None,
        "acts": _acts(form),
        "tiers_payant": {"amo": on["tp_amo"], "amc": on["tp_amc"]},
        "secure_mode": form.get("secure_mode") or "securise",
        "declaration_medecin_traitant": _optional(form, "declaration_medecin_traitant"),
    }
    for flag in ("a_domicile", "forcage_ald", "soins_en_rapport_ald", "victime_attentat",
                 "sante_sexuelle", "anonymous_minor", "exo_per_act", "hors_teletransmission",
                 "group_identical"):
        doc[flag] = on[flag]
    if on["forcage_amo_service"]:
        # « Forçage du service AMO » (manuel eS-KAP+): the rights typed by hand, code and dates.
        doc["amo_service"] = {"code": form.get("amo_service_code", "").strip(),
                              "start": _optional(form, "amo_service_start"),
                              "end": _optional(form, "amo_service_end")}
    # The exonération the screen shows (pre-filled from the file): always said, so that
    # « Aucune » is not replaced by the file's.
    doc["exo"] = _optional(form, "exo")
    # Nature d'assurance details (manuel eS-KAP+ « Nature d'assurance »).
    if nature == "maladie" and on["accident_droit_commun"]:
        doc["accident_droit_commun"] = True
        doc["accident_date"] = _optional(form, "accident_date")
    if nature == "maternite":
        doc["maternite_date"] = _optional(form, "maternite_date")
    if nature == "at":
        doc["accident_travail"] = {key: form.get(f"at_{key}", "").strip() or None
                                   for key in ("identifiant", "code", "organisme", "date")}
    if nature == "smg" and _optional(form, "smg_amount"):
        doc["smg_amount"] = _clean("depassement", form["smg_amount"])
    if on["prescription"]:
        doc["prescription"] = {"date": _optional(form, "prescription_date"),
                               "prescriber_id": _optional(form, "prescriber_id")}
    # The mutuelle: chosen among the patient's (its formula comes from the file) or typed.
    coverage = _optional(form, "amc_coverage")
    if coverage:
        doc["amc_choice"] = {"coverage_id": coverage, **_convention_choice(form, on["tp_amc"])}
    elif _optional(form, "formula"):
        doc["amc"] = {"formula": form["formula"],
                      "parameter": _clean("depassement", form.get("parameter", "")) or "100",
                      "gestion": form.get("gestion") or "separee"}
    else:
        # « aucune »: the screen says it (the file's mutuelle is chosen when the screen opens,
        # ``with_file_defaults``), the file's is not put back.
        doc["amc"] = None
    entente = _optional(form, "entente_code")
    if entente:
        doc["entente_prealable"] = {"code": entente, "date": _optional(form, "entente_date")}
    if on["hors_teletransmission"] and _optional(form, "bill_to_name"):
        doc["bill_to"] = {"name": form["bill_to_name"], "siret": form.get("bill_to_siret", ""),
                          "address": form.get("bill_to_address", "")}
    return doc


def _convention_choice(form: Mapping[str, str], tiers_payant_amc: bool) -> dict[str, str]:
    """The convention chosen in the Inter-AMC answer (``amc_convention`` = « AL|001 »), for
    the AMC it was listed for; it routes the AMC's share, so only with tiers payant AMC."""
    chosen = split_key(form.get("amc_convention", ""))
    if not (tiers_payant_amc and chosen):
        return {}
    convention_type, csr = chosen
    return {"amc_number": form.get("amc_convention_amc", "").strip(),
            "convention_type": convention_type, "csr": csr}


def form_field_of(path: str) -> str:
    """The form field showing a document error: ``acts[2].coefficient`` → ``acts-2-coefficient``,
    ``accident_travail.organisme`` → ``at_organisme``."""
    if path.startswith("acts[") and "]" in path:
        index, _, rest = path[5:].partition("]")
        key = rest.lstrip(".").split(".")[0].split("[")[0]
        return f"acts-{index}-{key or 'code'}"
    head, _, tail = path.partition(".")
    tail = tail.split("[")[0].split(".")[0]
    # A whole object (a control about « the AT », « the prescription »…) → its first field.
    whole = {"accident_travail": "at_identifiant", "prescription": "prescription",
             "bill_to": "bill_to_name", "entente_prealable": "entente_code",
             "amo_service": "amo_service_code", "patient": "parcours"}
    if not tail and head in whole:
        return whole[head]
    special = {"accident_travail": f"at_{tail}", "prescription": f"prescription_{tail}",
               "bill_to": f"bill_to_{tail}", "entente_prealable": f"entente_{tail}",
               "amo_service": f"amo_service_{tail}", "patient": tail,
               "amc_choice": "amc_coverage", "tiers_payant": "tp_amo"}
    if head == "prescription" and tail == "prescriber_id":
        return "prescriber_id"
    if head == "amc":
        return "formula" if tail in ("", "formula") else tail
    return special.get(head, head.split("[")[0])
