"""arkivstruktur.xml writers (Noark 5 v5.0), streaming with ``lxml.etree.xmlfile``.

XSD quirks handled here: a journalpost *extends* registrering, so its dokumentbeskrivelser come before
``tittel`` and its journal fields come after ``korrespondansepart``; a saksmappe extends mappe, so its
saksaar/sakssekvensnummer/... come *after* the mappe's registreringer. Both need ``xsi:type``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from noark.model import (
    Dokumentbeskrivelse,
    Dokumentobjekt,
    Journalpost,
    Mappe,
    NoarkContext,
    Registrering,
    Skjerming,
)
from noark.xmlutil import N5_ARKIVSTRUKTUR, Builder

N5 = Builder(N5_ARKIVSTRUKTUR)


@dataclass(frozen=True)
class ArkivHeader:
    """What arkiv and arkivdel say about themselves in one file (a package or an uttrekk)."""

    opprettet_dato: datetime
    avsluttet_dato: datetime
    arkivstatus: str
    arkivdelstatus: str
    arkivperiode_start: date | None = None
    arkivperiode_slutt: date | None = None


def _write_all(xf: etree.xmlfile, elements: list[etree._Element]) -> None:
    """Writes each element; a leaf is re-created inside the open context so it inherits the namespace."""
    for el in elements:
        if len(el) == 0 and not el.attrib:
            with xf.element(el.tag):
                xf.write(el.text or "")
            xf.write("\n")
        else:
            xf.write(el, pretty_print=True)


@contextmanager
def open_arkiv(xf: etree.xmlfile, ctx: NoarkContext, header: ArkivHeader) -> Iterator[None]:
    """Writes arkiv and arkivdel heads; the body (mapper) is written inside the ``with``."""
    with xf.element(N5.tag("arkiv"), nsmap=N5.nsmap):
        xf.write("\n")
        _write_all(
            xf,
            [
                N5.leaf("systemID", ctx.arkiv_system_id),
                N5.leaf("tittel", ctx.arkiv_title),
                N5.leaf("arkivstatus", header.arkivstatus),
                N5.leaf("opprettetDato", header.opprettet_dato),
                N5.leaf("opprettetAv", ctx.archivist),
                N5.leaf("avsluttetDato", header.avsluttet_dato),
                N5.leaf("avsluttetAv", ctx.archivist),
            ],
        )
        with xf.element(N5.tag("arkivskaper")):
            _write_all(xf, [N5.leaf("arkivskaperID", ctx.arkivskaper), N5.leaf("arkivskaperNavn", ctx.municipality)])
        xf.write("\n")
        with xf.element(N5.tag("arkivdel")):
            xf.write("\n")
            heads = [
                N5.leaf("systemID", ctx.arkivdel_system_id),
                N5.leaf("tittel", ctx.arkivdel_title),
                N5.leaf("arkivdelstatus", header.arkivdelstatus),
                N5.leaf("dokumentmedium", "Elektronisk arkiv"),
                N5.leaf("opprettetDato", header.opprettet_dato),
                N5.leaf("opprettetAv", ctx.archivist),
                N5.leaf("avsluttetDato", header.avsluttet_dato),
                N5.leaf("avsluttetAv", ctx.archivist),
            ]
            if header.arkivperiode_start:
                heads.append(N5.leaf("arkivperiodeStartDato", header.arkivperiode_start))
            if header.arkivperiode_slutt:
                heads.append(N5.leaf("arkivperiodeSluttDato", header.arkivperiode_slutt))
            _write_all(xf, heads)
            yield
        xf.write("\n")


def mappe_head(mappe: Mappe) -> list[etree._Element]:
    """The mappe's own fields, before its registreringer."""
    heads = [N5.leaf("systemID", mappe.system_id), N5.leaf("mappeID", mappe.mappe_id), N5.leaf("tittel", mappe.tittel)]
    if mappe.offentlig_tittel:
        heads.append(N5.leaf("offentligTittel", mappe.offentlig_tittel))
    if mappe.beskrivelse:
        heads.append(N5.leaf("beskrivelse", mappe.beskrivelse))
    heads += [
        N5.leaf("dokumentmedium", "Elektronisk arkiv"),
        N5.leaf("opprettetDato", mappe.opprettet_dato),
        N5.leaf("opprettetAv", mappe.opprettet_av),
        N5.leaf("avsluttetDato", mappe.avsluttet_dato),
        N5.leaf("avsluttetAv", mappe.avsluttet_av),
    ]
    return heads


def mappe_tail(mappe: Mappe) -> list[etree._Element]:
    """The saksmappe extension fields, after the registreringer (empty for a plain mappe)."""
    sak = mappe.saksmappe
    if sak is None:
        return []
    return [
        N5.leaf("saksaar", sak.saksaar),
        N5.leaf("sakssekvensnummer", sak.sakssekvensnummer),
        N5.leaf("saksdato", sak.saksdato),
        N5.leaf("administrativEnhet", sak.administrativ_enhet),
        N5.leaf("saksansvarlig", sak.saksansvarlig),
        N5.leaf("saksstatus", sak.saksstatus),
    ]


@contextmanager
def open_mappe(xf: etree.xmlfile, mappe: Mappe) -> Iterator[None]:
    """Writes the mappe head; registreringer go inside the ``with``; the saksmappe tail follows."""
    attrib = {f"{{{N5.nsmap['xsi']}}}type": "saksmappe"} if mappe.saksmappe else {}
    with xf.element(N5.tag("mappe"), attrib):
        xf.write("\n")
        _write_all(xf, mappe_head(mappe))
        yield
        _write_all(xf, mappe_tail(mappe))
    xf.write("\n")


