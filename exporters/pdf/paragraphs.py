"""Paragraphs built from font runs (``text.pieces``) instead of markup, skipping reportlab's XML parser.

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

import contextlib
import operator
import weakref
from functools import cache

from reportlab.lib import colors
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable
from reportlab.platypus.paraparser import ParaFrag

from exporters.pdf.reportlab_compat import WIDTHS_MAX, paragraph_class, string_width
from exporters.pdf.text import Piece

_string_width = string_width  # memoised ``stringWidth`` (``reportlab_compat``)


@cache
def _color(value: str) -> colors.Color:
    return colors.HexColor(value)


def markup_paragraph(text: str, style: ParagraphStyle) -> Flowable:
    """reportlab's ``Paragraph(text, style)`` of markup, from the private paragraph module (``reportlab_compat``)."""
    return paragraph_class()(text, style)  # type: ignore[return-value]


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
    return paragraph_class()("", style, frags=frags)


# -- RunsParagraph: our own line breaking and drawing for font runs ----------------------------------------

USE_RUNS_PARAGRAPH = True  # False: ``paragraph`` builds reportlab Paragraphs (same look, about 2x slower)

_BREAK = None  # a hard line break in a word list


class _Word:
    """A word: font runs ``(font, colour, text)`` with no U+0020 inside, and its width.

    ``space_width`` is the width of the space before it (0 when glued, None when ``space`` is unknown: the
    first word of a paragraph or after a line break). Words are never changed once made, so equal ones are
    shared (``_word``).
    """

    __slots__ = ("glued", "pieces", "space", "space_width", "width")

    def __init__(self, pieces: tuple[tuple[str, str | None, str], ...], width: float, glued: bool = False,
                 space: tuple[str, str | None] | None = None, size: float = 0.0) -> None:
        self.pieces, self.width, self.glued = pieces, width, glued  # glued: no space before (split long word)
        self.space = space  # (font, colour) of the space before the word: that of the run holding it
        self.space_width = 0.0 if glued else None if space is None else _string_width(" ", space[0], size)


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
        word = _WORD_CACHE[key] = _Word(((font, color, text),), _string_width(text, font, size), space=space, size=size)
    return word


def _joined_runs(parts: list[Piece]) -> list[Piece]:
    """``parts`` with adjacent runs of the same font and colour joined (fewer, longer runs to split)."""
    out: list[Piece] = []
    previous: Piece = None
    for part in parts:
        if part is not None and previous is not None and part[0] == previous[0] and part[1] == previous[1]:
            previous = out[-1] = (previous[0], previous[1], previous[2] + part[2])
        else:
            out.append(part)
            previous = part
    return out


