"""Archivist approval: exact versions pinned and locked (S3 Object Lock / read-only files), recorded in the audit
chain, with a convenience copy outside the package."""

from __future__ import annotations

import hashlib
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from pipeline.review import ApprovalError, ApprovalRecord, approve_package, read_approval
from pipeline.settings import Settings
from schemas.package import MANIFEST_NAME, Manifest
from storage.base import AUDIT_DIR, REVIEWS_DIR, LockedObject, Sink
from storage.fixity import verify_bucket
from storage.local import LocalSink
from storage.s3 import S3Sink
from tests.s3_server import make_package

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, object_lock_mode="COMPLIANCE", object_lock_days=30)


def _stored(sink: Sink, tmp_path: Path) -> Manifest:
    package_dir, manifest = make_package(tmp_path / "staging")
    sink.put_package(package_dir, manifest)
    return manifest


def test_approval_is_recorded_outside_the_package(any_sink: Sink, tmp_path: Path, settings: Settings) -> None:
    manifest = _stored(any_sink, tmp_path)

    record = approve_package(
        any_sink,
        manifest.package_id,
        approved=True,
        by="Kari Arkivar",
        comment="Godkjent",
        retention=settings.retention(),
        now=NOW,
    )

    assert record.decision == "approved" and record.approved
    assert (record.by, record.at, record.comment) == ("Kari Arkivar", NOW, "Godkjent")
    assert record.retention is not None
    assert record.retention.mode == "COMPLIANCE"
    assert record.retention.retain_until == NOW + timedelta(days=30)
    assert [pin.path for pin in record.locked] == [entry.path for entry in manifest.files] + [MANIFEST_NAME]
    assert [pin.sha256 for pin in record.locked[:-1]] == [entry.sha256 for entry in manifest.files]
    manifest_bytes = any_sink.read_bytes(manifest.package_id, MANIFEST_NAME)
    assert record.locked[-1].sha256 == record.manifest_sha256 == hashlib.sha256(manifest_bytes).hexdigest()
    if isinstance(any_sink, S3Sink):
        assert all(pin.version_id for pin in record.locked)
    else:
        assert all(pin.version_id is None for pin in record.locked)
    assert record.by_verified is False and record.audit_seq == 1
    assert read_approval(any_sink, manifest.package_id) == record
    assert ApprovalRecord.model_validate_json(any_sink.read_review(manifest.package_id) or b"") == record
    stored = {obj.path for obj in any_sink.iter_objects(manifest.package_id)}
    assert not any(REVIEWS_DIR in path for path in stored)
    assert any_sink.list_packages() == [manifest.package_id]
    assert verify_bucket(any_sink).ok


def test_approved_s3_objects_are_locked(s3_sink: S3Sink, tmp_path: Path, settings: Settings) -> None:
    manifest = _stored(s3_sink, tmp_path)

    record = approve_package(
        s3_sink, manifest.package_id, approved=True, by="kari", comment="", retention=settings.retention()
    )

    assert record.retention is not None
    keys = [f"archive/{manifest.package_id}/{p}" for p in [*(e.path for e in manifest.files), MANIFEST_NAME]]
    keys.append(f"archive/{AUDIT_DIR}/0000000001.json")
    for key in keys:
        head = s3_sink.client.head_object(Bucket=s3_sink.bucket, Key=key)
        if AUDIT_DIR not in key:
            pin = next(p for p in record.locked if key.endswith(f"/{p.path}"))
            assert head["VersionId"] == pin.version_id
        assert head["ObjectLockMode"] == "COMPLIANCE"
        assert abs(head["ObjectLockRetainUntilDate"] - record.retention.retain_until) < timedelta(seconds=1)
        with pytest.raises(ClientError) as denied:
            s3_sink.client.delete_object(Bucket=s3_sink.bucket, Key=key, VersionId=head["VersionId"])
        assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_approved_local_files_are_read_only(local_sink: LocalSink, tmp_path: Path, settings: Settings) -> None:
    manifest = _stored(local_sink, tmp_path)

    approve_package(
        local_sink, manifest.package_id, approved=True, by="kari", comment="", retention=settings.retention()
    )

    package = local_sink.root / manifest.package_id
    for path in [*(entry.path for entry in manifest.files), MANIFEST_NAME]:
        assert stat.S_IMODE((package / path).stat().st_mode) == 0o444
    assert stat.S_IMODE(package.stat().st_mode) == 0o555
    assert stat.S_IMODE((package / "DOKUMENT").stat().st_mode) == 0o555
    assert stat.S_IMODE((local_sink.root / AUDIT_DIR / "0000000001.json").stat().st_mode) == 0o444


