"""loependeJournal.xml and offentligJournal.xml entries, built from arkivstruktur elements.

Only journalposter in a saksmappe can be listed: both schemas require saksaar and sakssekvensnummer.
In offentlig journal every field the journalpost's ``skjermingMetadata`` names is replaced by ``******``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from lxml import etree

from noark import codes
from noark.xmlutil import N5_ARKIVSTRUKTUR, N5_LOEPENDE_JOURNAL, N5_OFFENTLIG_JOURNAL, Builder

_NS = {"n": N5_ARKIVSTRUKTUR}
LOEPENDE = Builder(N5_LOEPENDE_JOURNAL)
OFFENTLIG = Builder(N5_OFFENTLIG_JOURNAL)


def _text(el: etree._Element, path: str) -> str | None:
    value = el.findtext(path, namespaces=_NS)
    return None if value is None else str(value)


@dataclass(frozen=True)
class JournalEntry:
    """The journal's view of one journalpost and its saksmappe."""

    mappe_id: str | None
    saksaar: str
    sakssekvensnummer: str
    sak_tittel: str
    sak_offentlig_tittel: str | None
    administrativ_enhet: str | None
    saksansvarlig: str | None
    system_id: str
    journalaar: str
    journalsekvensnummer: str
    journalpostnummer: str
    tittel: str
    offentlig_tittel: str | None
    journaldato: str
    dokumentets_dato: str | None
    antall_vedlegg: str | None
    tilgangsrestriksjon: str | None
    skjermingshjemmel: str | None
    skjerming_metadata: tuple[str, ...] = ()
    korrespondanseparter: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def from_elements(cls, mappe: etree._Element, journalpost: etree._Element) -> JournalEntry:
        """From a saksmappe element (with its tail fields) and one of its journalpost elements."""
        return cls(
            mappe_id=_text(mappe, "n:mappeID"),
            saksaar=_text(mappe, "n:saksaar") or "",
            sakssekvensnummer=_text(mappe, "n:sakssekvensnummer") or "",
            sak_tittel=_text(mappe, "n:tittel") or "",
            sak_offentlig_tittel=_text(mappe, "n:offentligTittel"),
            administrativ_enhet=_text(mappe, "n:administrativEnhet"),
            saksansvarlig=_text(mappe, "n:saksansvarlig"),
            system_id=_text(journalpost, "n:systemID") or "",
            journalaar=_text(journalpost, "n:journalaar") or "",
            journalsekvensnummer=_text(journalpost, "n:journalsekvensnummer") or "",
            journalpostnummer=_text(journalpost, "n:journalpostnummer") or "",
            tittel=_text(journalpost, "n:tittel") or "",
            offentlig_tittel=_text(journalpost, "n:offentligTittel"),
            journaldato=_text(journalpost, "n:journaldato") or "",
            dokumentets_dato=_text(journalpost, "n:dokumentetsDato"),
            antall_vedlegg=_text(journalpost, "n:antallVedlegg"),
            tilgangsrestriksjon=_text(journalpost, "n:skjerming/n:tilgangsrestriksjon"),
            skjermingshjemmel=_text(journalpost, "n:skjerming/n:skjermingshjemmel"),
            skjerming_metadata=tuple(journalpost.xpath("n:skjerming/n:skjermingMetadata/text()", namespaces=_NS)),
            korrespondanseparter=tuple(
                (_text(kp, "n:korrespondanseparttype") or "", _text(kp, "n:korrespondansepartNavn") or "")
                for kp in journalpost.findall("n:korrespondansepart", _NS)
            ),
        )


def journalhode(
    builder: Builder, start: date, end: date, count: int, ctx_arkivskaper: tuple[str, str]
) -> list[etree._Element]:
    """journalStartDato, journalSluttDato, antallJournalposter and arkivskaper, as elements in order."""
    arkivskaper = builder.element("arkivskaper")
    builder.sub(arkivskaper, "arkivskaperID", ctx_arkivskaper[0])
    builder.sub(arkivskaper, "arkivskaperNavn", ctx_arkivskaper[1])
    return [
        builder.leaf("journalStartDato", start),
        builder.leaf("journalSluttDato", end),
        builder.leaf("antallJournalposter", count),
        arkivskaper,
    ]


