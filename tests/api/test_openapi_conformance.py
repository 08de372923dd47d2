"""The OpenAPI document tells the truth (issue 11, point 8).

schemathesis generates requests for every operation of ``/openapi.json`` (schema-valid data,
and data the schema forbids) and sends them in process to the app on a fresh demo cabinet,
logged in as the titulaire. Every answer must be what the document says:

- no server error (5xx);
- the status, content type and body of each answer are documented (``response_schema_
  conformance``: an integrator's generated client can read every answer);
- data the schema forbids is refused with a 4xx (``negative_data_rejection``: the schema is
  not looser than the validation);
- data the schema allows is accepted, short of the rules a schema cannot say, listed by
  operation in ``RULES`` (the schema is not stricter than the validation).

Path ids are drawn half of the time among the demo's first rows, so that operations on one
row reach the row instead of answering only 404. ``OPENFSE_SCHEMATHESIS_EXAMPLES`` raises the
number of examples per operation for a deeper local run (default 10: about a minute).
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import date
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev dependency")

from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from openfse.config import Settings  # noqa: E402

EXAMPLES = int(os.environ.get("OPENFSE_SCHEMATHESIS_EXAMPLES", "10"))
DEMO_DAY = date(2026, 3, 2)


def _home() -> Settings:
    from openfse.composition.demo import load_demo

    home = Settings.from_env({"OPENFSE_HOME": tempfile.mkdtemp(prefix="openfse-openapi-")})
    load_demo(home, today=DEMO_DAY)
    return home


def _headers(home: Settings) -> dict[str, str]:
    """A fresh titulaire session: cookie and CSRF headers."""
    from security.sessions import login_for

    login = login_for(home)
    return {**login.headers, "Cookie": f"{login.cookie_name}={login.cookie_value}"}


HOME = _home()
HEADERS = _headers(HOME)


def _app() -> Any:
    from openfse.web.app import create_app

    return create_app(HOME)


APP = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


@schemathesis.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Half of the time, each integer id is one of the demo's first rows."""
    if not path_parameters:
        return st.just(path_parameters)
    drawn = {name: (st.one_of(st.just(value), st.integers(1, 6))
                    if isinstance(value, int) and not isinstance(value, bool) else st.just(value))
             for name, value in path_parameters.items()}
    return st.fixed_dictionaries(drawn)


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    """Logging out ends the titulaire's session the run uses: open it again at once (before
    schemathesis' own follow-up requests), under the same cookie."""
    if case.method.upper() == "DELETE" and case.path == "/api/session":
        HEADERS.update(_headers(HOME))


# What a JSON schema cannot say: a 422 to schema-valid data is right when every field it names
# is one of these rules of the operation (a number's key, a code the referentials must know at
# the date, a row that must exist, a value unique in the cabinet, fields required together).
# ``[*]`` stands for any row index.
_PATIENT_RULES = {"last_name", "first_name", "company_name", "company_siret", "birth_date", "nir",
                  "beneficiary_nir", "quality", "postal_code", "amo_regime", "amo_caisse",
                  "amo_centre", "piece_justificative", "taux_remboursement", "code_gestion",
                  "periods[*].start", "periods[*].end", "periods[*].exoneration",
                  "alds[*].start", "alds[*].end", "alds[*].code"}
_AMC_RULES = {"amc_number", "complementary_number", "piece_justificative",
              "treatment_indicator", "formula_code", "formula_parameter", "rights_end",
              "amc_organism_id", "contract_type"}
_FAVOURITE_RULES = {"label", "professional_id", "acts", "acts[*].code", "acts[*].coefficient",
                    "acts[*].activity", "acts[*].phase", "acts[*].modifiers",
                    "acts[*].qualificatif", "acts[*].travel_allowance_code",
                    "acts[*].unit_price"}
# The pricing contract's vocabularies (synonyms, any case or accent), the codes and dates the
# tariffs know, and its rules between keys (docs/formats/price.md).
_PRICE_RULES = {"date_soins", "profession", "ps.specialite", "patient.parcours",
                "patient.sortant_c2s",
                "patient.birth_date", "nature_assurance", "smg_amount", "exo", "acts",
                "acts[*]", "acts[*].code", "acts[*].nomenclature", "acts[*].grille",
                "acts[*].qualificatif", "acts[*].exo", "acts[*].coefficient",
                "acts[*].quantity", "acts[*].distance_km", "acts[*].modifiers",
                "acts[*].modifiers[*]", "acts[*].modifiers[*].code",
                "acts[*].modifiers[*].percent", "acts[*].modifiers[*].amount",
                "acts[*].activity", "acts[*].phase", "acts[*].unit_price",
                "acts[*].association_code", "acts[*].remboursement_exceptionnel",
                "acts[*].date", "acts[*].total_amount", "amc", "amc.formula",
                "amc.parameter", "amc.gestion", "tiers_payant", "$"}
