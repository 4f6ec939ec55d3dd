"""Public value types of the PDF exporter."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    warnings: list[str] = field(default_factory=list)
