"""The export takes its flags from the workflow database (pipeline.flagged, flows.export), on both engines."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from flows.export import export_thread, export_threads
from pipeline.export import ExportResult, ExportRun
from pipeline.flagged import ExportSelection, record_exports, select_for_export
from pipeline.settings import Settings
from schemas.package import MANIFEST_NAME, Manifest
from schemas.thread import FlagKind
from sources.folder import load_catalog
from sources.urls import parse_thread_url, thread_ref
from workflow import audit
from workflow.db import Database
from workflow.flags import FlagRequest, FlagView, flag_thread, get_flag, set_status
from workflow.models import AuditEvent

SAMPLES = Settings().samples_dir
INSTAGRAM = "https://www.instagram.com/p/DFk2bZsNq7x/"  # the capture carries the media id, not the shortcode
YOUTUBE = "https://youtu.be/q7Rk2fJvW0E"  # another URL form than the capture's watch?v=
X_URL = "https://x.com/FjordvikVeg/status/1876533901228470281"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A capture folder with three of the sample threads and no flags.json."""
    root = tmp_path / "captures"
    (root / "threads").mkdir(parents=True)
    for name in ("instagram-nytt-bibliotek", "youtube-kommunestyremote-2026-02-12", "x-vinterstengte-veger"):
        shutil.copy(SAMPLES / "threads" / f"{name}.json", root / "threads")
    shutil.copytree(SAMPLES / "media", root / "media")
    return root


def _flag(db: Database, url: str, *, case: str | None = "2026/1042", deadline: date | None = None,
          kind: FlagKind = FlagKind.JOURNAL_REQUIRED) -> FlagView:
    return flag_thread(db, FlagRequest(ref=parse_thread_url(url), kind=kind, by="ingrid", case_number=case,
                                       reason="høringsinnspill", deadline=deadline))


def _manifests(bucket: Path) -> dict[str, Manifest]:
    return {p.name: Manifest.model_validate_json((p / MANIFEST_NAME).read_bytes())
            for p in bucket.iterdir() if (p / MANIFEST_NAME).is_file()}


