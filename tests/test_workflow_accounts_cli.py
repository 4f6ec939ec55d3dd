"""``somearkiv account import|list|export`` and ``somearkiv capture`` with the registry in the workflow
database: a missing or expired token fails the thread naming the account and what to renew, and the token is
never printed, logged, stored in the database or the capture folder, or put in a package."""

from __future__ import annotations

import gzip
import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from exporters.package import build_package
from pipeline.settings import Settings
from somearkiv.cli import app
from sources.accounts import load_accounts
from tests.replay.demo import serve_all
from tests.replay.server import Reply, fixture, replay_server
from workflow.db import make_engine

TOKEN = "EAAGsuperSecretLiveToken987"
FB_URL = "https://www.facebook.com/fjordvikkommune/posts/1234567890123456"
FB_KEY = "facebook-1234567890123456"
REGISTRY = {"accounts": [
    {"key": "fjordvik-facebook", "platform": "facebook", "platform_id": "100064123456789",
     "display_name": "Fjordvik kommune", "owning_unit": "Kommunikasjonsavdelingen", "editors": ["ingrid"],
     "credentials_ref": "env:ACCOUNTS_TEST_FB_TOKEN", "aliases": ["fjordvikkommune"],
     "noark": {"arkivdel": "Sosiale medier", "series": "Facebook"}},
    {"key": "veg-x", "platform": "x", "platform_id": "900000000000000001", "display_name": "Fjordvik veg",
     "owning_unit": "Veg og trafikk", "editors": ["redaktør"], "credentials_ref": "secret:x-veg"},
]}


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    path = tmp_path / "workflow.sqlite3"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("SOMEARKIV_DATABASE_URL", url)
    monkeypatch.delenv("SOMEARKIV_ACCOUNTS_FILE", raising=False)
    yield url


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _registry(tmp_path: Path) -> Path:
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps(REGISTRY), encoding="utf-8")
    return path


def test_import_list_export(db_url: str, tmp_path: Path) -> None:
    code, out, err = run("account", "import", str(_registry(tmp_path)), "--by", "ada")
    assert code == 0, err
    assert "fjordvik-facebook: opprettet" in out and "2 kontoer: 2 opprettet, 0 oppdatert, 0 uendret" in out
    assert "2 kontoer: 0 opprettet, 0 oppdatert, 2 uendret" in run("account", "import", str(_registry(tmp_path)),
                                                                  "--by", "ada")[1]
    code, out, _ = run("account", "add", "tiktok", "fjordvik.ungdomsrad", "--name", "Ungdomsrådet", "--unit",
                       "Oppvekst", "--by", "ada")
    assert code == 0
    code, out, _ = run("account", "list")
    lines = out.splitlines()
    assert lines[0].startswith("fjordvik-facebook: facebook/fjordvikkommune (id 100064123456789)")
    assert "redaktører: ingrid;" in lines[0] and "arkivdel: Sosiale medier / Facebook" in lines[0]
    assert "MANGLER tilgangsnøkkelreferanse (credentials_ref), ansvarlige redaktører" in lines[1]
    assert "arkivdel: Dialog i sosiale medier (innstilling)" in lines[1]
    assert "redaktør (ukjent bruker)" in lines[2]
    out_file = tmp_path / "export.json"
    assert run("account", "export", "--out", str(out_file))[0] == 0
    exported = json.loads(out_file.read_text(encoding="utf-8"))
    assert [a["key"] for a in exported["accounts"]] == ["fjordvik-facebook", "tiktok-fjordvik.ungdomsrad", "veg-x"]
    complete = {"accounts": [a for a in exported["accounts"] if "credentials_ref" in a]}
    out_file.write_text(json.dumps(complete), encoding="utf-8")
    assert len(load_accounts(out_file).accounts) == 2  # the export loads back with the file's own validation


