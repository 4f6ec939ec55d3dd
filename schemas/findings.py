"""One finding type for every check: validation, fixity, PDF/A checks, render warnings, screening.

A check never raises for what it finds; it returns findings. ``rule`` is a stable machine id (English,
kebab-case, e.g. ``dokumentfil-sjekksum``); ``message`` is for people, in Norwegian bokmål; ``where`` names
the file, package, thread or item (``file:line`` where a line is known).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_LABELS: dict[str, str] = {"error": "FEIL", "warning": "ADVARSEL", "info": "INFO"}


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a check found."""

    rule: str
    message: str
    where: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"[{self.rule}] {self.where + ': ' if self.where else ''}{self.message}"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def errors(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that make a check fail."""
    return [f for f in findings if f.severity == "error"]


def warnings(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "warning"]
