"""Collectors: the indexes and counts the rules compare against (see ``noark.validate.base``)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from noark.validate.base import (
    ENDRINGSLOGG,
    LOEPENDE_JOURNAL,
    NS,
    OFFENTLIG_JOURNAL,
    XSI_TYPE,
    Collector,
    Element,
    JournalHead,
    JournalSource,
    RuleContext,
    digest,
    local,
    text,
)
from schemas.findings import Finding


def is_journalpost(registrering: Element) -> bool:
    return bool(registrering.get(XSI_TYPE) == "journalpost")


def in_saksmappe(registrering: Element) -> bool:
    mappe = registrering.getparent()
    return mappe is not None and mappe.get(XSI_TYPE) == "saksmappe"


class SystemIds(Collector):
    """Every systemID in arkivstruktur.xml."""

    tags = frozenset({"systemID"})

    def __init__(self, ctx: RuleContext) -> None:
        super().__init__(ctx)
        self.ids: set[int] = set()
        ctx.facts.system_ids = self.ids

    def end(self, el: Element) -> Iterable[Finding]:
        self.ids.add(digest((el.text or "").strip()))
        return ()


class ElementCounts(Collector):
    """Counts of the arkivenheter (what ADDML's numberOfOccurrences states)."""

    tags = frozenset({"arkiv", "arkivdel", "mappe", "registrering", "dokumentbeskrivelse", "dokumentobjekt"})

    def __init__(self, ctx: RuleContext) -> None:
        super().__init__(ctx)
        ctx.facts.counts.clear()
        ctx.facts.counts.update(dict.fromkeys([*self.tags, "saksmappe", "journalpost"], 0))

    def end(self, el: Element) -> Iterable[Finding]:
        name, counts = local(el.tag), self.ctx.facts.counts
        counts[name] += 1
        if name == "mappe" and el.get(XSI_TYPE) == "saksmappe":
            counts["saksmappe"] += 1
        elif name == "registrering" and is_journalpost(el):
            counts["journalpost"] += 1
        return ()


class JournalIndex(Collector):
    """Journalposter in a saksmappe (the journaled ones): ids, journaldato range, skjerming."""

    tags = frozenset({"registrering"})

    def __init__(self, ctx: RuleContext) -> None:
        super().__init__(ctx)
        facts = ctx.facts
        facts.journaled, facts.skjermet, facts.journal_dates = set(), {}, None

    def end(self, el: Element) -> Iterable[Finding]:
        if not (is_journalpost(el) and in_saksmappe(el)):
            return ()
        facts, system_id = self.ctx.facts, text(el, "n:systemID") or ""
        facts.journaled.add(digest(system_id))
        journaldato = text(el, "n:journaldato")
        if journaldato:
            first, last = facts.journal_dates or (journaldato, journaldato)
            facts.journal_dates = (min(first, journaldato), max(last, journaldato))
        if el.find("n:skjerming", NS) is not None:
            facts.skjermet[system_id] = JournalSource(
                text(el, "n:skjerming/n:tilgangsrestriksjon"),
                frozenset(str(v) for v in el.xpath("n:skjerming/n:skjermingMetadata/text()", namespaces=NS)),
                text(el, "n:tittel"),
            )
        return ()


def document_files(folder: Path) -> Iterable[str]:
    """Paths (relative, POSIX) of the files under DOKUMENT/, walked lazily; symlinked folders are not entered."""
    top = folder / "DOKUMENT"
    if top.is_symlink():
        return
    for directory, _dirs, names in os.walk(top):
        rel_dir = Path(directory).relative_to(folder).as_posix()
        for name in names:
            yield f"{rel_dir}/{name}"


class DocumentIndex(Collector):
    """referanseDokumentfil digests; at the end, the files under DOKUMENT/ and those nothing references."""

    tags = frozenset({"dokumentobjekt"})

    def __init__(self, ctx: RuleContext) -> None:
        super().__init__(ctx)
        facts = ctx.facts
        facts.referenced, facts.unreferenced, facts.files_on_disk = set(), [], 0

    def end(self, el: Element) -> Iterable[Finding]:
        self.ctx.facts.referenced.add(digest(self.ctx.document(el).ref))
        return ()

    def finish(self) -> Iterable[Finding]:
        facts = self.ctx.facts
        for rel in document_files(self.ctx.folder):  # a generator: no list of every path in memory
            facts.files_on_disk += 1
            if digest(rel) not in facts.referenced:
                facts.unreferenced.append(rel)
        return ()


class JournalHeads(Collector):
    """antallJournalposter, journalStartDato/journalSluttDato and the number of journalregistreringer."""

    files = (LOEPENDE_JOURNAL, OFFENTLIG_JOURNAL)
    tags = frozenset({"antallJournalposter", "journalStartDato", "journalSluttDato", "journalregistrering"})

    def __init__(self, ctx: RuleContext) -> None:
        super().__init__(ctx)
        ctx.facts.journals[ctx.file] = self.head = JournalHead()

    def end(self, el: Element) -> Iterable[Finding]:
        name, head = local(el.tag), self.head
        if name == "journalregistrering":
            head.entries += 1
        elif name == "antallJournalposter":
            head.stated = el.text
        elif name == "journalStartDato":
            head.start = el.text
        elif name == "journalSluttDato":
            head.end = el.text
        return ()


class Endringer(Collector):
    files = (ENDRINGSLOGG,)
    tags = frozenset({"endring"})

    def __init__(self, ctx: RuleContext) -> None:
        super().__init__(ctx)
        ctx.facts.endringer = 0

    def end(self, el: Element) -> Iterable[Finding]:
        self.ctx.facts.endringer += 1
        return ()


COLLECTORS: tuple[type[Collector], ...] = (
    SystemIds,
    ElementCounts,
    JournalIndex,
    DocumentIndex,
    JournalHeads,
    Endringer,
)
