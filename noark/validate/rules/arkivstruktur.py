"""Rules fed by the arkivstruktur.xml pass (elements other than the document files)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime

from noark import codes
from noark.validate import rule_ids
from noark.validate.base import (
    EVERY_ELEMENT,
    NS,
    UTTREKK,
    Element,
    Rule,
    RuleContext,
    digest,
    local,
    text,
)
from noark.validate.collectors import in_saksmappe, is_journalpost
from noark.xmlutil import N5_ARKIVSTRUKTUR
from schemas.findings import Finding


class EmptyElement(Rule):
    """Arkade N5.63: no element without content."""

    id = rule_ids.EMPTY_ELEMENT
    tags = EVERY_ELEMENT

    def end(self, el: Element) -> Iterable[Finding]:  # a tuple, not a generator: it runs for every element
        if len(el) or (el.text or "").strip():
            return ()
        parent = el.getparent()
        owner = text(parent, "n:systemID") if parent is not None else None
        return (
            self.finding(f"<{local(el.tag)}> har ikke noe innhold{f' (i {owner})' if owner else ''}", el.sourceline),
        )


class SystemIdUnique(Rule):
    """Arkade N5.47: every systemID occurs once."""

    id = rule_ids.SYSTEMID_UNIQUE
    tags = frozenset({"systemID"})

    def end(self, el: Element) -> Iterator[Finding]:
        value = (el.text or "").strip()
        if digest(value) in self.ctx.facts.system_ids:
            yield self.finding(f"systemID {value} forekommer mer enn én gang", el.sourceline)


class Journaldato(Rule):
    id = rule_ids.JOURNALDATO
    tags = frozenset({"registrering"})

    def end(self, el: Element) -> Iterator[Finding]:
        if is_journalpost(el) and not text(el, "n:journaldato"):
            yield self.finding(f"journalpost {text(el, 'n:systemID')} mangler journaldato", el.sourceline)


def _as_datetime(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


class DateOrder(Rule):
    """opprettetDato is not after avsluttetDato (arkiv, arkivdel, mappe)."""

    id = rule_ids.DATE_ORDER
    tags = frozenset({"arkiv", "arkivdel", "mappe"})

    def end(self, el: Element) -> Iterator[Finding]:
        start, end = _as_datetime(text(el, "n:opprettetDato")), _as_datetime(text(el, "n:avsluttetDato"))
        try:
            wrong = bool(start and end and start > end)
        except TypeError:  # one with an offset, one without: the XSD already reports it
            wrong = False
        if wrong and start and end:
            yield self.finding(
                f"{local(el.tag)} {text(el, 'n:systemID')}: opprettetDato {start.isoformat()} er etter "
                f"avsluttetDato {end.isoformat()}",
                el.sourceline,
            )


class Skjerming(Rule):
    """A skjerming names tilgangsrestriksjon and skjermingshjemmel; a skjermet tittel needs an offentligTittel."""

    id = rule_ids.SKJERMING
    tags = frozenset({"registrering"})
    _registrering = f"{{{N5_ARKIVSTRUKTUR}}}registrering"

    def end(self, el: Element) -> Iterator[Finding]:
        system_id = text(el, "n:systemID")
        for skjerming in el.iterfind(".//n:skjerming", NS):
            fields = skjerming.xpath("n:skjermingMetadata/text()", namespaces=NS)
            if (
                not (text(skjerming, "n:tilgangsrestriksjon") or "").strip()
                or not (text(skjerming, "n:skjermingshjemmel") or "").strip()
            ):
                yield self.finding(
                    f"{system_id}: skjerming uten tilgangsrestriksjon eller skjermingshjemmel", skjerming.sourceline
                )
            owner = skjerming.getparent()
            if "tittel" in fields and owner is not None and owner.tag == self._registrering:
                title, public = text(owner, "n:tittel"), text(owner, "n:offentligTittel")
                if not public or public == title:
                    yield self.finding(
                        f"{system_id}: tittel er skjermet, men offentligTittel mangler eller er lik tittel",
                        owner.sourceline,
                    )


MAX_SEQUENCE_NUMBER = 100_000_000  # far above any municipality's yearly journal; keeps the bitmap ≤ 12.5 MB


class _Numbers:
    """journalsekvensnummer of one journalaar as a bitmap: 1 bit per number, duplicates noticed on the way."""

    def __init__(self) -> None:
        self.bits = bytearray()
        self.count = 0
        self.duplicates: list[int] = []
        self.invalid: list[int] = []

    def add(self, n: int) -> None:
        self.count += 1
        if n < 1 or n > MAX_SEQUENCE_NUMBER:
            self.invalid.append(n)
            return
        byte, bit = divmod(n - 1, 8)
        if byte >= len(self.bits):
            self.bits.extend(b"\0" * (byte + 1 - len(self.bits) + 1024))
        if self.bits[byte] >> bit & 1:
            self.duplicates.append(n)
        self.bits[byte] |= 1 << bit

    def gaps(self) -> list[int]:
        return [
            n
            for n in range(1, self.count + 1)
            if (n - 1) // 8 >= len(self.bits) or not self.bits[(n - 1) // 8] >> ((n - 1) % 8) & 1
        ]


class _JournalNumbers(Rule):
    """Collects journalsekvensnummer per journalaar of the journalposter (a bitmap per year)."""

    tags = frozenset({"registrering"})
    kinds = UTTREKK

    def __init__(self, ctx: RuleContext) -> None:
        super().__init__(ctx)
        self.numbers: dict[str, _Numbers] = defaultdict(_Numbers)

    def end(self, el: Element) -> Iterable[Finding]:
        if is_journalpost(el):
            year, seq = text(el, "n:journalaar"), text(el, "n:journalsekvensnummer")
            if year and seq and seq.isdigit():
                self.numbers[year].add(int(seq))
        return ()


class JournalNumbering(_JournalNumbers):
    """In an uttrekk, no journalsekvensnummer occurs twice in a journalaar."""

    id = rule_ids.JOURNAL_NUMBERING

    def finish(self) -> Iterator[Finding]:
        for year, numbers in sorted(self.numbers.items()):
            dupes = sorted(set(numbers.duplicates))
            if dupes:
                yield self.finding(f"journalaar {year}: journalsekvensnummer brukt mer enn én gang: {dupes[:10]}")
            if numbers.invalid:
                yield self.finding(
                    f"journalaar {year}: ugyldig journalsekvensnummer {sorted(set(numbers.invalid))[:10]} "
                    f"(gyldig er 1..{MAX_SEQUENCE_NUMBER})"
                )


class JournalNumberingGaps(_JournalNumbers):
    """journalsekvensnummer runs 1..n per journalaar. A warning: numbers that last across extractions (a
    ``NumberProvider`` backed by a database) leave the earlier extractions' numbers out."""

    id = rule_ids.JOURNAL_NUMBERING_GAPS
    severity = "warning"

    def finish(self) -> Iterator[Finding]:
        for year, numbers in sorted(self.numbers.items()):
            gaps = numbers.gaps()
            if gaps:
                yield self.finding(
                    f"journalaar {year}: journalsekvensnummer er ikke fortløpende 1..{numbers.count} (hull {gaps[:10]})"
                )


