"""Journal numbers and new cases that last across uttrekk (pipeline.numbering over the workflow database).

Every test runs on SQLite and on a real PostgreSQL server (tests/pg_server.py).
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from noark import ids
from noark.testing import sample_context, sample_flag, sample_thread, write_package
from noark.uttrekk import build_uttrekk
from pipeline.numbering import DatabaseNumbering, ManifestIndex
from schemas.thread import FlagKind
from somearkiv.cli import app
from storage.local import LocalSink
from workflow.db import Database
from workflow.numbers import journal_number

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
NOW = datetime(2026, 4, 10, tzinfo=UTC)
Numbers = dict[str, tuple[int, int, int, str | None]]


def _at(day: int) -> datetime:
    return datetime(2026, 3, day, 12, 0, tzinfo=UTC)


def _write(root: Path, thread_id: str, day: int, *, case: str | None = "2026/1042",
           kind: FlagKind = FlagKind.JOURNAL_REQUIRED, title: str | None = None) -> None:
    thread = sample_thread(thread_id)
    flag = sample_flag(thread, kind=kind, case_number=case, case_title=title)
    write_package(root, thread, flag, exported_at=_at(day), ctx=sample_context())


@pytest.fixture
def bucket(tmp_path: Path) -> Path:
    """Two threads in case 2026/1042, one journal-required thread opening a new case, one archive-worthy
    thread without a case (not journaled)."""
    root = tmp_path / "bucket"
    _write(root, "101", 3)
    _write(root, "102", 4)
    _write(root, "103", 5, case=None, title="Ny skolestruktur – høring")
    _write(root, "104", 6, case=None, kind=FlagKind.ARCHIVE_WORTHY)
    return root


def _numbers(out: Path) -> Numbers:
    """journalpost systemID → (journalår, journalsekvensnummer, journalpostnummer, saksnummer of its mappe)."""
    tree = etree.parse(str(out / "arkivstruktur.xml"))
    found: Numbers = {}
    for mappe in tree.iter("{*}mappe"):
        year, seq = mappe.findtext("{*}saksaar"), mappe.findtext("{*}sakssekvensnummer")
        case = f"{year}/{seq}" if year and seq else None
        for reg in mappe.iter("{*}registrering"):
            if reg.findtext("{*}journalaar") is None:
                continue
            found[reg.findtext("{*}systemID") or ""] = (
                int(reg.findtext("{*}journalaar") or 0), int(reg.findtext("{*}journalsekvensnummer") or 0),
                int(reg.findtext("{*}journalpostnummer") or 0), case,
            )
    return found


def _uttrekk(bucket: Path, out: Path, db: Database, xsd_dir: Path, *, validate: bool = False) -> Numbers:
    source = ManifestIndex(LocalSink(bucket))
    result = build_uttrekk(source, out, ctx=sample_context(), xsd_dir=xsd_dir, now=NOW, validate=validate,
                           numbering=DatabaseNumbering(db, source.threads), date_from=MARCH[0], date_to=MARCH[1])
    if validate:
        assert result.report is not None
        assert result.report.ok, result.report.to_text()
    return _numbers(out)


def _jp(thread_id: str) -> str:
    return ids.journalpost_system_id("facebook", thread_id)


def test_two_uttrekk_give_the_same_numbers_and_a_third_keeps_them(
    bucket: Path, tmp_path: Path, workflow_db: Database, xsd_dir: Path
) -> None:
    first = _uttrekk(bucket, tmp_path / "u1", workflow_db, xsd_dir, validate=True)
    assert set(first) == {_jp("101"), _jp("102"), _jp("103")}  # the archive-worthy thread is not journaled
    assert sorted(n[:2] for n in first.values()) == [(2026, 1), (2026, 2), (2026, 3)]  # in journal order
    assert first[_jp("101")][3] == first[_jp("102")][3] == "2026/1042"
    new_case = first[_jp("103")][3]
    assert new_case is not None and new_case != "2026/1042"

    second = _uttrekk(bucket, tmp_path / "u2", workflow_db, xsd_dir)
    assert second == first

    _write(bucket, "105", 20)  # a new thread in case 2026/1042, exported later
    third = _uttrekk(bucket, tmp_path / "u3", workflow_db, xsd_dir, validate=True)
    assert {k: v for k, v in third.items() if k != _jp("105")} == first
    assert third[_jp("105")] == (2026, 4, 3, "2026/1042")  # the next number; third in its saksmappe

    kept = journal_number(workflow_db, "facebook-103")
    assert kept is not None and kept.case_number == new_case and str(kept) == "2026/3"


def test_a_new_case_takes_the_number_after_the_cases_already_known(
    bucket: Path, tmp_path: Path, workflow_db: Database, xsd_dir: Path
) -> None:
    from sources.urls import thread_ref
    from workflow.flags import FlagRequest, flag_thread

    flag_thread(workflow_db, FlagRequest(ref=thread_ref("youtube", "q7Rk2fJvW0E"), kind=FlagKind.JOURNAL_REQUIRED,
                                         by="ingrid", case_number="2026/1500"))
    numbers = _uttrekk(bucket, tmp_path / "u", workflow_db, xsd_dir)
    assert numbers[_jp("103")][3] == "2026/1501"


def test_parallel_uttrekk_agree_on_every_number(bucket: Path, tmp_path: Path, workflow_db: Database,
                                                xsd_dir: Path) -> None:
    results: dict[int, Numbers] = {}
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            results[n] = _uttrekk(bucket, tmp_path / f"p{n}", workflow_db, xsd_dir)
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors, errors
    assert len({tuple(sorted(r.items())) for r in results.values()}) == 1
    assert sorted(n[1] for n in results[0].values()) == [1, 2, 3]


def test_cli_uttrekk_numbers_from_the_database(
    bucket: Path, tmp_path: Path, seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOMEARKIV_DATABASE_URL", seeded_url)
    runner = CliRunner()
    outs = []
    for n in range(2):
        out = tmp_path / f"cli{n}"
        result = runner.invoke(app, ["uttrekk", "--out", str(out), "--from", "2026-03-01", "--to", "2026-03-31",
                                     "--bucket", str(bucket), "--journal-numbers", "database"])
        assert result.exit_code == 0, result.output
        outs.append(_numbers(out))
    assert outs[0] == outs[1] and len(outs[0]) == 3

    extraction = tmp_path / "cli-x"
    result = runner.invoke(app, ["uttrekk", "--out", str(extraction), "--from", "2026-03-01", "--to", "2026-03-31",
                                 "--bucket", str(bucket), "--journal-numbers", "extraction"])
    assert result.exit_code == 0, result.output


def test_cli_uttrekk_database_mode_refuses_an_unmigrated_database(
    bucket: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOMEARKIV_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    runner = CliRunner()
    args = ["uttrekk", "--out", str(tmp_path / "u"), "--from", "2026-03-01", "--to", "2026-03-31",
            "--bucket", str(bucket)]
    refused = runner.invoke(app, [*args, "--journal-numbers", "database"])
    assert refused.exit_code == 2 and "somearkiv db upgrade" in refused.output
    assert not (tmp_path / "u").exists()
    fallback = runner.invoke(app, [*args, "--journal-numbers", "auto"])
    assert fallback.exit_code == 0, fallback.output
    assert "journalnumre innenfor dette uttrekket" in fallback.output
    bad = runner.invoke(app, [*args, "--journal-numbers", "tilfeldig"])
    assert bad.exit_code == 2