# An invoice draft is the pricing contract plus its header (docs/formats/invoice.md): the
# contract's rules, and those of the header a schema cannot say either: its vocabularies read in
# any case or accent (parcours, declaration_medecin_traitant, secure_mode), the ordonnance's
# content that must be of its media type, an AMO service ending before it starts, the chosen
# mutuelle that must be the patient's, the invoice replaced that must be a cancelled one of the
# same patient.
_DRAFT_RULES = _PRICE_RULES | {
    "parcours", "declaration_medecin_traitant", "secure_mode", "prescription.ordonnance",
    "amo_service.end", "amc_choice.coverage_id", "replaces_id"}
# Validating also runs the controls (docs/formats/invoice.md « Controls »): rules about the day
# (care in the future), the files (rights closed, no ALD in force, a prescriber or client
# unknown, the remplaçant's calendar) and between keys (a nature without its date, an
# exonération the situation refuses…). A ``controls_failed`` answer names the fields of its
# blocking diagnostics; the document's keys they can name are these.
_CONTROL_RULES = {
    "date_soins", "acts[*].date", "acts[*].modifiers", "acts[*].code", "acts[*].exo",
    "acts[*].entente_prealable", "prescription", "prescription.date",
    "prescription.prescriber_id", "accident_date", "accident_droit_commun",
    "accident_travail", "accident_travail.date", "accident_travail.organisme",
    "maternite_date", "nature_assurance", "smg_amount", "exo", "forcage_ald", "parcours",
    "patient.parcours", "amc_choice", "amc_choice.coverage_id", "tiers_payant",
    "tiers_payant.amc", "bill_to", "bill_to.patient_id", "entente_prealable",
    "entente_prealable.date", "anonymous_minor", "secure_mode", "profession",
    "professional_id", "hors_teletransmission", "patient_id", "sante_sexuelle"}
# A payment's amount is positive, to the cent and at most the payment ceiling
# (domain/payment.py); its vocabulary ``kind`` is read with synonyms (« carte », « espèce »).
_PAYMENT_RULES = {"amount", "kind"}
RULES: dict[str, set[str]] = {
    "POST /api/price": _PRICE_RULES,
    "POST /api/invoices/preview": _DRAFT_RULES,
    "POST /api/invoices": _DRAFT_RULES | _CONTROL_RULES,
    "POST /api/invoices/{invoice_id}/payments": _PAYMENT_RULES,
    "PUT /api/invoices/{invoice_id}/payments/{payment_id}": _PAYMENT_RULES,
    "POST /api/patients/{patient_id}/merge": {"other_id"},  # not the file itself
    "POST /api/patients/{patient_id}/family": {"relative_id", "relation"},
    "POST /api/patients": _PATIENT_RULES,
    "PUT /api/patients/{patient_id}": _PATIENT_RULES,
    "POST /api/patients/adri": {"nir", "birth_date", "birth_rank", "caisse", "centre",
                                "regime"},
    "POST /api/patients/{patient_id}/amc": _AMC_RULES,
    "PUT /api/patients/{patient_id}/amc/{amc_id}": _AMC_RULES,
    "POST /api/patients/{patient_id}/amc/{amc_id}/renew": {"rights_start", "rights_end"},
    "POST /api/prescribers": {"rpps", "am_number", "adeli"},
    "PUT /api/prescribers/{prescriber_id}": {"rpps", "am_number", "adeli"},
    "POST /api/organisms/amo": {"regime", "caisse", "centre", "name"},
    "PUT /api/organisms/amo/{organism_id}": {"regime", "caisse", "centre", "name"},
    "POST /api/organisms/amc": {"number"},
    "PUT /api/organisms/amc/{organism_id}": {"number"},
    "POST /api/favourites": _FAVOURITE_RULES,
    "PUT /api/favourites/{favourite_id}": _FAVOURITE_RULES,
    "PUT /api/preferences": {"insurer_mailbox", "default_payment_type"},
    "POST /api/session": {"pin", "login", "password"},
}
# Refused on every route by the guard, whatever the schema: control characters and lone
# surrogates in a text (docs/formats/errors.md).
GLOBAL_RULE_CODES = {"invalid_text"}
_ACCEPTED = {401, 403, 404, 409, 423, 429}


def positive_data_is_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schema-valid data is accepted, short of the rules above (schemathesis' own
    ``positive_data_acceptance`` knows none)."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if status < 400 or status in _ACCEPTED:
        return None
    if status == 422:
        error = response.json()["error"]
        if error["code"] in GLOBAL_RULE_CODES:
            return None
        named = {re.sub(r"\[[0-9]+\]", "[*]", name) for name in error.get("fields") or {}}
        if named and named <= RULES.get(f"{case.method.upper()} {case.path}", set()):
            return None
    raise AssertionError(f"Schema-valid request refused ({status}): {response.text[:500]}")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_answer_is_the_documented_one(case: Any) -> None:
    case.call_and_validate(headers=HEADERS,
                           excluded_checks=[positive_data_acceptance],
                           additional_checks=[positive_data_is_accepted])
