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
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Literal, overload
from xml.sax.saxutils import escape as xml_escape
from zoneinfo import ZoneInfo

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, Flowable, Indenter, Spacer, Table, TableStyle

from exporters.pdf.fonts import BODY, BODY_BOLD, BODY_ITALIC, route
from exporters.pdf.images import ImageError, image_flowable, placeholder, prepare_image
from exporters.pdf.models import CoverInfo
from exporters.pdf.paragraphs import markup_paragraph, paragraph
from exporters.pdf.source import Comment, Source, author_name, label
from exporters.pdf.styles import (
    BODY_TEXT,
    FRAME_HEIGHT,
    FRAME_WIDTH,
    LABEL,
    META,
    MUNICIPALITY_COLOR,
    NOTE,
    PLACEHOLDER,
    REMOVED_MARK,
    SECTION,
    TITLE,
    VALUE,
    indent_of,
    indented,
)
from exporters.pdf.text import Piece, markup, pieces, visible_text
from exporters.pdf.words import WordCache
from schemas.errors import RenderError
from schemas.thread import PLATFORM_LABELS, REMOVAL_REASON_LABELS, Completeness, Item, Media

log = logging.getLogger(__name__)

# ("head",) | ("group", start, stop) | ("removed_head",) | ("removed", index); see ThreadStory.units
Unit = (tuple[Literal["head"]] | tuple[Literal["group"], int, int] | tuple[Literal["removed_head"]]
        | tuple[Literal["removed"], int])

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
    return f"{moment.day:02d}.{moment.month:02d}.{moment.year:04d} kl. {moment.hour:02d}:{moment.minute:02d}"


def _runs(text: str, font: str = BODY, color: str | None = None) -> list[Piece]:
    """Font runs of our own (trusted, one-line) text."""
    return [(name, color, run) for name, run in route(text, font)]


@cache
def _separator() -> tuple[Piece, ...]:
    """`` · `` between the parts of an item header."""
    return tuple(_runs(" · "))


