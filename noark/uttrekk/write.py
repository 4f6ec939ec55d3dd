"""Writing a planned uttrekk: arkivstruktur, both journals and the endringslogg streamed with ``etree.xmlfile``,
one package's arkivstruktur.xml in memory at a time; document files copied and re-checked on the way."""

from __future__ import annotations

import hashlib
import shutil
from collections import Counter
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from lxml import etree

from noark import codes, ids
from noark.addml import DescribedFile, ExtractionInfo, arkivuttrekk_bytes
from noark.arkivstruktur import N5, ArkivHeader, open_arkiv
from noark.endringslogg import LOGG, Endring, endring_element
from noark.journal import LOEPENDE, OFFENTLIG, JournalEntry, journalhode, loepende_entry, offentlig_entry
from noark.model import NoarkContext
from noark.people import is_person_name, saksansvarlig_for
from noark.safexml import UnsafeXmlError, parse_bytes
from noark.uttrekk.numbering import CaseNumber, JournalNumber, UttrekkError
from noark.uttrekk.plan import PackageRow, PlannedMappe, UttrekkPlan
from noark.validate.report import Report
from noark.xmlutil import XSI
from noark.xmlutil import text as xml_text
from noark.xsd import SCHEMAS
from schemas.findings import Finding
from schemas.package import Manifest, sha256_file

_NS = {"n": N5.ns}
_XSI_TYPE = f"{{{XSI}}}type"
ARKIVSTRUKTUR_COUNTS = ("mappe", "saksmappe", "registrering", "journalpost", "dokumentbeskrivelse", "dokumentobjekt")
SCHEMA_FILES = ("arkivstruktur", "metadatakatalog", "endringslogg", "loependeJournal", "offentligJournal", "addml")
JOURNALS = (("loependeJournal", LOEPENDE), ("offentligJournal", OFFENTLIG))


class PackageSource(Protocol):
    """What the uttrekk reads from an archive bucket (``storage.base.Sink`` satisfies it)."""

    def list_packages(self) -> list[str]: ...

    def read_manifest(self, package_id: str) -> Manifest: ...

    def read_bytes(self, package_id: str, path: str) -> bytes: ...

    def open_file(self, package_id: str, path: str) -> AbstractContextManager[BinaryIO]: ...


@dataclass
class UttrekkResult:
    out_dir: Path
    package_ids: list[str] = field(default_factory=list)
    mapper: int = 0
    journalposter: int = 0
    dokumentfiler: int = 0
    endringer: int = 0
    warnings: list[Finding] = field(default_factory=list)  # non-fatal problems of the extraction
    report: Report | None = None  # set when validated


def _set(el: etree._Element, path: str, value: object) -> str | None:
    """Sets a child's text and returns the old text (None when there is no such child)."""
    child = el.find(path, _NS)
    if child is None:
        return None
    old, child.text = child.text, str(value)
    return None if old is None else str(old)


def _split_mappe(mappe: etree._Element) -> tuple[list[etree._Element], list[etree._Element]]:
    """A mappe's children before and after its registreringer."""
    reg = N5.tag("registrering")
    children = list(mappe)
    first = next((i for i, c in enumerate(children) if c.tag == reg), len(children))
    last = max((i for i, c in enumerate(children) if c.tag == reg), default=first - 1)
    return children[:first], children[last + 1 :]


