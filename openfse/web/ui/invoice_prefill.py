"""« Corriger et refacturer »: the invoice screen filled from the invoice it replaces.

A rejected invoice is cancelled, then made again corrected (the « Rejets » list of
the télétransmission screen): the new invoice starts from what the old one said — date of care,
nature d'assurance, parcours, tiers payant, prescription, mutuelle, acts… — so that the user only
corrects what the caisse refused. The values are the screen's (``pricing_form``): dates
jj/mm/aaaa, decimals with a comma, checkboxes « on ». The ordonnance scan is not copied (a
file is joined again on purpose).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from openfse.store.models import Invoice, InvoiceAct
from openfse.web.ui import pricing_form

__all__ = ["form_of"]

# Flags copied as they are: the invoice column and the screen's checkbox share the name.
_FLAGS = ("a_domicile", "accident_droit_commun", "forcage_ald", "soins_en_rapport_ald",
          "victime_attentat", "sante_sexuelle", "anonymous_minor", "exo_per_act",
          "hors_teletransmission", "group_identical")


def form_of(old: Invoice, state: dict[str, Any]) -> dict[str, Any]:
    """``state`` (a new invoice's form for the same patient) filled from ``old``."""
    filled: dict[str, Any] = {**state, **{flag: _box(getattr(old, flag)) for flag in _FLAGS}}
    filled.update(
        date_soins=pricing_form.french_date(old.date_soins),
        nature_assurance=old.nature_assurance,
        parcours=old.parcours or "",
        declaration_medecin_traitant=(old.declaration_medecin_traitant.value
                                      if old.declaration_medecin_traitant else ""),
        tp_amo=_box(old.tiers_payant_amo), tp_amc=_box(old.tiers_payant_amc),
        exo=old.exo or "",
        accident_date=_day(old.accident_date), maternite_date=_day(old.maternite_date),
        at_identifiant=old.at_identifiant or "", at_code=old.at_code or "",
        at_organisme=old.at_organisme or "", at_date=_day(old.at_date),
        smg_amount=_decimal(old.smg_amount),
        prescription=_box(old.prescription), prescription_date=_day(old.prescription_date),
        prescriber_id=str(old.prescriber_id or ""),
        entente_code=old.entente_code.value if old.entente_code else "",
        entente_date=_day(old.entente_date),
        forcage_amo_service=_box(old.amo_service_code is not None),
        amo_service_code=old.amo_service_code or "",
        amo_service_start=_day(old.amo_service_start), amo_service_end=_day(old.amo_service_end),
        bill_to_name=old.bill_to_name or "", bill_to_address=old.bill_to_address or "",
        bill_to_siret=old.bill_to_siret or "",
        professional_id=str(old.professional_id),
        replaces_id=str(old.id),
    )
    if old.amc_coverage_id is not None:
        filled["amc_coverage"] = str(old.amc_coverage_id)
        if old.amc_convention_type:  # the Inter-AMC convention chosen the first time
            filled.update(amc_convention=f"{old.amc_convention_type}|{old.amc_csr or ''}",
                          amc_convention_amc=old.amc_number or "")
    elif old.amc_formula:
        filled.update(formula=old.amc_formula, parameter=_decimal(old.amc_parameter),
                      gestion=old.amc_gestion or "")
    filled["acts"] = []
    return pricing_form.with_acts(filled, [_act(line) for line in old.acts])


def _act(line: InvoiceAct) -> dict[str, Any]:
    """The act as typed (not as the engine changed it: the engine prices it again)."""
    act: dict[str, Any] = {
        "nomenclature": line.nomenclature, "code": line.code, "quantity": line.quantity,
        "association_code": line.association_code,
        "qualificatif": line.qualificatif, "exo": line.exo,
        "complement": line.complement.value if line.complement else None,
        "distance_km": _decimal(line.distance_km) or None,
        "depassement": _decimal(line.depassement) if line.depassement else None,
        "amo_override": _decimal(line.amo_override) or None,
        "amc_override": _decimal(line.amc_override) or None,
        "modifiers": [str(m) for m in line.modifiers or ()],
    }
    if line.nomenclature == "CCAM":  # activity and phase are CCAM's; a coefficient is not
        act.update(activity=line.activity, phase=line.phase)
    else:
        act["coefficient"] = _decimal(line.coefficient)
    if line.entente_prealable:
        act["entente_prealable"] = "on"
    return act


def _box(value: bool) -> str:
    return "on" if value else ""


def _day(value: date | None) -> str:
    return "" if value is None else pricing_form.french_date(value)


def _decimal(value: Decimal | None) -> str:
    """``1.000`` → ``1``, ``12.50`` → ``12,5``: as the user would type it."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text.replace(".", ",")