class Status(Rule):
    """Arkade N5.06/N5.22: a delivered arkivdel is "Avsluttet periode", its journalposter "Arkivert"/"Utgår"."""

    id = rule_ids.STATUS
    severity = "warning"
    tags = frozenset({"registrering", "arkivdelstatus"})
    kinds = UTTREKK

    def __init__(self, ctx: RuleContext) -> None:
        super().__init__(ctx)
        self.arkivdelstatus: str | None = None

    def end(self, el: Element) -> Iterator[Finding]:
        if local(el.tag) == "arkivdelstatus":
            self.arkivdelstatus = el.text
            return
        status = text(el, "n:journalstatus")
        if is_journalpost(el) and status not in (codes.JOURNALSTATUS_ARKIVERT, codes.JOURNALSTATUS_UTGAAR):
            yield self.finding(
                f"journalpost {text(el, 'n:systemID')} har journalstatus {status!r}; en avlevert journalpost "
                "skal ha 'Arkivert' eller 'Utgår'",
                el.sourceline,
            )

    def finish(self) -> Iterator[Finding]:
        if self.arkivdelstatus != codes.ARKIVDELSTATUS_AVSLUTTET:
            yield self.finding(
                f"arkivdelstatus er {self.arkivdelstatus!r}; en avlevert arkivdel skal ha "
                f"{codes.ARKIVDELSTATUS_AVSLUTTET!r}"
            )


RULES: tuple[type[Rule], ...] = (
    EmptyElement,
    SystemIdUnique,
    Journaldato,
    DateOrder,
    Skjerming,
    JournalNumbering,
    JournalNumberingGaps,
    Status,
)
__all__ = ["RULES", "in_saksmappe"]
