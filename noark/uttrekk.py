"""Avleveringspakke (Noark 5 v5.0 uttrekk) from the complete packages in a sink.

Two passes keep memory flat: pass 1 reads only manifests and keeps one small index row per package;
pass 2 reads one package's arkivstruktur.xml at a time and streams arkivstruktur, both journals and the
endringslogg with ``etree.xmlfile``. Journal numbers are final here: journalsekvensnummer runs 1..n per
journalaar in journaldato order, journalpostnummer 1..k per mappe. A new case opened from a journal-required
flag without a case number gets saksaar = year of its journaldato and a sakssekvensnummer after the highest
case number of that year in the extraction, so the journals include it.
"""

from __future__ import annotations

import hashlib
import shutil
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path

from lxml import etree

from noark import codes, ids
from noark.addml import DescribedFile, ExtractionInfo, arkivuttrekk_bytes
from noark.arkivstruktur import N5, ArkivHeader, open_arkiv
from noark.endringslogg import LOGG, Endring, endring_element
from noark.journal import LOEPENDE, OFFENTLIG, JournalEntry, journalhode, loepende_entry, offentlig_entry
from noark.mapping import opens_new_case
from noark.model import NoarkContext
from noark.xmlutil import XSI, local_date
from noark.xmlutil import text as xml_text
from noark.xsd import SCHEMAS
from schemas.errors import NoarkError
from schemas.package import Manifest, sha256_file

_NS = {"n": N5.ns}
StatusOf = Callable[[str], str]
ARKIVSTRUKTUR_COUNTS = ("mappe", "saksmappe", "registrering", "journalpost", "dokumentbeskrivelse", "dokumentobjekt")
SCHEMA_FILES = ("arkivstruktur", "metadatakatalog", "endringslogg", "loependeJournal", "offentligJournal", "addml")


class UttrekkError(NoarkError):
    """The uttrekk cannot be built; the message says which package or file."""


@dataclass(frozen=True)
class _Row:
    """Pass-1 index row: everything needed to order, group and number a package."""

    package_id: str
    thread_key: str
    created_at: datetime
    journalpost_id: str
    mappe_key: str
    case_number: str | None
    new_case: bool  # journal-required without a case number: a new saksmappe, numbered here
    hoveddokument_sha256: str

    @property
    def in_saksmappe(self) -> bool:
        return self.case_number is not None or self.new_case


@dataclass
class UttrekkResult:
    out_dir: Path
    package_ids: list[str] = field(default_factory=list)
    mapper: int = 0
    journalposter: int = 0
    dokumentfiler: int = 0
    endringer: int = 0
    warnings: list[str] = field(default_factory=list)
    report: object | None = None  # noark.validate.Report when validated


def _row(manifest: Manifest, ctx: NoarkContext) -> _Row:
    case = manifest.flag.case_number if manifest.flag else None
    main = next((f.sha256 for f in manifest.files if f.role == "hoveddokument"), "")
    return _Row(
        package_id=manifest.package_id,
        thread_key=manifest.thread_key,
        created_at=manifest.created_at,
        journalpost_id=ids.journalpost_system_id(manifest.platform, manifest.thread_id),
        mappe_key=ids.mappe_system_id(ctx.municipality, manifest.platform, manifest.thread_id, case),
        case_number=case,
        new_case=opens_new_case(manifest.flag, ctx),
        hoveddokument_sha256=main,
    )


def select_packages(
    sink, *, date_from: date, date_to: date, status: str, status_of: StatusOf | None, ctx: NoarkContext
) -> tuple[list[_Row], list[tuple[_Row, _Row]]]:
    """Latest version per thread within the period (by manifest.created_at = export date), in journal order;
    plus (older, newer) pairs for the versions that were superseded."""
    if status != "all" and status_of is None:
        raise ValueError(f"status {status!r} needs a status_of(package_id) callable (the review step's record)")
    by_thread: dict[str, list[_Row]] = defaultdict(list)
    for package_id in sink.list_packages():
        manifest = sink.read_manifest(package_id)
        if not date_from <= local_date(manifest.created_at) <= date_to:
            continue
        if status != "all" and status_of(package_id) != status:
            continue
        row = _row(manifest, ctx)
        by_thread[row.thread_key].append(row)
    latest, superseded = [], []
    for rows in by_thread.values():
        rows.sort(key=lambda r: (r.created_at, r.package_id))
        latest.append(rows[-1])
        superseded += list(pairwise(rows))
    latest.sort(key=lambda r: (r.created_at, r.package_id))
    return latest, superseded


