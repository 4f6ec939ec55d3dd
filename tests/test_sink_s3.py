"""S3-specific behaviour against a moto server: checksums, multipart, conditional manifest, config, secrets."""

from __future__ import annotations

import base64
import hashlib
import logging
from pathlib import Path

import pytest
from botocore.awsrequest import AWSResponse

from pipeline.review import approve_package, pin_current_versions
from pipeline.settings import Settings
from schemas.package import MANIFEST_NAME
from storage.base import SinkError
from storage.factory import open_sink
from storage.fixity import verify_bucket
from storage.local import LocalSink
from storage.s3 import (
    S3Sink,
    b64_of_hex,
    bucket_has_object_lock,
    composite_sha256,
    create_lock_bucket,
    make_s3_client,
    parse_s3_url,
    redact_url,
)
from tests.s3_server import S3_SECRET, make_package, s3_settings_for

BIG = 12 * 1024 * 1024  # above the 5 MB test threshold: three parts of 5, 5 and 2 MiB


def _key(sink: S3Sink, package_id: str, path: str) -> str:
    return f"{sink.prefix}/{package_id}/{path}"


def test_every_object_carries_the_manifest_sha256(s3_sink: S3Sink, tmp_path: Path) -> None:
    package_dir, manifest = make_package(tmp_path)
    s3_sink.put_package(package_dir, manifest)

    for entry in manifest.files:
        head = s3_sink.client.head_object(
            Bucket=s3_sink.bucket, Key=_key(s3_sink, manifest.package_id, entry.path), ChecksumMode="ENABLED"
        )
        assert head["ChecksumSHA256"] == base64.b64encode(bytes.fromhex(entry.sha256)).decode()
        assert head["Metadata"] == {"sha256": entry.sha256}
        assert head["ContentType"] == entry.mime_type
    head = s3_sink.client.head_object(
        Bucket=s3_sink.bucket, Key=_key(s3_sink, manifest.package_id, MANIFEST_NAME), ChecksumMode="ENABLED"
    )
    assert head["ChecksumSHA256"] == b64_of_hex(hashlib.sha256(manifest.to_bytes()).hexdigest())


def test_large_file_goes_multipart_with_a_composite_sha256(s3_sink: S3Sink, tmp_path: Path) -> None:
    package_dir, manifest = make_package(tmp_path, big_files={"DOKUMENT/video.mp4": BIG})
    entry = manifest.file("DOKUMENT/video.mp4")

    result = s3_sink.put_package(package_dir, manifest)

    assert "DOKUMENT/video.mp4" in result.written
    key = _key(s3_sink, manifest.package_id, entry.path)
    attributes = s3_sink.client.get_object_attributes(
        Bucket=s3_sink.bucket, Key=key, ObjectAttributes=["Checksum", "ObjectSize"]
    )
    _, composite, parts = composite_sha256(package_dir / entry.path, 5 * 1024 * 1024)
    assert parts == 3
    assert attributes["Checksum"] == {"ChecksumSHA256": composite, "ChecksumType": "COMPOSITE"}
    assert attributes["ObjectSize"] == BIG
    assert s3_sink.client.head_object(Bucket=s3_sink.bucket, Key=key)["ETag"].endswith('-3"')
    assert verify_bucket(s3_sink).ok


def test_large_file_that_differs_from_its_manifest_is_refused(s3_sink: S3Sink, tmp_path: Path) -> None:
    package_dir, manifest = make_package(tmp_path, big_files={"DOKUMENT/video.mp4": BIG})
    with (package_dir / "DOKUMENT/video.mp4").open("r+b") as handle:
        handle.seek(BIG - 10)
        handle.write(b"tampered!!")

    with pytest.raises(SinkError, match=rf"pakke {manifest.package_id}: fil DOKUMENT/video.mp4: den lokale filen har"):
        s3_sink.put_package(package_dir, manifest)
    assert s3_sink.list_packages() == []


