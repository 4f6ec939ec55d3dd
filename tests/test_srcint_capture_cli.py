"""``somearkiv capture`` against the replay server (the capture-threads flow on Prefect), the re-capture that
finds a deleted and an edited comment, and the package built from it: evidence next to the capture, and
arkivstruktur.xml showing both changes. Plus ``python -m tests.replay.demo`` end to end."""

from __future__ import annotations

import json
import runpy
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from exporters.package import build_package
from noark import codes
from noark.xsd import validate_xml
from pipeline.settings import Settings
from schemas.package import MANIFEST_NAME, Manifest
from somearkiv.cli import app
from sources.capture import load_thread
from sources.evidence import read_evidence
from tests.replay.demo import serve_all, write_accounts
from tests.replay.server import replay_server

runner = CliRunner()
N5 = {"n": "http://www.arkivverket.no/standarder/noark5/arkivstruktur"}
FB_KEY = "facebook-100064123456789_1234567890123456"
YOUTUBE = "https://www.youtube.com/watch?v=AbCdEfGhIjK"
X_URL = "https://x.com/fjordvik/status/1853000000000000001"


def _invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "accounts.json"
    write_accounts(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    for entry in data["accounts"]:
        if entry["platform"] == "x":
            entry["aliases"] = ["fjordvik"]  # the handle in the pasted URL
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("SOMEARKIV_REPLAY_TOKEN", "replay-token-not-secret")
    monkeypatch.delenv("SOMEARKIV_ACCOUNTS_FILE", raising=False)
    return path


def test_capture_urls_then_recapture_an_account_and_package_it(tmp_path: Path, accounts: Path, prefect_harness,
                                                                monkeypatch: pytest.MonkeyPatch, xsd_dir: Path) -> None:
    out = tmp_path / "captures"
    with replay_server() as server:
        monkeypatch.setenv("SOMEARKIV_REPLAY_BASE_URL", server.url)
        serve_all(server)
        code, output = _invoke("capture", YOUTUBE, X_URL, "--out", str(out), "--accounts", str(accounts))
        assert code == 0, output
        assert "youtube-AbCdEfGhIjK: hentet, " in output and "x-1853000000000000001: hentet, " in output
        code, output = _invoke("capture", "--account", "fjordvik-facebook", "--days", "36500", "--out", str(out),
                               "--accounts", str(accounts))
        assert code == 0, output
        assert f"{FB_KEY}: hentet, " in output and "0 borte, 0 endret" in output
        serve_all(server, changed=True)
        code, output = _invoke("capture", "--account", "fjordvik-facebook", "--days", "36500", "--out", str(out),
                               "--accounts", str(accounts))
    assert code == 0, output
    assert f"{FB_KEY}: hentet, " in output and "1 borte, 1 endret" in output
    assert "youtube" not in output  # --account limits the re-capture to that account
    evidence = sorted((out / "evidence" / FB_KEY).glob("*.jsonl.gz"))
    assert len(evidence) == 2
    assert all("replay-token-not-secret" not in json.dumps(r) for r in read_evidence(evidence[0]))

    thread = load_thread(out / "threads" / f"{FB_KEY}.json")
    built = build_package(thread, None, media_dir=out / "media", work_dir=tmp_path / "work",
                          exported_at=datetime.now(UTC), ctx=Settings().noark())
    manifest = Manifest.model_validate_json((built.directory / MANIFEST_NAME).read_bytes())
    assert [f.path.rsplit("/", 1)[-1] for f in manifest.files if f.role == "evidence"] == [p.name for p in evidence]
    xml = built.directory / "arkivstruktur.xml"
    assert validate_xml(xml, "arkivstruktur", xsd_dir) == []
    assert validate_xml(built.directory / "arkivmelding.xml", "arkivmelding", xsd_dir) == []
    kinds = [m.findtext("n:merknadstype", namespaces=N5) for m in etree.parse(str(xml)).iterfind(".//n:merknad", N5)]
    assert codes.MERKNADSTYPE_FJERNET in kinds and codes.MERKNADSTYPE_ENDRET in kinds
    assert codes.MERKNADSTYPE_FULLSTENDIGHET in kinds


def test_bad_urls_unknown_accounts_and_missing_registry_are_one_line_exit_2(tmp_path: Path, accounts: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOMEARKIV_DATABASE_URL", f"sqlite:///{tmp_path / 'never-created.sqlite3'}")
    out = tmp_path / "captures"
    for args in (["https://example.com/\u202efoo"], ["https://fb.watch/abc"], ["--account", "nei\x07"], []):
        code, output = _invoke("capture", *args, "--out", str(out), "--accounts", str(accounts))
        assert code == 2, (args, output)
        assert output.count("\n") == 1 and output.startswith("feil: ")
        assert "\u202e" not in output and "\x07" not in output
    code, output = _invoke("capture", YOUTUBE, "--out", str(out))  # the registry is the database's: none here
    assert code == 2 and "somearkiv db upgrade" in output
    assert not out.exists()  # nothing was fetched or written


def test_a_thread_of_an_unknown_account_fails_alone_with_exit_1(tmp_path: Path, accounts: Path, prefect_harness,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "captures"
    with replay_server() as server:
        monkeypatch.setenv("SOMEARKIV_REPLAY_BASE_URL", server.url)
        serve_all(server)
        code, output = _invoke("capture", "https://www.tiktok.com/@andre.konto/video/7429000000000000001", YOUTUBE,
                               "--out", str(out), "--accounts", str(accounts))
    assert code == 1, output
    assert "tiktok-7429000000000000001: FEILET" in output and "youtube-AbCdEfGhIjK: hentet" in output
    assert (out / "threads" / "youtube-AbCdEfGhIjK.json").is_file()
    assert not (out / "threads" / "tiktok-7429000000000000001.json").exists()


def test_the_replay_demo_runs_as_a_module(tmp_path: Path, prefect_harness, monkeypatch: pytest.MonkeyPatch) -> None:
    # the demo sets these itself; registering them here restores them after the test
    monkeypatch.setenv("SOMEARKIV_REPLAY_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SOMEARKIV_REPLAY_TOKEN", "x")
    monkeypatch.setattr(sys, "argv", ["demo", "--out", str(tmp_path / "demo"), "--bucket", str(tmp_path / "bucket")])
    monkeypatch.delitem(sys.modules, "tests.replay.demo")  # run it fresh, as ``python -m`` does
    runpy.run_module("tests.replay.demo", run_name="__main__")
    captures = tmp_path / "demo" / "captures"
    assert len(list((captures / "threads").glob("*.json"))) == 6
    manifests = [Manifest.model_validate_json(p.read_bytes()) for p in (tmp_path / "bucket").rglob(MANIFEST_NAME)]
    assert len(manifests) == 6
    assert all(any(f.role == "evidence" for f in m.files) for m in manifests)
    facebook = next(m for m in manifests if m.platform.value == "facebook")
    xml = next((tmp_path / "bucket").rglob(f"{facebook.package_id}/arkivstruktur.xml")).read_text(encoding="utf-8")
    assert codes.MERKNADSTYPE_FJERNET in xml and codes.MERKNADSTYPE_ENDRET in xml
