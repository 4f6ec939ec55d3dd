"""Hostile input to the CLI's file and id arguments: one Norwegian line and exit 2, never a traceback, never a
hang on a FIFO, and never a device, folder or link replaced by an output file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from schemas.capture import capture_bytes
from somearkiv.cli import app
from tests.factories import make_thread

RUN_CLI = "import sys; from somearkiv.cli import app; sys.argv[0] = 'somearkiv'; app()"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'workflow.sqlite3'}"
    monkeypatch.setenv("SOMEARKIV_DATABASE_URL", url)
    monkeypatch.setenv("USER", "tester")
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["user", "add", "tester", "--name", "T", "--role", "admin", "--role", "editor"]
                         ).exit_code == 0
    return url


def _one_line_exit_2(args: list[str]) -> str:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("feil: "), result.stderr
    assert "Traceback" not in result.output and "Usage:" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("flag_id", ["99999999999999999999", "9223372036854775808", "2147483648"])
def test_unflag_an_id_no_database_column_can_hold_is_not_found(database: str, flag_id: str) -> None:
    assert "finnes ikke" in _one_line_exit_2(["unflag", "--flag", flag_id])


@pytest.mark.parametrize("content", [
    b'[{"thread_url": "https://www.facebook.com/fjordvik/posts/1", "case_number": ' + b"9" * 5000 + b"}]",
    b"[" * 100_000 + b"]" * 100_000,
    b'[{"thread_url": "\xff"}]',
    b"\x00",
])
def test_import_flags_of_a_broken_file_is_one_line(database: str, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "flags.json"
    path.write_bytes(content)
    assert "flags.json" in _one_line_exit_2(["import-flags", str(path)])


@pytest.mark.parametrize("option", ["--start", "--end"])
def test_a_crisis_at_the_edge_of_the_calendar_is_one_line(database: str, option: str) -> None:
    args = ["crisis", "declare", "--title", "Flom", "--start", "2026-01-01", "--account", "facebook/fjordvik"]
    line = _one_line_exit_2([*args, option, "0001-01-01"])
    assert option in line and "utenfor gyldige datoer" in line


@pytest.mark.parametrize("args,norwegian", [
    (["validate", "/finnes/ikke"], "'/finnes/ikke' finnes ikke"),
    (["import-flags", "/"], "'/' er en mappe, ikke en fil"),
    (["flag", "--no-such-option"], "ukjent valg --no-such-option"),
    (["unflag", "--flag", "abc"], "ugyldig verdi for '--flag': må være et heltall"),
    (["uttrekk", "--out", "x", "--from", "2026-02-30"], "'2026-02-30' har feil form"),
    (["approve"], "mangler argumentet"),
    (["pdf", "x.json"], "mangler valget '--out'"),
    (["flags", "a", "b"], "uventede ekstra argumenter (a b)"),
    (["finnes-ikke"], "ukjent kommando 'finnes-ikke'"),
])
def test_a_usage_error_is_one_norwegian_line(args: list[str], norwegian: str) -> None:
    line = _one_line_exit_2(args)
    assert "ugyldig bruk av" in line and "--help" in line and norwegian in line, line
    for english in ("Invalid value", "does not exist", "No such", "Missing", "Got unexpected", "Input should"):
        assert english not in line, line


def _capture(tmp_path: Path) -> Path:
    path = tmp_path / "thread.json"
    path.write_bytes(capture_bytes(make_thread()))
    return path


def test_pdf_never_replaces_a_folder_a_fifo_or_a_link_named_by_out(tmp_path: Path) -> None:
    capture = _capture(tmp_path)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    fifo = tmp_path / "a-fifo"
    os.mkfifo(fifo)
    target = tmp_path / "kept.txt"
    target.write_text("kept")
    link = tmp_path / "a-link"
    link.symlink_to(target)
    for out in (folder, fifo, link):
        assert "ikke en vanlig fil" in _one_line_exit_2(["pdf", str(capture), "--out", str(out)])
    assert folder.is_dir() and fifo.is_fifo() and link.is_symlink() and target.read_text() == "kept"
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob("*.pdf"))


def _subprocess(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", RUN_CLI, *args], capture_output=True, text=True, timeout=60,
                          cwd=cwd, env={**os.environ, "SOMEARKIV_DATABASE_URL": f"sqlite:///{cwd / 'wf.sqlite3'}"})


@pytest.mark.parametrize("command", ["pdf", "import-flags", "import"])
def test_a_fifo_as_input_file_is_refused_not_read_forever(tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "input.json"
    os.mkfifo(fifo)
    out = {"pdf": ["--out", str(tmp_path / "out.pdf")], "import": ["--out", str(tmp_path / "captures")]}
    args = [command, str(fifo), *out.get(command, [])]
    if command == "import-flags":
        assert _subprocess(["db", "upgrade"], tmp_path).returncode == 0
    done = _subprocess(args, tmp_path)  # a read of the FIFO would block until the timeout
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "vanlig fil" in done.stderr, done.stderr


def test_an_error_message_spanning_lines_is_printed_as_one(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_bytes(b'{"thread_id": "1", \x00}')  # the streaming JSON parser's message spans three lines
    line = _one_line_exit_2(["pdf", str(broken), "--out", str(tmp_path / "out.pdf")])
    assert "broken.json" in line


def test_import_flags_reports_each_bad_entry_in_norwegian_and_imports_the_rest(database: str, tmp_path: Path
                                                                                ) -> None:
    good = {"thread_url": "https://www.facebook.com/fjordvikkommune/posts/8899001122", "kind": "archive-worthy",
            "flagged_by": "tester", "flagged_at": "2026-03-01T12:00:00+01:00"}
    entries = [1, None, {}, {**good, "evil": True}, {**good, "kind": "urgent"}, {**good, "flagged_at": "i går"},
               {**good, "thread_url": 5}, good, good]
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    result = CliRunner().invoke(app, ["import-flags", str(path)])
    assert result.exit_code == 1, result.output
    assert "1 flagg importert, 1 fantes fra før, 7 feil" in result.stdout
    for english in ("Field required", "Input should", "Extra inputs", "not permitted", "valid"):
        assert english not in result.stderr, result.stderr
    for index in range(7):
        assert f"flags.json[{index}]" in result.stderr
    assert "evil: ukjent felt" in result.stderr and "thread_url: mangler" in result.stderr


def test_import_flags_refuses_a_key_given_twice(database: str, tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    path.write_bytes(b'[{"thread_url": "https://www.facebook.com/fjordvikkommune/posts/1", "kind": "archive-worthy",'
                     b' "kind": "journal-required", "flagged_by": "tester", "flagged_at": "2026-03-01T12:00:00Z"}]')
    line = _one_line_exit_2(["import-flags", str(path)])
    assert "flags.json" in line and "'kind' står flere ganger" in line
