"""True Prefect flow runs over the bundled samples: one package per thread, idempotent, failures isolated."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
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