def test_composite_sha256_matches_the_s3_definition(tmp_path: Path) -> None:
    data = bytes(range(256)) * 41  # 10496 bytes → parts of 4096, 4096, 2304
    (tmp_path / "f").write_bytes(data)
    part_digests = b"".join(hashlib.sha256(data[i : i + 4096]).digest() for i in range(0, len(data), 4096))

    full, composite, parts = composite_sha256(tmp_path / "f", 4096)

    assert full == hashlib.sha256(data).hexdigest()
    assert composite == base64.b64encode(hashlib.sha256(part_digests).digest()).decode()
    assert parts == 3


def test_manifest_written_concurrently_makes_the_put_a_skip(s3_sink: S3Sink, tmp_path: Path) -> None:
    """``IfNoneMatch="*"`` on the manifest: moto 5.2.5 answers 412 PreconditionFailed like AWS."""
    package_dir, manifest = make_package(tmp_path)
    manifest_key = _key(s3_sink, manifest.package_id, MANIFEST_NAME)
    other_writer = manifest.model_copy(update={"generator": "other-writer"}).to_bytes()

    def other_writer_finishes_first(entry: object) -> None:
        if entry == manifest.files[-1]:
            s3_sink.client.put_object(
                Bucket=s3_sink.bucket, Key=manifest_key, Body=other_writer, ChecksumAlgorithm="SHA256"
            )

    result = s3_sink.put_package(package_dir, manifest, on_file=other_writer_finishes_first)

    assert result.skipped
    assert MANIFEST_NAME not in result.written
    assert s3_sink.read_bytes(manifest.package_id, MANIFEST_NAME) == other_writer


