"""Journal and new-case numbers that last: noark's ``NumberProvider`` over the workflow database.

``workflow.numbers`` hands out each thread's journalår/sekvensnummer once, atomically, and keeps it; a new
saksmappe (a journal-required flag without a case number) is numbered once and remembered on the thread's
journal entry. So two uttrekk of the same packages carry the same numbers, and a thread added later gets the
next number without moving the old ones. The journalpostnummer within a mappe is the rank of the thread's
journal number among the mappe's threads in the uttrekk.

The provider is keyed by thread key (``journal_entries.thread_key`` = the package's ``thread_key``), while
noark asks by journalpost systemID: :class:`ManifestIndex` wraps the package source and records, for each
manifest the uttrekk reads, which thread a systemID belongs to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select, update

from noark import ids
from noark.uttrekk import CaseNumber, JournalNumber, NumberRequest, PackageSource, UttrekkError
from schemas.package import Manifest
from workflow import audit
from workflow.db import Database
from workflow.models import Case, JournalEntry
from workflow.numbers import assign_journal_number, new_case

NUMBER_ACTOR = "system:uttrekk"


@dataclass(frozen=True)
class KnownThread:
    thread_key: str
    case_title: str | None


class ManifestIndex:
    """A ``PackageSource`` that remembers, per journalpost systemID, the thread (and new-case title) it read."""

    def __init__(self, source: PackageSource) -> None:
        self.source = source
        self.threads: dict[str, KnownThread] = {}

    def list_packages(self) -> list[str]:
        return self.source.list_packages()

    def read_manifest(self, package_id: str) -> Manifest:
        manifest = self.source.read_manifest(package_id)
        journalpost = ids.journalpost_system_id(manifest.platform, manifest.thread_id)
        title = manifest.flag.case_title if manifest.flag else None
        self.threads[journalpost] = KnownThread(manifest.thread_key, title)
        return manifest

    def read_bytes(self, package_id: str, path: str) -> bytes:
        return self.source.read_bytes(package_id, path)

    def open_file(self, package_id: str, path: str) -> AbstractContextManager[BinaryIO]:
        return self.source.open_file(package_id, path)


class DatabaseNumbering:
    """``noark.uttrekk.NumberProvider`` whose numbers are assigned once in the workflow database."""

    def __init__(self, db: Database, threads: Mapping[str, KnownThread], *, by: str = NUMBER_ACTOR) -> None:
        self.db = db
        self.threads = threads
        self.by = by

    def _thread(self, request: NumberRequest) -> KnownThread:
        known = self.threads.get(request.journalpost_id)
        if known is None:
            raise UttrekkError(f"journalpost {request.journalpost_id}: ukjent tråd (manifestet er ikke lest)")
        return known

    def journal_numbers(self, requests: Sequence[NumberRequest]) -> dict[str, JournalNumber]:
        assigned = {
            r.journalpost_id: assign_journal_number(
                self.db, self._thread(r).thread_key, by=self.by, year=r.journaldato.year
            )
            for r in requests
        }
        per_mappe: dict[str, list[str]] = defaultdict(list)
        for request in requests:
            per_mappe[request.mappe_key].append(request.journalpost_id)
        numbers: dict[str, JournalNumber] = {}
        for journalposts in per_mappe.values():
            ranked = sorted(journalposts, key=lambda j: (assigned[j].journalaar, assigned[j].sekvensnummer))
            for rank, journalpost in enumerate(ranked, 1):
                number = assigned[journalpost]
                numbers[journalpost] = JournalNumber(number.journalaar, number.sekvensnummer, rank)
        return numbers

    def case_numbers(self, requests: Sequence[NumberRequest]) -> dict[str, CaseNumber]:
        numbers: dict[str, CaseNumber] = {}
        for request in requests:
            if request.new_case and request.mappe_key not in numbers:
                numbers[request.mappe_key] = self._case(request)
        return numbers

    def _case(self, request: NumberRequest) -> CaseNumber:
        """The saksmappe opened for this thread: numbered on first use, then remembered on its journal entry."""
        known = self._thread(request)
        assign_journal_number(self.db, known.thread_key, by=self.by, year=request.journaldato.year)
        with self.db.transaction() as session:
            # Lock the journal entry alone (no join: on PostgreSQL a joined row would be the one seen before
            # the lock was granted), so two uttrekk numbering the same new case wait for each other.
            entry_id, case_id = session.execute(
                select(JournalEntry.id, JournalEntry.case_id)
                .where(JournalEntry.thread_key == known.thread_key)
                .with_for_update()
            ).one()
            case = session.get(Case, case_id) if case_id is not None else None
            if case is None:
                title = known.case_title or f"Ny sak for tråd {known.thread_key}"
                case = new_case(session, title=title, by=self.by, year=request.journaldato.year)
                session.execute(update(JournalEntry).where(JournalEntry.id == entry_id).values(case_id=case.id))
                audit.append(session, actor=self.by, action="journal.case", entity=f"thread:{known.thread_key}",
                             data={"case": case.number, "journalpost": request.journalpost_id})
            return CaseNumber(case.saksaar, case.sakssekvensnummer)
