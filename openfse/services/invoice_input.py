"""The invoice documents of the API and the desk (``docs/formats/invoice.md``) read into the
domain's values: a draft into an ``InvoiceDraft``, a payment into a ``Payment``.

A draft document is the pricing contract (``docs/formats/price.md``) plus the invoice's header
keys; it is read with every number as a ``Decimal`` (:func:`decoded_document`: no amount ever
passes through a binary float) by the pricing contract's readers, so that an error names its
JSON path (``field``). ``profession``, ``ps``, ``patient`` and ``amc`` may be left out: they are
then taken from the professional's record and the patient file (``invoicing.desk_context``).

The web only calls these readers (issue 11, point 5): the JSON API after its models have
checked the document's shape, the invoice screen with the document its form builds.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import TypeVar

from openfse.domain.coverage import apply_situation
from openfse.domain.invoice import (
    AccidentTravail,
    ActDetails,
    AmcChoice,
    AmoServiceForcing,
    Attachment,
    BillTo,
    Complement,
    EntentePrealable,
    EntentePrealableCode,
    InvoiceDraft,
    MedecinTraitantDeclaration,
    Prescription,
    SecureMode,
)
from openfse.domain.payment import Payer, Payment, PaymentKind
from openfse.domain.pricing import parse_draft
from openfse.domain.pricing.codes import Parcours
from openfse.domain.pricing.errors import DraftError
from openfse.domain.pricing.json_readers import (
    amount,
    boolean,
    date_value,
    enum,
    error,
    integer,
    missing,
    obj,
    optional,
    optional_enum,
    string,
    type_error,
)
from openfse.errors import OpenFSEError
from openfse.services import invoicing
from openfse.store.uow import UnitOfWork

__all__ = ["MAX_ID", "decoded_document", "parse_invoice_document", "parse_payment"]

T = TypeVar("T")
MAX_ID = 2**31 - 1  # ids are read between 1 and this (a JSON number exact in every client)


def decoded_document(raw: bytes) -> Mapping[str, object]:
    """A request body as a JSON object, its numbers as ``Decimal`` (``invalid_json``,
    ``invalid_draft`` at ``$`` otherwise)."""
    try:
        decoded = json.loads(raw, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DraftError("$", f"invalid JSON: {exc}", "Document JSON illisible.",
                         code="invalid_json") from None
    return obj(decoded, "$")


def _id(value: object, field: str) -> int:
    return integer(value, field, 1, MAX_ID)


def _optional_id(value: object, field: str) -> int | None:
    return optional(value, lambda v: _id(v, field))


def _optional_date(value: object, field: str) -> date | None:
    return optional(value, lambda v: date_value(v, field))


def _text(value: object, field: str, max_length: int) -> str:
    """An optional free text: "" when absent."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise type_error(field, "a string", value)
    text = value.strip()
    if len(text) > max_length:
        raise error(field, f"{field}: at most {max_length} characters",
                    f"{field} : {max_length} caractères au plus.")
    return text


def _checked(build: Callable[[], T], prefix: str) -> T:
    """Build a domain value of the object at JSON path ``prefix``; its own validation error
    (a French message and the key it is about) is reported at that key's path."""
    try:
        return build()
    except DraftError:
        raise
    except OpenFSEError as exc:  # InvalidInvoice, InvalidPayment
        key = exc.field or ""
        if not prefix or key.startswith(prefix.split(".")[0].split("[")[0]):
            where = key or prefix
        else:
            where = f"{prefix}.{key}" if key else prefix
        raise error(where, f"{where}: {exc.message}", f"{where} : {exc.message}") from None


