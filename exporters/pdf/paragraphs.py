"""Paragraph layout: ``RunsParagraph`` lines up and draws font runs (``text.pieces``) without reportlab's XML
parser; the word model is ``words.py``, the encoder ``encoder.py``.

``Paragraph(markup, style)`` parses its markup with an HTML parser for every paragraph, which was about a
fifth of the layout time of a long thread. Here the fragments are made directly, with the attributes the
parser would give them, and handed to ``Paragraph(..., frags=...)``; line breaking and drawing are
reportlab's own.

Line breaking measures every word with ``stringWidth``; words repeat a lot, so a memoised one is used
(``reportlab_compat.string_width``, emptied when it grows past ``WIDTHS_MAX``). Widths are a pure
function of (text, font, size) for the registered fonts; the replacement font only gains a code point before
any text routed to it is measured (``fonts.route`` redirects first), so a cached width never goes stale.

reportlab ``Paragraph``s (markup) come from a private copy of reportlab's paragraph module
(``reportlab_compat.paragraph_module``) whose line breaking never drops or changes a character:
- it breaks lines only at U+0020 SPACE. reportlab also breaks at (and then draws a plain space instead of)
  U+200B, U+2000–U+200A, U+202F, U+205F, U+3000 and more; which ones depended on whether the text held a
  U+00A0. Those characters now stay in their word and are drawn with their own glyphs.
- it does no soft-hyphen hyphenation: reportlab removes every U+00AD from the text it draws. Here U+00AD is
  an ordinary (invisible, see ``fonts.ALWAYS_REPLACED``) character. Long words are still split
  (``splitLongWords``).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Literal

from reportlab.lib.rl_accel import fp_str
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable
from reportlab.platypus.paraparser import ParaFrag

from exporters.pdf.bidi_line import BidiLine
from exporters.pdf.encoder import Encoder, Key, Segment, WordCodes, color_of, encoder_of, fill_code, style_codes
from exporters.pdf.fonts import load
from exporters.pdf.reportlab_compat import paragraph_class, string_width
from exporters.pdf.rtl import base_level, has_rtl
from exporters.pdf.text import Piece
from exporters.pdf.words import BREAK, TIGHT_MARGIN, Tight, Word, WordCache, split_word, split_words
from schemas.errors import RenderError


def markup_paragraph(text: str, style: ParagraphStyle) -> Flowable:
    """reportlab's ``Paragraph(text, style)`` of markup, from the private paragraph module (``reportlab_compat``)."""
    load(style.fontName)  # (text in other fonts names them in ``<font>`` tags: ``text.markup`` loaded them)
    return paragraph_class()(text, style)