def test_rejection_records_without_locking_and_can_be_followed_by_approval(
    s3_sink: S3Sink, tmp_path: Path, settings: Settings
) -> None:
    manifest = _stored(s3_sink, tmp_path)

    rejected = approve_package(
        s3_sink,
        manifest.package_id,
        approved=False,
        by="kari",
        comment="Mangler vedlegg",
        retention=settings.retention(),
        now=NOW,
    )

    assert rejected.decision == "rejected" and rejected.retention is None and rejected.locked == []
    assert read_approval(s3_sink, manifest.package_id) == rejected
    head = s3_sink.client.head_object(Bucket=s3_sink.bucket, Key=f"archive/{manifest.package_id}/{MANIFEST_NAME}")
    assert "ObjectLockMode" not in head

    approved = approve_package(
        s3_sink, manifest.package_id, approved=True, by="ola", comment="", retention=settings.retention()
    )

    assert approved.approved and [(h.decision, h.by, h.comment) for h in approved.history] == [
        ("rejected", "kari", "Mangler vedlegg")
    ]


def test_an_approval_is_final_and_approving_again_only_relocks(
    any_sink: Sink, tmp_path: Path, settings: Settings
) -> None:
    manifest = _stored(any_sink, tmp_path)
    first = approve_package(
        any_sink, manifest.package_id, approved=True, by="kari", comment="", retention=settings.retention()
    )

    again = approve_package(
        any_sink, manifest.package_id, approved=True, by="ola", comment="", retention=settings.retention()
    )

    assert again == first
    with pytest.raises(ApprovalError, match="godkjent av kari"):
        approve_package(
            any_sink, manifest.package_id, approved=False, by="ola", comment="", retention=settings.retention()
        )


def test_a_package_that_fails_fixity_is_not_approved(local_sink: LocalSink, tmp_path: Path, settings: Settings) -> None:
    manifest = _stored(local_sink, tmp_path)
    (local_sink.root / manifest.package_id / "arkivstruktur.xml").write_bytes(b"<changed/>\n")

    with pytest.raises(ApprovalError, match=r"feiler fixitetskontrollen.*arkivstruktur\.xml"):
        approve_package(
            local_sink, manifest.package_id, approved=True, by="kari", comment="", retention=settings.retention()
        )
    assert read_approval(local_sink, manifest.package_id) is None


def test_unknown_or_incomplete_packages_cannot_be_reviewed(
    local_sink: LocalSink, tmp_path: Path, settings: Settings
) -> None:
    with pytest.raises(ApprovalError, match="facebook-1-0123456789abcdef finnes ikke i"):
        approve_package(
            local_sink,
            "facebook-1-0123456789abcdef",
            approved=True,
            by="kari",
            comment="",
            retention=settings.retention(),
        )
    manifest = _stored(local_sink, tmp_path)
    with pytest.raises(ApprovalError, match="oppgi hvem"):
        approve_package(
            local_sink, manifest.package_id, approved=True, by=" ", comment="", retention=settings.retention()
        )


def test_lock_objects_locks_exactly_the_given_versions(s3_sink: S3Sink, tmp_path: Path) -> None:
    manifest = _stored(s3_sink, tmp_path)
    path = manifest.files[0].path
    first = s3_sink.versions(manifest.package_id, path)[0]
    key = f"archive/{manifest.package_id}/{path}"
    s3_sink.client.put_object(Bucket=s3_sink.bucket, Key=key, Body=b"newer")
    pin = LockedObject(path=path, version_id=first.version_id, sha256=manifest.files[0].sha256, size=first.size)

    s3_sink.lock_objects(manifest.package_id, [pin], mode="GOVERNANCE", retain_until=NOW + timedelta(days=400))

    assert s3_sink.lock_info(manifest.package_id, path, first.version_id) is not None
    newest = s3_sink.versions(manifest.package_id, path)[0]
    assert newest.version_id != first.version_id
    assert s3_sink.lock_info(manifest.package_id, path, newest.version_id) is None
