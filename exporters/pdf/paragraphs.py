"""Paragraphs built from font runs (``text.pieces``) instead of markup, skipping reportlab's XML parser.

``Paragraph(markup, style)`` parses its markup with an HTML parser for every paragraph, which was about a
fifth of the layout time of a long thread. Here the fragments are made directly, with the attributes the
parser would give them, and handed to ``Paragraph(..., frags=...)``; line breaking and drawing are
reportlab's own.

Line breaking measures every word with ``stringWidth``; words repeat a lot, so the paragraph module's
``stringWidth`` is replaced by a memoised one (bounded LRU). Widths are a pure function of (text, font,
size) for the registered fonts; the replacement font only gains a code point before any text routed to it
is measured (``fonts.route`` redirects first), so a cached width never goes stale.

Two more patches of reportlab's paragraph module, so line breaking never drops or changes a character:
- it breaks lines only at U+0020 SPACE. reportlab also breaks at (and then draws a plain space instead of)
  U+200B, U+2000–U+200A, U+202F, U+205F, U+3000 and more; which ones depended on whether the text held a
  U+00A0. Those characters now stay in their word and are drawn with their own glyphs.
- it does no soft-hyphen hyphenation: reportlab removes every U+00AD from the text it draws. Here U+00AD is
  an ordinary (invisible, see ``fonts.ALWAYS_REPLACED``) character. Long words are still split
  (``splitLongWords``).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from itertools import pairwise

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, Paragraph
from reportlab.platypus import paragraph as _rl_paragraph
from reportlab.platypus.paraparser import ParaFrag

from exporters.pdf.text import Piece


@lru_cache(maxsize=1 << 16)
def _string_width(text: str, font_name: str, font_size: float, encoding: str = "utf8") -> float:
    return pdfmetrics.stringWidth(text, font_name, font_size, encoding)


_rl_paragraph.stringWidth = _string_width


def _split_at_spaces(text: str, delim: str | None = None) -> list[str]:
    """reportlab's ``paragraph.split``, breaking only at U+0020 (no empty words, like ``str.split()``)."""
    if delim is not None:
        return text.split(delim)
    return [word for word in text.split(" ") if word]


_rl_paragraph.split = _split_at_spaces
_rl_paragraph._wsc = " "  # used by its strip/lstrip/rstrip
_rl_paragraph._wsc_end_search = re.compile(" +$").search
_rl_paragraph._shy = "\x00\x00"  # never in drawn text (U+0000 is shown as an escape), so never a soft hyphen


@cache
def _color(value: str) -> colors.Color:
    return colors.HexColor(value)


def paragraph(parts: list[Piece], style: ParagraphStyle) -> Flowable:
    """A paragraph in ``style`` showing ``parts`` (font runs and line breaks); see ``RunsParagraph``."""
    if USE_RUNS_PARAGRAPH:
        return RunsParagraph(parts, style)
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


# -- RunsParagraph: our own line breaking and drawing for font runs ----------------------------------------

USE_RUNS_PARAGRAPH = True  # False: ``paragraph`` builds reportlab Paragraphs (same look, about 2x slower)

_BREAK = None  # a hard line break in a word list


class _Word:
    """A word: font runs ``(font, colour, text)`` with no U+0020 inside, and its width."""

    __slots__ = ("glued", "pieces", "space", "width")

    def __init__(self, pieces: list[tuple[str, str | None, str]], width: float, glued: bool = False,
                 space: tuple[str, str | None] | None = None) -> None:
        self.pieces, self.width, self.glued = pieces, width, glued  # glued: no space before (split long word)
        self.space = space  # (font, colour) of the space before the word: that of the run holding it


def _words(parts: list[Piece], size: float) -> list[_Word | None]:
    """Words of ``parts``, split at U+0020 runs only (like the patched reportlab ``split``)."""
    words: list[_Word | None] = []
    current: list[tuple[str, str | None, str]] = []
    width = 0.0
    space: tuple[str, str | None] | None = None
    for part in parts:
        if part is None:
            if current:
                words.append(_Word(current, width, space=space))
                current, width = [], 0.0
            words.append(_BREAK)
            space = None
            continue
        font, color, text = part
        segments = text.split(" ")
        for index, segment in enumerate(segments):
            if index:
                if current:
                    words.append(_Word(current, width, space=space))
                    current, width = [], 0.0
                space = (font, color)
            if segment:
                current.append((font, color, segment))
                width += _string_width(segment, font, size)
    if current:
        words.append(_Word(current, width, space=space))
    return words


def _split_word(word: _Word, first: float, rest: float, size: float) -> list[_Word]:
    """``word`` cut into pieces that fit ``first`` points, then ``rest`` points each (at least one char each)."""
    out: list[_Word] = []
    limit = first
    pieces: list[tuple[str, str | None, str]] = []
    width = 0.0
    for font, color, text in word.pieces:
        start = 0
        for index, ch in enumerate(text):
            w = _string_width(ch, font, size)
            if width + w > limit and (pieces or index > start):
                if index > start:
                    pieces.append((font, color, text[start:index]))
                out.append(_Word(pieces, width, glued=bool(out), space=word.space))
                pieces, width, start, limit = [], 0.0, index, rest
            width += w
        if start < len(text):
            pieces.append((font, color, text[start:]))
    if pieces:
        out.append(_Word(pieces, width, glued=bool(out), space=word.space))
    return out


def _space_font(previous: _Word, word: _Word) -> str:
    return word.space[0] if word.space else previous.pieces[-1][0]