def skjerming_element(parent: etree._Element, skjerming: Skjerming, builder: Builder = N5) -> None:
    node = builder.node(parent, "skjerming")
    builder.sub(node, "tilgangsrestriksjon", skjerming.tilgangsrestriksjon)
    builder.sub(node, "skjermingshjemmel", skjerming.skjermingshjemmel)
    for name in skjerming.skjerming_metadata:
        builder.sub(node, "skjermingMetadata", name)
    builder.sub(node, "skjermingDokument", skjerming.skjerming_dokument)


def dokumentobjekt_element(parent: etree._Element, obj: Dokumentobjekt) -> None:
    node = N5.node(parent, "dokumentobjekt")
    N5.sub(node, "systemID", obj.system_id)
    N5.sub(node, "versjonsnummer", obj.versjonsnummer)
    N5.sub(node, "variantformat", obj.variantformat)
    N5.sub(node, "format", obj.format)
    N5.sub(node, "formatDetaljer", obj.format_detaljer)
    N5.sub(node, "opprettetDato", obj.opprettet_dato)
    N5.sub(node, "opprettetAv", obj.opprettet_av)
    N5.sub(node, "referanseDokumentfil", obj.referanse_dokumentfil)
    N5.sub(node, "sjekksum", obj.sjekksum)
    N5.sub(node, "sjekksumAlgoritme", obj.sjekksum_algoritme)
    N5.sub(node, "filstoerrelse", obj.filstoerrelse)


def dokumentbeskrivelse_element(parent: etree._Element, doc: Dokumentbeskrivelse) -> None:
    node = N5.node(parent, "dokumentbeskrivelse")
    N5.sub(node, "systemID", doc.system_id)
    N5.sub(node, "dokumenttype", doc.dokumenttype)
    N5.sub(node, "dokumentstatus", doc.dokumentstatus)
    N5.sub(node, "tittel", doc.tittel)
    N5.sub(node, "forfatter", doc.forfatter)
    N5.sub(node, "opprettetDato", doc.opprettet_dato)
    N5.sub(node, "opprettetAv", doc.opprettet_av)
    N5.sub(node, "dokumentmedium", "Elektronisk arkiv")
    N5.sub(node, "tilknyttetRegistreringSom", doc.tilknyttet_registrering_som)
    N5.sub(node, "dokumentnummer", doc.dokumentnummer)
    N5.sub(node, "tilknyttetDato", doc.tilknyttet_dato)
    N5.sub(node, "tilknyttetAv", doc.tilknyttet_av)
    if doc.skjerming:
        skjerming_element(node, doc.skjerming)
    for obj in doc.dokumentobjekter:
        dokumentobjekt_element(node, obj)


def registrering_element(jp: Registrering) -> etree._Element:
    """``<registrering xsi:type="journalpost">`` for a Journalpost, else ``xsi:type="registrering"`` (not
    journaled), with every child in XSD order."""
    journaled = isinstance(jp, Journalpost)
    node = N5.element("registrering", xsi_type="journalpost" if journaled else "registrering")
    N5.sub(node, "systemID", jp.system_id)
    N5.sub(node, "opprettetDato", jp.opprettet_dato)
    N5.sub(node, "opprettetAv", jp.opprettet_av)
    N5.sub(node, "arkivertDato", jp.arkivert_dato)
    N5.sub(node, "arkivertAv", jp.arkivert_av)
    if jp.skjerming:
        skjerming_element(node, jp.skjerming)
    for doc in jp.dokumentbeskrivelser:
        dokumentbeskrivelse_element(node, doc)
    N5.sub(node, "tittel", jp.tittel)
    N5.sub(node, "offentligTittel", jp.offentlig_tittel)
    N5.sub(node, "beskrivelse", jp.beskrivelse)
    N5.sub(node, "forfatter", jp.forfatter)
    N5.sub(node, "dokumentmedium", "Elektronisk arkiv")
    for merknad in jp.merknader:
        mk = N5.node(node, "merknad")
        N5.sub(mk, "merknadstekst", merknad.merknadstekst)
        N5.sub(mk, "merknadstype", merknad.merknadstype)
        N5.sub(mk, "merknadsdato", merknad.merknadsdato)
        N5.sub(mk, "merknadRegistrertAv", merknad.merknad_registrert_av)
    for part in jp.korrespondanseparter:
        kp = N5.node(node, "korrespondansepart")
        N5.sub(kp, "korrespondanseparttype", part.korrespondanseparttype)
        N5.sub(kp, "korrespondansepartNavn", part.korrespondansepart_navn)
        N5.sub(kp, "administrativEnhet", part.administrativ_enhet)
    if not isinstance(jp, Journalpost):
        return node
    N5.sub(node, "journalaar", jp.journalaar)
    N5.sub(node, "journalsekvensnummer", jp.journalsekvensnummer)
    N5.sub(node, "journalpostnummer", jp.journalpostnummer)
    N5.sub(node, "journalposttype", jp.journalposttype)
    N5.sub(node, "journalstatus", jp.journalstatus)
    N5.sub(node, "journaldato", jp.journaldato)
    N5.sub(node, "dokumentetsDato", jp.dokumentets_dato)
    N5.sub(node, "mottattDato", jp.mottatt_dato)
    N5.sub(node, "antallVedlegg", jp.antall_vedlegg)
    return node
