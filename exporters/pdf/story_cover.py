"""The cover: the thread's key facts (platform, account, case, capture time and hash, completeness)."""

from __future__ import annotations

from collections.abc import Iterator
from xml.sax.saxutils import escape as xml_escape

from reportlab.platypus import Flowable, Table, TableStyle

from exporters.pdf.fonts import BODY, BODY_BOLD
from exporters.pdf.models import CoverInfo
from exporters.pdf.paragraphs import markup_paragraph
from exporters.pdf.source import Source
from exporters.pdf.story_parts import Bookmark, StoryContext, oslo_time
from exporters.pdf.styles import FRAME_WIDTH, LABEL, MUNICIPALITY_COLOR, TITLE, VALUE
from exporters.pdf.text import markup
from schemas.thread import PLATFORM_LABELS, Completeness

GAP_LABELS: dict[str, str] = {
    "hidden": "skjult", "deleted": "slettet", "api_limit": "API-grense", "private": "privat", "unknown": "ukjent årsak",
}


def completeness_text(completeness: Completeness) -> str:
    """The cover's line on how complete the capture is: reported vs captured, and why any are missing."""
    reported = completeness.reported
    text = (f"{completeness.captured} av {reported} kommentarer plattformen oppgir" if reported is not None
            else f"{completeness.captured} kommentarer hentet (plattformen oppgir ikke antallet)")
    gaps = [f"{GAP_LABELS[gap.reason]}{f' ({gap.count})' if gap.count is not None else ''}"
            for gap in completeness.gaps]
    return text + (f"; mangler: {', '.join(gaps)}" if gaps else "")



class Cover:
    """The cover table of one thread."""

    def __init__(self, context: StoryContext, source: Source, cover: CoverInfo) -> None:
        self.context = context
        self.source = source
        self.header = source.header
        self.cover = cover

    def flowables(self) -> Iterator[Flowable]:
        thread, cover = self.header, self.cover
        removed = self.source.removed_count
        comments = f"{self.source.comment_count}" + (f" (herav {removed} slettet/skjult)" if removed else "")
        rows = [
            ("Plattform", PLATFORM_LABELS[thread.platform]),
            ("Side", thread.account.name),
            ("Eier/enhet", thread.account.owning_unit),
            ("URL", thread.url),
            ("Saksnummer", cover.case_number or "–"),
            ("Journalpost-ID", cover.journalpost_id or "–"),
            ("Merking", cover.flag_label or "–"),
            ("Fanget", f"{oslo_time(thread.captured_at)} (Europe/Oslo)"),
            ("Antall kommentarer", comments),
            *((("Fullstendighet", completeness_text(thread.completeness)),) if thread.completeness else ()),
            ("Tråd-ID", thread.thread_id),
            ("SHA-256 av rådata (capture/thread.json)", cover.capture_sha256),
        ]
        yield Bookmark(self.context.outline, "Forside", 0)
        yield markup_paragraph(markup(thread.display_title, BODY_BOLD), TITLE)
        table = Table(
            [[markup_paragraph(xml_escape(label), LABEL), markup_paragraph(markup(value), VALUE)]
             for label, value in rows],
            colWidths=[FRAME_WIDTH * 0.3, FRAME_WIDTH * 0.7],
        )
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), BODY, 8.5),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.3, MUNICIPALITY_COLOR),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        table.hAlign = "LEFT"
        yield table
