"""True Prefect flow runs over the bundled samples: one package per thread, idempotent, failures isolated."""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
    LogFilter,
    LogFilterFlowRunId,
)
from pypdf import PdfReader

import exporters.package as package_module
from flows.export import export_thread, export_threads
from noark.xsd import validate_xml
from pipeline.settings import Settings
from schemas.package import MANIFEST_NAME, Manifest, sha256_file, thread_key
from schemas.thread import PLATFORM_LABELS, Thread
from sources.capture import load_thread
from sources.folder import load_catalog
from tests.artifacts import latest_artifact
from tests.factories import make_thread
from tests.hostile import other_thread, write_catalog

pytestmark = [pytest.mark.flowrun, pytest.mark.usefixtures("prefect_harness")]

SAMPLES = Settings().samples_dir


def _squash(text: str) -> str:
    return "".join(text.split())


def _body_text(reader: PdfReader, thread: Thread) -> str:
    """The text layer without the running footer, which splits a comment that spans a page break."""
    footer = f"{PLATFORM_LABELS[thread.platform]} · {thread.account.name} · tråd {thread.thread_id}"
    pages = (re.sub(r"Side \d+ av \d+", "", page.extract_text()).replace(footer, "") for page in reader.pages)
    return _squash("".join(pages))


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory, prefect_harness):
    bucket = tmp_path_factory.mktemp("bucket")
    return bucket, export_threads(bucket=str(bucket), source_dir=str(SAMPLES))


def test_every_sample_thread_becomes_one_complete_package(first_run, xsd_dir: Path) -> None:
    bucket, run = first_run
    catalog = load_catalog(SAMPLES)
    assert run.ok, run.failures
    assert len(run.results) == len(catalog.flagged) >= 8
    assert {r.status for r in run.results} == {"written"}
    packages = sorted(p for p in bucket.iterdir() if (p / MANIFEST_NAME).is_file())
    assert [p.name for p in packages] == sorted(r.package_id for r in run.results)

    for item in catalog.flagged:
        thread = load_thread(item.path)
        result = next(r for r in run.results if r.thread_key == item.key)
        root = bucket / result.package_id
        manifest = Manifest.model_validate_json((root / MANIFEST_NAME).read_bytes())
        on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
        assert on_disk == {f.path for f in manifest.files} | {MANIFEST_NAME}
        for entry in manifest.files:
            assert sha256_file(root / entry.path) == entry.sha256, entry.path
            assert (root / entry.path).stat().st_size == entry.size
        assert validate_xml(root / "arkivstruktur.xml", "arkivstruktur", xsd_dir) == []

        pdfs = [f for f in manifest.files if f.role == "hoveddokument"]
        assert len(pdfs) == 1
        reader = PdfReader(root / pdfs[0].path)
        assert len(reader.pages) == result.pages
        text = _body_text(reader, thread)
        for comment in thread.all_items():
            assert _squash(comment.text) in text, f"{item.key}: comment {comment.id} missing from the PDF"


def test_the_run_ends_with_a_summary_artifact(first_run) -> None:
    _, run = first_run
    artifact = latest_artifact("export-summary")
    assert artifact.startswith("# Eksport til arkiv")
    for result in run.results:
        assert f"`{result.package_id}` | skrevet | {result.comments} | {result.pages} |" in artifact


def test_second_run_writes_nothing(first_run) -> None:
    bucket, run = first_run
    before = {p: p.stat().st_mtime_ns for p in bucket.rglob("*") if p.is_file()}
    again = export_threads(bucket=str(bucket), source_dir=str(SAMPLES))
    assert again.ok
    assert {r.status for r in again.results} == {"unchanged"}
    assert {r.package_id for r in again.results} == {r.package_id for r in run.results}
    assert {p: p.stat().st_mtime_ns for p in bucket.rglob("*") if p.is_file()} == before


def test_a_broken_capture_fails_alone_and_is_named(tmp_path: Path) -> None:
    source = tmp_path / "captures"
    shutil.copytree(SAMPLES, source)
    victim = sorted((source / "threads").glob("*.json"))[0]
    data = json.loads(victim.read_bytes())
    data["comments"][0]["created_at"] = "i går"
    victim.write_text(json.dumps(data), encoding="utf-8")

    run = export_threads(bucket=str(tmp_path / "bucket"), source_dir=str(source))
    assert len(run.failures) == 1
    name, error = run.failures[0]
    assert name == victim.name
    assert "comments.0.created_at" in error and data["thread_id"] in error
    assert len(run.results) == len(load_catalog(SAMPLES).flagged) - 1


def test_a_thread_that_fails_to_render_fails_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOMEARKIV_EXPORT_WORKERS", "0")  # build in this process, where the patch is
    victim = load_catalog(SAMPLES).flagged[0]
    real_render = package_module.render_thread_pdf

    def render(thread, *args, **kwargs):
        if thread_key(thread.platform, thread.thread_id) == victim.key:
            raise RuntimeError(f"renderer crashed on {thread.thread_id}")
        return real_render(thread, *args, **kwargs)

    monkeypatch.setattr(package_module, "render_thread_pdf", render)
    run = export_threads(bucket=str(tmp_path / "bucket"), source_dir=str(SAMPLES))
    assert [key for key, _ in run.failures] == [victim.key]
    assert "renderer crashed" in run.failures[0][1]
    assert len(run.results) == len(load_catalog(SAMPLES).flagged) - 1
    assert "**feilet**: RuntimeError: renderer crashed" in latest_artifact("export-summary")


