"""Validation of a package folder or an uttrekk folder: XSD plus Arkade-5-style content checks.

Each finding names its rule, so a report can be filtered and tests can assert on the rule that fired.
Rules: xsd, addml-checksum, addml-count, dokumentfil-missing, dokumentfil-sjekksum, dokumentfil-stoerrelse,
unreferenced-file, systemid-unique, date-order, journaldato, journal-numbering, journal-count, skjerming,
status (warning).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from lxml import etree

from noark import codes
from noark.addml import read_arkivuttrekk
from noark.xmlutil import N5_ARKIVSTRUKTUR, N5_LOEPENDE_JOURNAL, N5_OFFENTLIG_JOURNAL, XSI
from noark.xsd import load_schema

_NS = {"n": N5_ARKIVSTRUKTUR, "l": N5_LOEPENDE_JOURNAL, "o": N5_OFFENTLIG_JOURNAL}
_XSI_TYPE = f"{{{XSI}}}type"


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
            f"{self.kind} {self.path}: {'OK' if self.ok else 'INVALID'} "
            f"({len(self.errors)} errors, {len(self.warnings)} warnings)"
        ]
        if self.counts:
            lines.append("  " + ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items())))
        lines += [f"  ERROR   {f}" for f in self.errors] + [f"  WARNING {f}" for f in self.warnings]
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


def _parse_and_validate(folder: Path, name: str, schema: str, xsd_dir: Path, report: Report):
    path = folder / name
    if not path.is_file():
        report.error("xsd", "file is missing", name)
        return None
    try:
        tree = etree.parse(str(path))
    except etree.XMLSyntaxError as exc:
        report.error("xsd", f"not well-formed XML: {exc.msg}", name, exc.lineno)
        return None
    validator = load_schema(schema, xsd_dir)
    if not validator.validate(tree):
        for err in validator.error_log:
            report.error("xsd", err.message, name, err.line)
    return tree


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


def _check_files(folder: Path, tree, report: Report) -> None:
    referenced: set[str] = set()
    for obj in tree.iterfind(".//n:dokumentobjekt", _NS):
        ref = obj.findtext("n:referanseDokumentfil", namespaces=_NS) or ""
        referenced.add(ref)
        path = folder / ref
        if ".." in Path(ref).parts or not path.is_file():
            report.error(
                "dokumentfil-missing",
                f"referanseDokumentfil {ref!r} does not exist",
                "arkivstruktur.xml",
                obj.sourceline,
            )
            continue
        if _sha256(path) != (obj.findtext("n:sjekksum", namespaces=_NS) or "").lower():
            report.error(
                "dokumentfil-sjekksum", f"{ref}: SHA-256 does not match sjekksum", "arkivstruktur.xml", obj.sourceline
            )
        size = obj.findtext("n:filstoerrelse", namespaces=_NS)
        if size is None or not size.isdigit() or int(size) != path.stat().st_size:
            report.error(
                "dokumentfil-stoerrelse",
                f"{ref}: size {path.stat().st_size} != filstoerrelse {size}",
                "arkivstruktur.xml",
                obj.sourceline,
            )
    dokument = folder / "DOKUMENT"
    if dokument.is_dir():
        for path in sorted(p for p in dokument.rglob("*") if p.is_file()):
            rel = path.relative_to(folder).as_posix()
            if rel not in referenced:
                report.error("unreferenced-file", f"{rel} is not referenced by any dokumentobjekt")
    report.counts["dokumentfiler"] = len(referenced)


def _check_ids_and_dates(tree, report: Report) -> None:
    ids = Counter(el.text for el in tree.iterfind(".//n:systemID", _NS))
    for value, count in ids.items():
        if count > 1:
            report.error("systemid-unique", f"systemID {value} occurs {count} times", "arkivstruktur.xml")
    for tag in ("arkiv", "arkivdel", "mappe"):
        for el in tree.iter(f"{{{N5_ARKIVSTRUKTUR}}}{tag}"):
            start = _dt(el.findtext("n:opprettetDato", namespaces=_NS))
            end = _dt(el.findtext("n:avsluttetDato", namespaces=_NS))
            if start and end and start > end:
                report.error(
                    "date-order",
                    f"{tag} {el.findtext('n:systemID', namespaces=_NS)}: opprettetDato "
                    f"{start.isoformat()} is after avsluttetDato {end.isoformat()}",
                    "arkivstruktur.xml",
                    el.sourceline,
                )


def _journalposter(tree) -> list:
    return [r for r in tree.iterfind(".//n:registrering", _NS) if r.get(_XSI_TYPE) == "journalpost"]


def _check_journalposter(tree, report: Report, *, final: bool) -> None:
    by_year: dict[str, list[int]] = defaultdict(list)
    journalposter = _journalposter(tree)
    report.counts["journalposter"] = len(journalposter)
    for jp in journalposter:
        system_id = jp.findtext("n:systemID", namespaces=_NS)
        if not jp.findtext("n:journaldato", namespaces=_NS):
            report.error(
                "journaldato", f"journalpost {system_id} has no journaldato", "arkivstruktur.xml", jp.sourceline
            )
        year, seq = jp.findtext("n:journalaar", namespaces=_NS), jp.findtext("n:journalsekvensnummer", namespaces=_NS)
        if year and seq and seq.isdigit():
            by_year[year].append(int(seq))
        status = jp.findtext("n:journalstatus", namespaces=_NS)
        if final and status not in (codes.JOURNALSTATUS_ARKIVERT, codes.JOURNALSTATUS_UTGAAR):
            report.warn(
                "status",
                f"journalpost {system_id} has journalstatus {status!r}; a delivered journalpost "
                "should be 'Arkivert' or 'Utgår'",
                "arkivstruktur.xml",
                jp.sourceline,
            )
        _check_skjerming(jp, system_id, report)
    if final:
        for year, numbers in sorted(by_year.items()):
            expected = list(range(1, len(numbers) + 1))
            if sorted(numbers) != expected:
                dupes = sorted(n for n, k in Counter(numbers).items() if k > 1)
                gaps = sorted(set(expected) - set(numbers))
                report.error(
                    "journal-numbering",
                    f"journalaar {year}: journalsekvensnummer is not continuous "
                    f"1..{len(numbers)} (gaps {gaps[:10]}, duplicates {dupes[:10]})",
                    "arkivstruktur.xml",
                )


def _check_skjerming(unit, system_id: str | None, report: Report) -> None:
    for skjerming in unit.iterfind(".//n:skjerming", _NS):
        fields = skjerming.xpath("n:skjermingMetadata/text()", namespaces=_NS)
        if (
            not (skjerming.findtext("n:tilgangsrestriksjon", namespaces=_NS) or "").strip()
            or not (skjerming.findtext("n:skjermingshjemmel", namespaces=_NS) or "").strip()
        ):
            report.error(
                "skjerming",
                f"{system_id}: skjerming without tilgangsrestriksjon or skjermingshjemmel",
                "arkivstruktur.xml",
                skjerming.sourceline,
            )
        owner = skjerming.getparent()
        if "tittel" in fields and owner.tag == f"{{{N5_ARKIVSTRUKTUR}}}registrering":
            title, public = (
                owner.findtext("n:tittel", namespaces=_NS),
                owner.findtext("n:offentligTittel", namespaces=_NS),
            )
            if not public or public == title:
                report.error(
                    "skjerming",
                    f"{system_id}: tittel is skjermet but offentligTittel is missing or equals tittel",
                    "arkivstruktur.xml",
                    owner.sourceline,
                )


def _check_status(tree, report: Report) -> None:
    status = tree.findtext(".//n:arkivdel/n:arkivdelstatus", namespaces=_NS)
    if status != codes.ARKIVDELSTATUS_AVSLUTTET:
        report.warn(
            "status",
            f"arkivdelstatus is {status!r}; a delivered arkivdel should be {codes.ARKIVDELSTATUS_AVSLUTTET!r}",
            "arkivstruktur.xml",
        )


def _check_addml(folder: Path, tree, report: Report) -> None:
    facts = read_arkivuttrekk(folder / "arkivuttrekk.xml")
    for name, expected in facts.checksums.items():
        path = folder / name
        if not path.is_file():
            report.error("addml-checksum", f"{name} is described in arkivuttrekk.xml but missing", name)
        elif _sha256(path) != expected:
            report.error("addml-checksum", f"{name}: SHA-256 does not match arkivuttrekk.xml", name)
    actual = {
        "mappe": len(tree.findall(".//n:mappe", _NS)),
        "saksmappe": sum(1 for m in tree.iterfind(".//n:mappe", _NS) if m.get(_XSI_TYPE) == "saksmappe"),
        "registrering": len(tree.findall(".//n:registrering", _NS)),
        "journalpost": len(_journalposter(tree)),
        "dokumentbeskrivelse": len(tree.findall(".//n:dokumentbeskrivelse", _NS)),
        "dokumentobjekt": len(tree.findall(".//n:dokumentobjekt", _NS)),
    }
    report.counts.update(actual)
    for element, count in facts.counts.get("arkivstruktur.xml", {}).items():
        if actual.get(element) != count:
            report.error(
                "addml-count",
                f"arkivuttrekk.xml says {count} {element}, arkivstruktur.xml has {actual.get(element)}",
                "arkivuttrekk.xml",
            )


def _check_journals(folder: Path, tree, xsd_dir: Path, report: Report) -> None:
    in_saksmappe = {
        jp.findtext("n:systemID", namespaces=_NS): jp
        for m in tree.iterfind(".//n:mappe", _NS)
        if m.get(_XSI_TYPE) == "saksmappe"
        for jp in m.iterfind("n:registrering", _NS)
        if jp.get(_XSI_TYPE) == "journalpost"
    }
    for name, prefix in (("loependeJournal", "l"), ("offentligJournal", "o")):
        if not (folder / f"{name}.xml").is_file():
            if in_saksmappe:
                report.error("journal-count", f"{name}.xml is missing", f"{name}.xml")
            continue
        journal = _parse_and_validate(folder, f"{name}.xml", name, xsd_dir, report)
        if journal is None:
            continue
        entries = journal.findall(f"{prefix}:journalregistrering", _NS)
        stated = journal.findtext(f"{prefix}:journalhode/{prefix}:antallJournalposter", namespaces=_NS)
        if stated != str(len(entries)) or len(entries) != len(in_saksmappe):
            report.error(
                "journal-count",
                f"{name}.xml: antallJournalposter {stated}, {len(entries)} entries, "
                f"{len(in_saksmappe)} journalposter in saksmapper in arkivstruktur.xml",
                f"{name}.xml",
            )
        if prefix == "o":
            _check_public_journal(entries, in_saksmappe, report)


def _check_public_journal(entries, in_saksmappe: dict, report: Report) -> None:
    for entry in entries:
        jp_pub = entry.find("o:journalpost", _NS)
        system_id = jp_pub.findtext("o:systemID", namespaces=_NS)
        source = in_saksmappe.get(system_id)
        if source is None:
            report.error(
                "journal-count",
                f"offentligJournal lists {system_id}, not in arkivstruktur",
                "offentligJournal.xml",
                entry.sourceline,
            )
            continue
        hidden = set(source.xpath("n:skjerming/n:skjermingMetadata/text()", namespaces=_NS))
        restriction = source.findtext("n:skjerming/n:tilgangsrestriksjon", namespaces=_NS)
        if restriction != jp_pub.findtext("o:tilgangsrestriksjon", namespaces=_NS):
            report.error(
                "skjerming",
                f"{system_id}: tilgangsrestriksjon differs between arkivstruktur and offentligJournal",
                "offentligJournal.xml",
                jp_pub.sourceline,
            )
        if "korrespondansepartNavn" in hidden:
            for part in jp_pub.iterfind("o:korrespondansepart", _NS):
                kind = part.findtext("o:korrespondanseparttype", namespaces=_NS) or ""
                name = part.findtext("o:korrespondansepartNavn", namespaces=_NS)
                if not kind.startswith("Intern") and name != codes.SKJERMET_TEKST:
                    report.error(
                        "skjerming",
                        f"{system_id}: skjermet korrespondansepartNavn {name!r} is shown in offentligJournal",
                        "offentligJournal.xml",
                        jp_pub.sourceline,
                    )
        if "tittel" in hidden and jp_pub.findtext("o:offentligTittel", namespaces=_NS) == source.findtext(
            "n:tittel", namespaces=_NS
        ):
            report.error(
                "skjerming",
                f"{system_id}: skjermet tittel is shown in offentligJournal",
                "offentligJournal.xml",
                jp_pub.sourceline,
            )


def validate_path(path: Path, xsd_dir: Path) -> Report:
    """Validates a package folder (``arkivstruktur.xml`` at its root) or an uttrekk (``arkivuttrekk.xml``)."""
    folder = Path(path)
    kind = "uttrekk" if (folder / "arkivuttrekk.xml").is_file() else "package"
    report = Report(path=str(folder), kind=kind)
    if not (folder / "arkivstruktur.xml").is_file():
        report.error("xsd", "no arkivstruktur.xml: neither a package nor an uttrekk", str(folder))
        return report
    tree = _parse_and_validate(folder, "arkivstruktur.xml", "arkivstruktur", xsd_dir, report)
    if tree is None:
        return report
    _check_files(folder, tree, report)
    _check_ids_and_dates(tree, report)
    _check_journalposter(tree, report, final=kind == "uttrekk")
    if kind == "package":
        if (folder / "arkivmelding.xml").is_file():
            _parse_and_validate(folder, "arkivmelding.xml", "arkivmelding", xsd_dir, report)
        return report
    _check_status(tree, report)
    _parse_and_validate(folder, "arkivuttrekk.xml", "addml", xsd_dir, report)
    _parse_and_validate(folder, "endringslogg.xml", "endringslogg", xsd_dir, report)
    _check_addml(folder, tree, report)
    _check_journals(folder, tree, xsd_dir, report)
    return report