def _set(el: etree._Element, path: str, value: object) -> str | None:
    """Sets a child's text and returns the old text."""
    child = el.find(path, _NS)
    if child is None:
        return None
    old, child.text = child.text, str(value)
    return old


def _copy_documents(sink, row: _Row, journalpost: etree._Element, out_dir: Path) -> int:
    """Copies every referenced file to DOKUMENT/<package_id>/..., verifying checksum and size on the way."""
    copied = 0
    for obj in journalpost.iterfind(".//n:dokumentobjekt", _NS):
        ref = obj.findtext("n:referanseDokumentfil", namespaces=_NS) or ""
        new_ref = f"DOKUMENT/{row.package_id}/{ref.removeprefix('DOKUMENT/')}"
        target = out_dir / new_ref
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with sink.open_file(row.package_id, ref) as source, target.open("wb") as copy:
            while block := source.read(1 << 20):  # bounded memory, whatever the file's size
                digest.update(block)
                size += len(block)
                copy.write(block)
        if digest.hexdigest() != obj.findtext("n:sjekksum", namespaces=_NS):
            raise UttrekkError(f"pakke {row.package_id}: {ref} stemmer ikke med sjekksummen")
        if size != int(obj.findtext("n:filstoerrelse", namespaces=_NS) or -1):
            raise UttrekkError(f"pakke {row.package_id}: {ref} stemmer ikke med filstoerrelse")
        _set(obj, "n:referanseDokumentfil", new_ref)
        copied += 1
    return copied


def _assign_case_numbers(latest: list[_Row]) -> dict[str, tuple[int, int]]:
    """(saksaar, sakssekvensnummer) for each new case: saksaar = year of its journaldato, numbers continuing
    after the highest case number of that year used in the extraction, in journal order."""
    highest: dict[int, int] = defaultdict(int)
    for row in latest:
        if row.case_number:
            year, sequence = (int(part) for part in row.case_number.split("/"))
            highest[year] = max(highest[year], sequence)
    numbers = {}
    for row in latest:
        if row.new_case:
            year = local_date(row.created_at).year
            highest[year] += 1
            numbers[row.package_id] = (year, highest[year])
    return numbers


def _number_new_case(
    mappe: etree._Element, row: _Row, number: tuple[int, int], now: datetime, ctx: NoarkContext
) -> list[Endring]:
    """Replaces a new case's provisional numbers (and its marker) with the final ones; returns the endringer."""
    if mappe.get(f"{{{XSI}}}type") != "saksmappe":
        raise UttrekkError(
            f"pakke {row.package_id}: journalføringspliktig tråd uten saksnummer ligger ikke i en saksmappe"
        )
    year, sequence = number
    system_id = mappe.findtext("n:systemID", namespaces=_NS) or row.mappe_key
    changes = []
    for field_name, value in (("saksaar", year), ("sakssekvensnummer", sequence), ("mappeID", f"{year}/{sequence}")):
        old = _set(mappe, f"n:{field_name}", value)
        if old is not None and old != str(value):
            changes.append(Endring(system_id, field_name, now, ctx.archivist, old, str(value)))
    marker = mappe.find("n:beskrivelse", _NS)
    if marker is not None and marker.text == codes.FORELOEPIG_SAKSNUMMER:
        mappe.remove(marker)
    return changes


def _split_mappe(mappe: etree._Element) -> tuple[list[etree._Element], list[etree._Element]]:
    """A mappe's children before and after its registreringer."""
    reg = N5.tag("registrering")
    children = list(mappe)
    first = next((i for i, c in enumerate(children) if c.tag == reg), len(children))
    last = max((i for i, c in enumerate(children) if c.tag == reg), default=first - 1)
    return children[:first], children[last + 1 :]


def _write_children(xf: etree.xmlfile, elements: list[etree._Element]) -> None:
    for el in elements:
        xf.write(el, pretty_print=True)


