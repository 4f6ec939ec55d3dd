"""Flags on both engines: flag by URL or id, one live flag per thread, status moves, unflag, list, import."""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path

import pytest

from schemas.errors import InputError, WorkflowError
from schemas.thread import FlagKind, Platform
from sources.urls import parse_thread_url, thread_ref
from tests.conftest import REPO_ROOT
from workflow import audit
from workflow.audit import verify_audit
from workflow.db import Database
from workflow.flags import (
    FlagExistsError,
    FlagFilter,
    FlagRequest,
    due_for_export,
    find_flag,
    flag_thread,
    list_flags,
    parse_case_number,
    set_status,
    unflag,
)
from workflow.importer import import_flags_file
from workflow.models import FlagStatus
from workflow.users import UnknownUserError

URL = "https://www.facebook.com/fjordvikkommune/posts/1042387765521904"


def _request(url: str = URL, **kw: object) -> FlagRequest:
    base: dict[str, object] = {"ref": parse_thread_url(url), "kind": FlagKind.JOURNAL_REQUIRED, "by": "ingrid",
                               "case_number": "2026/1042", "reason": "høringsinnspill"}
    return FlagRequest(**(base | kw))  # type: ignore[arg-type]


def _actions(db: Database, entity: str) -> list[str]:
    with db.transaction() as session:
        return [e.action for e in audit.events(session, entity=entity)]


def test_flag_by_url_records_everything(workflow_db: Database) -> None:
    view = flag_thread(workflow_db, _request(deadline=date(2026, 3, 15), note="Kommentarene er innspill."))
    assert (view.platform, view.post_id, view.account) == ("facebook", "1042387765521904", "fjordvikkommune")
    assert (view.kind, view.case_number, view.reason, view.status) == (
        "journal-required", "2026/1042", "høringsinnspill", "pending")
    assert view.deadline == date(2026, 3, 15) and view.flagged_by == "ingrid" and view.thread_url == URL
    assert view.flagged_at.tzinfo is not None
    assert [(h.from_status, h.to_status) for h in view.history] == [(None, "pending")]
    assert _actions(workflow_db, f"flag:{view.id}") == ["flag.create"]


def test_flagging_the_same_thread_twice_reports_the_existing_flag(workflow_db: Database) -> None:
    first = flag_thread(workflow_db, _request())
    other_form = "https://m.facebook.com/permalink.php?story_fbid=1042387765521904&id=100064512345678"
    with pytest.raises(FlagExistsError) as err:
        flag_thread(workflow_db, _request(other_form, case_number="2026/7"))
    assert err.value.existing.id == first.id
    assert f"flagg #{first.id}" in str(err.value) and "sak 2026/1042" in str(err.value)
    assert len(list_flags(workflow_db)) == 1


def test_platform_and_id_flag_the_same_thread_as_its_url(workflow_db: Database) -> None:
    flag_thread(workflow_db, _request("https://youtu.be/q7Rk2fJvW0E"))
    with pytest.raises(FlagExistsError):
        flag_thread(workflow_db, FlagRequest(ref=thread_ref("youtube", "q7Rk2fJvW0E"), kind=FlagKind.ARCHIVE_WORTHY,
                                             by="ingrid"))


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"by": "mallory"}, UnknownUserError, "ukjent bruker"),
        ({"by": "arne"}, UnknownUserError, "har ikke rollen"),  # an archivist does not flag
        ({"case_number": "26/1042"}, InputError, "ÅÅÅÅ/NNNN"),
        ({"case_number": "2026/"}, InputError, "ÅÅÅÅ/NNNN"),
        ({"case_number": "2026/0"}, InputError, "ÅÅÅÅ/NNNN"),
        ({"case_number": "2026/12\x00"}, InputError, "ÅÅÅÅ/NNNN"),
        ({"case_number": None}, InputError, "saksnummer"),
        ({"reason": "innspill\x00"}, InputError, r"U\+0000"),
        ({"reason": "x" * 5000}, InputError, "for lang"),
        ({"reason": "\u202eevil"}, InputError, r"U\+202E"),
        ({"case_number": None, "new_case_title": "\ud800"}, InputError, r"U\+D800"),
    ],
)
def test_bad_input_changes_nothing(workflow_db: Database, change: dict[str, object], error: type, words: str) -> None:
    with workflow_db.transaction() as session:
        events_before = len(audit.events(session))
    with pytest.raises(error, match=words):
        flag_thread(workflow_db, _request(**change))
    assert list_flags(workflow_db, FlagFilter(include_withdrawn=True)) == []
    with workflow_db.transaction() as session:
        assert len(audit.events(session)) == events_before


