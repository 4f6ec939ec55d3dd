"""Evidence in the package: the raw API exchanges are copied next to the capture and listed in the manifest;
hostile evidence folders (symlinks out, non-gzip, oversized files, FIFOs, odd names) never leak or stop a build."""

from __future__ import annotations

import gzip
import os
from datetime import UTC, datetime
from pathlib import Path

from exporters.evidence import EVIDENCE_DIR, copy_evidence
from exporters.package import build_package
from noark.validate import validate_path
from noark.xsd import validate_xml
from pipeline.export import planned_package_id
from pipeline.settings import Settings
from schemas.package import MANIFEST_NAME, Manifest, sha256_file, thread_key
from sources.connectors.base import Exchange
from sources.evidence import read_evidence, write_evidence
from tests.factories import make_thread

EXPORTED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _exchange(body: bytes) -> Exchange:
    return Exchange(method="GET", url="https://graph.facebook.com/v25.0/1/comments?access_token=SECRET",
                    requested_at=EXPORTED, status=200, headers={"x-app-usage": "{}"}, request_headers={},
                    body=body, elapsed_ms=3)


def _evidence_folder(root: Path) -> Path:
    thread = make_thread()
    folder = root / "evidence" / thread_key(thread.platform, thread.thread_id)
    folder.mkdir(parents=True)
    return folder


def test_evidence_is_copied_next_to_the_capture_and_in_the_manifest(tmp_path: Path, xsd_dir: Path) -> None:
    capture = tmp_path / "capture-folder"
    folder = _evidence_folder(capture)
    first = write_evidence([_exchange(b'{"data": []}')], folder / "20261124T100000000000Z.jsonl.gz")
    write_evidence([_exchange(b'{"data": [1]}')], folder / "20261125T100000000000Z.jsonl.gz")
    (capture / "media").mkdir()
    thread = make_thread()
    built = build_package(thread, None, media_dir=capture / "media", work_dir=tmp_path / "work",
                          exported_at=EXPORTED, ctx=Settings().noark())
    manifest = Manifest.model_validate_json((built.directory / MANIFEST_NAME).read_bytes())
    evidence = [f for f in manifest.files if f.role == "evidence"]
    assert [f.path for f in evidence] == [f"{EVIDENCE_DIR}/20261124T100000000000Z.jsonl.gz",
                                          f"{EVIDENCE_DIR}/20261125T100000000000Z.jsonl.gz"]
    assert evidence[0].sha256 == first == sha256_file(built.directory / evidence[0].path)
    assert {f.mime_type for f in evidence} == {"application/x-ndjson+gzip"}
    records = list(read_evidence(built.directory / evidence[0].path))
    assert records[0]["url"].endswith("access_token=REDACTED") and "SECRET" not in str(records)
    # the package id is the capture's, evidence or not; the metadata stays valid
    assert built.package_id == planned_package_id(thread)
    assert validate_xml((built.directory / "arkivstruktur.xml").read_bytes(), "arkivstruktur", xsd_dir) == []
    assert "evidence" not in (built.directory / "arkivstruktur.xml").read_text()  # not a dokumentobjekt
    assert not [w for w in built.warnings if "bevisfil" in str(w)]
    report = validate_path(built.directory, xsd_dir)  # somearkiv validate accepts the extra files
    assert [f for f in report.findings if f.severity == "error"] == []


def test_hostile_evidence_files_are_skipped_with_a_warning(tmp_path: Path) -> None:
    capture = tmp_path / "capture-folder"
    folder = _evidence_folder(capture)
    outside = tmp_path / "secret.jsonl.gz"
    outside.write_bytes(gzip.compress(b"top secret"))
    (folder / "link.jsonl.gz").symlink_to(outside)  # a symlink: never followed
    (folder / "plain.jsonl.gz").write_bytes(b"not gzip at all")
    os.mkfifo(folder / "fifo.jsonl.gz")  # never opened (would block)
    (folder / "dir.jsonl.gz").mkdir()
    (folder / "other.txt").write_bytes(gzip.compress(b"x"))  # not evidence by name
    good = gzip.compress("ok ‮ \x07".encode())
    (folder / "ø ‮evil\x07.jsonl.gz").write_bytes(good)
    (folder / "big.jsonl.gz").write_bytes(gzip.compress(os.urandom(4096)))
    warnings: list[str] = []
    root = tmp_path / "pkg"
    copied = copy_evidence(make_thread(), capture, root, warnings, limit=2048)
    assert len(copied) == 1
    rel = copied[0][0]
    assert rel.startswith(EVIDENCE_DIR + "/") and rel.isascii() and "\x07" not in rel
    assert (root / rel).read_bytes() == good
    assert any("plain.jsonl.gz" in w and "gzip" in w for w in warnings)
    assert any("big.jsonl.gz" in w and "grensen" in w for w in warnings)
    assert len(warnings) == 2
    # the refused copies left nothing behind
    assert [p.name for p in (root / EVIDENCE_DIR).iterdir()] == [rel.rsplit("/", 1)[-1]]


def test_evidence_folder_that_is_a_symlink_out_of_the_capture_folder_is_not_read(tmp_path: Path) -> None:
    capture = tmp_path / "capture-folder"
    capture.mkdir()
    elsewhere = tmp_path / "elsewhere"
    key = thread_key(make_thread().platform, make_thread().thread_id)
    (elsewhere / key).mkdir(parents=True)
    (elsewhere / key / "x.jsonl.gz").write_bytes(gzip.compress(b"outside"))
    (capture / "evidence").symlink_to(elsewhere)
    warnings: list[str] = []
    assert copy_evidence(make_thread(), capture, tmp_path / "pkg", warnings) == []
    assert warnings and "peker ut av mappen" in warnings[0]
    assert not (tmp_path / "pkg" / EVIDENCE_DIR / "x.jsonl.gz").exists()


def test_thread_key_folder_with_tricks_finds_nothing_outside(tmp_path: Path) -> None:
    capture = tmp_path / "c"
    (capture / "evidence").mkdir(parents=True)
    (capture / "etc").mkdir()
    (capture / "etc" / "x.jsonl.gz").write_bytes(gzip.compress(b"x"))
    thread = make_thread(thread_id="../../etc")  # a hostile id: its key is escaped, never a path
    assert copy_evidence(thread, capture, tmp_path / "pkg", []) == []
    assert copy_evidence(make_thread(), None, tmp_path / "pkg", []) == []


def test_sparse_huge_evidence_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    capture = tmp_path / "c"
    folder = _evidence_folder(capture)
    with (folder / "huge.jsonl.gz").open("wb") as handle:
        handle.write(b"\x1f\x8b")
        handle.truncate((1 << 30) + 10)  # sparse: a 1 GiB file on disk costs nothing
    warnings: list[str] = []
    assert copy_evidence(make_thread(), capture, tmp_path / "pkg", warnings, limit=1 << 20) == []
    assert "grensen" in warnings[0]
    assert not list((tmp_path / "pkg").rglob("huge*"))
