"""User text to reportlab paragraph markup: visible escapes for what PDF can't hold, and font routing.

Text XML/PDF can't hold follows the one rule in ``schemas.text``: the PDF shows a visible escape such
as ``⟨U+0007⟩``, here in a distinct style; ``capture/thread.json`` keeps the character verbatim.
Line breaks (``\\n``, ``\\r\\n``, a lone ``\\r``) become line breaks; tabs become spaces.

Right-to-left text (``rtl.py``): ``pieces`` keeps logical order with Arabic shaped (contextual forms), and
``RunsParagraph`` orders each drawn line by the bidi algorithm; ``markup`` (reportlab's ``Paragraph``, one-line
cover values) gets each line in drawing order (``display_order``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.sax.saxutils import escape as xml_escape

from exporters.pdf.fonts import BODY, BODY_BOLD, BODY_BOLD_ITALIC, BODY_ITALIC, route
from exporters.pdf.rtl import base_level, has_rtl, shape, visual_line
from schemas.text import UNSAFE as _UNSAFE
from schemas.text import escape_label, escape_unsafe

ESCAPE_COLOR = "#B00020"
_LINE_BREAK = re.compile("\r\n?")
_ITALIC_OF = {BODY: BODY_ITALIC, BODY_BOLD: BODY_BOLD_ITALIC, BODY_ITALIC: BODY_ITALIC}


def display_order(line: str) -> str:
    """One line of text in drawing order (shaped, bidi-ordered) for reportlab's own ``Paragraph`` (cover values,
    placeholders): right for a line that is not wrapped. Thread text goes through ``pieces`` and is ordered per
    drawn line instead (``bidi_line``)."""
    if not has_rtl(line):
        return line
    shaped = shape(line)
    return "".join(drawn for _, drawn in visual_line(shaped, base_level(shaped)))


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
                parts.append(_runs_markup(display_order(chunk), base))
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
            out.extend((font, None, run) for font, run in route(shape(line), base))
            continue
        for is_escape, chunk in _segments(line):
            if is_escape:
                italic = _ITALIC_OF.get(base, BODY_ITALIC)
                out.extend((font, ESCAPE_COLOR, run) for font, run in route(escape_label(chunk), italic))
            else:
                out.extend((font, None, run) for font, run in route(shape(chunk), base))
    return out