def test_new_case_is_numbered_once(workflow_db: Database) -> None:
    a = flag_thread(workflow_db, _request(case_number=None, new_case_title="Skatepark – medvirkning"))
    b = flag_thread(workflow_db, _request("https://x.com/FjordvikVeg/status/1", case_number=None,
                                          new_case_title="Vinterdrift"))
    year = a.flagged_at.year
    assert a.case_number == f"{year}/1" and b.case_number == f"{year}/2"
    assert a.title == "Skatepark – medvirkning"
    archive = flag_thread(workflow_db, _request("https://x.com/FjordvikVeg/status/2", kind=FlagKind.ARCHIVE_WORTHY,
                                                case_number=None, new_case_title="Bare arkiv"))
    assert archive.case_number is None and archive.title == "Bare arkiv"


def test_status_moves_and_their_history(workflow_db: Database) -> None:
    view = flag_thread(workflow_db, _request())
    set_status(workflow_db, view.id, FlagStatus.EXPORTED, by="ingrid")
    with pytest.raises(UnknownUserError, match="rollen"):
        set_status(workflow_db, view.id, FlagStatus.APPROVED, by="ingrid")  # an editor does not approve
    with pytest.raises(InputError, match="kommentar"):
        set_status(workflow_db, view.id, FlagStatus.REJECTED, by="arne")
    rejected = set_status(workflow_db, view.id, FlagStatus.REJECTED, by="arne", comment="Mangler svar fra kommunen")
    assert rejected.status == "rejected" and rejected.status_comment == "Mangler svar fra kommunen"
    with pytest.raises(WorkflowError, match="kan ikke bli"):
        set_status(workflow_db, view.id, FlagStatus.APPROVED, by="arne")
    set_status(workflow_db, view.id, FlagStatus.REFLAGGED, by="ingrid", comment="Svar lagt inn")
    set_status(workflow_db, view.id, FlagStatus.EXPORTED, by="ingrid")
    final = set_status(workflow_db, view.id, FlagStatus.APPROVED, by="arne")
    assert [h.to_status for h in final.history] == [
        "pending", "exported", "rejected", "re-flagged", "exported", "approved"]
    assert _actions(workflow_db, f"flag:{view.id}") == [
        "flag.create", "flag.exported", "flag.rejected", "flag.re-flagged", "flag.exported", "flag.approved"]


def test_unflag_then_flag_again(workflow_db: Database) -> None:
    ref = parse_thread_url(URL)
    first = flag_thread(workflow_db, _request())
    with pytest.raises(WorkflowError, match="ikke flagget"):
        unflag(workflow_db, parse_thread_url("https://x.com/a/status/9"), by="ingrid")
    gone = unflag(workflow_db, ref, by="ingrid", comment="feil tråd")
    assert gone.status == "withdrawn" and find_flag(workflow_db, ref) is None
    second = flag_thread(workflow_db, _request())
    assert second.id != first.id
    assert [f.id for f in list_flags(workflow_db)] == [second.id]
    assert {f.id for f in list_flags(workflow_db, FlagFilter(include_withdrawn=True))} == {first.id, second.id}
    assert [f.id for f in list_flags(workflow_db, FlagFilter(status=FlagStatus.WITHDRAWN))] == [first.id]


def test_list_filters(workflow_db: Database) -> None:
    flag_thread(workflow_db, _request())
    flag_thread(workflow_db, _request("https://x.com/FjordvikVeg/status/1876533901228470281", case_number="2026/58"))
    flag_thread(workflow_db, _request("https://www.instagram.com/p/DFk2bZsNq7x/", kind=FlagKind.ARCHIVE_WORTHY,
                                      case_number=None))
    assert len(list_flags(workflow_db)) == 3
    assert [f.platform for f in list_flags(workflow_db, FlagFilter(platform=Platform.X))] == ["x"]
    assert [f.platform for f in list_flags(workflow_db, FlagFilter(kind=FlagKind.ARCHIVE_WORTHY))] == ["instagram"]
    assert [f.case_number for f in list_flags(workflow_db, FlagFilter(case_number="2026/58"))] == ["2026/58"]
    assert list_flags(workflow_db, FlagFilter(flagged_by="arne")) == []
    assert len(list_flags(workflow_db, FlagFilter(limit=2))) == 2
    with pytest.raises(InputError):
        list_flags(workflow_db, FlagFilter(limit=0))


