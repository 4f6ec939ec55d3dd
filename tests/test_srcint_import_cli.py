"""``somearkiv import``: the four export formats into a capture folder, the report in Norwegian, and hostile
input (malformed files, duplicates, control characters, bidi overrides, broken zips) one line each."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from schemas.capture import capture_bytes
from somearkiv.cli import app
from somearkiv.sources_commands import shown
from sources.capture import load_thread
from sources.folder import load_catalog
from tests.factories import make_thread
from tests.test_sources_imports import build_export

runner = CliRunner()
OWN_ONLY = "inneholder bare kontoens egen aktivitet"


def _invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_import_of_all_four_formats_writes_threads_and_says_exports_hold_own_activity(tmp_path: Path) -> None:
    out = tmp_path / "captures"
    code, output = _invoke("import", str(build_export(tmp_path / "export")), "--out", str(out))
    assert code == 1, output  # the fixtures hold a few broken entries on purpose: each is named, the rest imported
    assert output.startswith("Importerte 4 tråder og 6 egne kommentarer fra 6 filer")
    assert "Hoppet over x/data/tweets.js[3]: mangler id_str" in output
    assert "Facebook-eksport, Instagram-eksport, X-arkiv, YouTube Takeout" in output
    assert "Skrev 4 tråd(er) til" in output and OWN_ONLY in output
    catalog = load_catalog(out)
    assert catalog.broken == [] and len(catalog.unflagged) == 4
    again, output = _invoke("import", str(build_export(tmp_path / "export2")), "--out", str(out))
    assert again == 1 and output.count("ikke overskrevet") == 4 and "Skrev 0 tråd(er)" in output


def test_a_missing_path_or_a_broken_zip_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, output = _invoke("import", str(tmp_path / "nope\u202e\x07"), "--out", str(tmp_path / "c"))
    assert code == 2 and output.count("\n") == 1 and output.startswith("feil: ")
    assert "\x07" not in output and "\u202e" not in output and "⟨U+202E⟩" in output
    broken = tmp_path / "export.zip"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 30 + b"PK\x05\x06" + b"\xff" * 18)
    code, output = _invoke("import", str(broken), "--out", str(tmp_path / "c"))
    assert code == 2 and output.count("\n") == 1 and output.startswith("feil: "), output
    assert not (tmp_path / "c" / "threads").exists() or not any((tmp_path / "c" / "threads").iterdir())


def test_unknown_account_is_exit_2(tmp_path: Path, seeded_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOMEARKIV_DATABASE_URL", seeded_url)  # the registry is the workflow database's
    code, output = _invoke("import", str(build_export(tmp_path / "e")), "--account", "finnes\x1bikke")
    assert code == 2 and "finnes⟨U+001B⟩ikke" in output and output.count("\n") == 1


def test_hostile_export_files_are_skipped_one_by_one_and_the_rest_imported(tmp_path: Path) -> None:
    root = build_export(tmp_path / "export")
    thread = make_thread(thread_id="dup1")
    # the same thread twice (two canonical files), a thread with a lone surrogate and RTL, malformed files
    (root / "a.json").write_bytes(capture_bytes(thread))
    (root / "b.json").write_bytes(capture_bytes(thread))
    odd = make_thread(thread_id="odd\u202e1", title="\u202eevil \ud800 \x07")
    (root / "odd.json").write_bytes(capture_bytes(odd))
    (root / "bad\u202e\x07.json").write_bytes(b'{"account": 1, "captured_at": [')
    (root / os.fsdecode(b"x\xff.json")).write_bytes(b'{"account": {}, "captured_at": "nope"}')
    (root / "nested" / "your_posts_1.json").parent.mkdir()
    (root / "nested" / "your_posts_1.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    out = tmp_path / "captures"
    code, output = _invoke("import", str(root), "--out", str(out))
    assert code == 1, output  # files could not be read: the check found problems
    lines = output.splitlines()
    assert all(ch.isprintable() for line in lines for ch in line)
    assert not any(ch in output for ch in "\u202e\x07")
    skipped = [line for line in lines if line.startswith("Hoppet over")]
    assert any("bad⟨U+202E⟩⟨U+0007⟩.json" in line for line in skipped)
    assert any("x⟨U+DCFF⟩.json" in line for line in skipped)
    assert any("nested/your_posts_1.json" in line for line in skipped)
    assert sum("flere ganger" in line for line in skipped) == 1
    catalog = load_catalog(out)
    ids = sorted(load_thread(p).thread_id for p in catalog.unflagged)
    assert "dup1" in ids and "odd\u202e1" in ids and len(ids) == 6  # 4 formats + dup1 once + odd
    written = next(p for p in (out / "threads").iterdir() if "odd" in p.name)
    assert written.read_bytes() == capture_bytes(odd)  # kept verbatim in the capture


def test_a_zip_with_path_tricks_reads_only_its_own_entries(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../evil/your_posts_1.json", '[{"timestamp": 1, "data": [{"post": "fra zip"}]}]')
        zf.writestr("/abs/thread.json", capture_bytes(make_thread(thread_id="z1")))
    out = tmp_path / "captures"
    code, output = _invoke("import", str(archive), "--out", str(out))
    assert code == 0, output
    assert "Skrev 2 tråd(er)" in output
    assert not (tmp_path / "evil").exists() and not Path("/abs").exists()
    assert sorted(p.parent for p in out.rglob("*.json")) == [out / "threads"] * 2


def test_shown_escapes_everything_a_terminal_could_act_on() -> None:
    assert shown("a\x1b[2Jb\u202ec\u2066d\ud800\ne") == "a⟨U+001B⟩[2Jb⟨U+202E⟩c⟨U+2066⟩d⟨U+D800⟩ e"
    assert len(shown("x" * 10_000)) == 301
