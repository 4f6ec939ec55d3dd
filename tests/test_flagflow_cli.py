"""``somearkiv flag URL --now``: flag and export at once, in-process; bad input changes nothing."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from typer.testing import CliRunner

from pipeline.settings import Settings
from schemas.package import MANIFEST_NAME
from somearkiv.cli import app
from workflow.db import Database
from workflow.flags import FlagFilter, list_flags

SAMPLES = Settings().samples_dir
INSTAGRAM = "https://www.instagram.com/p/DFk2bZsNq7x/"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "captures"
    (root / "threads").mkdir(parents=True)
    shutil.copy(SAMPLES / "threads" / "instagram-nytt-bibliotek.json", root / "threads")
    shutil.copytree(SAMPLES / "media" / "instagram-nytt-bibliotek", root / "media" / "instagram-nytt-bibliotek")
    return root


def _flag(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["flag", *args, "--by", "ingrid"])
    return result.exit_code, result.output


def _packages(bucket: Path) -> list[str]:
    return sorted(p.name for p in bucket.glob("*") if (p / MANIFEST_NAME).is_file()) if bucket.exists() else []


@pytest.mark.flowrun
@pytest.mark.usefixtures("prefect_harness")
def test_flag_now_exports_the_thread_at_once(
    folder: Path, tmp_path: Path, seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOMEARKIV_DATABASE_URL", seeded_url)
    monkeypatch.setenv("SOMEARKIV_WORK_DIR", str(tmp_path / "work"))
    bucket = tmp_path / "bucket"
    code, out = _flag(INSTAGRAM, "--case", "2025/2210", "--reason", "høringsinnspill", "--now",
                      "--source", str(folder), "--bucket", str(bucket))
    assert code == 0, out
    assert "flagget:" in out and "skrevet" in out and "1 pakke(r) skrevet" in out
    assert [p.split("-")[1] for p in _packages(bucket)] == ["3551208744190226431"]
    db = Database(seeded_url)
    assert [f.status for f in list_flags(db)] == ["exported"]

    # A flag whose thread has no capture yet: flagged, reported as not exported (exit 1), stays pending.
    code, out = _flag("https://www.youtube.com/watch?v=q7Rk2fJvW0E", "--case", "2025/1875", "--now",
                      "--source", str(folder), "--bucket", str(bucket))
    assert code == 1, out
    assert "FEILET" in out and "ingen innsamling" in out
    assert sorted(f.status for f in list_flags(db)) == ["exported", "pending"]
    assert len(_packages(bucket)) == 1
    db.dispose()


@pytest.mark.parametrize("args, message", [
    (["https://example.com/p/123"], "example.com"),
    (["https://www.instagram.com/p/DFk2bZsNq7x/", "--case", "26/12"], "ugyldig saksnummer"),
    (["https://www.instagram.com/p/DFk2bZsNq7x/", "--case", "２０２６/１２"], "ugyldig saksnummer"),
    (["https://www.instagram.com/p/DFk2b\u202eZsNq7x/"], ""),
    (["https://www.instagram.com/p/DFk2bZsNq7x/", "--reason", "spam\x00"], "begrunnelse"),
    (["https://www.instagram.com/p/DFk2bZsNq7x/", "--by", "ukjent-person"], "ukjent"),
])
def test_bad_input_with_now_changes_nothing(
    args: list[str], message: str, folder: Path, tmp_path: Path, seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOMEARKIV_DATABASE_URL", seeded_url)
    bucket = tmp_path / "bucket"
    result = CliRunner().invoke(app, ["flag", *args, "--now", "--source", str(folder), "--bucket", str(bucket),
                                      *([] if "--by" in args else ["--by", "ingrid"])])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("feil: ") and message in result.output
    db = Database(seeded_url)
    assert list_flags(db, FlagFilter(include_withdrawn=True)) == []
    db.dispose()
    assert _packages(bucket) == []


def test_flagging_twice_reports_the_existing_flag_and_exports_nothing(
    folder: Path, tmp_path: Path, seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOMEARKIV_DATABASE_URL", seeded_url)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):  # no Prefect server, even after the harness
        code, out = _flag(INSTAGRAM, "--case", "2025/2210")
    assert code == 0 and "nattkjøring" in out, out
    bucket = tmp_path / "bucket"
    code, out = _flag("https://instagram.com/p/DFk2bZsNq7x", "--case", "2026/1", "--now", "--source", str(folder),
                      "--bucket", str(bucket))
    assert code == 2 and "allerede flagget" in out and "2025/2210" in out, out
    assert _packages(bucket) == []


def test_an_unreachable_prefect_server_is_a_warning_and_the_flag_stays(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOMEARKIV_DATABASE_URL", seeded_url)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with temporary_settings(updates={PREFECT_API_URL: f"http://127.0.0.1:{port}/api"}):
        code, out = _flag(INSTAGRAM, "--case", "2025/2210")
    assert code == 0, out
    assert "hendelsen kunne ikke sendes" in out and "neste nattkjøring" in out and "hendelse sendt" not in out
    db = Database(seeded_url)
    assert [f.status for f in list_flags(db)] == ["pending"]
    db.dispose()
