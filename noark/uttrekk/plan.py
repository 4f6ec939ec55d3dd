"""Uttrekk planning, a pure step: which packages, in which mappe, with which numbers, for which period.

``plan_uttrekk`` takes one ``PackageRow`` per candidate package (``package_row`` makes it from a manifest) and
returns an ``UttrekkPlan``; it reads nothing and writes nothing, so it is tested without a bucket.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise

from noark import ids
from noark.mapping import opens_new_case
from noark.model import NoarkContext
from noark.uttrekk.numbering import (
    CaseNumber,
    ExtractionNumbering,
    JournalNumber,
    NumberProvider,
    NumberRequest,
    UttrekkError,
)
from noark.xmlutil import local_date
from schemas.package import Manifest


@dataclass(frozen=True)
class PackageRow:
    """What planning needs of one package (from its manifest): a few hundred bytes, whatever its size."""

    package_id: str
    thread_key: str
    created_at: datetime  # the export time; its date in Norway is the journaldato
    journalpost_id: str
    mappe_key: str
    case_number: str | None
    new_case: bool  # journal-required without a case number: a new saksmappe, numbered in the uttrekk
    hoveddokument_sha256: str

    @property
    def journaldato(self) -> date:
        return local_date(self.created_at)

    @property
    def in_saksmappe(self) -> bool:
        return self.case_number is not None or self.new_case

    def request(self) -> NumberRequest:
        return NumberRequest(self.journalpost_id, self.mappe_key, self.journaldato, self.case_number, self.new_case)


def package_row(manifest: Manifest, ctx: NoarkContext) -> PackageRow:
    case = manifest.flag.case_number if manifest.flag else None
    main = next((f.sha256 for f in manifest.files if f.role == "hoveddokument"), "")
    return PackageRow(
        package_id=manifest.package_id,
        thread_key=manifest.thread_key,
        created_at=manifest.created_at,
        journalpost_id=ids.journalpost_system_id(manifest.platform, manifest.thread_id),
        mappe_key=ids.mappe_system_id(ctx.municipality, manifest.platform, manifest.thread_id, case),
        case_number=case,
        new_case=opens_new_case(manifest.flag, ctx),
        hoveddokument_sha256=main,
    )


@dataclass(frozen=True)
class PlannedRegistrering:
    row: PackageRow
    journal: JournalNumber | None  # None: not journaled


@dataclass(frozen=True)
class PlannedMappe:
    key: str
    registreringer: tuple[PlannedRegistrering, ...]  # in journal order
    new_case: CaseNumber | None = None  # the final number of a case opened from a flag

    @property
    def first(self) -> PackageRow:
        return self.registreringer[0].row

    @property
    def last(self) -> PackageRow:
        return self.registreringer[-1].row


@dataclass(frozen=True)
class UttrekkPlan:
    period: tuple[date, date]  # arkivperiode: the requested dates
    mapper: tuple[PlannedMappe, ...]  # in the journal order of their first registrering
    superseded: tuple[tuple[PackageRow, PackageRow], ...]  # (older, newer) versions of a thread
    first_created: datetime
    journal_period: tuple[date, date] | None  # journaldato of the first and last registrering; None: no journal

    @property
    def rows(self) -> list[PackageRow]:
        return sorted((r.row for m in self.mapper for r in m.registreringer), key=_journal_order)

    @property
    def package_ids(self) -> list[str]:
        return [r.package_id for r in self.rows]

    @property
    def journaled(self) -> int:
        return sum(1 for m in self.mapper for r in m.registreringer if r.row.in_saksmappe)


def _journal_order(row: PackageRow) -> tuple[datetime, str]:
    return row.created_at, row.package_id


def latest_versions(rows: Iterable[PackageRow]) -> tuple[list[PackageRow], list[tuple[PackageRow, PackageRow]]]:
    """The newest version per thread, in journal order; plus (older, newer) pairs of the superseded ones."""
    by_thread: dict[str, list[PackageRow]] = {}
    for row in rows:
        by_thread.setdefault(row.thread_key, []).append(row)
    latest, superseded = [], []
    for versions in by_thread.values():
        versions.sort(key=_journal_order)
        latest.append(versions[-1])
        superseded += list(pairwise(versions))
    latest.sort(key=_journal_order)
    return latest, superseded


def plan_uttrekk(
    rows: Iterable[PackageRow],
    *,
    date_from: date,
    date_to: date,
    numbering: NumberProvider | None = None,
) -> UttrekkPlan | None:
    """The plan for the packages exported (journaldato) within the period; None when there are none."""
    in_period = [r for r in rows if date_from <= r.journaldato <= date_to]
    latest, superseded = latest_versions(in_period)
    if not latest:
        return None
    provider = numbering or ExtractionNumbering()
    requests = [row.request() for row in latest if row.in_saksmappe]  # only the journaled are numbered
    journal = provider.journal_numbers(requests)
    cases = provider.case_numbers(requests)
    missing = [r.journalpost_id for r in requests if r.journalpost_id not in journal]
    missing += [r.mappe_key for r in requests if r.new_case and r.mappe_key not in cases]
    if missing:
        raise UttrekkError(f"nummerleverandøren ga ikke nummer til {len(missing)} enheter, f.eks. {missing[0]}")
    groups: dict[str, list[PlannedRegistrering]] = {}
    for row in latest:
        number = journal[row.journalpost_id] if row.in_saksmappe else None
        groups.setdefault(row.mappe_key, []).append(PlannedRegistrering(row, number))
    mapper = tuple(
        PlannedMappe(key, tuple(regs), cases.get(key) if regs[0].row.new_case else None) for key, regs in groups.items()
    )
    journaled = [row for row in latest if row.in_saksmappe]
    return UttrekkPlan(
        period=(date_from, date_to),
        mapper=mapper,
        superseded=tuple(superseded),
        first_created=latest[0].created_at,
        journal_period=(journaled[0].journaldato, journaled[-1].journaldato) if journaled else None,
    )