def parse_invoice_document(doc: Mapping[str, object],
                           uow_factory: Callable[[], UnitOfWork]) -> InvoiceDraft:
    """The ``InvoiceDraft`` of a draft document (see ``docs/formats/invoice.md``).

    ``uow_factory()`` gives a unit of work to read the files when ``profession``, ``ps``,
    ``patient`` or ``amc`` are left out.
    """
    if "professional_id" not in doc:
        raise missing("professional_id")
    if "patient_id" not in doc:
        raise missing("patient_id")
    professional_id = _id(doc["professional_id"], "professional_id")
    patient_id = _id(doc["patient_id"], "patient_id")
    if "date_soins" not in doc:
        raise missing("date_soins")
    date_soins = date_value(doc["date_soins"], "date_soins")
    choice = _amc_choice(doc.get("amc_choice"))
    pricing_doc = dict(doc)
    derived = None
    if any(key not in doc for key in ("profession", "ps", "patient")) or (
            "amc" not in doc and choice is not None and choice.coverage_id is not None):
        derived = invoicing.desk_context(uow_factory(), professional_id, patient_id, date_soins)
        if "profession" not in doc and derived.profession is not None:
            pricing_doc["profession"] = derived.profession.value
    pricing = parse_draft(pricing_doc)
    if derived is not None:
        if "ps" not in doc:
            pricing = replace(pricing, ps=derived.ps)
        # The file's situation (domain/coverage.py): what the document does not say.
        situation = derived.situation
        if "amc" not in doc and choice is not None and choice.coverage_id is not None:
            situation = situation.with_coverage(choice.coverage_id)
        elif "amc" not in doc and choice is None and "patient" not in doc:
            # No mutuelle named: the file's mutuelle in force on the date, by default.
            if situation.amc_coverage_id is not None:
                choice = AmcChoice(coverage_id=situation.amc_coverage_id)
        elif "amc" not in doc:
            situation = situation.with_coverage(None)
        if "patient" not in doc:
            parcours = optional_enum(doc.get("parcours"), "parcours", Parcours, {})
            pricing = replace(pricing, patient=replace(
                pricing.patient, parcours=parcours,
                victime_attentat=boolean(doc.get("victime_attentat"), "victime_attentat")))
        from_file = "patient" not in doc
        pricing = apply_situation(
            pricing, situation, keep_patient=not from_file, keep_amc="amc" in doc,
            keep_tiers_payant=not from_file or "tiers_payant" in doc,
            keep_exo=not from_file or "exo" in doc)
    acts = doc.get("acts")
    details = tuple(_act_details(item, index) for index, item in enumerate(
        acts if isinstance(acts, list) else []))
    draft = InvoiceDraft(
        professional_id=professional_id,
        patient_id=patient_id,
        pricing=pricing,
        act_details=details if any(d != ActDetails() for d in details) else (),
        a_domicile=boolean(doc.get("a_domicile"), "a_domicile"),
        prescription=_prescription(doc.get("prescription")),
        accident_droit_commun=boolean(doc.get("accident_droit_commun"),
                                      "accident_droit_commun"),
        accident_date=_optional_date(doc.get("accident_date"), "accident_date"),
        maternite_date=_optional_date(doc.get("maternite_date"), "maternite_date"),
        accident_travail=_accident_travail(doc.get("accident_travail")),
        forcage_ald=boolean(doc.get("forcage_ald"), "forcage_ald"),
        declaration_medecin_traitant=optional_enum(
            doc.get("declaration_medecin_traitant"), "declaration_medecin_traitant",
            MedecinTraitantDeclaration, {}),
        amc_choice=choice,
        secure_mode=enum(doc.get("secure_mode", "securise"), "secure_mode", SecureMode, {}),
        entente_prealable=_entente(doc.get("entente_prealable")),
        prevention_commune=boolean(doc.get("prevention_commune"), "prevention_commune"),
        sante_sexuelle=boolean(doc.get("sante_sexuelle"), "sante_sexuelle"),
        anonymous_minor=boolean(doc.get("anonymous_minor"), "anonymous_minor"),
        exo_per_act=boolean(doc.get("exo_per_act"), "exo_per_act"),
        group_identical=boolean(doc.get("group_identical"), "group_identical"),
        amo_service=_amo_service(doc.get("amo_service")),
        hors_teletransmission=boolean(doc.get("hors_teletransmission"),
                                      "hors_teletransmission"),
        bill_to=_bill_to(doc.get("bill_to")),
        replaces_id=_optional_id(doc.get("replaces_id"), "replaces_id"),
    )
    return draft


def _act_details(value: object, index: int) -> ActDetails:
    if not isinstance(value, Mapping):
        return ActDetails()  # parse_draft has already refused it
    field = f"acts[{index}]"
    return _checked(lambda: ActDetails(
        regroupement=_text(value.get("regroupement"), f"{field}.regroupement", 3).upper(),
        serie=boolean(value.get("serie"), f"{field}.serie"),
        complement=optional_enum(value.get("complement"), f"{field}.complement", Complement, {}),
        indemnite_forfaitaire=_text(value.get("indemnite_forfaitaire"),
                                    f"{field}.indemnite_forfaitaire", 4).upper(),
        entente_prealable=boolean(value.get("entente_prealable"), f"{field}.entente_prealable"),
    ), field)


