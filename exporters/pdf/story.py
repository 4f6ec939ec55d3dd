"""The thread as a lazy stream of platypus flowables: cover, post, comments, deleted/hidden items.

The story is a generator so a 20,000-comment thread never exists as flowables all at once; see
``FlowableStream`` for how platypus consumes it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape
from zoneinfo import ZoneInfo

from reportlab.lib.rl_accel import fp_str
from reportlab.platypus import CondPageBreak, Flowable, Indenter, Paragraph, Spacer, Table, TableStyle

from exporters.pdf.fonts import BODY, BODY_BOLD, BODY_ITALIC, route
from exporters.pdf.images import ImageError, image_flowable, placeholder, prepare_image
from exporters.pdf.models import CoverInfo
from exporters.pdf.paragraphs import paragraph
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
from schemas.thread import PLATFORM_LABELS, REMOVAL_REASON_LABELS, Item, Media, Thread

log = logging.getLogger(__name__)

Unit = tuple  # ("head",) | ("group", start, stop) | ("removed_head",) | ("removed", index); see ThreadStory.units

OSLO = ZoneInfo("Europe/Oslo")
REMOVED_SECTION_TITLE = "Slettede og skjulte elementer"
STATE_LABELS = {"deleted": "Slettet", "hidden": "Skjult"}
MAX_IMAGE_HEIGHT = FRAME_HEIGHT * 0.45


def oslo_time(moment: datetime) -> str:
    """``dd.mm.yyyy kl. HH:MM`` in Europe/Oslo."""
    return moment.astimezone(OSLO).strftime("%d.%m.%Y kl. %H:%M")


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

    def drawOn(self, canvas, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802, N803 (reportlab API)
        """``draw`` at (x, y) without the canvas state push/pop: see ``_draw_nothing_on``."""
        _draw_nothing_on(self, canvas, x, y, _sW)
        top = canvas.absolutePosition(x, y)[1] + 14  # = absolutePosition(0, 0) after translate(x, y)
        self.sink.append(OutlineEntry(self.title, self.level, canvas.getPageNumber(), round(top, 2)))


def _draw_nothing_on(flowable: Flowable, canvas, x: float, y: float, _sW: float = 0) -> None:  # noqa: N803
    """``Flowable.drawOn`` of a flowable that draws nothing: the same ``q``/``cm``/``Q`` operators, written
    directly instead of through ``saveState``/``translate``/``restoreState`` (a few thousand per chunk)."""
    x = flowable._hAlignAdjust(x, _sW)
    code = canvas._code
    code.append("q")
    code.append(f"1 0 0 1 {fp_str(x, y)} cm")
    code.append("Q")


class PageBreakUnder(CondPageBreak):
    """``CondPageBreak`` with a cheaper ``drawOn`` (same output)."""

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

    def __getitem__(self, key):
        buffer = self._buffer
        if key.__class__ is int and 0 <= key < len(buffer):
            return buffer[key]
        self._fill((key.stop or self.LOOKAHEAD) if isinstance(key, slice) else key + 1)
        return buffer[key]

    def __setitem__(self, key, value) -> None:
        self._buffer[key] = value

    def __delitem__(self, key) -> None:
        del self._buffer[key]

    def insert(self, index: int, flowable: Flowable) -> None:
        self._buffer.insert(index, flowable)


class ThreadStory:
    """Builds the flowables of one thread; collects non-fatal problems in ``warnings``."""

    def __init__(self, thread: Thread, cover: CoverInfo, media_dir: Path | None) -> None:
        self.thread = thread
        self.cover = cover
        self.media_dir = media_dir
        self.warnings: list[str] = []
        self.outline: list[OutlineEntry] = []
        self.by_id: dict[str, Item] = {c.id: c for c in thread.comments}
        self.number: dict[str, int] = {c.id: n for n, c in enumerate(thread.comments, start=1)}
        self.depth: dict[str, int] = thread.depth_of()
        self.removed: list[Item] = [item for item in thread.all_items() if item.removal is not None]
        self.removed_number: dict[str, int] = {item.id: n for n, item in enumerate(self.removed, start=1)}
        self._authors: dict[tuple[str, bool], list[Piece]] = {}  # header runs of authors ...
        self._names: dict[str, list[Piece]] = {}  # ... and of the names of replied-to authors

    # -- helpers ---------------------------------------------------------------------------------

    def _label(self, item: Item) -> str:
        return "Innlegget" if item.id == self.thread.post.id else f"Kommentar {self.number[item.id]}"

    def _warn(self, message: str) -> None:
        """Record a non-fatal problem; the caller logs it (chunks may be rendered in worker processes)."""
        self.warnings.append(message)

    def log_warnings(self, warnings: Iterable[str]) -> None:
        for message in warnings:
            log.warning("%s/%s: %s", self.thread.platform.value, self.thread.thread_id, message)

    def _resolve(self, media: Media) -> Path | None:
        if not media.path or self.media_dir is None:
            return None
        base = self.media_dir.resolve()
        path = (base / media.path).resolve()
        return path if path.is_relative_to(base) else None

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
            yield Paragraph(f"{kind_label}: {markup(target)}", indented(NOTE, 0))
        if media.alt_text:
            yield Paragraph(f"Alternativ tekst: {markup(media.alt_text, BODY_ITALIC)}", NOTE)

    def _media_block(self, item: Item, level: int, media: list[Media]) -> Iterator[Flowable]:
        if not media:
            return
        indent = indent_of(level + 1) if level else 0.0
        if indent:
            yield Indenter(left=indent)
        for entry in media:
            yield from self._media(entry, self._label(item), indent)
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
            self._authors[key] = found
        return list(found)

    def _name(self, name: str) -> list[Piece]:
        found = self._names.get(name)
        if found is None:
            found = self._names[name] = pieces(name)
        return list(found)

    def _header(self, item: Item, depth: int) -> list[Piece]:
        sep = _separator()
        parts: list[list[Piece]] = [_runs(self._label(item), BODY_BOLD)]
        parts.append(self._author(item.author.display_name or item.author.id, item.author.is_municipality))
        parts.append(_runs(oslo_time(item.created_at)))
        if item.edited_at is not None:
            parts.append(_runs(f"redigert {oslo_time(item.edited_at)}"))
        elif item.revisions:
            parts.append(_runs("redigert"))
        if item.reactions:
            parts.append(_runs(f"{item.reactions} {'reaksjon' if item.reactions == 1 else 'reaksjoner'}"))
        if item.parent_id is not None:
            parent = self.by_id[item.parent_id]
            name = self._name(parent.author.display_name or parent.author.id)
            parts.append(_runs("svar til ") + name + _runs(f" (kommentar {self.number[parent.id]})"))
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
            yield paragraph(_runs(f"Tidligere tekst {n}{when}:", NOTE.fontName), indented(NOTE, level))
            text = pieces(revision.text, BODY_ITALIC) or _runs("(tom)", BODY_ITALIC)
            yield paragraph(text, indented(NOTE, level + 1))

    def _item(self, item: Item, depth: int) -> Iterator[Flowable]:
        level = max(depth - 1, 0)
        yield paragraph(self._header(item, depth), indented(META, level))
        if item.removal is not None:
            removal = item.removal
            number = self.removed_number[item.id]
            who = f" av {markup(removal.removed_by)}" if removal.removed_by else ""
            when = f" {oslo_time(removal.removed_at)}" if removal.removed_at else ""
            yield Paragraph(
                f"[{STATE_LABELS[removal.state]}{who}{when} – årsak: {REMOVAL_REASON_LABELS[removal.reason]}. "
                f"Teksten og dokumentasjonen står under «{REMOVED_SECTION_TITLE}», element S{number}.]",
                indented(REMOVED_MARK, level),
            )
            return
        yield paragraph(pieces(item.text) or _runs("(ingen tekst)", BODY_ITALIC), indented(BODY_TEXT, level))
        yield from self._revisions(item, level)
        yield from self._media_block(item, level, item.media)

    # -- sections ----------------------------------------------------------------------------------

    def _cover(self) -> Iterator[Flowable]:
        thread, cover = self.thread, self.cover
        removed = len(self.removed_number)
        comments = f"{len(thread.comments)}" + (f" (herav {removed} slettet/skjult)" if removed else "")
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
            ("Tråd-ID", thread.thread_id),
            ("SHA-256 av rådata (capture/thread.json)", cover.capture_sha256),
        ]
        yield Bookmark(self.outline, "Forside", 0)
        yield Paragraph(markup(thread.display_title, BODY_BOLD), TITLE)
        table = Table(
            [[Paragraph(xml_escape(label), LABEL), Paragraph(markup(value), VALUE)] for label, value in rows],
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
        thread = self.thread
        yield from self._cover()
        yield Bookmark(self.outline, "Innlegget", 0)
        yield Paragraph("Innlegget", SECTION)
        yield from self._item(thread.post, 0)
        yield Bookmark(self.outline, f"Kommentarer ({len(thread.comments)})", 0)
        yield Paragraph(f"Kommentarer ({len(thread.comments)})", SECTION)
        if not thread.comments:
            yield Paragraph("Ingen kommentarer.", NOTE)

    def _group(self, start: int, stop: int) -> Iterator[Flowable]:
        """Comments ``start:stop``: a top-level comment and its replies."""
        for comment in self.thread.comments[start:stop]:
            depth = self.depth[comment.id]
            if depth == 1:
                number = self.number[comment.id]
                yield PageBreakUnder(40)
                name = comment.author.display_name or comment.author.id
                yield Bookmark(self.outline, _plain(f"{number}. {name}: {comment.text}"), 1)
            yield from self._item(comment, depth)

    def _removed_head(self) -> Iterator[Flowable]:
        yield PageBreakUnder(120)
        yield Bookmark(self.outline, f"{REMOVED_SECTION_TITLE} ({len(self.removed_number)})", 0)
        yield Paragraph(f"{REMOVED_SECTION_TITLE} ({len(self.removed_number)})", SECTION)
        yield Paragraph(
            "Elementer som er slettet eller skjult på plattformen. Teksten er bevart her fordi arkivet er internt; "
            "skjermbildet er tatt før slettingen.",
            NOTE,
        )

    def _removed_item(self, index: int) -> Iterator[Flowable]:
        item = self.removed[index]
        removal = item.removal
        assert removal is not None
        number = index + 1
        yield PageBreakUnder(80)
        yield Bookmark(self.outline, f"S{number}. {self._label(item)}", 1)
        rows = [
            ("Element", f"S{number} – {self._label(item)}"),
            ("Forfatter", (item.author.display_name or item.author.id)
             + (" (kommunen)" if item.author.is_municipality else "")),
            ("Publisert", oslo_time(item.created_at)),
            ("Status", STATE_LABELS[removal.state]),
            ("Årsak", REMOVAL_REASON_LABELS[removal.reason]),
            ("Fjernet av", removal.removed_by or "ukjent"),
            ("Fjernet", oslo_time(removal.removed_at) if removal.removed_at else "ukjent"),
        ]
        if removal.note:
            rows.append(("Merknad", removal.note))
        table = Table(
            [[Paragraph(xml_escape(label), LABEL), Paragraph(markup(value), VALUE)] for label, value in rows],
            colWidths=[FRAME_WIDTH * 0.22, FRAME_WIDTH * 0.78],
        )
        table.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), BODY, 8.5),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
        ]))
        table.hAlign = "LEFT"
        yield table
        yield Paragraph("Opprinnelig tekst (fjernet fra plattformen):", REMOVED_MARK)
        yield Paragraph(markup(item.text) or "<i>(ingen tekst)</i>", BODY_TEXT)
        yield from self._revisions(item, 0)
        media = [*item.media, *([removal.screenshot] if removal.screenshot else [])]
        if removal.screenshot is None:
            yield Paragraph("Skjermbilde før sletting: mangler.", REMOVED_MARK)
        yield from self._media_block(item, 0, media)
        yield Spacer(0, 6)

    # -- units and chunks ----------------------------------------------------------------------------

    def units(self) -> list[Unit]:
        """The document as a sequence of units, in order; a chunk is a run of consecutive units.

        ``("head",)`` is the cover, the post and the comments heading; ``("group", start, stop)`` a top-level
        comment with its replies (``thread.comments[start:stop]``); ``("removed_head",)`` the heading of the
        removed-items section and ``("removed", index)`` one removed item.
        """
        units: list[Unit] = [("head",)]
        comments = self.thread.comments
        start = 0
        for index in range(1, len(comments) + 1):
            if index == len(comments) or comments[index].parent_id is None:
                units.append(("group", start, index))
                start = index
        if self.removed:
            units.append(("removed_head",))
            units.extend(("removed", index) for index in range(len(self.removed)))
        return units

    @staticmethod
    def unit_weight(unit: Unit) -> int:
        """Roughly how many items a unit renders (for sizing chunks)."""
        return unit[2] - unit[1] if unit[0] == "group" else 1

    def chunks(self, units: list[Unit], max_weight: int) -> list[tuple[int, int]]:
        """``(start, stop)`` ranges of ``units``, each weighing about ``max_weight``; never split after a heading."""
        ranges: list[tuple[int, int]] = []
        start, weight = 0, 0
        for index, unit in enumerate(units):
            weight += self.unit_weight(unit)
            is_heading = unit[0] in ("head", "removed_head")
            if weight >= max_weight and not is_heading and index + 1 < len(units):
                ranges.append((start, index + 1))
                start, weight = index + 1, 0
        ranges.append((start, len(units)))
        return ranges

    def unit_flowables(self, unit: Unit) -> Iterator[Flowable]:
        kind = unit[0]
        if kind == "head":
            yield from self._head()
        elif kind == "group":
            yield from self._group(unit[1], unit[2])
        elif kind == "removed_head":
            yield from self._removed_head()
        else:
            yield from self._removed_item(unit[1])

    def flowables(self, units: Iterable[Unit] | None = None) -> Iterator[Flowable]:
        """The flowables of ``units`` (default: the whole document), in order."""
        for unit in self.units() if units is None else units:
            yield from self.unit_flowables(unit)
