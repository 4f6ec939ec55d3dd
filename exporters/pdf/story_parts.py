"""Pieces every section of the thread document shares: Oslo time, own text runs, bookmarks, the context."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, Flowable

from exporters.pdf.fonts import BODY, route
from exporters.pdf.styles import FRAME_HEIGHT
from exporters.pdf.text import Piece, visible_text
from exporters.pdf.words import WordCache
from schemas.findings import Finding

NAME_CACHE = 4096  # header runs of author names kept (a thread may have as many authors as comments)
OSLO = ZoneInfo("Europe/Oslo")
REMOVED_SECTION_TITLE = "Slettede og skjulte elementer"
STATE_LABELS = {"deleted": "Slettet", "hidden": "Skjult"}
MAX_IMAGE_HEIGHT = FRAME_HEIGHT * 0.45


def oslo_time(moment: datetime) -> str:
    """``dd.mm.yyyy kl. HH:MM`` in Europe/Oslo.

    A moment the schema accepts but Oslo time can't hold (year 1 with a positive offset, year 9999 with a
    negative one: the conversion leaves years 1–9999) is shown in its own offset, ``… (UTC-05:00)``.
    """
    try:
        local = moment.astimezone(OSLO)
    except (OverflowError, ValueError):
        offset = moment.utcoffset()
        minutes = 0 if offset is None else int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        return f"{_clock(moment)} (UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d})"
    return _clock(local)


def _clock(moment: datetime) -> str:
    """``dd.mm.yyyy kl. HH:MM`` of ``moment`` as it is (four-digit years also before 1000, unlike strftime)."""
    return "%02d.%02d.%04d kl. %02d:%02d" % (moment.day, moment.month, moment.year, moment.hour, moment.minute)  # noqa: UP031 (faster than five format specs)


def runs(text: str, font: str = BODY, color: str | None = None) -> list[Piece]:
    """Font runs of our own (trusted, one-line) text."""
    return [(name, color, run) for name, run in route(text, font)]


@cache
def separator() -> tuple[Piece, ...]:
    """`` · `` between the parts of an item header."""
    return tuple(runs(" · "))


def plain(text: str, limit: int = 70) -> str:
    """One-line, PDF-safe text for outline entries."""
    if len(text) > 4 * limit:  # the same from a long enough start of the text (escapes and spacing are local)
        head = " ".join(visible_text(text[: 4 * limit]).split())
        if len(head) > limit:
            return head[: limit - 1] + "…"
    one_line = " ".join(visible_text(text).split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"



class OutlineEntry(NamedTuple):
    """Where a bookmark was drawn: outline ``level``, page number within its chunk (1-based), top y (a named
    tuple: one per top-level comment, made faster than a frozen dataclass)."""

    title: str
    level: int
    page: int
    top: float


class Bookmark(Flowable):
    """A zero-size flowable that records an outline entry where it is drawn.

    The outline itself is built once for the whole document after the chunks are joined (``merge.py``).
    """

    def __init__(self, sink: list[OutlineEntry], title: str, level: int) -> None:
        super().__init__()
        self.sink, self.title, self.level = sink, title, level
        self.width = self.height = 0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        top = self.canv.absolutePosition(0, 0)[1] + 14
        self.sink.append(OutlineEntry(self.title, self.level, self.canv.getPageNumber(), round(top, 2)))

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802, N803 (reportlab API)
        """``draw`` at (x, y), without the empty ``q``/``cm``/``Q`` that ``Flowable.drawOn`` would write."""
        top = canvas.absolutePosition(x, y)[1] + 14  # = absolutePosition(0, 0) after translate(x, y)
        self.sink.append(OutlineEntry(self.title, self.level, canvas.getPageNumber(), round(top, 2)))


def _draw_nothing_on(flowable: Flowable, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:  # noqa: N803
    """``Flowable.drawOn`` of a flowable that draws nothing: writes nothing (reportlab would write an empty
    ``q``/``cm``/``Q`` for each, a few thousand per chunk)."""


class PageBreakUnder(CondPageBreak):
    """``CondPageBreak`` that writes nothing when drawn."""

    drawOn = _draw_nothing_on  # noqa: N815 (reportlab API)



@dataclass
class StoryContext:
    """What the sections of one thread document share: outline entries, the word cache, non-fatal problems."""

    outline: list[OutlineEntry] = field(default_factory=list)
    words: WordCache = field(default_factory=WordCache)  # equal words shared by this thread's paragraphs
    warnings: list[Finding] = field(default_factory=list)

    def warn(self, finding: Finding) -> None:
        """Record a non-fatal problem; the caller logs it (chunks may be rendered in worker processes)."""
        self.warnings.append(finding)
