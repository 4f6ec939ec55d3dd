"""``somearkiv flag``/``flags``/``unflag``/``db upgrade`` and friends, as an editor runs them (both engines)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from somearkiv.cli import app
from tests.conftest import REPO_ROOT

URL = "https://www.facebook.com/fjordvikkommune/posts/1042387765521904"


@pytest.fixture
def cli(seeded_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run a command against the seeded database; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("SOMEARKIV_DATABASE_URL", seeded_url)
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return run


def test_db_upgrade_creates_and_reports_the_schema(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workflow.db import head_revision

    target = tmp_path / "sub" / "wf.sqlite3"
    monkeypatch.setenv("SOMEARKIV_DATABASE_URL", f"sqlite:///{target}")
    runner = CliRunner()
    result = runner.invoke(app, ["flags"])
    assert result.exit_code == 2 and "somearkiv db upgrade" in result.stderr
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0 and head_revision() in result.stdout and target.is_file()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["db", "verify"]).stdout.strip() == "revisjonsloggen er hel"


def test_flag_list_unflag(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("flag", URL, "--case", "2026/1042", "--reason", "høringsinnspill", "--frist", "2026-03-15",
                         "--by", "ingrid")
    assert code == 0, err
    assert out.startswith("flagget: #1") and "facebook-1042387765521904" in out and "frist 15.03.2026" in out
    code, out, err = cli("flag", URL, "--case", "2026/1042", "--by", "ingrid")
    assert code == 2 and "allerede flagget" in err and "flagg #1" in err and err.count("\n") == 1
    code, out, _ = cli("flag", "--platform", "x", "--id", "1876533901228470281", "--kind", "archive-worthy",
                       "--by", "ingrid")
    assert code == 0 and "x-1876533901228470281" in out
    code, out, _ = cli("flags")
    assert code == 0 and out.strip().endswith("2 flagg")
    code, out, _ = cli("flags", "--platform", "x", "--json")
    listed = json.loads(out)
    assert [f["platform"] for f in listed] == ["x"] and listed[0]["kind"] == "archive-worthy"
    code, out, _ = cli("unflag", URL, "--by", "ingrid", "--comment", "feil tråd")
    assert code == 0 and "trukket tilbake" in out
    code, out, _ = cli("flags", "--status", "withdrawn")
    assert "#1 " in out and out.strip().endswith("1 flagg")
    assert cli("db", "verify")[0] == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["flag", "https://vm.tiktok.com/ZMabc/", "--case", "2026/1", "--by", "ingrid"], "kortlenke"),
        (["flag", "https://example.com/p/1", "--case", "2026/1", "--by", "ingrid"], "kjent plattform"),
        (["flag", URL, "--case", "26/1", "--by", "ingrid"], "ÅÅÅÅ/NNNN"),
        (["flag", URL, "--case", "2026/1", "--by", "mallory"], "ukjent bruker"),
        (["flag", URL, "--case", "2026/1", "--by", "ingrid", "--frist", "15.03.2026"], "ÅÅÅÅ-MM-DD"),
        (["flag", URL, "--case", "2026/1", "--by", "ingrid", "--kind", "important"], "--kind"),
        (["flag", URL, "--by", "ingrid"], "saksnummer"),
        (["flag", "--by", "ingrid", "--case", "2026/1"], "adressen"),
        (["flag", URL, "--platform", "x", "--id", "1", "--by", "ingrid"], "ikke begge"),
        (["flag", URL, "--case", "2026/1", "--by", "ingrid", "--reason", "a\x07b"], "U+0007"),
        (["flags", "--status", "lost"], "--status"),
        (["unflag", URL, "--by", "ingrid"], "ikke flagget"),
    ],
)
def test_bad_input_is_one_norwegian_line_exit_2_and_changes_nothing(cli, args: list[str], words: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli(*args)
    assert code == 2, (out, err)
    assert err.startswith("feil: ") and words in err and err.count("\n") == 1
    assert cli("flags", "--status", "withdrawn")[1].strip().endswith("0 flagg")
    assert cli("flags")[1].strip().endswith("0 flagg")


def test_users_accounts_crisis_and_import(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("user", "add", "tone", "--name", "Tone Rønning", "--role", "editor", "--unit", "Oppvekst")
    assert code == 0, err
    assert "tone" in cli("user", "list")[1]
    assert cli("user", "add", "tone", "--name", "X", "--role", "editor")[0] == 2
    assert "ukjent rolle" in cli("user", "add", "per", "--name", "Per", "--role", "king")[2]
    code, out, err = cli("account", "add", "facebook", "fjordvikkommune", "--name", "Fjordvik kommune",
                         "--unit", "Kommunikasjon", "--by", "ada")
    assert code == 0, err
    refused = cli("account", "add", "x", "FjordvikVeg", "--name", "V", "--unit", "V", "--by", "ingrid")
    assert refused[0] == 2 and "rollen admin" in refused[2]
    code, out, err = cli("crisis", "declare", "--title", "Flom i Fjorddalen", "--start", "2026-03-01T06:00",
                         "--end", "2026-03-08", "--account", "facebook/fjordvikkommune", "--by", "ada")
    assert code == 0 and "kriseperiode #1" in out, err
    assert "ukjent konto" in cli("crisis", "declare", "--title", "T", "--start", "2026-03-01",
                                 "--account", "x/nobody", "--by", "ada")[2]
    code, out, err = cli("import-flags", str(REPO_ROOT / "samples" / "flags.json"), "--by", "ada")
    assert code == 0 and "8 flagg importert" in out, err
    code, out, _ = cli("import-flags", str(REPO_ROOT / "samples" / "flags.json"), "--by", "ada")
    assert code == 0 and "0 flagg importert, 8 fantes fra før" in out
