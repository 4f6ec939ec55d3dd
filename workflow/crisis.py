"""Crisis periods: all crisis communication goes through the crisis staff and must be documented, so every
thread of the named accounts created inside a declared period is archive-worthy automatically.

A period is ``[starts_at, ends_at)``; ``ends_at`` None means it is still going on. Only an admin declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from schemas.errors import InputError
from schemas.refs import ThreadRef
from schemas.thread import FlagKind, Platform
from workflow import audit
from workflow.accounts import find_account, platform_of
from workflow.db import Database
from workflow.flags import FlagRequest, FlagView, find_flag, flag_thread
from workflow.models import CrisisAccount, CrisisPeriod, Role, utc
from workflow.text import clean_line
from workflow.users import require_user

CRISIS_ACTOR = "system:krise"


@dataclass(frozen=True, slots=True)
class CrisisView:
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime | None
    accounts: tuple[str, ...]  # "<platform>/<handle>"
    declared_by: str


def _view(p: CrisisPeriod) -> CrisisView:
    return CrisisView(p.id, p.title, utc(p.starts_at), utc(p.ends_at) if p.ends_at else None,
                      tuple(sorted(f"{a.account.platform}/{a.account.handle}" for a in p.accounts)), p.declared_by)


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise InputError(f"{name} må ha tidssone (f.eks. 2026-03-01T08:00+01:00)")
    return utc(value)


def declare_crisis(db: Database, *, title: str, starts_at: datetime, ends_at: datetime | None,
                   accounts: list[tuple[str, str]], by: str) -> CrisisView:
    """Declare a crisis period for ``accounts`` ((platform, handle) pairs, each registered already)."""
    start = _aware(starts_at, "start")
    end = _aware(ends_at, "slutt") if ends_at is not None else None
    if end is not None and end <= start:
        raise InputError("krisperioden må slutte etter at den starter")
    if not accounts:
        raise InputError("en kriseperiode trenger minst én konto")
    with db.transaction() as session:
        require_user(session, by, Role.ADMIN)
        period = CrisisPeriod(title=clean_line(title, "tittel"), starts_at=start, ends_at=end, declared_by=by)
        for platform, handle in accounts:
            account = find_account(session, platform_of(platform), handle)
            if account is None:
                raise InputError(f"ukjent konto {platform}/{handle}: registrer den først («somearkiv account add»)")
            period.accounts.append(CrisisAccount(account=account))
        session.add(period)
        session.flush()
        audit.append(session, actor=by, action="crisis.declare", entity=f"crisis:{period.id}", data={
            "title": period.title, "starts_at": start.isoformat(), "ends_at": end.isoformat() if end else None,
            "accounts": [f"{p}/{h}" for p, h in accounts],
        })
        return _view(period)


def is_crisis_thread(db: Database, platform: Platform | str, account: str, created_at: datetime) -> CrisisView | None:
    """The crisis period covering a thread of ``account`` created at ``created_at``, if there is one."""
    at = _aware(created_at, "opprettet")
    with db.transaction() as session:
        found = find_account(session, platform_of(str(platform)), account)
        if found is None:
            return None
        period = session.scalars(
            select(CrisisPeriod)
            .join(CrisisAccount)
            .where(CrisisAccount.account_id == found.id, CrisisPeriod.starts_at <= at,
                   or_(CrisisPeriod.ends_at.is_(None), CrisisPeriod.ends_at > at))
            .order_by(CrisisPeriod.starts_at)
        ).first()
        return _view(period) if period else None


def flag_if_crisis(db: Database, ref: ThreadRef, created_at: datetime) -> FlagView | None:
    """Flag the thread archive-worthy when it falls in a crisis period (and has no live flag yet)."""
    if ref.account is None:
        return None
    period = is_crisis_thread(db, ref.platform, ref.account, created_at)
    if period is None or find_flag(db, ref) is not None:
        return None
    return flag_thread(db, FlagRequest(
        ref=ref, kind=FlagKind.ARCHIVE_WORTHY, by=CRISIS_ACTOR, new_case_title=period.title,
        reason=f"kriseperiode #{period.id}: {period.title}", origin="crisis",
    ), check_user=False)


def list_crises(db: Database) -> list[CrisisView]:
    with db.transaction() as session:
        return [_view(p) for p in session.scalars(select(CrisisPeriod).order_by(CrisisPeriod.starts_at))]


