"""KS Fiks Arkiv v1 ``arkivmelding`` (opprett) for one package: how a municipality's archive system receives it.

Fiks Arkiv types code lists as ``kode``/``beskrivelse`` pairs; ``beskrivelse`` carries the Noark 5 text value.
A saksmappe named by case number already exists in the archive, so the journalpost only refers to it
(``referanseForelderMappe/saksnummer``); otherwise the mappe is created in the same message. Our systemIDs
travel as ``referanseEksternNoekkel`` (fagsystem = system name), which makes a re-send idempotent.
"""

from __future__ import annotations

import posixpath

from lxml import etree

from noark import codes
from noark.model import SERIES_SYSTEM, Journalpost, Mappe, NoarkContext, Registrering, Skjerming
from noark.xmlutil import FIKS_ARKIVMELDING, FIKS_METADATAKATALOG, XSI, text

# Short codes for the Noark text values we use (Noark 5 tjenestegrensesnitt code lists).
KODER: dict[str, str] = {
    codes.JOURNALPOSTTYPE_INNGAAENDE: "I",
    codes.JOURNALPOSTTYPE_UTGAAENDE: "U",
    codes.JOURNALPOSTTYPE_ORGANINTERNT_FOR_OPPFOELGING: "N",
    codes.JOURNALPOSTTYPE_ORGANINTERNT_UTEN_OPPFOELGING: "X",
    codes.JOURNALSTATUS_JOURNALFOERT: "J",
    codes.JOURNALSTATUS_EKSPEDERT: "E",
    codes.JOURNALSTATUS_ARKIVERT: "A",
    codes.JOURNALSTATUS_UTGAAR: "U",
    codes.DOKUMENTSTATUS_FERDIGSTILT: "F",
    codes.TILKNYTTET_HOVEDDOKUMENT: "H",
    codes.TILKNYTTET_VEDLEGG: "V",
    codes.VARIANTFORMAT_ARKIVFORMAT: "A",
    codes.VARIANTFORMAT_PRODUKSJONSFORMAT: "P",
    codes.VARIANTFORMAT_SKJERMET: "O",
    codes.KORRESPONDANSEPART_AVSENDER: "EA",
    codes.KORRESPONDANSEPART_MOTTAKER: "EM",
    codes.KORRESPONDANSEPART_INTERN_AVSENDER: "IA",
    codes.KORRESPONDANSEPART_INTERN_MOTTAKER: "IM",
    codes.DOKUMENTMEDIUM_ELEKTRONISK: "E",
    codes.SAKSSTATUS_UNDER_BEHANDLING: "B",
    codes.SAKSSTATUS_AVSLUTTET: "A",
}

_AM = f"{{{FIKS_ARKIVMELDING}}}"
_MDK = f"{{{FIKS_METADATAKATALOG}}}"


def _sub(parent: etree._Element, name: str, value: object = None, *, ns: str = _AM) -> etree._Element | None:
    if value is None:
        return None
    child = etree.SubElement(parent, ns + name)
    child.text = text(value)
    return child


def _kode(parent: etree._Element, name: str, value: str, kode: str | None = None) -> None:
    node = etree.SubElement(parent, _AM + name)
    _sub(node, "kode", kode or KODER.get(value, value), ns=_MDK)
    _sub(node, "beskrivelse", value, ns=_MDK)


def _ekstern_noekkel(parent: etree._Element, ctx: NoarkContext, key: str, *, ns: str = _AM) -> None:
    node = etree.SubElement(parent, ns + "referanseEksternNoekkel")
    _sub(node, "fagsystem", ctx.system_name, ns=_MDK)
    _sub(node, "noekkel", key, ns=_MDK)


def _skjerming(parent: etree._Element, skjerming: Skjerming) -> None:
    node = etree.SubElement(parent, _AM + "skjerming")
    _kode(node, "tilgangsrestriksjon", skjerming.tilgangsrestriksjon, skjerming.tilgangsrestriksjon)
    _sub(node, "skjermingshjemmel", skjerming.skjermingshjemmel)