def _words(parts: list[Piece], size: float) -> list[_Word | None]:
    """Words of ``parts``, split at U+0020 runs only (like the patched reportlab ``split``)."""
    if len(parts) > 1:
        parts = _joined_runs(parts)
    words: list[_Word | None] = []
    append = words.append
    current: list[tuple[str, str | None, str]] = []  # a word so far, possibly over several runs
    width = 0.0
    space: tuple[str, str | None] | None = None
    end = len(parts) - 1
    for index, part in enumerate(parts):
        if part is None:
            if current:
                append(_Word(tuple(current), width, space=space, size=size))
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
                append(_Word(tuple(current), width, space=space, size=size))
            current, width = [], 0.0
        space = (font, color)
        # the last segment is a whole word too when no run follows it (end of the text or a line break)
        last = "" if index == end or parts[index + 1] is None else segments.pop()
        if len(segments) > 1:  # whole words of this run, after a space of this run: shared ones from the cache
            whole = segments[1:]
            if "  " in text or not whole[-1]:
                whole = [segment for segment in whole if segment]
            cache = _RUN_WORDS.get((font, color, size))
            if cache is None or len(cache) >= _WORD_CACHE_MAX:
                cache = _RUN_WORDS[font, color, size] = {}
            found = list(map(cache.get, whole))
            if not all(found):  # (a word is always true)
                for number, word in enumerate(found):
                    if word is None:
                        segment = whole[number]
                        word = found[number] = cache[segment] = _Word(
                            ((font, color, segment),), _string_width(segment, font, size), space=space, size=size
                        )
            words.extend(found)
        if last:
            current.append((font, color, last))
            width = _string_width(last, font, size)
    if current:
        if len(current) == 1:
            append(_word(*current[0], space, size))
        else:
            append(_Word(tuple(current), width, space=space, size=size))
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
                out.append(_Word(tuple(pieces), width, glued=bool(out), space=word.space, size=size))
                pieces, width, start, limit = [], 0.0, index, rest
            width += w
        if start < len(text):
            pieces.append((font, color, text[start:]))
    if pieces:
        out.append(_Word(tuple(pieces), width, glued=bool(out), space=word.space, size=size))
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
        tight = max_width + _TIGHT_MARGIN  # wider lines are ``_Tight``
        lines: list[list[_Word]] = []
        line: list[_Word] = []
        width = spaces = 0.0
        for word in self._word_list():
            if word is None:
                lines.append(line if width <= tight else _Tight(line))
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
                    lines.append(_Tight(line))  # (its width is not kept up to date here)
                    for part in parts[1:-1]:
                        lines.append([part])
                    line, width, spaces = [parts[-1]], parts[-1].width, 0.0
                    continue
                lines.append(line if width <= tight else _Tight(line))
            if split_long and word.width > max_width:
                parts = _split_word(word, max_width, max_width, size)
                for part in parts[:-1]:
                    lines.append([part])
                word = parts[-1]
            line, width, spaces = [word], word.width, 0.0
        if line:
            lines.append(line if width <= tight else _Tight(line))
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
        """``Flowable.drawOn`` without a canvas state push/pop or ``cm``: the text object is placed by its ``Tm``.

        The text object is wrapped in ``q``/``Q``, so its fill colour, font and word spacing don't leak.
        """
        x = self._hAlignAdjust(x, _sW)
        canvas._code.append(f"q {self._text_object(canvas, x, y)} Q")

    def draw(self) -> None:
        """Draw with the top left corner at the origin of the current coordinates."""
        self.canv._code.append(self._text_object(self.canv, 0.0, 0.0))

    def _text_object(self, canv, x: float, y: float) -> str:
        """The text object (``BT`` … ``ET``) of the paragraph with its top left corner at ``(x, y)``.

        It draws what reportlab's ``PDFTextObject`` draws for the same text: the first line placed with ``Tm``,
        the next ones with ``T*`` (``TL`` = leading), per run ``Tf`` when the font subset changes, ``rg`` when the
        colour changes and ``Tj`` with the subset codes (``_Encoder``), ``Tw`` when a line's spaces shrink.
        Words joined by a space in the font of the run that held it.
        """
        assert self._lines is not None
        style = self.style
        encoder = _encoder(canv._doc)
        size = style.fontSize
        left = style.leftIndent
        max_width = self._lines[0] - left - style.rightIndent
        leading, fill = _style_codes(style)
        out = [f"BT 1 0 0 1 {fp_str(x + left, y + self.height - size)} Tm {leading} TL {fill}"]
        append = out.append
        get = encoder.words.get
        key_now: tuple[str, str | None, int] | None = None
        font_now: tuple[str, int] | None = None
        color_now: str | None = None
        for number, line in enumerate(self._lines[1]):
            if number:
                append("T*")
            if not line:
                continue
            encs = list(map(get, line))
            if None in encs:
                encs = [encoder.word(word) if enc is None else enc for word, enc in zip(line, encs, strict=True)]
            shrink = 0.0
            if len(line) == 1:
                segs = encs[0][0]
            else:
                rest = encs[1:]
                keys = list(map(_KEY, rest))
                key = keys[0]
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
                    if line.__class__ is _Tight:  # the same sums in the same order as ``_line_segments``
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
                        append(_fill_code(style.textColor if color is None else _color(color)))
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
    def _line_segments(line: list[_Word], encs: list[tuple], encoder: _Encoder, size: float,
                       max_width: float) -> tuple[list[tuple[tuple, str]], float, int]:
        """Segments of a line whose words are not all plain one-segment ``(space, word)``s, its overflow and its
        number of spaces.

        Adjacent segments of the same key are merged, as reportlab's runs (merged by font and colour) split by
        subset would be. The overflow is the natural width (words and spaces) minus ``max_width``, computed for
        a ``_Tight`` line only (0 for others).
        """
        segs = list(encs[0][0])
        spaces: list[float] = []
        previous = line[0]
        for word, enc in zip(line[1:], encs[1:], strict=True):
            if word.glued:
                parts = enc[0]
            elif word.space is not None:
                spaces.append(word.space_width)
                parts = enc[1]
            else:
                font, color = previous.pieces[-1][:2]
                parts = [*encoder.escaped_space(font, color), *enc[0]]
                spaces.append(_string_width(" ", font, size))
            previous = word
            for key, data in parts:
                if segs[-1][0] is key:
                    segs[-1] = (key, segs[-1][1] + data)
                else:
                    segs.append((key, data))
        overflow = 0.0
        if line.__class__ is _Tight:
            total = 0.0
            for word in line:
                total += word.width
            overflow = total - max_width
            for space in spaces:
                overflow += space
        return segs, overflow, len(spaces)


