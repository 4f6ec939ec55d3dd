"""The thread as a lazy stream of platypus flowables: cover, post, comments, deleted/hidden items.

The story is a generator so a 20,000-comment thread never exists as flowables all at once; see
``FlowableStream`` for how platypus consumes it. It reads the thread through a ``source.Source`` (an
in-memory ``Thread`` or a capture streamed into SQLite), a range of comments at a time, and keeps no
per-comment state of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, overload

from reportlab.platypus import Flowable

from exporters.pdf.models import CoverInfo
from exporters.pdf.paragraphs import markup_paragraph
from exporters.pdf.source import Source
from exporters.pdf.story_comments import CommentBody
from exporters.pdf.story_cover import Cover, completeness_text
from exporters.pdf.story_media import MediaBlocks
from exporters.pdf.story_parts import Bookmark, OutlineEntry, StoryContext, oslo_time
from exporters.pdf.story_removed import RemovedSection
from exporters.pdf.styles import NOTE, SECTION
from schemas.findings import Finding

__all__ = ["Chunk", "FlowableStream", "OutlineEntry", "ThreadStory", "Unit", "completeness_text", "oslo_time"]


log = logging.getLogger(__name__)

# ("head",) | ("group", start, stop) | ("removed_head",) | ("removed", index); see ThreadStory.units
Unit = (tuple[Literal["head"]] | tuple[Literal["group"], int, int] | tuple[Literal["removed_head"]]
        | tuple[Literal["removed"], int])


class FlowableStream:
    """A list-like window on a flowable iterator, consumed from the front by ``BaseDocTemplate.build``.

    platypus only looks at the first few flowables (``[0]``, short keep-with-next look-ahead) and puts
    split remainders back at the front, so a small buffer is enough and memory stays bounded.
    """

    LOOKAHEAD = 8

    def __init__(self, source: Iterable[Flowable]) -> None:
        self._source: Iterator[Flowable] = iter(source)
        self._buffer: list[Flowable] = []
        self._exhausted = False

    def _fill(self, count: int) -> None:
        while len(self._buffer) < count and not self._exhausted:
            try:
                self._buffer.append(next(self._source))
            except StopIteration:
                self._exhausted = True

    def __len__(self) -> int:
        buffer = self._buffer
        if len(buffer) < self.LOOKAHEAD:
            self._fill(self.LOOKAHEAD)
        return len(buffer)

    @overload
    def __getitem__(self, key: int) -> Flowable: ...
    @overload
    def __getitem__(self, key: slice) -> list[Flowable]: ...
    def __getitem__(self, key: int | slice) -> Flowable | list[Flowable]:
        buffer = self._buffer
        if type(key) is int and 0 <= key < len(buffer):
            return buffer[key]
        self._fill((key.stop or self.LOOKAHEAD) if isinstance(key, slice) else key + 1)
        return buffer[key]

    def __setitem__(self, key: int, value: Flowable) -> None:
        self._buffer[key] = value

    def __delitem__(self, key: int | slice) -> None:
        del self._buffer[key]

    def insert(self, index: int, flowable: Flowable) -> None:
        self._buffer.insert(index, flowable)


@dataclass(frozen=True)
class Chunk:
    """A run of consecutive units: the head or not, comments ``start:stop``, the removed-items heading or
    not and removed items ``removed_start:removed_stop`` (see ``ThreadStory.units``)."""

    head: bool = False
    start: int = 0
    stop: int = 0
    removed_head: bool = False
    removed_start: int = 0
    removed_stop: int = 0

    def extended(self, unit: Unit) -> Chunk:
        """This chunk with ``unit`` (the unit that follows its last one) added."""
        if unit[0] == "head":
            return replace(self, head=True)
        if unit[0] == "group":
            return replace(self, start=unit[1] if self.start == self.stop else self.start, stop=unit[2])
        if unit[0] == "removed_head":
            return replace(self, removed_head=True)
        first = unit[1] if self.removed_start == self.removed_stop else self.removed_start
        return replace(self, removed_start=first, removed_stop=unit[1] + 1)


class ThreadStory:
    """Builds the flowables of one thread from a ``Source``, composing its sections (cover, post and comments,
    removed items, media); collects non-fatal problems in ``warnings``."""

    def __init__(self, source: Source, cover: CoverInfo, media_dir: Path | None) -> None:
        self.source = source
        self.header = source.header  # the thread's own fields; its comments come from the source only
        self.context = StoryContext()
        media = MediaBlocks(self.context, media_dir)
        self.cover = Cover(self.context, source, cover)
        self.body = CommentBody(self.context, source, media)
        self.removed = RemovedSection(self.context, source, self.body, media)

    @property
    def outline(self) -> list[OutlineEntry]:
        """Outline entries drawn so far (the renderer empties this after each chunk)."""
        return self.context.outline

    @outline.setter
    def outline(self, entries: list[OutlineEntry]) -> None:
        self.context.outline = entries

    @property
    def warnings(self) -> list[Finding]:
        """Non-fatal problems found so far (the renderer empties this before each chunk)."""
        return self.context.warnings

    @warnings.setter
    def warnings(self, messages: list[Finding]) -> None:
        self.context.warnings = messages

    def log_warnings(self, warnings: Iterable[Finding]) -> None:
        for message in warnings:
            log.warning("%s/%s: %s", self.header.platform.value, self.header.thread_id, message)

    # -- sections ----------------------------------------------------------------------------------

    def _head(self) -> Iterator[Flowable]:
        count = self.source.comment_count
        yield from self.cover.flowables()
        yield Bookmark(self.context.outline, "Innlegget", 0)
        yield markup_paragraph("Innlegget", SECTION)
        yield from self.body.item(self.source.post())
        yield Bookmark(self.context.outline, f"Kommentarer ({count})", 0)
        yield markup_paragraph(f"Kommentarer ({count})", SECTION)
        if not count:
            yield markup_paragraph("Ingen kommentarer.", NOTE)

    # -- units and chunks ----------------------------------------------------------------------------

    def units(self) -> Iterator[Unit]:
        """The document as a sequence of units, in order (lazily); a chunk is a run of consecutive units.

        ``("head",)`` is the cover, the post and the comments heading; ``("group", start, stop)`` a top-level
        comment with its replies (comments ``start:stop``); ``("removed_head",)`` the heading of the
        removed-items section and ``("removed", index)`` one removed item.
        """
        yield ("head",)
        start = 0
        for stop in self.source.group_starts():
            yield ("group", start, stop)
            start = stop
        if self.source.comment_count:
            yield ("group", start, self.source.comment_count)
        if self.source.removed_count:
            yield ("removed_head",)
            yield from (("removed", index) for index in range(self.source.removed_count))

    @staticmethod
    def unit_weight(unit: Unit) -> int:
        """Roughly how many items a unit renders (for sizing chunks)."""
        return unit[2] - unit[1] if unit[0] == "group" else 1

    def chunks(self, max_weight: int) -> list[Chunk]:
        """Runs of units weighing about ``max_weight`` each, never split after a heading (one pass over the units)."""
        chunks: list[Chunk] = []
        chunk, weight = Chunk(), 0
        units = self.units()
        unit = next(units, None)
        while unit is not None:
            following = next(units, None)
            chunk = chunk.extended(unit)
            weight += self.unit_weight(unit)
            if following is None or (weight >= max_weight and unit[0] not in ("head", "removed_head")):
                chunks.append(chunk)
                chunk, weight = Chunk(), 0
            unit = following
        return chunks

    def flowables(self, chunk: Chunk | None = None) -> Iterator[Flowable]:
        """The flowables of ``chunk`` (default: the whole document), in order."""
        if chunk is None:
            for part in self.chunks(self.source.comment_count + self.source.removed_count + 2):
                yield from self.flowables(part)
            return
        if chunk.head:
            yield from self._head()
        if chunk.stop > chunk.start:
            yield from self.body.group(chunk.start, chunk.stop)
        if chunk.removed_head:
            yield from self.removed.head()
        for index, removed in enumerate(self.source.removed(chunk.removed_start, chunk.removed_stop)):
            yield from self.removed.item(chunk.removed_start + index + 1, removed.item, removed.label)