def _prescription(value: object) -> Prescription | None:
    if value is None or value is False:
        return None
    if value is True:
        return Prescription()
    doc = obj(value, "prescription")
    return Prescription(
        date=_optional_date(doc.get("date"), "prescription.date"),
        prescriber_id=_optional_id(doc.get("prescriber_id"), "prescription.prescriber_id"),
        ordonnance=_attachment(doc.get("ordonnance")),
    )


def _attachment(value: object) -> Attachment | None:
    if value is None:
        return None
    field = "prescription.ordonnance"
    doc = obj(value, field)
    encoded = doc.get("content_base64")
    if not isinstance(encoded, str):
        raise missing(f"{field}.content_base64")
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise error(f"{field}.content_base64", f"{field}.content_base64: not base64",
                    f"{field}.content_base64 : contenu base64 illisible.") from None
    media_type = string(doc.get("media_type"), f"{field}.media_type", 40)
    return _checked(lambda: Attachment(media_type, content,
                                       _text(doc.get("filename"), f"{field}.filename", 200)),
                    field)


def _accident_travail(value: object) -> AccidentTravail | None:
    if value is None:
        return None
    doc = obj(value, "accident_travail")
    return _checked(lambda: AccidentTravail(
        date=_optional_date(doc.get("date"), "accident_travail.date"),
        organisme=_text(doc.get("organisme"), "accident_travail.organisme", 9),
        code=_text(doc.get("code"), "accident_travail.code", 2),
        identifiant=_text(doc.get("identifiant"), "accident_travail.identifiant", 9),
    ), "accident_travail")


def _amc_choice(value: object) -> AmcChoice | None:
    if value is None:
        return None
    doc = obj(value, "amc_choice")
    return AmcChoice(
        coverage_id=_optional_id(doc.get("coverage_id"), "amc_choice.coverage_id"),
        amc_number=_text(doc.get("amc_number"), "amc_choice.amc_number", 10),
        convention_type=_text(doc.get("convention_type"), "amc_choice.convention_type", 10),
        csr=_text(doc.get("csr"), "amc_choice.csr", 10),
    )


def _entente(value: object) -> EntentePrealable | None:
    if value is None:
        return None
    doc = obj(value, "entente_prealable")
    code = doc.get("code", "9")
    if isinstance(code, int) and not isinstance(code, bool):
        code = str(code)
    return EntentePrealable(
        code=enum(code, "entente_prealable.code", EntentePrealableCode, {}),
        date=_optional_date(doc.get("date"), "entente_prealable.date"),
    )


def _amo_service(value: object) -> AmoServiceForcing | None:
    if value is None:
        return None
    doc = obj(value, "amo_service")
    if doc.get("start") is None:
        raise missing("amo_service.start")
    return _checked(lambda: AmoServiceForcing(
        code=string(doc.get("code"), "amo_service.code", 3),
        start=date_value(doc["start"], "amo_service.start"),
        end=_optional_date(doc.get("end"), "amo_service.end"),
    ), "amo_service")


def _bill_to(value: object) -> BillTo | None:
    if value is None:
        return None
    doc = obj(value, "bill_to")
    return _checked(lambda: BillTo(
        name=_text(doc.get("name"), "bill_to.name", 200),
        address=_text(doc.get("address"), "bill_to.address", 500),
        siret=_text(doc.get("siret"), "bill_to.siret", 14),
        patient_id=_optional_id(doc.get("patient_id"), "bill_to.patient_id"),
    ), "bill_to")


def parse_payment(doc: Mapping[str, object]) -> Payment:
    """A payment document: ``kind``, ``amount``, ``paid_on`` (+ ``payer``, ``reference``,
    ``payer_name``)."""
    for key in ("kind", "amount", "paid_on"):
        if key not in doc:
            raise missing(key)
    return _checked(lambda: Payment(
        kind=enum(doc["kind"], "kind", PaymentKind, {"carte": PaymentKind.CB,
                                                     "espece": PaymentKind.ESPECES}),
        amount=amount(doc["amount"], "amount"),
        paid_on=date_value(doc["paid_on"], "paid_on"),
        payer=enum(doc.get("payer", "patient"), "payer", Payer, {}),
        reference=_text(doc.get("reference"), "reference", 60),
        payer_name=_text(doc.get("payer_name"), "payer_name", 200),
    ), "")