class RunsParagraph(Flowable):
    """A left-aligned paragraph of font runs, laid out and drawn without platypus ``Paragraph``.

    Looks like ``Paragraph(..., frags=...)`` in the same style: greedy line breaking at U+0020 (runs of
    spaces shown as one, leading spaces dropped; spaces may shrink by ``spaceShrinkage`` to fit a word,
    drawn with a negative word spacing ``Tw`` as reportlab does), hard line breaks, long words split to fill the line
    (``splitLongWords``), ``leading`` between baselines, first baseline ``fontSize`` below the top,
    ``leftIndent``/``rightIndent``, ``spaceBefore``/``spaceAfter``, split across frames without orphans
    (a single first line is never left at the bottom of a page; reportlab's ``allowOrphans=0``). Words
    are measured with the memoised ``stringWidth``; each line is drawn as ``Tj`` runs in one text object,
    words joined by a space in the font of the run that held it.
    """

    def __init__(self, parts: list[Piece] | None, style: ParagraphStyle,
                 lines: tuple[float, list[list[_Word]]] | None = None) -> None:
        super().__init__()
        self.style = style
        self.parts = parts
        self._lines = lines  # (available width, lines) of the last wrap
        self.width = self.height = 0

    def getSpaceBefore(self) -> float:  # noqa: N802 (reportlab API)
        return self.style.spaceBefore

    def getSpaceAfter(self) -> float:  # noqa: N802 (reportlab API)
        return self.style.spaceAfter

    def _word_list(self) -> list[_Word | None]:
        if self.parts is not None:
            return _words(self.parts, self.style.fontSize)
        assert self._lines is not None  # a split part: its words, with the original line ends as breaks
        out: list[_Word | None] = []
        for number, line in enumerate(self._lines[1]):
            if number:
                out.append(_BREAK)
            out.extend(line)
        return out

    def _break(self, avail_width: float) -> list[list[_Word]]:
        if self._lines is not None and self._lines[0] == avail_width:
            return self._lines[1]
        style = self.style
        size = style.fontSize
        max_width = avail_width - style.leftIndent - style.rightIndent
        split_long = style.splitLongWords
        shrink = style.spaceShrinkage  # reportlab lets a line overflow by this share of its spaces' width
        lines: list[list[_Word]] = []
        line: list[_Word] = []
        width = spaces = 0.0
        for word in self._word_list():
            if word is None:
                lines.append(line)
                line, width, spaces = [], 0.0, 0.0
                continue
            if line:
                space = 0.0 if word.glued else _string_width(" ", _space_font(line[-1], word), size)
                if width + space + word.width <= max_width + shrink * (spaces + space):
                    line.append(word)
                    width += space + word.width
                    spaces += space
                    continue
                if split_long and word.width > max_width and max_width - width - space > 0:
                    parts = _split_word(word, max_width - width - space, max_width, size)
                    line.append(parts[0])
                    lines.append(line)
                    for part in parts[1:-1]:
                        lines.append([part])
                    line, width, spaces = [parts[-1]], parts[-1].width, 0.0
                    continue
                lines.append(line)
            if split_long and word.width > max_width:
                parts = _split_word(word, max_width, max_width, size)
                for part in parts[:-1]:
                    lines.append([part])
                word = parts[-1]
            line, width, spaces = [word], word.width, 0.0
        if line:
            lines.append(line)
        self._lines = (avail_width, lines)
        return lines

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        self.height = len(self._break(avail_width)) * self.style.leading
        return avail_width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        lines = self._break(avail_width)
        leading = self.style.leading
        fit = int(avail_height / float(leading))
        if fit <= 1:
            return []
        if len(lines) <= fit:
            return [self]
        first = RunsParagraph(None, self.style, (avail_width, lines[:fit]))
        rest = RunsParagraph(None, self.style, (avail_width, lines[fit:]))
        return [first, rest]

    def draw(self) -> None:
        assert self._lines is not None
        style = self.style
        canv = self.canv
        size, leading = style.fontSize, style.leading
        default = style.textColor
        max_width = self._lines[0] - style.leftIndent - style.rightIndent
        text = canv.beginText(style.leftIndent, self.height - size)
        font_now: str | None = None
        text.setFillColor(default)
        color_now: str | None = None
        for number, line in enumerate(self._lines[1]):
            if number:
                text.setTextOrigin(style.leftIndent, self.height - size - number * leading)
            runs: list[list] = []  # [font, colour, text]
            for index, word in enumerate(line):
                pieces = word.pieces
                if index and not word.glued:
                    font, color = word.space or line[index - 1].pieces[-1][:2]
                    pieces = [(font, color, " "), *pieces]
                for font, color, chunk in pieces:
                    if runs and runs[-1][0] == font and runs[-1][1] == color:
                        runs[-1][2] += chunk
                    else:
                        runs.append([font, color, chunk])
            overflow = gaps = 0.0
            if len(line) > 1:  # a line set tighter than its natural width (``spaceShrinkage``)?
                overflow = sum(word.width for word in line) - max_width
                for previous, word in pairwise(line):
                    if not word.glued:
                        overflow += _string_width(" ", _space_font(previous, word), size)
                        gaps += 1
            if overflow > 1e-8 and gaps:
                text.setWordSpace(-overflow / gaps)
            for font, color, chunk in runs:
                if font != font_now:
                    text.setFont(font, size, leading)
                    font_now = font
                if color != color_now:
                    text.setFillColor(default if color is None else _color(color))
                    color_now = color
                text.textOut(chunk)
            if overflow > 1e-8 and gaps:
                text.setWordSpace(0)
        canv.drawText(text)
