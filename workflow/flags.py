"""Flags: an editor marks a thread journal-required or archive-worthy; every change is an audit event.

One live flag per thread (``flags.thread_key``; a withdrawn flag leaves room for a new one). Flagging a
thread that already has a live flag is a :class:`WorkflowError` naming that flag. A journal-required flag
needs a case: an existing case number ``YYYY/NNNN`` or a new case with a title, numbered here once
(:func:`workflow.numbers.new_case`). Status moves ``pending → exported → approved | rejected → re-flagged``
(``models.FLAG_TRANSITIONS``), each move recorded in ``flag_status_history`` and the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schemas.errors import InputError, WorkflowError
from schemas.refs import ThreadRef
from schemas.thread import FLAG_KIND_LABELS, FlagKind, Platform
from workflow import audit
from workflow.db import Database
from workflow.models import (
    FLAG_STATUS_LABELS,
    FLAG_TRANSITIONS,
    Case,
    Flag,
    FlagStatus,
    FlagStatusChange,
    Role,
    now,
    utc,
)
from workflow.numbers import new_case
from workflow.text import clean_line, clean_text
from workflow.users import require_user

CASE_NUMBER = re.compile(r"^([0-9]{4})/([0-9]{1,7})$")
FLAGGING_ROLES = (Role.EDITOR, Role.ADMIN)
MAX_ID = 2**31 - 1  # the largest id a PostgreSQL INTEGER primary key holds


def parse_case_number(value: str) -> tuple[int, int]:
    """``YYYY/NNNN`` → (saksår, sakssekvensnummer), or an InputError saying what the form is."""
    match = CASE_NUMBER.match(value.strip()) if isinstance(value, str) else None
    year, number = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if match is None or not 1900 <= year <= 2999 or number < 1:
        shown = clean_line(value, "saksnummer", limit=40) if isinstance(value, str) and value.isprintable() else "…"
        raise InputError(f"ugyldig saksnummer {shown!r}: bruk formen ÅÅÅÅ/NNNN, f.eks. 2026/1234")
    return year, number


class FlagExistsError(WorkflowError):
    """The thread already has a live flag; ``existing`` is that flag."""

    def __init__(self, existing: FlagView) -> None:
        super().__init__(f"tråden {existing.thread_key} er allerede flagget: {existing.describe()}")
        self.existing = existing


class FlagNotFoundError(WorkflowError):
    """No such flag (by id), or the thread has no live flag."""


@dataclass(frozen=True, slots=True)
class StatusChange:
    from_status: str | None
    to_status: str
    at: datetime
    by: str
    comment: str | None


@dataclass(frozen=True, slots=True)
class FlagView:
    """A flag as the CLI, the API and the web app show it."""

    id: int
    platform: str
    post_id: str
    thread_key: str
    thread_url: str | None
    account: str | None
    kind: str
    case_number: str | None
    title: str | None
    reason: str | None
    note: str | None
    flagged_by: str
    flagged_at: datetime
    deadline: date | None
    status: str
    status_comment: str | None
    updated_at: datetime
    origin: str
    history: tuple[StatusChange, ...] = field(default=())

    def describe(self) -> str:
        """One Norwegian line naming the flag (used in error messages)."""
        case = f", sak {self.case_number}" if self.case_number else ""
        return (f"flagg #{self.id} ({FLAG_KIND_LABELS[FlagKind(self.kind)].lower()}{case}, flagget av "
                f"{self.flagged_by} {self.flagged_at:%d.%m.%Y}, {FLAG_STATUS_LABELS[FlagStatus(self.status)]})")


def view(flag: Flag) -> FlagView:
    return FlagView(
        id=flag.id, platform=flag.platform, post_id=flag.post_id, thread_key=flag.thread_key,
        thread_url=flag.thread_url, account=flag.account, kind=flag.kind,
        case_number=flag.case.number if flag.case else None, title=flag.title, reason=flag.reason, note=flag.note,
        flagged_by=flag.flagged_by, flagged_at=utc(flag.flagged_at), deadline=flag.deadline, status=flag.status,
        status_comment=flag.status_comment, updated_at=utc(flag.updated_at), origin=flag.origin,
        history=tuple(StatusChange(h.from_status, h.to_status, utc(h.at), h.by, h.comment) for h in flag.history),
    )


@dataclass(frozen=True, slots=True)
class FlagRequest:
    """What an editor asks for. ``case_number`` or ``new_case_title`` (journal-required needs one of them)."""

    ref: ThreadRef
    kind: FlagKind
    by: str
    case_number: str | None = None
    new_case_title: str | None = None
    reason: str | None = None
    note: str | None = None
    deadline: date | None = None
    origin: str = "cli"
    flagged_at: datetime | None = None  # kept from an import; now() otherwise


def _live(session: Session, thread_key: str) -> Flag | None:
    return session.scalar(select(Flag).where(Flag.thread_key == thread_key, Flag.status != FlagStatus.WITHDRAWN))


def _case(session: Session, request: FlagRequest) -> tuple[Case | None, str | None]:
    title = clean_line(request.new_case_title, "sakstittel", limit=500) if request.new_case_title else None
    if request.case_number:
        year, number = parse_case_number(request.case_number)
        case = session.scalar(select(Case).where(Case.saksaar == year, Case.sakssekvensnummer == number))
        if case is None:
            case = Case(saksaar=year, sakssekvensnummer=number, title=title, created_by=request.by)
            session.add(case)
            session.flush()
            audit.append(session, actor=request.by, action="case.register", entity=f"case:{case.id}",
                         data={"number": case.number, "title": title, "assigned_here": False})
        return case, title
    if request.kind is FlagKind.JOURNAL_REQUIRED:
        if not title:
            raise InputError("et journalpliktig flagg trenger et saksnummer (--case ÅÅÅÅ/NNNN) eller en ny sak "
                             "med tittel (--new-case TITTEL)")
        return new_case(session, title=title, by=request.by), title
    return None, title


def create_flag(session: Session, request: FlagRequest, *, check_user: bool = True) -> Flag:
    """Flag one thread inside ``session``'s transaction (for services that flag as part of a larger change)."""
    kind = FlagKind(request.kind)
    reason = clean_text(request.reason, "begrunnelse", limit=2000) if request.reason else None
    note = clean_text(request.note, "merknad", limit=4000) if request.note else None
    url = clean_text(request.ref.url, "adresse", limit=2048, multiline=False) if request.ref.url else None
    if check_user:
        require_user(session, request.by, *FLAGGING_ROLES)
    existing = _live(session, request.ref.key)
    if existing is not None:
        raise FlagExistsError(view(existing))
    case, title = _case(session, request)
    at = request.flagged_at or now()
    flag = Flag(
        platform=request.ref.platform.value, post_id=request.ref.post_id, thread_key=request.ref.key,
        thread_url=url, account=request.ref.account, kind=kind.value, case=case, title=title, reason=reason,
        note=note, flagged_by=request.by, flagged_at=at, deadline=request.deadline,
        status=FlagStatus.PENDING.value, updated_at=at, origin=request.origin,
    )
    session.add(flag)
    session.flush()
    session.add(FlagStatusChange(flag_id=flag.id, from_status=None, to_status=flag.status, at=at,
                                 by=request.by, comment=reason))
    audit.append(session, actor=request.by, action="flag.create", entity=f"flag:{flag.id}", data={
        "thread_key": flag.thread_key, "url": url, "kind": kind.value,
        "case": case.number if case else None, "title": title, "reason": reason, "note": note,
        "deadline": request.deadline.isoformat() if request.deadline else None, "origin": request.origin,
    })
    session.flush()
    session.refresh(flag)
    return flag