def test_on_demand_flow_exports_one_thread(tmp_path: Path) -> None:
    key = load_catalog(SAMPLES).flagged[-1].key
    run = export_thread(thread_id=key, bucket=str(tmp_path / "bucket"), source_dir=str(SAMPLES))
    assert run.ok and [r.thread_key for r in run.results] == [key]


FNR = "13097248022"  # a fødselsnummer (valid check digits)
EMAIL = "ase.odegard@example.no"


def test_a_run_with_a_failure_is_not_all_green_and_its_logs_hold_no_personal_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Title and comment quote a fødselsnummer and an e-mail address; one thread fails with an error that
    quotes them too. The run's log records (here and on the Prefect server) name keys and packages only."""
    monkeypatch.setenv("SOMEARKIV_EXPORT_WORKERS", "0")  # build in this process, where the patch is
    secret_post = make_thread().post.model_copy(update={"text": f"Klage fra {FNR}, svar til {EMAIL}"})
    good = other_thread("personvern", post=secret_post)
    bad = other_thread("krasj", post=secret_post)
    bad = bad.model_copy(update={"comments": [c.model_copy(update={"text": f"{EMAIL} {FNR}"}) for c in bad.comments]})
    source = write_catalog(tmp_path / "captures", {"good.json": good, "bad.json": bad})
    real_render = package_module.render_thread_pdf

    def render(thread, *args, **kwargs):
        if thread.thread_id == "krasj":
            raise RuntimeError(f"renderer crashed on {thread.post.text}")
        return real_render(thread, *args, **kwargs)

    monkeypatch.setattr(package_module, "render_thread_pdf", render)
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    loggers = [logging.getLogger(), logging.getLogger("prefect")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        state = export_threads(bucket=str(tmp_path / "bucket"), source_dir=str(source), return_state=True)
    finally:
        for logger in loggers:
            logger.removeHandler(handler)

    assert state.is_completed() and state.name == "Completed with failures" and state.message == "1 av 2 tråder feilet"
    run = state.result()
    assert [r.thread_key for r in run.results] == ["facebook-personvern"]
    assert [key for key, _ in run.failures] == ["facebook-krasj"] and FNR in run.failures[0][1]  # the reason is kept
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(state.state_details.flow_run_id)
        stored = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run.id])))
    assert flow_run.state is not None and flow_run.state.name == "Completed with failures"

    texts = [record.getMessage() for record in records] + [log.message for log in stored]
    assert any("thread_key=facebook-krasj status=failed" in text and "error_type=RuntimeError" in text
               for text in texts), texts
    assert any(f"package_id={run.results[0].package_id}" in text for text in texts)
    structured = [r for r in records if getattr(r, "event", None) == "export.thread"]
    assert {(r.thread_key, r.status) for r in structured} == {
        ("facebook-personvern", "written"), ("facebook-krasj", "failed")}
    for text in texts:
        assert FNR not in text and EMAIL not in text and "Klage fra" not in text, text
    artifact = latest_artifact("export-summary")
    assert "**1 skrevet, 0 uendret, 1 feilet**" in artifact
    assert "| facebook-krasj | – | **feilet**: RuntimeError" in artifact


def test_progress_reaches_the_artifact_and_the_listener(tmp_path: Path) -> None:
    from pipeline.batch import progress_listener

    seen: list[tuple[int, int]] = []
    source = write_catalog(tmp_path / "captures", {"a.json": other_thread("a"), "b.json": other_thread("b"),
                                                    "c.json": other_thread("c")})
    with progress_listener(lambda done, total: seen.append((done, total))):
        run = export_threads(bucket=str(tmp_path / "bucket"), source_dir=str(source))
    assert run.ok and len(run.results) == 3
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["export-progress"]))
        )
    newest = max(artifacts, key=lambda a: a.created)
    assert newest.type == "progress" and float(newest.data) == 100.0  # type: ignore[arg-type]


def test_threads_are_orchestrated_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOMEARKIV_EXPORT_BATCH_SIZE", "2")
    source = write_catalog(tmp_path / "captures", {f"{n}.json": other_thread(f"t{n}") for n in range(5)})
    state = export_threads(bucket=str(tmp_path / "bucket"), source_dir=str(source), return_state=True)
    assert state.is_completed() and state.name == "Completed" and len(state.result().results) == 5
    with get_client(sync_client=True) as client:
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[
            state.state_details.flow_run_id])))
    assert sorted(t.name for t in tasks) == ["export-batch-1", "export-batch-2", "export-batch-3"]


def test_the_cli_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from somearkiv.cli import app

    source = write_catalog(tmp_path / "captures", {"a.json": other_thread("a"), "b.json": other_thread("b")})
    args = ["export", "--source", str(source), "--bucket", str(tmp_path / "bucket")]
    shown = CliRunner().invoke(app, args, env={"FORCE_COLOR": "1", "TTY_INTERACTIVE": "1"})
    assert shown.exit_code == 0, shown.output
    assert "Eksporterer tråder" in shown.output and "2/2" in shown.output
    assert "2 pakke(r) skrevet, 0 uendret, 0 feilet." in shown.output
    piped = CliRunner().invoke(app, args, env={"FORCE_COLOR": None, "TTY_COMPATIBLE": None})
    assert piped.exit_code == 0 and "Eksporterer tråder" not in piped.output
    assert "0 pakke(r) skrevet, 2 uendret, 0 feilet." in piped.output
