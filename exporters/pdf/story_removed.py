"""The removed-items section: each deleted or hidden item with its removal record, text and screenshot."""

from __future__ import annotations

from collections.abc import Iterator
from xml.sax.saxutils import escape as xml_escape

from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from exporters.pdf.fonts import BODY, BODY_ITALIC
from exporters.pdf.paragraphs import markup_paragraph, paragraph
from exporters.pdf.source import Source, author_name
from exporters.pdf.story_comments import CommentBody
from exporters.pdf.story_media import MediaBlocks
from exporters.pdf.story_parts import (
    REMOVED_SECTION_TITLE,
    STATE_LABELS,
    Bookmark,
    PageBreakUnder,
    StoryContext,
    oslo_time,
    runs,
)
from exporters.pdf.styles import BODY_TEXT, FRAME_WIDTH, LABEL, NOTE, REMOVED_MARK, SECTION, VALUE
from exporters.pdf.text import markup, pieces
from schemas.errors import RenderError
from schemas.thread import REMOVAL_REASON_LABELS, Item


class RemovedSection:
    """The heading of the removed-items section and its items ``S1``, ``S2`` …"""

    def __init__(self, context: StoryContext, source: Source, body: CommentBody, media: MediaBlocks) -> None:
        self.context = context
        self.source = source
        self.body = body
        self.media = media
        self.words = context.words

    def head(self) -> Iterator[Flowable]:
        count = self.source.removed_count
        yield PageBreakUnder(120)
        yield Bookmark(self.context.outline, f"{REMOVED_SECTION_TITLE} ({count})", 0)
        yield markup_paragraph(f"{REMOVED_SECTION_TITLE} ({count})", SECTION)
        yield markup_paragraph(
            "Elementer som er slettet eller skjult på plattformen. Teksten er bevart her fordi arkivet er internt; "
            "skjermbildet er tatt før slettingen.",
            NOTE,
        )

    def item(self, number: int, item: Item, owner: str) -> Iterator[Flowable]:
        """Removed item ``S{number}``; ``owner`` is its label ("Innlegget", "Kommentar 7")."""
        removal = item.removal
        if removal is None:
            raise RenderError(f"Element {item.id!r} står blant de fjernede elementene, men er ikke fjernet")
        yield PageBreakUnder(80)
        yield Bookmark(self.context.outline, f"S{number}. {owner}", 1)
        rows = [
            ("Element", f"S{number} – {owner}"),
            ("Forfatter", author_name(item) + (" (kommunen)" if item.author.is_municipality else "")),
            ("Publisert", oslo_time(item.created_at)),
            ("Status", STATE_LABELS[removal.state]),
            ("Årsak", REMOVAL_REASON_LABELS[removal.reason]),
            ("Fjernet av", removal.removed_by or "ukjent"),
            ("Fjernet", oslo_time(removal.removed_at) if removal.removed_at else "ukjent"),
        ]
        if removal.note:
            rows.append(("Merknad", removal.note))
        table = Table(
            [[markup_paragraph(xml_escape(label), LABEL), markup_paragraph(markup(value), VALUE)]
             for label, value in rows],
            colWidths=[FRAME_WIDTH * 0.22, FRAME_WIDTH * 0.78],
        )
        table.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), BODY, 8.5),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
        ]))
        table.hAlign = "LEFT"
        yield table
        yield markup_paragraph("Opprinnelig tekst (fjernet fra plattformen):", REMOVED_MARK)
        text = pieces(item.text) or runs("(ingen tekst)", BODY_ITALIC)
        yield paragraph(text, BODY_TEXT, words=self.words)  # laid out as any thread text
        yield from self.body.revisions(item, 0)
        media = [*item.media, *([removal.screenshot] if removal.screenshot else [])]
        if removal.screenshot is None:
            yield markup_paragraph("Skjermbilde før sletting: mangler.", REMOVED_MARK)
        yield from self.media.block(owner, 0, media)
        yield Spacer(0, 6)
