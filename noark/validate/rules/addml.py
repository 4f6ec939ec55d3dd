"""Rules on arkivuttrekk.xml (ADDML as Arkade 5 reads it), checked against the files and arkivstruktur."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from noark.addml import ACCEPTED_ALGORITHMS
from noark.validate import rule_ids
from noark.validate.base import (
    ARKIVSTRUKTUR,
    ARKIVUTTREKK,
    ENDRINGSLOGG,
    FINAL,
    LOEPENDE_JOURNAL,
    OFFENTLIG_JOURNAL,
    UTTREKK,
    PathRefusedError,
    Rule,
    inside,
)
from schemas.findings import Finding
from schemas.package import sha256_file


class AddmlStructure(Rule):
    """The layout Arkade indexes positionally, and every produced XML file described."""

    id = rule_ids.ADDML_STRUCTURE
    files = (ARKIVUTTREKK,)
    kinds = UTTREKK

    def finish(self) -> Iterator[Finding]:
        facts = self.ctx.facts
        if facts.addml is None:
            return
        for problem in facts.addml.problems:
            yield self.finding(problem)
        expected = {ARKIVSTRUKTUR, ENDRINGSLOGG} | ({LOEPENDE_JOURNAL, OFFENTLIG_JOURNAL} if facts.journaled else set())
        for name in sorted(expected - set(facts.addml.files)):
            yield self.finding(f"{name} er ikke beskrevet i {ARKIVUTTREKK}")


def _described(rule: Rule) -> Iterator[tuple[str, str, str, Path | PathRefusedError]]:
    """(name, algorithm, value, resolved path or why not) per file and schema arkivuttrekk.xml describes."""
    addml = rule.ctx.facts.addml
    for name, (algorithm, expected) in addml.checksums.items() if addml else ():
        try:
            found: Path | PathRefusedError = inside(rule.ctx.folder, name)
        except PathRefusedError as problem:
            found = problem
        yield name, algorithm, expected, found


class AddmlUnsafePath(Rule):
    """A described file name that would leave the folder: it is not opened."""

    id = rule_ids.UNSAFE_PATH
    files = (ARKIVUTTREKK,)
    kinds = UTTREKK

    def finish(self) -> Iterator[Finding]:
        for _name, _algorithm, _expected, found in _described(self):
            if isinstance(found, PathRefusedError):
                yield self.finding(f"filnavn i {ARKIVUTTREKK}: {found}; filen er ikke lest")


class AddmlFile(Rule):
    """Arkade N5.01: every described file and schema exists."""

    id = rule_ids.ADDML_FILE
    files = (ARKIVUTTREKK,)
    kinds = UTTREKK

    def finish(self) -> Iterator[Finding]:
        for name, _algorithm, _expected, found in _described(self):
            if isinstance(found, Path) and not found.is_file():
                yield self.finding(f"{name} er beskrevet i {ARKIVUTTREKK}, men mangler", file=name)


class AddmlChecksum(Rule):
    """Arkade N5.02: every described file and schema has the described SHA-256 (algorithm SHA256/SHA-256)."""

    id = rule_ids.ADDML_CHECKSUM
    files = (ARKIVUTTREKK,)
    kinds = UTTREKK

    def finish(self) -> Iterator[Finding]:
        for name, algorithm, expected, found in _described(self):
            if not (isinstance(found, Path) and found.is_file()):
                continue
            if algorithm not in ACCEPTED_ALGORITHMS:
                yield self.finding(f"{name}: sjekksumalgoritmen {algorithm!r} er ikke SHA256", file=name)
            elif sha256_file(found) != expected:
                yield self.finding(f"{name}: SHA-256 stemmer ikke med {ARKIVUTTREKK}", file=name)


class DokumentfilCount(Rule):
    """Arkade N5.28: antallDokumentfiler = the files under DOKUMENT/."""

    id = rule_ids.DOKUMENTFIL_COUNT
    files = (ARKIVUTTREKK,)
    kinds = UTTREKK

    def finish(self) -> Iterator[Finding]:
        facts = self.ctx.facts
        if facts.addml is None:
            return
        stated, actual = facts.addml.antall_dokumentfiler, facts.files_on_disk
        if stated is None:
            yield self.finding(f"{ARKIVUTTREKK} mangler antallDokumentfiler")
        elif stated != actual:
            yield self.finding(
                f"{ARKIVUTTREKK} oppgir antallDokumentfiler {stated}, DOKUMENT/ inneholder {actual} filer "
                "(Arkade N5.28)"
            )


class AddmlCount(Rule):
    """Arkade N5.10/N5.16: numberOfOccurrences = the elements counted in arkivstruktur and endringslogg."""

    id = rule_ids.ADDML_COUNT
    files = (FINAL,)
    kinds = UTTREKK

    def finish(self) -> Iterator[Finding]:
        facts = self.ctx.facts
        if facts.addml is None:
            return
        for element, count in facts.addml.counts.get(ARKIVSTRUKTUR, {}).items():
            if facts.counts[element] != count:
                yield self.finding(
                    f"{ARKIVUTTREKK} oppgir {count} {element}, {ARKIVSTRUKTUR} har {facts.counts[element]}",
                    file=ARKIVUTTREKK,
                )
        stated = facts.addml.counts.get(ENDRINGSLOGG, {}).get("endring")
        if stated is not None and stated != facts.endringer:
            yield self.finding(
                f"{ARKIVUTTREKK} oppgir {stated} endring i {ENDRINGSLOGG}, fant {facts.endringer}", file=ARKIVUTTREKK
            )


RULES: tuple[type[Rule], ...] = (
    AddmlStructure,
    AddmlUnsafePath,
    AddmlFile,
    AddmlChecksum,
    DokumentfilCount,
    AddmlCount,
)