class _Writer:
    """Writes the XML files of one uttrekk; each method does one job."""

    def __init__(self, source: PackageSource, out_dir: Path, plan: UttrekkPlan, ctx: NoarkContext, now: datetime):
        self.source, self.out_dir, self.plan, self.ctx, self.now = source, out_dir, plan, ctx, now
        self.result = UttrekkResult(out_dir=out_dir, package_ids=plan.package_ids)
        self.counts: dict[str, dict[str, int]] = {}
        self.arkiv_counts: Counter[str] = Counter(dict.fromkeys(ARKIVSTRUKTUR_COUNTS, 0))
        self.skjermet = False
        self.journals: list[etree.xmlfile] = []

    # -- files
    def write(self) -> UttrekkResult:
        with ExitStack() as stack:
            self.arkiv = self._open(stack, "arkivstruktur.xml")
            stack.enter_context(open_arkiv(self.arkiv, self.ctx, self._header()))
            if self.plan.journal_period:
                self._open_journals(stack, self.plan.journal_period)
            self.logg = self._open(stack, "endringslogg.xml")
            stack.enter_context(self.logg.element(LOGG.tag("endringslogg"), nsmap=LOGG.nsmap))
            self._log_status_and_superseded()
            for mappe in self.plan.mapper:
                self._write_mappe(mappe)
        self.counts["arkivstruktur.xml"] = dict(self.arkiv_counts)
        self.counts["endringslogg.xml"] = {"endring": self.result.endringer}
        self.result.mapper = len(self.plan.mapper)
        self.result.journalposter = len(self.result.package_ids)
        return self.result

    def _open(self, stack: ExitStack, name: str) -> etree.xmlfile:
        xf = stack.enter_context(etree.xmlfile(str(self.out_dir / name), encoding="utf-8"))
        xf.write_declaration()
        return xf

    def _header(self) -> ArkivHeader:
        return ArkivHeader(
            opprettet_dato=self.plan.first_created,
            avsluttet_dato=self.now,
            arkivstatus=codes.ARKIVSTATUS_AVSLUTTET,
            arkivdelstatus=codes.ARKIVDELSTATUS_AVSLUTTET,
            arkivperiode_start=self.plan.period[0],
            arkivperiode_slutt=self.plan.period[1],
        )

    def _open_journals(self, stack: ExitStack, period: tuple[date, date]) -> None:
        count, arkivskaper = self.plan.journaled, (self.ctx.arkivskaper, self.ctx.municipality)
        for name, builder in JOURNALS:
            xf = self._open(stack, f"{name}.xml")
            stack.enter_context(xf.element(builder.tag(name), nsmap=builder.nsmap))
            hode = builder.element("journalhode")
            for child in journalhode(builder, *period, count, arkivskaper):
                hode.append(child)
            xf.write(hode, pretty_print=True)
            self.journals.append(xf)
            self.counts[f"{name}.xml"] = {"journalregistrering": count}

    # -- endringslogg
    def log(self, endring: Endring) -> None:
        self.logg.write(endring_element(endring), pretty_print=True)
        self.result.endringer += 1

    def _log_status_and_superseded(self) -> None:
        ctx, now = self.ctx, self.now
        self.log(
            Endring(
                ctx.arkiv_system_id,
                "arkivstatus",
                now,
                ctx.archivist,
                codes.ARKIVSTATUS_OPPRETTET,
                codes.ARKIVSTATUS_AVSLUTTET,
            )
        )
        self.log(
            Endring(
                ctx.arkivdel_system_id,
                "arkivdelstatus",
                now,
                ctx.archivist,
                codes.ARKIVDELSTATUS_AKTIV,
                codes.ARKIVDELSTATUS_AVSLUTTET,
            )
        )
        for older, newer in self.plan.superseded:
            if older.hoveddokument_sha256 != newer.hoveddokument_sha256:
                doc_id = ids.dokumentbeskrivelse_system_id(newer.journalpost_id, "hoveddokument")
                self.log(
                    Endring(
                        doc_id,
                        "sjekksum",
                        newer.created_at,
                        ctx.archivist,
                        older.hoveddokument_sha256,
                        newer.hoveddokument_sha256,
                    )
                )

    # -- arkivstruktur
    def _arkivstruktur(self, row: PackageRow) -> etree._Element:
        try:
            return parse_bytes(self.source.read_bytes(row.package_id, "arkivstruktur.xml"))
        except (etree.XMLSyntaxError, UnsafeXmlError) as exc:
            raise UttrekkError(f"pakke {row.package_id}: arkivstruktur.xml kan ikke leses: {exc}") from None

    def _write_mappe(self, planned: PlannedMappe) -> None:
        first_tree = self._arkivstruktur(planned.first)
        mappe = first_tree.find(".//n:mappe", _NS)
        if mappe is None:
            raise UttrekkError(f"pakke {planned.first.package_id}: arkivstruktur.xml har ingen mappe")
        if planned.new_case is not None:
            for endring in self._number_new_case(mappe, planned.first, planned.new_case):
                self.log(endring)
        self._name_saksansvarlig(mappe)
        head, tail = _split_mappe(mappe)
        for el in head:
            if el.tag == N5.tag("opprettetDato"):
                el.text = xml_text(planned.first.created_at)
            elif el.tag == N5.tag("avsluttetDato"):
                el.text = xml_text(planned.last.created_at)
        with self.arkiv.element(N5.tag("mappe"), dict(mappe.attrib)):
            for el in head:
                self.arkiv.write(el, pretty_print=True)
            self.arkiv_counts["mappe"] += 1
            for planned_reg in planned.registreringer:
                row = planned_reg.row
                tree = first_tree if row is planned.first else self._arkivstruktur(row)
                registrering = tree.find(".//n:registrering", _NS)
                if registrering is None:
                    raise UttrekkError(f"pakke {row.package_id}: arkivstruktur.xml har ingen registrering")
                self._write_registrering(mappe, registrering, row, planned_reg.journal)
            for el in tail:
                self.arkiv.write(el, pretty_print=True)
        if mappe.get(_XSI_TYPE) == "saksmappe":
            self.arkiv_counts["saksmappe"] += 1

    def _name_saksansvarlig(self, mappe: etree._Element) -> None:
        """saksansvarlig (M306) is a person's name: a package that holds an e-mail address or a user id there
        (made before this was fixed) gets the name from the context, and the change is logged."""
        el = mappe.find("n:saksansvarlig", _NS)
        if el is None or is_person_name(el.text or ""):
            return
        old, el.text = el.text or "", saksansvarlig_for(el.text, self.ctx)
        system_id = mappe.findtext("n:systemID", namespaces=_NS) or ""
        self.log(Endring(system_id, "saksansvarlig", self.now, self.ctx.archivist, old, el.text))

    def _number_new_case(self, mappe: etree._Element, row: PackageRow, number: CaseNumber) -> list[Endring]:
        """Replaces a new case's provisional numbers (and its marker) with the final ones; returns the endringer."""
        if mappe.get(_XSI_TYPE) != "saksmappe":
            raise UttrekkError(
                f"pakke {row.package_id}: journalføringspliktig tråd uten saksnummer ligger ikke i en saksmappe"
            )
        system_id = mappe.findtext("n:systemID", namespaces=_NS) or row.mappe_key
        changes = []
        for field_name, value in (
            ("saksaar", number.saksaar),
            ("sakssekvensnummer", number.sakssekvensnummer),
            ("mappeID", str(number)),
        ):
            old = _set(mappe, f"n:{field_name}", value)
            if old is not None and old != str(value):
                changes.append(Endring(system_id, field_name, self.now, self.ctx.archivist, old, str(value)))
        marker = mappe.find("n:beskrivelse", _NS)
        if marker is not None and marker.text == codes.FORELOEPIG_SAKSNUMMER:
            mappe.remove(marker)
        return changes

    def _write_registrering(
        self, mappe: etree._Element, registrering: etree._Element, row: PackageRow, number: JournalNumber | None
    ) -> None:
        is_journalpost = registrering.get(_XSI_TYPE) == "journalpost"
        if number is not None and not is_journalpost:
            raise UttrekkError(f"pakke {row.package_id}: tråden skal journalføres, men er ikke en journalpost")
        if number is None and is_journalpost:
            as_registrering(registrering)  # a package made before unjournaled threads were registreringer
        if number is not None:
            _set(registrering, "n:journalaar", number.journalaar)
            for field_name, value in (
                ("journalsekvensnummer", number.journalsekvensnummer),
                ("journalpostnummer", number.journalpostnummer),
                ("journalstatus", codes.JOURNALSTATUS_ARKIVERT),
            ):
                old = _set(registrering, f"n:{field_name}", value)
                if old is not None and old != str(value):
                    self.log(Endring(row.journalpost_id, field_name, self.now, self.ctx.archivist, old, str(value)))
        self.result.dokumentfiler += copy_documents(self.source, row, registrering, self.out_dir)
        self.skjermet = self.skjermet or registrering.find(".//n:skjerming", _NS) is not None
        self.arkiv.write(registrering, pretty_print=True)
        c = self.arkiv_counts
        c["registrering"] += 1
        c["journalpost"] += registrering.get(_XSI_TYPE) == "journalpost"
        c["dokumentbeskrivelse"] += len(registrering.findall("n:dokumentbeskrivelse", _NS))
        c["dokumentobjekt"] += len(registrering.findall(".//n:dokumentobjekt", _NS))
        if row.in_saksmappe and self.journals:
            entry = JournalEntry.from_elements(mappe, registrering)
            self.journals[0].write(loepende_entry(entry), pretty_print=True)
            self.journals[1].write(offentlig_entry(entry), pretty_print=True)


