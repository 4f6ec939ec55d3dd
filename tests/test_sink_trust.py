"""Hostile bucket conditions: bytes corrupted in transit, truncated reads, empty locations, silent endpoints,
secrets in the endpoint URL."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.audit import verify_archive
from pipeline.settings import Settings
from schemas.errors import StorageError
from schemas.package import MANIFEST_NAME
from somearkiv.cli import app
from storage.base import SinkError
from storage.factory import open_sink
from storage.fixity import verify_bucket
from storage.local import LocalSink
from storage.s3 import S3Sink, make_s3_client
from tests.s3_server import FaultProxy, make_package, proxied_sink, s3_settings_for

MARK = b"CORRUPT-ME-IN-TRANSIT-0123456789"


def test_a_body_corrupted_in_transit_is_refused_and_not_left_behind(
    s3_sink: S3Sink, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    package_dir, manifest = make_package(tmp_path, files={"DOKUMENT/vedlegg-1.png": b"png:" + MARK + b":end"})
    sink = proxied_sink(s3_sink, fault_proxy)
    fault_proxy.flip = MARK

    with pytest.raises(SinkError, match=r"fil DOKUMENT/vedlegg-1.png: S3 mottok andre byte enn de som ble sendt"):
        sink.put_package(package_dir, manifest)

    assert fault_proxy.flipped == 1
    assert s3_sink.list_packages() == []
    key = f"{s3_sink.prefix}/{manifest.package_id}/DOKUMENT/vedlegg-1.png"
    listed = s3_sink.client.list_object_versions(Bucket=s3_sink.bucket, Prefix=key)
    assert listed.get("Versions", []) == []  # the corrupt version was removed again
    rerun = s3_sink.put_package(package_dir, manifest)
    assert "DOKUMENT/vedlegg-1.png" in rerun.written and verify_bucket(s3_sink).ok


def test_a_corrupted_stored_object_is_not_kept_on_rerun(s3_sink: S3Sink, tmp_path: Path) -> None:
    """An object whose server-side checksum was echoed from the header but whose bytes differ is re-uploaded."""
    package_dir, manifest = make_package(tmp_path)
    entry = manifest.files[0]
    key = f"{s3_sink.prefix}/{manifest.package_id}/{entry.path}"
    original = (package_dir / entry.path).read_bytes()
    from storage.s3 import b64_of_hex

    s3_sink.client.put_object(
        Bucket=s3_sink.bucket,
        Key=key,
        Body=original[:-1] + bytes([original[-1] ^ 1]),
        ChecksumSHA256=b64_of_hex(entry.sha256),  # a lying checksum: moto stores it as given
    )

    result = s3_sink.put_package(package_dir, manifest)

    assert entry.path in result.written
    assert s3_sink.read_bytes(manifest.package_id, entry.path) == original


def test_read_back_check_also_catches_corruption(s3_sink: S3Sink, fault_proxy: FaultProxy, tmp_path: Path) -> None:
    package_dir, manifest = make_package(tmp_path, files={"DOKUMENT/vedlegg-1.png": MARK * 3})
    sink = proxied_sink(s3_sink, fault_proxy, s3_upload_check="read-back")
    assert sink.upload_check == "read-back"
    fault_proxy.flip = MARK

    with pytest.raises(SinkError, match="S3 lagret andre byte enn de som ble sendt"):
        sink.put_package(package_dir, manifest)


def test_a_corrupted_multipart_upload_is_refused(s3_sink: S3Sink, fault_proxy: FaultProxy, tmp_path: Path) -> None:
    size = 6 * 1024 * 1024
    package_dir, manifest = make_package(tmp_path, big_files={"DOKUMENT/video.mp4": size})
    video = package_dir / "DOKUMENT/video.mp4"
    with video.open("r+b") as handle:
        handle.seek(5 * 1024 * 1024 + 100)  # inside the second part
        handle.write(MARK)
    entry = manifest.file("DOKUMENT/video.mp4")
    from schemas.package import sha256_file

    manifest = manifest.model_copy(
        update={
            "files": [
                f.model_copy(update={"sha256": sha256_file(video)}) if f.path == entry.path else f
                for f in manifest.files
            ]
        }
    )
    sink = proxied_sink(s3_sink, fault_proxy)
    fault_proxy.flip = MARK

    with pytest.raises(SinkError, match=r"fil DOKUMENT/video\.mp4: S3 mottok andre byte"):
        sink.put_package(package_dir, manifest)
    assert fault_proxy.flipped == 1


def test_verify_goes_on_past_a_truncated_object(s3_sink: S3Sink, fault_proxy: FaultProxy, tmp_path: Path) -> None:
    broken_dir, broken = make_package(tmp_path, thread_id="111", files={"DOKUMENT/vedlegg-1.png": MARK + b"x" * 5000})
    good_dir, good = make_package(tmp_path, thread_id="222")
    s3_sink.put_package(broken_dir, broken)
    s3_sink.put_package(good_dir, good)
    sink = proxied_sink(s3_sink, fault_proxy)
    fault_proxy.truncate = MARK

    report = verify_bucket(sink)

    assert fault_proxy.truncated == 1
    assert [(p.rule, p.where) for p in report.problems] == [
        ("unreadable", f"{broken.package_id}/DOKUMENT/vedlegg-1.png")
    ]
    assert "lesingen brøt av" in report.problems[0].message
    assert report.packages == 2
    assert report.files == len(broken.files) - 1 + len(good.files)


def test_verify_goes_on_past_a_package_whose_listing_fails(local_sink: LocalSink, tmp_path: Path) -> None:
    for thread in ("111", "222"):
        package_dir, manifest = make_package(tmp_path / "staging", thread_id=thread)
        local_sink.put_package(package_dir, manifest)
    first = local_sink.list_packages()[0]
    (local_sink.root / first / MANIFEST_NAME).write_bytes(b"\xff\xfe not json")

    report = verify_bucket(local_sink)

    assert [p.rule for p in report.problems] == ["unreadable"]
    assert report.packages == 2 and report.files > 0


@pytest.mark.parametrize("case", ["missing", "empty", "file"])
def test_verify_of_a_missing_or_empty_local_location_is_an_error(tmp_path: Path, case: str) -> None:
    target = tmp_path / "bucket"
    if case == "empty":
        target.mkdir()
        (target / ".DS_Store").write_bytes(b"")
    elif case == "file":
        target.write_bytes(b"not a folder")

    with pytest.raises(SinkError, match=r"finnes ikke|er tom|er ikke en mappe"):
        verify_archive(LocalSink(target))

    result = CliRunner().invoke(app, ["verify", str(target)])
    assert result.exit_code == 2 and "feil: arkivbøtta" in result.output and "Traceback" not in result.output


def test_verify_cli_refuses_an_empty_url(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["verify", "  "])
    assert result.exit_code == 2 and "tom bøtte-URL" in result.output


def test_verify_of_a_mistyped_prefix_or_missing_bucket_is_an_error(s3_sink: S3Sink, tmp_path: Path) -> None:
    package_dir, manifest = make_package(tmp_path)
    s3_sink.put_package(package_dir, manifest)
    typo = S3Sink(s3_sink.bucket, "archiv", client=s3_sink.client)
    missing = S3Sink("no-such-bucket-for-somearkiv", "archive", client=s3_sink.client)

    with pytest.raises(SinkError, match="er tom: ingen objekter under"):
        verify_archive(typo)
    with pytest.raises(SinkError, match="NoSuchBucket"):
        verify_archive(missing)
    assert verify_archive(s3_sink).ok


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_an_endpoint_that_never_answers_fails_fast(silent_endpoint: str, tmp_path: Path) -> None:
    settings = s3_settings_for(silent_endpoint, s3_read_timeout_s=1, s3_connect_timeout_s=1, s3_max_attempts=1)
    sink = open_sink("s3://somearkiv/archive", settings.s3())
    package_dir, manifest = make_package(tmp_path)

    started = time.monotonic()
    with pytest.raises(SinkError, match=r"Read timeout|timed out|tidsavbrudd"):
        sink.put_package(package_dir, manifest)
    assert time.monotonic() - started < 8


def test_timeouts_and_attempts_reach_the_client(moto_endpoint: str) -> None:
    settings = s3_settings_for(moto_endpoint, s3_read_timeout_s=7, s3_connect_timeout_s=3, s3_max_attempts=2)
    client = make_s3_client(settings.s3())
    assert (client.meta.config.read_timeout, client.meta.config.connect_timeout) == (7, 3)
    assert client.meta.config.retries["total_max_attempts"] == 2
    with pytest.raises(ValueError):
        s3_settings_for(moto_endpoint, s3_read_timeout_s=0)
    with pytest.raises(ValueError):
        s3_settings_for(moto_endpoint, s3_max_attempts=50)


def test_credentials_in_the_endpoint_url_never_leak(
    silent_endpoint: str, moto_endpoint: str, s3_bucket_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_url = silent_endpoint.replace("http://", "http://minio-user:hunter2-SECRET@")
    settings = s3_settings_for(secret_url, s3_read_timeout_s=1, s3_connect_timeout_s=1, s3_max_attempts=1)
    sink = open_sink("s3://somearkiv/archive", settings.s3())
    package_dir, manifest = make_package(tmp_path)

    with pytest.raises(StorageError) as failed:
        sink.put_package(package_dir, manifest)
    result = CliRunner().invoke(
        app,
        ["verify", "s3://somearkiv/archive"],
        env={
            "SOMEARKIV_S3_ENDPOINT_URL": secret_url,
            "SOMEARKIV_S3_READ_TIMEOUT_S": "1",
            "SOMEARKIV_S3_MAX_ATTEMPTS": "1",
            "SOMEARKIV_S3_CONNECT_TIMEOUT_S": "1",
        },
    )

    texts = [str(failed.value), repr(sink), repr(settings), repr(settings.s3()), caplog.text, result.output]
    assert result.exit_code == 2
    for text in texts:
        assert "hunter2" not in text and "minio-user" not in text
    assert "***@127.0.0.1" in repr(sink)
    # credentials in the URL are not S3 credentials: the moto endpoint still works with them stripped
    working = open_sink(s3_bucket_url, s3_settings_for(moto_endpoint.replace("http://", "http://u:p@")).s3())
    assert working.put_package(package_dir, manifest).written[-1] == MANIFEST_NAME


def test_settings_repr_hides_urls_with_credentials() -> None:
    settings = Settings(_env_file=None, s3_endpoint_url="http://a:b-SECRET@h:9000", tsa_url="https://u:tsa-SECRET@tsa")
    assert "SECRET" not in repr(settings) and "SECRET" not in str(settings)
    assert "SECRET" not in repr(settings.s3())


@pytest.mark.parametrize(
    "args",
    [
        ["approve", "facebook-1-0123456789abcdef", "--bucket", "http://127.0.0.1:9/bucket"],
        ["approve", "../../etc/passwd", "--by", "x"],
        ["approve", "a" * 300, "--by", "x"],
        ["approve", "_audit", "--by", "x"],
        ["approve", "pkg\x1b[31m", "--by", "x"],
        ["verify", "s3://user:hunter2@bucket/x"],
        ["verify", "file://remote-host/x"],
    ],
)
def test_hostile_cli_input_is_one_line_and_exit_2(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "bucket").mkdir()
    if args[0] == "approve" and "--bucket" not in args:
        args = [*args, "--bucket", str(tmp_path / "bucket")]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 2, result.output
    assert result.output.startswith("feil: ") and "Traceback" not in result.output
    assert "hunter2" not in result.output


def test_create_bucket_against_an_unreachable_endpoint_is_one_line(silent_endpoint: str) -> None:
    env = {
        "SOMEARKIV_S3_ENDPOINT_URL": silent_endpoint,
        "SOMEARKIV_S3_READ_TIMEOUT_S": "1",
        "SOMEARKIV_S3_CONNECT_TIMEOUT_S": "1",
        "SOMEARKIV_S3_MAX_ATTEMPTS": "1",
        "SOMEARKIV_S3_REGION": "eu-north-1",
        "SOMEARKIV_S3_ACCESS_KEY_ID": "x",
        "SOMEARKIV_S3_SECRET_ACCESS_KEY": "y",
    }
    result = CliRunner().invoke(app, ["create-bucket", "somearkiv-test"], env=env)
    assert result.exit_code == 2 and result.output.startswith("feil: bøtte somearkiv-test kunne ikke opprettes")
