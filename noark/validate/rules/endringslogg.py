"""Rules on endringslogg.xml."""

from __future__ import annotations

from collections.abc import Iterator

from noark.validate import rule_ids
from noark.validate.base import ARKIVSTRUKTUR, ENDRINGSLOGG, UTTREKK, Element, Rule, digest
from schemas.findings import Finding


class EndringsloggReference(Rule):
    """Arkade N5.62: every referanseArkivenhet is a systemID in arkivstruktur.xml."""

    id = rule_ids.ENDRINGSLOGG_REFERENCE
    files = (ENDRINGSLOGG,)
    tags = frozenset({"referanseArkivenhet"})
    kinds = UTTREKK

    def end(self, el: Element) -> Iterator[Finding]:
        value = (el.text or "").strip()
        if digest(value) not in self.ctx.facts.system_ids:
            yield self.finding(f"referanseArkivenhet {value} er ikke en systemID i {ARKIVSTRUKTUR}", el.sourceline)


RULES: tuple[type[Rule], ...] = (EndringsloggReference,)
