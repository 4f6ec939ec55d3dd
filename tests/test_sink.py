"""The sink contract, run against both the local folder and S3 (moto server): layout, atomicity, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from schemas.package import MANIFEST_NAME
from storage.base import PutResult, Sink, SinkError
from storage.fixity import verify_bucket
from storage.local import LocalSink
from storage.s3 import S3Sink
from tests.s3_server import make_package


def test_put_package_stores_every_file_and_the_manifest(any_sink: Sink, tmp_path: Path) -> None:
    package_dir, manifest = make_package(tmp_path / "staging")

    result = any_sink.put_package(package_dir, manifest)

    assert isinstance(any_sink, Sink)
    assert not result.skipped
    assert result.written == [entry.path for entry in manifest.files] + [MANIFEST_NAME]
    assert result.url == any_sink.package_url(manifest.package_id)
    assert result.url.startswith(any_sink.url + "/")
    assert any_sink.list_packages() == [manifest.package_id]
    assert any_sink.has_package(manifest.package_id)
    assert any_sink.read_manifest(manifest.package_id) == manifest
    for entry in manifest.files:
        assert any_sink.read_bytes(manifest.package_id, entry.path) == (package_dir / entry.path).read_bytes()
    stored = sorted(obj.path for obj in any_sink.iter_objects(manifest.package_id))
    assert stored == sorted([entry.path for entry in manifest.files] + [MANIFEST_NAME])


def test_second_put_of_a_complete_package_writes_nothing(any_sink: Sink, tmp_path: Path) -> None:
    package_dir, manifest = make_package(tmp_path / "staging")
    any_sink.put_package(package_dir, manifest)

    again = any_sink.put_package(package_dir, manifest)

    assert again == PutResult(package_id=manifest.package_id, url=again.url, written=[], skipped=True)
    assert any_sink.list_packages() == [manifest.package_id]


def test_exception_during_a_later_file_leaves_no_package_and_a_rerun_completes_it(
    any_sink: Sink, tmp_path: Path
) -> None:
    package_dir, manifest = make_package(
        tmp_path / "staging", files={f"DOKUMENT/vedlegg-{i}.png": b"x" * i for i in range(5)}
    )

    def fail_on_third(entry: object) -> None:
        if entry == manifest.files[2]:
            raise RuntimeError("exporter crashed")

    with pytest.raises(RuntimeError, match="exporter crashed"):
        any_sink.put_package(package_dir, manifest, on_file=fail_on_third)
    assert any_sink.list_packages() == []
    assert not any_sink.has_package(manifest.package_id)
    assert verify_bucket(any_sink).packages == 0

    rerun = any_sink.put_package(package_dir, manifest)

    assert not rerun.skipped
    already_there = [entry.path for entry in manifest.files[:3]]
    assert rerun.written == [entry.path for entry in manifest.files[3:]] + [MANIFEST_NAME]
    assert not set(already_there) & set(rerun.written)
    assert any_sink.list_packages() == [manifest.package_id]
    assert verify_bucket(any_sink).ok


def test_a_file_that_disappears_midway_fails_naming_package_and_file(any_sink: Sink, tmp_path: Path) -> None:
    package_dir, manifest = make_package(tmp_path / "staging")
    last = manifest.files[-1].path
    saved = (package_dir / last).read_bytes()

    def remove_last_file(entry: object) -> None:
        if entry == manifest.files[0]:
            (package_dir / last).unlink()

    with pytest.raises(SinkError, match=rf"pakke {manifest.package_id}: fil {last}"):
        any_sink.put_package(package_dir, manifest, on_file=remove_last_file)
    assert any_sink.list_packages() == []

    (package_dir / last).write_bytes(saved)
    assert not any_sink.put_package(package_dir, manifest).skipped
    assert any_sink.list_packages() == [manifest.package_id]


def test_a_file_that_differs_from_its_manifest_is_refused(any_sink: Sink, tmp_path: Path) -> None:
    package_dir, manifest = make_package(tmp_path / "staging")
    target = package_dir / "arkivstruktur.xml"
    target.write_bytes(target.read_bytes().upper())  # same size, other SHA-256

    with pytest.raises(SinkError, match=rf"pakke {manifest.package_id}: fil arkivstruktur.xml.*SHA-256"):
        any_sink.put_package(package_dir, manifest)
    assert any_sink.list_packages() == []


def test_a_missing_source_file_is_refused_before_anything_is_written(any_sink: Sink, tmp_path: Path) -> None:
    package_dir, manifest = make_package(tmp_path / "staging")
    (package_dir / "arkivstruktur.xml").unlink()

    with pytest.raises(SinkError, match=rf"pakke {manifest.package_id}: fil arkivstruktur.xml finnes ikke"):
        any_sink.put_package(package_dir, manifest)
    assert list(any_sink.iter_objects(manifest.package_id)) == []


@pytest.mark.parametrize("bad_path", ["../escape.pdf", "/etc/passwd", "a//b", "manifest.json", "a\\b"])
def test_unsafe_manifest_paths_are_refused(local_sink: LocalSink, tmp_path: Path, bad_path: str) -> None:
    package_dir, manifest = make_package(tmp_path / "staging")
    entry = manifest.files[0].model_copy(update={"path": bad_path})
    manifest = manifest.model_copy(update={"files": [entry]})

    with pytest.raises(SinkError, match="usikker filsti"):
        local_sink.put_package(package_dir, manifest)


def test_latest_package_for_picks_the_newest_complete_package_of_the_thread(any_sink: Sink, tmp_path: Path) -> None:
    start = datetime(2026, 11, 1, 12, tzinfo=UTC)
    versions = []
    for day in (0, 2, 1):
        package_dir, manifest = make_package(
            tmp_path / "staging", capture=f"v{day}".encode(), created_at=start + timedelta(days=day)
        )
        any_sink.put_package(package_dir, manifest)
        versions.append(manifest)
    other_dir, other = make_package(tmp_path / "staging", thread_id="123_456-7", created_at=start + timedelta(days=9))
    any_sink.put_package(other_dir, other)
    newest_dir, newest_incomplete = make_package(
        tmp_path / "staging", capture=b"v9", created_at=start + timedelta(days=9)
    )

    def crash(entry: object) -> None:
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        any_sink.put_package(newest_dir, newest_incomplete, on_file=crash)

    latest = any_sink.latest_package_for(versions[0].thread_key)

    assert latest == versions[1]
    assert any_sink.latest_package_for(other.thread_key) == other
    assert any_sink.latest_package_for("facebook-unknown") is None


def test_packages_without_manifest_are_invisible(any_sink: Sink, tmp_path: Path) -> None:
    package_dir, manifest = make_package(tmp_path / "staging")

    def crash_at_end(entry: object) -> None:
        if entry == manifest.files[-1]:
            raise RuntimeError("killed before the manifest")

    with pytest.raises(RuntimeError):
        any_sink.put_package(package_dir, manifest, on_file=crash_at_end)

    assert len(list(any_sink.iter_objects(manifest.package_id))) == len(manifest.files)
    assert any_sink.list_packages() == []
    assert any_sink.latest_package_for(manifest.thread_key) is None


def test_sink_url_and_repr_have_no_secrets(any_sink: Sink) -> None:
    assert repr(any_sink).startswith(type(any_sink).__name__)
    if isinstance(any_sink, S3Sink):
        assert any_sink.url == f"s3://{any_sink.bucket}/archive"
        assert "SECRET" not in repr(any_sink) and "test-access-key-id" not in repr(any_sink)
    else:
        assert any_sink.url.startswith("file:///")


@pytest.mark.parametrize("how", ["file-link", "folder-link"])
def test_symlinks_in_the_staged_package_are_refused(any_sink: Sink, tmp_path: Path, how: str) -> None:
    """Nothing outside the package folder is uploaded, even if the builder was tricked into linking it."""
    secret = tmp_path / "outside" / ".env"
    secret.parent.mkdir()
    secret.write_bytes(b"S3_KEY=hunter2\n")
    package_dir, manifest = make_package(tmp_path / "staging", files={"DOKUMENT/vedlegg-1.png": secret.read_bytes()})
    target = package_dir / "DOKUMENT/vedlegg-1.png"
    if how == "file-link":
        target.unlink()
        target.symlink_to(secret)
    else:  # a real file, but in a folder outside the package reached through a linked folder
        (package_dir / "DOKUMENT").rename(tmp_path / "moved")
        (package_dir / "DOKUMENT").symlink_to(tmp_path / "moved")

    with pytest.raises(SinkError, match="symbolsk lenke eller peker ut av pakkemappen"):
        any_sink.put_package(package_dir, manifest)
    assert list(any_sink.iter_objects(manifest.package_id)) == []


def test_a_legal_long_file_name_is_stored(any_sink: Sink, tmp_path: Path) -> None:
    """A 250-byte name is legal; the temporary name used while copying must not push it over 255 bytes."""
    name = "DOKUMENT/" + "æ" * 120 + "-vedlegg.png"  # 240 + 13 bytes in UTF-8
    package_dir, manifest = make_package(tmp_path / "staging", files={name: b"png"})

    any_sink.put_package(package_dir, manifest)

    assert any_sink.read_bytes(manifest.package_id, name) == b"png"
    assert verify_bucket(any_sink).ok


@pytest.mark.parametrize(
    "bad_path",
    ["DOKUMENT/a\x00b.png", "DOKUMENT/a\nb.png", "DOKUMENT/" + "a" * 256, "a/" * 400 + "x", "DOKUMENT/\ud800.png"],
)
def test_paths_with_control_characters_or_too_long_are_refused(
    local_sink: LocalSink, tmp_path: Path, bad_path: str
) -> None:
    package_dir, manifest = make_package(tmp_path / "staging")
    entry = manifest.files[0].model_copy(update={"path": bad_path})
    manifest = manifest.model_copy(update={"files": [entry]})

    with pytest.raises(SinkError, match="usikker filsti"):
        local_sink.put_package(package_dir, manifest)
    assert not local_sink.root.exists() or local_sink.list_packages() == []
