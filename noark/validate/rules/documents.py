"""Rules on the document files: each dokumentobjekt's referanseDokumentfil, and the files under DOKUMENT/.

A reference is resolved inside the folder or refused (``unsafe-path``): an absolute path, ``..`` or a symlink
that leaves the folder is never opened, so nothing outside the package or uttrekk is hashed.
"""

from __future__ import annotations

from collections.abc import Iterator

from noark.validate import rule_ids
from noark.validate.base import Element, Rule, digest, text
from schemas.findings import Finding
from schemas.package import sha256_file

TAGS = frozenset({"dokumentobjekt"})


class UnsafePath(Rule):
    """A referanseDokumentfil that is absolute, contains ``..`` or leads out through a symlink."""

    id = rule_ids.UNSAFE_PATH
    tags = TAGS

    def end(self, el: Element) -> Iterator[Finding]:
        doc = self.ctx.document(el)
        if doc.refused is not None:
            yield self.finding(f"referanseDokumentfil {doc.refused}; filen er ikke lest", el.sourceline)


class DokumentfilMissing(Rule):
    """Arkade N5.32: the referenced file exists."""

    id = rule_ids.DOKUMENTFIL_MISSING
    tags = TAGS

    def end(self, el: Element) -> Iterator[Finding]:
        doc = self.ctx.document(el)
        if doc.path is None and doc.refused is None:
            yield self.finding(f"referanseDokumentfil {doc.ref!r} finnes ikke", el.sourceline)


class DokumentfilEmpty(Rule):
    """Arkade N5.64: no empty document file."""

    id = rule_ids.DOKUMENTFIL_EMPTY
    tags = TAGS

    def end(self, el: Element) -> Iterator[Finding]:
        doc = self.ctx.document(el)
        if doc.size == 0:
            yield self.finding(f"{doc.ref} er en tom fil", el.sourceline)


class DokumentfilSjekksum(Rule):
    """Arkade N5.30: the file's SHA-256 is the stated sjekksum."""

    id = rule_ids.DOKUMENTFIL_SJEKKSUM
    tags = TAGS

    def end(self, el: Element) -> Iterator[Finding]:
        doc = self.ctx.document(el)
        if doc.path is not None and sha256_file(doc.path) != (text(el, "n:sjekksum") or "").lower():
            yield self.finding(f"{doc.ref}: SHA-256 stemmer ikke med sjekksummen", el.sourceline)


class DokumentfilStoerrelse(Rule):
    """The file's size is the stated filstoerrelse."""

    id = rule_ids.DOKUMENTFIL_STOERRELSE
    tags = TAGS

    def end(self, el: Element) -> Iterator[Finding]:
        doc = self.ctx.document(el)
        if doc.size is None:
            return
        stated = text(el, "n:filstoerrelse")
        if stated is None or not stated.isdigit() or int(stated) != doc.size:
            yield self.finding(f"{doc.ref}: størrelse {doc.size} != filstoerrelse {stated}", el.sourceline)


class DokumentfilMultireferert(Rule):
    """Arkade N5.34: a file referenced by more than one dokumentobjekt (a warning)."""

    id = rule_ids.DOKUMENTFIL_MULTIREFERERT
    severity = "warning"
    tags = TAGS

    def end(self, el: Element) -> Iterator[Finding]:
        ref = self.ctx.document(el).ref
        if digest(ref) in self.ctx.facts.referenced:
            yield self.finding(f"{ref} er referert fra mer enn ett dokumentobjekt", el.sourceline)


class UnreferencedFile(Rule):
    """Arkade N5.33: every file under DOKUMENT/ is referenced by a dokumentobjekt."""

    id = rule_ids.UNREFERENCED_FILE

    def finish(self) -> Iterator[Finding]:
        for rel in sorted(self.ctx.facts.unreferenced):
            yield self.finding(f"{rel} er ikke referert fra noe dokumentobjekt", file="")


RULES: tuple[type[Rule], ...] = (
    UnsafePath,
    DokumentfilMissing,
    DokumentfilEmpty,
    DokumentfilSjekksum,
    DokumentfilStoerrelse,
    DokumentfilMultireferert,
    UnreferencedFile,
)
