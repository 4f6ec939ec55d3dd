"""Noark fidelity rules found by a third-party extraction validator: journalposter are exactly the journaled
registreringer, and saksansvarlig is a person's name."""

from __future__ import annotations

from collections.abc import Iterator

from noark.validate import rule_ids
from noark.validate.base import (
    ARKIVSTRUKTUR,
    FINAL,
    LOEPENDE_JOURNAL,
    OFFENTLIG_JOURNAL,
    UTTREKK,
    Element,
    Rule,
    local,
    text,
)
from noark.validate.collectors import in_saksmappe, is_journalpost
from schemas.findings import Finding


class JournalpostCount(Rule):
    """Every journalpost in arkivstruktur.xml is in both journals, whatever the period separation: a thread
    that is not journaled is a ``registrering``, not a journalpost."""

    id = rule_ids.JOURNALPOST_COUNT
    files = (FINAL,)
    kinds = UTTREKK

    def finish(self) -> Iterator[Finding]:
        journalposter = self.ctx.facts.counts["journalpost"]
        for name in (LOEPENDE_JOURNAL, OFFENTLIG_JOURNAL):
            head = self.ctx.facts.journals.get(name)
            entries = head.entries if head is not None else 0
            if entries != journalposter:
                yield self.finding(
                    f"{ARKIVSTRUKTUR} har {journalposter} journalposter, {name} fører {entries}; en tråd som ikke "
                    "journalføres skal være en registrering, ikke en journalpost",
                    file=name,
                )


class JournalpostInSaksmappe(Rule):
    """A journalpost outside a saksmappe cannot be listed in the journals (they require saksaar and
    sakssekvensnummer): it should be a registrering. A warning; in an uttrekk ``journalpost-count`` fails too."""

    id = rule_ids.JOURNALPOST_SAKSMAPPE
    severity = "warning"
    tags = frozenset({"registrering"})

    def end(self, el: Element) -> Iterator[Finding]:
        if is_journalpost(el) and not in_saksmappe(el):
            yield self.finding(
                f"journalpost {text(el, 'n:systemID')} ligger ikke i en saksmappe og kan ikke føres i journalen; "
                "den skulle vært en registrering",
                el.sourceline,
            )


class SaksansvarligName(Rule):
    """M306 saksansvarlig is the name of a person, never an e-mail address."""

    id = rule_ids.SAKSANSVARLIG
    files = (ARKIVSTRUKTUR, LOEPENDE_JOURNAL, OFFENTLIG_JOURNAL)
    tags = frozenset({"saksansvarlig"})

    def end(self, el: Element) -> Iterator[Finding]:
        value = el.text or ""
        if "@" in value:
            yield self.finding(
                f"<{local(el.tag)}> {value!r} er en e-postadresse; saksansvarlig (M306) skal være en persons navn",
                el.sourceline,
            )


RULES: tuple[type[Rule], ...] = (JournalpostCount, JournalpostInSaksmappe, SaksansvarligName)