def flag_thread(db: Database, request: FlagRequest, *, check_user: bool = True) -> FlagView:
    """Flag one thread; the existing live flag of that thread is a FlagExistsError naming it."""
    try:
        with db.transaction() as session:
            return view(create_flag(session, request, check_user=check_user))
    except IntegrityError:
        # Another editor flagged the same thread at this very moment: report theirs.
        with db.transaction() as session:
            existing = _live(session, request.ref.key)
            if existing is None:
                raise
            raise FlagExistsError(view(existing)) from None


def _get(session: Session, flag_id: int) -> Flag:
    # an id no INTEGER column can hold is no flag (SQLite and PostgreSQL would fail on it, not answer None)
    flag = session.get(Flag, flag_id) if 0 < flag_id <= MAX_ID else None
    if flag is None:
        raise FlagNotFoundError(f"flagg #{flag_id} finnes ikke")
    return flag


def _move(session: Session, flag: Flag, to: FlagStatus, *, by: str, comment: str | None) -> None:
    current = FlagStatus(flag.status)
    if to not in FLAG_TRANSITIONS[current]:
        raise WorkflowError(
            f"flagg #{flag.id} ({flag.thread_key}) er {FLAG_STATUS_LABELS[current]} og kan ikke bli "
            f"{FLAG_STATUS_LABELS[to]}"
        )
    at = now()
    flag.status, flag.status_comment, flag.updated_at = to.value, comment, at
    flag.history.append(FlagStatusChange(from_status=current.value, to_status=to.value, at=at, by=by,
                                         comment=comment))
    audit.append(session, actor=by, action=f"flag.{to.value}", entity=f"flag:{flag.id}",
                 data={"thread_key": flag.thread_key, "from": current.value, "to": to.value, "comment": comment})