# The journalpost extension of registrering (arkivstruktur.xsd v5.0), in XSD order.
JOURNALPOST_FIELDS = (
    "journalaar",
    "journalsekvensnummer",
    "journalpostnummer",
    "journalposttype",
    "journalstatus",
    "journaldato",
    "dokumentetsDato",
    "mottattDato",
    "sendtDato",
    "forfallsdato",
    "offentlighetsvurdertDato",
    "antallVedlegg",
    "utlaantDato",
    "utlaantTil",
    "journalenhet",
    "avskrivning",
    "dokumentflyt",
    "presedens",
    "elektroniskSignatur",
)


def as_registrering(registrering: etree._Element) -> None:
    """Turns a journalpost that is not journaled into a plain registrering: drops the journalpost fields."""
    for name in JOURNALPOST_FIELDS:
        for child in registrering.findall(f"n:{name}", _NS):
            registrering.remove(child)
    registrering.set(_XSI_TYPE, "registrering")


def copy_documents(source: PackageSource, row: PackageRow, registrering: etree._Element, out_dir: Path) -> int:
    """Copies every referenced file to DOKUMENT/<package_id>/..., verifying checksum and size on the way."""
    copied = 0
    for obj in registrering.iterfind(".//n:dokumentobjekt", _NS):
        ref = obj.findtext("n:referanseDokumentfil", namespaces=_NS) or ""
        if not ref.startswith("DOKUMENT/") or ".." in ref.split("/") or "\\" in ref:
            raise UttrekkError(f"pakke {row.package_id}: referanseDokumentfil {ref!r} er ikke en fil under DOKUMENT/")
        new_ref = f"DOKUMENT/{row.package_id}/{ref.removeprefix('DOKUMENT/')}"
        target = out_dir / new_ref
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with source.open_file(row.package_id, ref) as stream, target.open("wb") as copy:
            while block := stream.read(1 << 20):  # bounded memory, whatever the file's size
                digest.update(block)
                size += len(block)
                copy.write(block)
        if digest.hexdigest() != obj.findtext("n:sjekksum", namespaces=_NS):
            raise UttrekkError(f"pakke {row.package_id}: {ref} stemmer ikke med sjekksummen")
        stated = obj.findtext("n:filstoerrelse", namespaces=_NS) or ""
        if not stated.isdigit() or size != int(stated):
            raise UttrekkError(f"pakke {row.package_id}: {ref} stemmer ikke med filstoerrelse")
        _set(obj, "n:referanseDokumentfil", new_ref)
        copied += 1
    return copied