def test_hostile_import_is_one_line_and_changes_nothing(db_url: str, tmp_path: Path) -> None:
    bad = json.loads(json.dumps(REGISTRY))
    bad["accounts"][1]["display_name"] = "Ond\u202e\x1b[2J"
    path = tmp_path / "bad\x07.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    code, _, err = run("account", "import", str(path), "--by", "ada")
    assert code == 2 and err.startswith("feil: ") and err.count("\n") == 1 and "\x1b" not in err
    assert "\x07" not in err
    code, _, err = run("account", "import", str(tmp_path / "missing.json"), "--by", "ada")
    assert code == 2 and "kan ikke lese" in err
    assert run("account", "list")[1].startswith("Ingen kontoer registrert")
    code, _, err = run("account", "add", "x", "FjordvikVeg", "--name", "Veg", "--unit", "Veg", "--credentials",
                       TOKEN, "--by", "ada")
    assert code == 2 and "aldri selve nøkkelen" in err and TOKEN not in err
    code, _, err = run("account", "add", "x", "@FjordvikVeg", "--name", "Veg", "--unit", "Veg", "--id",
                         "900000000000000001", "--editor", "ingrid", "--credentials", "secret:x-veg", "--arkivdel",
                         "Sosiale medier", "--series", "X", "--by", "ada")
    assert code == 0, err
    line = run("account", "list")[1]
    assert line.startswith("x-fjordvikveg: x/@FjordvikVeg (id 900000000000000001)") and "MANGLER" not in line
    assert "nøkkel: secret:x-veg; arkivdel: Sosiale medier / X" in line


def _everything(root: Path, url: str) -> str:
    """Every byte the run left: files (gzip opened), and every row of every table of the database."""
    parts = []
    for path in root.rglob("*"):
        if path.is_file() and not path.name.endswith((".sqlite3", ".sqlite3-wal", ".sqlite3-shm")):
            data = path.read_bytes()
            parts.append((gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", "replace"))
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            for table in sa.inspect(conn).get_table_names():
                parts += [repr(tuple(row)) for row in conn.execute(sa.text(f'SELECT * FROM "{table}"'))]
    finally:
        engine.dispose()
    return "\n".join(parts)


def test_capture_reads_the_registry_from_the_database_and_never_keeps_the_token(
        db_url: str, tmp_path: Path, prefect_harness, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    assert run("account", "import", str(_registry(tmp_path)), "--by", "ada")[0] == 0
    out = tmp_path / "captures"
    caplog.set_level(logging.DEBUG)
    with replay_server() as server:
        monkeypatch.setenv("SOMEARKIV_REPLAY_BASE_URL", server.url)
        serve_all(server)
        post = "/v25.0/1234567890123456"  # the id as the pasted URL carries it
        server.add(post, fixture("facebook/post.json"))
        server.add(f"{post}/comments", fixture("facebook/comments_p1.json"))
        server.add(f"{post}/comments", fixture("facebook/comments_p2.json"), query={"after": "QVFIUnh5ejEyMzQ1"})
        code, stdout, stderr = run("capture", FB_URL, "--out", str(out))  # no token yet
        assert code == 1 and f"{FB_KEY}: FEILET" in stdout, stdout + stderr
        assert "Fjordvik kommune" in stdout and "env:ACCOUNTS_TEST_FB_TOKEN" in stdout
        assert "Page access token" in stdout  # what to renew
        monkeypatch.setenv("ACCOUNTS_TEST_FB_TOKEN", TOKEN)
        code, stdout, stderr = run("capture", FB_URL, "--out", str(out))
        assert code == 0, stdout + stderr
        assert f"{FB_KEY}: hentet" in stdout
        hits = server.hits(post)
        assert hits and all(TOKEN in (h.headers.get("authorization", "") + json.dumps(h.query)) for h in hits)
        server.add(post, Reply(400, fixture("facebook/error_token_expired.json").body))
        code, expired, _ = run("capture", FB_URL, "--out", str(out))
    assert code == 1 and "Fjordvik kommune" in expired and "hent en ny side" in expired  # what to renew
    thread_path = next((out / "threads").glob("facebook-*.json"))
    built = build_package(json_thread(thread_path), None, media_dir=out / "media", work_dir=tmp_path / "work",
                          exported_at=json_thread(thread_path).captured_at, ctx=Settings().noark())
    seen = _everything(tmp_path, db_url) + stdout + stderr + expired + caplog.text
    assert (built.directory / "capture").is_dir() and TOKEN not in seen
    assert TOKEN[:12] not in seen  # not even a prefix


def json_thread(path: Path):  # type: ignore[no-untyped-def]
    from sources.capture import load_thread

    return load_thread(path)
