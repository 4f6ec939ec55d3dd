"""Candidate suggestions on both engines: recorded once, confirmed into a flag atomically, or dismissed."""

from __future__ import annotations

import pytest

from schemas.errors import InputError, WorkflowError
from schemas.thread import FlagKind
from sources.urls import parse_thread_url
from workflow import audit
from workflow.db import Database
from workflow.flags import FlagRequest, find_flag, flag_thread, list_flags
from workflow.suggestions import confirm, dismiss, list_candidates, suggest
from workflow.users import UnknownUserError

ASKS = "Reguleringsplanen er lagt ut på høring. Hva mener du? Kom med innspill innen 15. mars."
INFO = "Fjellvegen er stengt på grunn av snø."


def test_suggest_once_then_confirm_into_a_flag(workflow_db: Database) -> None:
    ref = parse_thread_url("https://www.facebook.com/fjordvikkommune/posts/1042387765521904")
    assert suggest(workflow_db, parse_thread_url("https://x.com/a/status/1"), INFO) is None
    found = suggest(workflow_db, ref, ASKS + "\x00")
    assert found is not None and found.state == "open" and "høring" in found.cues and "\x00" not in found.excerpt
    assert suggest(workflow_db, ref, ASKS) is None  # known already
    assert [c.id for c in list_candidates(workflow_db)] == [found.id]
    flag = confirm(workflow_db, found.id, by="ingrid", case_number="2026/1042", deadline=None)
    assert flag.origin == "candidate" and flag.thread_key == ref.key and "kandidatsøket" in (flag.reason or "")
    assert list_candidates(workflow_db) == []
    assert list_candidates(workflow_db, "confirmed")[0].flag_id == flag.id
    with pytest.raises(WorkflowError, match="allerede confirmed"):
        dismiss(workflow_db, found.id, by="ingrid")
    with workflow_db.transaction() as session:
        actions = [e.action for e in audit.events(session) if e.entity == f"candidate:{found.id}"]
    assert actions == ["candidate.suggest", "candidate.confirm"]


def test_a_refused_confirmation_leaves_the_candidate_open(workflow_db: Database) -> None:
    found = suggest(workflow_db, parse_thread_url("https://x.com/FjordvikVeg/status/5"), ASKS)
    assert found is not None
    with pytest.raises(InputError, match="saksnummer"):
        confirm(workflow_db, found.id, by="ingrid")  # journal-required without a case
    with pytest.raises(UnknownUserError):
        confirm(workflow_db, found.id, by="arne", case_number="2026/1")
    assert list_candidates(workflow_db)[0].id == found.id and list_flags(workflow_db) == []
    flag = confirm(workflow_db, found.id, by="ingrid", kind=FlagKind.ARCHIVE_WORTHY)
    assert flag.kind == "archive-worthy"


def test_flagged_threads_are_not_suggested_and_dismiss(workflow_db: Database) -> None:
    ref = parse_thread_url("https://www.youtube.com/watch?v=q7Rk2fJvW0E")
    flag_thread(workflow_db, FlagRequest(ref=ref, kind=FlagKind.ARCHIVE_WORTHY, by="ingrid"))
    assert suggest(workflow_db, ref, ASKS) is None
    other = suggest(workflow_db, parse_thread_url("https://youtu.be/a1B2c3D4e5F"), ASKS)
    assert other is not None
    closed = dismiss(workflow_db, other.id, by="ingrid", comment="bare informasjon")
    assert closed.state == "dismissed" and closed.decided_by == "ingrid"
    assert find_flag(workflow_db, parse_thread_url("https://youtu.be/a1B2c3D4e5F")) is None
    with pytest.raises(WorkflowError, match="finnes ikke"):
        dismiss(workflow_db, 999, by="ingrid")