def _plain(text: str, limit: int = 70) -> str:
    """One-line, PDF-safe text for outline entries."""
    if len(text) > 4 * limit:  # the same from a long enough start of the text (escapes and spacing are local)
        head = " ".join(visible_text(text[: 4 * limit]).split())
        if len(head) > limit:
            return head[: limit - 1] + "…"
    one_line = " ".join(visible_text(text).split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


@dataclass(frozen=True)
class OutlineEntry:
    """Where a bookmark was drawn: outline ``level``, page number within its chunk (1-based), top y."""

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


class ThreadStory:
    """Builds the flowables of one thread from a ``Source``; collects non-fatal problems in ``warnings``."""

    def __init__(self, source: Source, cover: CoverInfo, media_dir: Path | None) -> None:
        self.source = source
        self.header = source.header  # the thread's own fields; its comments come from the source only
        self.cover = cover
        self.media_dir = media_dir
        self.warnings: list[str] = []
        self.outline: list[OutlineEntry] = []
        self.words = WordCache()  # equal words shared by this thread's paragraphs
        self._authors: dict[tuple[str, bool], list[Piece]] = {}  # header runs of authors ...
        self._names: dict[str, list[Piece]] = {}  # ... and of the names of replied-to authors

    # -- helpers ---------------------------------------------------------------------------------

    def _warn(self, message: str) -> None:
        """Record a non-fatal problem; the caller logs it (chunks may be rendered in worker processes)."""
        self.warnings.append(message)

    def log_warnings(self, warnings: Iterable[str]) -> None:
        for message in warnings:
            log.warning("%s/%s: %s", self.header.platform.value, self.header.thread_id, message)

    def _resolve(self, media: Media) -> Path | None:
        if not media.path or self.media_dir is None:
            return None
        base = self.media_dir.resolve()
        try:  # a NUL, a name too long or a symlink loop is no usable path; a FIFO or folder is never opened
            path = (base / media.path).resolve()
            usable = path.is_file() or not path.exists()
        except (OSError, ValueError):
            return None
        return path if usable and path.is_relative_to(base) else None

    def _media(self, media: Media, owner: str, indent: float) -> Iterator[Flowable]:
        width = FRAME_WIDTH - indent
        kind_label = {"image": "Bilde", "screenshot": "Skjermbilde", "video": "Video", "link": "Lenke"}[media.kind]
        if media.kind in ("image", "screenshot"):
            path = self._resolve(media)
            if path is None:
                reason = "ugyldig filsti" if media.path and self.media_dir else "ikke fanget"
                if media.path:
                    self._warn(f"{owner}: {kind_label.lower()} {media.id} ({media.path}): {reason}")
                yield placeholder(
                    f"{kind_label} {xml_escape(media.id)} kan ikke vises: {reason}."
                    + (f"<br/>{markup(media.url)}" if media.url else ""),
                    PLACEHOLDER,
                    width,
                )
            else:
                try:
                    yield image_flowable(prepare_image(path), width, MAX_IMAGE_HEIGHT)
                except ImageError as problem:
                    self._warn(f"{owner}: {kind_label.lower()} {media.id} ({media.path}): {problem}")
                    yield placeholder(
                        f"{kind_label} {xml_escape(media.id)} kan ikke vises: {xml_escape(str(problem))}."
                        f"<br/>Originalfilen ligger i pakken: {markup(media.path or '')}",
                        PLACEHOLDER,
                        width,
                    )
        else:
            target = media.url or media.path or media.id
            yield markup_paragraph(f"{kind_label}: {markup(target)}", indented(NOTE, 0))
        if media.alt_text:
            yield markup_paragraph(f"Alternativ tekst: {markup(media.alt_text, BODY_ITALIC)}", NOTE)

    def _media_block(self, owner: str, level: int, media: list[Media]) -> Iterator[Flowable]:
        if not media:
            return
        indent = indent_of(level + 1) if level else 0.0
        if indent:
            yield Indenter(left=indent)
        for entry in media:
            yield from self._media(entry, owner, indent)
            yield Spacer(0, 3)
        if indent:
            yield Indenter(left=-indent)

    def _author(self, name: str, municipality: bool) -> list[Piece]:
        """Header runs of an author (the same for all of their items)."""
        key = (name, municipality)
        found = self._authors.get(key)
        if found is None:
            found = pieces(name, BODY_BOLD)
            if municipality:
                found += _runs(" ") + _runs("(kommunen)", BODY_BOLD, MUNICIPALITY_COLOR.hexval())
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
        sep = _separator()
        parts: list[list[Piece]] = [_runs(label(comment.number), BODY_BOLD)]
        parts.append(self._author(author_name(item), item.author.is_municipality))
        parts.append(_runs(oslo_time(item.created_at)))
        if item.edited_at is not None:
            parts.append(_runs(f"redigert {oslo_time(item.edited_at)}"))
        elif item.revisions:
            parts.append(_runs("redigert"))
        if item.reactions:
            parts.append(_runs(f"{item.reactions} {'reaksjon' if item.reactions == 1 else 'reaksjoner'}"))
        if comment.parent_name is not None:
            name = self._name(comment.parent_name)
            parts.append(_runs("svar til ") + name + _runs(f" (kommentar {comment.parent_number})"))
        out: list[Piece] = []
        for n, part in enumerate(parts):
            if n:
                out += sep
            out += part
        return out

    def _revisions(self, item: Item, level: int) -> Iterator[Flowable]:
        for n, revision in enumerate(item.revisions, start=1):
            span = []
            if revision.valid_from:
                span.append(f"fra {oslo_time(revision.valid_from)}")
            if revision.valid_to:
                span.append(f"til {oslo_time(revision.valid_to)}")
            when = f" ({' '.join(span)})" if span else ""
            yield paragraph(_runs(f"Tidligere tekst {n}{when}:", NOTE.fontName), indented(NOTE, level),
                            words=self.words)
            text = pieces(revision.text, BODY_ITALIC) or _runs("(tom)", BODY_ITALIC)
            yield paragraph(text, indented(NOTE, level + 1), words=self.words)

    def _item(self, comment: Comment) -> Iterator[Flowable]:
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
        yield paragraph(pieces(item.text) or _runs("(ingen tekst)", BODY_ITALIC), indented(BODY_TEXT, level),
                        words=self.words)
        yield from self._revisions(item, level)
        yield from self._media_block(label(comment.number), level, item.media)

    # -- sections ----------------------------------------------------------------------------------

    def _cover(self) -> Iterator[Flowable]:
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
        yield Bookmark(self.outline, "Forside", 0)
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

    def _head(self) -> Iterator[Flowable]:
        count = self.source.comment_count
        yield from self._cover()
        yield Bookmark(self.outline, "Innlegget", 0)
        yield markup_paragraph("Innlegget", SECTION)
        yield from self._item(self.source.post())
        yield Bookmark(self.outline, f"Kommentarer ({count})", 0)
        yield markup_paragraph(f"Kommentarer ({count})", SECTION)
        if not count:
            yield markup_paragraph("Ingen kommentarer.", NOTE)

    def _group(self, start: int, stop: int) -> Iterator[Flowable]:
        """Comments ``start:stop``: whole top-level comments with their replies."""
        for comment in self.source.comments(start, stop):
            if comment.depth == 1:
                item = comment.item
                yield PageBreakUnder(40)
                yield Bookmark(self.outline, _plain(f"{comment.number}. {author_name(item)}: {item.text}"), 1)
            yield from self._item(comment)

    def _removed_head(self) -> Iterator[Flowable]:
        count = self.source.removed_count
        yield PageBreakUnder(120)
        yield Bookmark(self.outline, f"{REMOVED_SECTION_TITLE} ({count})", 0)
        yield markup_paragraph(f"{REMOVED_SECTION_TITLE} ({count})", SECTION)
        yield markup_paragraph(
            "Elementer som er slettet eller skjult på plattformen. Teksten er bevart her fordi arkivet er internt; "
            "skjermbildet er tatt før slettingen.",
            NOTE,
        )

    def _removed_item(self, number: int, item: Item, owner: str) -> Iterator[Flowable]:
        """Removed item ``S{number}``; ``owner`` is its label ("Innlegget", "Kommentar 7")."""
        removal = item.removal
        if removal is None:
            raise RenderError(f"Element {item.id!r} står blant de fjernede elementene, men er ikke fjernet")
        yield PageBreakUnder(80)
        yield Bookmark(self.outline, f"S{number}. {owner}", 1)
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
        text = pieces(item.text) or _runs("(ingen tekst)", BODY_ITALIC)
        yield paragraph(text, BODY_TEXT, words=self.words)  # laid out as any thread text
        yield from self._revisions(item, 0)
        media = [*item.media, *([removal.screenshot] if removal.screenshot else [])]
        if removal.screenshot is None:
            yield markup_paragraph("Skjermbilde før sletting: mangler.", REMOVED_MARK)
        yield from self._media_block(owner, 0, media)
        yield Spacer(0, 6)

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
            yield from self._group(chunk.start, chunk.stop)
        if chunk.removed_head:
            yield from self._removed_head()
        for index, removed in enumerate(self.source.removed(chunk.removed_start, chunk.removed_stop)):
            yield from self._removed_item(chunk.removed_start + index + 1, removed.item, removed.label)
