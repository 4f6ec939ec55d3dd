"""What a validation rule is, what it may read, and the facts one file's pass leaves for the next.

A rule (Arkade 5's model: one class per rule, named by its id) says which file's pass feeds it, which
elements it wants to see when they end, and for which kind of folder it runs. It holds only its own small
state, yields ``Finding``s from ``end`` and ``finish``, and never keeps an element: the pass detaches
registreringer, mapper, journalregistreringer and endringer once every rule has seen them.

Collectors are rules without findings: they build the ``Facts`` (indexes of 8-byte digests, counts) that rules
of the same pass read (collectors see an element *after* the rules, so "seen before" means an earlier element)
and that rules of later passes compare against.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TypeAlias

from lxml import etree

from noark.addml import AddmlFacts
from noark.safexml import XmlLimits
from noark.validate.report import Kind, where
from noark.xmlutil import N5_ARKIVSTRUKTUR, N5_LOEPENDE_JOURNAL, N5_OFFENTLIG_JOURNAL, XSI
from schemas.findings import Finding, Severity

NS = {"n": N5_ARKIVSTRUKTUR, "l": N5_LOEPENDE_JOURNAL, "o": N5_OFFENTLIG_JOURNAL}
XSI_TYPE = f"{{{XSI}}}type"
Element: TypeAlias = etree._Element

# The passes, in order. FINAL feeds no elements: its rules compare facts across files.
ARKIVSTRUKTUR = "arkivstruktur.xml"
ARKIVMELDING = "arkivmelding.xml"
ARKIVUTTREKK = "arkivuttrekk.xml"
ENDRINGSLOGG = "endringslogg.xml"
LOEPENDE_JOURNAL = "loependeJournal.xml"
OFFENTLIG_JOURNAL = "offentligJournal.xml"
FINAL = "(på tvers av filene)"
BOTH: frozenset[Kind] = frozenset({"package", "uttrekk"})
UTTREKK: frozenset[Kind] = frozenset({"uttrekk"})
EVERY_ELEMENT = None  # Rule.tags value: the rule sees every element


def digest(value: str) -> int:
    """A 64-bit digest: sets of these keep systemIDs and file references in ~60 bytes each."""
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


def local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


_CLARK: dict[str, str] = {}


def _clark(path: str) -> str:
    """ "n:systemID" → "{namespace}systemID": lxml finds a plain child tag in C, a prefixed path in Python."""
    found = _CLARK.get(path)
    if found is None:
        prefix, _, name = path.partition(":")
        found = f"{{{NS[prefix]}}}{name}" if name and "/" not in path and prefix in NS else path
        _CLARK[path] = found
    return found


def text(el: Element, path: str) -> str | None:
    """The text of the first child at ``path`` (prefixes from ``NS``), or None."""
    clark = _clark(path)
    value = el.findtext(clark) if clark is not path else el.findtext(path, namespaces=NS)
    return value if value is None else str(value)


@dataclass(frozen=True)
class JournalSource:
    """What the offentligJournal checks need of one skjermet journalpost in a saksmappe."""

    restriction: str | None
    hidden: frozenset[str]
    tittel: str | None


@dataclass
class JournalHead:
    """A journal file's head and its number of journalregistreringer."""

    stated: str | None = None
    start: str | None = None
    end: str | None = None
    entries: int = 0


@dataclass
class Facts:
    """What the passes learned, for the rules of later passes. Each field has one writer (a collector)."""

    system_ids: set[int] = field(default_factory=set)
    referenced: set[int] = field(default_factory=set)  # referanseDokumentfil digests
    journaled: set[int] = field(default_factory=set)  # journalposter in a saksmappe
    journal_dates: tuple[str, str] | None = None  # (first, last) journaldato of the journaled
    skjermet: dict[str, JournalSource] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    files_on_disk: int = 0  # files under DOKUMENT/
    unreferenced: list[str] = field(default_factory=list)
    addml: AddmlFacts | None = None
    journals: dict[str, JournalHead] = field(default_factory=dict)
    endringer: int = 0


class PathRefusedError(Exception):
    """A file name from an input that would leave the folder; the message is bokmål."""


def inside(folder: Path, name: str) -> Path:
    """``name`` (relative POSIX, from an input) resolved inside ``folder`` (already resolved), symlinks
    included; raises ``PathRefusedError`` instead of ever returning a path outside the folder."""
    if not name or "\\" in name or any(ord(c) < 32 for c in name):
        raise PathRefusedError(f"{name!r} er ikke en gyldig relativ sti")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise PathRefusedError(f"{name!r} er en absolutt sti; bare stier inne i mappen er tillatt")
    if ".." in name.split("/"):
        raise PathRefusedError(f"{name!r} går ut av mappen (..)")
    top = str(folder)
    try:
        resolved = os.path.realpath(os.path.join(top, name))
    except (OSError, ValueError) as exc:
        raise PathRefusedError(f"{name!r} kan ikke slås opp: {exc}") from None
    if not resolved.startswith(top.rstrip(os.sep) + os.sep):
        raise PathRefusedError(f"{name!r} er en symbolsk lenke som peker ut av mappen")
    return Path(resolved)


@dataclass(frozen=True)
class DocumentFile:
    """One dokumentobjekt's file, looked up once for every document rule."""

    ref: str  # referanseDokumentfil as written
    path: Path | None  # inside the folder and a regular file; None otherwise
    refused: PathRefusedError | None  # why the reference was not followed
    size: int | None


@dataclass
class RuleContext:
    folder: Path  # resolved
    kind: Kind
    facts: Facts
    limits: XmlLimits
    file: str = ""
    _last: tuple[Element, DocumentFile] | None = None

    def document(self, dokumentobjekt: Element) -> DocumentFile:
        """The dokumentobjekt's file, resolved inside the folder (or refused), stat'ed once per element."""
        if self._last is not None and self._last[0] is dokumentobjekt:
            return self._last[1]
        ref = text(dokumentobjekt, "n:referanseDokumentfil") or ""
        path: Path | None = None
        refused: PathRefusedError | None = None
        size: int | None = None
        if ref:
            try:
                path = inside(self.folder, ref)
                size = path.stat().st_size if path.is_file() else None
                path = path if size is not None else None
            except PathRefusedError as exc:
                refused = exc
            except OSError:
                path = None
        found = DocumentFile(ref, path, refused, size)
        self._last = (dokumentobjekt, found)
        return found


class Rule:
    """One validation rule. Subclasses set the class attributes and override ``end`` and/or ``finish``."""

    id: ClassVar[str]
    severity: ClassVar[Severity] = "error"
    files: ClassVar[tuple[str, ...]] = (ARKIVSTRUKTUR,)
    tags: ClassVar[frozenset[str] | None] = frozenset()  # local names; EVERY_ELEMENT for all
    kinds: ClassVar[frozenset[Kind]] = BOTH
    collector: ClassVar[bool] = False

    def __init__(self, ctx: RuleContext) -> None:
        self.ctx = ctx

    def end(self, el: Element) -> Iterable[Finding]:
        return ()

    def finish(self) -> Iterable[Finding]:
        return ()

    def finding(self, message: str, line: int | None = None, file: str | None = None) -> Finding:
        return Finding(self.id, message, where(file if file is not None else self.ctx.file, line), self.severity)


class Collector(Rule):
    """Builds facts; never finds anything."""

    collector = True
    id = "collector"
