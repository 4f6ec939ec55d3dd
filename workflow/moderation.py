"""Moderation records: evidence first, then the platform call — enforced by the state machine.

``requested`` → ``captured`` (the comment's capture and screenshot are stored; path + SHA-256 recorded) →
``done`` (the platform hid or deleted it) or ``failed``. :func:`complete_moderation` refuses unless evidence
was recorded, so a caller that skips the capture cannot mark a deletion done; the pipeline step that talks
to the platform (later, see README) calls the platform only after :func:`record_evidence` succeeded.
Every step is an audit event (who, when, what, why).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.errors import InputError, WorkflowError
from schemas.refs import ThreadRef
from schemas.thread import RemovalReason
from workflow import audit
from workflow.db import Database
from workflow.models import ModerationAction, Role, now, utc
from workflow.text import clean_line, clean_text
from workflow.users import require_user

ACTIONS = ("hide", "delete")
MODERATION_REASONS = (RemovalReason.PERSONSJIKANE, RemovalReason.SENSITIVE_PERSONAL_DATA, RemovalReason.SPAM,
                      RemovalReason.CASE_HANDLING)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class ModerationView:
    id: int
    platform: str
    thread_key: str
    comment_id: str
    action: str
    reason: str
    requested_by: str
    requested_at: datetime
    state: str
    evidence_path: str | None
    evidence_sha256: str | None
    error: str | None
    completed_at: datetime | None


def _view(m: ModerationAction) -> ModerationView:
    return ModerationView(
        m.id, m.platform, m.thread_key, m.comment_id, m.action, m.reason, m.requested_by, utc(m.requested_at),
        m.state, m.evidence_path, m.evidence_sha256, m.error, utc(m.completed_at) if m.completed_at else None,
    )


def parse_reason(value: str) -> RemovalReason:
    """``personsjikane``, ``sensitive-personal-data`` (or ``_``), ``spam``, ``case-handling``."""
    try:
        reason = RemovalReason(value.strip().lower().replace("-", "_"))
    except ValueError:
        reason = None
    if reason not in MODERATION_REASONS:
        allowed = ", ".join(r.value.replace("_", "-") for r in MODERATION_REASONS)
        raise InputError(f"ukjent grunn {value!r}: bruk {allowed}")
    return reason


def request_moderation(db: Database, ref: ThreadRef, comment_id: str, *, action: str, reason: str,
                       by: str) -> ModerationView:
    """Record that an editor wants a comment hidden or deleted (nothing happens on the platform yet)."""
    if action not in ACTIONS:
        raise InputError(f"ukjent handling {action!r}: bruk hide eller delete")
    why = parse_reason(reason)
    comment = clean_line(comment_id, "kommentar-id", limit=200)
    with db.transaction() as session:
        require_user(session, by, Role.EDITOR, Role.ADMIN)
        record = ModerationAction(platform=ref.platform.value, thread_key=ref.key, comment_id=comment, action=action,
                                  reason=why.value, requested_by=by, requested_at=now(), state="requested")
        session.add(record)
        session.flush()
        audit.append(session, actor=by, action="moderation.request", entity=f"moderation:{record.id}", data={
            "thread_key": ref.key, "comment_id": comment, "action": action, "reason": why.value})
        return _view(record)


def _get(session: Session, action_id: int) -> ModerationAction:
    record = session.get(ModerationAction, action_id)
    if record is None:
        raise WorkflowError(f"moderering #{action_id} finnes ikke")
    return record


def record_evidence(db: Database, action_id: int, *, path: str, sha256: str, by: str) -> ModerationView:
    """The comment's capture and screenshot are stored at ``path`` (in the bucket) with this SHA-256."""
    if not _SHA256.match(sha256):
        raise InputError(f"moderering #{action_id}: ugyldig SHA-256 {sha256[:80]!r}")
    where = clean_line(path, "bevissti", limit=1000)
    with db.transaction() as session:
        record = _get(session, action_id)
        if record.state != "requested":
            raise WorkflowError(f"moderering #{action_id} er {record.state}; bevis kan bare legges til én gang")
        record.state, record.evidence_path, record.evidence_sha256 = "captured", where, sha256
        audit.append(session, actor=by, action="moderation.evidence", entity=f"moderation:{action_id}",
                     data={"path": where, "sha256": sha256})
        return _view(record)


def complete_moderation(db: Database, action_id: int, *, by: str) -> ModerationView:
    """The platform hid/deleted the comment; refused unless the evidence was recorded first."""
    with db.transaction() as session:
        record = _get(session, action_id)
        if record.state != "captured":
            raise WorkflowError(
                f"moderering #{action_id} er {record.state}: kommentaren skjules eller slettes ikke før "
                "innsamling og skjermbilde er lagret"
            )
        record.state, record.completed_at = "done", now()
        audit.append(session, actor=by, action=f"moderation.{record.action}", entity=f"moderation:{action_id}",
                     data={"thread_key": record.thread_key, "comment_id": record.comment_id,
                           "reason": record.reason, "evidence_sha256": record.evidence_sha256})
        return _view(record)


def fail_moderation(db: Database, action_id: int, *, error: str, by: str) -> ModerationView:
    """The capture or the platform call failed; nothing was deleted by us after this."""
    text = clean_text(error, "feilmelding", limit=4000) or "ukjent feil"
    with db.transaction() as session:
        record = _get(session, action_id)
        if record.state == "done":
            raise WorkflowError(f"moderering #{action_id} er allerede utført")
        record.state, record.error, record.completed_at = "failed", text, now()
        audit.append(session, actor=by, action="moderation.failed", entity=f"moderation:{action_id}",
                     data={"error": text})
        return _view(record)


def list_moderation(db: Database, thread_key: str | None = None) -> list[ModerationView]:
    with db.transaction() as session:
        query = select(ModerationAction).order_by(ModerationAction.id)
        if thread_key is not None:
            query = query.where(ModerationAction.thread_key == thread_key)
        return [_view(m) for m in session.scalars(query)]
