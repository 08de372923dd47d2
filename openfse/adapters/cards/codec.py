"""Card content as plain data: the one serialisation of a CPS or a Vitale card.

The same mapping is written in the test-card YAML files (under ``card:``), and as JSON in the
content file of the emulated chip (docs/formats/card-apdu.md). It mirrors the value types of
:mod:`openfse.domain.cards` field by field: a dataclass is a mapping of its fields, a tuple a
list, a date an ISO ``AAAA-MM-JJ`` string (YAML dates are accepted too). Unknown or missing
keys and wrong types are refused with the path of the offending value, so a typo in a test card
is reported, not silently ignored.
"""

from __future__ import annotations

import json
import types
from dataclasses import MISSING, fields, is_dataclass
from datetime import date
from enum import Enum
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from openfse.adapters.cards.errors import CardContentError
from openfse.domain.cards import CardKind, CpsCard, VitaleCard
from openfse.errors import InvalidInput

__all__ = ["card_from_data", "card_from_json", "card_to_json", "from_data", "to_data"]

T = TypeVar("T")

_CARD_TYPES: dict[CardKind, type[CpsCard] | type[VitaleCard]] = {
    CardKind.CPS: CpsCard,
    CardKind.VITALE: VitaleCard,
}


def to_data(value: Any) -> Any:
    """Plain data (dicts, lists, strings, numbers) for a card value."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple):
        return [to_data(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def from_data(cls: type[T], data: Any, path: str = "card") -> T:
    """Build ``cls`` (a card value type) from plain data, or raise :class:`CardContentError`."""
    return _decode(cls, data, path)  # type: ignore[no-any-return]


def card_from_data(kind: CardKind, data: Any) -> CpsCard | VitaleCard:
    if kind not in _CARD_TYPES:
        raise CardContentError(f"type de carte sans contenu : {kind.value}")
    return from_data(_CARD_TYPES[kind], data)


def card_to_json(card: CpsCard | VitaleCard) -> bytes:
    """Compact UTF-8 JSON, as stored in the chip's content file."""
    return json.dumps(to_data(card), ensure_ascii=False, separators=(",", ":")).encode()


def card_from_json(kind: CardKind, raw: bytes) -> CpsCard | VitaleCard:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CardContentError(f"JSON invalide ({exc})") from None
    return card_from_data(kind, data)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _decode(tp: Any, data: Any, path: str) -> Any:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(tp) if a is not type(None)]
        if data is None:
            if len(options) < len(get_args(tp)):
                return None
            raise CardContentError(f"{path} : valeur absente", field=path)
        if len(options) != 1:
            raise TypeError(f"unsupported union {tp}")
        return _decode(options[0], data, path)
    if origin is tuple:
        item_type = get_args(tp)[0]
        if not isinstance(data, list):
            raise CardContentError(f"{path} : liste attendue", field=path)
        return tuple(_decode(item_type, item, f"{path}[{i}]") for i, item in enumerate(data))
    if isinstance(tp, type) and is_dataclass(tp):
        return _decode_dataclass(tp, data, path)
    if tp is date:
        return _decode_date(data, path)
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(data)
        except ValueError:
            raise CardContentError(f"{path} : valeur « {data} » inconnue", field=path) from None
    if tp is bool:
        if not isinstance(data, bool):
            raise CardContentError(f"{path} : vrai/faux attendu", field=path)
        return data
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise CardContentError(f"{path} : nombre entier attendu", field=path)
        return data
    if tp is str:
        # Codes keep their leading zeros only as text: 0001 read as a number would be 1.
        if not isinstance(data, str):
            raise CardContentError(f"{path} : texte attendu (entre guillemets)", field=path)
        return data
    raise TypeError(f"unsupported card field type {tp!r}")


def _decode_dataclass(cls: type, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise CardContentError(f"{path} : objet attendu", field=path)
    hints = _hints(cls)
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise CardContentError(f"{path} : champ(s) inconnu(s) {', '.join(unknown)}", field=path)
    values = {}
    for name, spec in known.items():
        if name in data:
            values[name] = _decode(hints[name], data[name], f"{path}.{name}")
        elif spec.default is MISSING and spec.default_factory is MISSING:
            raise CardContentError(f"{path} : champ « {name} » manquant", field=f"{path}.{name}")
    try:
        return cls(**values)
    except InvalidInput as exc:  # the value types' own checks (NIR shape, periods…)
        raise CardContentError(f"{path} : {exc.message}", field=path) from None


def _decode_date(data: Any, path: str) -> date:
    if isinstance(data, date):
        return data
    if isinstance(data, str):
        try:
            return date.fromisoformat(data)
        except ValueError:
            pass
    raise CardContentError(f"{path} : date AAAA-MM-JJ attendue", field=path)