def build_uttrekk(
    sink,
    out_dir: Path,
    *,
    date_from: date,
    date_to: date,
    status: str = "all",
    ctx: NoarkContext,
    xsd_dir: Path,
    status_of: StatusOf | None = None,
    now: datetime | None = None,
    validate: bool = True,
) -> UttrekkResult:
    """Writes the uttrekk into ``out_dir`` (must be empty or absent) and, by default, validates it.

    ``status`` "all" takes every complete package; any other value keeps packages whose
    ``status_of(package_id)`` equals it (the hook for the review/approval record).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UttrekkError(f"mappen {out_dir} er ikke tom")
    out_dir.mkdir(parents=True, exist_ok=True)
    now = now or datetime.now(UTC)
    latest, superseded = select_packages(
        sink, date_from=date_from, date_to=date_to, status=status, status_of=status_of, ctx=ctx
    )
    if not latest:
        raise UttrekkError(f"ingen komplette pakker mellom {date_from} og {date_to} (status {status})")
    result = UttrekkResult(out_dir=out_dir, package_ids=[r.package_id for r in latest])

    # Final numbers: per journalaar in journal order, per mappe in the same order.
    numbers: dict[str, tuple[int, int, int]] = {}
    per_year: dict[int, int] = defaultdict(int)
    per_mappe: dict[str, int] = defaultdict(int)
    groups: dict[str, list[_Row]] = {}
    for row in latest:
        year = local_date(row.created_at).year
        per_year[year] += 1
        per_mappe[row.mappe_key] += 1
        numbers[row.package_id] = (year, per_year[year], per_mappe[row.mappe_key])
        groups.setdefault(row.mappe_key, []).append(row)
    case_numbers = _assign_case_numbers(latest)
    in_journal = sum(1 for r in latest if r.in_saksmappe)
    if in_journal == 0:
        result.warnings.append(
            "ingen journalpost ligger i en saksmappe: loependeJournal/offentligJournal er ikke skrevet"
        )

    header = ArkivHeader(
        opprettet_dato=latest[0].created_at,
        avsluttet_dato=now,
        arkivstatus=codes.ARKIVSTATUS_AVSLUTTET,
        arkivdelstatus=codes.ARKIVDELSTATUS_AVSLUTTET,
        arkivperiode_start=date_from,
        arkivperiode_slutt=date_to,
    )
    counts: dict[str, dict[str, int]] = {"arkivstruktur.xml": dict.fromkeys(ARKIVSTRUKTUR_COUNTS, 0)}
    skjermet = False
    with ExitStack() as stack:

        def open_xml(name: str) -> etree.xmlfile:
            xf = stack.enter_context(etree.xmlfile(str(out_dir / name), encoding="utf-8"))
            xf.write_declaration()
            return xf

        arkiv = open_xml("arkivstruktur.xml")
        stack.enter_context(open_arkiv(arkiv, ctx, header))
        journals = []
        if in_journal:
            period = (local_date(latest[0].created_at), local_date(latest[-1].created_at))
            for name, builder in (("loependeJournal", LOEPENDE), ("offentligJournal", OFFENTLIG)):
                xf = open_xml(f"{name}.xml")
                stack.enter_context(xf.element(builder.tag(name), nsmap=builder.nsmap))
                hode = builder.element("journalhode")
                for child in journalhode(builder, *period, in_journal, (ctx.arkivskaper, ctx.municipality)):
                    hode.append(child)
                xf.write(hode, pretty_print=True)
                journals.append(xf)
                counts[f"{name}.xml"] = {"journalregistrering": in_journal}
        logg = open_xml("endringslogg.xml")
        stack.enter_context(logg.element(LOGG.tag("endringslogg"), nsmap=LOGG.nsmap))

        def log(endring: Endring) -> None:
            logg.write(endring_element(endring), pretty_print=True)
            result.endringer += 1

        log(
            Endring(
                ctx.arkiv_system_id,
                "arkivstatus",
                now,
                ctx.archivist,
                codes.ARKIVSTATUS_OPPRETTET,
                codes.ARKIVSTATUS_AVSLUTTET,
            )
        )
        log(
            Endring(
                ctx.arkivdel_system_id,
                "arkivdelstatus",
                now,
                ctx.archivist,
                codes.ARKIVDELSTATUS_AKTIV,
                codes.ARKIVDELSTATUS_AVSLUTTET,
            )
        )
        for older, newer in superseded:
            if older.hoveddokument_sha256 != newer.hoveddokument_sha256:
                doc_id = ids.dokumentbeskrivelse_system_id(newer.journalpost_id, "hoveddokument")
                log(
                    Endring(
                        doc_id,
                        "sjekksum",
                        newer.created_at,
                        ctx.archivist,
                        older.hoveddokument_sha256,
                        newer.hoveddokument_sha256,
                    )
                )

        c = counts["arkivstruktur.xml"]
        for rows in groups.values():
            first_tree = etree.fromstring(sink.read_bytes(rows[0].package_id, "arkivstruktur.xml"))
            first_mappe = first_tree.find(".//n:mappe", _NS)
            if rows[0].new_case:
                for endring in _number_new_case(first_mappe, rows[0], case_numbers[rows[0].package_id], now, ctx):
                    log(endring)
            head, tail = _split_mappe(first_mappe)
            for el in head:
                if el.tag == N5.tag("opprettetDato"):
                    el.text = xml_text(rows[0].created_at)
                elif el.tag == N5.tag("avsluttetDato"):
                    el.text = xml_text(rows[-1].created_at)
            with arkiv.element(N5.tag("mappe"), dict(first_mappe.attrib)):
                _write_children(arkiv, head)
                c["mappe"] += 1
                for row in rows:
                    tree = (
                        first_tree
                        if row is rows[0]
                        else etree.fromstring(sink.read_bytes(row.package_id, "arkivstruktur.xml"))
                    )
                    jp = tree.find(".//n:registrering", _NS)
                    year, sequence, in_mappe = numbers[row.package_id]
                    _set(jp, "n:journalaar", year)
                    for field_name, value in (
                        ("journalsekvensnummer", sequence),
                        ("journalpostnummer", in_mappe),
                        ("journalstatus", codes.JOURNALSTATUS_ARKIVERT),
                    ):
                        old = _set(jp, f"n:{field_name}", value)
                        if old is not None and old != str(value):
                            log(Endring(row.journalpost_id, field_name, now, ctx.archivist, old, str(value)))
                    result.dokumentfiler += _copy_documents(sink, row, jp, out_dir)
                    skjermet = skjermet or jp.find(".//n:skjerming", _NS) is not None
                    arkiv.write(jp, pretty_print=True)
                    c["registrering"] += 1
                    c["journalpost"] += 1
                    c["dokumentbeskrivelse"] += len(jp.findall("n:dokumentbeskrivelse", _NS))
                    c["dokumentobjekt"] += len(jp.findall(".//n:dokumentobjekt", _NS))
                    if row.in_saksmappe and journals:
                        entry = JournalEntry.from_elements(first_mappe, jp)
                        journals[0].write(loepende_entry(entry), pretty_print=True)
                        journals[1].write(offentlig_entry(entry), pretty_print=True)
                _write_children(arkiv, tail)
            if first_mappe.get(f"{{{XSI}}}type") == "saksmappe":
                c["saksmappe"] += 1
    counts["endringslogg.xml"] = {"endring": result.endringer}
    result.mapper, result.journalposter = len(groups), len(latest)

    for name in SCHEMA_FILES:
        shutil.copyfile(Path(xsd_dir) / SCHEMAS[name], out_dir / Path(SCHEMAS[name]).name)
    info = ExtractionInfo(antall_dokumentfiler=result.dokumentfiler, inneholder_skjermet_informasjon=skjermet)
    _write_addml(out_dir, counts, ctx=ctx, period=(date_from, date_to), info=info)
    if validate:
        from noark.validate import validate_path

        result.report = validate_path(out_dir, xsd_dir)
    return result



def _write_addml(
    out_dir: Path,
    counts: dict[str, dict[str, int]],
    *,
    ctx: NoarkContext,
    period: tuple[date, date],
    info: ExtractionInfo,
) -> None:
    """arkivstruktur first (Arkade reads dataObject[0]), then endringslogg and the journals."""
    described = []
    for name in ("arkivstruktur.xml", "endringslogg.xml", "loependeJournal.xml", "offentligJournal.xml"):
        if name not in counts:
            continue
        schema = f"{Path(name).stem}.xsd"
        schemas = [
            (schema, "main", sha256_file(out_dir / schema)),
            ("metadatakatalog.xsd", None, sha256_file(out_dir / "metadatakatalog.xsd")),
        ]
        described.append(DescribedFile(name, sha256_file(out_dir / name), schemas, dict(counts[name])))
    data = arkivuttrekk_bytes(
        described,
        municipality=ctx.municipality,
        system_name=ctx.system_name,
        archive=ctx.arkiv_title,
        period=period,
        info=info,
    )
    (out_dir / "arkivuttrekk.xml").write_bytes(data)
