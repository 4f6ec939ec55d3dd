"""Rules on loependeJournal.xml and offentligJournal.xml, and the journals against arkivstruktur.xml."""

from __future__ import annotations

from collections.abc import Iterator

from noark import codes
from noark.validate import rule_ids
from noark.validate.base import (
    ARKIVSTRUKTUR,
    FINAL,
    LOEPENDE_JOURNAL,
    NS,
    OFFENTLIG_JOURNAL,
    UTTREKK,
    Element,
    JournalSource,
    Rule,
    digest,
)
from schemas.findings import Finding

JOURNALS = (LOEPENDE_JOURNAL, OFFENTLIG_JOURNAL)


def _prefix(file: str) -> str:
    return "l" if file == LOEPENDE_JOURNAL else "o"


class JournalEntryKnown(Rule):
    """Arkade N5.59 (per entry): each journalregistrering names a journalpost in a saksmappe in arkivstruktur."""

    id = rule_ids.JOURNAL_COUNT
    files = JOURNALS
    tags = frozenset({"journalregistrering"})
    kinds = UTTREKK

    def end(self, el: Element) -> Iterator[Finding]:
        p = _prefix(self.ctx.file)
        jp = el.find(f"{p}:journalpost", NS)
        system_id = jp.findtext(f"{p}:systemID", namespaces=NS) if jp is not None else None
        if system_id is None or digest(system_id) not in self.ctx.facts.journaled:
            yield self.finding(
                f"{self.ctx.file.removesuffix('.xml')} fører opp {system_id}, som ikke er en journalpost i en "
                "saksmappe i arkivstruktur",
                el.sourceline,
            )


class PublicEntryMasked(Rule):
    """offentligJournal shows arkivstruktur's tilgangsrestriksjon and masks what skjermingMetadata names."""

    id = rule_ids.SKJERMING
    files = (OFFENTLIG_JOURNAL,)
    tags = frozenset({"journalregistrering"})
    kinds = UTTREKK

    def end(self, el: Element) -> Iterator[Finding]:
        jp = el.find("o:journalpost", NS)
        system_id = jp.findtext("o:systemID", namespaces=NS) if jp is not None else None
        if jp is None or system_id is None or digest(system_id) not in self.ctx.facts.journaled:
            return  # reported by JournalEntryKnown
        source: JournalSource | None = self.ctx.facts.skjermet.get(system_id)
        restriction = source.restriction if source else None
        hidden = source.hidden if source else frozenset()
        if restriction != jp.findtext("o:tilgangsrestriksjon", namespaces=NS):
            yield self.finding(
                f"{system_id}: tilgangsrestriksjon er ulik i arkivstruktur og offentligJournal", jp.sourceline
            )
        if "korrespondansepartNavn" in hidden:
            for part in jp.iterfind("o:korrespondansepart", NS):
                kind = part.findtext("o:korrespondanseparttype", namespaces=NS) or ""
                name = part.findtext("o:korrespondansepartNavn", namespaces=NS)
                if not kind.startswith("Intern") and name != codes.SKJERMET_TEKST:
                    yield self.finding(
                        f"{system_id}: skjermet korrespondansepartNavn {name!r} vises i offentligJournal",
                        jp.sourceline,
                    )
        if "tittel" in hidden and source and jp.findtext("o:offentligTittel", namespaces=NS) == source.tittel:
            yield self.finding(f"{system_id}: skjermet tittel vises i offentligJournal", jp.sourceline)


class JournalCount(Rule):
    """Arkade N5.59: antallJournalposter = journalregistreringer = journalposter in saksmapper; with "skarpt"
    period separation, = every journalpost in arkivstruktur."""

    id = rule_ids.JOURNAL_COUNT
    files = (FINAL,)
    kinds = UTTREKK

    def finish(self) -> Iterator[Finding]:
        facts = self.ctx.facts
        journaled, all_journalposter = len(facts.journaled), facts.counts["journalpost"]
        sharp = facts.addml is not None and facts.addml.periode == ("skarpt", "skarpt")
        for name in JOURNALS:
            head = facts.journals.get(name)
            if head is None:
                if journaled:
                    yield self.finding(f"{name} mangler", file=name)
                continue
            if head.stated != str(head.entries) or head.entries != journaled:
                yield self.finding(
                    f"{name}: antallJournalposter {head.stated}, {head.entries} journalregistreringer, "
                    f"{journaled} journalposter i saksmapper i {ARKIVSTRUKTUR}",
                    file=name,
                )
            if sharp and head.entries != all_journalposter:
                yield self.finding(
                    f"{name}: skarpt periodeskille, men {head.entries} journalregistreringer for "
                    f"{all_journalposter} journalposter i {ARKIVSTRUKTUR} (Arkade N5.59)",
                    file=name,
                )


class JournalDates(Rule):
    """Arkade N5.60: both journals cover the same period, and it covers every journaled journaldato."""

    id = rule_ids.JOURNAL_DATES
    files = (FINAL,)
    kinds = UTTREKK

    def finish(self) -> Iterator[Finding]:
        facts = self.ctx.facts
        for name in JOURNALS:
            head = facts.journals.get(name)
            if head is None or not (facts.journal_dates and head.start and head.end):
                continue
            first, last = facts.journal_dates
            if first < head.start or last > head.end:
                yield self.finding(
                    f"{name}: journalStartDato..journalSluttDato {head.start}..{head.end} dekker ikke "
                    f"journaldato {first}..{last}",
                    file=name,
                )
        a, b = facts.journals.get(LOEPENDE_JOURNAL), facts.journals.get(OFFENTLIG_JOURNAL)
        if a is not None and b is not None and (a.start, a.end) != (b.start, b.end):
            yield self.finding(
                f"loependeJournal {a.start}..{a.end} og offentligJournal {b.start}..{b.end} dekker ulike perioder "
                "(Arkade N5.60)",
                file=OFFENTLIG_JOURNAL,
            )


RULES: tuple[type[Rule], ...] = (JournalEntryKnown, PublicEntryMasked, JournalCount, JournalDates)
