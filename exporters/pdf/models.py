"""Public value types of the PDF exporter."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from schemas.errors import ConfigError
from schemas.findings import Finding


@dataclass(frozen=True)
class CoverInfo:
    """What the cover block shows besides the thread itself."""

    flag_label: str | None  # e.g. "Journalpliktig" / "Arkivverdig"
    case_number: str | None  # saksnummer "2026/1042"
    journalpost_id: str | None  # a stable id string shown on the cover
    capture_sha256: str  # SHA-256 of capture/thread.json


@dataclass(frozen=True)
class PdfResult:
    """The written PDF: page count, byte size, SHA-256 and non-fatal problems (e.g. image placeholders)."""

    pages: int
    size: int
    sha256: str
    warnings: list[Finding] = field(default_factory=list)  # render warnings (a placeholder for an image)
    workers: int = 1  # processes that rendered the chunks (1 = the calling process)


def _default_workers() -> int:
    return min(2, os.cpu_count() or 1)


@dataclass(frozen=True)
class RenderOptions:
    """How a thread is cut into chunks and rendered. Only the thread and the chunk sizes decide the cut, so the
    bytes never depend on ``workers``.

    A thread of up to ``single_chunk_comments`` comments is one chunk; a longer one is cut into about two halves
    but into chunks of at most ``chunk_comments`` comments. ``workers`` is the most chunk worker processes
    (forked, and only from a single-threaded process; 1 = render the chunks one after the other here).
    """

    workers: int = field(default_factory=_default_workers)
    chunk_comments: int = 1000
    single_chunk_comments: int = 120

    def __post_init__(self) -> None:
        if self.workers < 1 or self.chunk_comments < 1 or self.single_chunk_comments < 0:
            raise ConfigError(f"ugyldige PDF-innstillinger: {self}")

    def chunk_size(self, comments: int) -> int:
        """Comments per chunk for a thread of ``comments`` comments (a function of the thread only)."""
        if comments <= self.single_chunk_comments:
            return comments + 1
        return min(self.chunk_comments, -(-comments // 2))