def _actions(db: Database) -> list[str]:
    with db.transaction() as session:
        return [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


@pytest.mark.flowrun
@pytest.mark.usefixtures("prefect_harness")
def test_nightly_exports_pending_db_flags_and_marks_them_exported(
    folder: Path, tmp_path: Path, seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOMEARKIV_DATABASE_URL", seeded_url)
    monkeypatch.setenv("SOMEARKIV_WORK_DIR", str(tmp_path / "work"))
    db = Database(seeded_url)
    insta = _flag(db, INSTAGRAM, kind=FlagKind.ARCHIVE_WORTHY, case=None)
    tube = _flag(db, YOUTUBE, case="2025/1875", deadline=date.today() + timedelta(days=30))
    missing = _flag(db, "https://www.facebook.com/fjordvikkommune/posts/999999999")  # no capture of it
    bucket = tmp_path / "bucket"

    run = export_threads(bucket=str(bucket), source_dir=str(folder))
    assert isinstance(run, ExportRun)
    assert {r.thread_key for r in run.results} == {"instagram-3551208744190226431", "youtube-q7Rk2fJvW0E"}
    assert [key for key, _ in run.failures] == [missing.thread_key]
    assert f"flagg #{missing.id}" in run.failures[0][1] and "ingen innsamling" in run.failures[0][1]
    manifests = _manifests(bucket)
    assert len(manifests) == 2  # the unflagged X thread is not exported
    by_key = {m.thread_key: m for m in manifests.values()}
    youtube = by_key["youtube-q7Rk2fJvW0E"].flag
    assert youtube is not None and youtube.case_number == "2025/1875" and youtube.flagged_by == "Ingrid Moe"
    assert youtube.thread_url == "https://www.youtube.com/watch?v=q7Rk2fJvW0E"  # the capture's URL
    assert "høringsinnspill" in (youtube.note or "")
    assert by_key["instagram-3551208744190226431"].flag.kind == FlagKind.ARCHIVE_WORTHY  # type: ignore[union-attr]

    assert get_flag(db, insta.id).status == get_flag(db, tube.id).status == "exported"
    assert get_flag(db, missing.id).status == "pending"  # reported as not exported, stays pending
    assert _actions(db).count("flag.exported") == 2
    assert get_flag(db, tube.id).history[-1].by == "system:eksport"

    # Again: the høringsfrist of the YouTube flag has not passed, so it is taken again, but nothing changed.
    again = export_threads(bucket=str(bucket), source_dir=str(folder))
    assert isinstance(again, ExportRun)
    assert [(r.thread_key, r.status) for r in again.results] == [("youtube-q7Rk2fJvW0E", "unchanged")]
    assert len(_manifests(bucket)) == 2

    # The thread changed (a new capture): a new package version, the flag stays exported, audited.
    capture = folder / "threads" / "youtube-kommunestyremote-2026-02-12.json"
    data = json.loads(capture.read_text(encoding="utf-8"))
    data["comments"] = data["comments"][:-1]
    capture.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    third = export_threads(bucket=str(bucket), source_dir=str(folder))
    assert isinstance(third, ExportRun)
    assert [(r.thread_key, r.status) for r in third.results] == [("youtube-q7Rk2fJvW0E", "written")]
    assert third.results[0].previous_package_id in manifests
    again_flag = get_flag(db, tube.id)
    assert again_flag.status == "exported" and _actions(db).count("flag.exported") == 3
    assert [h.to_status for h in again_flag.history] == ["pending", "exported", "exported"]
    assert "ny versjon" in (again_flag.history[-1].comment or "")
    with db.transaction() as session:
        assert [f for f in audit.verify_audit(session) if f.severity == "error"] == []
    db.dispose()


@pytest.mark.flowrun
@pytest.mark.usefixtures("prefect_harness")
def test_on_demand_export_by_the_flags_thread_key(
    folder: Path, tmp_path: Path, seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOMEARKIV_DATABASE_URL", seeded_url)
    monkeypatch.setenv("SOMEARKIV_WORK_DIR", str(tmp_path / "work"))
    db = Database(seeded_url)
    view = _flag(db, INSTAGRAM, case="2025/2210")
    _flag(db, X_URL, case="2026/58")
    run = export_thread(view.thread_key, reason="høringsinnspill", bucket=str(tmp_path / "b"), source_dir=str(folder))
    assert isinstance(run, ExportRun) and run.ok
    assert [r.thread_key for r in run.results] == ["instagram-3551208744190226431"]  # only the named thread
    assert get_flag(db, view.id).status == "exported"
    db.dispose()


def _selection(folder: Path, db: Database, keys: list[str] | None = None) -> ExportSelection:
    return select_for_export(load_catalog(folder), db, date.today(), keys)


def test_db_flag_wins_over_flags_json_which_still_works_for_the_rest(folder: Path, workflow_db: Database) -> None:
    (folder / "flags.json").write_text(json.dumps([
        {"thread_url": X_URL, "kind": "journal-required", "case_number": "2026/58", "flagged_by": "Kari Nordmann",
         "flagged_at": "2026-02-02T09:20:00+01:00"},
        {"thread_url": "https://www.youtube.com/watch?v=q7Rk2fJvW0E", "kind": "archive-worthy",
         "flagged_by": "Kari Nordmann", "flagged_at": "2026-02-02T09:20:00+01:00"},
    ]), encoding="utf-8")
    view = _flag(workflow_db, YOUTUBE, case="2025/1875")
    selection = _selection(folder, workflow_db)
    flags = {item.key: item.flag for item in selection.chosen}
    assert set(flags) == {"x-1876533901228470281", "youtube-q7Rk2fJvW0E"}
    assert flags["youtube-q7Rk2fJvW0E"].case_number == "2025/1875"  # the database's flag
    assert flags["x-1876533901228470281"].flagged_by == "Kari Nordmann"  # flags.json's
    assert selection.db_flags == {"youtube-q7Rk2fJvW0E": view}
    assert not selection.refused


def test_linkedin_urn_flag_matches_the_numeric_capture(tmp_path: Path, workflow_db: Database) -> None:
    root = tmp_path / "c"
    (root / "threads").mkdir(parents=True)
    shutil.copy(SAMPLES / "threads" / "linkedin-stilling-radgiver-arkiv.json", root / "threads")
    view = _flag(workflow_db, "https://www.linkedin.com/posts/fjordvik-kommune_stilling-activity-7294410218867302400-AbCd",
                 kind=FlagKind.ARCHIVE_WORTHY, case=None)
    selection = _selection(root, workflow_db)
    assert [item.key for item in selection.chosen] == ["linkedin-7294410218867302400"]
    assert selection.db_flags["linkedin-7294410218867302400"].id == view.id


def test_a_capture_matching_two_flags_is_refused_for_both(folder: Path, workflow_db: Database) -> None:
    by_url = _flag(workflow_db, INSTAGRAM, case="2025/2210")  # key instagram-DFk2bZsNq7x
    by_id = flag_thread(workflow_db, FlagRequest(  # key instagram-<media id>: the capture's own key
        ref=thread_ref("instagram", "3551208744190226431"), kind=FlagKind.ARCHIVE_WORTHY, by="ingrid"))
    tube = _flag(workflow_db, YOUTUBE, case="2025/1875")
    selection = _selection(folder, workflow_db)
    assert [item.key for item in selection.chosen] == ["youtube-q7Rk2fJvW0E"]  # the others go on
    reasons = {r.key: r.reason for r in selection.refused}
    assert set(reasons) == {by_url.thread_key, by_id.thread_key}
    for reason in reasons.values():
        assert f"#{by_url.id}" in reason and f"#{by_id.id}" in reason and "flere flagg" in reason
    assert selection.db_flags == {"youtube-q7Rk2fJvW0E": tube}


def test_two_captures_of_one_flagged_thread_are_refused(folder: Path, workflow_db: Database) -> None:
    twin = folder / "threads" / "zz-copy.json"
    shutil.copy(folder / "threads" / "x-vinterstengte-veger.json", twin)
    view = _flag(workflow_db, X_URL, case="2026/58")
    selection = _selection(folder, workflow_db)
    assert not selection.chosen
    assert [r.key for r in selection.refused] == [view.thread_key]
    assert "zz-copy.json" in selection.refused[0].reason and "flere innsamlinger" in selection.refused[0].reason


def test_unknown_thread_name_and_hostile_names_are_refused(folder: Path, workflow_db: Database) -> None:
    from schemas.errors import InputError

    _flag(workflow_db, YOUTUBE, case="2025/1875")
    for name in ("facebook-404", "youtube-q7Rk2fJvW0E\u202e", "../../etc/passwd", "x" * 5000):
        with pytest.raises(InputError, match="ingen flagget tråd"):
            _selection(folder, workflow_db, [name])
    assert [i.key for i in _selection(folder, workflow_db, ["youtube-q7Rk2fJvW0E"]).chosen] == ["youtube-q7Rk2fJvW0E"]


def test_withdrawn_approved_and_expired_flags_are_not_exported(folder: Path, workflow_db: Database) -> None:
    tube = _flag(workflow_db, YOUTUBE, case="2025/1875", deadline=date.today() - timedelta(days=1))
    set_status(workflow_db, tube.id, "exported", by="ingrid")
    insta = _flag(workflow_db, INSTAGRAM, case="2025/2210")
    from workflow.flags import unflag

    unflag(workflow_db, insta.id, by="ingrid", comment="feil tråd")
    assert _selection(folder, workflow_db).chosen == []


def _result(key: str, status: str = "written") -> ExportResult:
    return ExportResult(thread_key=key, title="t", package_id=f"{key}-0123456789abcdef", status=status,  # type: ignore[arg-type]
                        url="file:///x", comments=1)


def test_two_runs_racing_to_mark_one_flag_exported(folder: Path, workflow_db: Database) -> None:
    view = _flag(workflow_db, YOUTUBE, case="2025/1875")
    selection = _selection(folder, workflow_db)
    problems: list[list[tuple[str, str]]] = []
    barrier = threading.Barrier(4)

    def run() -> None:
        barrier.wait()
        problems.append(record_exports(workflow_db, selection, [_result("youtube-q7Rk2fJvW0E")]))

    workers = [threading.Thread(target=run) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert problems == [[], [], [], []]
    flag = get_flag(workflow_db, view.id)
    assert flag.status == "exported" and [h.to_status for h in flag.history] == ["pending", "exported"]


def test_a_flag_withdrawn_during_the_run_is_reported_not_hidden(folder: Path, workflow_db: Database) -> None:
    from workflow.flags import unflag

    view = _flag(workflow_db, YOUTUBE, case="2025/1875")
    selection = _selection(folder, workflow_db)
    unflag(workflow_db, view.id, by="ingrid", comment="trukket")
    problems = record_exports(workflow_db, selection, [_result("youtube-q7Rk2fJvW0E", "unchanged")])
    assert len(problems) == 1 and f"flagg #{view.id}" in problems[0][1] and "pakken er lagret" in problems[0][1]
    assert get_flag(workflow_db, view.id).status == "withdrawn"
