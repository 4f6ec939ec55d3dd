"""Journal numbers and new-case numbers for an uttrekk, behind an injectable provider.

``plan_uttrekk`` asks a ``NumberProvider`` for the numbers. The default, ``ExtractionNumbering``, numbers within
one extraction (today's behaviour): journalsekvensnummer 1..n per journalaar in journal order, journalpostnummer
1..k per mappe, and a new case (journal-required flag without a case number) gets saksaar = year of its
journaldato and a sakssekvensnummer after the highest case number of that year among the flags in the
extraction. A provider backed by a database (keyed on the journalpost's and the mappe's systemIDs, both stable
across exports) can hand out numbers that last across extractions instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from schemas.errors import NoarkError


class UttrekkError(NoarkError):
    """The uttrekk cannot be built; the message says which package or file."""


@dataclass(frozen=True)
class NumberRequest:
    """One journaled registrering, in journal order (journaldato, then package id)."""

    journalpost_id: str  # systemID, stable across versions of the thread
    mappe_key: str  # the mappe's systemID (a case's saksmappe is shared by its threads)
    journaldato: date
    case_number: str | None  # "saksaar/sakssekvensnummer" from the flag
    new_case: bool  # journal-required without a case number: the mappe needs a case number


@dataclass(frozen=True)
class JournalNumber:
    journalaar: int
    journalsekvensnummer: int
    journalpostnummer: int  # within the mappe


@dataclass(frozen=True)
class CaseNumber:
    saksaar: int
    sakssekvensnummer: int

    def __str__(self) -> str:
        return f"{self.saksaar}/{self.sakssekvensnummer}"


class NumberProvider(Protocol):
    """Hands out the final numbers; both methods get every journaled registrering of the uttrekk in journal
    order and must answer for each (journal numbers by journalpost_id, case numbers by the mappe_key of each
    ``new_case`` request)."""

    def journal_numbers(self, requests: Sequence[NumberRequest]) -> Mapping[str, JournalNumber]: ...

    def case_numbers(self, requests: Sequence[NumberRequest]) -> Mapping[str, CaseNumber]: ...


def parse_case_number(value: str) -> CaseNumber:
    year, sequence = value.split("/")
    return CaseNumber(int(year), int(sequence))


class ExtractionNumbering:
    """Numbers valid within one extraction (the default)."""

    def journal_numbers(self, requests: Sequence[NumberRequest]) -> dict[str, JournalNumber]:
        per_year: dict[int, int] = defaultdict(int)
        per_mappe: dict[str, int] = defaultdict(int)
        numbers = {}
        for request in requests:
            year = request.journaldato.year
            per_year[year] += 1
            per_mappe[request.mappe_key] += 1
            numbers[request.journalpost_id] = JournalNumber(year, per_year[year], per_mappe[request.mappe_key])
        return numbers

    def case_numbers(self, requests: Sequence[NumberRequest]) -> dict[str, CaseNumber]:
        highest: dict[int, int] = defaultdict(int)
        for request in requests:
            if request.case_number:
                case = parse_case_number(request.case_number)
                highest[case.saksaar] = max(highest[case.saksaar], case.sakssekvensnummer)
        numbers = {}
        for request in requests:
            if request.new_case and request.mappe_key not in numbers:
                year = request.journaldato.year
                highest[year] += 1
                numbers[request.mappe_key] = CaseNumber(year, highest[year])
        return numbers