def loepende_entry(entry: JournalEntry) -> etree._Element:
    b = LOEPENDE
    node = b.element("journalregistrering")
    sak = b.node(node, "saksmappe")
    b.sub(sak, "mappeID", entry.mappe_id)
    b.sub(sak, "saksaar", entry.saksaar)
    b.sub(sak, "sakssekvensnummer", entry.sakssekvensnummer)
    b.sub(sak, "tittel", entry.sak_tittel)
    b.sub(sak, "offentligTittel", entry.sak_offentlig_tittel)
    b.sub(sak, "administrativEnhet", entry.administrativ_enhet)
    b.sub(sak, "saksansvarlig", entry.saksansvarlig)
    jp = b.node(node, "journalpost")
    b.sub(jp, "systemID", entry.system_id)
    b.sub(jp, "journalaar", entry.journalaar)
    b.sub(jp, "journalsekvensnummer", entry.journalsekvensnummer)
    b.sub(jp, "journalpostnummer", entry.journalpostnummer)
    b.sub(jp, "tittel", entry.tittel)
    b.sub(jp, "offentligTittel", entry.offentlig_tittel)
    for name in entry.skjerming_metadata[:1]:
        b.sub(jp, "skjermingMetadata", name)
    b.sub(jp, "journaldato", entry.journaldato)
    b.sub(jp, "dokumentetsDato", entry.dokumentets_dato)
    b.sub(jp, "antallVedlegg", entry.antall_vedlegg)
    b.sub(jp, "tilgangsrestriksjon", entry.tilgangsrestriksjon)
    b.sub(jp, "skjermingshjemmel", entry.skjermingshjemmel)
    for kind, name in entry.korrespondanseparter:
        kp = b.node(jp, "korrespondansepart")
        b.sub(kp, "korrespondanseparttype", kind)
        b.sub(kp, "korrespondansepartNavn", name)
    return node


def offentlig_entry(entry: JournalEntry) -> etree._Element:
    """The public entry: no ``tittel`` (only offentligTittel) and skjermet fields masked."""
    b = OFFENTLIG
    hidden = set(entry.skjerming_metadata)
    node = b.element("journalregistrering")
    sak = b.node(node, "saksmappe")
    b.sub(sak, "mappeID", entry.mappe_id)
    b.sub(sak, "saksaar", entry.saksaar)
    b.sub(sak, "sakssekvensnummer", entry.sakssekvensnummer)
    b.sub(sak, "offentligTittel", entry.sak_offentlig_tittel or entry.sak_tittel)
    b.sub(sak, "administrativEnhet", entry.administrativ_enhet)
    b.sub(sak, "saksansvarlig", entry.saksansvarlig)
    jp = b.node(node, "journalpost")
    b.sub(jp, "systemID", entry.system_id)
    b.sub(jp, "journalaar", entry.journalaar)
    b.sub(jp, "journalsekvensnummer", entry.journalsekvensnummer)
    b.sub(jp, "journalpostnummer", entry.journalpostnummer)
    public_title = entry.offentlig_tittel or entry.tittel
    b.sub(
        jp,
        "offentligTittel",
        codes.SKJERMET_TEKST if "tittel" in hidden and not entry.offentlig_tittel else public_title,
    )
    b.sub(jp, "journaldato", entry.journaldato)
    b.sub(jp, "dokumentetsDato", entry.dokumentets_dato)
    b.sub(jp, "tilgangsrestriksjon", entry.tilgangsrestriksjon)
    b.sub(jp, "skjermingshjemmel", entry.skjermingshjemmel)
    for kind, name in entry.korrespondanseparter:
        kp = b.node(jp, "korrespondansepart")
        b.sub(kp, "korrespondanseparttype", kind)
        masked = "korrespondansepartNavn" in hidden and not kind.startswith("Intern")
        b.sub(kp, "korrespondansepartNavn", codes.SKJERMET_TEKST if masked else name)
    return node
