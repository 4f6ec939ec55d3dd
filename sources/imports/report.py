"""What an import found: threads, the account's own comments elsewhere, and what was skipped and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from schemas.thread import Platform, Thread

OWN_ACTIVITY_NOTE = (
    "Eksporter fra plattformene inneholder bare kontoens egen aktivitet (egne innlegg og egne kommentarer), "
    "ikke det andre har skrevet i kontoens tråder. Hent trådene med plattformens API for å få hele samtalen."
)


@dataclass(frozen=True)
class OwnActivity:
    """A comment the account itself wrote somewhere (the export does not hold the thread it belongs to)."""

    platform: Platform
    created_at: datetime
    text: str
    context: str | None = None  # e.g. "X replied to Y's comment.", a video id, a media owner
    url: str | None = None
    item_id: str | None = None


@dataclass
class ImportReport:
    threads: list[Thread] = field(default_factory=list)
    own_comments: list[OwnActivity] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    formats: set[str] = field(default_factory=set)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=lambda: [OWN_ACTIVITY_NOTE])

    def summary(self) -> str:
        """One Norwegian paragraph for the CLI."""
        lines = [f"Importerte {len(self.threads)} tråder og {len(self.own_comments)} egne kommentarer fra "
                 f"{len(self.files)} filer ({', '.join(sorted(self.formats)) or 'ingen kjente formater'})."]
        lines += [f"Hoppet over {name}: {reason}" for name, reason in self.skipped]
        lines += self.notes
        return "\n".join(lines)
