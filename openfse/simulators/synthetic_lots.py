"""Synthetic invoices and lots for the simulated caisse: demos, soak tests, benchmarks.

The product's side of a test: lots built as the desk builds them (the real pricing engine and
values). It lives outside ``openfse.simulators.caisse`` on purpose: the caisse itself never
uses the product's engine or codec (tests/architecture/test_caisse_independence.py).

Each invoice is priced by the real pricing engine from a small set of realistic drafts
(docs/formats/price.md documents: a GP consultation with and without tiers payant, a nurse's care
with travel, a physiotherapy session, a consultation with a complementary in gestion unique)
and carries its draft, so the caisse's recomputation agrees with it. Signatures are made like
the test CPS makes them (HMAC-SHA256 of the SHA-256 of the signed data, docs/formats/
card-apdu.md §4) when a signer is given.

Identities are fictitious: NIR ``1 YY MM 75 111 NNN`` with a computed key, born in Paris.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal
from hashlib import sha256

from openfse.adapters.transmission.signed_content import signed_document
from openfse.domain.cards import VitaleCard
from openfse.domain.pricing.codes import Nomenclature
from openfse.domain.pricing.contract import price_document
from openfse.domain.transmission import (
    ActLine,
    Destination,
    DestinationKind,
    InvoiceRecord,
    LotKind,
    PendingItem,
)
from openfse.ids import nir as nir_id
from openfse.simulators.cards.model import CardCatalog, vitale_key

__all__ = [
    "DEFAULT_ORGANISME",
    "DEFAULT_PS_NUMBER",
    "TEMPLATES",
    "Signer",
    "priced_record",
    "secure_record",
    "synthetic_birth_date",
    "synthetic_nir",
    "synthetic_pending",
    "signer_of_test_cps",
]

Signer = Callable[[bytes], bytes]

DEFAULT_PS_NUMBER = "751000126"  # cps_titulaire, situation 1 (75100012 + key 6)
DEFAULT_ORGANISME = "017519881"  # 01 751 9881, as on the test cartes Vitale

_GP = {"specialite": "medecine_generale", "secteur": 1}

# Realistic drafts (docs/formats/price.md), without their date.
TEMPLATES: tuple[Mapping[str, object], ...] = (
    {
        "profession": "medecin",
        "ps": _GP,
        "patient": {"age": 40, "parcours": "medecin_traitant"},
        "acts": [{"code": "G"}],
    },
    {
        "profession": "medecin",
        "ps": _GP,
        "patient": {"age": 40, "parcours": "medecin_traitant"},
        "acts": [{"code": "G"}],
        "tiers_payant": {"amo": True},
    },
    {
        "profession": "infirmier",
        "patient": {"age": 70},
        "acts": [{"code": "AMI", "coefficient": "4.5"}, {"code": "IFD"}],
        "tiers_payant": {"amo": True},
    },
    {
        "profession": "masseur_kinesitherapeute",
        "patient": {"age": 55},
        "acts": [{"code": "AMK", "coefficient": "7.5"}],
        "tiers_payant": {"amo": True},
    },
    {
        "profession": "medecin",
        "ps": _GP,
        "patient": {"age": 30, "parcours": "medecin_traitant"},
        "acts": [{"code": "G"}],
        "amc": {"formula": "020", "gestion": "unique"},
        "tiers_payant": {"amo": True, "amc": True},
    },
)


def signer_of_test_cps(card: str = "cps_titulaire") -> Signer:
    """Sign as the test CPS ``card`` does once its code porteur is verified."""
    secrets = CardCatalog().get(card).secrets
    if secrets is None:
        raise ValueError(f"{card} is not a CPS test card")
    key = secrets.signing_key

    def sign(data: bytes) -> bytes:
        return hmac.new(key, sha256(data).digest(), sha256).digest()

    return sign


def secure_record(record: InvoiceRecord, card: str = "vitale_famille") -> InvoiceRecord:
    """``record`` (signed) secured by the test carte Vitale ``card`` too, as in mode sécurisé:
    the card's signature of the contenu signé and its serial number (lot.md §3 SIG)."""
    content = CardCatalog().get(card).content
    if not isinstance(content, VitaleCard):
        raise ValueError(f"{card} is not a Vitale test card")
    digest = sha256(record.signed_content).digest()
    signature = hmac.new(vitale_key(content.serial), digest, sha256).digest()
    return replace(record, vitale_signature=signature, vitale_serial=content.serial)


