"""Fixity checks against both sinks: tampered, deleted and extra objects are each reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.findings import Finding
from schemas.package import MANIFEST_NAME, Manifest
from storage.base import Sink
from storage.fixity import verify_bucket
from storage.local import LocalSink
from storage.s3 import S3Sink
from tests.s3_server import make_package


def _write_raw(sink: Sink, package_id: str, path: str, data: bytes) -> None:
    """Change the bucket behind the sink's back, like a faulty disk or a careless admin."""
    if isinstance(sink, S3Sink):
        sink.client.put_object(Bucket=sink.bucket, Key=f"{sink.prefix}/{package_id}/{path}", Body=data)
    else:
        assert isinstance(sink, LocalSink)
        target = sink.root / package_id / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _delete_raw(sink: Sink, package_id: str, path: str) -> None:
    if isinstance(sink, S3Sink):
        sink.client.delete_object(Bucket=sink.bucket, Key=f"{sink.prefix}/{package_id}/{path}")
    else:
        assert isinstance(sink, LocalSink)
        (sink.root / package_id / path).unlink()


@pytest.fixture
def two_packages(any_sink: Sink, tmp_path: Path) -> tuple[Manifest, Manifest]:
    manifests = []
    for thread in ("111", "222"):
        package_dir, manifest = make_package(tmp_path / "staging", thread_id=thread)
        any_sink.put_package(package_dir, manifest)
        manifests.append(manifest)
    return manifests[0], manifests[1]


def test_an_untouched_bucket_passes(any_sink: Sink, two_packages: tuple[Manifest, Manifest]) -> None:
    report = verify_bucket(any_sink)

    assert report.ok and report.problems == []
    assert report.packages == 2
    assert report.files == sum(len(m.files) for m in two_packages)
    assert report.bytes == sum(entry.size for m in two_packages for entry in m.files)
    assert report.bucket_url == any_sink.url
    assert report.to_text().startswith(f"fixitetskontroll av {any_sink.url}: OK; 2 pakke(r)")


def test_tampered_deleted_and_extra_objects_are_each_reported(
    any_sink: Sink, two_packages: tuple[Manifest, Manifest]
) -> None:
    first, second = two_packages
    pdf = f"DOKUMENT/{first.package_id}.pdf"
    original = any_sink.read_bytes(first.package_id, pdf)
    _write_raw(any_sink, first.package_id, pdf, original[:-1] + b"X")  # same size, other content
    _write_raw(any_sink, first.package_id, "arkivstruktur.xml", b"<arkivstruktur>longer</arkivstruktur>\n")
    _delete_raw(any_sink, second.package_id, "capture/thread.json")
    _write_raw(any_sink, second.package_id, "DOKUMENT/smuggled.png", b"not in the manifest")

    report = verify_bucket(any_sink)

    assert not report.ok
    assert [(p.where, p.rule) for p in report.problems] == [
        (f"{first.package_id}/{pdf}", "changed"),
        (f"{first.package_id}/arkivstruktur.xml", "changed"),
        (f"{second.package_id}/capture/thread.json", "missing"),
        (f"{second.package_id}/DOKUMENT/smuggled.png", "extra"),
    ]
    assert all(isinstance(p, Finding) and p.severity == "error" for p in report.problems)
    assert "SHA-256" in report.problems[0].message
    assert report.problems[1].message.startswith("størrelse ")
    text = report.to_text()
    assert "4 avvik" in text
    assert f"MANGLER    {second.package_id}/capture/thread.json\n" in text
    assert f"ENDRET     {first.package_id}/{pdf}: SHA-256 " in text
    for problem in report.problems:
        assert problem.where in text
    assert "| mangler |" in report.to_markdown()
    assert report.to_dict()["ok"] is False


def test_incomplete_packages_are_not_checked(any_sink: Sink, tmp_path: Path) -> None:
    package_dir, manifest = make_package(tmp_path / "staging")

    def crash(entry: object) -> None:
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        any_sink.put_package(package_dir, manifest, on_file=crash)

    report = verify_bucket(any_sink)
    assert report.ok and report.packages == 0


def test_an_unreadable_manifest_is_reported(any_sink: Sink, two_packages: tuple[Manifest, Manifest]) -> None:
    first, _ = two_packages
    _write_raw(any_sink, first.package_id, MANIFEST_NAME, b"{not json")

    report = verify_bucket(any_sink)

    assert [(p.rule, p.where) for p in report.problems] == [("unreadable", f"{first.package_id}/{MANIFEST_NAME}")]
    assert "ugyldig manifest.json" in report.problems[0].message
    assert report.packages == 2


def test_local_leftover_temp_files_are_extra(local_sink: LocalSink, tmp_path: Path) -> None:
    package_dir, manifest = make_package(tmp_path / "staging")
    local_sink.put_package(package_dir, manifest)
    (local_sink.root / manifest.package_id / ".x.pdf.somearkiv-abc.part").write_bytes(b"partial")

    report = verify_bucket(local_sink)

    assert [(p.where, p.rule) for p in report.problems] == [
        (f"{manifest.package_id}/.x.pdf.somearkiv-abc.part", "extra")
    ]


def test_a_huge_manifest_is_reported_not_read_into_memory(local_sink: LocalSink, tmp_path: Path) -> None:
    from storage.base import MAX_MANIFEST_BYTES

    package_dir, manifest = make_package(tmp_path / "staging")
    local_sink.put_package(package_dir, manifest)
    target = local_sink.root / manifest.package_id / MANIFEST_NAME
    with target.open("r+b") as handle:
        handle.truncate(MAX_MANIFEST_BYTES + 10)  # sparse: no disk used

    report = verify_bucket(local_sink)

    assert [p.rule for p in report.problems] == ["unreadable"]
    assert "større enn" in report.problems[0].message