def copy_schemas(xsd_dir: Path, out_dir: Path) -> None:
    for name in SCHEMA_FILES:
        shutil.copyfile(Path(xsd_dir) / SCHEMAS[name], out_dir / Path(SCHEMAS[name]).name)


def write_addml(
    out_dir: Path, counts: dict[str, dict[str, int]], *, ctx: NoarkContext, plan: UttrekkPlan, info: ExtractionInfo
) -> None:
    """arkivuttrekk.xml: arkivstruktur first (Arkade reads dataObject[0]), then endringslogg and the journals."""
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
        period=plan.period,
        info=info,
    )
    (out_dir / "arkivuttrekk.xml").write_bytes(data)


def write_uttrekk(
    source: PackageSource, out_dir: Path, plan: UttrekkPlan, *, ctx: NoarkContext, xsd_dir: Path, now: datetime
) -> UttrekkResult:
    """Writes every file of the planned uttrekk into ``out_dir`` (which exists and is empty)."""
    writer = _Writer(source, out_dir, plan, ctx, now)
    result = writer.write()
    if plan.journal_period is None:
        result.warnings.append(Finding(
            rule="journal-reports-omitted", where=str(out_dir), severity="warning",
            message="ingen journalpost ligger i en saksmappe: loependeJournal/offentligJournal er ikke skrevet",
        ))
    copy_schemas(xsd_dir, out_dir)
    info = ExtractionInfo(antall_dokumentfiler=result.dokumentfiler, inneholder_skjermet_informasjon=writer.skjermet)
    write_addml(out_dir, writer.counts, ctx=ctx, plan=plan, info=info)
    return result
