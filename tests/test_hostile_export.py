"""Hostile captures through true export runs: every thread gets its line, nothing stops the run or the summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import exporters.package as package_module
import sources.capture as capture_module
from flows.export import export_threads
from pipeline.export import summary_lines
from schemas.package import MANIFEST_NAME
from somearkiv.cli import app
from tests.artifacts import latest_artifact
from tests.factories import make_thread
from tests.hostile import deep_capture, flag_json, other_thread, write_catalog

pytestmark = [pytest.mark.flowrun, pytest.mark.usefixtures("prefect_harness")]
SURROGATE_TITLE = "Høring \ud800 om \x07 vei | ny"


def _hostile_catalog(root: Path) -> Path:
    """Clashing ids, a surrogate title, a deep capture, a thread with two flags."""
    surrogate = other_thread("tittel", post=make_thread().post.model_copy(update={"text": SURROGATE_TITLE}))
    twice = other_thread("to-flagg")
    threads = {
        "a.json": other_thread("kollisjon/1"),
        "b.json": other_thread("kollisjon-1"),
        "c.json": surrogate,
        "d.json": twice,
        "deep.json": deep_capture(),
    }
    flags = [flag_json(t.url) for t in threads.values() if not isinstance(t, bytes)]
    flags.append(flag_json(twice.url, kind="journal-required", case_number="2026/9"))
    return write_catalog(root, threads, flags)


def test_a_hostile_folder_exports_every_good_thread_and_names_every_bad_one(tmp_path: Path) -> None:
    source = _hostile_catalog(tmp_path / "captures")
    run = export_threads(bucket=str(tmp_path / "bucket"), source_dir=str(source))
    assert sorted(r.thread_key for r in run.results) == [
        "facebook-kollisjon-1", "facebook-kollisjon~2F1", "facebook-tittel"
    ]
    assert sorted(p.name.rsplit("-", 1)[0] for p in (tmp_path / "bucket").iterdir() if (p / MANIFEST_NAME).is_file()) \
        == ["facebook-kollisjon-1", "facebook-kollisjon~2F1", "facebook-tittel"]
    failures = dict(run.failures)
    assert "nestet for dypt" in failures["deep.json"]
    assert "2 flagg for samme tråd" in failures["facebook-to-flagg"] and "sak 2026/9" in failures["facebook-to-flagg"]
    text = "\n".join(line for line, _ in summary_lines(run, "file:///b"))
    text.encode("utf-8")  # strict: the summary can always be printed
    assert "Høring ⟨U+D800⟩ om ⟨U+0007⟩ vei | ny" in text
    artifact = latest_artifact("export-summary")
    assert "Høring ⟨U+D800⟩ om ⟨U+0007⟩ vei \\| ny" in artifact and "**feilet**" in artifact


def test_the_cli_prints_every_thread_even_with_a_surrogate_title(tmp_path: Path) -> None:
    source = write_catalog(tmp_path / "captures", {
        "c.json": other_thread("tittel", post=make_thread().post.model_copy(update={"text": SURROGATE_TITLE})),
        "deep.json": deep_capture(),
    })
    result = CliRunner().invoke(app, ["export", "--source", str(source), "--bucket", str(tmp_path / "bucket")])
    assert result.exit_code == 1, result.output  # one thread failed: "the check found problems"
    assert "Høring ⟨U+D800⟩ om ⟨U+0007⟩ vei | ny" in result.output
    assert "FEILET   deep.json:" in result.output and "1 pakke(r) skrevet, 0 uendret, 1 feilet." in result.output


def test_each_capture_is_parsed_once_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = write_catalog(tmp_path / "captures", {"a.json": make_thread(), "b.json": other_thread("2")})
    calls: list[str] = []
    real = capture_module.parse_thread

    def counting(raw, source="<capture>"):
        calls.append(source)
        return real(raw, source)

    monkeypatch.setattr(capture_module, "parse_thread", counting)
    for status in ("written", "unchanged"):
        calls.clear()
        run = export_threads(bucket=str(tmp_path / "bucket"), source_dir=str(source))
        assert {r.status for r in run.results} == {status} and len(run.results) == 2
        assert sorted(Path(c).name for c in calls) == ["a.json", "b.json"], status


def test_staging_is_private_to_a_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.export import planned_package_id

    work = tmp_path / "work"
    monkeypatch.setenv("SOMEARKIV_WORK_DIR", str(work))
    thread = make_thread()
    theirs = work / planned_package_id(thread)  # another run staging the same package, the old shared layout
    (theirs / "capture").mkdir(parents=True)
    (theirs / "capture" / "thread.json").write_text("another run's file", encoding="utf-8")
    other_run = work / "run-1-abc"
    other_run.mkdir()
    (other_run / "x").write_text("another run's staging", encoding="utf-8")
    source = write_catalog(tmp_path / "captures", {"a.json": thread})
    run = export_threads(bucket=str(tmp_path / "bucket"), source_dir=str(source))
    assert run.ok and len(run.results) == 1
    assert (theirs / "capture" / "thread.json").read_text(encoding="utf-8") == "another run's file"
    assert (other_run / "x").is_file()
    assert sorted(p.name for p in work.iterdir()) == sorted([theirs.name, other_run.name])  # ours is gone


def test_the_run_deadline_reports_the_rest_as_not_exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOMEARKIV_RUN_DEADLINE_MINUTES", "0.05")  # 3 s
    monkeypatch.setenv("SOMEARKIV_EXPORT_WORKERS", "0")  # build in this process, where the patch is

    def hang(*_args, **_kwargs):
        end = time.monotonic() + 120
        while time.monotonic() < end:  # short sleeps: interruptible by either of Prefect's timeout methods
            time.sleep(0.05)

    monkeypatch.setattr(package_module, "render_thread_pdf", hang)
    source = write_catalog(tmp_path / "captures", {"a.json": make_thread(), "b.json": other_thread("2")})
    started = time.monotonic()
    run = export_threads(bucket=str(tmp_path / "bucket"), source_dir=str(source))
    assert time.monotonic() - started < 60
    assert sorted(key for key, _ in run.failures) == ["facebook-100_200", "facebook-2"]
    assert all("kjøringens frist på 0.05 minutter gikk ut" in message for _, message in run.failures)
    assert run.results == []


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "somearkiv"), *args],
        capture_output=True, text=True, errors="backslashreplace", env=env, timeout=300, check=False,
    )


def _env_with_harness() -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    return {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}


@pytest.mark.parametrize(
    ("flags", "args", "message"),
    [
        (b'{"not": "a list"}', [], "flags.json: skal være en JSON-liste med flagg"),
        (b"[" * 50_000 + b"]" * 50_000, [], "flags.json: JSON-en er nestet for dypt"),
        (None, ["--thread", "finnes-ikke", "--thread", "facebook-100_200"], "nøkkel/id finnes-ikke"),
        (None, ["--thread", "\udcff\u202e"], r"--thread '⟨U+DCFF⟩\u202e': ugyldige tegn"),
    ],
)
def test_export_with_bad_flags_or_an_unknown_thread_is_one_line(
    tmp_path: Path, flags: bytes | None, args: list[str], message: str
) -> None:
    source = write_catalog(tmp_path / "captures", {"a.json": make_thread()}, flags)
    done = _cli(["export", "--source", str(source), "--bucket", str(tmp_path / "bucket"), *args], _env_with_harness())
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("feil: ") and message in lines[0], done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_export_of_a_folder_without_threads_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done = _cli(["export", "--source", str(tmp_path / "empty")], _env_with_harness())
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0 and "mangler mappen threads/" in done.stderr
    assert json.dumps(done.stdout) == '""'
