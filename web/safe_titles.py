"""Titles an editor may see: a package's title with every screening hit in it masked.

The package index keeps the thread's own title; for a role without access to skjermet content the queue,
the candidates and the package page show ``privacy.screen.safe_display_title`` instead. Packages never
change, so each title is worked out once per package (from its capture and ``screening.json``) and kept.
"""

from __future__ import annotations

from threading import Lock

from privacy.screen import safe_display_title
from schemas.errors import SomearkivError
from schemas.screening import SCREENING_FILE, ScreeningResult
from schemas.thread import Thread
from storage.base import Sink
from workflow.packages import PackageRow

CAPTURE_PATH = "capture/thread.json"
MASKED = "[skjermet tittel]"


class SafeTitles:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self._titles: dict[str, str] = {}
        self._lock = Lock()

    def _work_out(self, row: PackageRow) -> str:
        try:
            manifest = self.sink.read_manifest(row.package_id)
            if not any(f.path == SCREENING_FILE for f in manifest.files):
                return row.title  # an older package without screening: nothing was found to mask
            screening = ScreeningResult.from_bytes(self.sink.read_bytes(row.package_id, SCREENING_FILE))
            if not screening.needs_skjerming:
                return row.title
            thread = Thread.model_validate_json(self.sink.read_bytes(row.package_id, CAPTURE_PATH))
        except (SomearkivError, ValueError):
            return MASKED  # can't tell: mask rather than show
        return safe_display_title(thread, screening)

    def of(self, row: PackageRow) -> str:
        with self._lock:
            found = self._titles.get(row.package_id)
        if found is None:
            found = self._work_out(row)
            with self._lock:
                self._titles[row.package_id] = found
        return found
