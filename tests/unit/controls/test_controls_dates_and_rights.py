"""Dates in the future, care before its prescription or accident; rights closed at the date."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from openfse.domain.controls import (
    ControlInput,
    Diagnostic,
    Severity,
    dates,
    rights,
    run_controls,
)
from openfse.domain.invoice import AccidentTravail, AmcChoice, AmoServiceForcing, Prescription
from openfse.domain.pricing import ActDraft, TiersPayant
from openfse.periods import Period

Build = Callable[..., ControlInput]
OPEN_RIGHTS = (Period(date(2025, 1, 1), date(2027, 12, 31)),)


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


def test_a_clean_invoice_has_no_diagnostic(make_input: Build) -> None:
    assert run_controls(make_input()) == ()


def test_care_tomorrow_is_refused(make_input: Build) -> None:
    ci = make_input(pricing={"date_soins": date(2026, 3, 3)})
    found = dates.check(ci)
    assert codes(found) == ["date_future"] and found[0].field == "date_soins"
    assert "03/03/2026" in found[0].message_fr and found[0].severity is Severity.BLOCKING


def test_an_act_dated_in_the_future_is_refused_on_its_line(make_input: Build) -> None:
    ci = make_input(acts=(ActDraft("G"), ActDraft("G", date=date(2026, 4, 1))))
    assert [(d.code, d.field) for d in dates.check(ci)] == [("date_future", "acts[1].date")]


def test_care_today_is_accepted(make_input: Build) -> None:
    assert dates.check(make_input()) == []


def test_prescription_and_accidents_after_the_care_are_refused(make_input: Build) -> None:
    later = date(2026, 3, 5)
    ci = make_input(today=date(2026, 3, 10), pricing={"date_soins": date(2026, 3, 2)}, draft={
        "prescription": Prescription(date=later, prescriber_id=1),
        "accident_droit_commun": True, "accident_date": later,
        "accident_travail": AccidentTravail(date=later, organisme="013499881"),
    })
    assert codes(dates.check(ci)) == ["prescription_apres_soins", "accident_apres_soins",
                                      "accident_apres_soins"]


def test_rights_closed_at_the_date_of_care_are_refused(make_input: Build) -> None:
    ended = (Period(date(2024, 1, 1), date(2025, 6, 30)),)
    found = rights.check(make_input(beneficiary={"amo_rights": ended}))
    assert codes(found) == ["droits_amo_fermes"] and found[0].severity is Severity.BLOCKING
    assert "02/03/2026" in found[0].message_fr


def test_rights_forced_by_hand_cover_the_date(make_input: Build) -> None:
    ended = (Period(date(2024, 1, 1), date(2025, 6, 30)),)
    ci = make_input(beneficiary={"amo_rights": ended},
                    draft={"amo_service": AmoServiceForcing("10", date(2026, 1, 1))})
    assert rights.check(ci) == []


def test_unknown_rights_are_only_a_warning(make_input: Build) -> None:
    found = rights.check(make_input(beneficiary={"amo_rights": ()}))
    assert codes(found) == ["droits_amo_inconnus"] and found[0].severity is Severity.WARNING


def test_open_ended_rights_cover_any_later_date(make_input: Build) -> None:
    ci = make_input(beneficiary={"amo_rights": (Period(date(2020, 1, 1), None),)})
    assert rights.check(ci) == []


def test_amc_rights_closed_block_only_in_tiers_payant_amc(make_input: Build) -> None:
    closed = ((7, Period(date(2025, 1, 1), date(2025, 12, 31))),)
    choice = {"amc_choice": AmcChoice(coverage_id=7)}
    warn = rights.check(make_input(beneficiary={"amc_rights": closed}, draft=choice))
    assert [(d.code, d.severity) for d in warn] == [("droits_amc_fermes", Severity.WARNING)]
    block = rights.check(make_input(beneficiary={"amc_rights": closed}, draft=choice,
                                    pricing={"tiers_payant": TiersPayant(amc=True)}))
    assert [(d.code, d.severity) for d in block] == [("droits_amc_fermes", Severity.BLOCKING)]


def test_a_mutuelle_of_another_patient_is_refused(make_input: Build) -> None:
    found = rights.check(make_input(draft={"amc_choice": AmcChoice(coverage_id=99)}))
    assert codes(found) == ["mutuelle_inconnue"]


def test_no_rights_check_outside_teletransmission(make_input: Build) -> None:
    ci = make_input(beneficiary={"amo_rights": ()}, draft={"hors_teletransmission": True})
    assert rights.check(ci) == []
    assert OPEN_RIGHTS[0].covers(date(2026, 3, 2))
    assert replace(OPEN_RIGHTS[0], end=None).covers(date(2099, 1, 1))
