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

import itertools
import re
import weakref
from functools import cache, lru_cache

from reportlab.lib import colors
from reportlab.lib.rl_accel import escapePDF, fp_str
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
    """A word: font runs ``(font, colour, text)`` with no U+0020 inside, and its width.

    ``space_width`` is the width of the space before it (0 when glued, None when ``space`` is unknown: the
    first word of a paragraph or after a line break). Words are never changed once made, so equal ones are
    shared (``_word``).
    """

    __slots__ = ("encoded", "glued", "pieces", "space", "space_width", "width")

    def __init__(self, pieces: list[tuple[str, str | None, str]], width: float, glued: bool = False,
                 space: tuple[str, str | None] | None = None, size: float = 0.0) -> None:
        self.pieces, self.width, self.glued = pieces, width, glued  # glued: no space before (split long word)
        self.space = space  # (font, colour) of the space before the word: that of the run holding it
        self.space_width = 0.0 if glued else None if space is None else _string_width(" ", space[0], size)
        self.encoded: tuple | None = None  # (encoder, codes, codes with the space before): see ``_Encoder.word``


_WORD_CACHE: dict[tuple, _Word] = {}
_WORD_CACHE_MAX = 1 << 14
# words of one run after a space of that run, by (font, colour, size), then by text
_RUN_WORDS: dict[tuple[str, str | None, float], dict[str, _Word]] = {}


def _word(font: str, color: str | None, text: str, space: tuple[str, str | None] | None, size: float) -> _Word:
    """The (shared) one-run word ``text`` after a space in ``space``."""
    key = (font, color, text, space, size)
    word = _WORD_CACHE.get(key)
    if word is None:
        if len(_WORD_CACHE) >= _WORD_CACHE_MAX:
            _WORD_CACHE.clear()
        word = _WORD_CACHE[key] = _Word([(font, color, text)], _string_width(text, font, size), space=space, size=size)
    return word