@cache
def _fill_code(color: colors.Color) -> str:
    """``PDFTextObject.setFillColor``'s operator for an RGB colour."""
    assert type(color) is colors.Color, color
    return f"{fp_str((color.red, color.green, color.blue))} rg"


_Key = tuple[str, str | None, int]  # (font, colour, subset) of a segment of text


class _Encoder:
    """Text of one document as subset codes, via each font's ``splitString`` (which assigns new codes in order of
    first use); a (font, text) seen before has all its codes assigned already, so its result is reused."""

    def __init__(self, doc) -> None:
        self._doc = weakref.ref(doc)  # the document holds the encoder (``_encoder``): no reference cycle
        self.words: dict[_Word, tuple] = {}  # ``word``'s result for each word drawn in this document
        self._names: dict[tuple[str, int], str] = {}
        self._font_codes: dict[tuple[str, int, float], str] = {}
        self._keys: dict[tuple[str, str | None, int], tuple[str, str | None, int]] = {}
        self._spaces: dict[tuple[str, str | None], tuple] = {}
        self._escaped_spaces: dict[tuple[str, str | None], tuple] = {}
        self._assignments: dict[str, dict[int, int]] = {}  # font's code points → codes in this document

    def segments(self, font: str, color: str | None, text: str) -> tuple[tuple[_Key, bytes], ...]:
        """``text`` in ``font`` as ``(key, codes)`` per subset; keys ``(font, colour, subset)`` are shared objects.

        Tuples, not lists, here and in ``word``: the collector untracks tuples of strings and numbers, and the
        encoder lives as long as its document, which only a full collection frees.
        """
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
                return ((keys.setdefault(key, key), bytes(codes)),)
        out = []
        for subset, data in ttf.splitString(text, self._doc()):
            key = (font, color, subset)
            out.append((keys.setdefault(key, key), data))
        return tuple(out)

    def space(self, font: str, color: str | None) -> tuple[tuple[_Key, bytes], ...]:
        found = self._spaces.get((font, color))
        if found is None:
            found = self._spaces[font, color] = self.segments(font, color, " ")
        return found

    def escaped_space(self, font: str, color: str | None) -> tuple[tuple[_Key, str], ...]:
        """``space`` with its codes escaped (``_merged``)."""
        found = self._escaped_spaces.get((font, color))
        if found is None:
            found = self._escaped_spaces[font, color] = _merged(list(self.space(font, color)))
        return found

    def word(self, word: _Word) -> tuple:
        """``(segments of the word, segments of a space in ``word.space`` and the word, and when those are one
        segment (and the word is not glued) its key and codes)``, remembered in ``words``; segments are ``(key,
        codes)`` with the codes escaped for a PDF string (``escapePDF`` works byte by byte, so escaped codes can
        be joined)."""
        pieces = word.pieces
        if len(pieces) == 1:  # most words: one run whose characters all have codes in subset 0 already
            font, color, text = pieces[0]
            assignments = self._assignments.get(font)
            if assignments is not None:
                codes = list(map(assignments.get, map(ord, text)))
                if None not in codes and max(codes) < 256:
                    key = (font, color, 0)
                    key = self._keys.setdefault(key, key)
                    segs = ((key, escapePDF(bytes(codes))),)
                    space = word.space
                    if space is None or word.glued:
                        found = (segs, None, None, "")
                    else:
                        before = self.escaped_space(*space)
                        if before[-1][0] is key:
                            with_space = (*before[:-1], (key, before[-1][1] + segs[0][1]))
                        else:
                            with_space = (*before, *segs)
                        found = (segs, with_space, *(with_space[0] if len(with_space) == 1 else (None, "")))
                    self.words[word] = found
                    return found
        raw = [seg for font, color, text in word.pieces for seg in self.segments(font, color, text)]
        segs = _merged(raw)
        with_space = None if word.space is None else _merged([*self.space(*word.space), *raw])
        key, data = None, ""
        if with_space is not None and len(with_space) == 1 and not word.glued:
            key, data = with_space[0]
        found = self.words[word] = (segs, with_space, key, data)
        return found

    def release(self) -> None:
        """Forget everything (the document is saved)."""
        for table in (self.words, self._names, self._font_codes, self._keys, self._spaces, self._escaped_spaces,
                      self._assignments):
            table.clear()

    def font_code(self, font: str, subset: int, size: float) -> str:
        """The ``Tf`` operator of ``font``'s ``subset`` at ``size``."""
        key = (font, subset, size)
        code = self._font_codes.get(key)
        if code is None:
            code = self._font_codes[key] = f"{self.subset_name(font, subset)} {fp_str(size)} Tf"
        return code

    def subset_name(self, font: str, subset: int) -> str:
        key = (font, subset)
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = pdfmetrics.getFont(font).getSubsetInternalName(subset, self._doc())
        return name


