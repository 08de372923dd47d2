"""Strict, typed reading of decoded JSON answers.

A teleservice answer is external input: every field is checked for presence, type and shape,
and any surprise becomes the caller's typed "invalid answer" error naming the field path —
never a ``KeyError``/``TypeError`` escaping into a service.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

ErrorFactory = Callable[[str], Exception]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Fields:
    """A JSON object with its path (``answer.ald[1].cim10``) for error messages."""

    __slots__ = ("_data", "_path", "_error")

    def __init__(self, data: object, path: str, error: ErrorFactory) -> None:
        if not isinstance(data, dict):
            raise error(f"{path or 'la réponse'} n'est pas un objet JSON")
        self._data: dict[object, object] = data
        self._path = path
        self._error = error

    def _where(self, key: str) -> str:
        return f"{self._path}.{key}" if self._path else key

    def fail(self, key: str, problem: str) -> Exception:
        return self._error(f"champ {self._where(key)} {problem}")

    def _raw(self, key: str, *, optional: bool) -> object:
        value = self._data.get(key)
        if value is None and not optional:
            raise self.fail(key, "absent")
        return value

    def text(self, key: str, pattern: str | None = None, *, max_len: int = 200) -> str:
        value = self._raw(key, optional=False)
        return self._check_text(key, value, pattern, max_len)

    def opt_text(self, key: str, pattern: str | None = None, *, max_len: int = 200) -> str | None:
        value = self._raw(key, optional=True)
        return None if value is None else self._check_text(key, value, pattern, max_len)

    def _check_text(self, key: str, value: object, pattern: str | None, max_len: int) -> str:
        if not isinstance(value, str):
            raise self.fail(key, "doit être une chaîne")
        if len(value) > max_len:
            raise self.fail(key, f"dépasse {max_len} caractères")
        if pattern is not None and re.fullmatch(pattern, value) is None:
            raise self.fail(key, f"a une forme inattendue (« {value[:40]} »)")
        return value

    def integer(self, key: str, low: int, high: int) -> int:
        value = self._raw(key, optional=False)
        # bool is an int in Python; JSON true is not a rang.
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"doit être un entier de {low} à {high}")
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self._raw(key, optional=True)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(key, "doit être true ou false")
        return value

    def day(self, key: str) -> date:
        value = self.text(key, max_len=10)
        return self._check_day(key, value)

    def opt_day(self, key: str) -> date | None:
        value = self.opt_text(key, max_len=10)
        return None if value is None else self._check_day(key, value)

    def _check_day(self, key: str, value: str) -> date:
        if _ISO_DATE.fullmatch(value) is None:
            raise self.fail(key, f"n'est pas une date AAAA-MM-JJ (« {value} »)")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.fail(key, f"est une date inexistante (« {value} »)") from None

    def child(self, key: str) -> Fields:
        return Fields(self._raw(key, optional=False), self._where(key), self._error)

    def opt_child(self, key: str) -> Fields | None:
        value = self._raw(key, optional=True)
        return None if value is None else Fields(value, self._where(key), self._error)

    def items(self, key: str, *, max_items: int = 100) -> list[Fields]:
        value = self._raw(key, optional=True)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(key, "doit être une liste")
        if len(value) > max_items:
            raise self.fail(key, f"contient plus de {max_items} éléments")
        return [Fields(v, f"{self._where(key)}[{i}]", self._error) for i, v in enumerate(value)]


def error_code(body: object) -> str | None:
    """``body["erreur"]["code"]`` of a simulator error answer, if that is what ``body`` is."""
    if isinstance(body, dict):
        error = body.get("erreur")
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            return str(error["code"])
    return None
