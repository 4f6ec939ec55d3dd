"""Hostile media paths and names: nothing outside the media folder is read, package names are safe and unique."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import exporters.package as package_module
from exporters.package import build_package
from pipeline.export import upload_package
from pipeline.settings import Settings
from schemas.package import MANIFEST_NAME, MAX_NAME_BYTES, Manifest
from schemas.text import escape_unsafe
from sources.files import FileMissingError, PathRefusedError, open_inside, resolve_inside
from storage.base import check_manifest
from storage.factory import open_sink
from tests.hostile import HOSTILE_PATHS, LONG_NAME, SECRET, hostile_media, thread_with_media

EXPORTED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("path", [p for p in HOSTILE_PATHS if p != "missing.png"])
def test_a_path_out_of_the_media_folder_or_not_a_regular_file_is_refused(tmp_path: Path, path: str) -> None:
    hostile_media(tmp_path)
    where = "tråd facebook/1: element c9: media[0].path"
    with pytest.raises(PathRefusedError) as caught, open_inside(tmp_path / "media", path, where=where) as handle:
        handle.read()
    assert str(caught.value).startswith(where)


def test_safe_paths_resolve_inside_and_a_missing_file_is_named(tmp_path: Path) -> None:
    good = hostile_media(tmp_path)
    media = tmp_path / "media"
    for path, data in good.items():
        with open_inside(media, path, where="x") as handle:
            assert handle.read() == data
    assert resolve_inside(media, "inside-link.png", where="x") == (media / "a" / "x.png").resolve()
    with pytest.raises(FileMissingError, match=r"element c1: media\[0\].path .missing.png.: filen ble ikke samlet inn"):
        resolve_inside(media, "missing.png", where="element c1: media[0].path")


def _build(tmp_path: Path, paths: list[str]):
    hostile_media(tmp_path)
    thread = thread_with_media(paths)
    return build_package(
        thread, None, media_dir=tmp_path / "media", work_dir=tmp_path / "work", exported_at=EXPORTED,
        ctx=Settings().noark(),
    )


def test_hostile_media_never_reach_the_package_and_the_thread_still_exports(tmp_path: Path) -> None:
    built = _build(tmp_path, HOSTILE_PATHS)
    root = built.directory
    assert (root / MANIFEST_NAME).is_file()
    hostname = Path("/etc/hostname").read_bytes() if Path("/etc/hostname").is_file() else SECRET
    for path in root.rglob("*"):
        if path.is_file() and path.name != MANIFEST_NAME and not path.name.endswith((".pdf", ".xml", ".json")):
            pytest.fail(f"{path.relative_to(root)} was copied from a hostile path")
        if path.is_file() and path.suffix not in {".pdf"}:
            data = path.read_bytes()
            assert SECRET not in data and (hostname not in data or len(hostname) < 4)
    manifest = Manifest.model_validate_json((root / MANIFEST_NAME).read_bytes())
    roles = {f.role for f in manifest.files}  # "skjermet": the screening's redacted variant, when it found something
    assert {"hoveddokument", "capture", "metadata"} <= roles <= {"hoveddokument", "capture", "metadata", "skjermet"}
    for index, path in enumerate(HOSTILE_PATHS):
        assert any(f"element p1: media[{index}].path (media m{index})" in str(w) for w in built.warnings), path
    assert all("tråd facebook/100_200" in str(w) for w in built.warnings if "media[" in str(w))


def test_same_base_names_long_names_and_links_inside_get_safe_unique_names(tmp_path: Path) -> None:
    paths = ["a/x.png", "b/x.png", LONG_NAME, "inside-link.png", "a/x.png"]
    built = _build(tmp_path, paths)
    manifest = Manifest.model_validate_json((built.directory / MANIFEST_NAME).read_bytes())
    media = [f for f in manifest.files if f.role == "media"]
    assert len(media) == 4  # the repeated a/x.png is copied once
    names = [f.path.removeprefix("media/") for f in media]
    assert len(set(names)) == 4 and names[:2] == ["x.png", "x-2.png"]
    assert all(len(name.encode()) <= MAX_NAME_BYTES and name.endswith(".png") for name in names)
    good = {"a/x.png": (tmp_path / "media/a/x.png").read_bytes(), "b/x.png": (tmp_path / "media/b/x.png").read_bytes()}
    assert (built.directory / media[0].path).read_bytes() == good["a/x.png"]
    assert (built.directory / media[1].path).read_bytes() == good["b/x.png"]
    check_manifest(manifest)
    assert [w for w in built.warnings if "shots/c3.png" not in str(w)] == []
    sink = open_sink(str(tmp_path / "bucket"))
    upload_package(built, sink)  # the bucket's temporary names stay within the file name limit
    assert sink.list_packages() == [built.package_id]


def test_a_failed_build_leaves_no_partial_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_args, **_kwargs):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(package_module, "render_thread_pdf", crash)
    with pytest.raises(RuntimeError, match="renderer crashed"):
        _build(tmp_path, ["a/x.png"])
    assert list((tmp_path / "work").iterdir()) == []


def test_threads_with_clashing_or_overlong_ids_become_distinct_packages_in_a_bucket(tmp_path: Path) -> None:
    from tests.hostile import other_thread

    sink = open_sink(str(tmp_path / "bucket"))
    ids = ["kollisjon/1", "kollisjon-1", "x" * 1000, "x" * 999 + "/", "ø/..", "-", "\u202e\x07"]
    for thread_id in ids:
        built = build_package(
            other_thread(thread_id), None, media_dir=None, work_dir=tmp_path / "work", exported_at=EXPORTED,
            ctx=Settings().noark(),
        )
        assert len(built.package_id.encode()) <= 200
        upload_package(built, sink)
    packages = sink.list_packages()
    assert len(packages) == len(ids)
    assert {sink.read_manifest(p).thread_id for p in packages} == {escape_unsafe(i) for i in ids}
