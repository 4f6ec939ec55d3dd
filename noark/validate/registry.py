"""The registry: every rule and collector, in the order they run. Adding a rule is one class and one line here."""

from __future__ import annotations

from noark.validate.base import Rule
from noark.validate.collectors import COLLECTORS
from noark.validate.rules import addml, arkivstruktur, documents, endringslogg, fidelity, journals

RULES: tuple[type[Rule], ...] = (
    *arkivstruktur.RULES,
    *documents.RULES,
    *addml.RULES,
    *endringslogg.RULES,
    *journals.RULES,
    *fidelity.RULES,
)


def rules_for(file: str, kind: str) -> list[type[Rule]]:
    """The rule classes fed by ``file``'s pass for this kind of folder (collectors excluded)."""
    return [r for r in RULES if file in r.files and kind in r.kinds]


def collectors_for(file: str, kind: str) -> list[type[Rule]]:
    return [c for c in COLLECTORS if file in c.files and kind in c.kinds]


def rule_ids() -> list[str]:
    """Every rule id the validator can report (sorted, unique)."""
    return sorted({r.id for r in RULES} | {"xsd", "xml-safety", "unsafe-path"})
