"""Counts for the overview charts: packages per week (by platform and by status), open flags per unit."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from workflow.db import Database
from workflow.models import Account, Flag, FlagStatus, PackageRecord, utc

OPEN_FLAG_STATUSES = (FlagStatus.PENDING.value, FlagStatus.EXPORTED.value, FlagStatus.REFLAGGED.value,
                      FlagStatus.REJECTED.value)
UNKNOWN_UNIT = "ukjent enhet"


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def packages_per_week(db: Database, *, weeks: int, today: date, units: tuple[str, ...] | None = None
                      ) -> dict[date, Counter[tuple[str, str]]]:
    """Per ISO week (its Monday), the last ``weeks`` weeks up to ``today``: counts per (platform, status)."""
    first = week_start(today) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, time.min, tzinfo=UTC)
    query = (select(PackageRecord.exported_at, PackageRecord.platform, PackageRecord.status)
             .where(PackageRecord.exported_at >= since))
    if units is not None:
        query = query.where(PackageRecord.owning_unit.in_(units))
    result: dict[date, Counter[tuple[str, str]]] = {first + timedelta(weeks=n): Counter() for n in range(weeks)}
    with db.transaction() as session:
        for exported_at, platform, status in session.execute(query):
            week = week_start(utc(exported_at).date())
            if week in result:
                result[week][(platform, status)] += 1
    return result


def open_flags_by_unit(db: Database, units: tuple[str, ...] | None = None) -> dict[str, int]:
    """Flags not yet approved or withdrawn, per unit of the flagged thread's account (or else of the thread's
    newest package). Counted in Python: the open flags are few, and the query stays the same on every engine."""
    account_unit = (select(Account.owning_unit)
                    .where(Account.platform == Flag.platform, func.lower(Account.handle) == func.lower(Flag.account))
                    .limit(1).scalar_subquery())
    package_unit = (select(PackageRecord.owning_unit).where(PackageRecord.thread_key == Flag.thread_key)
                    .order_by(PackageRecord.exported_at.desc()).limit(1).scalar_subquery())
    query = select(account_unit, package_unit).select_from(Flag).where(Flag.status.in_(OPEN_FLAG_STATUSES))
    counts: Counter[str] = Counter()
    with db.transaction() as session:
        for by_account, by_package in session.execute(query):
            counts[by_account or by_package or UNKNOWN_UNIT] += 1
    if units is not None:
        counts = Counter({unit: n for unit, n in counts.items() if unit in units})
    return dict(sorted(counts.items()))


def completeness_by_platform(db: Database, units: tuple[str, ...] | None = None) -> dict[str, Counter[str]]:
    """Per platform: packages whose capture is complete, incomplete (fewer captured than reported) or unknown."""
    query = select(PackageRecord.platform, PackageRecord.reported_comments, PackageRecord.captured_comments)
    if units is not None:
        query = query.where(PackageRecord.owning_unit.in_(units))
    result: dict[str, Counter[str]] = {}
    with db.transaction() as session:
        for platform, reported, captured in session.execute(query):
            if reported is None or captured is None:
                state = "unknown"
            else:
                state = "complete" if captured >= reported else "incomplete"
            result.setdefault(platform, Counter())[state] += 1
    return dict(sorted(result.items()))