def test_endpoint_without_conditional_writes_falls_back_to_a_plain_put(
    s3_sink: S3Sink, s3_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Some S3-compatible stores answer If-None-Match with 501; the manifest is then written unconditionally."""

    def refuse_conditional_put(request: object, **_: object) -> AWSResponse | None:
        if getattr(request, "method", "") == "PUT" and "If-None-Match" in request.headers:  # type: ignore[attr-defined]
            return AWSResponse(request.url, 501, {}, _Raw(b"<Error><Code>NotImplemented</Code></Error>"))  # type: ignore[attr-defined]
        return None

    sink = S3Sink.from_config(s3_sink.url, s3_settings.s3())  # its own client, for the event hook
    sink.client.meta.events.register("before-send.s3.PutObject", refuse_conditional_put)
    package_dir, manifest = make_package(tmp_path)

    result = sink.put_package(package_dir, manifest)

    assert result.written[-1] == MANIFEST_NAME
    assert sink.list_packages() == [manifest.package_id]
    assert "does not support conditional writes" in caplog.text


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: object) -> list[bytes]:
        return [self.body]


def test_rerun_aborts_multipart_uploads_left_by_a_killed_run(s3_sink: S3Sink, tmp_path: Path) -> None:
    package_dir, manifest = make_package(tmp_path)
    key = _key(s3_sink, manifest.package_id, "DOKUMENT/video.mp4")
    s3_sink.client.create_multipart_upload(Bucket=s3_sink.bucket, Key=key, ChecksumAlgorithm="SHA256")

    s3_sink.put_package(package_dir, manifest)

    assert s3_sink.client.list_multipart_uploads(Bucket=s3_sink.bucket).get("Uploads", []) == []


def test_locking_in_a_bucket_without_object_lock_says_so(s3_settings: Settings, tmp_path: Path) -> None:
    client = make_s3_client(s3_settings.s3())
    client.create_bucket(Bucket="plain-bucket-no-lock", CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
    sink = S3Sink.from_config("s3://plain-bucket-no-lock", s3_settings.s3())
    package_dir, manifest = make_package(tmp_path)
    sink.put_package(package_dir, manifest)

    with pytest.raises(SinkError, match="har ikke Object Lock"):
        sink.require_lock_support()
    pins = pin_current_versions(sink, manifest.package_id)
    with pytest.raises(SinkError, match="Object Lock"):
        sink.lock_objects(manifest.package_id, pins, mode="COMPLIANCE", retain_until=manifest.created_at)
    assert not bucket_has_object_lock(client, "plain-bucket-no-lock")
    with pytest.raises(SinkError, match="uten Object Lock"):
        create_lock_bucket("plain-bucket-no-lock", s3_settings.s3())


def test_create_lock_bucket_accepts_an_existing_lock_bucket(s3_sink: S3Sink, s3_settings: Settings) -> None:
    create_lock_bucket(s3_sink.bucket, s3_settings.s3())
    assert bucket_has_object_lock(s3_sink.client, s3_sink.bucket)


def test_keys_follow_prefix_package_path(s3_sink: S3Sink, tmp_path: Path) -> None:
    package_dir, manifest = make_package(tmp_path)
    s3_sink.put_package(package_dir, manifest)

    keys = sorted(item["Key"] for item in s3_sink.client.list_objects_v2(Bucket=s3_sink.bucket)["Contents"])

    expected = sorted(f"archive/{manifest.package_id}/{p}" for p in [*(e.path for e in manifest.files), MANIFEST_NAME])
    assert keys == expected
    assert s3_sink.package_url(manifest.package_id) == f"s3://{s3_sink.bucket}/archive/{manifest.package_id}"


def test_secret_key_never_reaches_logs_reports_or_errors(
    s3_sink: S3Sink, s3_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    package_dir, manifest = make_package(tmp_path)
    sink = open_sink(s3_sink.url, s3_settings.s3())

    sink.put_package(package_dir, manifest)
    report = verify_bucket(sink)
    approve_package(
        sink, manifest.package_id, approved=True, by="arkivar", comment="ok", retention=s3_settings.retention()
    )
    with pytest.raises(SinkError) as missing:
        sink.read_bytes(manifest.package_id, "no/such/file.pdf")

    assert report.ok
    assert "botocore" in caplog.text  # DEBUG logging of the S3 calls really was captured
    for text in (caplog.text, report.to_text(), report.to_markdown(), str(missing.value), repr(sink), sink.url):
        assert S3_SECRET not in text
    assert S3_SECRET not in repr(s3_settings) and S3_SECRET not in str(s3_settings.model_dump())


def test_open_sink_picks_the_implementation_from_the_url(s3_settings: Settings, tmp_path: Path) -> None:
    default = open_sink(str(tmp_path / "b"), s3_settings.s3())
    assert isinstance(default, LocalSink) and default.root == tmp_path / "b"
    assert isinstance(open_sink(str(tmp_path / "p"), s3_settings.s3()), LocalSink)
    file_sink = open_sink((tmp_path / "f").as_uri(), s3_settings.s3())
    assert isinstance(file_sink, LocalSink) and file_sink.root == tmp_path / "f"
    s3 = open_sink("s3://some-bucket/a/b/", s3_settings.s3())
    assert isinstance(s3, S3Sink) and s3.url == "s3://some-bucket/a/b" and s3.prefix == "a/b"
    assert open_sink("s3://some-bucket", s3_settings.s3()).url == "s3://some-bucket"
    with pytest.raises(SinkError, match="URL-skjema 'ftp' støttes ikke"):
        open_sink("ftp://host/x", s3_settings.s3())
    with pytest.raises(SinkError) as with_credentials:
        open_sink("s3://key:hunter2@bucket/x", s3_settings.s3())
    assert "hunter2" not in str(with_credentials.value)


def test_url_helpers() -> None:
    assert parse_s3_url("s3://b/x/y/") == ("b", "x/y")
    assert redact_url("http://user:pw@minio.local:9000/") == "http://***@minio.local:9000/"
    assert redact_url("http://127.0.0.1:9000") == "http://127.0.0.1:9000"


def test_unset_credentials_fall_back_to_the_standard_aws_chain(
    moto_endpoint: str, s3_bucket_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIACHAINFROMENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "chain-secret")
    settings = s3_settings_for(moto_endpoint, s3_access_key_id=None, s3_secret_access_key=None)
    client = make_s3_client(settings.s3())
    seen: list[bytes] = []
    client.meta.events.register("before-send.s3.*", lambda request, **_: seen.append(request.headers["Authorization"]))
    bucket, _ = parse_s3_url(s3_bucket_url)
    client.put_object(Bucket=bucket, Key="probe", Body=b"x", ChecksumAlgorithm="SHA256")
    assert seen and all(b"Credential=AKIACHAINFROMENV/" in header for header in seen)
