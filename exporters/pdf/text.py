"""User text to reportlab paragraph markup: visible escapes for what PDF can't hold, and font routing.

Text XML/PDF can't hold follows the one rule in ``schemas.text``: the PDF shows a visible escape such
as ``⟨U+0007⟩``, here in a distinct style; ``capture/thread.json`` keeps the character verbatim.
Line breaks (``\\n``, ``\\r\\n``, a lone ``\\r``) become line breaks; tabs become spaces.

reportlab draws strings left to right and has no bidi algorithm, so right-to-left runs (Hebrew, Arabic)
are put in visual order here: each maximal run from one strong RTL character to the last one on the
line is reversed by grapheme cluster (a base character with its combining marks), keeping digit
sequences left to right. Arabic is not shaped (isolated letter forms). A run wrapped over two lines
reads in the wrong line order; extraction tools convert visual order back to logical order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from xml.sax.saxutils import escape as xml_escape

from exporters.pdf.fonts import BODY, BODY_BOLD, BODY_BOLD_ITALIC, BODY_ITALIC, route
from schemas.text import UNSAFE as _UNSAFE
from schemas.text import escape_label, escape_unsafe

ESCAPE_COLOR = "#B00020"
_LINE_BREAK = re.compile("\r\n?")
_ITALIC_OF = {BODY: BODY_ITALIC, BODY_BOLD: BODY_BOLD_ITALIC, BODY_ITALIC: BODY_ITALIC}


_RTL_CHARS = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff\U0001e800-\U0001efff"
_RTL_MARKS = "\u0300-\u036f\u0591-\u05c7\u064b-\u065f\u0670\u06d6-\u06ed"
_RTL_RUN = re.compile(f"[{_RTL_CHARS}](?:[^A-Za-z\u00c0-\u024f\u0370-\u058f]*[{_RTL_CHARS}])?[{_RTL_MARKS}]*")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_HAS_RTL = re.compile(f"[{_RTL_CHARS}]").search


def _clusters(run: str) -> list[str]:
    """Grapheme-ish units of an RTL run: base + combining marks, and whole digit sequences."""
    units: list[str] = []
    pos = 0
    while pos < len(run):
        digits = _DIGITS.match(run, pos)
        if digits:
            units.append(digits.group())
            pos = digits.end()
            continue
        end = pos + 1
        while end < len(run) and unicodedata.combining(run[end]):
            end += 1
        units.append(run[pos:end])
        pos = end
    return units


def visual_order(line: str) -> str:
    """``line`` with its right-to-left runs reversed into visual (drawing) order."""
    if not _HAS_RTL(line):
        return line
    return _RTL_RUN.sub(lambda m: "".join(reversed(_clusters(m.group()))), line)


def visible_text(text: str) -> str:
    """The text as the PDF shows it (escapes applied, line breaks normalised); used by tests and checks."""
    text = _LINE_BREAK.sub("\n", text).replace("\t", " ")
    return escape_unsafe(text)


def _segments(text: str) -> Iterator[tuple[bool, str]]:
    """``(is_escape, chunk)`` pieces of ``text``; escape chunks are single unsafe characters."""
    pos = 0
    for match in _UNSAFE.finditer(text):
        if match.start() > pos:
            yield False, text[pos : match.start()]
        yield True, match.group()
        pos = match.end()
    if pos < len(text):
        yield False, text[pos:]


def _runs_markup(text: str, base: str, color: str | None = None) -> str:
    out: list[str] = []
    colour = f' color="{color}"' if color else ""
    for font, run in route(text, base):
        out.append(f'<font name="{font}"{colour}>{xml_escape(run)}</font>')
    return "".join(out)


def markup(text: str, base: str = BODY) -> str:
    """Paragraph markup for user text: every character routed to a font that has it, nothing dropped."""
    text = _LINE_BREAK.sub("\n", text).replace("\t", " ")
    lines: list[str] = []
    for line in text.split("\n"):
        parts: list[str] = []
        for is_escape, chunk in _segments(line):
            if is_escape:
                parts.append(_runs_markup(escape_label(chunk), _ITALIC_OF.get(base, BODY_ITALIC), ESCAPE_COLOR))
            else:
                parts.append(_runs_markup(visual_order(chunk), base))
        lines.append("".join(parts))
    return "<br/>".join(lines)


Piece = tuple[str, str | None, str] | None  # (font name, colour or None, text); None is a line break


def pieces(text: str, base: str = BODY) -> list[Piece]:
    """``markup`` as a list of font runs instead of markup (no XML round trip; see ``paragraph``)."""
    text = _LINE_BREAK.sub("\n", text).replace("\t", " ")
    out: list[Piece] = []
    for number, line in enumerate(text.split("\n")):
        if number:
            out.append(None)
        if not _UNSAFE.search(line):
            out.extend((font, None, run) for font, run in route(visual_order(line), base))
            continue
        for is_escape, chunk in _segments(line):
            if is_escape:
                italic = _ITALIC_OF.get(base, BODY_ITALIC)
                out.extend((font, ESCAPE_COLOR, run) for font, run in route(escape_label(chunk), italic))
            else:
                out.extend((font, None, run) for font, run in route(visual_order(chunk), base))
    return out
