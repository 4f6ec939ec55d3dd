"""RFC 3161 timestamps against a local TSA (``openssl ts`` behind HTTP on 127.0.0.1): tokens, forgeries, outages,
and the timestamps of manifests and audit heads."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from pipeline.audit import verify_archive
from pipeline.review import approve_package
from pipeline.settings import Settings
from schemas.errors import ConfigError, IntegrityError
from schemas.package import MANIFEST_NAME
from storage.audit import AuditLog, event_name
from storage.base import MANIFEST_TSR, Sink
from storage.config import RetentionPolicy, TimestampConfig
from storage.local import LocalSink
from storage.s3 import S3Sink
from storage.timestamp import Timestamper, TimestampError
from tests.s3_server import make_package
from tests.tsa_server import TsaServer

RETENTION = RetentionPolicy(mode="COMPLIANCE", days=1)


def test_a_token_verifies_for_its_data_only(tsa_config: TimestampConfig) -> None:
    stamper = Timestamper(tsa_config)

    token = stamper.stamp(b"manifest bytes")

    when = stamper.check(token, b"manifest bytes")
    assert abs(time.time() - when.timestamp()) < 120
    with pytest.raises(IntegrityError, match="holder ikke"):
        stamper.check(token, b"manifest bytez")
    with pytest.raises(IntegrityError):
        stamper.check(token[:-5], b"manifest bytes")
    with pytest.raises(IntegrityError, match="ikke et RFC 3161"):
        stamper.check(b"", b"manifest bytes")


def test_a_token_from_another_tsa_is_refused(tsa: TsaServer, tsa_config: TimestampConfig) -> None:
    stamper = Timestamper(tsa_config)
    tsa.mode = "other-tsa"
    with pytest.raises(TimestampError, match="ugyldig svar"):
        stamper.stamp(b"data")
    assert tsa.other is not None
    impostor = Timestamper(TimestampConfig(url=tsa.url, ca_file=tsa.other.ca_file, tsa_cert_file=tsa.other.cert_file))
    forged = impostor.stamp(b"data")  # valid for the impostor's own CA
    with pytest.raises(IntegrityError, match="holder ikke"):
        stamper.check(forged, b"data")


@pytest.mark.parametrize(
    ("mode", "message"), [("garbage", "ugyldig svar"), ("http500", "HTTP 500"), ("huge", "mer enn 65536 byte")]
)
def test_a_broken_tsa_answer_is_an_error(tsa: TsaServer, tsa_config: TimestampConfig, mode: str, message: str) -> None:
    tsa.mode = mode
    with pytest.raises(TimestampError, match=message):
        Timestamper(tsa_config).stamp(b"data")


def test_an_unreachable_tsa_fails_fast_without_leaking_credentials(tsa_config: TimestampConfig) -> None:
    listener = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    try:
        url = f"http://tsa-user:tsa-SECRET@127.0.0.1:{listener.getsockname()[1]}/"
        config = TimestampConfig(
            url=url, ca_file=tsa_config.ca_file, tsa_cert_file=tsa_config.tsa_cert_file, timeout_s=1
        )
        started = time.monotonic()
        with pytest.raises(TimestampError) as failed:
            Timestamper(config).stamp(b"data")
        assert time.monotonic() - started < 5
    finally:
        listener.close()
    assert "SECRET" not in str(failed.value) and "***@127.0.0.1" in str(failed.value)
    assert "SECRET" not in repr(config) and "SECRET" not in repr(Timestamper(config))


def test_settings_build_the_timestamp_config(tsa_config: TimestampConfig, tmp_path: Path) -> None:
    assert not Settings(_env_file=None).timestamps().enabled
    settings = Settings(
        _env_file=None,
        tsa_url=tsa_config.url,
        tsa_ca_file=tsa_config.ca_file,
        tsa_cert_file=tsa_config.tsa_cert_file,
        tsa_timeout_s=3,
    )
    assert settings.timestamps() == TimestampConfig(tsa_config.url, tsa_config.ca_file, tsa_config.tsa_cert_file, 3)
    with pytest.raises(ConfigError, match="SOMEARKIV_TSA_CA_FILE"):
        Settings(_env_file=None, tsa_url="http://127.0.0.1:1/", tsa_ca_file=tmp_path / "none.pem").timestamps()
    (tmp_path / "bad.pem").write_text("not a certificate")
    with pytest.raises(ConfigError, match="PEM"):
        Timestamper(TimestampConfig("http://127.0.0.1:1/", tmp_path / "bad.pem", tmp_path / "bad.pem")).check(
            b"x", b"y"
        )


def test_each_audit_event_gets_a_token_and_verify_checks_them(any_sink: Sink, tsa_config: TimestampConfig) -> None:
    stamper = Timestamper(tsa_config)
    log = AuditLog(any_sink, retention=RETENTION, timestamper=stamper)
    first = log.append("review.approved", "Kari", "a", {})
    log.append("review.approved", "Kari", "b", {})

    assert stamper.check(any_sink.read_meta(event_name(1, "tsr")) or b"", first.to_bytes())
    assert log.verify() == []
    # a token moved to another event no longer matches
    token = any_sink.read_meta(event_name(1, "tsr")) or b""
    if isinstance(any_sink, S3Sink):
        any_sink.client.put_object(Bucket=any_sink.bucket, Key=f"archive/{event_name(2, 'tsr')}", Body=token)
    else:
        assert isinstance(any_sink, LocalSink)
        target = any_sink.root / event_name(2, "tsr")
        target.chmod(0o644)
        target.write_bytes(token)
    findings = log.verify()
    assert any(f.rule == "timestamp" and f.where == event_name(2, "tsr") for f in findings)


def test_a_tsa_outage_keeps_the_event_and_verify_reports_the_unprotected_head(
    local_sink: LocalSink, tsa: TsaServer, tsa_config: TimestampConfig
) -> None:
    log = AuditLog(local_sink, retention=RETENTION, timestamper=Timestamper(tsa_config))
    log.append("review.approved", "Kari", "a", {})
    tsa.mode = "http500"
    log.append("review.approved", "Kari", "b", {})
    tsa.mode = "ok"

    findings = log.verify()

    assert [(f.rule, f.where, f.severity) for f in findings] == [("timestamp", event_name(2, "tsr"), "error")]
    log.append("review.approved", "Kari", "c", {})
    assert [(f.where, f.severity) for f in log.verify()] == [(event_name(2, "tsr"), "warning")]


def test_approval_timestamps_and_locks_the_manifest(
    s3_sink: S3Sink, tsa_config: TimestampConfig, tmp_path: Path
) -> None:
    stamper = Timestamper(tsa_config)
    package_dir, manifest = make_package(tmp_path)
    s3_sink.put_package(package_dir, manifest)

    record = approve_package(
        s3_sink, manifest.package_id, approved=True, by="kari", retention=RETENTION, timestamper=stamper
    )

    assert [pin.path for pin in record.locked][-2:] == [MANIFEST_NAME, MANIFEST_TSR]
    token = s3_sink.read_bytes(manifest.package_id, MANIFEST_TSR)
    stamper.check(token, s3_sink.read_bytes(manifest.package_id, MANIFEST_NAME))
    report = verify_archive(s3_sink, stamper)
    assert report.ok, report.to_text()
    # a replaced token is a newer version of a locked key; the pinned one still verifies
    other = stamper.stamp(b"something else")
    s3_sink.client.put_object(Bucket=s3_sink.bucket, Key=f"archive/{manifest.package_id}/{MANIFEST_TSR}", Body=other)
    report = verify_archive(s3_sink, stamper)
    assert {(p.rule, p.where) for p in report.problems if p.severity == "error"} == {
        ("tampered", f"{manifest.package_id}/{MANIFEST_TSR}")
    }


def test_verify_warns_of_a_missing_manifest_timestamp(
    local_sink: LocalSink, tsa_config: TimestampConfig, tmp_path: Path
) -> None:
    package_dir, manifest = make_package(tmp_path)
    local_sink.put_package(package_dir, manifest)

    report = verify_archive(local_sink, Timestamper(tsa_config))

    assert report.ok
    assert [(p.rule, p.where, p.severity) for p in report.problems if p.rule == "timestamp"] == [
        ("timestamp", f"{manifest.package_id}/{MANIFEST_TSR}", "warning")
    ]


def test_a_sink_opened_with_a_tsa_timestamps_every_stored_manifest(
    tsa: TsaServer, tsa_config: TimestampConfig, tmp_path: Path
) -> None:
    from storage.factory import open_sink

    sink = open_sink(str(tmp_path / "bucket"), timestamps=tsa_config)
    package_dir, manifest = make_package(tmp_path / "staging", thread_id="1")

    sink.put_package(package_dir, manifest)

    Timestamper(tsa_config).check(sink.read_bytes(manifest.package_id, MANIFEST_TSR), manifest.to_bytes())
    assert verify_archive(sink, Timestamper(tsa_config)).problems[-1].rule == "no-worm"  # nothing else
    tsa.mode = "http500"  # an outage never fails the export; the package just has no token yet
    other_dir, other = make_package(tmp_path / "staging", thread_id="2")
    assert sink.put_package(other_dir, other).written[-1] == MANIFEST_NAME
    assert not sink.versions(other.package_id, MANIFEST_TSR)
    assert open_sink(str(tmp_path / "b2")).timestamper is None
