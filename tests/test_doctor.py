"""``somearkiv doctor``: real checks against a local folder, moto's S3 server and a Prefect API URL."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from pipeline.doctor import (
    DoctorInput,
    check_bucket,
    check_database,
    check_prefect,
    check_renderer,
    check_xsds,
    run_checks,
)
from pipeline.settings import Settings
from schemas.findings import errors
from somearkiv.cli import app
from tests.s3_server import s3_settings_for
from workflow.db import upgrade


def _rules(findings: list[Any], severity: str) -> set[str]:
    return {f.rule for f in findings if f.severity == severity}


def test_a_local_setup_passes_and_warns_that_a_folder_is_not_worm(tmp_path: Path, xsd_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wf.sqlite3'}"
    upgrade(url)
    settings = Settings(_env_file=None, bucket=str(tmp_path / "b"), work_dir=tmp_path / "w", xsd_dir=xsd_dir,
                        database_url=url)
    findings = run_checks(DoctorInput(settings=settings))
    assert errors(findings) == []
    assert {"xsd-dir", "work-dir", "renderer", "bucket", "database"} <= _rules(findings, "info")
    assert {"object-lock", "prefect-api"} <= _rules(findings, "warning")


def test_an_unmigrated_database_says_to_run_db_upgrade(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    findings = list(check_database(DoctorInput(settings)))
    assert [f.severity for f in findings] == ["error"] and "db upgrade" in findings[0].message


def test_missing_xsds_and_an_unwritable_bucket_are_errors(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    settings = Settings(_env_file=None, bucket=str(blocker / "bucket"), xsd_dir=tmp_path)
    findings = list(check_xsds(DoctorInput(settings))) + list(check_bucket(DoctorInput(settings)))
    assert _rules(findings, "error") == {"xsd-dir", "bucket"}
    assert all("SOMEARKIV" in f.where for f in findings)


def test_s3_with_and_without_object_lock(moto_endpoint: str, s3_client: Any, s3_bucket_url: str) -> None:
    settings = s3_settings_for(moto_endpoint, bucket=s3_bucket_url)
    findings = list(check_bucket(DoctorInput(settings)))
    assert errors(findings) == [] and {"bucket", "object-lock"} <= _rules(findings, "info")

    plain = f"plain-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=plain, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
    findings = list(check_bucket(DoctorInput(s3_settings_for(moto_endpoint, bucket=f"s3://{plain}/a"))))
    assert _rules(findings, "error") == {"object-lock"}
    assert "create-bucket" in next(f.message for f in findings if f.rule == "object-lock")


def test_unreachable_s3_and_prefect_are_errors_without_secrets(tmp_path: Path) -> None:
    dead = "http://127.0.0.1:9"  # discard port: nothing listens
    settings = s3_settings_for(dead, bucket="s3://nowhere/x")
    findings = list(check_bucket(DoctorInput(settings))) + list(
        check_prefect(DoctorInput(settings, prefect_api_url="http://user:hunter2@127.0.0.1:9/api"))
    )
    assert _rules(findings, "error") == {"bucket", "prefect-api"}
    assert not any("hunter2" in f.message or "somearkiv-secret" in f.message for f in findings)


def test_renderer_check_makes_a_real_pdfa(tmp_path: Path) -> None:
    findings = list(check_renderer(DoctorInput(Settings(_env_file=None, pdfa_part="1"))))
    assert [f.severity for f in findings] == ["info"] and "PDF/A-1b" in findings[0].message


def test_cli_exit_status_follows_the_errors(tmp_path: Path, monkeypatch: Any, xsd_dir: Path) -> None:
    monkeypatch.setenv("SOMEARKIV_BUCKET", str(tmp_path / "bucket"))
    monkeypatch.setenv("SOMEARKIV_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("SOMEARKIV_XSD_DIR", str(xsd_dir))
    url = f"sqlite:///{tmp_path / 'wf.sqlite3'}"
    upgrade(url)
    monkeypatch.setenv("SOMEARKIV_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "0 feil" in result.output and "ADVARSEL" in result.output
    monkeypatch.setenv("SOMEARKIV_XSD_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1 and "FEIL" in result.output and "[xsd-dir]" in result.output
