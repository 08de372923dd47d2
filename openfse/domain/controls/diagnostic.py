"""What a control returns: diagnostics, as data (a user sees every problem in one pass)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    BLOCKING = "blocking"  # the insurer would reject the invoice: validation refused
    WARNING = "warning"  # to check; the invoice may be validated


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: a stable ``code``, its severity, a French message, and the field it is
    about as a path of the invoice document (``acts[1].modifiers``, ``prescription``…)."""

    code: str
    severity: Severity
    message_fr: str
    field: str | None = None

    @property
    def is_blocking(self) -> bool:
        return self.severity is Severity.BLOCKING


def blocking(code: str, message_fr: str, field: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.BLOCKING, message_fr, field)


def warning(code: str, message_fr: str, field: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message_fr, field)


def act_field(index: int, name: str | None = None) -> str:
    """``acts[2]`` / ``acts[2].modifiers``: the same paths as the pricing contract."""
    return f"acts[{index}]" if name is None else f"acts[{index}].{name}"
