"""Numbers handed out once, in the database: journalpost numbers (journalår/sekvensnummer) and new saksmapper.

A number comes from one atomic ``UPDATE number_series SET last = last + 1 … RETURNING last``: on PostgreSQL
the row lock makes concurrent writers wait for each other, on SQLite the write lock does. A thread's
journalpost number is assigned once (``journal_entries.thread_key`` is unique) and every later call returns
it; two writers racing for the same thread end with one number, the loser's transaction (and its counter
step) rolled back and retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schemas.errors import WorkflowError
from workflow import audit
from workflow.db import Database
from workflow.models import Case, JournalEntry, NumberSeries, now, utc

JOURNAL = "journal"
SAKSMAPPE = "saksmappe"
_RETRIES = 8


def next_number(session: Session, series: str, year: int, *, at_least: int = 0) -> int:
    """The next number of ``series`` in ``year`` (1, 2, …), never above ``at_least`` + 1 skipped below."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(NumberSeries).values(series=series, year=year, last=0).on_conflict_do_nothing())
    value = session.execute(
        update(NumberSeries)
        .where(NumberSeries.series == series, NumberSeries.year == year)
        .values(last=NumberSeries.last + 1)
        .returning(NumberSeries.last)
    ).scalar_one()
    if value <= at_least:
        value = at_least + 1
        session.execute(
            update(NumberSeries).where(NumberSeries.series == series, NumberSeries.year == year).values(last=value)
        )
    return int(value)


def new_case(session: Session, *, title: str, by: str, year: int | None = None) -> Case:
    """A new saksmappe numbered here, after any case number already known for that year."""
    year = year or now().year
    highest = session.scalar(select(func.max(Case.sakssekvensnummer)).where(Case.saksaar == year)) or 0
    number = next_number(session, SAKSMAPPE, year, at_least=highest)
    case = Case(saksaar=year, sakssekvensnummer=number, title=title, assigned_here=True, created_by=by)
    session.add(case)
    session.flush()
    audit.append(session, actor=by, action="case.create", entity=f"case:{case.id}",
                 data={"number": case.number, "title": title, "assigned_here": True})
    return case


@dataclass(frozen=True, slots=True)
class JournalNumber:
    thread_key: str
    journalaar: int
    sekvensnummer: int
    assigned_at: datetime
    case_number: str | None
    new: bool

    def __str__(self) -> str:
        return f"{self.journalaar}/{self.sekvensnummer}"


def _view(entry: JournalEntry, *, new: bool) -> JournalNumber:
    return JournalNumber(
        thread_key=entry.thread_key, journalaar=entry.journalaar, sekvensnummer=entry.sekvensnummer,
        assigned_at=utc(entry.assigned_at), case_number=entry.case.number if entry.case else None, new=new,
    )


def journal_number(db: Database, thread_key: str) -> JournalNumber | None:
    with db.transaction() as session:
        entry = session.scalar(select(JournalEntry).where(JournalEntry.thread_key == thread_key))
        return _view(entry, new=False) if entry else None


def assign_journal_number(
    db: Database, thread_key: str, *, by: str, case_id: int | None = None, year: int | None = None
) -> JournalNumber:
    """The thread's journalpost number: the one assigned before, or the next of ``year`` (default: this year)."""
    for _ in range(_RETRIES):
        try:
            with db.transaction() as session:
                entry = session.scalar(select(JournalEntry).where(JournalEntry.thread_key == thread_key))
                if entry is not None:
                    return _view(entry, new=False)
                journalaar = year or now().year
                number = next_number(session, JOURNAL, journalaar)
                entry = JournalEntry(thread_key=thread_key, case_id=case_id, journalaar=journalaar,
                                     sekvensnummer=number)
                session.add(entry)
                session.flush()
                audit.append(session, actor=by, action="journal.assign", entity=f"thread:{thread_key}",
                             data={"journalaar": journalaar, "sekvensnummer": number, "case_id": case_id})
                return _view(entry, new=True)
        except IntegrityError:
            continue  # another writer assigned this thread's number at the same moment: read theirs
    raise WorkflowError(f"tråd {thread_key}: fikk ikke tildelt journalnummer etter {_RETRIES} forsøk")
