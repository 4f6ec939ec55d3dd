"""Thread → Noark 5: one exported thread becomes one journalpost in one mappe.

See noark/README.md for the mapping table and the code values chosen.
"""

from __future__ import annotations

import posixpath
from datetime import datetime
from io import BytesIO

from lxml import etree

from noark import codes, ids
from noark.arkivmelding import arkivmelding_bytes
from noark.arkivstruktur import ArkivHeader, open_arkiv, open_mappe, registrering_element
from noark.merknader import build_merknader
from noark.model import (
    Dokumentbeskrivelse,
    Dokumentobjekt,
    Journalpost,
    Korrespondansepart,
    Mappe,
    NoarkContext,
    Registrering,
    Saksfelter,
    Skjerming,
)
from noark.people import saksansvarlig_for
from noark.xmlutil import local_date
from schemas.package import PackageFile, thread_key
from schemas.screening import ScreeningResult, masked_display_title
from schemas.thread import PLATFORM_LABELS, Flag, FlagKind, RemovalReason, Thread

# Removed items whose screenshot holds personal data that offentleglova § 13 keeps from the public.
SENSITIVE_REASONS = frozenset(
    {RemovalReason.PERSONSJIKANE, RemovalReason.SENSITIVE_PERSONAL_DATA, RemovalReason.CASE_HANDLING}
)
PROVISIONAL_NUMBER = 1  # journal numbers (and a new case's sakssekvensnummer) in a package; the uttrekk renumbers


def flag_kind(flag: Flag | None, ctx: NoarkContext) -> FlagKind:
    return flag.kind if flag else ctx.default_flag_kind


def opens_new_case(flag: Flag | None, ctx: NoarkContext) -> bool:
    """Journal-required without a case number: the thread gets a new saksmappe with provisional numbers."""
    return flag_kind(flag, ctx) == FlagKind.JOURNAL_REQUIRED and not (flag and flag.case_number)


def is_journaled(flag: Flag | None, ctx: NoarkContext) -> bool:
    """A thread in a saksmappe (a case number, or a new case) is a journalpost; any other is a registrering
    that is not journaled, so arkivstruktur has exactly as many journalposter as the journals list."""
    return bool(flag and flag.case_number) or opens_new_case(flag, ctx)


def build_mappe(
    thread: Thread,
    flag: Flag | None,
    *,
    exported_at: datetime,
    ctx: NoarkContext,
    screening: ScreeningResult | None = None,
) -> Mappe:
    """A saksmappe when the flag names a case number; a new saksmappe with provisional numbers (and the
    ``FORELOEPIG_SAKSNUMMER`` marker as beskrivelse) for a journal-required thread without one; otherwise
    a plain mappe for the thread."""
    case_number = flag.case_number if flag else None
    title = (flag.case_title if flag and flag.case_title else None) or thread.display_title
    system_id = ids.mappe_system_id(ctx.municipality, thread.platform, thread.thread_id, case_number)
    sak, new_case = None, opens_new_case(flag, ctx)
    if case_number or new_case:
        year, sequence = (
            (int(part) for part in case_number.split("/"))
            if case_number
            else (local_date(exported_at).year, PROVISIONAL_NUMBER)  # saksaar = year of the journaldato
        )
        sak = Saksfelter(
            saksaar=year,
            sakssekvensnummer=sequence,
            saksdato=local_date(thread.post.created_at),
            administrativ_enhet=thread.account.owning_unit,
            saksansvarlig=saksansvarlig_for(flag.flagged_by if flag else None, ctx),
            saksstatus=codes.SAKSSTATUS_AVSLUTTET,
            provisional=new_case,
        )
    public = title
    if screening and not (flag and flag.case_title):  # the thread's own title: hits in it are masked
        public = masked_display_title(thread, screening, codes.SKJERMET_TEKST) or title
    return Mappe(
        system_id=system_id,
        mappe_id=case_number or thread_key(thread.platform, thread.thread_id),
        tittel=title,
        offentlig_tittel=public,
        opprettet_dato=exported_at,
        opprettet_av=ctx.archivist,
        avsluttet_dato=exported_at,
        avsluttet_av=ctx.archivist,
        saksmappe=sak,
        beskrivelse=codes.FORELOEPIG_SAKSNUMMER if new_case else None,
    )


def _screenshot_hashes(thread: Thread, *, sensitive_only: bool = False) -> set[str]:
    """SHA-256 of the screenshots kept of removed items (only those removed for a sensitive reason)."""
    return {
        item.removal.screenshot.sha256
        for item in thread.all_items()
        if item.removal
        and item.removal.screenshot
        and item.removal.screenshot.sha256
        and (not sensitive_only or item.removal.reason in SENSITIVE_REASONS)
    }


def _has_sensitive_removal(thread: Thread) -> bool:
    return any(item.removal and item.removal.reason in SENSITIVE_REASONS for item in thread.all_items())


