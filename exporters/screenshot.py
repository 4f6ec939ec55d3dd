"""A PNG image of one comment as it was shown, drawn from the captured data (the evidence kept before a removal).

The image is drawn with Pillow and the vendored DejaVu fonts: the thread's platform and title, the author,
the time (Europe/Oslo), which comment it answers, the text, reactions and media, and a footer with the
comment id and the capture time. Nothing is fetched. Text that can't be drawn faithfully is shown visibly
instead of vanishing: control characters, lone surrogates, bidi controls and characters the font lacks
(emoji) become ``⟨U+XXXX⟩``; a very long text is cut after :data:`MAX_LINES` lines with a note saying how
much more there is (the full text is in the capture next to the image). The same input gives the same bytes.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont
from reportlab.pdfbase.ttfonts import TTFontFile

from schemas.errors import RenderError
from schemas.thread import PLATFORM_LABELS, Item, Thread

FONT_DIR = Path(__file__).parent / "pdf" / "assets" / "fonts"
OSLO = ZoneInfo("Europe/Oslo")
WIDTH = 900
MARGIN = 32
MAX_LINES = 120
MAX_SHOWN_CHARS = MAX_LINES * 200
MAX_TITLE_CHARS = 140
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_INK = (28, 30, 33)
_MUTED = (96, 103, 112)
_ESCAPE_INK = (176, 48, 32)
_BORDER = (206, 210, 216)
_CARD = (242, 243, 245)


@cache
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / name), size)


@cache
def _coverage() -> frozenset[int]:
    """Code points DejaVu Sans can draw (the bold face covers the same set for our purposes)."""
    face = TTFontFile(str(FONT_DIR / "DejaVuSans.ttf"))
    return frozenset(face.charToGlyph)


def _label(ch: str) -> str:
    return f"⟨U+{ord(ch):04X}⟩"


def visible(text: str) -> str:
    """``text`` with what would be drawn wrongly or not at all replaced by a visible ``⟨U+XXXX⟩``."""
    cover = _coverage()
    out: list[str] = []
    for ch in text:
        if ch in "\n\t":
            out.append(" " if ch == "\t" else ch)
        elif _UNSAFE.match(ch) or _BIDI.match(ch) or (ord(ch) not in cover and ch != " "):
            out.append(_label(ch))
        else:
            out.append(ch)
    return "".join(out)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> tuple[list[str], int]:
    """Lines of ``text`` no wider than ``width`` (long words broken), at most ``max_lines``; and the number of
    characters left out."""
    lines: list[str] = []
    consumed = 0
    for paragraph in text.split("\n"):
        line = ""
        line_width = 0.0
        for word in re.split(r"( +)", paragraph):
            if not word:
                continue
            word_width = font.getlength(word)
            if line_width + word_width <= width:
                line += word
                line_width += word_width
                continue
            if line.strip():
                lines.append(line.rstrip())
                consumed += len(line)
                if len(lines) >= max_lines:
                    return lines, len(text) - consumed
            line, line_width = "", 0.0
            if word.isspace():
                consumed += len(word)
                continue
            for ch in word:  # a word wider than the line: break it between characters
                ch_width = font.getlength(ch)
                if line and line_width + ch_width > width:
                    lines.append(line)
                    consumed += len(line)
                    if len(lines) >= max_lines:
                        return lines, len(text) - consumed
                    line, line_width = "", 0.0
                line += ch
                line_width += ch_width
        lines.append(line.rstrip())
        consumed += len(line) + 1
        if len(lines) >= max_lines:
            return lines, max(0, len(text) - consumed)
    return lines, 0


def _when(moment: datetime) -> str:
    return moment.astimezone(OSLO).strftime("%d.%m.%Y kl. %H:%M")


def _draw_text(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, font: ImageFont.FreeTypeFont,
               fill: tuple[int, int, int]) -> None:
    """Draw one line, with ``⟨U+XXXX⟩`` escapes in a warning colour."""
    x, y = xy
    for part in re.split(r"(⟨U\+[0-9A-F]{4,6}⟩)", text):
        if not part:
            continue
        colour = _ESCAPE_INK if part.startswith("⟨U+") and part.endswith("⟩") else fill
        draw.text((x, y), part, font=font, fill=colour)
        x += int(font.getlength(part))


def render_comment_png(thread: Thread, comment_id: str) -> bytes:
    """The comment ``comment_id`` of ``thread`` drawn as it was shown, as PNG bytes."""
    item = next((c for c in thread.all_items() if c.id == comment_id), None)
    if item is None:
        raise RenderError(f"tråd {thread.platform.value}/{thread.thread_id}: kommentar {comment_id!r} finnes ikke "
                          "i innsamlingen; skjermbilde ikke laget")
    try:
        return _render(thread, item)
    except (OSError, ValueError, MemoryError) as exc:
        raise RenderError(f"tråd {thread.platform.value}/{thread.thread_id}: skjermbilde av kommentar "
                          f"{visible(comment_id)} feilet: {exc}") from exc


def _render(thread: Thread, item: Item) -> bytes:
    regular, bold, small = _font("DejaVuSans.ttf", 20), _font("DejaVuSans-Bold.ttf", 20), _font("DejaVuSans.ttf", 15)
    inner = WIDTH - 2 * MARGIN - 32
    title = visible(thread.display_title)
    title = title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1] + "…"
    header, _ = _wrap(f"{PLATFORM_LABELS[thread.platform]} · {thread.account.name} · {title}", small, inner + 32, 2)
    author = visible(item.author.display_name or item.author.id)
    author_lines, _ = _wrap(author, bold, inner, 2)
    meta = _when(item.created_at) + (f" (redigert {_when(item.edited_at)})" if item.edited_at else "")
    parent = next((c for c in thread.comments if c.id == item.parent_id), None) if item.parent_id else None
    if parent is not None:
        meta += f" · svar til {visible(parent.author.display_name or parent.author.id)}"
    meta_lines, _ = _wrap(meta, small, inner, 2)
    head = item.text[:MAX_SHOWN_CHARS]  # more than MAX_LINES lines can hold: the rest is never drawn anyway
    body, left_out = _wrap(visible(head), regular, inner, MAX_LINES)
    if len(item.text) > len(head):
        left_out += len(item.text) - len(head)
    extra: list[str] = []
    if left_out:
        extra.append(f"… teksten fortsetter: omtrent {left_out} tegn til er ikke vist her "
                     "(hele teksten er i innsamlingen)")
    if item.media:
        extra.append(f"Vedlegg: {len(item.media)} ({', '.join(sorted({m.kind for m in item.media}))})")
    extra.append(f"Reaksjoner: {item.reactions}")
    extra_lines = [line for text in extra for line in _wrap(text, small, inner, 3)[0]]
    footer_text = (f"Kommentar-id {visible(item.id)} · innsamlet {_when(thread.captured_at)} · "
                   f"bilde laget av somearkiv fra innsamlede data")
    footer, _ = _wrap(footer_text, small, inner + 32, 3)

    line_h, small_h = 28, 21
    card_h = 20 + len(author_lines) * line_h + len(meta_lines) * small_h + 10 + max(1, len(body)) * line_h + 10 \
        + len(extra_lines) * small_h + 16
    height = MARGIN + len(header) * small_h + 14 + card_h + 14 + len(footer) * small_h + MARGIN
    image = Image.new("RGB", (WIDTH, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    y = MARGIN
    for line in header:
        _draw_text(draw, (MARGIN, y), line, small, _MUTED)
        y += small_h
    y += 14
    draw.rounded_rectangle((MARGIN, y, WIDTH - MARGIN, y + card_h), radius=14, fill=_CARD, outline=_BORDER)
    x = MARGIN + 16
    y += 20
    for line in author_lines:
        _draw_text(draw, (x, y), line, bold, _INK)
        y += line_h
    for line in meta_lines:
        _draw_text(draw, (x, y), line, small, _MUTED)
        y += small_h
    y += 10
    for line in body or [""]:
        _draw_text(draw, (x, y), line, regular, _INK)
        y += line_h
    y += 10
    for line in extra_lines:
        _draw_text(draw, (x, y), line, small, _MUTED)
        y += small_h
    y = MARGIN + len(header) * small_h + 14 + card_h + 14
    for line in footer:
        _draw_text(draw, (MARGIN, y), line, small, _MUTED)
        y += small_h
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()
