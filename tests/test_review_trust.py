"""Locked means locked, and reviews can't be forged quietly: attacks on approved packages and review records."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.audit import verify_archive
from pipeline.review import ApprovalError, LockedView, approve_package, load_ledger, read_approval, review_status
from pipeline.settings import Settings
from schemas.package import MANIFEST_NAME, Manifest, sha256_file
from somearkiv.cli import app
from storage.base import AUDIT_DIR, REVIEWS_DIR, Sink
from storage.local import LocalSink
from storage.s3 import S3Sink
from tests.s3_server import make_package, s3_env_for

SETTINGS = Settings(_env_file=None, object_lock_mode="COMPLIANCE", object_lock_days=1)


def _stored(sink: Sink, root: Path, thread_id: str = "123_456") -> tuple[Path, Manifest]:
    package_dir, manifest = make_package(root / "staging", thread_id=thread_id)
    sink.put_package(package_dir, manifest)
    return package_dir, manifest


def _approve(sink: Sink, package_id: str, *, approved: bool = True, by: str = "kari") -> object:
    return approve_package(sink, package_id, approved=approved, by=by, comment="", retention=SETTINGS.retention())


def _substitute(sink: S3Sink, manifest: Manifest, path: str, data: bytes) -> None:
    """Upload a new version of a locked file plus a matching new manifest (what the attacker did)."""
    key = f"{sink.prefix}/{manifest.package_id}"
    sink.client.put_object(Bucket=sink.bucket, Key=f"{key}/{path}", Body=data)
    files = [
        f.model_copy(update={"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}) if f.path == path else f
        for f in manifest.files
    ]
    forged = manifest.model_copy(update={"files": files})
    sink.client.put_object(Bucket=sink.bucket, Key=f"{key}/{MANIFEST_NAME}", Body=forged.to_bytes())


def test_a_substituted_version_of_a_locked_package_is_tampering(s3_sink: S3Sink, tmp_path: Path) -> None:
    _, manifest = _stored(s3_sink, tmp_path)
    _approve(s3_sink, manifest.package_id)
    pdf = f"DOKUMENT/{manifest.package_id}.pdf"
    original = s3_sink.read_bytes(manifest.package_id, pdf)

    _substitute(s3_sink, manifest, pdf, b"%PDF-1.7\nsubstitute")

    report = verify_archive(s3_sink)
    tampered = {(p.rule, p.where) for p in report.problems}
    assert ("tampered", f"{manifest.package_id}/{pdf}") in tampered
    assert ("tampered", f"{manifest.package_id}/{MANIFEST_NAME}") in tampered
    assert not report.ok
    # uttrekk and review read exactly the locked versions
    view = LockedView(s3_sink, load_ledger(s3_sink))
    assert view.read_bytes(manifest.package_id, pdf) == original
    assert view.read_manifest(manifest.package_id) == manifest
    assert {f.where for f in view.findings} >= {
        f"{manifest.package_id}/{pdf}",
        f"{manifest.package_id}/{MANIFEST_NAME}",
    }
    # approving again runs the fixity check and refuses
    with pytest.raises(ApprovalError, match=r"feiler nå fixitetskontrollen.*MANIPULERT"):
        _approve(s3_sink, manifest.package_id, by="ola")


def test_a_delete_marker_over_a_locked_object_is_tampering(s3_sink: S3Sink, tmp_path: Path) -> None:
    _, manifest = _stored(s3_sink, tmp_path)
    _approve(s3_sink, manifest.package_id)
    s3_sink.client.delete_object(Bucket=s3_sink.bucket, Key=f"archive/{manifest.package_id}/arkivstruktur.xml")

    report = verify_archive(s3_sink)

    assert any(
        p.rule == "tampered" and p.where.endswith("/arkivstruktur.xml") and "slettemarkør" in p.message
        for p in report.problems
    )
    s3_sink.client.delete_object(Bucket=s3_sink.bucket, Key=f"archive/{manifest.package_id}/{MANIFEST_NAME}")
    report = verify_archive(s3_sink)
    assert any("ikke lenger i bøtta" in p.message for p in report.problems)


def test_approval_on_a_bucket_without_object_lock_is_refused_before_anything_is_recorded(
    s3_settings: Settings, tmp_path: Path
) -> None:
    client = S3Sink.from_config("s3://x", s3_settings.s3()).client
    client.create_bucket(Bucket="no-lock-review", CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
    sink = S3Sink.from_config("s3://no-lock-review/archive", s3_settings.s3())
    _, manifest = _stored(sink, tmp_path)

    with pytest.raises(ApprovalError, match="har ikke Object Lock"):
        _approve(sink, manifest.package_id)
    with pytest.raises(ApprovalError, match=r"kan ikke avvises: .*har ikke Object Lock"):
        _approve(sink, manifest.package_id, approved=False)

    assert sink.list_meta(AUDIT_DIR) == [] and sink.list_meta(REVIEWS_DIR) == []
    assert review_status(sink, manifest.package_id) == "pending"
    result = CliRunner().invoke(
        app,
        ["approve", manifest.package_id, "--by", "kari", "--bucket", sink.url],
        env=s3_env_for(s3_settings.s3_endpoint_url or ""),
    )
    assert result.exit_code == 2 and "har ikke Object Lock" in result.output and "Traceback" not in result.output


def test_a_forged_review_record_is_not_an_approval(any_sink: Sink, tmp_path: Path) -> None:
    _, real = _stored(any_sink, tmp_path, "111")
    _, forged = _stored(any_sink, tmp_path, "222")
    record = _approve(any_sink, real.package_id)
    copy = json.loads(any_sink.read_review(real.package_id) or b"")
    copy["package_id"] = forged.package_id

    any_sink.write_review(forged.package_id, json.dumps(copy).encode())

    ledger = load_ledger(any_sink)
    assert ledger.status_of(forged.package_id) == "pending"
    assert review_status(any_sink, forged.package_id) == "pending"
    assert read_approval(any_sink, real.package_id) == record
    assert [(f.rule, f.where) for f in ledger.findings] == [("tampered", f"{REVIEWS_DIR}/{forged.package_id}.json")]
    assert "ingen hendelse i revisjonsloggen" in ledger.findings[0].message
    report = verify_archive(any_sink)
    assert any(p.where == f"{REVIEWS_DIR}/{forged.package_id}.json" for p in report.problems) and not report.ok


def test_a_deleted_or_edited_review_record_is_reported(any_sink: Sink, tmp_path: Path) -> None:
    _, first = _stored(any_sink, tmp_path, "111")
    _, second = _stored(any_sink, tmp_path, "222")
    _approve(any_sink, first.package_id)
    _approve(any_sink, second.package_id, approved=False)
    if isinstance(any_sink, S3Sink):
        any_sink.client.delete_object(Bucket=any_sink.bucket, Key=f"archive/{REVIEWS_DIR}/{first.package_id}.json")
    else:
        assert isinstance(any_sink, LocalSink)
        (any_sink.root / REVIEWS_DIR / f"{first.package_id}.json").unlink()
    edited = json.loads(any_sink.read_review(second.package_id) or b"")
    edited["decision"] = "approved"
    any_sink.write_review(second.package_id, json.dumps(edited).encode())

    ledger = load_ledger(any_sink)

    assert ledger.status_of(first.package_id) == "approved"  # the chain still has it
    assert ledger.status_of(second.package_id) == "rejected"  # the edit counts for nothing
    messages = {f.where: f.message for f in ledger.findings}
    assert "slettet" in messages[f"{REVIEWS_DIR}/{first.package_id}.json"]
    assert "avviker" in messages[f"{REVIEWS_DIR}/{second.package_id}.json"]


def test_a_deleted_audit_event_is_reported_and_blocks_new_reviews(local_sink: LocalSink, tmp_path: Path) -> None:
    _, first = _stored(local_sink, tmp_path, "111")
    _, second = _stored(local_sink, tmp_path, "222")
    _approve(local_sink, first.package_id, approved=False)
    _approve(local_sink, second.package_id, approved=False)
    (local_sink.root / AUDIT_DIR / "0000000001.json").unlink()

    report = verify_archive(local_sink)

    assert any(p.rule == "audit" and "mangler" in p.message for p in report.problems)
    assert any(p.rule == "tampered" and p.where.startswith(REVIEWS_DIR) for p in report.problems)
    with pytest.raises(ApprovalError, match="revisjonsloggen er skadet"):
        _approve(local_sink, second.package_id)


def test_a_rejected_package_changed_before_approval_is_checked(local_sink: LocalSink, tmp_path: Path) -> None:
    _, manifest = _stored(local_sink, tmp_path)
    (local_sink.root / manifest.package_id / "arkivstruktur.xml").write_bytes(b"<x/>")
    with pytest.raises(ApprovalError, match="feiler fixitetskontrollen"):
        _approve(local_sink, manifest.package_id)
    assert local_sink.list_meta(AUDIT_DIR) == []


def test_local_approval_says_there_is_no_worm_guarantee(tmp_path: Path) -> None:
    sink = LocalSink(tmp_path / "bucket")
    _, manifest = _stored(sink, tmp_path)

    result = CliRunner().invoke(
        app, ["approve", manifest.package_id, "--by", "Kari Arkivar", "--bucket", str(sink.root)]
    )

    assert result.exit_code == 0, result.output
    assert "skrivebeskyttet (ingen WORM-garanti)" in result.output
    assert "låst (COMPLIANCE)" not in result.output and "navnet er oppgitt" in result.output
    verify = CliRunner().invoke(app, ["verify", str(sink.root)])
    assert verify.exit_code == 0 and "ingen WORM-garanti" in verify.output


def test_local_tampering_after_approval_is_detected(local_sink: LocalSink, tmp_path: Path) -> None:
    _, manifest = _stored(local_sink, tmp_path)
    _approve(local_sink, manifest.package_id)
    target = local_sink.root / manifest.package_id / "arkivstruktur.xml"
    target.chmod(0o644)
    target.write_bytes(b"<arkivstruktur>forged</arkivstruktur>\n")
    files = [
        f.model_copy(update={"sha256": sha256_file(target), "size": target.stat().st_size})
        if f.path == "arkivstruktur.xml"
        else f
        for f in manifest.files
    ]
    manifest_file = local_sink.root / manifest.package_id / MANIFEST_NAME
    manifest_file.chmod(0o644)
    manifest_file.write_bytes(manifest.model_copy(update={"files": files}).to_bytes())

    report = verify_archive(local_sink)

    assert {(p.rule, p.where) for p in report.problems if p.severity == "error"} == {
        ("tampered", f"{manifest.package_id}/{MANIFEST_NAME}"),
        ("tampered", f"{manifest.package_id}/arkivstruktur.xml"),
    }


def test_uttrekk_of_approved_packages_reads_the_locked_versions_and_skips_forged_approvals(
    s3_sink: S3Sink, tmp_path: Path, xsd_dir: Path
) -> None:
    from datetime import UTC, date, datetime

    from noark.testing import sample_context, sample_flag, sample_thread, write_package
    from noark.uttrekk import build_uttrekk

    staging, ctx, march = tmp_path / "staging", sample_context(), datetime(2026, 3, 5, 12, tzinfo=UTC)
    threads = [sample_thread("1"), sample_thread("2")]
    manifests = [write_package(staging, t, sample_flag(t), exported_at=march, ctx=ctx) for t in threads]
    for manifest in manifests:
        s3_sink.put_package(staging / manifest.package_id, manifest)
    approved, forged = manifests
    _approve(s3_sink, approved.package_id)
    pdf = f"DOKUMENT/{approved.package_id}.pdf"
    original = s3_sink.read_bytes(approved.package_id, pdf)
    _substitute(s3_sink, approved, pdf, b"%PDF-1.4\nthe substitute")
    copy = json.loads(s3_sink.read_review(approved.package_id) or b"")
    s3_sink.write_review(forged.package_id, json.dumps({**copy, "package_id": forged.package_id}).encode())

    ledger = load_ledger(s3_sink)
    view = LockedView(s3_sink, ledger)
    result = build_uttrekk(
        view,
        tmp_path / "uttrekk",
        date_from=date(2026, 3, 1),
        date_to=date(2026, 3, 31),
        status="approved",
        status_of=ledger.status_of,
        ctx=ctx,
        xsd_dir=xsd_dir,
    )

    assert result.package_ids == [approved.package_id]
    exported = tmp_path / "uttrekk" / "DOKUMENT" / approved.package_id / pdf.removeprefix("DOKUMENT/")
    assert exported.read_bytes() == original
    assert {(f.rule, f.where) for f in view.findings} >= {("tampered", f"{approved.package_id}/{pdf}")}
    assert ("tampered", f"{REVIEWS_DIR}/{forged.package_id}.json") in {(f.rule, f.where) for f in ledger.findings}


def test_approving_again_restores_a_missing_copy_and_keeps_the_same_record(any_sink: Sink, tmp_path: Path) -> None:
    _, manifest = _stored(any_sink, tmp_path)
    first = _approve(any_sink, manifest.package_id)
    if isinstance(any_sink, S3Sink):
        any_sink.client.delete_object(Bucket=any_sink.bucket, Key=f"archive/{REVIEWS_DIR}/{manifest.package_id}.json")
    else:
        assert isinstance(any_sink, LocalSink)
        (any_sink.root / REVIEWS_DIR / f"{manifest.package_id}.json").unlink()

    again = _approve(any_sink, manifest.package_id, by="ola")

    assert again == first
    assert load_ledger(any_sink).findings == []
    assert len(any_sink.list_meta(AUDIT_DIR)) == 1  # no second event


def test_progress_is_reported_while_uploading(any_sink: Sink, tmp_path: Path) -> None:
    package_dir, manifest = make_package(tmp_path / "staging", files={"DOKUMENT/big.bin": b"x" * 300_000})
    seen: dict[str, int] = {}

    any_sink.put_package(package_dir, manifest, on_progress=lambda path, done: seen.__setitem__(path, done))

    assert seen["DOKUMENT/big.bin"] == 300_000
