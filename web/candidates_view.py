"""Candidates for an editor: packaged threads of their unit that have no flag and whose post asks for input.

The score of a package's post (``workflow.candidates.score_post``) is computed once per package (packages
never change) and kept in memory; only the newest package of each thread is considered, and at most
:data:`SCAN_LIMIT` recent packages per page load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from threading import Lock

from schemas.errors import SomearkivError
from storage.base import Sink
from workflow.candidate_review import dismissed_threads, flagged_threads
from workflow.candidates import Suggestion, score_post
from workflow.db import Database
from workflow.packages import PackageFilter, PackageRow, query_packages

SCAN_LIMIT = 200
CAPTURE_PATH = "capture/thread.json"


@dataclass(frozen=True)
class Candidate:
    row: PackageRow
    suggestion: Suggestion


class CandidateScores:
    """Suggestions per package id, computed once (bounded by the number of packages)."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self._scores: dict[str, Suggestion] = {}
        self._lock = Lock()

    def score(self, package_id: str) -> Suggestion:
        with self._lock:
            found = self._scores.get(package_id)
        if found is not None:
            return found
        try:
            capture = json.loads(self.sink.read_bytes(package_id, CAPTURE_PATH))
            text = " ".join(str(part) for part in (capture.get("title") or "", (capture.get("post") or {}).get("text")
                                                   or "") if part)
        except (SomearkivError, ValueError, AttributeError):
            text = ""
        suggestion = score_post(text)
        with self._lock:
            self._scores[package_id] = suggestion
        return suggestion


def candidates(db: Database, scores: CandidateScores, units: tuple[str, ...] | None) -> list[Candidate]:
    """Unflagged, undismissed threads of ``units`` whose newest package's post is suggested, best first."""
    rows = query_packages(db, PackageFilter(units=units), page=1, page_size=SCAN_LIMIT).rows
    skip = flagged_threads(db, list({r.thread_key for r in rows})) | dismissed_threads(db)
    seen: set[str] = set()
    found: list[Candidate] = []
    for row in rows:  # newest first: the first row of a thread is its newest package
        if row.thread_key in seen:
            continue
        seen.add(row.thread_key)
        if row.thread_key in skip or row.flag_kind is not None:
            continue
        suggestion = scores.score(row.package_id)
        if suggestion.suggested:
            found.append(Candidate(row, suggestion))
    return sorted(found, key=lambda c: -c.suggestion.score)