class _Tight(list):
    """A line (list of words) that may be wider than the available width: its spaces may have to shrink.

    ``_break`` marks every line wider than the available width by more than ``_TIGHT_MARGIN``, so an unmarked
    one is never set tighter (``Tw`` is written only for an overflow above 1e-8 points).
    """

    __slots__ = ()


_TIGHT_MARGIN = 1e-9
_KEY = operator.itemgetter(2)
_DATA = operator.itemgetter(3)
_WIDTH = operator.attrgetter("width")
_SPACE_WIDTH = operator.attrgetter("space_width")


@cache
def _style_codes(style: ParagraphStyle) -> tuple[str, str]:
    """``TL`` operand and fill colour operator of a paragraph style (styles are never changed once made)."""
    return fp_str(style.leading), _fill_code(style.textColor)


def _merged(segments: list[tuple[tuple, bytes]]) -> tuple[tuple[tuple, str], ...]:
    """``segments`` with adjacent ones of the same key joined, their codes escaped for a PDF string."""
    out: list[tuple[tuple, bytes]] = []
    for key, data in segments:
        if out and out[-1][0] is key:
            out[-1] = (key, out[-1][1] + data)
        else:
            out.append((key, data))
    return tuple((key, escapePDF(data)) for key, data in out)


_ENCODERS: list[_Encoder] = []  # encoders of documents not yet saved


def _saved(doc) -> bool:
    """True if ``doc`` (a reportlab ``PDFDocument`` or None once collected) is saved or gone."""
    return doc is None or bool(getattr(doc, "_savedToFile", False))


def _encoder(doc) -> _Encoder:
    """The encoder of ``doc``, made on its first text.

    A new one also empties those of documents saved (or gone) meanwhile: a reportlab document is a reference
    cycle that only a full garbage collection frees, and its encoder's tables would wait for it.
    """
    encoder = getattr(doc, "_sa_encoder", None)
    if encoder is None:
        if _string_width.cache_info().currsize > WIDTHS_MAX:
            _string_width.cache_clear()
        for old in [old for old in _ENCODERS if _saved(old._doc())]:
            old.release()
            with contextlib.suppress(ValueError):  # removed by another thread meanwhile
                _ENCODERS.remove(old)
        encoder = doc._sa_encoder = _Encoder(doc)
        _ENCODERS.append(encoder)
    return encoder
