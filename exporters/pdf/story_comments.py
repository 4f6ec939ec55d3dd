"""The post and the comments: item headers, texts, earlier revisions, media, top-level groups."""

from __future__ import annotations

from collections.abc import Iterator

from reportlab.platypus import Flowable

from exporters.pdf.fonts import BODY_BOLD, BODY_ITALIC
from exporters.pdf.paragraphs import markup_paragraph, paragraph
from exporters.pdf.source import Comment, Source, author_name, label
from exporters.pdf.story_media import MediaBlocks
from exporters.pdf.story_parts import (
    NAME_CACHE,
    REMOVED_SECTION_TITLE,
    STATE_LABELS,
    Bookmark,
    PageBreakUnder,
    StoryContext,
    oslo_time,
    plain,
    runs,
    separator,
)
from exporters.pdf.styles import BODY_TEXT, META, MUNICIPALITY_COLOR, NOTE, REMOVED_MARK, indented
from exporters.pdf.text import Piece, markup, pieces
from schemas.thread import REMOVAL_REASON_LABELS, Item


class CommentBody:
    """The post and comment items; keeps the header runs of recent author names."""

    def __init__(self, context: StoryContext, source: Source, media: MediaBlocks) -> None:
        self.context = context
        self.source = source
        self.media = media
        self.words = context.words
        self._authors: dict[tuple[str, bool], list[Piece]] = {}  # header runs of authors ...
        self._names: dict[str, list[Piece]] = {}  # ... and of the names of replied-to authors

    def _author(self, name: str, municipality: bool) -> list[Piece]:
        """Header runs of an author (the same for all of their items)."""
        key = (name, municipality)
        found = self._authors.get(key)
        if found is None:
            found = pieces(name, BODY_BOLD)
            if municipality:
                found += runs(" ") + runs("(kommunen)", BODY_BOLD, MUNICIPALITY_COLOR.hexval())
            if len(self._authors) >= NAME_CACHE:
                self._authors.clear()
            self._authors[key] = found
        return list(found)

    def _name(self, name: str) -> list[Piece]:
        found = self._names.get(name)
        if found is None:
            if len(self._names) >= NAME_CACHE:
                self._names.clear()
            found = self._names[name] = pieces(name)
        return list(found)

    def _header(self, comment: Comment) -> list[Piece]:
        item = comment.item
        sep = separator()
        parts: list[list[Piece]] = [runs(label(comment.number), BODY_BOLD)]
        parts.append(self._author(author_name(item), item.author.is_municipality))
        parts.append(runs(oslo_time(item.created_at)))
        if item.edited_at is not None:
            parts.append(runs(f"redigert {oslo_time(item.edited_at)}"))
        elif item.revisions:
            parts.append(runs("redigert"))
        if item.reactions:
            parts.append(runs(f"{item.reactions} {'reaksjon' if item.reactions == 1 else 'reaksjoner'}"))
        if comment.parent_name is not None:
            name = self._name(comment.parent_name)
            parts.append(runs("svar til ") + name + runs(f" (kommentar {comment.parent_number})"))
        out: list[Piece] = []
        for n, part in enumerate(parts):
            if n:
                out += sep
            out += part
        return out

    def revisions(self, item: Item, level: int) -> Iterator[Flowable]:
        for n, revision in enumerate(item.revisions, start=1):
            span = []
            if revision.valid_from:
                span.append(f"fra {oslo_time(revision.valid_from)}")
            if revision.valid_to:
                span.append(f"til {oslo_time(revision.valid_to)}")
            when = f" ({' '.join(span)})" if span else ""
            yield paragraph(runs(f"Tidligere tekst {n}{when}:", NOTE.fontName), indented(NOTE, level),
                            words=self.words)
            text = pieces(revision.text, BODY_ITALIC) or runs("(tom)", BODY_ITALIC)
            yield paragraph(text, indented(NOTE, level + 1), words=self.words)

    def item(self, comment: Comment) -> Iterator[Flowable]:
        item = comment.item
        level = max(comment.depth - 1, 0)
        yield paragraph(self._header(comment), indented(META, level), words=self.words)
        if item.removal is not None:
            removal = item.removal
            number = comment.removed_number
            who = f" av {markup(removal.removed_by)}" if removal.removed_by else ""
            when = f" {oslo_time(removal.removed_at)}" if removal.removed_at else ""
            yield markup_paragraph(
                f"[{STATE_LABELS[removal.state]}{who}{when} – årsak: {REMOVAL_REASON_LABELS[removal.reason]}. "
                f"Teksten og dokumentasjonen står under «{REMOVED_SECTION_TITLE}», element S{number}.]",
                indented(REMOVED_MARK, level),
            )
            return
        yield paragraph(pieces(item.text) or runs("(ingen tekst)", BODY_ITALIC), indented(BODY_TEXT, level),
                        words=self.words)
        yield from self.revisions(item, level)
        yield from self.media.block(label(comment.number), level, item.media)

    # -- sections ----------------------------------------------------------------------------------

    def group(self, start: int, stop: int) -> Iterator[Flowable]:
        """Comments ``start:stop``: whole top-level comments with their replies."""
        for comment in self.source.comments(start, stop):
            if comment.depth == 1:
                item = comment.item
                yield PageBreakUnder(40)
                yield Bookmark(self.context.outline, plain(f"{comment.number}. {author_name(item)}: {item.text}"), 1)
            yield from self.item(comment)