def is_document_file(entry: PackageFile) -> bool:
    """Files that become dokumentobjekter: the hoveddokument and every vedlegg/media file under DOKUMENT/."""
    return entry.role == "hoveddokument" or (entry.role in ("vedlegg", "media") and entry.path.startswith("DOKUMENT/"))


def _dokumentobjekt(db_id: str, entry: PackageFile, when: datetime, ctx: NoarkContext) -> Dokumentobjekt:
    pdf = entry.mime_type == "application/pdf"
    return Dokumentobjekt(
        system_id=ids.dokumentobjekt_system_id(db_id, entry.path, entry.sha256),
        versjonsnummer=1,
        variantformat=(
            codes.VARIANTFORMAT_SKJERMET if entry.role == "skjermet" else codes.variantformat_for(entry.mime_type)
        ),
        format=codes.pronom_format(entry.mime_type, pdfa_part=ctx.pdfa_part),
        format_detaljer=codes.PDFA_DETAILS.get(ctx.pdfa_part) if pdf else entry.mime_type,
        opprettet_dato=when,
        opprettet_av=ctx.archivist,
        referanse_dokumentfil=entry.path,
        sjekksum=entry.sha256,
        sjekksum_algoritme=codes.SJEKKSUM_ALGORITME,
        filstoerrelse=entry.size,
    )


def build_dokumentbeskrivelser(
    thread: Thread,
    journalpost_id: str,
    files: list[PackageFile],
    *,
    exported_at: datetime,
    ctx: NoarkContext,
    screening: ScreeningResult | None = None,
) -> tuple[Dokumentbeskrivelse, ...]:
    """Hoveddokument first (dokumentnummer 1), then one per vedlegg in manifest order. The hoveddokument's
    redacted variant (role ``skjermet``) is its second dokumentobjekt; a screened thread with hits or
    restricted items gets skjerming on the hoveddokument (the full version is the restricted archival one)."""
    main = [f for f in files if f.role == "hoveddokument"]
    if len(main) != 1:
        raise ValueError(f"thread {thread.thread_id}: expected exactly one hoveddokument, got {len(main)}")
    attachments = [f for f in files if f.role != "hoveddokument" and is_document_file(f)]
    screenshots, sensitive = _screenshot_hashes(thread), _screenshot_hashes(thread, sensitive_only=True)
    result = []
    for number, entry in enumerate([*main, *attachments], start=1):
        is_main = number == 1
        db_id = ids.dokumentbeskrivelse_system_id(journalpost_id, "hoveddokument" if is_main else entry.path)
        if is_main:
            dokumenttype, title = codes.DOKUMENTTYPE_HOVEDDOKUMENT, thread.display_title
        elif entry.sha256 in screenshots:
            dokumenttype, title = codes.DOKUMENTTYPE_SKJERMBILDE, entry.title or "Skjermbilde av fjernet innhold"
        else:
            dokumenttype, title = codes.DOKUMENTTYPE_MEDIA, entry.title or posixpath.basename(entry.path)
        skjerming = None
        if is_main and screening is not None and screening.needs_skjerming:
            skjerming = Skjerming(
                ctx.tilgangsrestriksjon, ctx.skjermingshjemmel, ("tittel",), codes.SKJERMING_DELER_AV_DOKUMENTET
            )
        if entry.sha256 in sensitive:
            skjerming = Skjerming(
                ctx.tilgangsrestriksjon, ctx.skjermingshjemmel, ("tittel",), codes.SKJERMING_HELE_DOKUMENTET
            )
        result.append(
            Dokumentbeskrivelse(
                system_id=db_id,
                dokumenttype=dokumenttype,
                dokumentstatus=codes.DOKUMENTSTATUS_FERDIGSTILT,
                tittel=title,
                forfatter=thread.account.name if is_main else None,
                opprettet_dato=exported_at,
                opprettet_av=ctx.archivist,
                tilknyttet_registrering_som=codes.TILKNYTTET_HOVEDDOKUMENT if is_main else codes.TILKNYTTET_VEDLEGG,
                dokumentnummer=number,
                tilknyttet_dato=exported_at,
                tilknyttet_av=ctx.archivist,
                skjerming=skjerming,
                dokumentobjekter=tuple(
                    _dokumentobjekt(db_id, f, exported_at, ctx)
                    for f in ([entry, *(f for f in files if f.role == "skjermet")] if is_main else [entry])
                ),
            )
        )
    return tuple(result)


def _korrespondanseparter(thread: Thread, journalposttype: str) -> tuple[Korrespondansepart, ...]:
    page = thread.account
    if journalposttype != codes.JOURNALPOSTTYPE_INNGAAENDE:
        return (Korrespondansepart(codes.KORRESPONDANSEPART_INTERN_AVSENDER, page.name, page.owning_unit),)
    authors = {item.author.id for item in thread.all_items() if not item.author.is_municipality}
    label = PLATFORM_LABELS[thread.platform]
    return (
        Korrespondansepart(codes.KORRESPONDANSEPART_AVSENDER, f"Deltakere på {label} ({len(authors)})"),
        Korrespondansepart(codes.KORRESPONDANSEPART_INTERN_MOTTAKER, page.name, page.owning_unit),
    )


