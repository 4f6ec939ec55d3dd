"""Text of one reportlab document as subset codes: the encoder ``RunsParagraph`` draws with.

Each font's ``splitString`` assigns codes in order of first use; an ``Encoder`` (one per document, made on its
first text by ``encoder_of``) remembers each word's codes, escaped for a PDF string, and the ``Tf``/``rg``
operators, so a word drawn again costs a dictionary lookup.
"""

from __future__ import annotations

import contextlib
import weakref
from functools import cache

from reportlab.lib import colors
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFDocument

from exporters.pdf.reportlab_compat import WIDTHS_MAX, string_width
from exporters.pdf.words import Word
from schemas.errors import RenderError

Key = tuple[str, str | None, int]  # (font, colour, subset) of a segment of text
RawSegment = tuple[Key, bytes]  # a segment's subset codes
Segment = tuple[Key, str]  # a segment's subset codes escaped for a PDF string (``escapePDF``)
# ``Encoder.word``: (segments of the word, of a space and the word, and when those are one segment its key and codes)
WordCodes = tuple[tuple[Segment, ...], tuple[Segment, ...] | None, Key | None, str]

@cache
def color_of(value: str) -> colors.Color:
    return colors.HexColor(value)


@cache
def fill_code(color: colors.Color) -> str:
    """``PDFTextObject.setFillColor``'s operator for an RGB colour."""
    if type(color) is not colors.Color:
        raise RenderError(f"Tekstfarge {color!r} er ikke en RGB-farge")
    return f"{fp_str((color.red, color.green, color.blue))} rg"


class Encoder:
    """Text of one document as subset codes, via each font's ``splitString`` (which assigns new codes in order of
    first use); a (font, text) seen before has all its codes assigned already, so its result is reused."""

    def __init__(self, doc: PDFDocument) -> None:
        self._doc = weakref.ref(doc)  # the document holds the encoder (``encoder_of``): no reference cycle
        self.words: dict[Word, WordCodes] = {}  # ``word``'s result for each word drawn in this document
        self._names: dict[tuple[str, int], str] = {}
        self._font_codes: dict[tuple[str, int, float], str] = {}
        self._keys: dict[Key, Key] = {}
        self._spaces: dict[tuple[str, str | None], tuple[RawSegment, ...]] = {}
        self._escaped_spaces: dict[tuple[str, str | None], tuple[Segment, ...]] = {}
        self._assignments: dict[str, dict[int, int]] = {}  # font's code points → codes in this document

    def segments(self, font: str, color: str | None, text: str) -> tuple[RawSegment, ...]:
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
            codes = _subset0_codes(assignments, text)
            if codes is not None:
                key = (font, color, 0)
                return ((keys.setdefault(key, key), codes),)
        out: list[RawSegment] = []
        for subset, data in ttf.splitString(text, self._doc()):
            key = (font, color, subset)
            out.append((keys.setdefault(key, key), data))
        return tuple(out)

    def space(self, font: str, color: str | None) -> tuple[RawSegment, ...]:
        found = self._spaces.get((font, color))
        if found is None:
            found = self._spaces[font, color] = self.segments(font, color, " ")
        return found

    def escaped_space(self, font: str, color: str | None) -> tuple[Segment, ...]:
        """``space`` with its codes escaped (``merged``)."""
        found = self._escaped_spaces.get((font, color))
        if found is None:
            found = self._escaped_spaces[font, color] = merged(list(self.space(font, color)))
        return found

    def word(self, word: Word) -> WordCodes:
        """``(segments of the word, segments of a space in ``word.space`` and the word, and when those are one
        segment (and the word is not glued) its key and codes)``, remembered in ``words``; segments are ``(key,
        codes)`` with the codes escaped for a PDF string (``escapePDF`` works byte by byte, so escaped codes can
        be joined)."""
        pieces = word.pieces
        if len(pieces) == 1:  # most words: one run whose characters all have codes in subset 0 already
            font, color, text = pieces[0]
            assignments = self._assignments.get(font)
            codes = None if assignments is None else _subset0_codes(assignments, text)
            if codes is not None:
                key: Key = (font, color, 0)
                key = self._keys.setdefault(key, key)
                segs: tuple[Segment, ...] = ((key, escapePDF(codes)),)
                space = word.space
                found: WordCodes
                if space is None or word.glued:
                    found = (segs, None, None, "")
                else:
                    before = self.escaped_space(*space)
                    if before[-1][0] is key:
                        with_space = (*before[:-1], (key, before[-1][1] + segs[0][1]))
                    else:
                        with_space = (*before, *segs)
                    found = ((segs, with_space, *with_space[0]) if len(with_space) == 1
                             else (segs, with_space, None, ""))
                self.words[word] = found
                return found
        raw = [seg for font, color, text in word.pieces for seg in self.segments(font, color, text)]
        segs = merged(raw)
        spaced = None if word.space is None else merged([*self.space(*word.space), *raw])
        one_key: Key | None = None
        data = ""
        if spaced is not None and len(spaced) == 1 and not word.glued:
            one_key, data = spaced[0]
        found = self.words[word] = (segs, spaced, one_key, data)
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


@cache
def style_codes(style: ParagraphStyle) -> tuple[str, str]:
    """``TL`` operand and fill colour operator of a paragraph style (styles are never changed once made)."""
    return fp_str(style.leading), fill_code(style.textColor)


def _subset0_codes(assignments: dict[int, int], text: str) -> bytes | None:
    """``text``'s codes when every character already has one in subset 0 (what ``splitString`` would give)."""
    try:
        return bytes(map(assignments.__getitem__, map(ord, text)))
    except (KeyError, ValueError):  # a character without a code yet, or one in a later subset (>= 256)
        return None


def merged(segments: list[RawSegment]) -> tuple[Segment, ...]:
    """``segments`` with adjacent ones of the same key joined, their codes escaped for a PDF string."""
    out: list[RawSegment] = []
    for key, data in segments:
        if out and out[-1][0] is key:
            out[-1] = (key, out[-1][1] + data)
        else:
            out.append((key, data))
    return tuple((key, escapePDF(data)) for key, data in out)


_ENCODERS: list[Encoder] = []  # encoders of documents not yet saved


def _saved(doc: PDFDocument | None) -> bool:
    """True if ``doc`` (a reportlab ``PDFDocument`` or None once collected) is saved or gone."""
    return doc is None or bool(getattr(doc, "_savedToFile", False))


def encoder_of(doc: PDFDocument) -> Encoder:
    """The encoder of ``doc``, made on its first text.

    A new one also empties those of documents saved (or gone) meanwhile: a reportlab document is a reference
    cycle that only a full garbage collection frees, and its encoder's tables would wait for it.
    """
    encoder: Encoder | None = getattr(doc, "_sa_encoder", None)
    if encoder is None:
        if string_width.cache_info().currsize > WIDTHS_MAX:
            string_width.cache_clear()
        for old in [old for old in _ENCODERS if _saved(old._doc())]:
            old.release()
            with contextlib.suppress(ValueError):  # removed by another thread meanwhile
                _ENCODERS.remove(old)
        encoder = doc._sa_encoder = Encoder(doc)
        _ENCODERS.append(encoder)
    return encoder