def synthetic_nir(index: int, birth: date, sex: int = 1) -> str:
    """A valid NIR for person ``index`` (0–999) born on ``birth`` in Paris (75 111)."""
    body = f"{sex}{birth.year % 100:02d}{birth.month:02d}75111{index % 1000:03d}"
    return body + nir_id.calc_check_digits(body)


def synthetic_birth_date(index: int) -> date:
    return date(1950 + index % 50, 1 + index % 12, 1 + index % 28)


def priced_record(
    number: str,
    *,
    draft: Mapping[str, object],
    care_date: date,
    nir: str,
    birth_date: date,
    rang: int = 1,
    organisme: str = DEFAULT_ORGANISME,
    kind: LotKind = LotKind.FSE,
    amc_number: str = "",
    secure_mode: str = "sesam_sans_vitale",
    signer: Signer | None = None,
) -> InvoiceRecord:
    """The invoice the desk would send for ``draft`` priced on ``care_date``."""
    document = {**draft, "date_soins": care_date.isoformat()}
    priced = price_document(document)
    acts = tuple(_act(line) for line in _items(priced["per_act"]))
    payments = _mapping(priced["paiements"])
    tiers_payant = _mapping(priced["tiers_payant"])
    record = InvoiceRecord(
        number=number,
        nir=nir,
        birth_date=f"{birth_date:%Y%m%d}",
        rang=rang,
        organisme=organisme,
        care_date=care_date,
        invoiced_on=care_date,
        secure_mode=secure_mode,
        tiers_payant_amo=bool(tiers_payant["amo"]),
        tiers_payant_amc=bool(tiers_payant["amc"]),
        acts=acts,
        total=_money(priced["total_honoraires"]),
        amo=_money(priced["amo_brut"]),
        amc=_money(priced["amc"]),
        patient=_money(priced["patient"]),
        participations=_money(priced["participation_forfaitaire"]) + _money(priced["franchise"]),
        requested=_money(payments["caisse" if kind is LotKind.FSE else "organisme_amc"]),
        cps_signature=b"",
        amc_number=amc_number,
        draft=json.dumps(document, sort_keys=True, ensure_ascii=False),
    )
    return sign_record(record, signer)


def sign_record(record: InvoiceRecord, signer: Signer | None) -> InvoiceRecord:
    if signer is None:
        return record
    content = signed_document(record)
    return replace(record, cps_signature=signer(content), signed_content=content)


def synthetic_pending(
    count: int,
    *,
    care_date: date,
    first_number: int = 1,
    ps_number: str = DEFAULT_PS_NUMBER,
    organisme: str = DEFAULT_ORGANISME,
    signer: Signer | None = None,
) -> list[PendingItem]:
    """``count`` FSE ready to send, cycling through ``TEMPLATES`` (each priced once)."""
    priced = [
        priced_record(
            "000000000",
            draft=draft,
            care_date=care_date,
            nir=synthetic_nir(0, synthetic_birth_date(0)),
            birth_date=synthetic_birth_date(0),
            organisme=organisme,
        )
        for draft in TEMPLATES
    ]
    destination = Destination(DestinationKind.AMO, organisme)
    return [
        PendingItem(ps_number, LotKind.FSE, destination, record)
        for record in _variants(priced, count, first_number, signer)
    ]


def _variants(
    priced: list[InvoiceRecord], count: int, first_number: int, signer: Signer | None
) -> Iterator[InvoiceRecord]:
    for index in range(count):
        birth = synthetic_birth_date(index)
        record = replace(
            priced[index % len(priced)],
            number=f"{first_number + index:09d}",
            nir=synthetic_nir(index, birth),
            birth_date=f"{birth:%Y%m%d}",
        )
        yield sign_record(record, signer)


def _act(line: Mapping[str, object]) -> ActLine:
    modifiers = line["modifiers"]
    return ActLine(
        date=date.fromisoformat(str(line["date"])),
        nomenclature=Nomenclature(str(line["nomenclature"])),
        code=str(line["code"]),
        quantity=int(str(line["quantity"])),
        coefficient=Decimal(str(line["coefficient"])),
        honoraires=_money(line["honoraires"]),
        base=_money(line["br"]),
        rate=_money(line["taux_amo"]),
        amo=_money(line["amo"]),
        amc=_money(line["amc"]),
        modifiers="".join(str(m) for m in modifiers) if isinstance(modifiers, list) else "",
        exo="" if line["exo"] is None else str(line["exo"]),
    )


def _money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _mapping(value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _items(value: object) -> list[Mapping[str, object]]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return [_mapping(item) for item in value]