def build_registrering(
    thread: Thread,
    flag: Flag | None,
    files: list[PackageFile],
    *,
    capture_sha256: str,
    exported_at: datetime,
    ctx: NoarkContext,
    screening: ScreeningResult | None = None,
) -> Registrering:
    """The thread as a ``Journalpost`` when it is journaled (``is_journaled``), else as a ``Registrering``."""
    kind = flag_kind(flag, ctx)
    jp_id = ids.journalpost_system_id(thread.platform, thread.thread_id)
    journalposttype = ctx.journalposttype[kind]
    docs = build_dokumentbeskrivelser(thread, jp_id, files, exported_at=exported_at, ctx=ctx, screening=screening)
    skjerming = None
    masked_title = masked_display_title(thread, screening, codes.SKJERMET_TEKST) if screening else None
    if _has_sensitive_removal(thread) or (screening is not None and screening.needs_skjerming):
        skjerming = Skjerming(
            ctx.tilgangsrestriksjon,
            ctx.skjermingshjemmel,
            ("korrespondansepartNavn", *(("tittel",) if masked_title else ())),
            codes.SKJERMING_DELER_AV_DOKUMENTET,
        )
    label = PLATFORM_LABELS[thread.platform]
    description = (
        f"Tråd på {label}-siden «{thread.account.name}»: {thread.url}. "
        f"Fanget {thread.captured_at.isoformat()}; SHA-256 av fangsten: {capture_sha256}."
    )
    common = Registrering(
        system_id=jp_id,
        opprettet_dato=exported_at,
        opprettet_av=ctx.archivist,
        arkivert_dato=exported_at,
        arkivert_av=ctx.archivist,
        dokumentbeskrivelser=docs,
        tittel=thread.display_title,
        offentlig_tittel=masked_title or thread.display_title,
        beskrivelse=description,
        forfatter=thread.account.name,
        korrespondanseparter=_korrespondanseparter(thread, journalposttype),
        skjerming=skjerming,
        merknader=build_merknader(thread, ctx.archivist),
    )
    if not is_journaled(flag, ctx):
        return common
    journaldato = local_date(exported_at)
    return Journalpost(
        **vars(common),
        journalaar=journaldato.year,
        journalsekvensnummer=PROVISIONAL_NUMBER,
        journalpostnummer=PROVISIONAL_NUMBER,
        journalposttype=journalposttype,
        journalstatus=ctx.journalstatus[kind],
        journaldato=journaldato,
        dokumentets_dato=local_date(thread.post.created_at),
        mottatt_dato=thread.captured_at if journalposttype == codes.JOURNALPOSTTYPE_INNGAAENDE else None,
        antall_vedlegg=len(docs) - 1,
    )


def package_header(exported_at: datetime) -> ArkivHeader:
    """A single package is a snapshot of an active arkivdel."""
    return ArkivHeader(
        opprettet_dato=exported_at,
        avsluttet_dato=exported_at,
        arkivstatus=codes.ARKIVSTATUS_OPPRETTET,
        arkivdelstatus=codes.ARKIVDELSTATUS_AKTIV,
    )


def arkivstruktur_bytes(mappe: Mappe, registrering: Registrering, *, exported_at: datetime, ctx: NoarkContext) -> bytes:
    buffer = BytesIO()
    with etree.xmlfile(buffer, encoding="utf-8") as xf:
        xf.write_declaration()
        with open_arkiv(xf, ctx, package_header(exported_at)), open_mappe(xf, mappe):
            xf.write(registrering_element(registrering), pretty_print=True)
    return buffer.getvalue()


def package_metadata(
    thread: Thread,
    flag: Flag | None,
    files: list[PackageFile],
    *,
    capture_sha256: str,
    exported_at: datetime,
    ctx: NoarkContext,
    screening: ScreeningResult | None = None,
) -> dict[str, bytes]:
    """``{"arkivstruktur.xml": ..., "arkivmelding.xml": ...}`` for one package; paths in ``files`` are
    relative to the package root and become ``referanseDokumentfil`` as they are. ``screening`` (privacy's
    result, offsets only) adds skjerming and masks hits in the public titles."""
    if exported_at.tzinfo is None:
        raise ValueError("exported_at must be timezone-aware")
    mappe = build_mappe(thread, flag, exported_at=exported_at, ctx=ctx, screening=screening)
    registrering = build_registrering(
        thread, flag, files, capture_sha256=capture_sha256, exported_at=exported_at, ctx=ctx, screening=screening
    )
    return {
        "arkivstruktur.xml": arkivstruktur_bytes(mappe, registrering, exported_at=exported_at, ctx=ctx),
        "arkivmelding.xml": arkivmelding_bytes(mappe, registrering, ctx=ctx),
    }