def set_status(db: Database, flag_id: int, to: FlagStatus | str, *, by: str, comment: str | None = None,
               check_user: bool = True) -> FlagView:
    """Move a flag's status (export, review, re-flag); a rejection needs a comment."""
    target = FlagStatus(to)
    text = clean_text(comment, "kommentar", limit=4000) if comment else None
    if target is FlagStatus.REJECTED and not text:
        raise InputError(f"flagg #{flag_id}: en avvisning trenger en kommentar")
    with db.transaction() as session:
        if check_user:
            roles = (Role.ARCHIVIST, Role.ADMIN) if target in {FlagStatus.APPROVED, FlagStatus.REJECTED} else ()
            require_user(session, by, *roles)
        flag = _get(session, flag_id)
        _move(session, flag, target, by=by, comment=text)
        session.flush()
        return view(flag)


def set_status_if(db: Database, flag_id: int, to: FlagStatus | str, *, when: Collection[FlagStatus], by: str,
                  comment: str | None = None) -> FlagView | None:
    """Move a flag to ``to`` only if its status, read under a row lock, is one of ``when``; None when it is not
    (nothing changed). For system actors (the export run): two runs racing move the flag once."""
    target = FlagStatus(to)
    text = clean_text(comment, "kommentar", limit=4000) if comment else None
    with db.transaction() as session:
        status = session.scalar(select(Flag.status).where(Flag.id == flag_id).with_for_update())
        if status is None:
            raise FlagNotFoundError(f"flagg #{flag_id} finnes ikke")
        if FlagStatus(status) not in when:
            return None
        flag = _get(session, flag_id)
        _move(session, flag, target, by=by, comment=text)
        session.flush()
        return view(flag)


def unflag(db: Database, ref: ThreadRef | int, *, by: str, comment: str | None = None,
           check_user: bool = True) -> FlagView:
    """Withdraw the live flag of a thread (by reference or flag id); kept in the history as withdrawn."""
    text = clean_text(comment, "kommentar", limit=4000) if comment else None
    with db.transaction() as session:
        if check_user:
            require_user(session, by, *FLAGGING_ROLES)
        if isinstance(ref, int):
            flag = _get(session, ref)
        else:
            found = _live(session, ref.key)
            if found is None:
                raise FlagNotFoundError(f"tråden {ref.key} er ikke flagget")
            flag = found
        _move(session, flag, FlagStatus.WITHDRAWN, by=by, comment=text)
        session.flush()
        return view(flag)


def get_flag(db: Database, flag_id: int) -> FlagView:
    with db.transaction() as session:
        return view(_get(session, flag_id))


def find_flag(db: Database, ref: ThreadRef) -> FlagView | None:
    """The thread's live flag, if any."""
    with db.transaction() as session:
        flag = _live(session, ref.key)
        return view(flag) if flag else None


@dataclass(frozen=True, slots=True)
class FlagFilter:
    status: FlagStatus | None = None
    platform: Platform | None = None
    kind: FlagKind | None = None
    flagged_by: str | None = None
    case_number: str | None = None
    include_withdrawn: bool = False
    limit: int = 200
    offset: int = 0


def _conditions(f: FlagFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.status is not None:
        where.append(Flag.status == f.status.value)
    elif not f.include_withdrawn:
        where.append(Flag.status != FlagStatus.WITHDRAWN.value)
    if f.platform is not None:
        where.append(Flag.platform == f.platform.value)
    if f.kind is not None:
        where.append(Flag.kind == f.kind.value)
    if f.flagged_by is not None:
        where.append(Flag.flagged_by == f.flagged_by)
    if f.case_number is not None:
        year, number = parse_case_number(f.case_number)
        where.append(Flag.case.has(and_(Case.saksaar == year, Case.sakssekvensnummer == number)))
    return where


def list_flags(db: Database, f: FlagFilter | None = None) -> list[FlagView]:
    """Flags, newest first, filtered; withdrawn ones only when asked for (or by status)."""
    f = f or FlagFilter()
    if not 1 <= f.limit <= 1000 or f.offset < 0:
        raise InputError("ugyldig side: limit 1–1000, offset ≥ 0")
    with db.transaction() as session:
        query = select(Flag).where(*_conditions(f)).order_by(Flag.flagged_at.desc(), Flag.id.desc())
        return [view(flag) for flag in session.scalars(query.limit(f.limit).offset(f.offset))]


def due_for_export(db: Database, today: date) -> list[FlagView]:
    """What the nightly run exports: every pending or re-flagged flag, and exported flags whose høringsfrist
    has not passed yet (their thread may still change; an unchanged thread gives the same package id)."""
    with db.transaction() as session:
        query = select(Flag).where(or_(
            Flag.status.in_([FlagStatus.PENDING.value, FlagStatus.REFLAGGED.value]),
            and_(Flag.status == FlagStatus.EXPORTED.value, Flag.deadline.is_not(None), Flag.deadline >= today),
        )).order_by(Flag.flagged_at, Flag.id)
        return [view(flag) for flag in session.scalars(query)]
