"""CCAM modifiers and entente préalable, remplaçant calendar, santé sexuelle, billing target,
mode dégradé, and the whole run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from openfse.domain.controls import (
    CcamFacts,
    ControlInput,
    Diagnostic,
    Severity,
    billing,
    ccam,
    has_blocking,
    remplacant,
    run_controls,
    sante_sexuelle,
    securisation,
)
from openfse.domain.invoice import (
    ActDetails,
    BillTo,
    EntentePrealable,
    EntentePrealableCode,
    SecureMode,
)
from openfse.domain.pricing import ActDraft, ModifierDraft, TiersPayant
from openfse.domain.pricing.codes import Nomenclature
from openfse.referentials.ccam import bundled_catalog

Build = Callable[..., ControlInput]


def codes(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> list[str]:
    return [d.code for d in diagnostics]


def ccam_act(code: str, *modifiers: str) -> ActDraft:
    return ActDraft(code, nomenclature=Nomenclature.CCAM,
                    modifiers=tuple(ModifierDraft(m) for m in modifiers))


# -- CCAM --------------------------------------------------------------------------------------

def test_a_modifier_the_act_does_not_allow_is_refused(make_input: Build) -> None:
    # AFLB001 allows F, P, S, U (CCAM v81); K is not among them.
    found = ccam.check(make_input(acts=(ccam_act("AFLB001", "F"), ccam_act("AFLB001", "K"))))
    assert [(d.code, d.field) for d in found] == [("modificateur_non_autorise",
                                                   "acts[1].modifiers")]
    assert "F, P, S, U" in found[0].message_fr


def test_an_act_allowing_no_modifier(make_input: Build) -> None:
    found = ccam.check(make_input(acts=(ccam_act("HBJD001", "U"),)))
    assert codes(found) == ["modificateur_non_autorise"] and "aucun" in found[0].message_fr


def test_an_unknown_act_is_not_checked(make_input: Build) -> None:
    assert ccam.check(make_input(acts=(ccam_act("ZZZZ999", "K"),))) == []


def test_prior_agreement_acts_need_the_entente(make_input: Build) -> None:
    acts = (ccam_act("GAMA001"),)
    assert codes(ccam.check(make_input(acts=acts))) == ["entente_prealable_requise"]
    asked_nothing = EntentePrealable(EntentePrealableCode.PAS_DE_DEMANDE)
    assert codes(ccam.check(make_input(acts=acts, draft={"entente_prealable": asked_nothing}))
                 ) == ["entente_prealable_requise"]
    agreed = EntentePrealable(EntentePrealableCode.FAVORABLE, date(2026, 2, 1))
    assert ccam.check(make_input(acts=acts, draft={"entente_prealable": agreed})) == []


def test_an_act_marked_soumis_a_entente_needs_it_too(make_input: Build) -> None:
    found = ccam.check(make_input(acts=(ActDraft("G"),),
                                  details=(ActDetails(entente_prealable=True),)))
    assert [(d.code, d.field) for d in found] == [("entente_prealable_requise", "acts[0]")]


def test_the_entente_needs_its_date_and_a_refusal_is_reported(make_input: Build) -> None:
    no_date = EntentePrealable(EntentePrealableCode.FAVORABLE)
    assert codes(ccam.check(make_input(draft={"entente_prealable": no_date}))) == [
        "date_entente_manquante"]
    refused = EntentePrealable(EntentePrealableCode.DEFAVORABLE, date(2026, 2, 1))
    found = ccam.check(make_input(draft={"entente_prealable": refused}))
    assert [(d.code, d.severity) for d in found] == [("entente_defavorable", Severity.WARNING)]


def test_the_referential_catalogue_adapter() -> None:
    facts = CcamFacts(bundled_catalog())
    assert facts.allowed_modifiers("AFLB001") == ("F", "P", "S", "U")
    assert facts.allowed_modifiers("ZZZZ999") is None
    assert facts.requires_prior_agreement("GAMA001")
    assert not facts.requires_prior_agreement("AFLB001")


# -- remplaçant --------------------------------------------------------------------------------

def test_a_remplacant_bills_only_his_calendar_days(make_input: Build) -> None:
    calendar = {date(2026, 3, 2)}
    inside = make_input(remplacant=True, is_replacing=calendar.__contains__)
    assert remplacant.check(inside) == []
    outside = make_input(remplacant=True, is_replacing=calendar.__contains__,
                         acts=(ActDraft("G"), ActDraft("G", date=date(2026, 2, 27))))
    found = remplacant.check(outside)
    assert codes(found) == ["remplacant_hors_calendrier"] and "27/02/2026" in found[0].message_fr
    # A titulaire is never checked against a calendar.
    assert remplacant.check(make_input(is_replacing=lambda _day: False)) == []


# -- santé sexuelle ----------------------------------------------------------------------------

def test_an_anonymous_minor_must_be_sesam_sans_vitale(make_input: Build) -> None:
    found = sante_sexuelle.check(make_input(
        draft={"anonymous_minor": True, "sante_sexuelle": True},
        beneficiary={"birth_date": date(2010, 5, 1)}))
    assert codes(found) == ["anonymat_sesam_sans_vitale"]
    ok = make_input(draft={"anonymous_minor": True, "sante_sexuelle": True,
                           "secure_mode": SecureMode.SESAM_SANS_VITALE},
                    beneficiary={"birth_date": date(2010, 5, 1)})
    assert sante_sexuelle.check(ok) == []


def test_anonymity_is_for_minors_in_sexual_health_only(make_input: Build) -> None:
    found = sante_sexuelle.check(make_input(
        draft={"anonymous_minor": True, "secure_mode": SecureMode.SESAM_SANS_VITALE}))
    # Born 01/06/1985: 40 years old on 02/03/2026.
    assert codes(found) == ["anonymat_hors_sante_sexuelle", "anonymat_patient_majeur"]


# -- billing target ----------------------------------------------------------------------------

def test_a_company_is_billed_outside_teletransmission_only(make_input: Build) -> None:
    company = {"is_company": True, "has_nir": False}
    assert codes(billing.check(make_input(beneficiary=company))) == [
        "client_professionnel_teletransmission"]
    assert billing.check(make_input(beneficiary=company,
                                    draft={"hors_teletransmission": True})) == []


def test_facturer_a_and_tiers_payant_on_the_wrong_kind_of_invoice(make_input: Build) -> None:
    bill_to = BillTo(name="EHPAD Les Tilleuls")
    assert codes(billing.check(make_input(draft={"bill_to": bill_to}))) == [
        "facturer_a_hors_teletransmission"]
    found = billing.check(make_input(draft={"bill_to": bill_to, "hors_teletransmission": True},
                                     pricing={"tiers_payant": TiersPayant(amo=True)}))
    assert codes(found) == ["tiers_payant_hors_teletransmission"]


def test_an_fse_needs_the_nir(make_input: Build) -> None:
    assert codes(billing.check(make_input(beneficiary={"has_nir": False}))) == ["nir_manquant"]
    anonymous = make_input(beneficiary={"has_nir": False}, draft={"anonymous_minor": True})
    assert billing.check(anonymous) == []


def test_mode_degrade_reminds_the_paper_sheet(make_input: Build) -> None:
    found = securisation.check(make_input(draft={"secure_mode": SecureMode.DEGRADE}))
    assert [(d.code, d.severity) for d in found] == [("mode_degrade_feuille_papier",
                                                      Severity.WARNING)]


# -- the whole run -----------------------------------------------------------------------------

def test_every_problem_is_reported_in_one_pass_blocking_first(make_input: Build) -> None:
    found = run_controls(make_input(
        pricing={"date_soins": date(2026, 3, 5)},
        draft={"secure_mode": SecureMode.DEGRADE},
        acts=(ccam_act("AFLB001", "K"),),
        beneficiary={"has_nir": False}))
    assert codes(found) == ["date_future", "nir_manquant", "modificateur_non_autorise",
                            "mode_degrade_feuille_papier"]
    assert has_blocking(found) and not has_blocking(found[-1:])