def _identifikator(parent: etree._Element, name: str, navn: str) -> None:
    node = etree.SubElement(parent, _AM + name)
    _sub(node, "navn", navn, ns=_MDK)


def _mappe(root: etree._Element, mappe: Mappe, ctx: NoarkContext) -> None:
    """A mappe created in this message; a new saksmappe (provisional numbers) goes without saksaar and
    sakssekvensnummer, which the Fiks Arkiv schema makes optional: the receiving archive assigns them."""
    sak = mappe.saksmappe
    attrib = {f"{{{XSI}}}type": "saksmappe"} if sak else {}
    node = etree.SubElement(root, _AM + "mappe", attrib)
    _sub(node, "tittel", mappe.tittel)
    _sub(node, "offentligTittel", mappe.offentlig_tittel)
    _sub(node, "beskrivelse", mappe.beskrivelse)
    _kode(node, "dokumentmedium", codes.DOKUMENTMEDIUM_ELEKTRONISK)
    _sub(node, "opprettetDato", mappe.opprettet_dato)
    _sub(node, "opprettetAv", mappe.opprettet_av)
    if ctx.arkivdel_code:  # the account's arkivdel (accounts registry)
        _kode(node, "arkivdel", ctx.arkivdel_code, ctx.arkivdel_code)
    if ctx.series:  # the account's series, as a class the receiving archive can map
        klassifikasjon = etree.SubElement(node, _AM + "klassifikasjon")
        _sub(klassifikasjon, "klassifikasjonssystemID", SERIES_SYSTEM)
        _sub(klassifikasjon, "klasseID", ctx.series)
        _sub(klassifikasjon, "tittel", ctx.series)
    _ekstern_noekkel(node, ctx, mappe.system_id)
    if sak:
        _sub(node, "saksdato", sak.saksdato)
        _identifikator(node, "administrativEnhet", sak.administrativ_enhet)
        _identifikator(node, "saksansvarlig", sak.saksansvarlig)
        _kode(node, "saksstatus", sak.saksstatus)


def _has_case_number(mappe: Mappe) -> bool:
    return mappe.saksmappe is not None and not mappe.saksmappe.provisional


def _forelder(node: etree._Element, mappe: Mappe, ctx: NoarkContext) -> None:
    ref = etree.SubElement(node, _AM + "referanseForelderMappe")
    sak = mappe.saksmappe
    if sak is not None and not sak.provisional:
        saksnummer = etree.SubElement(ref, _MDK + "saksnummer")
        _sub(saksnummer, "saksaar", sak.saksaar, ns=_MDK)
        _sub(saksnummer, "sakssekvensnummer", sak.sakssekvensnummer, ns=_MDK)
    else:
        _ekstern_noekkel(ref, ctx, mappe.system_id, ns=_MDK)


