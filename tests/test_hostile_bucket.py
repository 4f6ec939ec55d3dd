"""A tampered local bucket read by verify, approve and the web app's package copy: nothing outside a package is
read, a FIFO never hangs a reader, and every refusal is one Norwegian line naming the package."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.review import ApprovalError, approve_package
from schemas.package import MANIFEST_NAME
from storage.base import SinkError
from storage.config import RetentionPolicy
from storage.fixity import verify_bucket
from storage.local import LocalSink
from tests.s3_server import make_package
from web.package_view import local_copy

RETENTION = RetentionPolicy("COMPLIANCE", 1)
SECRET = b"SECRET outside the bucket\n"


def _bucket(tmp_path: Path) -> tuple[LocalSink, str, str]:
    sink = LocalSink(tmp_path / "bucket")
    ids = []
    for thread in ("111", "222"):
        package_dir, manifest = make_package(tmp_path / "staging", thread_id=thread)
        sink.put_package(package_dir, manifest)
        ids.append(manifest.package_id)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_bytes(SECRET)
    return sink, ids[0], ids[1]


def _writable(path: Path) -> None:
    for folder, _dirs, files in os.walk(path):
        os.chmod(folder, 0o755)
        for name in files:
            if not os.path.islink(os.path.join(folder, name)):
                os.chmod(os.path.join(folder, name), 0o644)


def _rewrite_manifest(sink: LocalSink, package_id: str, change: Callable[[dict[str, object]], object]) -> None:
    path = sink.root / package_id / MANIFEST_NAME
    _writable(sink.root / package_id)
    data = json.loads(path.read_bytes())
    result = change(data)
    path.write_text(result if isinstance(result, str) else json.dumps(data), encoding="utf-8")


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and "validation error" not in text and "pydantic" not in text, text
    return text


def _assert_refused_everywhere(sink: LocalSink, package_id: str, cache: Path) -> None:
    report = verify_bucket(sink)
    assert any(p.where.startswith(package_id) for p in report.problems), report.problems
    with pytest.raises(ApprovalError) as approval:
        approve_package(sink, package_id, approved=True, by="arkivar", retention=RETENTION)
    assert package_id in _one_line(approval.value)
    with pytest.raises(SinkError) as copy:
        local_copy(sink, package_id, cache)
    assert package_id in _one_line(copy.value)
    assert not any(SECRET in p.read_bytes() for p in cache.rglob("*") if p.is_file() and not p.is_symlink())


@pytest.mark.parametrize("trick", ["dotdot", "absolute", "backslash", "duplicate", "manifest-itself"])
def test_a_manifest_leading_out_of_its_package_or_listing_a_file_twice_is_refused(tmp_path: Path, trick: str) -> None:
    sink, package_id, other = _bucket(tmp_path)

    def change(data: dict[str, object]) -> None:
        files = data["files"]
        assert isinstance(files, list)
        if trick == "dotdot":
            files[0]["path"] = f"../{other}/arkivstruktur.xml"
        elif trick == "absolute":
            files[0]["path"] = str(tmp_path / "outside" / "secret.txt")
        elif trick == "backslash":
            files[0]["path"] = f"..\\{other}\\arkivstruktur.xml"
        elif trick == "duplicate":
            files.append(dict(files[0]))
        else:
            files[0]["path"] = MANIFEST_NAME

    _rewrite_manifest(sink, package_id, change)

    with pytest.raises(SinkError) as refused:
        sink.read_manifest(package_id)
    assert package_id in _one_line(refused.value)
    _assert_refused_everywhere(sink, package_id, tmp_path / "cache")
    assert sink.read_manifest(other).package_id == other  # the other package is untouched and still readable


@pytest.mark.parametrize("where", ["folder-in-package", "package-folder"])
def test_a_symlinked_folder_never_leads_a_reader_out_of_the_bucket(tmp_path: Path, where: str) -> None:
    """The link target holds byte-identical copies, so only the link itself betrays the tampering."""
    sink, package_id, _ = _bucket(tmp_path)
    package = sink.root / package_id
    _writable(package)
    if where == "folder-in-package":
        shutil.copytree(package / "DOKUMENT", tmp_path / "outside" / "DOKUMENT")
        (tmp_path / "outside" / "DOKUMENT" / "secret.txt").write_bytes(SECRET)
        shutil.rmtree(package / "DOKUMENT")
        os.symlink(tmp_path / "outside" / "DOKUMENT", package / "DOKUMENT")
    else:
        shutil.move(package, tmp_path / "outside" / package_id)
        os.symlink(tmp_path / "outside" / package_id, package)

    inside = "arkivstruktur.xml" if where == "package-folder" else f"DOKUMENT/{package_id}.pdf"
    with pytest.raises(SinkError, match="symbolsk lenke"), sink.open_file(package_id, inside) as stream:
        stream.read()
    _assert_refused_everywhere(sink, package_id, tmp_path / "cache")


def _finishes(work: Callable[[], object], seconds: float = 20) -> object:
    """``work()``'s result, or a test failure if it blocks (run in a daemon thread that may stay stuck)."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # handed back to the test
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert outcome, f"blocked for more than {seconds} s"
    return outcome[0]


def test_a_fifo_in_a_package_is_refused_and_never_hangs_a_reader(tmp_path: Path) -> None:
    sink, package_id, _ = _bucket(tmp_path)
    package = sink.root / package_id
    _writable(package)
    target = package / "arkivstruktur.xml"
    target.unlink()
    os.mkfifo(target)
    try:
        report = _finishes(lambda: verify_bucket(sink))
        assert not isinstance(report, BaseException), report
        assert any(p.where.startswith(package_id) for p in report.problems)  # type: ignore[attr-defined]
        assert report.packages == 2  # type: ignore[attr-defined]
        copied = _finishes(lambda: local_copy(sink, package_id, tmp_path / "cache"))
        assert isinstance(copied, SinkError) and package_id in _one_line(copied), copied
        approved = _finishes(lambda: approve_package(sink, package_id, approved=True, by="arkivar",
                                                     retention=RETENTION))
        assert isinstance(approved, ApprovalError), approved
    finally:  # release a reader stuck on the FIFO (only if the test failed)
        with contextlib.suppress(OSError):
            os.close(os.open(target, os.O_WRONLY | os.O_NONBLOCK))


def test_a_deeply_nested_manifest_is_one_line_for_approve(tmp_path: Path) -> None:
    sink, package_id, _ = _bucket(tmp_path)
    _rewrite_manifest(sink, package_id, lambda data: "[" * 100_000 + "]" * 100_000)

    with pytest.raises(ApprovalError) as refused:
        approve_package(sink, package_id, approved=True, by="arkivar", retention=RETENTION)
    assert package_id in _one_line(refused.value)
    assert any(p.where.startswith(package_id) for p in verify_bucket(sink).problems)


@pytest.mark.parametrize("comment", ["ødelagt \udced\udca0\udc80 koding", "\ud800", "k" * 10_001])
def test_an_unstorable_review_comment_is_refused_with_one_line(tmp_path: Path, comment: str) -> None:
    sink, package_id, _ = _bucket(tmp_path)
    for approved in (False, True):
        with pytest.raises(ApprovalError) as refused:
            approve_package(sink, package_id, approved=approved, by="arkivar", comment=comment, retention=RETENTION)
        assert package_id in _one_line(refused.value)
    assert sink.read_review(package_id) is None
    ok = approve_package(sink, package_id, approved=False, by="arkivar", comment="\u202eRTL \U0001f600 ok",
                         retention=RETENTION)
    assert ok.comment == "\u202eRTL \U0001f600 ok"
