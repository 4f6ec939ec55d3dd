"""Package assembly as plain functions: contents, manifest, versions, missing media, local bucket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from exporters.package import CAPTURE_PATH, BuiltPackage, build_package
from noark.xsd import validate_xml
from pipeline.export import ExportConfig, ExportResult, planned_package_id, stage_thread, upload_package
from pipeline.settings import Settings
from schemas.capture import capture_bytes
from schemas.package import MANIFEST_NAME, Manifest, sha256_file
from schemas.thread import Flag, Media
from sources.capture import parse_thread
from storage.factory import open_sink
from tests.factories import make_thread

EXPORTED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FLAG = Flag(
    thread_url="https://www.facebook.com/fjordvikkommune/posts/200",
    kind="journal-required",
    case_number="2026/1042",
    flagged_by="redaktor@fjordvik.kommune.no",
    flagged_at=EXPORTED - timedelta(days=1),
)


def _media_dir(tmp_path: Path) -> Path:
    media = tmp_path / "media"
    (media / "shots").mkdir(parents=True)
    Image.new("RGB", (320, 120), (240, 240, 240)).save(media / "shots" / "c3.png")
    return media


def test_package_holds_pdf_screenshot_capture_xml_and_a_complete_manifest(tmp_path: Path, xsd_dir: Path) -> None:
    thread = make_thread()
    built = build_package(
        thread,
        FLAG,
        media_dir=_media_dir(tmp_path),
        work_dir=tmp_path / "work",
        exported_at=EXPORTED,
        ctx=_ctx(),
    )
    root = built.directory
    assert built.package_id == planned_package_id(thread) == root.name
    manifest = Manifest.model_validate_json((root / MANIFEST_NAME).read_bytes())
    roles = {f.path: f.role for f in manifest.files}
    assert roles[f"DOKUMENT/{built.package_id}.pdf"] == "hoveddokument"
    assert roles["DOKUMENT/vedlegg-c3-c3.png"] == "vedlegg"
    assert roles[CAPTURE_PATH] == "capture"
    assert roles["arkivstruktur.xml"] == roles["arkivmelding.xml"] == "metadata"
    assert (root / CAPTURE_PATH).read_bytes() == capture_bytes(thread)
    assert parse_thread((root / CAPTURE_PATH).read_bytes()) == thread
    for entry in manifest.files:
        assert sha256_file(root / entry.path) == entry.sha256
    assert manifest.flag == FLAG
    assert built.package_id.endswith(manifest.capture_sha256[:16])
    assert validate_xml(root / "arkivstruktur.xml", "arkivstruktur", xsd_dir) == []
    assert built.warnings == []


def test_missing_media_is_reported_not_fatal(tmp_path: Path) -> None:
    thread = make_thread()
    post = thread.post.model_copy(update={"media": [Media(id="m9", path="gone.jpg")]})
    built = build_package(
        thread.model_copy(update={"post": post}),
        FLAG,
        media_dir=_media_dir(tmp_path),
        work_dir=tmp_path / "w",
        exported_at=EXPORTED,
        ctx=_ctx(),
    )
    assert any("m9" in str(w) and "gone.jpg" in str(w) and "100_200" in str(w) for w in built.warnings)
    assert (built.directory / MANIFEST_NAME).is_file()


def test_changed_thread_becomes_a_new_version_linked_to_the_previous(tmp_path: Path) -> None:
    settings = Settings(work_dir=tmp_path / "work", bucket=str(tmp_path / "bucket"))
    sink = open_sink(settings.bucket)
    config = ExportConfig(work_dir=settings.work_dir, noark=settings.noark(), pdfa_part=settings.pdfa_part)
    media = _media_dir(tmp_path)
    first = stage_thread(make_thread(), FLAG, sink=sink, media_dir=media, config=config, exported_at=EXPORTED)
    assert isinstance(first, BuiltPackage)
    upload_package(first, sink)
    again = stage_thread(make_thread(), FLAG, sink=sink, media_dir=media, config=config, exported_at=EXPORTED)
    assert isinstance(again, ExportResult) and again.status == "unchanged" and again.package_id == first.package_id

    changed = make_thread(captured_at=make_thread().captured_at + timedelta(hours=6))
    second = stage_thread(changed, FLAG, sink=sink, media_dir=media, config=config, exported_at=EXPORTED)
    assert isinstance(second, BuiltPackage) and second.package_id != first.package_id
    assert second.manifest.previous_package_id == first.package_id
    upload_package(second, sink)
    assert sink.list_packages() == sorted([first.package_id, second.package_id])


def _ctx():
    return Settings().noark()


def test_text_xml_cannot_hold_is_escaped_in_xml_and_pdf_and_verbatim_in_the_capture(
    tmp_path: Path, xsd_dir: Path
) -> None:
    hostile = "Høring\x07 om vei \ud800 og \x00 bro"
    thread = make_thread(post=make_thread().post.model_copy(update={"text": hostile}))
    built = build_package(
        thread, FLAG, media_dir=_media_dir(tmp_path), work_dir=tmp_path / "w", exported_at=EXPORTED, ctx=_ctx()
    )
    root = built.directory
    assert parse_thread((root / CAPTURE_PATH).read_bytes()).post.text == hostile
    for name, schema in (("arkivstruktur.xml", "arkivstruktur"), ("arkivmelding.xml", "arkivmelding")):
        assert validate_xml(root / name, schema, xsd_dir) == [], name
    xml = (root / "arkivstruktur.xml").read_text(encoding="utf-8")
    assert "Høring⟨U+0007⟩ om vei ⟨U+D800⟩ og ⟨U+0000⟩ bro" in xml
    text = "".join(p.extract_text() for p in PdfReader(root / f"DOKUMENT/{built.package_id}.pdf").pages)
    assert "⟨U+0007⟩" in text and "⟨U+D800⟩" in text


def test_each_run_stages_privately_and_clears_what_a_killed_run_left(tmp_path: Path) -> None:
    import socket
    import subprocess

    from pipeline.export import private_staging
    from schemas.package import safe_segment

    host = safe_segment(socket.gethostname())
    dead = subprocess.Popen(["true"])
    dead.wait()
    abandoned = tmp_path / f"run-{host}-{dead.pid}-abc"
    live = tmp_path / f"run-{host}-1-abc"  # pid 1 is alive
    elsewhere = tmp_path / f"run-otherhost-{dead.pid}-abc"
    for folder in (abandoned, live, elsewhere):
        (folder / "pkg").mkdir(parents=True)
    with private_staging(tmp_path) as first, private_staging(tmp_path) as second:
        assert first != second and first.parent == second.parent == tmp_path
        (first / "x").write_text("mine", encoding="utf-8")
        assert not abandoned.exists() and live.is_dir() and elsewhere.is_dir()
    assert not first.exists() and not second.exists()
