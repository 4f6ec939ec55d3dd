"""Uttrekk planning as a pure step: rows in, plan out, no bucket and no files."""

from __future__ import annotations

from datetime import UTC, date, datetime

from noark.uttrekk import CaseNumber, JournalNumber, PackageRow, plan_uttrekk


def _row(
    thread: str,
    day: int,
    *,
    case: str | None = None,
    new_case: bool = False,
    version: str = "a",
    month: int = 3,
    year: int = 2026,
) -> PackageRow:
    return PackageRow(
        package_id=f"facebook-{thread}-{version}",
        thread_key=f"facebook-{thread}",
        created_at=datetime(year, month, day, 11, 0, tzinfo=UTC),
        journalpost_id=f"jp-{thread}",
        mappe_key=f"sak-{case}" if case else f"mappe-{thread}",
        case_number=case,
        new_case=new_case,
        hoveddokument_sha256=version * 64,
    )


MARCH = {"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 31)}


def test_nothing_in_the_period_is_no_plan():
    assert plan_uttrekk([_row("1", 5, month=4)], **MARCH) is None
    assert plan_uttrekk([], **MARCH) is None


def test_latest_version_per_thread_and_superseded_pairs():
    old, new = _row("1", 5, version="a"), _row("1", 8, version="b")
    plan = plan_uttrekk([new, _row("2", 6, case="2026/7"), old], **MARCH)
    assert plan is not None
    assert plan.package_ids == ["facebook-2-a", "facebook-1-b"]  # journal order: 6 March, then 8 March
    assert plan.superseded == ((old, new),)


def test_versions_outside_the_period_do_not_count():
    plan = plan_uttrekk([_row("1", 28, month=2, version="a"), _row("1", 2, version="b")], **MARCH)
    assert plan is not None and plan.package_ids == ["facebook-1-b"] and plan.superseded == ()


def test_threads_of_one_case_share_a_mappe_and_are_numbered_in_it():
    rows = [_row("1", 5, case="2026/7"), _row("2", 6), _row("3", 7, case="2026/7")]
    plan = plan_uttrekk(rows, **MARCH)
    assert plan is not None
    assert [(m.key, [r.row.journalpost_id for r in m.registreringer]) for m in plan.mapper] == [
        ("sak-2026/7", ["jp-1", "jp-3"]),
        ("mappe-2", ["jp-2"]),
    ]
    case = plan.mapper[0]
    assert [r.journal for r in case.registreringer] == [JournalNumber(2026, 1, 1), JournalNumber(2026, 2, 2)]
    assert plan.mapper[1].registreringer[0].journal is None  # no case: not journaled, not numbered
    assert (case.first.journalpost_id, case.last.journalpost_id) == ("jp-1", "jp-3")


def test_journal_numbers_restart_per_year():
    rows = [_row("1", 30, case="2025/1", month=12, year=2025), _row("2", 2, case="2026/1", month=1)]
    plan = plan_uttrekk(rows, date_from=date(2025, 1, 1), date_to=date(2026, 12, 31))
    assert plan is not None
    numbers = [r.journal for m in plan.mapper for r in m.registreringer]
    assert numbers == [JournalNumber(2025, 1, 1), JournalNumber(2026, 1, 1)]


def test_new_cases_continue_after_the_highest_case_number_of_their_year():
    rows = [_row("1", 5, case="2026/1042"), _row("5", 9, new_case=True), _row("6", 10, new_case=True)]
    plan = plan_uttrekk(rows, **MARCH)
    assert plan is not None
    assert [m.new_case for m in plan.mapper] == [None, CaseNumber(2026, 1043), CaseNumber(2026, 1044)]
    assert str(plan.mapper[1].new_case) == "2026/1043"


def test_journal_period_covers_the_journaled():
    plan = plan_uttrekk([_row("1", 5, case="2026/1"), _row("2", 9, case="2026/1")], **MARCH)
    assert plan is not None and plan.journal_period == (date(2026, 3, 5), date(2026, 3, 9))
    assert plan.period == (date(2026, 3, 1), date(2026, 3, 31)) and plan.journaled == 2