def test_two_editors_flagging_one_thread_at_once_get_one_flag(workflow_db: Database) -> None:
    outcomes: list[str] = []
    start = threading.Barrier(6)

    def work() -> None:
        start.wait()
        try:
            flag_thread(workflow_db, _request())
            outcomes.append("created")
        except FlagExistsError:
            outcomes.append("exists")

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["created"] + ["exists"] * 5
    with workflow_db.transaction() as session:
        assert verify_audit(session) == []


def test_import_of_the_sample_flags_file(workflow_db: Database, tmp_path: Path) -> None:
    samples = REPO_ROOT / "samples" / "flags.json"
    report = import_flags_file(workflow_db, samples, parse_url=parse_thread_url, by="ada")
    assert len(report.created) == 8 and not report.findings
    assert {v.origin for v in report.created} == {"import"}
    vaksine = next(v for v in report.created if v.post_id == "611900481772305")
    assert vaksine.kind == "archive-worthy" and vaksine.case_number is None and vaksine.flagged_by.startswith("helse")
    assert str(vaksine.flagged_at.date()) == "2025-10-09"
    again = import_flags_file(workflow_db, samples, parse_url=parse_thread_url, by="ada")
    assert not again.created and len(again.existing) == 8


def test_import_goes_on_past_bad_entries(workflow_db: Database, tmp_path: Path) -> None:
    good = json.loads((REPO_ROOT / "samples" / "flags.json").read_text(encoding="utf-8"))[0]
    entries = [
        good,
        good | {"thread_url": "javascript:alert(1)"},
        good | {"case_number": "1042"},
        {"nested": [[[[]]]]},
        good | {"thread_url": "https://x.com/a/status/5", "flagged_by": "ingrid", "unknown_field": 1},
        good | {"thread_url": "https://x.com/a/status/6", "note": "bad\x00note"},
        good | {"thread_url": "https://x.com/a/status/7"},
    ]
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    report = import_flags_file(workflow_db, path, parse_url=parse_thread_url, by="ada")
    assert [v.post_id for v in report.created] == ["1042387765521904", "7"]
    assert sorted(f.where for f in report.findings) == [f"flags.json[{i}]" for i in (1, 2, 3, 4, 5)]
    for broken in ("[", "{}", '"x"'):
        path.write_text(broken, encoding="utf-8")
        with pytest.raises(InputError):
            import_flags_file(workflow_db, path, parse_url=parse_thread_url, by="ada")
    path.write_text("[" * 100000 + "]" * 100000, encoding="utf-8")
    with pytest.raises(InputError):
        import_flags_file(workflow_db, path, parse_url=parse_thread_url, by="ada")


def test_parse_case_number() -> None:
    assert parse_case_number(" 2026/1234 ") == (2026, 1234)
    for bad in ("2026-1234", "2026/1234/5", "0001/1", "2026/12345678", "", "２０２６/1"):
        with pytest.raises(InputError):
            parse_case_number(bad)


def test_due_for_export(workflow_db: Database) -> None:
    pending = flag_thread(workflow_db, _request("https://x.com/a/status/1"))
    open_hearing = flag_thread(workflow_db, _request("https://x.com/a/status/2", deadline=date(2026, 3, 15)))
    closed_hearing = flag_thread(workflow_db, _request("https://x.com/a/status/3", deadline=date(2026, 3, 1)))
    no_deadline = flag_thread(workflow_db, _request("https://x.com/a/status/4"))
    rejected = flag_thread(workflow_db, _request("https://x.com/a/status/5"))
    for flag in (open_hearing, closed_hearing, no_deadline, rejected):
        set_status(workflow_db, flag.id, FlagStatus.EXPORTED, by="ingrid")
    set_status(workflow_db, rejected.id, FlagStatus.REJECTED, by="arne", comment="mangler")
    set_status(workflow_db, rejected.id, FlagStatus.REFLAGGED, by="ingrid")
    due = due_for_export(workflow_db, date(2026, 3, 10))
    assert [f.id for f in due] == [pending.id, open_hearing.id, rejected.id]
    assert [f.id for f in due_for_export(workflow_db, date(2026, 3, 16))] == [pending.id, rejected.id]
