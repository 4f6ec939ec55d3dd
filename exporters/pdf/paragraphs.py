"""Paragraphs built from font runs (``text.pieces``) instead of markup, skipping reportlab's XML parser.

``Paragraph(markup, style)`` parses its markup with an HTML parser for every paragraph, which was about a
fifth of the layout time of a long thread. Here the fragments are made directly, with the attributes the
parser would give them, and handed to ``Paragraph(..., frags=...)``; line breaking and drawing are
reportlab's own.

Line breaking measures every word with ``stringWidth``; words repeat a lot, so the paragraph module's
``stringWidth`` is replaced by a memoised one (bounded LRU). Widths are a pure function of (text, font,
size) for the registered fonts; the replacement font only gains a code point before any text routed to it
is measured (``fonts.route`` redirects first), so a cached width never goes stale.
"""

from __future__ import annotations

from functools import cache, lru_cache

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Paragraph
from reportlab.platypus import paragraph as _rl_paragraph
from reportlab.platypus.paraparser import ParaFrag

from exporters.pdf.text import Piece


@lru_cache(maxsize=1 << 16)
def _string_width(text: str, font_name: str, font_size: float, encoding: str = "utf8") -> float:
    return pdfmetrics.stringWidth(text, font_name, font_size, encoding)


_rl_paragraph.stringWidth = _string_width


@cache
def _color(value: str) -> colors.Color:
    return colors.HexColor(value)


def paragraph(parts: list[Piece], style: ParagraphStyle) -> Paragraph:
    """A Paragraph in ``style`` showing ``parts`` (font runs and line breaks)."""
    frags: list[ParaFrag] = []
    size, default_color = style.fontSize, style.textColor
    for part in parts:
        frag = ParaFrag()
        frag.rise = frag.greek = frag.bold = frag.italic = 0
        frag.link = []
        frag.us_lines = []
        frag.fontSize = size
        if part is None:
            frag.fontName, frag.textColor, frag.text = style.fontName, default_color, ""
            frag.lineBreak = True
        else:
            font, color, text = part
            frag.fontName, frag.text = font, text
            frag.textColor = default_color if color is None else _color(color)
        frags.append(frag)
    if not frags:
        frag = ParaFrag()
        frag.rise = frag.greek = frag.bold = frag.italic = 0
        frag.link, frag.us_lines = [], []
        frag.fontName, frag.fontSize, frag.textColor, frag.text = style.fontName, size, default_color, ""
        frags.append(frag)
    return Paragraph("", style, frags=frags)
