"""An editor's dismissal of a suggested candidate, kept in the audit log (no table of its own yet).

A candidate is a thread whose post asks for input (``workflow.candidates.score_post``) and that has no
flag; confirming it is ``flag_thread(origin="candidate")``, dismissing it is an audit event
``candidate.dismiss`` on entity ``candidate:<thread key>``, after which it is no longer suggested.
"""

from __future__ import annotations

from sqlalchemy import select

from workflow import audit
from workflow.db import Database
from workflow.models import AuditEvent, Flag, FlagStatus, Role
from workflow.text import clean_line, clean_text
from workflow.users import require_user

ACTION = "candidate.dismiss"
PREFIX = "candidate:"


def dismissed_threads(db: Database) -> set[str]:
    with db.transaction() as session:
        entities = session.scalars(select(AuditEvent.entity).where(AuditEvent.action == ACTION))
        return {e.removeprefix(PREFIX) for e in entities}


def dismiss_candidate(db: Database, thread_key: str, *, by: str, reason: str | None = None) -> bool:
    """Dismiss a candidate; False when it was dismissed already (nothing recorded then)."""
    key = clean_line(thread_key, "tråd", limit=240)
    note = clean_text(reason, "begrunnelse", limit=2000) if reason else None
    with db.transaction() as session:
        require_user(session, by, Role.EDITOR, Role.ADMIN)
        already = session.scalar(select(AuditEvent.seq).where(AuditEvent.action == ACTION,
                                                              AuditEvent.entity == PREFIX + key).limit(1))
        if already is not None:
            return False
        audit.append(session, actor=by, action=ACTION, entity=PREFIX + key, data={"reason": note or None})
        return True


def flagged_threads(db: Database, thread_keys: list[str]) -> set[str]:
    """Which of ``thread_keys`` have a live (not withdrawn) flag."""
    if not thread_keys:
        return set()
    with db.transaction() as session:
        return set(session.scalars(select(Flag.thread_key).where(Flag.thread_key.in_(thread_keys),
                                                                 Flag.status != FlagStatus.WITHDRAWN.value)))