def _words(parts: list[Piece], size: float) -> list[_Word | None]:
    """Words of ``parts``, split at U+0020 runs only (like the patched reportlab ``split``)."""
    words: list[_Word | None] = []
    append = words.append
    current: list[tuple[str, str | None, str]] = []  # a word so far, possibly over several runs
    width = 0.0
    space: tuple[str, str | None] | None = None
    for part in parts:
        if part is None:
            if current:
                append(_Word(current, width, space=space, size=size))
                current, width = [], 0.0
            append(_BREAK)
            space = None
            continue
        font, color, text = part
        if " " not in text:
            if text:
                current.append((font, color, text))
                width += _string_width(text, font, size)
            continue
        segments = text.split(" ")
        if segments[0]:
            current.append((font, color, segments[0]))
            width += _string_width(segments[0], font, size)
        if current:
            if len(current) == 1:
                append(_word(*current[0], space, size))
            else:
                append(_Word(current, width, space=space, size=size))
            current, width = [], 0.0
        space = (font, color)
        last = segments.pop()
        if len(segments) > 1:  # whole words of this run, after a space of this run: shared ones from the cache
            whole = segments[1:]
            if "" in whole:
                whole = [segment for segment in whole if segment]
            cache = _RUN_WORDS.get((font, color, size))
            if cache is None or len(cache) >= _WORD_CACHE_MAX:
                cache = _RUN_WORDS[font, color, size] = {}
            found = list(map(cache.get, whole))
            if None in found:
                for index, word in enumerate(found):
                    if word is None:
                        segment = whole[index]
                        word = found[index] = cache[segment] = _Word(
                            [(font, color, segment)], _string_width(segment, font, size), space=space, size=size
                        )
            words.extend(found)
        if last:
            current.append((font, color, last))
            width = _string_width(last, font, size)
    if current:
        if len(current) == 1:
            append(_word(*current[0], space, size))
        else:
            append(_Word(current, width, space=space, size=size))
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
                out.append(_Word(pieces, width, glued=bool(out), space=word.space, size=size))
                pieces, width, start, limit = [], 0.0, index, rest
            width += w
        if start < len(text):
            pieces.append((font, color, text[start:]))
    if pieces:
        out.append(_Word(pieces, width, glued=bool(out), space=word.space, size=size))
    return out


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
                space = word.space_width
                if space is None:
                    space = _string_width(" ", line[-1].pieces[-1][0], size)
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

    def drawOn(self, canvas, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802, N803 (reportlab API)
        """``Flowable.drawOn`` without the canvas state push/pop (``draw`` changes no canvas state).

        Writes the same ``q``/``cm``/``Q`` operators as ``saveState``/``translate``/``restoreState``.
        """
        x = self._hAlignAdjust(x, _sW)
        code = canvas._code
        code.append("q")
        code.append(f"1 0 0 1 {fp_str(x, y)} cm")
        self.canv = canvas
        self.draw()
        del self.canv
        code.append("Q")

    def draw(self) -> None:
        """Write the text object, byte for byte what reportlab's ``PDFTextObject`` writes for the same calls.

        That is ``beginText``; per line ``setTextOrigin``, ``setWordSpace`` when the spaces shrink, and per run
        ``setFont`` (no operator for a TrueType font, but a new ``Tf`` before the next subset), ``setFillColor``
        on a change and ``textOut``, whose subset codes come from the font's own ``splitString``, once per
        distinct (font, word) in this document (``_Encoder``); ``drawText``.
        """
        assert self._lines is not None
        style = self.style
        canv = self.canv
        encoder = _encoder(canv._doc)
        serial = encoder.serial
        size, leading = style.fontSize, style.leading
        left = style.leftIndent
        top = self.height - size
        max_width = self._lines[0] - left - style.rightIndent
        font_tmpl = f"{fp_str(size)} Tf {fp_str(leading)} TL"
        out = ["BT", f"1 0 0 1 {fp_str(left, top)} Tm", _fill_code(style.textColor)]
        append = out.append
        font_now: str | None = None
        color_now: str | None = None
        subset_now = -1
        for number, line in enumerate(self._lines[1]):
            if number:
                append(f"1 0 0 1 {fp_str(left, top - number * leading)} Tm")
            # segments (key, bytes) with key = (font, colour, subset); adjacent equal keys are merged, as
            # reportlab's runs (merged by font and colour) split by subset would be
            keys: list[tuple[str, str | None, int]] = []
            chunks: list[list[bytes]] = []
            key_now = None
            buffer: list[bytes] = []
            total = 0.0  # natural width of the words ...
            spaces: list[float] = []  # ... and of the spaces between them
            previous = None
            for word in line:
                total += word.width
                encoded = word.encoded
                if encoded is None or encoded[0] != serial:
                    encoded = word.encoded = encoder.word(word)
                if previous is None or word.glued:
                    segs = encoded[1]
                elif word.space is not None:
                    spaces.append(word.space_width)
                    key = encoded[3]
                    if key is not None:  # the space and the word in one segment
                        if key is key_now:
                            buffer.append(encoded[4])
                        else:
                            key_now = key
                            keys.append(key)
                            buffer = [encoded[4]]
                            chunks.append(buffer)
                        previous = word
                        continue
                    segs = encoded[2]
                else:
                    font, color = previous.pieces[-1][:2]
                    segs = [*encoder.space(font, color), *encoded[1]]
                    spaces.append(_string_width(" ", font, size))
                previous = word
                for key, data in segs:
                    if key is key_now:
                        buffer.append(data)
                    else:
                        key_now = key
                        keys.append(key)
                        buffer = [data]
                        chunks.append(buffer)
            overflow = gaps = 0.0
            if len(line) > 1:  # a line set tighter than its natural width (``spaceShrinkage``)?
                overflow = total - max_width
                for space in spaces:
                    overflow += space
                gaps = len(spaces)
            shrink = overflow > 1e-8 and gaps
            if shrink:
                append(f"{fp_str(-overflow / gaps)} Tw")
            for (font, color, subset), buffer in zip(keys, chunks, strict=True):
                if font != font_now:  # setFont: a TrueType font writes no operator, the next text a new Tf
                    font_now, subset_now = font, -1
                if color != color_now:
                    append(_fill_code(style.textColor if color is None else _color(color)))
                    color_now = color
                if subset != subset_now:
                    append(f"{encoder.subset_name(font, subset)} {font_tmpl}")
                    subset_now = subset
                append(f"({escapePDF(b''.join(buffer))}) Tj")
            if shrink:
                append("0 Tw")
        append("ET")
        canv._code.append(" ".join(out))


@cache
def _fill_code(color: colors.Color) -> str:
    """``PDFTextObject.setFillColor``'s operator for an RGB colour."""
    assert type(color) is colors.Color, color
    return f"{fp_str((color.red, color.green, color.blue))} rg"


class _Encoder:
    """Text of one document as subset codes, via each font's ``splitString`` (which assigns new codes in order of
    first use); a (font, text) seen before has all its codes assigned already, so its result is reused."""

    def __init__(self, doc) -> None:
        self._doc = weakref.ref(doc)  # the document holds the encoder (``_encoder``): no reference cycle
        self.serial = next(_SERIALS)  # words cache their codes with this, not the encoder (which holds the doc)
        self._names: dict[tuple[str, int], str] = {}
        self._keys: dict[tuple[str, str | None, int], tuple[str, str | None, int]] = {}
        self._spaces: dict[tuple[str, str | None], list] = {}
        self._assignments: dict[str, dict[int, int]] = {}  # font's code points → codes in this document

    def segments(self, font: str, color: str | None, text: str) -> list[tuple[tuple[str, str | None, int], bytes]]:
        """``text`` in ``font`` as ``(key, codes)`` per subset; keys ``(font, colour, subset)`` are shared objects."""
        keys = self._keys
        ttf = pdfmetrics.getFont(font)
        assignments = self._assignments.get(font)
        if assignments is None:
            state = ttf.state.get(self._doc())
            if state is not None:
                assignments = self._assignments[font] = state.assignments
        if assignments is not None:  # every character already has a code in subset 0: what splitString would give
            codes = list(map(assignments.get, map(ord, text)))
            if None not in codes and max(codes) < 256:
                key = (font, color, 0)
                return [(keys.setdefault(key, key), bytes(codes))]
        out = []
        for subset, data in ttf.splitString(text, self._doc()):
            key = (font, color, subset)
            out.append((keys.setdefault(key, key), data))
        return out

    def space(self, font: str, color: str | None) -> list[tuple[tuple[str, str | None, int], bytes]]:
        found = self._spaces.get((font, color))
        if found is None:
            found = self._spaces[font, color] = self.segments(font, color, " ")
        return found

    def word(self, word: _Word) -> tuple:
        """``(serial, segments of the word, segments of a space in ``word.space`` and the word, and when those are
        one segment its key and codes)``."""
        segs = [seg for font, color, text in word.pieces for seg in self.segments(font, color, text)]
        with_space = None if word.space is None else _merged([*self.space(*word.space), *segs])
        key, data = with_space[0] if with_space is not None and len(with_space) == 1 else (None, b"")
        return self.serial, _merged(segs), with_space, key, data

    def subset_name(self, font: str, subset: int) -> str:
        key = (font, subset)
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = pdfmetrics.getFont(font).getSubsetInternalName(subset, self._doc())
        return name


_SERIALS = itertools.count()


def _merged(segments: list[tuple[tuple, bytes]]) -> list[tuple[tuple, bytes]]:
    """``segments`` with adjacent ones of the same key joined."""
    out: list[tuple[tuple, bytes]] = []
    for key, data in segments:
        if out and out[-1][0] is key:
            out[-1] = (key, out[-1][1] + data)
        else:
            out.append((key, data))
    return out


def _encoder(doc) -> _Encoder:
    encoder = getattr(doc, "_sa_encoder", None)
    if encoder is None:
        encoder = doc._sa_encoder = _Encoder(doc)
    return encoder
