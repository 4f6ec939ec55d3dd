"""Candidate suggestions in the database: the scan records posts that ask for input, an editor decides.

``suggest`` scores a post (:mod:`workflow.candidates`) and records it once per thread when it is a
candidate and the thread has no live flag; ``confirm`` turns it into a flag (``origin=candidate``) in the
same transaction; ``dismiss`` closes it. Each step is an audit event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.errors import WorkflowError
from schemas.refs import ThreadRef
from schemas.thread import FlagKind, Platform
from workflow import audit
from workflow.candidates import score_post
from workflow.db import Database
from workflow.flags import FLAGGING_ROLES, FlagRequest, FlagView, create_flag, find_flag, view
from workflow.models import Candidate, now, utc
from workflow.text import clean_text
from workflow.users import require_user

SCAN_ACTOR = "system:kandidater"
EXCERPT = 500


@dataclass(frozen=True, slots=True)
class CandidateView:
    id: int
    thread_key: str
    thread_url: str | None
    account: str | None
    excerpt: str
    score: float
    cues: tuple[str, ...]
    state: str
    found_at: datetime
    decided_by: str | None
    flag_id: int | None


def _view(c: Candidate) -> CandidateView:
    return CandidateView(c.id, c.thread_key, c.thread_url, c.account, c.excerpt, c.score, tuple(json.loads(c.cues)),
                         c.state, utc(c.found_at), c.decided_by, c.flag_id)


def suggest(db: Database, ref: ThreadRef, text: str) -> CandidateView | None:
    """Record the post as a candidate if it asks for input; None when it doesn't, or is flagged or known."""
    result = score_post(text)
    if not result.suggested or find_flag(db, ref) is not None:
        return None
    excerpt = "".join(ch if ch.isprintable() or ch in "\n\t" else "\ufffd" for ch in text[:EXCERPT])
    with db.transaction() as session:
        if session.scalar(select(Candidate).where(Candidate.thread_key == ref.key)) is not None:
            return None
        candidate = Candidate(platform=ref.platform.value, post_id=ref.post_id, thread_key=ref.key,
                              thread_url=ref.url, account=ref.account, excerpt=excerpt, score=result.score,
                              cues=json.dumps(list(result.cues), ensure_ascii=False), state="open", found_at=now())
        session.add(candidate)
        session.flush()
        audit.append(session, actor=SCAN_ACTOR, action="candidate.suggest", entity=f"candidate:{candidate.id}",
                     data={"thread_key": ref.key, "score": result.score, "cues": list(result.cues)})
        return _view(candidate)


def known(db: Database, ref: ThreadRef) -> bool:
    """True when the thread has a live flag or was suggested before: a scan need not fetch it again."""
    if find_flag(db, ref) is not None:
        return True
    with db.transaction() as session:
        return session.scalar(select(Candidate.id).where(Candidate.thread_key == ref.key)) is not None


def _open(session: Session, candidate_id: int) -> Candidate:
    candidate = session.get(Candidate, candidate_id)
    if candidate is None:
        raise WorkflowError(f"kandidat #{candidate_id} finnes ikke")
    if candidate.state != "open":
        raise WorkflowError(f"kandidat #{candidate_id} er allerede {candidate.state}")
    return candidate


def confirm(db: Database, candidate_id: int, *, by: str, kind: FlagKind = FlagKind.JOURNAL_REQUIRED,
            case_number: str | None = None, new_case_title: str | None = None, reason: str | None = None,
            deadline: date | None = None) -> FlagView:
    """The editor confirms: the thread is flagged and the candidate closed, both or neither."""
    with db.transaction() as session:
        candidate = _open(session, candidate_id)
        ref = ThreadRef(platform=Platform(candidate.platform), post_id=candidate.post_id, account=candidate.account,
                        url=candidate.thread_url)
        flag = create_flag(session, FlagRequest(
            ref=ref, kind=kind, by=by, case_number=case_number, new_case_title=new_case_title,
            reason=reason or f"foreslått av kandidatsøket ({', '.join(json.loads(candidate.cues))})",
            deadline=deadline, origin="candidate",
        ))
        candidate.state, candidate.decided_by, candidate.decided_at, candidate.flag_id = "confirmed", by, now(), flag.id
        audit.append(session, actor=by, action="candidate.confirm", entity=f"candidate:{candidate_id}",
                     data={"flag_id": flag.id})
        return view(flag)


def dismiss(db: Database, candidate_id: int, *, by: str, comment: str | None = None) -> CandidateView:
    text = clean_text(comment, "kommentar", limit=2000) if comment else None
    with db.transaction() as session:
        require_user(session, by, *FLAGGING_ROLES)
        candidate = _open(session, candidate_id)
        candidate.state, candidate.decided_by, candidate.decided_at = "dismissed", by, now()
        audit.append(session, actor=by, action="candidate.dismiss", entity=f"candidate:{candidate_id}",
                     data={"comment": text})
        return _view(candidate)


def list_candidates(db: Database, state: str | None = "open") -> list[CandidateView]:
    with db.transaction() as session:
        query = select(Candidate).order_by(Candidate.score.desc(), Candidate.id)
        if state is not None:
            query = query.where(Candidate.state == state)
        return [_view(c) for c in session.scalars(query)]
