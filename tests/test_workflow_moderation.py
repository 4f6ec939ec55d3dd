"""Moderation records on both engines: nothing is marked hidden/deleted before the evidence is stored."""

from __future__ import annotations

import pytest

from schemas.errors import InputError, WorkflowError
from sources.urls import parse_thread_url
from workflow import audit
from workflow.db import Database
from workflow.moderation import (
    complete_moderation,
    fail_moderation,
    list_moderation,
    record_evidence,
    request_moderation,
)
from workflow.users import UnknownUserError

REF = parse_thread_url("https://www.facebook.com/fjordvikhelse/posts/611900481772305")
SHA = "a" * 64


def test_evidence_first_then_the_deletion(workflow_db: Database) -> None:
    req = request_moderation(workflow_db, REF, "c-17", action="delete", reason="sensitive-personal-data", by="ingrid")
    assert (req.state, req.reason, req.thread_key) == ("requested", "sensitive_personal_data", REF.key)
    with pytest.raises(WorkflowError, match="ikke før innsamling og skjermbilde er lagret"):
        complete_moderation(workflow_db, req.id, by="ingrid")
    captured = record_evidence(workflow_db, req.id, path=f"_moderation/{req.id}/comment.png", sha256=SHA, by="ingrid")
    assert captured.state == "captured"
    with pytest.raises(WorkflowError, match="én gang"):
        record_evidence(workflow_db, req.id, path="other.png", sha256=SHA, by="ingrid")
    done = complete_moderation(workflow_db, req.id, by="ingrid")
    assert done.state == "done" and done.completed_at is not None and done.evidence_sha256 == SHA
    with pytest.raises(WorkflowError, match="allerede utført"):
        fail_moderation(workflow_db, req.id, error="x", by="ingrid")
    with workflow_db.transaction() as session:
        actions = [e.action for e in audit.events(session, entity=f"moderation:{req.id}")]
    assert actions == ["moderation.request", "moderation.evidence", "moderation.delete"]


def test_a_failed_capture_never_becomes_done(workflow_db: Database) -> None:
    req = request_moderation(workflow_db, REF, "c-18", action="hide", reason="spam", by="ingrid")
    failed = fail_moderation(workflow_db, req.id, error="innsamlingen feilet: 503", by="ingrid")
    assert failed.state == "failed" and failed.error == "innsamlingen feilet: 503"
    with pytest.raises(WorkflowError):
        complete_moderation(workflow_db, req.id, by="ingrid")
    assert [m.state for m in list_moderation(workflow_db, REF.key)] == ["failed"]


@pytest.mark.parametrize(
    ("kw", "error", "words"),
    [
        ({"action": "ban"}, InputError, "hide eller delete"),
        ({"reason": "rude"}, InputError, "personsjikane"),
        ({"reason": "deleted_by_author"}, InputError, "ukjent grunn"),
        ({"by": "arne"}, UnknownUserError, "rollen"),
        ({"comment_id": "c\x00"}, InputError, "U+0000"),
    ],
)
def test_bad_requests_record_nothing(workflow_db: Database, kw: dict[str, str], error: type, words: str) -> None:
    args = {"comment_id": "c-1", "action": "hide", "reason": "personsjikane", "by": "ingrid"} | kw
    with pytest.raises(error, match=words.replace("+", r"\+")):
        request_moderation(workflow_db, REF, args.pop("comment_id"), **args)
    assert list_moderation(workflow_db) == []


def test_evidence_must_be_a_sha256(workflow_db: Database) -> None:
    req = request_moderation(workflow_db, REF, "c-19", action="hide", reason="case-handling", by="ingrid")
    with pytest.raises(InputError, match="SHA-256"):
        record_evidence(workflow_db, req.id, path="x.png", sha256="zz", by="ingrid")
    with pytest.raises(WorkflowError, match="finnes ikke"):
        record_evidence(workflow_db, 999, path="x.png", sha256=SHA, by="ingrid")
