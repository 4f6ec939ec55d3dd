"""Journal and new-case numbers come from an injectable ``NumberProvider`` (default: within one extraction).

``Ledger`` below stands in for a workflow database: it remembers the numbers it handed out, keyed on the
journalpost's and the mappe's systemIDs, so a thread keeps its numbers across extractions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime

import pytest
from lxml import etree

from noark.testing import sample_context, sample_flag, sample_thread, write_package
from noark.uttrekk import (
    CaseNumber,
    ExtractionNumbering,
    JournalNumber,
    NumberProvider,
    NumberRequest,
    PackageRow,
    UttrekkError,
    build_uttrekk,
    plan_uttrekk,
)
from storage.local import LocalSink

N5 = {"n": "http://www.arkivverket.no/standarder/noark5/arkivstruktur"}
L = {"l": "http://www.arkivverket.no/standarder/noark5/loependeJournal"}


class Ledger:
    """Numbers that last: a journalpost keeps its number; new ones continue after the highest handed out."""

    def __init__(self, next_sequence: int = 1, next_case: int = 5000) -> None:
        self.journal: dict[str, JournalNumber] = {}
        self.cases: dict[str, CaseNumber] = {}
        self.next_sequence: dict[int, int] = defaultdict(lambda: next_sequence)
        self.per_mappe: dict[str, int] = defaultdict(int)
        self.next_case = next_case

    def journal_numbers(self, requests: Sequence[NumberRequest]) -> dict[str, JournalNumber]:
        for request in requests:
            if request.journalpost_id not in self.journal:
                year = request.journaldato.year
                self.per_mappe[request.mappe_key] += 1
                number = JournalNumber(year, self.next_sequence[year], self.per_mappe[request.mappe_key])
                self.next_sequence[year] += 1
                self.journal[request.journalpost_id] = number
        return {r.journalpost_id: self.journal[r.journalpost_id] for r in requests}

    def case_numbers(self, requests: Sequence[NumberRequest]) -> dict[str, CaseNumber]:
        for request in requests:
            if request.new_case and request.mappe_key not in self.cases:
                self.cases[request.mappe_key] = CaseNumber(request.journaldato.year, self.next_case)
                self.next_case += 1
        return {r.mappe_key: self.cases[r.mappe_key] for r in requests if r.new_case}


def test_the_default_and_the_ledger_are_number_providers():
    providers: list[NumberProvider] = [ExtractionNumbering(), Ledger()]
    assert all(callable(p.journal_numbers) and callable(p.case_numbers) for p in providers)


def _row(thread: str, day: int, *, case: str | None = "2026/7", new_case: bool = False) -> PackageRow:
    return PackageRow(
        package_id=f"p-{thread}",
        thread_key=f"t-{thread}",
        created_at=datetime(2026, 3, day, 11, tzinfo=UTC),
        journalpost_id=f"jp-{thread}",
        mappe_key=f"m-{thread}",
        case_number=None if new_case else case,
        new_case=new_case,
        hoveddokument_sha256="a" * 64,
    )


MARCH = {"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 31)}


def test_plan_takes_its_numbers_from_the_provider():
    ledger = Ledger(next_sequence=57)
    plan = plan_uttrekk([_row("1", 5), _row("2", 6, new_case=True)], numbering=ledger, **MARCH)
    assert plan is not None
    assert [r.journal for m in plan.mapper for r in m.registreringer] == [
        JournalNumber(2026, 57, 1),
        JournalNumber(2026, 58, 1),
    ]
    assert plan.mapper[1].new_case == CaseNumber(2026, 5000)


def test_a_provider_that_leaves_one_out_is_refused():
    class Forgetful(Ledger):
        def journal_numbers(self, requests: Sequence[NumberRequest]) -> dict[str, JournalNumber]:
            return dict(list(super().journal_numbers(requests).items())[:-1])

    with pytest.raises(UttrekkError, match="nummerleverandøren"):
        plan_uttrekk([_row("1", 5), _row("2", 6)], numbering=Forgetful(), **MARCH)


def test_numbers_last_across_two_extractions(tmp_path, xsd_dir):
    root, ctx, ledger = tmp_path / "bucket", sample_context(), Ledger()
    t1, t2 = sample_thread("1"), sample_thread("2")
    write_package(root, t1, sample_flag(t1), exported_at=datetime(2026, 3, 5, 12, tzinfo=UTC), ctx=ctx)
    write_package(
        root, t2, sample_flag(t2, case_number=None), exported_at=datetime(2026, 4, 2, 12, tzinfo=UTC), ctx=ctx
    )

    def extract(name: str, date_from: date, date_to: date):
        return build_uttrekk(
            LocalSink(root),
            tmp_path / name,
            ctx=ctx,
            xsd_dir=xsd_dir,
            date_from=date_from,
            date_to=date_to,
            numbering=ledger,
        )

    march = extract("mars", date(2026, 3, 1), date(2026, 3, 31))
    spring = extract("vaar", date(2026, 3, 1), date(2026, 4, 30))
    april = extract("april", date(2026, 4, 1), date(2026, 4, 30))
    for result in (march, spring, april):
        assert result.report.ok, result.report.to_text()

    def numbers(result) -> list[str]:
        return etree.parse(str(result.out_dir / "arkivstruktur.xml")).xpath(
            "//n:journalsekvensnummer/text()", namespaces=N5
        )

    assert numbers(march) == ["1"] and numbers(spring) == ["1", "2"] and numbers(april) == ["2"]
    # April's uttrekk alone lacks number 1 of 2026: a warning, not an error
    assert [f.rule for f in april.report.warnings] == ["journal-numbering-gaps"]
    journal = etree.parse(str(april.out_dir / "loependeJournal.xml"))
    assert journal.xpath("//l:journalsekvensnummer/text()", namespaces=L) == ["2"]
    assert journal.xpath("//l:sakssekvensnummer/text()", namespaces=L) == ["5000"]  # the ledger's new case
    spring_cases = etree.parse(str(spring.out_dir / "arkivstruktur.xml")).xpath(
        "//n:mappe/n:mappeID/text()", namespaces=N5
    )
    assert spring_cases == ["2026/1042", "2026/5000"]