def _registrering(root: etree._Element, mappe: Mappe, jp: Registrering, ctx: NoarkContext) -> None:
    """A journalpost, or a registrering that is not journaled (Fiks Arkiv's own ``registrering`` type)."""
    journaled = isinstance(jp, Journalpost)
    node = etree.SubElement(
        root, _AM + "registrering", {f"{{{XSI}}}type": "journalpost" if journaled else "registrering"}
    )
    _sub(node, "opprettetDato", jp.opprettet_dato)
    _sub(node, "opprettetAv", jp.opprettet_av)
    _forelder(node, mappe, ctx)
    if jp.skjerming:
        _skjerming(node, jp.skjerming)
    for doc in jp.dokumentbeskrivelser:
        db = etree.SubElement(node, _AM + "dokumentbeskrivelse")
        _kode(db, "dokumenttype", doc.dokumenttype, doc.dokumenttype)
        _kode(db, "dokumentstatus", doc.dokumentstatus)
        _sub(db, "tittel", doc.tittel)
        _sub(db, "forfatter", doc.forfatter)
        _sub(db, "opprettetDato", doc.opprettet_dato)
        _sub(db, "opprettetAv", doc.opprettet_av)
        _kode(db, "tilknyttetRegistreringSom", doc.tilknyttet_registrering_som)
        _sub(db, "dokumentnummer", doc.dokumentnummer)
        _sub(db, "tilknyttetDato", doc.tilknyttet_dato)
        _sub(db, "tilknyttetAv", doc.tilknyttet_av)
        if doc.skjerming:
            _skjerming(db, doc.skjerming)
        for obj in doc.dokumentobjekter:
            do = etree.SubElement(db, _AM + "dokumentobjekt")
            _sub(do, "versjonsnummer", obj.versjonsnummer)
            _kode(do, "variantformat", obj.variantformat)
            _kode(do, "format", obj.format, obj.format)
            _sub(do, "formatDetaljer", obj.format_detaljer)
            _sub(do, "opprettetDato", obj.opprettet_dato)
            _sub(do, "opprettetAv", obj.opprettet_av)
            _sub(do, "filnavn", posixpath.basename(obj.referanse_dokumentfil))
            _sub(do, "referanseDokumentfil", obj.referanse_dokumentfil)
            _sub(do, "sjekksum", obj.sjekksum)
            _sub(do, "sjekksumAlgoritme", obj.sjekksum_algoritme)
            _sub(do, "filstoerrelse", obj.filstoerrelse)
        _ekstern_noekkel(db, ctx, doc.system_id)
    _sub(node, "tittel", jp.tittel)
    _sub(node, "offentligTittel", jp.offentlig_tittel)
    _sub(node, "beskrivelse", jp.beskrivelse)
    _sub(node, "forfatter", jp.forfatter)
    _kode(node, "dokumentmedium", codes.DOKUMENTMEDIUM_ELEKTRONISK)
    for merknad in jp.merknader:
        mk = etree.SubElement(node, _AM + "merknad")
        _sub(mk, "merknadstekst", merknad.merknadstekst)
        _kode(mk, "merknadstype", merknad.merknadstype, merknad.kode)
        _sub(mk, "merknadsdato", merknad.merknadsdato)
        _sub(mk, "merknadRegistrertAv", merknad.merknad_registrert_av)
    for part in jp.korrespondanseparter:
        kp = etree.SubElement(node, _AM + "korrespondansepart")
        _kode(kp, "korrespondanseparttype", part.korrespondanseparttype)
        _sub(kp, "korrespondansepartNavn", part.korrespondansepart_navn)
        if part.administrativ_enhet:
            enhet = etree.SubElement(kp, _AM + "administrativEnhet")
            _sub(enhet, "navn", part.administrativ_enhet, ns=_MDK)
    _ekstern_noekkel(node, ctx, jp.system_id)
    if not isinstance(jp, Journalpost):
        return
    _kode(node, "journalposttype", jp.journalposttype)
    _kode(node, "journalstatus", jp.journalstatus)
    _sub(node, "journaldato", jp.journaldato)
    _sub(node, "dokumentetsDato", jp.dokumentets_dato)
    _sub(node, "mottattDato", jp.mottatt_dato)
    _sub(node, "antallVedlegg", jp.antall_vedlegg)


def arkivmelding_bytes(mappe: Mappe, journalpost: Registrering, *, ctx: NoarkContext) -> bytes:
    """The arkivmelding for one package: journal numbers are left to the receiving archive."""
    root = etree.Element(_AM + "arkivmelding", nsmap={None: FIKS_ARKIVMELDING, "mdk": FIKS_METADATAKATALOG, "xsi": XSI})
    _sub(root, "system", ctx.system_name)
    _sub(root, "antallFiler", sum(len(doc.dokumentobjekter) for doc in journalpost.dokumentbeskrivelser))
    if not _has_case_number(mappe):
        _mappe(root, mappe, ctx)
    _registrering(root, mappe, journalpost, ctx)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))
