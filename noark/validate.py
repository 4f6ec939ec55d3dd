"""Validation of a package folder or an uttrekk folder: XSD plus Arkade-5-style content checks.

Each finding names its rule, so a report can be filtered and tests can assert on the rule that fired.
Rules (Arkade 5 test ids in noark/README.md): xsd, addml-structure, addml-file, addml-checksum, addml-count,
dokumentfil-count, dokumentfil-missing, dokumentfil-empty, dokumentfil-sjekksum, dokumentfil-stoerrelse,
unreferenced-file, systemid-unique, empty-element, date-order, journaldato, journal-numbering, journal-count,
journal-dates, endringslogg-reference, skjerming; warnings: status, dokumentfil-multireferert.

Everything streams (``lxml.etree.iterparse`` with the XSD attached to the parser); see ``validate_path``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from lxml import etree

from noark import codes
from noark.addml import ACCEPTED_ALGORITHMS, AddmlFacts, read_arkivuttrekk
from noark.xmlutil import N5_ARKIVSTRUKTUR, N5_LOEPENDE_JOURNAL, N5_OFFENTLIG_JOURNAL, XSI
from noark.xsd import load_schema

_NS = {"n": N5_ARKIVSTRUKTUR, "l": N5_LOEPENDE_JOURNAL, "o": N5_OFFENTLIG_JOURNAL}
_XSI_TYPE = f"{{{XSI}}}type"
# Report.kind stays a machine value ("package"/"uttrekk", also in the JSON); the text report names it in bokmål.
_KIND_LABELS = {"package": "pakke", "uttrekk": "uttrekk"}
# Start of the message of an xsd finding for XML that can't be parsed (validate_path stops on those alone).
NOT_WELL_FORMED = "ikke velformet XML"


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.file and self.line else (self.file or "")
        return f"[{self.rule}] {where + ': ' if where else ''}{self.message}"


@dataclass
class Report:
    path: str
    kind: str  # "package" or "uttrekk"
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, rule: str, message: str, file: str | None = None, line: int | None = None) -> None:
        self.errors.append(Finding(rule, message, file, line))

    def warn(self, rule: str, message: str, file: str | None = None, line: int | None = None) -> None:
        self.warnings.append(Finding(rule, message, file, line))

    def rules(self) -> set[str]:
        return {f.rule for f in self.errors}

    def to_text(self) -> str:
        lines = [
            f"{_KIND_LABELS.get(self.kind, self.kind)} {self.path}: {'OK' if self.ok else 'UGYLDIG'} "
            f"({len(self.errors)} feil, {len(self.warnings)} {'advarsel' if len(self.warnings) == 1 else 'advarsler'})"
        ]
        if self.counts:
            lines.append("  " + ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items())))
        lines += [f"  FEIL     {f}" for f in self.errors] + [f"  ADVARSEL {f}" for f in self.warnings]
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        data = {
            "path": self.path,
            "kind": self.kind,
            "ok": self.ok,
            "counts": self.counts,
            "errors": [asdict(f) for f in self.errors],
            "warnings": [asdict(f) for f in self.warnings],
        }
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# --- streaming machinery ------------------------------------------------------------------------------------

# Above this size an invalid file is not re-parsed as a whole tree just to list every XSD error with its line:
# the streaming validator stops at the first error, which is then the only one reported.
FULL_TREE_ERROR_LISTING_MAX_BYTES = 50 * 1024 * 1024


def _hash(value: str) -> int:
    """A 64-bit digest: sets of these keep systemIDs and file references in ~60 bytes each."""
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(), "big")


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _stream(path: Path, name: str, schema_name: str | None, xsd_dir: Path, report: Report, on_end) -> bool:
    """Streams ``path`` once, validating against the schema while parsing (libxml2's streaming validator, so
    memory stays flat) and calling ``on_end(element)`` for every element end. ``on_end`` must detach what it
    no longer needs. On an XSD error the content pass is restarted without the schema (``on_end`` is then
    called again from the beginning: callers reset their state when ``_stream`` returns False)."""
    schema = load_schema(schema_name, xsd_dir) if schema_name else None
    last_line = None
    try:
        for _event, el in etree.iterparse(str(path), events=("end",), schema=schema, huge_tree=True):
            last_line = el.sourceline
            on_end(el)
        return True
    except etree.XMLSyntaxError as exc:
        last = exc.error_log.last_error if exc.error_log else None
        if schema is None or last is None or last.domain_name != "SCHEMASV":
            report.error("xsd", f"{NOT_WELL_FORMED}: {exc.msg}", name, exc.lineno or last_line)
            return True
        _report_xsd_errors(path, name, schema, exc, last_line, report)
        return False


def _report_xsd_errors(path: Path, name: str, schema, exc, last_line: int | None, report: Report) -> None:
    if path.stat().st_size <= FULL_TREE_ERROR_LISTING_MAX_BYTES:
        schema.validate(etree.parse(str(path), etree.XMLParser(huge_tree=True)))
        for err in schema.error_log:
            report.error("xsd", err.message, name, err.line)
        if schema.error_log:
            return
    report.error("xsd", f"{exc.msg} (strømmende validering stopper ved første feil)", name, last_line)


def _document_files(folder: Path):
    """Paths (relative, POSIX) of the files under DOKUMENT/, walked lazily."""
    for directory, _dirs, names in os.walk(folder / "DOKUMENT"):
        rel_dir = Path(directory).relative_to(folder).as_posix()
        for name in names:
            yield f"{rel_dir}/{name}"


def _detach(el: etree._Element) -> None:
    parent = el.getparent()
    el.clear(keep_tail=False)
    if parent is not None:
        parent.remove(el)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _dt(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _text(el: etree._Element, path: str) -> str | None:
    return el.findtext(path, namespaces=_NS)


class _Numbers:
    """journalsekvensnummer per journalaar as a bitmap: 1 bit per number, duplicates noticed on the way."""

    def __init__(self) -> None:
        self.bits = bytearray()
        self.count = 0
        self.duplicates: list[int] = []

    def add(self, n: int) -> None:
        self.count += 1
        if n < 1:
            self.duplicates.append(n)  # reported with the duplicates: not a valid sequence number
            return
        byte, bit = divmod(n - 1, 8)
        if byte >= len(self.bits):
            self.bits.extend(b"\0" * (byte + 1 - len(self.bits) + 1024))
        if self.bits[byte] >> bit & 1:
            self.duplicates.append(n)
        self.bits[byte] |= 1 << bit

    def gaps(self) -> list[int]:
        return [n for n in range(1, self.count + 1) if not self.bits[(n - 1) // 8] >> ((n - 1) % 8) & 1]


@dataclass
class _JournalSource:
    """What the journal checks need of one journalpost in a saksmappe (kept only for skjermet ones)."""

    restriction: str | None
    hidden: frozenset[str]
    tittel: str | None


class _Arkivstruktur:
    """One streaming pass over arkivstruktur.xml; each handler looks at a finished element, then detaches
    registreringer and mapper so memory holds one journalpost at a time plus the small per-id indexes."""

    def __init__(self, folder: Path, report: Report, *, final: bool) -> None:
        self.folder, self.report, self.final = folder, report, final
        self.ids: set[int] = set()
        self.referenced: set[int] = set()
        self.numbers: dict[str, _Numbers] = defaultdict(_Numbers)
        self.counts: Counter[str] = Counter()
        self.journal_ids: set[int] = set()  # journalposter in a saksmappe
        self.skjermet: dict[str, _JournalSource] = {}
        self.journal_dates: list[str] = []  # [min, max] journaldato of the journaled
        self.arkivdelstatus: str | None = None
        self.arkivperiode: tuple[str | None, str | None] = (None, None)
        self.files_on_disk = 0  # files under DOKUMENT/, counted by finish()

    # -- dispatch
    def __call__(self, el: etree._Element) -> None:
        name = _local(el.tag)
        if len(el) == 0 and not (el.text or "").strip():
            parent = el.getparent()
            owner = _text(parent, "n:systemID") if parent is not None else None
            self.report.error(
                "empty-element",
                f"<{name}> har ikke noe innhold{f' (i {owner})' if owner else ''}",
                "arkivstruktur.xml",
                el.sourceline,
            )
        handler = getattr(self, f"_end_{name}", None)
        if handler:
            handler(el)

    def _end_systemID(self, el) -> None:  # noqa: N802 - element name
        value = (el.text or "").strip()
        key = _hash(value)
        if key in self.ids:
            self.report.error(
                "systemid-unique", f"systemID {value} forekommer mer enn én gang", "arkivstruktur.xml", el.sourceline
            )
        self.ids.add(key)

    def _end_arkivdelstatus(self, el) -> None:
        self.arkivdelstatus = el.text

    def _end_dokumentobjekt(self, obj) -> None:
        self.counts["dokumentobjekt"] += 1
        ref = _text(obj, "n:referanseDokumentfil") or ""
        key = _hash(ref)
        if key in self.referenced:
            self.report.warn(
                "dokumentfil-multireferert",
                f"{ref} er referert fra mer enn ett dokumentobjekt",
                "arkivstruktur.xml",
                obj.sourceline,
            )
        self.referenced.add(key)
        path = self.folder / ref
        if ".." in Path(ref).parts or not path.is_file():
            self.report.error(
                "dokumentfil-missing",
                f"referanseDokumentfil {ref!r} finnes ikke",
                "arkivstruktur.xml",
                obj.sourceline,
            )
            return
        size = path.stat().st_size
        if size == 0:
            self.report.error("dokumentfil-empty", f"{ref} er en tom fil", "arkivstruktur.xml", obj.sourceline)
        if _sha256(path) != (_text(obj, "n:sjekksum") or "").lower():
            self.report.error(
                "dokumentfil-sjekksum",
                f"{ref}: SHA-256 stemmer ikke med sjekksummen",
                "arkivstruktur.xml",
                obj.sourceline,
            )
        stated = _text(obj, "n:filstoerrelse")
        if stated is None or not stated.isdigit() or int(stated) != size:
            self.report.error(
                "dokumentfil-stoerrelse",
                f"{ref}: størrelse {size} != filstoerrelse {stated}",
                "arkivstruktur.xml",
                obj.sourceline,
            )

    def _end_dokumentbeskrivelse(self, el) -> None:
        self.counts["dokumentbeskrivelse"] += 1

    def _end_registrering(self, jp) -> None:
        self.counts["registrering"] += 1
        if jp.get(_XSI_TYPE) == "journalpost":
            self._journalpost(jp)
        _detach(jp)

    def _journalpost(self, jp) -> None:
        self.counts["journalpost"] += 1
        system_id = _text(jp, "n:systemID") or ""
        journaldato = _text(jp, "n:journaldato")
        if not journaldato:
            self.report.error(
                "journaldato", f"journalpost {system_id} mangler journaldato", "arkivstruktur.xml", jp.sourceline
            )
        year, seq = _text(jp, "n:journalaar"), _text(jp, "n:journalsekvensnummer")
        if year and seq and seq.isdigit():
            self.numbers[year].add(int(seq))
        status = _text(jp, "n:journalstatus")
        if self.final and status not in (codes.JOURNALSTATUS_ARKIVERT, codes.JOURNALSTATUS_UTGAAR):
            self.report.warn(
                "status",
                f"journalpost {system_id} har journalstatus {status!r}; en avlevert journalpost "
                "skal ha 'Arkivert' eller 'Utgår'",
                "arkivstruktur.xml",
                jp.sourceline,
            )
        _check_skjerming(jp, system_id, self.report)
        mappe = jp.getparent()
        if mappe is not None and mappe.get(_XSI_TYPE) == "saksmappe":
            self.journal_ids.add(_hash(system_id))
            if journaldato:
                if not self.journal_dates:
                    self.journal_dates = [journaldato, journaldato]
                self.journal_dates = [min(self.journal_dates[0], journaldato), max(self.journal_dates[1], journaldato)]
            if jp.find("n:skjerming", _NS) is not None:
                self.skjermet[system_id] = _JournalSource(
                    _text(jp, "n:skjerming/n:tilgangsrestriksjon"),
                    frozenset(jp.xpath("n:skjerming/n:skjermingMetadata/text()", namespaces=_NS)),
                    _text(jp, "n:tittel"),
                )

    def _end_mappe(self, mappe) -> None:
        self.counts["mappe"] += 1
        if mappe.get(_XSI_TYPE) == "saksmappe":
            self.counts["saksmappe"] += 1
        self._date_order("mappe", mappe)
        _detach(mappe)

    def _end_arkivdel(self, el) -> None:
        self.counts["arkivdel"] += 1
        self.arkivperiode = (_text(el, "n:arkivperiodeStartDato"), _text(el, "n:arkivperiodeSluttDato"))
        self._date_order("arkivdel", el)

    def _end_arkiv(self, el) -> None:
        self.counts["arkiv"] += 1
        self._date_order("arkiv", el)

    def _date_order(self, tag: str, el) -> None:
        start, end = _dt(_text(el, "n:opprettetDato")), _dt(_text(el, "n:avsluttetDato"))
        if start and end and start > end:
            self.report.error(
                "date-order",
                f"{tag} {_text(el, 'n:systemID')}: opprettetDato {start.isoformat()} er etter avsluttetDato "
                f"{end.isoformat()}",
                "arkivstruktur.xml",
                el.sourceline,
            )

    # -- after the pass
    def finish(self) -> None:
        report = self.report
        report.counts.update(self.counts)
        report.counts["journalposter"] = self.counts["journalpost"]
        report.counts["dokumentfiler"] = len(self.referenced)
        unreferenced = []
        for rel in _document_files(self.folder):  # a generator: no list of every path in memory
            self.files_on_disk += 1
            if _hash(rel) not in self.referenced:
                unreferenced.append(rel)
        for rel in sorted(unreferenced):
            report.error("unreferenced-file", f"{rel} er ikke referert fra noe dokumentobjekt")
        if self.final:
            for year, numbers in sorted(self.numbers.items()):
                gaps, dupes = numbers.gaps(), sorted(set(numbers.duplicates))
                if gaps or dupes:
                    report.error(
                        "journal-numbering",
                        f"journalaar {year}: journalsekvensnummer er ikke fortløpende 1..{numbers.count} "
                        f"(hull {gaps[:10]}, dubletter {dupes[:10]})",
                        "arkivstruktur.xml",
                    )
            if self.arkivdelstatus != codes.ARKIVDELSTATUS_AVSLUTTET:
                report.warn(
                    "status",
                    f"arkivdelstatus er {self.arkivdelstatus!r}; en avlevert arkivdel skal ha "
                    f"{codes.ARKIVDELSTATUS_AVSLUTTET!r}",
                    "arkivstruktur.xml",
                )


def _check_skjerming(unit, system_id: str | None, report: Report) -> None:
    for skjerming in unit.iterfind(".//n:skjerming", _NS):
        fields = skjerming.xpath("n:skjermingMetadata/text()", namespaces=_NS)
        if (
            not (_text(skjerming, "n:tilgangsrestriksjon") or "").strip()
            or not (_text(skjerming, "n:skjermingshjemmel") or "").strip()
        ):
            report.error(
                "skjerming",
                f"{system_id}: skjerming uten tilgangsrestriksjon eller skjermingshjemmel",
                "arkivstruktur.xml",
                skjerming.sourceline,
            )
        owner = skjerming.getparent()
        if "tittel" in fields and owner.tag == f"{{{N5_ARKIVSTRUKTUR}}}registrering":
            title, public = _text(owner, "n:tittel"), _text(owner, "n:offentligTittel")
            if not public or public == title:
                report.error(
                    "skjerming",
                    f"{system_id}: tittel er skjermet, men offentligTittel mangler eller er lik tittel",
                    "arkivstruktur.xml",
                    owner.sourceline,
                )


# --- the other files -----------------------------------------------------------------------------------------


def _validate_small(folder: Path, name: str, schema: str, xsd_dir: Path, report: Report):
    """Parses and validates a file that is small by construction (arkivuttrekk.xml, arkivmelding.xml)."""
    path = folder / name
    if not path.is_file():
        report.error("xsd", "filen mangler", name)
        return None
    try:
        tree = etree.parse(str(path))
    except etree.XMLSyntaxError as exc:
        report.error("xsd", f"{NOT_WELL_FORMED}: {exc.msg}", name, exc.lineno)
        return None
    validator = load_schema(schema, xsd_dir)
    if not validator.validate(tree):
        for err in validator.error_log:
            report.error("xsd", err.message, name, err.line)
    return tree


def _check_endringslogg(folder: Path, xsd_dir: Path, ids: set[int], report: Report) -> int:
    """Streams endringslogg.xml: XSD, and every referanseArkivenhet names a systemID (Arkade N5.62)."""
    path, count = folder / "endringslogg.xml", 0
    if not path.is_file():
        report.error("xsd", "filen mangler", "endringslogg.xml")
        return 0

    def on_end(el) -> None:
        nonlocal count
        name = _local(el.tag)
        if name == "referanseArkivenhet":
            value = (el.text or "").strip()
            if _hash(value) not in ids:
                report.error(
                    "endringslogg-reference",
                    f"referanseArkivenhet {value} er ikke en systemID i arkivstruktur.xml",
                    "endringslogg.xml",
                    el.sourceline,
                )
        elif name == "endring":
            count += 1
            _detach(el)

    if not _stream(path, "endringslogg.xml", "endringslogg", xsd_dir, report, on_end):
        count = 0
        _stream(path, "endringslogg.xml", None, xsd_dir, Report("", ""), on_end)
    report.counts["endringer"] = count
    return count


def _check_journal(folder: Path, name: str, xsd_dir: Path, index: _Arkivstruktur, report: Report):
    """Streams one journal: XSD, counts, dates and (offentligJournal) masking. Returns (stated, entries,
    (start, end))."""
    prefix = "l" if name == "loependeJournal" else "o"
    state = {"entries": 0, "stated": None, "start": None, "end": None}
    file = f"{name}.xml"

    def on_end(el) -> None:
        local = _local(el.tag)
        if local == "antallJournalposter":
            state["stated"] = el.text
        elif local == "journalStartDato":
            state["start"] = el.text
        elif local == "journalSluttDato":
            state["end"] = el.text
        elif local == "journalregistrering":
            state["entries"] += 1
            jp = el.find(f"{prefix}:journalpost", _NS)
            system_id = jp.findtext(f"{prefix}:systemID", namespaces=_NS) if jp is not None else None
            if system_id is None or _hash(system_id) not in index.journal_ids:
                report.error(
                    "journal-count",
                    f"{name} fører opp {system_id}, som ikke er en journalpost i en saksmappe i arkivstruktur",
                    file,
                    el.sourceline,
                )
            elif prefix == "o":
                _check_public_entry(jp, system_id, index.skjermet.get(system_id), report)
            _detach(el)

    if not _stream(folder / file, file, name, xsd_dir, report, on_end):
        state.update(entries=0, stated=None, start=None, end=None)
        _stream(folder / file, file, None, xsd_dir, Report("", ""), on_end)
    return state


def _check_public_entry(jp, system_id: str, source: _JournalSource | None, report: Report) -> None:
    restriction = source.restriction if source else None
    hidden = source.hidden if source else frozenset()
    if restriction != jp.findtext("o:tilgangsrestriksjon", namespaces=_NS):
        report.error(
            "skjerming",
            f"{system_id}: tilgangsrestriksjon er ulik i arkivstruktur og offentligJournal",
            "offentligJournal.xml",
            jp.sourceline,
        )
    if "korrespondansepartNavn" in hidden:
        for part in jp.iterfind("o:korrespondansepart", _NS):
            kind = part.findtext("o:korrespondanseparttype", namespaces=_NS) or ""
            name = part.findtext("o:korrespondansepartNavn", namespaces=_NS)
            if not kind.startswith("Intern") and name != codes.SKJERMET_TEKST:
                report.error(
                    "skjerming",
                    f"{system_id}: skjermet korrespondansepartNavn {name!r} vises i offentligJournal",
                    "offentligJournal.xml",
                    jp.sourceline,
                )
    if "tittel" in hidden and source and jp.findtext("o:offentligTittel", namespaces=_NS) == source.tittel:
        report.error(
            "skjerming",
            f"{system_id}: skjermet tittel vises i offentligJournal",
            "offentligJournal.xml",
            jp.sourceline,
        )


def _check_journals(
    folder: Path, xsd_dir: Path, index: _Arkivstruktur, facts: AddmlFacts | None, report: Report
) -> None:
    journaled = len(index.journal_ids)
    sharp = facts is not None and facts.periode == ("skarpt", "skarpt")
    heads = {}
    for name in ("loependeJournal", "offentligJournal"):
        if not (folder / f"{name}.xml").is_file():
            if journaled:
                report.error("journal-count", f"{name}.xml mangler", f"{name}.xml")
            continue
        state = heads[name] = _check_journal(folder, name, xsd_dir, index, report)
        if state["stated"] != str(state["entries"]) or state["entries"] != journaled:
            report.error(
                "journal-count",
                f"{name}.xml: antallJournalposter {state['stated']}, {state['entries']} journalregistreringer, "
                f"{journaled} journalposter i saksmapper i arkivstruktur.xml",
                f"{name}.xml",
            )
        if sharp and state["entries"] != index.counts["journalpost"]:
            report.error(
                "journal-count",
                f"{name}.xml: skarpt periodeskille, men {state['entries']} journalregistreringer for "
                f"{index.counts['journalpost']} journalposter i arkivstruktur.xml (Arkade N5.59)",
                f"{name}.xml",
            )
        if index.journal_dates and state["start"] and state["end"]:
            first, last = index.journal_dates
            if first < state["start"] or last > state["end"]:
                report.error(
                    "journal-dates",
                    f"{name}.xml: journalStartDato..journalSluttDato {state['start']}.."
                    f"{state['end']} dekker ikke journaldato {first}..{last}",
                    f"{name}.xml",
                )
    if len(heads) == 2:
        a, b = heads["loependeJournal"], heads["offentligJournal"]
        if (a["start"], a["end"]) != (b["start"], b["end"]):
            report.error(
                "journal-dates",
                f"loependeJournal {a['start']}..{a['end']} og offentligJournal "
                f"{b['start']}..{b['end']} dekker ulike perioder (Arkade N5.60)",
                "offentligJournal.xml",
            )


def _check_addml(folder: Path, xsd_dir: Path, index: _Arkivstruktur, report: Report) -> AddmlFacts | None:
    if _validate_small(folder, "arkivuttrekk.xml", "addml", xsd_dir, report) is None:
        return None
    facts = read_arkivuttrekk(folder / "arkivuttrekk.xml")
    for problem in facts.problems:
        report.error("addml-structure", problem, "arkivuttrekk.xml")
    expected_files = {"arkivstruktur.xml", "endringslogg.xml"} | (
        {"loependeJournal.xml", "offentligJournal.xml"} if index.journal_ids else set()
    )
    for name in sorted(expected_files - set(facts.files)):
        report.error("addml-structure", f"{name} er ikke beskrevet i arkivuttrekk.xml", "arkivuttrekk.xml")
    for name, (algorithm, expected) in facts.checksums.items():
        path = folder / name
        if not path.is_file():
            report.error("addml-file", f"{name} er beskrevet i arkivuttrekk.xml, men mangler", name)
        elif algorithm not in ACCEPTED_ALGORITHMS:
            report.error("addml-checksum", f"{name}: sjekksumalgoritmen {algorithm!r} er ikke SHA256", name)
        elif _sha256(path) != expected:
            report.error("addml-checksum", f"{name}: SHA-256 stemmer ikke med arkivuttrekk.xml", name)
    for element, count in facts.counts.get("arkivstruktur.xml", {}).items():
        if index.counts.get(element) != count:
            report.error(
                "addml-count",
                f"arkivuttrekk.xml oppgir {count} {element}, arkivstruktur.xml har {index.counts.get(element, 0)}",
                "arkivuttrekk.xml",
            )
    actual = index.files_on_disk
    if facts.antall_dokumentfiler is None:
        report.error("dokumentfil-count", "arkivuttrekk.xml mangler antallDokumentfiler", "arkivuttrekk.xml")
    elif facts.antall_dokumentfiler != actual:
        report.error(
            "dokumentfil-count",
            f"arkivuttrekk.xml oppgir antallDokumentfiler {facts.antall_dokumentfiler}, "
            f"DOKUMENT/ inneholder {actual} filer (Arkade N5.28)",
            "arkivuttrekk.xml",
        )
    return facts


def _check_addml_counts_of(facts: AddmlFacts | None, name: str, actual: int, element: str, report: Report) -> None:
    stated = facts.counts.get(name, {}).get(element) if facts else None
    if stated is not None and stated != actual:
        report.error(
            "addml-count", f"arkivuttrekk.xml oppgir {stated} {element} i {name}, fant {actual}", "arkivuttrekk.xml"
        )


def validate_path(path: Path, xsd_dir: Path) -> Report:
    """Validates a package folder (``arkivstruktur.xml`` at its root) or an uttrekk (``arkivuttrekk.xml``).

    Every file is streamed (``iterparse`` with the schema attached, elements detached once checked), so memory
    stays flat in the number of journalposter apart from 8-byte digests per systemID and file reference."""
    folder = Path(path)
    kind = "uttrekk" if (folder / "arkivuttrekk.xml").is_file() else "package"
    report = Report(path=str(folder), kind=kind)
    if not (folder / "arkivstruktur.xml").is_file():
        report.error("xsd", "ingen arkivstruktur.xml: verken en pakke eller et uttrekk", str(folder))
        return report
    final = kind == "uttrekk"
    index = _Arkivstruktur(folder, report, final=final)
    if not _stream(folder / "arkivstruktur.xml", "arkivstruktur.xml", "arkivstruktur", xsd_dir, report, index):
        # XSD error: redo the content checks on a schema-less pass, keeping only the XSD findings.
        xsd_findings = [f for f in report.errors if f.rule == "xsd"]
        report.errors[:] = xsd_findings
        report.warnings.clear()
        index = _Arkivstruktur(folder, report, final=final)
        _stream(folder / "arkivstruktur.xml", "arkivstruktur.xml", None, xsd_dir, report, index)
    if report.errors and all(f.rule == "xsd" and f.message.startswith(NOT_WELL_FORMED) for f in report.errors):
        return report
    index.finish()
    if kind == "package":
        if (folder / "arkivmelding.xml").is_file():
            _validate_small(folder, "arkivmelding.xml", "arkivmelding", xsd_dir, report)
        return report
    facts = _check_addml(folder, xsd_dir, index, report)
    endringer = _check_endringslogg(folder, xsd_dir, index.ids, report)
    _check_addml_counts_of(facts, "endringslogg.xml", endringer, "endring", report)
    _check_journals(folder, xsd_dir, index, facts, report)
    return report
