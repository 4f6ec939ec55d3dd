"""The ``somearkiv`` commands as a user runs them: demo, verify, approve, uttrekk, validate (local and S3)."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.settings import Settings
from somearkiv.cli import app
from storage.factory import open_sink
from tests.s3_server import S3_SECRET, s3_env_for

pytestmark = [pytest.mark.flowrun, pytest.mark.usefixtures("prefect_harness")]

runner = CliRunner()
DEMO_THREADS = 8


def _invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def demo_bucket(tmp_path_factory: pytest.TempPathFactory, prefect_harness) -> Path:
    bucket = tmp_path_factory.mktemp("cli") / "archive-bucket"
    code, out = _invoke("demo", "--bucket", str(bucket))
    assert code == 0, out
    assert out.count("skrevet  file://") == DEMO_THREADS
    assert out.count(" kommentarer, ") == DEMO_THREADS and " sider, " in out and " byte" in out
    assert f"Pakkene ligger i {bucket.as_uri()}" in out
    return bucket


@pytest.fixture
def bucket(demo_bucket: Path, tmp_path: Path) -> Path:
    """A private copy of the demo bucket, so a test may change it."""
    copy = tmp_path / "bucket"
    shutil.copytree(demo_bucket, copy)
    return copy


def _packages(bucket: Path) -> list[str]:
    return open_sink(str(bucket)).list_packages()


def test_demo_twice_writes_nothing_the_second_time(demo_bucket: Path) -> None:
    code, out = _invoke("demo", "--bucket", str(demo_bucket))
    assert code == 0, out
    assert out.count("uendret  file://") == DEMO_THREADS
    assert f"0 pakke(r) skrevet, {DEMO_THREADS} uendret, 0 feilet." in out


def test_demo_puts_its_packages_in_the_archivists_queue(demo_bucket: Path) -> None:
    from workflow.db import Database
    from workflow.packages import known_package_ids

    db = Database(Settings().workflow().database_url)
    try:
        assert set(_packages(demo_bucket)) <= known_package_ids(db)
    finally:
        db.dispose()


def test_verify_passes_then_names_a_tampered_file(bucket: Path) -> None:
    code, out = _invoke("verify", str(bucket))
    assert code == 0, out
    package = _packages(bucket)[0]
    capture = bucket / package / "capture" / "thread.json"
    capture.write_bytes(capture.read_bytes().replace(b"Fjordvik", b"Fjordv1k", 1))
    code, out = _invoke("verify", str(bucket))
    assert code == 1
    assert f"{package}/capture/thread.json" in out


def test_approve_locks_reject_records_and_uttrekk_of_the_approved_validates(bucket: Path, tmp_path: Path) -> None:
    approved, rejected = _packages(bucket)[:2]
    code, out = _invoke("approve", approved, "--by", "arkivar.anne", "--comment", "Ser bra ut", "--bucket", str(bucket))
    assert code == 0, out
    assert f"godkjent: {approved} av arkivar.anne" in out
    pdf = next((bucket / approved / "DOKUMENT").glob("*.pdf"))
    assert not os.stat(pdf).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)

    code, out = _invoke(
        "approve", rejected, "--reject", "--by", "arkivar.anne", "--comment", "Mangler vedlegg", "--bucket", str(bucket)
    )
    assert code == 0, out
    assert f"avvist: {rejected} av arkivar.anne: Mangler vedlegg" in out
    code, out = _invoke("approve", "finnes-ikke-0000", "--bucket", str(bucket))
    assert code == 2 and "finnes-ikke-0000" in out

    out_dir = tmp_path / "uttrekk"
    code, out = _invoke("uttrekk", "--out", str(out_dir), "--status", "approved", "--bucket", str(bucket))
    assert code == 0, out
    assert "uttrekk i" in out and "1 pakker" in out
    code, out = _invoke("validate", str(out_dir))
    assert code == 0, out


def test_uttrekk_of_the_whole_demo_validates_and_a_broken_one_does_not(bucket: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "uttrekk"
    code, out = _invoke(
        "uttrekk", "--out", str(out_dir), "--from", "2000-01-01", "--to", "2100-12-31", "--bucket", str(bucket)
    )
    assert code == 0, out
    assert f"{DEMO_THREADS} pakker" in out
    code, out = _invoke("validate", str(out_dir), "--json")
    assert code == 0, out
    victim = next((out_dir / "DOKUMENT").rglob("*.pdf"))
    victim.write_bytes(victim.read_bytes() + b"%")
    code, out = _invoke("validate", str(out_dir))
    assert code == 1
    assert victim.name in out
    assert "UGYLDIG" in out and "[dokumentfil-sjekksum]" in out


def test_validate_a_package_folder(bucket: Path) -> None:
    code, out = _invoke("validate", str(bucket / _packages(bucket)[0]))
    assert code == 0, out


def test_demo_into_s3_then_verify_and_approve(
    moto_endpoint: str, s3_bucket_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for key, value in s3_env_for(moto_endpoint).items():
        monkeypatch.setenv(key, value)
    code, out = _invoke("demo", "--bucket", s3_bucket_url)
    assert code == 0, out
    assert out.count(f"skrevet  {s3_bucket_url}/") == DEMO_THREADS
    code, out = _invoke("verify", s3_bucket_url)
    assert code == 0, out
    package = open_sink(s3_bucket_url, Settings().s3()).list_packages()[0]
    code, out = _invoke("approve", package, "--by", "arkivar.anne", "--bucket", s3_bucket_url)
    assert code == 0, out
    assert "låst (COMPLIANCE)" in out
    assert S3_SECRET not in out and S3_SECRET not in caplog.text


def test_pdf_renders_a_capture_file_and_names_the_field_of_a_broken_one(tmp_path: Path) -> None:
    from exporters.pdf import check_pdfa
    from tests.conftest import REPO_ROOT

    samples = REPO_ROOT / "samples"
    capture = samples / "threads" / "facebook-hoering-reguleringsplan-sentrum.json"
    out = tmp_path / "traad.pdf"
    code, text = _invoke("pdf", str(capture), "--out", str(out), "--media", str(samples / "media"),
                         "--saksnummer", "2026/1042", "--merking", "Journalpliktig")
    assert code == 0, text
    assert f"skrev {out}: " in text and " sider, " in text and "PDF/A-2b" in text
    assert check_pdfa(out, part="2") == []
    data = json.loads(capture.read_text(encoding="utf-8"))
    data["comments"][5]["created_at"] = "i går"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    code, text = _invoke("pdf", str(broken), "--out", str(tmp_path / "broken.pdf"))
    assert code == 2
    assert str(broken) in text and "comments[5]" in text and data["comments"][5]["id"] in text and "created_at" in text
    assert not (tmp_path / "broken.pdf").exists()


def test_operational_errors_are_one_norwegian_line_and_exit_2(tmp_path: Path) -> None:
    for args in (("verify", "ftp://x"), ("pdf", str(tmp_path / "nope.json"), "--out", str(tmp_path / "x.pdf"))):
        code, out = _invoke(*args)
        assert code == 2, (args, out)
        lines = [line for line in out.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("feil: "), (args, out)
        assert "Traceback" not in out


def test_screening_lists_masked_hits_and_records_a_decision(bucket: Path, tmp_path: Path) -> None:
    from workflow.db import upgrade

    upgrade(Settings().workflow().database_url)
    sensitive = next(p for p in _packages(bucket) if (bucket / p / "screening.json").is_file()
                     and b'"hits": []' not in (bucket / p / "screening.json").read_bytes())
    packages = _packages(bucket)
    code, out = _invoke("screening", sensitive, "--bucket", str(bucket))
    assert code == 0, out
    assert "ubehandlet" in out and " treff, " in out
    assert "010120" not in out and "Camilla" not in out  # neither the demo's number nor a hit's text is printed
    code, out = _invoke("screening", sensitive, "--treff", "1", "--beslutning", "clear", "--by", "arne",
                        "--bucket", str(bucket))
    assert code == 0 and "avkreftet" in out, out
    newer = [p for p in _packages(bucket) if p not in packages]
    assert len(newer) == 1 and f"Ny versjon av pakken: {newer[0]}" in out and f"{newer[0]}: " in out
    assert (bucket / "_screening" / f"{newer[0]}.json").is_file()
    assert not (bucket / "_screening" / f"{sensitive}.json").exists()
    code, out = _invoke("screening", sensitive, "--treff", "1", "--beslutning", "maybe", "--bucket", str(bucket))
    assert code == 2 and out.startswith("feil: ")
