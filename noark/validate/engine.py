"""``validate_path``: one streaming pass per file feeds every rule registered for it, then the cross-file rules.

Files are streamed with ``lxml.etree.iterparse(..., schema=...)``: libxml2 validates against the XSD while
parsing, and each registrering/mappe/journalregistrering/endring is detached once every rule has seen it, so
the tree never grows. Streaming XSD validation stops at the first error; files up to
``FULL_TREE_ERROR_LISTING_MAX_BYTES`` are then validated once more as a whole tree to list every XSD error with
its line, and the pass is run again without the schema (fresh rules) so the report has the content findings
too. Nothing is parsed before ``noark.safexml`` has checked it (no DOCTYPE, size limits), and every file name
is resolved inside the folder.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from noark.addml import read_arkivuttrekk
from noark.safexml import (
    DEFAULT_LIMITS,
    UnsafeXmlError,
    XmlLimits,
    check_bytes,
    check_file,
    decoding_error,
    parse_file,
    parser_options,
    syntax_message,
)
from noark.validate import registry, rule_ids
from noark.validate.base import (
    ARKIVMELDING,
    ARKIVSTRUKTUR,
    ARKIVUTTREKK,
    ENDRINGSLOGG,
    FINAL,
    LOEPENDE_JOURNAL,
    OFFENTLIG_JOURNAL,
    Element,
    Facts,
    PathRefusedError,
    Rule,
    RuleContext,
    inside,
)
from noark.validate.report import Kind, Report, where
from noark.xsd import load_schema
from schemas.findings import Finding

# Above this size an invalid file is not re-parsed as a whole tree just to list every XSD error with its line.
FULL_TREE_ERROR_LISTING_MAX_BYTES = 50 * 1024 * 1024
# Start of the message of an xsd finding for XML that can't be parsed.
NOT_WELL_FORMED = "ikke velformet XML"
# Elements the pass detaches once every rule has seen them (they hold everything below them).
DETACH = frozenset({"registrering", "mappe", "journalregistrering", "endring"})
SCHEMA_OF = {
    ARKIVSTRUKTUR: "arkivstruktur",
    ENDRINGSLOGG: "endringslogg",
    LOEPENDE_JOURNAL: "loependeJournal",
    OFFENTLIG_JOURNAL: "offentligJournal",
}


class Outcome(Enum):
    READ = "read"  # every element was fed to the rules
    MISSING = "missing"
    UNREADABLE = "unreadable"  # unsafe or not well-formed: the rules' finish was not run


@dataclass
class _Validation:
    folder: Path
    kind: Kind
    xsd_dir: Path
    limits: XmlLimits
    report: Report
    facts: Facts

    def context(self, file: str) -> RuleContext:
        return RuleContext(self.folder, self.kind, self.facts, self.limits, file)

    def member(self, name: str) -> Path | None:
        """A fixed file of the folder, resolved inside it; a symlink out of the folder is a finding."""
        try:
            path = inside(self.folder, name)
        except PathRefusedError as problem:
            self.report.findings.append(Finding(rule_ids.UNSAFE_PATH, f"{problem}; filen er ikke lest", name))
            return None
        return path if path.is_file() else None

    def xsd_error(self, file: str, message: str, line: int | None = None) -> None:
        self.report.findings.append(Finding(rule_ids.XSD, message, where(file, line)))

    # -- one file, one pass
    def run(self, file: str, *, required: bool) -> Outcome:
        path = self.member(file)
        if path is None:
            if required:
                self.xsd_error(file, "filen mangler")
            return Outcome.MISSING
        try:
            check_file(path, self.limits.max_streamed_bytes)
        except UnsafeXmlError as exc:
            self.report.findings.append(Finding(rule_ids.XML_SAFETY, str(exc), file))
            return Outcome.UNREADABLE
        schema = load_schema(SCHEMA_OF[file], self.xsd_dir)
        rules, findings, failure = self._feed(file, path, schema)
        if isinstance(failure, etree.XMLSyntaxError) and _is_schema_error(failure):
            self._list_xsd_errors(file, path, schema, failure)
            rules, findings, failure = self._feed(file, path, None)  # content checks on a schema-less pass
        if failure is not None:
            self.xsd_error(file, f"{NOT_WELL_FORMED}: {syntax_message(failure)}", failure.lineno)
            return Outcome.UNREADABLE
        for rule in rules:  # collectors first: rules read what they built
            findings.extend(rule.finish())
        self.report.findings.extend(findings)
        return Outcome.READ

    def _feed(
        self, file: str, path: Path, schema: etree.XMLSchema | None
    ) -> tuple[list[Rule], list[Finding], etree.XMLSyntaxError | None]:
        ctx = self.context(file)
        units = [c(ctx) for c in registry.collectors_for(file, self.kind)]
        units += [r(ctx) for r in registry.rules_for(file, self.kind)]
        findings, failure = feed(units, str(path), schema)
        return units, findings, failure

    def _list_xsd_errors(self, file: str, path: Path, schema: etree.XMLSchema, exc: etree.XMLSyntaxError) -> None:
        if path.stat().st_size <= FULL_TREE_ERROR_LISTING_MAX_BYTES:
            try:
                schema.validate(parse_file(path, FULL_TREE_ERROR_LISTING_MAX_BYTES))
            except (etree.XMLSyntaxError, UnsafeXmlError):
                pass
            else:
                for err in schema.error_log:
                    self.xsd_error(file, err.message, err.line)
                if schema.error_log:
                    return
        self.xsd_error(file, f"{exc.msg} (strømmende validering stopper ved første feil)", exc.lineno)

    # -- files parsed as a whole (small by construction)
    def parse_small(self, file: str, schema_name: str) -> etree._ElementTree | None:
        path = self.member(file)
        if path is None:
            self.xsd_error(file, "filen mangler")
            return None
        try:
            tree = parse_file(path, self.limits.max_small_bytes)
        except UnsafeXmlError as exc:
            self.report.findings.append(Finding(rule_ids.XML_SAFETY, str(exc), file))
            return None
        except etree.XMLSyntaxError as exc:
            self.xsd_error(file, f"{NOT_WELL_FORMED}: {syntax_message(exc)}", exc.lineno)
            return None
        validator = load_schema(schema_name, self.xsd_dir)
        if not validator.validate(tree):
            for err in validator.error_log:
                self.xsd_error(file, err.message, err.line)
        return tree

    def finish_only(self, phase: str) -> None:
        """A phase that feeds no elements (arkivuttrekk.xml's facts, the cross-file comparisons)."""
        ctx = self.context(phase)
        for rule in [r(ctx) for r in registry.rules_for(phase, self.kind)]:
            self.report.findings.extend(rule.finish())


def feed(
    units: list[Rule], source: str | BinaryIO, schema: etree.XMLSchema | None = None
) -> tuple[list[Finding], etree.XMLSyntaxError | None]:
    """Streams one document once, calling every rule's and collector's ``end`` for the elements it wants
    (rules first, then collectors) and detaching ``DETACH`` elements afterwards. Returns the findings of
    ``end`` and the syntax/XSD error that stopped the pass, if any; ``finish`` is left to the caller."""
    every: list[Callable[[Element], Iterable[Finding]]] = [u.end for u in units if u.tags is None and not u.collector]
    by_tag: dict[str, list[Callable[[Element], Iterable[Finding]]]] = defaultdict(list)
    for unit in sorted(units, key=lambda u: u.collector):
        for tag in unit.tags or ():
            by_tag[tag].append(unit.end)
    findings: list[Finding] = []
    try:
        for _event, el in etree.iterparse(source, events=("end",), schema=schema, **parser_options()):
            tag = el.tag
            name = tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
            for end in every:
                findings.extend(end(el))
            for end in by_tag.get(name, ()):
                findings.extend(end(el))
            if name in DETACH:
                _detach(el)
    except etree.XMLSyntaxError as exc:
        return findings, exc
    except OSError as exc:  # lxml reports undecodable bytes as an OSError naming the file
        return findings, decoding_error(exc)
    return findings, None


def run_rules(
    rules: Sequence[type[Rule]],
    xml: bytes,
    *,
    folder: Path,
    file: str = ARKIVSTRUKTUR,
    kind: Kind = "uttrekk",
    facts: Facts | None = None,
    limits: XmlLimits = DEFAULT_LIMITS,
) -> list[Finding]:
    """Runs ``rules`` (with the collectors of ``file``) over one small document without its schema: how each
    rule is tested on the smallest tree that triggers it. ``facts`` carries what earlier passes would know."""
    check_bytes(xml, limits.max_small_bytes)
    ctx = RuleContext(Path(folder).resolve(), kind, facts if facts is not None else Facts(), limits, file)
    units = [c(ctx) for c in registry.collectors_for(file, kind)] + [r(ctx) for r in rules]
    findings, failure = feed(units, BytesIO(xml))
    if failure is not None:
        raise failure
    for unit in units:
        findings.extend(unit.finish())
    return findings


def _is_schema_error(exc: etree.XMLSyntaxError) -> bool:
    last = exc.error_log.last_error if exc.error_log else None
    return last is not None and last.domain_name == "SCHEMASV"


def _detach(el: Element) -> None:
    parent = el.getparent()
    el.clear(keep_tail=False)
    if parent is not None:
        parent.remove(el)


def validate_path(path: Path, xsd_dir: Path, *, limits: XmlLimits = DEFAULT_LIMITS) -> Report:
    """Validates a package folder (``arkivstruktur.xml`` at its root) or an uttrekk (``arkivuttrekk.xml``).

    Every rule in ``noark.validate.registry`` runs; memory stays flat in the number of journalposter apart from
    8-byte digests per systemID and file reference. Hostile input gives findings, never a crash."""
    folder = Path(path).resolve()
    kind: Kind = "uttrekk" if (folder / ARKIVUTTREKK).is_file() else "package"
    run = _Validation(folder, kind, Path(xsd_dir), limits, Report(path=str(path), kind=kind), Facts())
    if run.member(ARKIVSTRUKTUR) is None:
        if not run.report.findings:
            run.xsd_error(str(path), f"ingen {ARKIVSTRUKTUR}: verken en pakke eller et uttrekk")
        return run.report
    if run.run(ARKIVSTRUKTUR, required=True) is not Outcome.READ:
        return run.report
    if kind == "package":
        if (folder / ARKIVMELDING).exists() or (folder / ARKIVMELDING).is_symlink():
            run.parse_small(ARKIVMELDING, "arkivmelding")
    else:
        tree = run.parse_small(ARKIVUTTREKK, "addml")
        if tree is not None:
            run.facts.addml = read_arkivuttrekk(tree)
        run.finish_only(ARKIVUTTREKK)
        run.run(ENDRINGSLOGG, required=True)
        run.run(LOEPENDE_JOURNAL, required=False)
        run.run(OFFENTLIG_JOURNAL, required=False)
    run.finish_only(FINAL)
    facts = run.facts
    run.report.counts.update(facts.counts)
    run.report.counts["journalposter"] = facts.counts["journalpost"]
    run.report.counts["dokumentfiler"] = len(facts.referenced)
    if kind == "uttrekk":
        run.report.counts["endringer"] = facts.endringer
    return run.report
