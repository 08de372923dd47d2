"""Text payload of the 2D code (DataMatrix / QR) of an attestation de tiers payant AMC.

The harmonised attestation carries exactly five informations — numéro AMC, type de
convention, critère secondaire de routage, numéro d'adhérent, période de validité
(sintia.fr/node/84; docs/protocols.md §5). Their byte layout in the Inter-AMC cahier des charges is
not public, so openfse defines a plausible key=value layout and parses it tolerantly;
``docs/formats/attestation-2d.md`` documents it:

>>> att = parse_attestation_payload("IAMC1|AMC=98532001|TC=AL|CSR=001|ADH=75822319"
...                                 "|DU=20250101|AU=20251231")
>>> att.amc_number, att.convention_type, att.csr, att.member_number, str(att.validity)
('98532001', 'AL', '001', '75822319', 'du 01/01/2025 au 31/12/2025')

Tolerated: separators ``|`` ``;`` newline, tab, GS (0x1D) and RS (0x1E); ``=`` or ``:``;
keys in any case, with accents, with aliases (``NUMAMC``, ``TYPCONV``, ``CRS``…); a combined
``TC/CSR=AL/001`` and ``PERIODE=20250101-20251231``; dates ``AAAAMMJJ``, ``AAAA-MM-JJ`` or
``JJ/MM/AAAA``; unknown keys are ignored. Anything else raises a typed
:class:`AttestationError` with a French message.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from openfse.domain.rights import AmcAttestation
from openfse.errors import OpenFSEError
from openfse.ids import amc as ids_amc
from openfse.ids.exceptions import ValidationError as IdsValidationError
from openfse.periods import Period

__all__ = [
    "AttestationError",
    "AttestationExpired",
    "AttestationMalformed",
    "AttestationNoCode",
    "AttestationNotAmc",
    "AttestationNotYetValid",
    "AttestationUnreadableImage",
    "HEADER",
    "format_attestation_payload",
    "parse_attestation_payload",
]

HEADER = "IAMC1"
MAX_PAYLOAD = 4096  # more than any DataMatrix holds (3 116 characters): not an attestation


class AttestationError(OpenFSEError):
    code = "attestation_error"


class AttestationUnreadableImage(AttestationError):
    code = "attestation_unreadable_image"


class AttestationNoCode(AttestationError):
    code = "attestation_no_code"

    def __init__(self) -> None:
        super().__init__(
            "Aucun code 2D (DataMatrix ou QR code) n'a été trouvé sur l'image : rescannez "
            "l'attestation à plat, bien éclairée, ou saisissez les données à la main."
        )


class AttestationNotAmc(AttestationError):
    code = "attestation_not_amc"

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "Un code 2D a été lu, mais ce n'est pas une attestation de tiers payant AMC"
            + (f" ({detail})." if detail else ".")
        )


class AttestationMalformed(AttestationError):
    code = "attestation_malformed"


class AttestationExpired(AttestationError):
    code = "attestation_expired"

    def __init__(self, attestation: AmcAttestation, on: date) -> None:
        self.attestation = attestation
        super().__init__(
            f"Attestation expirée : valable {attestation.validity}, nous sommes le "
            f"{on:%d/%m/%Y}. Demandez au patient son attestation en cours."
        )


class AttestationNotYetValid(AttestationError):
    code = "attestation_not_yet_valid"

    def __init__(self, attestation: AmcAttestation, on: date) -> None:
        self.attestation = attestation
        super().__init__(
            f"Attestation pas encore valable : valable {attestation.validity}, nous sommes le "
            f"{on:%d/%m/%Y}."
        )


# Canonical key → accepted spellings (compared after _key()).
_ALIASES = {
    "amc": ("AMC", "NAMC", "NUMAMC", "NOAMC", "NUMEROAMC", "AMCNUM"),
    "tc": ("TC", "TYPCONV", "TYPECONV", "TYPECONVENTION", "TYPCONVENTION"),
    "csr": ("CSR", "CRS", "CRITERE", "CRITERESECONDAIRE"),
    "tc_csr": ("TCCSR", "TYPCONVCSR", "TYPECONVENTIONCSR"),
    "adh": ("ADH", "NADH", "NUMADH", "ADHERENT", "NUMEROADHERENT", "NOADH"),
    "du": ("DU", "DEBUT", "VALDEB", "DD", "VALIDEDU"),
    "au": ("AU", "FIN", "VALFIN", "DF", "VALIDEAU"),
    "periode": ("PER", "PERIODE", "VALIDITE", "PERIODEVALIDITE"),
    "formula": ("FORM", "FORMULE"),
}
_CANONICAL = {alias: key for key, aliases in _ALIASES.items() for alias in aliases}
_SEPARATORS = re.compile(r"[|;\n\r\t\x1d\x1e]+")
_HEADER = re.compile(r"IAMC([0-9]{1,3})")
_DATE_FORMS = (
    re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})"),
    re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})"),
    re.compile(r"(?P<d>[0-9]{2})/(?P<m>[0-9]{2})/(?P<y>[0-9]{4})"),
)
_LABELS = {
    "amc": "numéro AMC",
    "tc": "type de convention",
    "csr": "critère secondaire",
    "adh": "numéro d'adhérent",
    "du": "début de validité",
    "au": "fin de validité",
    "formula": "formule",
}


def _key(raw: str) -> str:
    bare = unicodedata.normalize("NFKD", raw)
    return re.sub(
        r"[^0-9A-Z]", "", "".join(c for c in bare if not unicodedata.combining(c)).upper()
    )


def _malformed(field: str, problem: str) -> AttestationMalformed:
    return AttestationMalformed(
        f"Attestation AMC illisible : {_LABELS.get(field, field)} {problem}.", field=field
    )


def _parse_date(text: str, field: str) -> date:
    for form in _DATE_FORMS:
        match = form.fullmatch(text.strip())
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                break
    raise _malformed(field, f"n'est pas une date valide (« {text[:20]} »)")


def _fields(payload: str) -> tuple[bool, dict[str, str]]:
    """(header seen, canonical key → value) — raising on conflicting duplicates."""
    tokens = [t.strip() for t in _SEPARATORS.split(payload) if t.strip()]
    has_header = False
    if tokens:
        header = _HEADER.fullmatch(tokens[0].upper())
        if header:
            if header[1] != HEADER[4:]:
                raise AttestationNotAmc(f"version de format IAMC{header[1]} non prise en charge")
            has_header = True
            tokens = tokens[1:]
    found: dict[str, str] = {}
    for token in tokens:
        match = re.fullmatch(r"([^=:]{1,40})[=:](.*)", token, flags=re.DOTALL)
        if match is None:
            continue  # free text on the code (an organisme name…): ignored
        key = _CANONICAL.get(_key(match[1]))
        if key is None:
            continue  # unknown key: forward compatible
        value = match[2].strip()
        if key in found and found[key] != value:
            raise _malformed(key, "figure deux fois avec des valeurs différentes")
        found[key] = value
    return has_header, found


def _split_tc_csr(value: str) -> tuple[str, str]:
    parts = re.split(r"[/\s-]+", value.strip(), maxsplit=1)
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise _malformed(
            "tc", f"et critère secondaire attendus sous la forme AL/001 (« {value[:30]} »)"
        )
    return parts[0], parts[1]


_ANY_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}/[0-9]{2}/[0-9]{4}|[0-9]{8}")


def _split_period(value: str) -> tuple[str, str]:
    dates = _ANY_DATE.findall(value)
    if len(dates) != 2:
        raise _malformed(
            "du", f"période attendue sous la forme 20250101-20251231 (« {value[:30]} »)"
        )
    return dates[0], dates[1]


def _checked(value: str | None, field: str, pattern: str, hint: str) -> str:
    if value is None or value == "":
        raise _malformed(field, "absent")
    compact = re.sub(r"[\s.]", "", value).upper()
    if re.fullmatch(pattern, compact) is None:
        raise _malformed(field, f"invalide (« {value[:30]} », {hint})")
    return compact


def _amc_number(value: str | None) -> str:
    if not value:
        raise _malformed("amc", "absent")
    try:
        return ids_amc.validate(value)  # 7 to 10 digits, leading zeros kept (openfse.ids.amc)
    except IdsValidationError as error:
        raise AttestationMalformed(
            f"Attestation AMC illisible : {error.message}", field="amc"
        ) from None


def parse_attestation_payload(payload: str) -> AmcAttestation:
    """Parse the decoded text of an attestation 2D code (see the module docstring)."""
    if not isinstance(payload, str):
        raise AttestationNotAmc("contenu binaire")
    if len(payload) > MAX_PAYLOAD:
        raise AttestationNotAmc("contenu trop long")
    has_header, found = _fields(payload)
    if not has_header and ("amc" not in found or len(found) < 2):
        raise AttestationNotAmc("ni en-tête IAMC ni numéro AMC")
    if "tc_csr" in found:
        tc, csr = _split_tc_csr(found["tc_csr"])
        for key, value in (("tc", tc), ("csr", csr)):
            if found.setdefault(key, value) != value:
                raise _malformed(key, "contredit le champ TC/CSR")
    if "periode" in found:
        start, end = _split_period(found["periode"])
        for key, value in (("du", start), ("au", end)):
            if found.setdefault(key, value) != value:
                raise _malformed(key, "contredit le champ PERIODE")
    valid_from = _parse_date(_checked(found.get("du"), "du", r"[0-9/\-]{8,10}", "date"), "du")
    valid_to = _parse_date(_checked(found.get("au"), "au", r"[0-9/\-]{8,10}", "date"), "au")
    if valid_to < valid_from:
        raise _malformed("au", f"précède le début de validité ({valid_from:%d/%m/%Y})")
    formula = found.get("formula")
    return AmcAttestation(
        amc_number=_amc_number(found.get("amc")),
        convention_type=_checked(found.get("tc"), "tc", r"[0-9A-Z]{2}", "2 caractères"),
        csr=_checked(found.get("csr"), "csr", r"[0-9A-Z]{1,3}", "1 à 3 caractères"),
        member_number=_checked(found.get("adh"), "adh", r"[0-9A-Z]{1,30}", "lettres et chiffres"),
        validity=Period(valid_from, valid_to),
        formula=None
        if not formula
        else _checked(formula, "formula", r"[0-9A-Z]{3}", "3 caractères, ex. 012"),
        raw=payload,
    )


def format_attestation_payload(attestation: AmcAttestation) -> str:
    """The canonical payload (what an AMC would print; used to make test codes)."""
    if attestation.valid_to is None:
        raise ValueError("an attestation always prints the end of its validity period")
    fields = [
        HEADER,
        f"AMC={attestation.amc_number}",
        f"TC={attestation.convention_type}",
        f"CSR={attestation.csr}",
        f"ADH={attestation.member_number}",
        f"DU={attestation.valid_from:%Y%m%d}",
    ]
    fields.append(f"AU={attestation.valid_to:%Y%m%d}")
    if attestation.formula:
        fields.append(f"FORM={attestation.formula}")
    return "|".join(fields)
