"""The package index: what the archivist's queue lists, filters, counts and pages, kept in the database.

The archive bucket stays the truth; ``pipeline.package_index.sync_index`` adds packages the index does not
know yet, and each review decision is recorded here as well as in the bucket.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from schemas.errors import WorkflowError
from workflow import audit
from workflow.db import Database
from workflow.models import PackageRecord, utc

ReviewStatus = Literal["pending", "approved", "rejected"]
REVIEW_STATUS_LABELS: dict[str, str] = {"pending": "til gjennomgang", "approved": "godkjent", "rejected": "avvist"}
PAGE_SIZE_MAX = 200


@dataclass(frozen=True, slots=True)
class PackageRow:
    """One indexed package, as the queue and the package page show it."""

    package_id: str
    thread_key: str
    platform: str
    account: str
    owning_unit: str
    title: str
    case_number: str | None
    flag_kind: str | None
    comments: int
    sensitive: bool
    exported_at: datetime
    previous_package_id: str | None = None
    status: str = "pending"
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_comment: str | None = None
    reported_comments: int | None = None
    captured_comments: int | None = None

    @property
    def completeness(self) -> str:
        """complete, incomplete or unknown (the capture said nothing, or the platform reported no count)."""
        if self.reported_comments is None or self.captured_comments is None:
            return "unknown"
        return "complete" if self.captured_comments >= self.reported_comments else "incomplete"


def _row(record: PackageRecord) -> PackageRow:
    values = {f.name: getattr(record, f.name) for f in fields(PackageRow)}
    values["exported_at"] = utc(record.exported_at)
    values["decided_at"] = utc(record.decided_at) if record.decided_at else None
    return PackageRow(**values)


def known_package_ids(db: Database) -> set[str]:
    with db.transaction() as session:
        return set(session.scalars(select(PackageRecord.package_id)))


def add_packages(db: Database, rows: list[PackageRow]) -> int:
    """Index packages not yet indexed (ids already there are left as they are); returns how many were added.

    Two export runs indexing the same new packages at once (several workers) both succeed: an id another
    transaction inserted meanwhile is skipped (``ON CONFLICT DO NOTHING``), not an error.
    """
    with db.transaction() as session:
        known = set(session.scalars(select(PackageRecord.package_id).where(
            PackageRecord.package_id.in_([r.package_id for r in rows]))))
        insert = pg_insert if db.dialect == "postgresql" else sqlite_insert
        added = 0
        for row in rows:
            if row.package_id in known:
                continue
            values = {f.name: getattr(row, f.name) for f in fields(PackageRow)}
            inserted = session.scalar(insert(PackageRecord).values(**values).on_conflict_do_nothing(
                index_elements=["package_id"]).returning(PackageRecord.package_id))
            known.add(row.package_id)
            added += inserted is not None
        return added


def record_decision(
    db: Database, package_id: str, status: ReviewStatus, *, by: str, comment: str | None, at: datetime
) -> PackageRow:
    """Record an archivist's decision in the index and the audit log."""
    with db.transaction() as session:
        record = session.get(PackageRecord, package_id)
        if record is None:
            raise WorkflowError(f"pakke {package_id} finnes ikke i pakkeoversikten")
        record.status, record.decided_by, record.decided_at, record.decision_comment = status, by, at, comment
        audit.append(session, actor=by, action=f"package.{status}", entity=f"package:{package_id}",
                     data={"comment": comment})
        return _row(record)


def get_package(db: Database, package_id: str) -> PackageRow | None:
    with db.transaction() as session:
        record = session.get(PackageRecord, package_id)
        return _row(record) if record else None


def versions_of(db: Database, thread_key: str) -> list[PackageRow]:
    """Every indexed package of one thread, newest first."""
    with db.transaction() as session:
        query = select(PackageRecord).where(PackageRecord.thread_key == thread_key)
        return [_row(r) for r in session.scalars(query.order_by(PackageRecord.exported_at.desc()))]


@dataclass(frozen=True, slots=True)
class PackageFilter:
    status: str | None = None
    platform: str | None = None
    account: str | None = None
    owning_unit: str | None = None
    case_number: str | None = None
    exported_from: date | None = None
    exported_to: date | None = None
    units: tuple[str, ...] | None = None  # None: every unit; an editor sees only their own


@dataclass(frozen=True, slots=True)
class PackagePage:
    rows: list[PackageRow]
    total: int  # matching the filter, every status
    counts: dict[str, int]  # matching the filter except its status, per status
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _filtered(query: Any, f: PackageFilter, *, status: bool) -> Any:  # a Select of rows or of counts
    column = PackageRecord
    if status and f.status:
        query = query.where(column.status == f.status)
    if f.platform:
        query = query.where(column.platform == f.platform)
    if f.account:
        query = query.where(column.account == f.account)
    if f.owning_unit:
        query = query.where(column.owning_unit == f.owning_unit)
    if f.case_number:
        query = query.where(column.case_number == f.case_number)
    if f.exported_from:
        query = query.where(column.exported_at >= datetime.combine(f.exported_from, time.min))
    if f.exported_to:
        query = query.where(column.exported_at < datetime.combine(f.exported_to + timedelta(days=1), time.min))
    if f.units is not None:
        query = query.where(column.owning_unit.in_(f.units))
    return query


def query_packages(db: Database, f: PackageFilter, *, page: int = 1, page_size: int = 50) -> PackagePage:
    """One page of the queue, newest first, with the total and the counts per status (indexed queries)."""
    page_size = max(1, min(page_size, PAGE_SIZE_MAX))
    page = max(1, page)
    with db.transaction() as session:
        rows_query = _filtered(select(PackageRecord), f, status=True)
        rows = [_row(r) for r in session.scalars(
            rows_query.order_by(PackageRecord.exported_at.desc(), PackageRecord.package_id)
            .limit(page_size).offset((page - 1) * page_size))]
        count_query = _filtered(select(PackageRecord.status, func.count()).select_from(PackageRecord), f,
                                status=False).group_by(PackageRecord.status)
        counts = {status: 0 for status in REVIEW_STATUS_LABELS}
        counts.update({status: n for status, n in session.execute(count_query)})
        total = counts[f.status] if f.status in counts else sum(counts.values())
        return PackagePage(rows=rows, total=total, counts=counts, page=page, page_size=page_size)


def facet_values(db: Database) -> dict[str, list[str]]:
    """The distinct platforms, accounts and units, for the queue's filter menus."""
    with db.transaction() as session:
        return {
            name: sorted(v for v in session.scalars(select(column).distinct()) if v)
            for name, column in (("platform", PackageRecord.platform), ("account", PackageRecord.account),
                                 ("owning_unit", PackageRecord.owning_unit))
        }