def paragraph(parts: list[Piece], style: ParagraphStyle, *, engine: Literal["runs", "reportlab"] = "runs",
              words: WordCache | None = None) -> Flowable:
    """A paragraph in ``style`` showing ``parts`` (font runs and line breaks): a ``RunsParagraph`` (sharing equal
    words through ``words``), or with ``engine="reportlab"`` reportlab's ``Paragraph`` of the same fragments
    (the same look, about 2x slower)."""
    if engine == "runs":
        return RunsParagraph(parts, style, words=words)
    load(style.fontName)
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
            frag.textColor = default_color if color is None else color_of(color)
        frags.append(frag)
    if not frags:
        frag = ParaFrag()
        frag.rise = frag.greek = frag.bold = frag.italic = 0
        frag.link, frag.us_lines = [], []
        frag.fontName, frag.fontSize, frag.textColor, frag.text = style.fontName, size, default_color, ""
        frags.append(frag)
    return paragraph_class()("", style, frags=frags)


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
                 lines: tuple[float, list[list[Word]]] | None = None, *, fast_lines: bool = True,
                 bases: list[int] | None = None, words: WordCache | None = None) -> None:
        super().__init__()
        self.word_cache = words  # equal words shared with the render's other paragraphs
        self.style = style
        self.parts = parts
        self._lines = lines  # (available width, lines) of the last wrap
        self.fast_lines = fast_lines  # False: every line through ``_line_segments`` (the same output, slower)
        # right-to-left text: each line is ordered by the bidi algorithm (``rtl``) at its paragraph's level
        rtl = bases is not None
        if not rtl and parts is not None:
            for part in parts:
                if part is not None and has_rtl(part[2]):
                    rtl = True
                    break
        self.rtl = rtl
        self._bases = bases  # paragraph level of each line (``rtl`` only)
        self.width: float = 0
        self.height: float = 0

    @property
    def lines(self) -> list[list[Word]]:
        """The lines of the last ``wrap`` (words per line)."""
        return self._wrapped()[1]

    def _wrapped(self) -> tuple[float, list[list[Word]]]:
        """(available width, lines) of the last ``wrap``."""
        if self._lines is None:
            raise RenderError("Avsnittet er ikke brutt i linjer ennå (wrap() må kalles først)")
        return self._lines

    def getSpaceBefore(self) -> float:  # noqa: N802 (reportlab API)
        space: float = self.style.spaceBefore
        return space

    def getSpaceAfter(self) -> float:  # noqa: N802 (reportlab API)
        space: float = self.style.spaceAfter
        return space

    def _word_list(self) -> list[Word | None]:
        if self.parts is not None:
            return split_words(self.parts, self.style.fontSize, self.word_cache)
        # a split part: its words, with the original line ends as breaks
        out: list[Word | None] = []
        for number, line in enumerate(self._wrapped()[1]):
            if number:
                out.append(BREAK)
            out.extend(line)
        return out

    def _break(self, avail_width: float) -> list[list[Word]]:
        if self._lines is not None and self._lines[0] == avail_width:
            return self._lines[1]
        style = self.style
        size = style.fontSize
        max_width = avail_width - style.leftIndent - style.rightIndent
        split_long = style.splitLongWords
        shrink = style.spaceShrinkage  # reportlab lets a line overflow by this share of its spaces' width
        tight = max_width + TIGHT_MARGIN  # wider lines are ``Tight``
        lines: list[list[Word]] = []
        line: list[Word] = []
        width = spaces = 0.0
        word_list = self._word_list()
        ends: list[int] = []  # index of the first line after each hard line break
        for word in word_list:
            if word is None:
                lines.append(line if width <= tight else Tight(line))
                ends.append(len(lines))
                line, width, spaces = [], 0.0, 0.0
                continue
            if line:
                space = word.space_width
                if space is None:
                    space = string_width(" ", line[-1].pieces[-1][0], size)
                if width + space + word.width <= max_width + shrink * (spaces + space):
                    line.append(word)
                    width += space + word.width
                    spaces += space
                    continue
                if split_long and word.width > max_width and max_width - width - space > 0:
                    parts = split_word(word, max_width - width - space, max_width, size)
                    line.append(parts[0])
                    lines.append(Tight(line))  # (its width is not kept up to date here)
                    for part in parts[1:-1]:
                        lines.append([part])
                    line, width, spaces = [parts[-1]], parts[-1].width, 0.0
                    continue
                lines.append(line if width <= tight else Tight(line))
            if split_long and word.width > max_width:
                parts = split_word(word, max_width, max_width, size)
                for part in parts[:-1]:
                    lines.append([part])
                word = parts[-1]
            line, width, spaces = [word], word.width, 0.0
        if line:
            lines.append(line if width <= tight else Tight(line))
        if self.rtl:
            self._bases = self._line_bases(word_list, lines, ends)
        self._lines = (avail_width, lines)
        return lines

    def _line_bases(self, word_list: list[Word | None], lines: list[list[Word]], ends: list[int]) -> list[int]:
        """The paragraph level (P2–P3) of each line: that of the text between hard line breaks it belongs to. A
        split part re-broken keeps the levels its lines had (each of its old lines is one such text here)."""
        if self.parts is None and self._bases is not None:
            levels = self._bases
        else:
            texts: list[list[str]] = [[]]
            for word in word_list:
                if word is None:
                    texts.append([])
                else:
                    texts[-1].extend(text for _, _, text in word.pieces)
            levels = [base_level(" ".join(text)) for text in texts]
        out: list[int] = []
        segment = 0
        for number in range(len(lines)):
            while segment < len(ends) and ends[segment] <= number:
                segment += 1
            out.append(levels[min(segment, len(levels) - 1)])
        return out

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
        bases = self._bases
        first = RunsParagraph(None, self.style, (avail_width, lines[:fit]), fast_lines=self.fast_lines,
                              bases=None if bases is None else bases[:fit])
        rest = RunsParagraph(None, self.style, (avail_width, lines[fit:]), fast_lines=self.fast_lines,
                             bases=None if bases is None else bases[fit:])
        return [first, rest]

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802, N803 (reportlab API)
        """``Flowable.drawOn`` without a canvas state push/pop or ``cm``: the text object is placed by its ``Tm``.

        The text object is wrapped in ``q``/``Q``, so its fill colour, font and word spacing don't leak.
        """
        x = self._hAlignAdjust(x, _sW)
        canvas._code.append(f"q {self.text_object(canvas, x, y)} Q")

    def draw(self) -> None:
        """Draw with the top left corner at the origin of the current coordinates."""
        self.canv._code.append(self.text_object(self.canv, 0.0, 0.0))

    def text_object(self, canv: Canvas, x: float, y: float) -> str:
        """The text object (``BT`` … ``ET``) of the paragraph with its top left corner at ``(x, y)``.

        It draws what reportlab's ``PDFTextObject`` draws for the same text: the first line placed with ``Tm``,
        the next ones with ``T*`` (``TL`` = leading), per run ``Tf`` when the font subset changes, ``rg`` when the
        colour changes and ``Tj`` with the subset codes (``Encoder``), ``Tw`` when a line's spaces shrink.
        Words joined by a space in the font of the run that held it.
        """
        wrapped = self._wrapped()
        style = self.style
        encoder = encoder_of(canv._doc)
        size = style.fontSize
        left = style.leftIndent
        max_width = wrapped[0] - left - style.rightIndent
        leading, fill = style_codes(style)
        out = [f"BT 1 0 0 1 {fp_str(x + left, y + self.height - size)} Tm {leading} TL {fill}"]
        append = out.append
        get = encoder.words.get
        key_now: object | None = None  # the key (``Key``) of the subset and colour set now
        font_now: tuple[str, int] | None = None
        color_now: str | None = None
        bases = self._bases if self.rtl else None
        for number, line in enumerate(wrapped[1]):
            if number:
                append("T*")
            if not line:
                continue
            if bases is not None:
                base = bases[number]
                drawn = self._bidi_line(line, base, encoder, size, max_width)
                if drawn is not None:
                    line_x, line_y = x + left, y + self.height - size - number * style.leading
                    key_now, font_now, color_now = drawn.write(
                        append, encoder, style, (line_x, line_y), (key_now, font_now, color_now))
                    continue
            known = list(map(get, line))
            if None in known:
                encs = [encoder.word(word) if enc is None else enc for word, enc in zip(line, known, strict=True)]
            else:
                encs = known  # type: ignore[assignment]  # no None left
            segs: list[Segment] | tuple[Segment, ...]
            shrink = 0.0
            if len(line) == 1:
                segs = encs[0][0]
            else:
                rest = encs[1:]
                keys = list(map(_KEY, rest))
                key: Key | None = keys[0] if self.fast_lines else None
                if key is not None and keys.count(key) == len(keys):
                    # the words after the first are one segment each with the space before, all of one key
                    segs = list(encs[0][0])
                    joined = "".join(map(_DATA, rest))
                    if segs[-1][0] is key:
                        segs[-1] = (key, segs[-1][1] + joined)
                    else:
                        segs.append((key, joined))
                    gaps = len(rest)
                    overflow = 0.0
                    if line.__class__ is Tight:  # the same sums in the same order as ``_line_segments``
                        overflow = sum(map(_SPACE_WIDTH, line[1:]), sum(map(_WIDTH, line)) - max_width)
                else:
                    segs, overflow, gaps = self._line_segments(line, encs, encoder, size, max_width)
                if overflow > 1e-8 and gaps:  # a line set tighter than its natural width (``spaceShrinkage``)
                    shrink = -overflow / gaps
                    append(f"{fp_str(shrink)} Tw")
            for key, data in segs:
                if key is not key_now:
                    key_now = key
                    font, color, subset = key
                    if color != color_now:
                        append(fill_code(style.textColor if color is None else color_of(color)))
                        color_now = color
                    if (font, subset) != font_now:
                        append(encoder.font_code(font, subset, size))
                        font_now = font, subset
                append(f"({data}) Tj")
            if shrink:
                append("0 Tw")
        append("ET")
        return " ".join(out)

    @staticmethod
    def _bidi_line(line: list[Word], base: int, encoder: Encoder, size: float, max_width: float) -> BidiLine | None:
        """``line`` ordered by the bidi algorithm, or None when it is drawn as it is (left to right only)."""
        chars: list[tuple[str, str | None, str]] = []  # (font, colour, character) in logical order
        for index, word in enumerate(line):
            if index and not word.glued:
                font, color = word.space if word.space is not None else line[index - 1].pieces[-1][:2]
                chars.append((font, color, " "))
            for font, color, text in word.pieces:
                chars.extend((font, color, ch) for ch in text)
        text = "".join(ch for _, _, ch in chars)
        if not base and not has_rtl(text):
            return None
        return BidiLine(chars, text, base, size, max_width)

    @staticmethod
    def _line_segments(line: list[Word], encs: list[WordCodes], encoder: Encoder, size: float,
                       max_width: float) -> tuple[list[Segment], float, int]:
        """Segments of a line whose words are not all plain one-segment ``(space, word)``s, its overflow and its
        number of spaces.

        Adjacent segments of the same key are merged, as reportlab's runs (merged by font and colour) split by
        subset would be. The overflow is the natural width (words and spaces) minus ``max_width``, computed for
        a ``Tight`` line only (0 for others).
        """
        segs = list(encs[0][0])
        last_key, last = segs.pop()  # the segment being extended: its key and its codes so far
        pending = [last]
        spaces: list[float] = []
        previous = line[0]
        for word, enc in zip(line[1:], encs[1:], strict=True):
            parts: Sequence[Segment]
            if word.glued:
                parts = enc[0]
            elif (spaced := enc[1]) is not None:  # ``word.space`` is known: its codes with the space are ready
                spaces.append(word.space_width)  # type: ignore[arg-type]  # not glued, ``space`` known: a width
                parts = spaced
            else:
                font, color = previous.pieces[-1][:2]
                parts = [*encoder.escaped_space(font, color), *enc[0]]
                spaces.append(string_width(" ", font, size))
            previous = word
            for key, data in parts:
                if key is last_key:
                    pending.append(data)
                else:
                    segs.append((last_key, "".join(pending)))
                    last_key, pending = key, [data]
        segs.append((last_key, "".join(pending)))
        overflow = 0.0
        if line.__class__ is Tight:
            total = 0.0
            for word in line:
                total += word.width
            overflow = total - max_width
            for space in spaces:
                overflow += space
        return segs, overflow, len(spaces)


_KEY = operator.itemgetter(2)
_DATA = operator.itemgetter(3)
_WIDTH = operator.attrgetter("width")
_SPACE_WIDTH = operator.attrgetter("space_width")
